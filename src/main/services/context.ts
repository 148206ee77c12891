import type { Db } from '../db/connection';
import type { WorkerPool } from '../workers/pool';
import type { EventBus } from './events';
import type { JobRegistry } from './jobs';

/** Facts about the running app that services report or record in provenance. */
export interface AppFacts {
  name: string;
  version: string;
  engineVersion: string;
  mode: 'electron' | 'browser' | 'cli';
  libraryPath: string;
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
}
