import type Database from 'better-sqlite3';

export const version = 170;
export const name = 'kept views';

/**
 * What the reading calls of an ended sweep and of a large run made, kept in the library so that a
 * new process (the app restarted, a CLI or browser-server process) reads it rather than making it
 * again (services/kept-views.ts). At 10⁶ samples a first `sweeps:consensus` takes 2–3 s, a
 * `sweeps:classes` or `runs:classes` 1.5–4 s; reading a row takes milliseconds.
 * - `sweep_consensus_maps`: one rank's consensus map (`sweeps:consensus`) without its tracks, an
 *   NMF1 frame (shared/api/codec.ts: the Float32 cells as bytes, the rest as JSON), and its tracks,
 *   another frame, with the version of the sample annotation files they were read from.
 * - `sweep_class_answers`: a finished sweep's `sweeps:classes` answer, a frame.
 * - `run_class_answers`: a summarised run's `runs:classes` answer, a frame.
 * Each row holds the key the process's view caches give the value (services/view-cache.ts), and
 * is read only when the key made now is the same: a sweep resumed ends again with another key,
 * an annotation file imported or deleted changes the version. Rows go with their sweep or run
 * (ON DELETE CASCADE, as `sweep_rank_clusters`); nothing else refers to them, and a library merge
 * does not copy them (they are keyed by ids the merge changes).
 */
export function up(db: Database.Database): void {
  db.exec(`
    CREATE TABLE sweep_consensus_maps (
      sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
      rank INTEGER NOT NULL,
      map_key TEXT NOT NULL,
      map BLOB NOT NULL,
      tracks_version TEXT,
      tracks BLOB,
      PRIMARY KEY (sweep_id, rank),
      CHECK ((tracks_version IS NULL) = (tracks IS NULL))
    ) STRICT;
    CREATE TABLE sweep_class_answers (
      sweep_id INTEGER PRIMARY KEY REFERENCES sweeps(id) ON DELETE CASCADE,
      answer_key TEXT NOT NULL,
      answer BLOB NOT NULL
    ) STRICT;
    CREATE TABLE run_class_answers (
      run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
      answer_key TEXT NOT NULL,
      answer BLOB NOT NULL
    ) STRICT;
  `);
}
