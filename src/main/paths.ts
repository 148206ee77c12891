import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/** The product name, which is also the folder name of the app's data on every OS. */
export const PRODUCT_NAME = 'NMF Studio';

/**
 * The OS's application-data folder for NMF Studio — the same folder Electron's
 * `app.getPath('userData')` gives (Linux `$XDG_CONFIG_HOME` or ~/.config, macOS
 * ~/Library/Application Support, Windows %APPDATA%), so the CLI and the desktop app share a library.
 */
export function userDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), PRODUCT_NAME);
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', PRODUCT_NAME);
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), PRODUCT_NAME);
}

/** The library file: `NMF_STUDIO_DB` if set, else `library.sqlite` in the app-data folder. */
export function defaultLibraryPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.NMF_STUDIO_DB || join(userDataDir(env), 'library.sqlite');
}

export function defaultTempDir(): string {
  return tmpdir();
}
