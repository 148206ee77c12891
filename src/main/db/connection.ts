import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrate';
import { migrations } from './migrations';

export type Db = Database.Database;

/**
 * Opens (creating if needed) the library at `path`: WAL journal, foreign keys on, migrations applied
 * in one transaction after a backup copy of an existing library (`<path>.backup-v<N>`).
 * Use ':memory:' for tests.
 */
export function openLibrary(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    migrate(db, migrations, path, (fromVersion) => {
      if (path === ':memory:' || !existsSync(path)) return;
      // Fold the WAL into the main file so the copy is complete, then copy it aside.
      db.pragma('wal_checkpoint(TRUNCATE)');
      copyFileSync(path, `${path}.backup-v${fromVersion}`);
    });
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}
