import type Database from 'better-sqlite3';

export const version = 150;
export const name = 'sweep fit iterations';

/**
 * What each group of an ended sweep's fits needed of its iteration budgets (JSON, an array of
 * `SweepGroupIterations`; services/sweep-history.ts), read by the forecasts of later sweeps with the
 * same fit settings. NULL for sweeps that ended before this version and for unfinished ones. A
 * column of its own, not a field of `result`: a forecast reads it from up to a hundred sweeps, and
 * `result` holds each rank's n sample clusters (megabytes at 10⁶ samples).
 */
export function up(db: Database.Database): void {
  db.exec('ALTER TABLE sweeps ADD COLUMN fit_iterations TEXT');
}
