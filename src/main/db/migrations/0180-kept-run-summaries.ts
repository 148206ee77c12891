import type Database from 'better-sqlite3';

export const version = 180;
export const name = 'kept run and projection summaries';

/**
 * What `runs:get` and `projections:get` make of a large H, kept in the library as migration 0170
 * keeps the maps and class answers (services/kept-views.ts), so that a new process reads it rather
 * than making it again: at 10⁶ samples a first `runs:get` of a summarised run sorts and scans the n
 * samples for 6–21 s, a first `projections:get` 2–5 s; reading a row takes a fraction of a second.
 * - `run_h_summaries`: a summarised run's summaries of H (`RunHSummary`, what `runs:get` sends in
 *   place of H) with its coefficient maps' sample orders and its samples' dominant-component labels
 *   (n each, what `runs:coefficientTracks` and `runs:classes` read instead of H), as one NMF1 frame
 *   (shared/api/codec.ts: typed arrays as their bytes, the rest as JSON).
 * - `projection_h_summaries`: a summarised projection's heat map of H (`ProjectionHSummary`), a frame.
 * Each row holds the key the process's view cache gives the value (services/view-cache.ts:
 * `runViewsKey`, `projectionSummaryKey`) and is read only when the key made now is the same. Rows
 * go with their run (purged, not while it is deleted for undo) or projection (ON DELETE CASCADE);
 * nothing refers to them, and a library merge does not copy them (they are keyed by ids the merge
 * changes).
 */
export function up(db: Database.Database): void {
  db.exec(`
    CREATE TABLE run_h_summaries (
      run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
      summary_key TEXT NOT NULL,
      summary BLOB NOT NULL
    ) STRICT;
    CREATE TABLE projection_h_summaries (
      projection_id INTEGER PRIMARY KEY REFERENCES projections(id) ON DELETE CASCADE,
      summary_key TEXT NOT NULL,
      summary BLOB NOT NULL
    ) STRICT;
  `);
}
