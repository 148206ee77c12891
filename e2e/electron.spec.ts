import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';
import { foundationFlow } from './flows';

/**
 * The real desktop app through Playwright's Electron driver, running the same flow as the browser
 * e2e. Where no Electron binary exists (offline machines cannot download it) the test is skipped
 * and says why.
 */
const require = createRequire(import.meta.url);

/** The installed Electron binary, found without triggering electron's own download-on-require. */
function electronBinary(): { path: string | null; reason: string } {
  try {
    const dir = dirname(require.resolve('electron/package.json'));
    const pathFile = join(dir, 'path.txt');
    if (!existsSync(pathFile)) {
      return {
        path: null,
        reason:
          'node_modules/electron has no binary; `npx install-electron` downloads it and needs network access',
      };
    }
    const binary = join(dir, 'dist', readFileSync(pathFile, 'utf8'));
    return existsSync(binary) ? { path: binary, reason: '' } : { path: null, reason: `${binary} is missing` };
  } catch (error) {
    return { path: null, reason: (error as Error).message };
  }
}

const binary = electronBinary();

test.describe('desktop app', () => {
  test.skip(!binary.path, `no Electron binary on this machine (${binary.reason})`);

  test('opens a sandboxed window whose renderer reaches main only through the preload, and runs the foundation flow', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nmf-electron-'));
    try {
      const app = await electron.launch({
        executablePath: binary.path!,
        args: [process.cwd()],
        env: { ...process.env, NMF_STUDIO_DB: join(dir, 'library.sqlite') },
      });
      const window = await app.firstWindow();
      await expect(window).toHaveTitle(/NMF Studio/);
      const exposure = await window.evaluate(() => ({
        bridge: typeof (window as unknown as { nmfStudio?: unknown }).nmfStudio,
        node: typeof (globalThis as unknown as { require?: unknown }).require,
        process: typeof (globalThis as unknown as { process?: unknown }).process,
      }));
      expect(exposure).toEqual({ bridge: 'object', node: 'undefined', process: 'undefined' });
      const info = await window.evaluate(() =>
        (window as unknown as { nmfStudio: { 'app:info': (r: object) => Promise<unknown> } }).nmfStudio[
          'app:info'
        ]({}),
      );
      expect(info).toEqual(expect.objectContaining({ ok: true }));
      await foundationFlow(window, { screenshotPrefix: 'electron', restart: async () => window });
      await app.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
