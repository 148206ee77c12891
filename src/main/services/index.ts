import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ENGINE_VERSION } from '../../shared/domain';
import { closeLibrary, openLibrary, type Db } from '../db/connection';
import { claimOwnership, type Ownership } from '../db/ownership';
import { purgeDeletedRuns } from '../db/queries/runs';
import { defaultTempDir, PRODUCT_NAME } from '../paths';
import { WorkerPool } from '../workers/pool';
import type { AppFacts, ServiceContext } from './context';
import type { Handlers } from './dispatch';
import { EventBus } from './events';
import { createHandlers } from './handlers';
import { JobRegistry } from './jobs';
import { MatrixCache } from './matrix-cache';
import { createStagingDir, sweepStaging } from './staging';
import { APP_VERSION } from './version';
import { closeAllDownloads } from './downloads';
import { cancelAllClusterExports } from './cluster-export';
import { closeAllUploads } from './uploads';

/**
 * `libraryPath` for a library of the process's own that nothing outlives (`--no-save`): a new file
 * in the staging folder, removed with it when the services close. On disk rather than SQLite's
 * `:memory:`, so a large matrix stored in it is not held in memory a second time beside the copy
 * a fit leases (README, "A fit of a file without a library at 10⁶ cells").
 */
export const TEMPORARY_LIBRARY = ':temporary:';
/** The temporary library's file name in the staging folder. */
export const TEMPORARY_LIBRARY_FILE = 'no-save-library.sqlite';

export interface ServicesOptions {
  /** The library file, `:memory:` (tests), or TEMPORARY_LIBRARY. */
  libraryPath: string;
  workerPath: string;
  mode: AppFacts['mode'];
  threads?: number;
  tempDir?: string;
  versions?: Record<string, string>;
  /**
   * Open the library read-only (list, show, export): nothing is written, no job state is touched,
   * and a read-only file in a read-only folder can be read.
   */
  readOnly?: boolean;
  /** The memory budget's command-line override and settings folder (memory-budget.ts). */
  memoryBudget?: ServiceContext['memoryBudget'];
}

export interface Services {
  ctx: ServiceContext;
  handlers: Handlers;
  /** Cancels running jobs (their runs are marked cancelled), stops the workers, closes the library. */
  close(): Promise<void>;
}

/** Deleted runs are kept this long for undo, then purged at start-up. */
const UNDO_WINDOW_MS = 7 * 24 * 3600 * 1000;

/**
 * The composition root: opens the library, registers this process as an owner (which ends as
 * interrupted only the jobs whose owner is dead; see db/ownership.ts), starts the worker pool, and
 * wires the handlers. Read-only services register nothing and write nothing.
 */
export function createServices(options: ServicesOptions): Services {
  const readOnly = options.readOnly === true;
  // Uploads and temporary copies go to this process's own staging folder; folders left by
  // processes that crashed are removed first (a temporary library a killed process left, too).
  const baseTempDir = options.tempDir ?? defaultTempDir();
  sweepStaging(baseTempDir);
  const stagingDir = createStagingDir(baseTempDir);
  const temporary = options.libraryPath === TEMPORARY_LIBRARY;
  const libraryPath = temporary ? join(stagingDir, TEMPORARY_LIBRARY_FILE) : options.libraryPath;
  let db: Db;
  try {
    db = openLibrary(libraryPath, { readOnly });
    // Nothing in it has to survive a crash: no fsync, and the rollback journal in memory (a new
    // file only grows, and SQLite journals only the pages a transaction finds already there, so
    // that journal stays small) rather than a WAL that would write every page twice.
    if (temporary) {
      db.pragma('journal_mode = MEMORY');
      db.pragma('synchronous = OFF');
    }
  } catch (error) {
    rmSync(stagingDir, { recursive: true, force: true });
    throw error;
  }
  const now = (): string => new Date().toISOString();
  let ownership: Ownership | null = null;
  if (!readOnly) {
    try {
      ownership = claimOwnership(db);
      purgeDeletedRuns(db, new Date(Date.now() - UNDO_WINDOW_MS).toISOString());
    } catch (error) {
      ownership?.release();
      closeLibrary(db);
      rmSync(stagingDir, { recursive: true, force: true });
      throw error;
    }
  }
  const events = new EventBus();
  const pool = new WorkerPool({ workerPath: options.workerPath, size: options.threads });
  const ctx: ServiceContext = {
    db,
    pool,
    events,
    jobs: new JobRegistry({ events }),
    app: {
      name: PRODUCT_NAME,
      version: APP_VERSION,
      engineVersion: ENGINE_VERSION,
      mode: options.mode,
      libraryPath,
      ...(temporary ? { libraryIsTemporary: true } : {}),
      tempDir: stagingDir,
      versions: { node: process.versions.node, sqlite: sqliteVersion(db), ...options.versions },
    },
    now,
    owner: ownership?.id ?? null,
    matrices: new MatrixCache(),
    imports: new Map(),
    calibration: { rate: null },
    ...(options.memoryBudget !== undefined ? { memoryBudget: options.memoryBudget } : {}),
  };
  return {
    ctx,
    handlers: createHandlers(ctx),
    close: async () => {
      // This process's jobs still queued or running are interrupted, not cancelled: mark them first,
      // so the jobs' own rejection handlers (which only touch queued or running rows) leave them so.
      // Other processes' jobs are theirs and stay as they are.
      ownership?.release();
      // Job folders being made stop between pieces and remove what they wrote.
      cancelAllClusterExports(ctx);
      await pool.close();
      // Give the jobs' rejection handlers a turn before the library closes under them.
      await new Promise((resolve) => setImmediate(resolve));
      closeLibrary(db);
      // Open transfers hold files in the staging folder (Windows cannot remove a file held open).
      await closeAllDownloads(ctx).catch(() => undefined);
      await closeAllUploads(ctx).catch(() => undefined);
      rmSync(stagingDir, { recursive: true, force: true });
    },
  };
}

function sqliteVersion(db: ServiceContext['db']): string {
  return (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
}
