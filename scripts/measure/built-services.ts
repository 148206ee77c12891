/**
 * The services the measurement scripts run on: a library file, and the pool's workers from the
 * built worker (`npx electron-vite build` first), as the command line and the app run them.
 */
import { fileURLToPath } from 'node:url';
import { createServices, type Services } from '../../src/main/services';

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
