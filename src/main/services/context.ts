import type { Db } from '../db/connection';
import type { WorkerPool } from '../workers/pool';
import type { EventBus } from './events';
import type { JobRegistry } from './jobs';
import type { MatrixCache } from './matrix-cache';

/** Facts about the running app that services report or record in provenance. */
export interface AppFacts {
  name: string;
  version: string;
  engineVersion: string;
  mode: 'electron' | 'browser' | 'cli';
  libraryPath: string;
  /**
   * The library is the process's own, in its staging folder, and goes when the services close
   * (`--no-save`): nothing stored in it can be found again.
   */
  libraryIsTemporary?: true;
  /** Where uploads are staged while they are read. */
  tempDir: string;
  versions: Record<string, string>;
}

/** Everything a service needs, passed explicitly (no globals), so tests build their own. */
export interface ServiceContext {
  db: Db;
  pool: WorkerPool;
  events: EventBus;
  jobs: JobRegistry;
  app: AppFacts;
  /** ISO-8601 timestamp; injectable for tests. */
  now(): string;
  /**
   * This process's owner id in the library (library_owners), written into every job it starts;
   * null when the library is open read-only (nothing may be started then).
   */
  owner: string | null;
  /** Dataset matrices shared by this process's running jobs (matrix-cache.ts). */
  matrices: MatrixCache;
  /** Uploads being imported, by the id the renderer chose, so they can be cancelled. */
  imports: Map<string, AbortController>;
  /** The engine's multiply-add rate once measured on this machine (calibrate.ts), else null. */
  calibration: { rate: number | null };
  /**
   * The memory budget's overrides (memory-budget.ts): the command line's `--memory-budget`, and
   * the folder of this machine's settings.json (default: the app's data folder). Absent: neither.
   */
  memoryBudget?: { overrideBytes?: number; settingsDir?: string };
}
