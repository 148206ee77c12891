import type Database from 'better-sqlite3';

/**
 * Schema migrations. One numbered module per change (steps of 10), each exporting `up(db)`; the
 * version lives in `PRAGMA user_version`. All pending migrations run in one transaction, so a
 * failure leaves the database exactly as it was. A database written by a newer app is refused.
 */
export interface Migration {
  version: number;
  name: string;
  up(db: Database.Database): void;
}

export class NewerDatabaseError extends Error {
  constructor(
    public readonly path: string,
    public readonly found: number,
    public readonly supported: number,
  ) {
    super(
      `${path} was written by a newer NMF Studio (schema version ${found}; this version understands up to ${supported}). ` +
        'Open it with a newer NMF Studio, or choose another library file.',
    );
    this.name = 'NewerDatabaseError';
  }
}

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings `db` to the newest version in `migrations` (sorted by version).
 * @param beforeMigrate called once, before anything changes, when there is something to migrate in
 *   a database that already has a schema (used to take a backup).
 * @returns the versions applied.
 */
export function migrate(
  db: Database.Database,
  migrations: readonly Migration[],
  path: string,
  beforeMigrate?: (fromVersion: number) => void,
): number[] {
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  for (let i = 1; i < ordered.length; i++) {
    if (ordered[i].version === ordered[i - 1].version)
      throw new Error(`duplicate migration version ${ordered[i].version}`);
  }
  const latest = ordered.length ? ordered[ordered.length - 1].version : 0;
  const current = schemaVersion(db);
  if (current > latest) throw new NewerDatabaseError(path, current, latest);
  const pending = ordered.filter((m) => m.version > current);
  if (pending.length === 0) return [];
  if (current > 0 && beforeMigrate) beforeMigrate(current);
  db.transaction(() => {
    for (const migration of pending) {
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    }
  })();
  return pending.map((m) => m.version);
}
