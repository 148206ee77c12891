import {
  accessSync,
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { makeFolderSync } from '../io/make-folder';
import Database from 'better-sqlite3';
import { classifyLibrary, type Classification, type FileFacts } from './identity';
import { migrate, NewerDatabaseError } from './migrate';
import { migrations } from './migrations';

export type Db = Database.Database;

export interface OpenLibraryOptions {
  /**
   * Open without writing anything: no journal-mode switch, no migration, every statement read-only
   * (SQLite refuses writes). For commands that only read (list, show, export). A library that still
   * needs a migration cannot be read this way and is refused with a message saying so.
   */
  readOnly?: boolean;
}

/** A file that is not an NMF Studio library (or not one this version can open); it was left untouched. */
export class ForeignDatabaseError extends Error {
  constructor(
    public readonly path: string,
    public readonly reason: string,
  ) {
    super(`${path} is not an NMF Studio library: ${reason}. It was left untouched; choose another file.`);
    this.name = 'ForeignDatabaseError';
  }
}

const latestVersion = Math.max(...migrations.map((m) => m.version));
const SQLITE_MAGIC = 'SQLite format 3\u0000';

/**
 * Opens (creating if needed) the library at `path`. Nothing is written to an existing file before
 * it is known to be ours: the header and schema are read first through a read-only connection, and
 * another program's SQLite file, a non-SQLite file, or a library from a newer NMF Studio is refused
 * untouched (byte-identical). Only then: WAL journal, foreign keys on, and pending migrations
 * applied in one transaction after a backup copy (`<path>.backup-v<N>`).
 * Use ':memory:' for tests.
 */
export function openLibrary(path: string, options: OpenLibraryOptions = {}): Db {
  if (path === ':memory:') return configureAndMigrate(new Database(path), path);
  const exists = existsSync(path);
  // Nothing there yet: reading it finds an empty library, and no file is created for a read.
  if (!exists && options.readOnly) return configureAndMigrate(new Database(':memory:'), ':memory:');
  if (exists) {
    const verdict = inspectLibraryFile(path);
    if (verdict.kind === 'foreign') throw new ForeignDatabaseError(path, verdict.reason);
    if (verdict.kind === 'newer') throw new NewerDatabaseError(path, verdict.version, latestVersion);
    if (options.readOnly) {
      if (verdict.kind === 'empty') throw new Error(`${path} is an empty file, not yet a library`);
      if (verdict.version < latestVersion) {
        throw new Error(
          `${path} has schema version ${verdict.version} and needs an upgrade to ${latestVersion} before it can be read: ` +
            'open it once with a command that writes (or the app), which backs it up and upgrades it',
        );
      }
      return openReadOnly(path);
    }
  } else {
    // One level at a time: Node's recursive mkdir loops where the system answers ENOENT (/proc; make-folder.ts).
    makeFolderSync(dirname(path));
  }
  return configureAndMigrate(new Database(path), path);
}

/**
 * What an existing file is, read without writing to it (see classifyLibrary). Throws
 * ForeignDatabaseError for a file that is not SQLite at all.
 */
export function inspectLibraryFile(path: string): Classification {
  const facts = readFileFacts(path);
  return facts === 'empty' ? { kind: 'empty' } : classifyLibrary(facts, latestVersion);
}

function configureAndMigrate(db: Db, path: string): Db {
  try {
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, migrations, path, (fromVersion) => backUp(db, path, fromVersion));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/** A copy of the library as it is before a migration, beside it; never overwrites an earlier backup. */
function backUp(db: Db, path: string, fromVersion: number): void {
  if (path === ':memory:' || !existsSync(path)) return;
  // Fold a WAL left by an earlier version into the main file so the copy is complete.
  db.pragma('wal_checkpoint(TRUNCATE)');
  let target = `${path}.backup-v${fromVersion}`;
  for (let n = 2; existsSync(target); n++) target = `${path}.backup-v${fromVersion}-${n}`;
  copyFileSync(path, target, constants.COPYFILE_EXCL);
}

/**
 * Header and schema of an existing file, read without writing to it: the magic string straight
 * from the file, then `application_id`, `user_version` and the tables through a read-only
 * connection. 'empty' for a zero-length file (SQLite treats it as a new database).
 */
function readFileFacts(path: string): FileFacts | 'empty' {
  const info = statSync(path);
  // Reading a folder fails with EISDIR, which says nothing of which path was wrong.
  if (!info.isFile())
    throw new ForeignDatabaseError(path, info.isDirectory() ? 'it is a folder' : 'not a regular file');
  const size = info.size;
  if (size === 0) return 'empty';
  const head = Buffer.alloc(16);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (size < 100 || head.toString('latin1') !== SQLITE_MAGIC)
    throw new ForeignDatabaseError(path, 'not an SQLite database');
  // A read-only connection to a WAL-mode file creates its -wal and -shm files when it may; those
  // it created are removed again, so a refused file's folder is left as it was found.
  const siblings = ['-wal', '-shm'].filter((suffix) => !existsSync(path + suffix));
  const db = openReadOnly(path);
  try {
    const tables = new Map<string, string[]>();
    const names = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
      )
      .all() as Array<{ name: string }>;
    for (const { name } of names) {
      const columns = db.prepare('SELECT name FROM pragma_table_info(?)').all(name) as Array<{
        name: string;
      }>;
      tables.set(
        name,
        columns.map((c) => c.name),
      );
    }
    return {
      applicationId: db.pragma('application_id', { simple: true }) as number,
      userVersion: db.pragma('user_version', { simple: true }) as number,
      tables,
    };
  } catch (error) {
    if (error instanceof Database.SqliteError && /NOTADB|CORRUPT/.test(error.code))
      throw new ForeignDatabaseError(path, `SQLite cannot read it (${error.message})`);
    throw error;
  } finally {
    db.close();
    for (const suffix of siblings) {
      const sibling = path + suffix;
      // The -wal a reader creates stays empty; one with content belongs to a writer that came meanwhile.
      if (existsSync(sibling) && (suffix === '-shm' || statSync(sibling).size === 0))
        rmSync(sibling, { force: true });
    }
  }
}

/**
 * A read-only connection. A WAL-mode file needs its `-shm` index beside it; when that file does
 * not exist and cannot be created (a read-only folder), SQLite cannot open the library in place
 * (sqlite.org/wal.html#readonly), so a private snapshot copy is read instead and removed on close.
 */
function openReadOnly(path: string): Db {
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    // Opening is lazy: the first read is where a WAL file without a usable -shm fails.
    db.pragma('schema_version', { simple: true });
    db.pragma('busy_timeout = 5000');
    return db;
  } catch (error) {
    if (!(error instanceof Database.SqliteError) || !/CANTOPEN|READONLY/.test(error.code)) throw error;
    if (folderWritable(dirname(path))) throw error;
  }
  const snapshotDir = mkdtempSync(join(tmpdir(), 'nmf-readonly-'));
  const snapshot = join(snapshotDir, 'library.sqlite');
  copyFileSync(path, snapshot);
  if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${snapshot}-wal`);
  const db = new Database(snapshot, { readonly: true, fileMustExist: true });
  const close = db.close.bind(db);
  db.close = () => {
    close();
    rmSync(snapshotDir, { recursive: true, force: true });
    return db;
  };
  return db;
}

function folderWritable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Leaves the file in rollback-journal mode when this is the last connection, so a library at rest
 * can be read from a read-only folder without a snapshot; while another process has it open the
 * switch is refused (busy) and the file stays in WAL mode, which is what that process needs.
 */
export function closeLibrary(db: Db): void {
  if (db.open && !db.readonly && db.name !== ':memory:') {
    try {
      db.pragma('busy_timeout = 0');
      db.pragma('journal_mode = DELETE');
    } catch {
      // Busy: another connection still uses the WAL.
    }
  }
  if (db.open) db.close();
}
