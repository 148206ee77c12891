/**
 * Peak memory of a dataset import through the window, in browser mode: the real server
 * (`out/main/cli.js serve`, the main process) and Debian's Chromium driven by Playwright pick a file
 * on the Import screen, wait for the preview, import it and wait for the dataset page. Prints one
 * JSON line: the file's size, the seconds from picking to the dataset page, and the peak resident
 * memory (VmHWM, Linux) of the server and of each kind of Chromium process (the page's renderer,
 * the network service that carries the request bodies, the browser).
 *
 *   node --run build   # or: npx electron-vite build (out/ must hold the code measured)
 *   node bin/nmf-studio.js synth --cells 100000 --features 2000 --rank 20 --format h5ad --out D
 *   node scripts/measure/window-import.mjs D/cells.h5ad
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { chromium } from '@playwright/test';

const file = process.argv[2];
if (!file) throw new Error('usage: node scripts/measure/window-import.mjs FILE');
const dir = mkdtempSync(join(tmpdir(), 'nmf-measure-window-'));

/** VmHWM (peak resident set) of a process, in MiB; null once it is gone. */
function peakMiB(pid) {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : null;
  } catch {
    return null;
  }
}

/** Every process descending from `root`, with its command line. */
function descendants(root) {
  const parent = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out = [];
  for (const pid of parent.keys()) {
    for (let p = parent.get(pid); p; p = parent.get(p)) {
      if (p === root) {
        let cmdline = '';
        try {
          cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
        } catch {
          break;
        }
        out.push({ pid, cmdline });
        break;
      }
    }
  }
  return out;
}

const server = spawn(
  process.execPath,
  ['out/main/cli.js', 'serve', '--db', join(dir, 'library.sqlite'), '--port', '0', '--threads', '1'],
  { env: { ...process.env, NMF_STUDIO_CLI: '1', TMPDIR: dir }, stdio: ['ignore', 'pipe', 'inherit'] },
);
const url = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (chunk) => {
    out += chunk;
    const match = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(out);
    if (match) resolve(match[1]);
  });
  server.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
});

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
});
const page = await browser.newPage();
const log = (step) => process.stderr.write(`${((performance.now() - t0) / 1000).toFixed(1)} s: ${step}\n`);
const t0 = performance.now();
page.on('crash', () => log('the page crashed'));
page.on('pageerror', (error) => log(`page error: ${error.message}`));
await page.goto(url);
await page.getByRole('heading', { level: 1, name: 'Library' }).waitFor();
await page.evaluate(() => (window.location.hash = '#/import'));
await page.getByRole('heading', { level: 1, name: 'Import a matrix' }).waitFor();
const started = performance.now();
log('picking the file');
await page.getByTestId('import-file').setInputFiles(file);
await page.getByRole('heading', { name: 'Preview' }).waitFor({ timeout: 30 * 60_000 });
log('preview shown');
await page.getByRole('button', { name: 'Import', exact: true }).click();
const name = basename(file).replace(/\.(gz|tsv|csv|txt|mtx|npy|h5ad|h5)+$/i, '');
const alert = page.getByRole('alert');
// An import with warnings stays on the screen with them (an .h5ad ticked "Transpose" before the fix).
await page
  .getByRole('heading', { level: 1, name })
  .or(page.getByText('Imported with warnings'))
  .or(alert)
  .first()
  .waitFor({ timeout: 30 * 60_000 });
if (await alert.count()) throw new Error(`the import was refused: ${await alert.first().innerText()}`);
log('dataset shown');
const seconds = (performance.now() - started) / 1000;

const chromiumPeaks = {};
for (const { pid, cmdline } of descendants(process.pid)) {
  if (pid === server.pid || !/chrom/i.test(cmdline)) continue;
  const kind = /--type=renderer/.test(cmdline)
    ? 'renderer'
    : /--utility-sub-type=network/.test(cmdline)
      ? 'network'
      : /--type=/.test(cmdline)
        ? 'other'
        : 'browser';
  const peak = peakMiB(pid);
  if (peak !== null) chromiumPeaks[kind] = Math.max(chromiumPeaks[kind] ?? 0, peak);
}
const serverPeak = peakMiB(server.pid);
await browser.close();
server.kill('SIGTERM');
await new Promise((resolve) => server.once('exit', resolve));
rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    file: basename(file),
    megabytes: +(statSync(file).size / 1e6).toFixed(1),
    seconds: +seconds.toFixed(1),
    serverPeakMiB: serverPeak,
    chromiumPeakMiB: chromiumPeaks,
  }),
);
