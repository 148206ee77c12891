import type Database from 'better-sqlite3';

export const version = 160;
export const name = 'compact sample labels';

/**
 * Sample labels beside the JSON that holds them, as compact BLOBs (db/blobs.ts `labelsToBlob`: one
 * byte a label up to rank 256), for the readers that need a few of them or need them without the
 * rest of the record:
 * - `sweep_jobs.sample_labels`: a fit's cluster of each sample, also in its result frame's JSON
 *   (`sampleLabels`). The consensus map takes 2000 of them per fit (`consensusSubsample`); from the
 *   JSON it parsed all n (10⁶ at the largest, ~50 ms a fit).
 * - `sweep_rank_clusters`: a rank's consensus clusters, also in `sweeps.result`
 *   (`ranks[i].sampleClusters`), read by `sweeps:classes` and a sweep's run's `runs:classes` and
 *   summaries, which parsed every rank's from the result (n numbers a rank) to use one or a few.
 * The JSON stays as it was, so the stored records, resumes, merges and exports are unchanged. Rows
 * stored before this version have no BLOB (NULL, no row) and are read from their JSON as before.
 */
export function up(db: Database.Database): void {
  db.exec(`
    ALTER TABLE sweep_jobs ADD COLUMN sample_labels BLOB;
    CREATE TABLE sweep_rank_clusters (
      sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
      rank INTEGER NOT NULL,
      clusters BLOB NOT NULL,
      PRIMARY KEY (sweep_id, rank)
    ) STRICT;
  `);
}
