import type Database from 'better-sqlite3';

export const version = 60;
export const name = 'create projections and consensus';

/**
 * Projections of new samples onto a saved run (W held, H fitted), linked to the run and to the
 * dataset of the new samples; deleting either deletes the projection. H is a little-endian Float64
 * BLOB (k × n of the new dataset), written once with everything else.
 *
 * cNMF consensus (Kotliar et al. 2019): the consensus itself (parameters, state, per-rank result),
 * and the W of every finished replicate fit (`consensus_jobs`, keyed by rank and replicate), so an
 * interrupted consensus resumes with only the missing fits. The consensus runs are ordinary rows of
 * `runs` (their provenance says which consensus, replicates and threshold); `consensus_runs` links
 * them back, and deleting a run removes only its link.
 */
export function up(db: Database.Database): void {
  db.exec(`
    CREATE TABLE projections (
      id INTEGER PRIMARY KEY,
      run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
      params TEXT NOT NULL,
      rank INTEGER NOT NULL,
      matched INTEGER NOT NULL,
      missing TEXT NOT NULL,
      dropped TEXT NOT NULL,
      iterations INTEGER NOT NULL,
      converged INTEGER NOT NULL CHECK (converged IN (0, 1)),
      loss REAL NOT NULL,
      h BLOB NOT NULL,
      provenance TEXT NOT NULL,
      created_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX projections_run ON projections(run_id);
    CREATE INDEX projections_dataset ON projections(dataset_id);

    CREATE TABLE consensus (
      id INTEGER PRIMARY KEY,
      dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
      state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'cancelled', 'failed', 'interrupted')),
      params TEXT NOT NULL,
      jobs_total INTEGER NOT NULL,
      jobs_done INTEGER NOT NULL DEFAULT 0,
      result TEXT,
      error TEXT,
      created_at TEXT NOT NULL,
      finished_at TEXT,
      owner TEXT
    ) STRICT;
    CREATE INDEX consensus_dataset ON consensus(dataset_id);
    CREATE TABLE consensus_jobs (
      consensus_id INTEGER NOT NULL REFERENCES consensus(id) ON DELETE CASCADE,
      rank INTEGER NOT NULL,
      replicate INTEGER NOT NULL,
      seed INTEGER NOT NULL,
      loss REAL NOT NULL,
      iterations INTEGER NOT NULL,
      w BLOB NOT NULL,
      PRIMARY KEY (consensus_id, rank, replicate)
    ) STRICT;
    CREATE TABLE consensus_runs (
      consensus_id INTEGER NOT NULL REFERENCES consensus(id) ON DELETE CASCADE,
      rank INTEGER NOT NULL,
      run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      PRIMARY KEY (consensus_id, rank)
    ) STRICT;
    CREATE INDEX consensus_runs_run ON consensus_runs(run_id);
  `);
}
