/**
 * Peak memory of a dataset import through the window, in browser mode: the real server
 * (`<out>/main/cli.js serve`, the main process) and Debian's headless Chromium, driven over the
 * DevTools protocol, pick a file on the Import screen (Chromium reads it from disk, as for a user),
 * wait for the preview, import it and wait for the result. Prints one JSON line: the file's size,
 * the seconds from picking to the result, and the peak resident memory (VmHWM, Linux) of the server
 * and of each kind of Chromium process (the page's renderer, the network service that carries the
 * request bodies, the browser). Chromium is driven without Playwright on purpose: Playwright's
 * network tracking copies every request body into one protocol message, which fails (a string over
 * 2²⁹ characters) for the 180 MB body the window used to send.
 *
 *   npx electron-vite build      # out/ must hold the code measured (or pass another build folder)
 *   node bin/nmf-studio.js synth --cells 100000 --features 2000 --rank 20 --format h5ad --out D
 *   node --experimental-websocket scripts/measure/window-import.mjs D/cells.h5ad [out]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { openWindow } from './browser-harness.mjs';

const file = process.argv[2];
const outDir = process.argv[3] ?? 'out';
if (!file)
  throw new Error('usage: node --experimental-websocket scripts/measure/window-import.mjs FILE [OUT]');
const dir = mkdtempSync(join(tmpdir(), 'nmf-measure-window-'));
const { send, evaluate, until, log, peaks, close } = await openWindow({ dir, outDir });
await evaluate(`window.location.hash = '#/import'`);
await until(`document.querySelector('[data-testid="import-file"]') !== null`);
const started = performance.now();
log('picking the file');
const { root } = await send('DOM.getDocument');
const { nodeId } = await send('DOM.querySelector', {
  nodeId: root.nodeId,
  selector: '[data-testid="import-file"]',
});
await send('DOM.setFileInputFiles', { nodeId, files: [resolve(file)] });
await until(
  `[...document.querySelectorAll('h2')].some((h) => h.textContent === 'Preview') || document.querySelector('[role=alert]')?.textContent`,
);
log('preview shown');
// The dataset's name as the form proposes it (datasetNameFor): the screen's title once imported.
const name = await evaluate(`document.getElementById('import-name')?.value ?? ''`);
await evaluate(
  `[...document.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Import').click()`,
);
const outcome = await until(
  `document.querySelector('[role=alert]')?.textContent || (document.body.textContent.includes('Imported with warnings') && 'warnings') || (document.querySelector('h1')?.textContent === ${JSON.stringify(name)} && 'dataset')`,
);
log(`finished: ${outcome}`);
const seconds = (performance.now() - started) / 1000;

const { serverPeakMiB, chromiumPeakMiB } = peaks();
await close();
rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    file: basename(file),
    megabytes: +(statSync(file).size / 1e6).toFixed(1),
    build: outDir,
    outcome,
    seconds: +seconds.toFixed(1),
    serverPeakMiB,
    chromiumPeakMiB,
  }),
);
