#!/usr/bin/env node
// Smoke test of a packaged NMF Studio (after `npm run package`): launches the app as built into
// dist/ — not the development tree — with a data file on its command line, as a file manager's
// "Open with" does, and checks that
//   1. a window opens and answers an IPC request (`app:info` returns ok, in Electron mode);
//   2. the file given on the command line is imported and the window shows its dataset page;
//   3. a fit runs to completion, which needs the worker thread (unpacked from app.asar) and
//      better-sqlite3 compiled for Electron.
// Usage: node e2e/packaged-smoke.mjs [path/to/executable]   (Linux: under xvfb-run)
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron as electron } from '@playwright/test';

/**
 * What the preload exposes on the window (src/preload/index.ts), as the page.evaluate bodies see it.
 * @typedef {{ nmfStudio: import('../src/shared/api/client').PreloadBridge }} AppWindow
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

/** The packaged executable electron-builder left in dist/ for this OS and CPU. */
function findExecutable() {
  const folders = existsSync(dist) ? readdirSync(dist) : [];
  const candidates = [];
  if (process.platform === 'linux')
    for (const folder of folders.filter((name) => /^linux(-\w+)?-unpacked$/.test(name)))
      candidates.push(join(dist, folder, 'nmf-studio'));
  if (process.platform === 'win32')
    for (const folder of folders.filter((name) => /^win(-\w+)?-unpacked$/.test(name)))
      candidates.push(join(dist, folder, 'NMF Studio.exe'));
  if (process.platform === 'darwin') {
    // Prefer the build for this machine's CPU: the other one would run under Rosetta, if at all.
    const preferred = process.arch === 'arm64' ? ['mac-arm64', 'mac'] : ['mac', 'mac-arm64'];
    for (const folder of preferred.filter((name) => folders.includes(name)))
      candidates.push(join(dist, folder, 'NMF Studio.app', 'Contents', 'MacOS', 'NMF Studio'));
  }
  return candidates.find((path) => existsSync(path));
}

/**
 * @param {unknown} condition
 * @param {string} message
 * @returns {asserts condition}
 */
function check(condition, message) {
  if (!condition) throw new Error(message);
  console.log(`packaged-smoke: ok — ${message}`);
}

/**
 * @template T
 * @param {string} what
 * @param {() => Promise<T | null | undefined | false>} probe
 * @param {number} timeoutMs
 * @returns {Promise<T>}
 */
async function poll(what, probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const executable = process.argv[2] ?? findExecutable();
if (!executable || !existsSync(executable)) {
  console.error(`packaged-smoke: no packaged app found (looked in ${dist}); run npm run package first`);
  process.exit(1);
}
console.log(`packaged-smoke: launching ${executable}`);

// A private library and data folder, so the test neither reads nor changes the user's.
const scratch = mkdtempSync(join(tmpdir(), 'nmf-smoke-'));
const library = join(scratch, 'library.sqlite');
const dataFile = join(scratch, 'smoke-counts.tsv');
const rows = ['gene\ts1\ts2\ts3\ts4\ts5\ts6'];
for (let i = 0; i < 12; i++)
  rows.push(
    [
      `g${i}`,
      ...Array.from({ length: 6 }, (_, j) => ((i * 7 + j * 3) % 11) + (i % 3 === j % 3 ? 20 : 1)),
    ].join('\t'),
  );
writeFileSync(dataFile, rows.join('\n') + '\n');

const app = await electron.launch({
  executablePath: executable,
  args: [dataFile],
  env: { ...process.env, NMF_STUDIO_DB: library, XDG_CONFIG_HOME: scratch, APPDATA: scratch },
  timeout: 60_000,
});
let failed = false;
try {
  const page = await app.firstWindow({ timeout: 60_000 });
  await page.waitForFunction(() => 'nmfStudio' in window, null, { timeout: 30_000 });

  const info = await page.evaluate(() =>
    /** @type {AppWindow} */ (/** @type {unknown} */ (window)).nmfStudio['app:info']({}),
  );
  check(
    info.ok === true,
    `app:info answers over IPC (${JSON.stringify(info.ok ? info.value.versions : info)})`,
  );
  check(info.value.mode === 'electron', 'the window talks to the desktop app, not browser mode');
  check(
    info.value.libraryPath === library,
    `the library is the one NMF_STUDIO_DB names (${info.value.libraryPath})`,
  );

  const hash = await poll(
    'the file on the command line to be imported and shown',
    () => page.evaluate(() => (/^#\/datasets\/\d+$/.test(location.hash) ? location.hash : null)),
    60_000,
  );
  check(true, `the file on the command line was imported and its page shown (${hash})`);
  const datasetId = Number(hash.split('/').pop());

  const started = await page.evaluate(
    (id) =>
      /** @type {AppWindow} */ (/** @type {unknown} */ (window)).nmfStudio['runs:start']({
        datasetId: id,
        params: { rank: 2, maxIter: 50, seed: 1 },
      }),
    datasetId,
  );
  check(
    started.ok === true,
    `a fit starts (${started.ok ? `run ${started.value.id}` : JSON.stringify(started)})`,
  );
  const finished = await poll(
    'the fit to finish',
    async () => {
      const run = await page.evaluate(
        (id) => /** @type {AppWindow} */ (/** @type {unknown} */ (window)).nmfStudio['runs:get']({ id }),
        started.value.id,
      );
      if (!run.ok) throw new Error(`runs:get failed: ${JSON.stringify(run)}`);
      return ['done', 'failed', 'cancelled', 'interrupted'].includes(run.value.state) ? run.value : null;
    },
    120_000,
  );
  check(
    finished.state === 'done',
    `the fit ran in a worker thread and was stored (state ${finished.state}${finished.error ? `: ${finished.error}` : ''})`,
  );
} catch (error) {
  failed = true;
  console.error(`packaged-smoke: FAILED — ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await app.close().catch(() => undefined);
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
