/**
 * The services the measurement scripts run on: a library file, and the pool's workers from the
 * built worker (`npx electron-vite build` first), as the command line and the app run them.
 */
import { fileURLToPath } from 'node:url';
import { createServices, type Services } from '../../src/main/services';
import { engineRate } from '../../src/main/services/calibrate';
import type { SweepParamsInput } from '../../src/shared/domain';

export function servicesOnLibrary(
  libraryPath: string,
  options: { mode?: 'browser' | 'cli'; threads?: number; readOnly?: boolean } = {},
): Services {
  return createServices({
    libraryPath,
    workerPath: fileURLToPath(new URL('../../out/main/nmf.worker.js', import.meta.url)),
    mode: options.mode ?? 'browser',
    threads: options.threads,
    ...(options.readOnly ? { readOnly: true } : {}),
  });
}

/**
 * Services for a forecast measurement (run-forecast.ts, sweep-forecast.ts): the pool's workers
 * started, and the calibration rate measured once they have, as the app's first estimate would be.
 */
export async function forecastServices(
  libraryPath: string,
  threads: number,
): Promise<{ services: Services; rate: number }> {
  const services = servicesOnLibrary(libraryPath, { threads });
  services.ctx.pool.warm();
  await new Promise((resolve) => setTimeout(resolve, 3000));
  return { services, rate: engineRate(services.ctx) };
}

/** The threads an estimate spread its work over, as its basis names them ("on 2 thread(s)"). */
export function estimateThreads(estimate: { basis: string }): number {
  return Number(/on (\d+) thread\(s\)/.exec(estimate.basis)?.[1] ?? 1);
}

/** The process's CPU seconds over all its threads, its workers' included, since `before`. */
export function cpuSecondsSince(before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

/**
 * A sweep named in words, as the measurement scripts take it: dataset=ID, ranks=A..B, seed=S, and
 * optionally replicates=R, folds=F, consensus=C, baseline=0, maxIter=N.
 */
export function sweepOf(words: string): { datasetId: number; params: SweepParamsInput } {
  const field = Object.fromEntries(words.split(/\s+/).map((word) => word.split('=') as [string, string]));
  const [fromRank, toRank] = (field.ranks ?? '').split('..').map(Number);
  if (!field.dataset || !Number.isInteger(fromRank) || !Number.isInteger(toRank))
    throw new Error(`a sweep needs dataset=ID and ranks=A..B: ${words}`);
  return {
    datasetId: Number(field.dataset),
    params: {
      fromRank,
      toRank,
      ...(field.replicates ? { replicates: Number(field.replicates) } : {}),
      ...(field.folds ? { cvFolds: Number(field.folds) } : {}),
      ...(field.consensus ? { consensusReplicates: Number(field.consensus) } : {}),
      ...(field.baseline === '0' ? { baseline: false } : {}),
      fit: {
        seed: Number(field.seed ?? 0),
        ...(field.maxIter ? { maxIter: Number(field.maxIter) } : {}),
      },
    },
  };
}
