import { statSync } from 'node:fs';
import type { LibraryStats } from '../../shared/domain';
import type { ServiceContext } from './context';

/** Counts and the bytes the library occupies on disk (main file plus WAL). */
export function libraryStats(ctx: ServiceContext): LibraryStats {
  const count = (sql: string): number => (ctx.db.prepare(sql).get() as { n: number }).n;
  const path = ctx.app.libraryPath;
  let bytes = 0;
  if (path !== ':memory:') {
    for (const suffix of ['', '-wal', '-shm']) {
      try {
        bytes += statSync(path + suffix).size;
      } catch {
        // The WAL and shared-memory files exist only while the library is open in WAL mode.
      }
    }
  }
  return {
    datasets: count('SELECT COUNT(*) AS n FROM datasets'),
    runs: count('SELECT COUNT(*) AS n FROM runs WHERE deleted_at IS NULL AND sweep_id IS NULL'),
    sweepRuns: count('SELECT COUNT(*) AS n FROM runs WHERE deleted_at IS NULL AND sweep_id IS NOT NULL'),
    sweeps: count('SELECT COUNT(*) AS n FROM sweeps'),
    bytesOnDisk: bytes,
    path,
  };
}
