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
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const library = process.argv[2];
const runId = Number(process.argv[3]);
const outDir = process.argv[4] ?? 'out';
if (!library || !Number.isInteger(runId))
  throw new Error('usage: node --experimental-websocket scripts/measure/run-screen.mjs LIBRARY RUN_ID [OUT]');
const dir = mkdtempSync(join(tmpdir(), 'nmf-measure-run-'));
copyFileSync(library, join(dir, 'library.sqlite'));
const t0 = performance.now();
const log = (/** @type {string} */ step) =>
  process.stderr.write(`${((performance.now() - t0) / 1000).toFixed(1)} s: ${step}\n`);
const sleep = (/** @type {number} */ ms) => new Promise((done) => setTimeout(done, ms));

/**
 * VmHWM (peak resident set) of a process, in MiB; null once it is gone.
 * @param {number | undefined} pid
 * @returns {number | null}
 */
function peakMiB(pid) {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : null;
  } catch {
    return null;
  }
}

/**
 * Every process descending from `root`, with its command line.
 * @param {number} root
 * @returns {Array<{ pid: number; cmdline: string }>}
 */
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
      if (p !== root) continue;
      try {
        out.push({ pid, cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ') });
      } catch {
        // gone meanwhile
      }
      break;
    }
  }
  return out;
}

/**
 * Starts a process and resolves with the first match of `pattern` in its output.
 * @param {string} command
 * @param {string[]} args
 * @param {import('node:child_process').SpawnOptions} options
 * @param {'stdout' | 'stderr'} stream
 * @param {RegExp} pattern
 */
function startAndMatch(command, args, options, stream, pattern) {
  const child = spawn(command, args, options);
  /** @type {Promise<string>} */
  const found = new Promise((done, fail) => {
    let text = '';
    child[stream]?.on('data', (/** @type {Buffer} */ chunk) => {
      text += chunk;
      const match = pattern.exec(text);
      if (match) done(match[1]);
    });
    child.on('exit', (code) => fail(new Error(`${command} exited with ${code}`)));
  });
  return { child, found };
}

const server = startAndMatch(
  process.execPath,
  [
    join(outDir, 'main', 'cli.js'),
    'serve',
    '--db',
    join(dir, 'library.sqlite'),
    '--port',
    '0',
    '--threads',
    '1',
  ],
  { env: { ...process.env, NMF_STUDIO_CLI: '1', TMPDIR: dir }, stdio: ['ignore', 'pipe', 'inherit'] },
  'stdout',
  /(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/,
);
const url = await server.found;
const browser = startAndMatch(
  process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
    `--user-data-dir=${join(dir, 'profile')}`,
    '--remote-debugging-port=0',
    'about:blank',
  ],
  { stdio: ['ignore', 'ignore', 'pipe'] },
  'stderr',
  /DevTools listening on (ws:\/\/\S+)/,
);
const browserWs = await browser.found;
const port = new URL(browserWs).port;
const targets = /** @type {Array<{ type: string; webSocketDebuggerUrl: string }>} */ (
  await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()
);
const socket = new WebSocket(
  /** @type {{ webSocketDebuggerUrl: string }} */ (targets.find((t) => t.type === 'page'))
    .webSocketDebuggerUrl,
);
await new Promise((done) => socket.addEventListener('open', done, { once: true }));
let nextId = 0;
/** @type {Map<number, (message: any) => void>} */
const pending = new Map();
socket.addEventListener('message', (event) => {
  const message = JSON.parse(event.data);
  if (message.id !== undefined) pending.get(message.id)?.(message);
});
/**
 * @param {string} method
 * @param {object} [params]
 * @returns {Promise<any>}
 */
function send(method, params = {}) {
  const id = ++nextId;
  socket.send(JSON.stringify({ id, method, params }));
  return new Promise((done, fail) =>
    pending.set(id, (message) =>
      message.error ? fail(new Error(message.error.message)) : done(message.result),
    ),
  );
}
const evaluate = async (/** @type {string} */ expression) =>
  (await send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true })).result.value;
/** @param {string} expression */
async function until(expression) {
  for (;;) {
    const value = await evaluate(expression);
    if (value) return value;
    await sleep(250);
  }
}

await send('Page.navigate', { url });
await until(`document.querySelector('h1')?.textContent === 'Library'`);
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

/** @type {Record<string, number>} */
const chromiumPeaks = {};
for (const { pid, cmdline } of descendants(process.pid)) {
  if (pid === server.child.pid || !/chrom/i.test(cmdline)) continue;
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
const serverPeak = peakMiB(server.child.pid);
socket.close();
for (const child of [browser.child, server.child]) {
  child.kill('SIGTERM');
  await new Promise((done) => (child.exitCode !== null ? done(null) : child.once('exit', done)));
}
rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    run: runId,
    build: outDir,
    outcome,
    seconds: +seconds.toFixed(1),
    serverPeakMiB: serverPeak,
    chromiumPeakMiB: chromiumPeaks,
  }),
);
