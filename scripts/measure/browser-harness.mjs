/**
 * The browser-mode window the measurement scripts drive: the real server (`<out>/main/cli.js serve`,
 * the main process) on `<dir>/library.sqlite` and Debian's headless Chromium, driven over the
 * DevTools protocol without Playwright (Playwright's network tracking copies every request body into
 * one protocol message, which fails for bodies of hundreds of MB), opened on the Library screen.
 * `peaks()` reads the peak resident memory (VmHWM, Linux) of the server and of each kind of Chromium
 * process (the page's renderer, the network service, the browser).
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * @param {{ dir: string; outDir: string }} options `dir`: the private folder (library, temp files,
 *   Chromium profile); `outDir`: the build whose `main/cli.js` serves the window
 */
export async function openWindow({ dir, outDir }) {
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

  /** Peak memory of the server and of each kind of Chromium process, in MiB. */
  function peaks() {
    /** @type {Record<string, number>} */
    const chromiumPeakMiB = {};
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
      if (peak !== null) chromiumPeakMiB[kind] = Math.max(chromiumPeakMiB[kind] ?? 0, peak);
    }
    return { serverPeakMiB: peakMiB(server.child.pid), chromiumPeakMiB };
  }

  /** Stops Chromium and the server. */
  async function close() {
    socket.close();
    for (const child of [browser.child, server.child]) {
      child.kill('SIGTERM');
      await new Promise((done) => (child.exitCode !== null ? done(null) : child.once('exit', done)));
    }
  }

  return { send, evaluate, until, log, peaks, close };
}
