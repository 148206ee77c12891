import type Database from 'better-sqlite3';

export const version = 140;
export const name = 'sweeps ran fixed warm-ups';

/**
 * Sweeps stored their fits' `warmupTol` (the warm-up that runs until HALS settles) but, until this
 * version, did not pass it to their jobs: every sweep fit so far ran a fixed warm-up of `warmup`
 * iterations. The record is corrected to what ran — `warmupTol` 0 in each sweep's fit settings and
 * in the runs a sweep saved — so that a resumed sweep runs its remaining jobs as it ran the others,
 * and a saved run does not claim a warm-up it did not have. Sweeps stored from now on pass it.
 */
export function up(db: Database.Database): void {
  db.exec(`
    UPDATE sweeps SET params = json_set(params, '$.fit.warmupTol', 0)
      WHERE json_extract(params, '$.fit.warmupTol') > 0;
    UPDATE runs SET params = json_set(params, '$.warmupTol', 0)
      WHERE sweep_id IS NOT NULL AND json_extract(params, '$.warmupTol') > 0;
  `);
}
