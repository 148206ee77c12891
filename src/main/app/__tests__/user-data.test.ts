import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultLibraryPath, PRODUCT_NAME, userDataDir } from '../../paths';

/**
 * The desktop app sets Electron's userData to `userDataDir()` (app/main.ts), and the command line
 * reports the same folder. These tests pin that folder to Electron's own default — appData plus the
 * productName from package.json — so a library made by an earlier build or by the CLI is found.
 */
describe('the application-data folder', () => {
  const packageJson = JSON.parse(
    readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8'),
  ) as {
    productName: string;
  };

  it('is named after package.json’s productName, as Electron names it', () => {
    expect(packageJson.productName).toBe(PRODUCT_NAME);
  });

  it('is Electron’s appData folder plus the product name on each OS', () => {
    expect(userDataDir({ APPDATA: 'C:\\Users\\ana\\AppData\\Roaming' }, 'win32')).toBe(
      join('C:\\Users\\ana\\AppData\\Roaming', 'NMF Studio'),
    );
    expect(userDataDir({}, 'darwin')).toBe(join(homedir(), 'Library', 'Application Support', 'NMF Studio'));
    expect(userDataDir({ XDG_CONFIG_HOME: '/srv/cfg' }, 'linux')).toBe(join('/srv/cfg', 'NMF Studio'));
    // Electron (Chromium's base::nix::GetXDGDirectory) ignores an empty XDG_CONFIG_HOME.
    expect(userDataDir({ XDG_CONFIG_HOME: '' }, 'linux')).toBe(join(homedir(), '.config', 'NMF Studio'));
    expect(userDataDir({}, 'linux')).toBe(join(homedir(), '.config', 'NMF Studio'));
  });

  it('holds the library unless NMF_STUDIO_DB names another', () => {
    expect(defaultLibraryPath({ XDG_CONFIG_HOME: '/srv/cfg' })).toBe(
      process.platform === 'win32' || process.platform === 'darwin'
        ? join(userDataDir({ XDG_CONFIG_HOME: '/srv/cfg' }), 'library.sqlite')
        : join('/srv/cfg', 'NMF Studio', 'library.sqlite'),
    );
    expect(defaultLibraryPath({ NMF_STUDIO_DB: '/tmp/other.sqlite' })).toBe('/tmp/other.sqlite');
  });
});
