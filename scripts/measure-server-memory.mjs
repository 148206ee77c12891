// Peak memory of a browser-mode server (`nmf-studio serve`) answering hostile or large requests:
// a 1 MiB frame whose JSON refers to one array 480 times, and a 200 MB upload to datasets:inspect.
// Usage: node scripts/measure-server-memory.mjs [path/to/out/main/cli.js]
// Prints the server's peak resident memory (VmHWM, Linux) before and after each request.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const cli = resolve(process.argv[2] ?? 'out/main/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'nmf-measure-'));

/** @param {number | undefined} pid */
function peakMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  if (match === null) throw new Error(`no VmHWM in /proc/${pid}/status (this measure needs Linux)`);
  return Number(match[1]) / 1024;
}

/**
 * An NMF1 frame (src/shared/api/codec.ts) with `json` and one array of `bytes`, referenced as the JSON says.
 * @param {string} json
 * @param {Uint8Array} bytes
 */
function frame(json, bytes) {
  const text = new TextEncoder().encode(json);
  const tableStart = (8 + text.length + 7) & ~7;
  const dataStart = (tableStart + 8 + 7) & ~7;
  const out = new Uint8Array(dataStart + bytes.length);
  out.set([0x4e, 0x4d, 0x46, 0x31]);
  const view = new DataView(out.buffer);
  view.setUint32(4, text.length, true);
  out.set(text, 8);
  view.setUint32(tableStart, dataStart, true);
  view.setUint32(tableStart + 4, bytes.length, true);
  out.set(bytes, dataStart);
  return out;
}

const server = spawn(
  process.execPath,
  [cli, 'serve', '--db', join(dir, 'library.sqlite'), '--threads', '1'],
  {
    env: { ...process.env, NMF_STUDIO_CLI: '1', TMPDIR: dir },
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
/** @type {URL} */
const url = await new Promise((resolveUrl) => {
  let text = '';
  server.stdout.on('data', (d) => {
    text += d;
    const match = /(http:\/\/\S+)/.exec(text);
    if (match) resolveUrl(new URL(match[1]));
  });
});
const token = url.searchParams.get('token');
/**
 * @param {string} channel
 * @param {Uint8Array} body
 */
async function post(channel, body) {
  const started = Date.now();
  const res = await fetch(new URL(`/api/${channel}`, url), {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/x-nmf-frame' },
    body,
  });
  const text = Buffer.from(await res.arrayBuffer()).toString('latin1');
  return {
    status: res.status,
    ms: Date.now() - started,
    text: text.replace(/[^\x20-\x7e]+/g, ' ').slice(0, 160),
  };
}

await new Promise((r) => setTimeout(r, 500));
console.log(`server ${cli}: peak at start ${peakMb(server.pid).toFixed(0)} MB`);

const refs = Array.from({ length: 480 }, () => '{"$typed":"Uint8Array","i":0}').join(',');
const repeated = frame(`{"file":{"fileName":"x.tsv","bytes":[${refs}]}}`, new Uint8Array(1 << 20));
let result = await post('datasets:inspect', repeated);
console.log(
  `1 MiB frame, one array referenced 480 times: HTTP ${result.status} in ${result.ms} ms, peak ${peakMb(server.pid).toFixed(0)} MB — ${result.text}`,
);

const line = 'gene\t' + Array.from({ length: 40 }, (_, j) => `s${j}`).join('\t') + '\n';
/** @param {number} i */
const row = (i) => `g${i}\t` + Array.from({ length: 40 }, (_, j) => (i * j) % 97).join('\t') + '\n';
const chunks = [line];
let size = line.length;
for (let i = 0; size < 200e6; i++) {
  const r = row(i);
  chunks.push(r);
  size += r.length;
}
const upload = new TextEncoder().encode(chunks.join(''));
const json = JSON.stringify({
  file: { fileName: 'big.tsv', bytes: { $typed: 'Uint8Array', i: 0 } },
  maxRows: 5,
});
const body = frame(json, upload);
result = await post('datasets:inspect', body);
console.log(
  `${(upload.length / 1e6).toFixed(0)} MB upload to datasets:inspect: HTTP ${result.status} in ${result.ms} ms, peak ${peakMb(server.pid).toFixed(0)} MB`,
);
server.kill('SIGTERM');
await new Promise((r) => server.on('exit', r));
rmSync(dir, { recursive: true, force: true });
