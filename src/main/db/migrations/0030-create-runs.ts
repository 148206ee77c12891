import type Database from 'better-sqlite3';

export const version = 30;
export const name = 'create runs';

/**
 * Runs with full provenance. W, H and the loss trace are little-endian Float64 BLOBs, written once,
 * in the same transaction that marks the run done, so a run is never half-written.
 * `deleted_at` makes deletion undoable until the library is purged.
 */
export function up(db: Database.Database): void {
  db.exec(`
    CREATE TABLE runs (
      id INTEGER PRIMARY KEY,
      dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
      sweep_id INTEGER REFERENCES sweeps(id) ON DELETE CASCADE,
      state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'cancelled', 'failed', 'interrupted')),
      params TEXT NOT NULL,
      iterations INTEGER,
      converged INTEGER CHECK (converged IN (0, 1)),
      loss REAL,
      loglik REAL,
      seconds REAL,
      error TEXT,
      notes TEXT NOT NULL DEFAULT '',
      tags TEXT NOT NULL DEFAULT '[]',
      trace BLOB,
      w BLOB,
      h BLOB,
      provenance TEXT,
      created_at TEXT NOT NULL,
      started_at TEXT,
      finished_at TEXT,
      deleted_at TEXT
    ) STRICT;
    CREATE INDEX runs_dataset ON runs(dataset_id);
    CREATE INDEX runs_sweep ON runs(sweep_id);
    CREATE INDEX runs_state ON runs(state);
  `);
}
