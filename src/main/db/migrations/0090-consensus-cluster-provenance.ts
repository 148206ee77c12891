import type Database from 'better-sqlite3';

export const version = 90;
export const name = 'consensus cluster provenance';

/**
 * Where a consensus run merged from a cluster job folder was computed: its plan, and per array task
 * the hosts, times and scheduler job ids (JSON, the shape of sweeps.cluster; NULL for consensus runs
 * computed in the app).
 */
export function up(db: Database.Database): void {
  db.exec('ALTER TABLE consensus ADD COLUMN cluster TEXT');
}
