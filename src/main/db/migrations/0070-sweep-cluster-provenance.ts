import type Database from 'better-sqlite3';

export const version = 70;
export const name = 'sweep cluster provenance';

/**
 * Where a sweep merged from a cluster job folder was computed: its plan, and per array task the
 * hosts, times and scheduler job ids (JSON; NULL for sweeps run in the app).
 */
export function up(db: Database.Database): void {
  db.exec('ALTER TABLE sweeps ADD COLUMN cluster TEXT');
}
