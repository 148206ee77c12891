import type { DataMatrix } from '../../shared/linalg/matrix';

/** A dataset matrix held by a job; `release` once when the job no longer reads it. */
export interface MatrixLease {
  readonly matrix: DataMatrix;
  release(): void;
}

/**
 * Dataset matrices shared by the jobs that use them, so concurrent runs and sweeps on one dataset
 * read one SharedArrayBuffer-backed copy; an entry is dropped when its last job releases it. One
 * cache per service context (no module state: two libraries open in one process never share).
 *
 * Entries are keyed by the caller's `key`, which must name the content, not only the row: SQLite
 * gives a deleted dataset's id to the next import when it was the largest, so an id alone would
 * hand a job started after a delete and re-import the matrix of the deleted dataset (see
 * `datasetMatrixKey` in runs.ts, which adds the content hash).
 */
export class MatrixCache {
  private readonly entries = new Map<string, { matrix: DataMatrix; users: number }>();

  /** The cached matrix for `key`, or the one `load` reads (and caches) when there is none. */
  acquire(key: string, load: () => DataMatrix): MatrixLease {
    let entry = this.entries.get(key);
    if (entry) entry.users++;
    else {
      entry = { matrix: load(), users: 1 };
      this.entries.set(key, entry);
    }
    const held = entry;
    let released = false;
    return {
      matrix: held.matrix,
      release: () => {
        // A second release of one lease must not take another job's share.
        if (released) return;
        released = true;
        if (--held.users <= 0 && this.entries.get(key) === held) this.entries.delete(key);
      },
    };
  }

  /** How many matrices are held (for tests and diagnostics). */
  get size(): number {
    return this.entries.size;
  }
}
