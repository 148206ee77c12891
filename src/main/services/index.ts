import { ENGINE_VERSION } from '../../shared/domain';
import { openLibrary } from '../db/connection';
import { markUnfinishedRunsInterrupted, purgeDeletedRuns } from '../db/queries/runs';
import { markUnfinishedSweepsInterrupted } from '../db/queries/sweeps';
import { markUnfinishedConsensusInterrupted } from '../db/queries/consensus';
import { defaultTempDir, PRODUCT_NAME } from '../paths';
import { WorkerPool } from '../workers/pool';
import type { AppFacts, ServiceContext } from './context';
import type { Handlers } from './dispatch';
import { EventBus } from './events';
import { createHandlers } from './handlers';
import { JobRegistry } from './jobs';
import { APP_VERSION } from './version';

export interface ServicesOptions {
  libraryPath: string;
  workerPath: string;
  mode: AppFacts['mode'];
  threads?: number;
  tempDir?: string;
  versions?: Record<string, string>;
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
 * The composition root: opens the library, marks whatever a previous process left queued or
 * running as interrupted, starts the worker pool, and wires the handlers.
 */
export function createServices(options: ServicesOptions): Services {
  const db = openLibrary(options.libraryPath);
  const now = (): string => new Date().toISOString();
  markUnfinishedRunsInterrupted(db, now());
  markUnfinishedSweepsInterrupted(db, now());
  markUnfinishedConsensusInterrupted(db, now());
  purgeDeletedRuns(db, new Date(Date.now() - UNDO_WINDOW_MS).toISOString());
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
      libraryPath: options.libraryPath,
      tempDir: options.tempDir ?? defaultTempDir(),
      versions: { node: process.versions.node, sqlite: sqliteVersion(db), ...options.versions },
    },
    now,
  };
  return {
    ctx,
    handlers: createHandlers(ctx),
    close: async () => {
      // Whatever is still queued or running is interrupted, not cancelled: mark it first, so the
      // jobs' own rejection handlers (which only touch queued or running rows) leave it that way.
      markUnfinishedRunsInterrupted(db, now());
      markUnfinishedSweepsInterrupted(db, now());
      markUnfinishedConsensusInterrupted(db, now());
      await pool.close();
      // Give the jobs' rejection handlers a turn before the library closes under them.
      await new Promise((resolve) => setImmediate(resolve));
      db.close();
    },
  };
}

function sqliteVersion(db: ServiceContext['db']): string {
  return (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
}
