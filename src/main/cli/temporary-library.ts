import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Services } from '../services';

/**
 * `--no-save`: the command's library is a file of its own in the process's staging folder
 * (`<temp>/nmf-studio-staging-<uid>/<pid>-<random>/no-save-library.sqlite`, services/index.ts).
 * `Services.close` removes that folder when the command ends, whether it succeeded or failed; this
 * removes it too when the process is stopped by a signal (Ctrl-C, `kill`, a closed terminal) or
 * ends without closing its services, where no `finally` runs. A process killed outright (SIGKILL,
 * a power cut) leaves the folder; the next start of nmf-studio or the app removes the folders of
 * processes that no longer exist (staging.ts, `sweepStaging`).
 */

/** The signals after which the folder is removed; the process then ends by the same signal. */
const STOPPING_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Removes the temporary library's folder when the process is stopped before `services.close`
 * does; `services.close` itself stops watching. Services on any other library are returned as
 * they are.
 */
export function removedOnSignal(services: Services): Services {
  const { app, db } = services.ctx;
  if (app.libraryIsTemporary !== true) return services;
  const folder = dirname(app.libraryPath);
  const removeNow = (): void => {
    // Closed first (Windows cannot remove a file held open); nothing in it is kept, so no more.
    try {
      if (db.open) db.close();
    } catch {
      // Removed all the same below (an open file can be unlinked elsewhere).
    }
    rmSync(folder, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    stopWatching();
    removeNow();
    // Ended by the signal itself, as without this handler (exit status 128 + its number in a shell).
    process.kill(process.pid, signal);
  };
  const stopWatching = (): void => {
    for (const signal of STOPPING_SIGNALS) process.off(signal, onSignal);
    process.off('exit', removeNow);
  };
  for (const signal of STOPPING_SIGNALS) process.on(signal, onSignal);
  process.on('exit', removeNow);
  return {
    ...services,
    close: async () => {
      try {
        await services.close();
      } finally {
        stopWatching();
      }
    },
  };
}
