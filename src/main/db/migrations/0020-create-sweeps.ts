import type Database from 'better-sqlite3';

export const version = 20;
export const name = 'create sweeps';

/** Rank sweeps, and the result of every finished job so an interrupted sweep resumes where it stopped. */
export function up(db: Database.Database): void {
  db.exec(`
    CREATE TABLE sweeps (
      id INTEGER PRIMARY KEY,
      dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
      state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'cancelled', 'failed', 'interrupted')),
      params TEXT NOT NULL,
      jobs_total INTEGER NOT NULL,
      jobs_done INTEGER NOT NULL DEFAULT 0,
      result TEXT,
      recommended INTEGER,
      criterion TEXT,
      error TEXT,
      created_at TEXT NOT NULL,
      finished_at TEXT
    ) STRICT;
    CREATE TABLE sweep_jobs (
      sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
      job_key TEXT NOT NULL,
      result BLOB NOT NULL,
      PRIMARY KEY (sweep_id, job_key)
    ) STRICT;
    CREATE INDEX sweeps_dataset ON sweeps(dataset_id);
  `);
}
