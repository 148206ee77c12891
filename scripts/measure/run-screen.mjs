/**
 * Peak memory and time of the Run screen of a stored run, in browser mode: the real server
 * (`<out>/main/cli.js serve`, the main process) on a copy of the library given, and Debian's
 * headless Chromium driven over the DevTools protocol (as window-import.mjs), open the run and wait
 * until its views are drawn (the activation chart's heading and the coefficient map's figure, or
 * an error). Prints one JSON line: the seconds from navigation to drawn, and the peak resident
 * memory (VmHWM, Linux) of the server and of each kind of Chromium process.
 *
 *   npx electron-vite build      # out/ must hold the code measured (or pass another build folder)
 *   node --experimental-websocket scripts/measure/run-screen.mjs LIBRARY.sqlite RUN_ID [out]
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWindow } from './browser-harness.mjs';

const library = process.argv[2];
const runId = Number(process.argv[3]);
const outDir = process.argv[4] ?? 'out';
if (!library || !Number.isInteger(runId))
  throw new Error('usage: node --experimental-websocket scripts/measure/run-screen.mjs LIBRARY RUN_ID [OUT]');
const dir = mkdtempSync(join(tmpdir(), 'nmf-measure-run-'));
copyFileSync(library, join(dir, 'library.sqlite'));
const { evaluate, until, log, peaks, close } = await openWindow({ dir, outDir });
log('library shown');
const started = performance.now();
await evaluate(`window.location.hash = '#/runs/${runId}'`);
const outcome = await until(
  `document.querySelector('[role=alert]')?.textContent || (document.getElementById('act-h') && document.querySelector('.figure-svg svg') && [...document.querySelectorAll('canvas')].length >= 2 && 'drawn')`,
);
// Two frames more, so the canvases' drawing (an effect after the markup) is counted.
await evaluate(`new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))`);
log(`finished: ${outcome}`);
const seconds = (performance.now() - started) / 1000;

const { serverPeakMiB, chromiumPeakMiB } = peaks();
await close();
rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    run: runId,
    build: outDir,
    outcome,
    seconds: +seconds.toFixed(1),
    serverPeakMiB,
    chromiumPeakMiB,
  }),
);
