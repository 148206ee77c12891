/**
 * The services the measurement scripts run on: a library file, and the pool's workers from the
 * built worker (`npx electron-vite build` first), as the command line and the app run them.
 */
import { fileURLToPath } from 'node:url';
import { createServices, type Services } from '../../src/main/services';
import { engineRate } from '../../src/main/services/calibrate';

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
