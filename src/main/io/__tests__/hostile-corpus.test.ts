import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, type Result } from '../../../shared/api';

/**
 * The hostile corpus (scripts/fixtures/make-hostile-corpus.mjs), generated into a temporary folder
 * and imported through the command line and through the browser-mode server, each in a child
 * process of its own so that its peak memory can be measured. Memory is asserted, not time.
 */
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..', '..');

/**
 * Peak resident memory the corpus may add to a process, over its baseline once started (and
 * h5wasm loaded: under the tsx loader the tests run with, that alone takes about 600 MB; the built
 * command line reads each file of the corpus within 250 MB in all).
 */
const PEAK_RSS_MIB = 300;

interface HostileCase {
  name: string;
  refuse: boolean;
  expect: string[];
  /** Needs files beside it (10x companions), which an upload does not bring. */
  cliOnly?: boolean;
}

let dir: string;
let cases: HostileCase[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nmf-hostile-'));
  const script = pathToFileURL(join(root, 'scripts', 'fixtures', 'make-hostile-corpus.mjs')).href;
  const { writeHostileCorpus } = (await import(script)) as {
    writeHostileCorpus: (folder: string) => Promise<HostileCase[]>;
  };
  cases = await writeHostileCorpus(join(dir, 'corpus'));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a TypeScript entry under Node with tsx, as the sources run in development. */
function tsNode(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: root,
    env: { ...process.env, NMF_STUDIO_CLI: '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

function collect(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('hostile input files', () => {
  it('through the command line: each refused with exit 2 and one line naming file and place; memory bounded', async () => {
    const child = tsNode([join(here, 'corpus-child.ts'), join(dir, 'cli.sqlite')]);
    const done = collect(child);
    child.stdin!.end(cases.map((c) => join(dir, 'corpus', c.name)).join('\n') + '\n');
    const { code, stdout, stderr } = await done;
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const [first, ...rest] = stdout.trim().split('\n');
    const { baselineMiB } = JSON.parse(first) as { baselineMiB: number };
    const results = rest.map(
      (line) => JSON.parse(line) as { file: string; code: number; stderr: string; maxRssMiB: number },
    );
    expect(results.length).toBe(cases.length);
    for (const [k, c] of cases.entries()) {
      const r = results[k];
      if (!c.refuse) {
        expect(r.code, `${c.name}: ${r.stderr}`).toBe(0);
        continue;
      }
      expect(r.code, `${c.name}: ${r.stderr}`).toBe(2);
      // One line naming the problem, then, when the file had several, one indented line each.
      const lines = r.stderr.split('\n');
      expect(lines.length, `${c.name}: ${r.stderr}`).toBeGreaterThanOrEqual(2);
      expect(lines.length, `${c.name}: ${r.stderr}`).toBeLessThanOrEqual(23);
      expect(lines[lines.length - 1]).toBe('');
      // The file is named first (its control characters escaped), then the place and the value.
      expect(lines[0].startsWith('nmf-studio: '), r.stderr).toBe(true);
      for (const line of lines.slice(1, -1)) expect(line.startsWith('  '), r.stderr).toBe(true);
      // eslint-disable-next-line no-control-regex -- the point is that none reach the terminal
      expect(r.stderr.replaceAll('\n', ''), c.name).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/);
      for (const part of c.expect) expect(lines[0], c.name).toContain(part);
    }
    const peak = Math.max(...results.map((r) => r.maxRssMiB));
    expect(peak - baselineMiB).toBeLessThan(PEAK_RSS_MIB);
  }, 240_000);

  it('through the browser-mode server: bad_input with the location, nothing stored, other requests answered meanwhile', async () => {
    const server = tsNode(
      [
        join(root, 'src', 'main', 'cli', 'index.ts'),
        'serve',
        '--db',
        join(dir, 'server.sqlite'),
        '--port',
        '0',
      ],
      { NMF_STUDIO_CLI: '1', TMPDIR: dir },
    );
    const exited = collect(server);
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error('server did not start')), 60_000);
        server.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /(http:\/\/127\.0\.0\.1:\d+)\/\?token=([0-9a-f]+)/.exec(out);
          if (match) {
            clearTimeout(timer);
            resolve(`${match[1]} ${match[2]}`);
          }
        });
      });
      const [origin, token] = url.split(' ');
      const port = Number(new URL(origin).port);
      const call = (channel: string, body: unknown): Promise<Result<unknown>> =>
        new Promise((resolve, reject) => {
          const payload = encodeFrame(body);
          const req = request(
            {
              host: '127.0.0.1',
              port,
              method: 'POST',
              path: `/api/${channel}`,
              headers: {
                Host: `127.0.0.1:${port}`,
                Authorization: `Bearer ${token}`,
                'Content-Type': 'application/x-nmf-frame',
                'Content-Length': String(payload.byteLength),
              },
            },
            (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('end', () => {
                const bytes = Buffer.concat(chunks);
                resolve(
                  decodeFrame(
                    new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
                  ) as Result<unknown>,
                );
              });
            },
          );
          req.on('error', reject);
          req.end(payload);
        });

      const peakRss = (): number =>
        Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
      // Warm-up: a good file of each kind loads what the server loads once (h5wasm among them).
      const warm = cases.filter((c) => !c.refuse).map((c) => c.name);
      for (const name of warm) {
        const bytes = new Uint8Array(readFileSync(join(dir, 'corpus', name)));
        expect((await call('datasets:import', { file: { fileName: name, bytes } })).ok, name).toBe(true);
      }
      await call('datasets:import', {
        file: {
          fileName: 'warm.h5ad',
          bytes: new Uint8Array(readFileSync(join(here, 'fixtures', 'dense.h5ad'))),
        },
      });
      const baselineMiB = peakRss();
      let listsAnswered = 0;
      const refused = cases.filter((k) => k.refuse && k.cliOnly !== true);
      for (const c of refused) {
        const bytes = new Uint8Array(readFileSync(join(dir, 'corpus', c.name)));
        const importing = call('datasets:import', { file: { fileName: c.name, bytes } });
        // Another request while the import runs: the server keeps answering.
        const list = await call('datasets:list', {});
        expect(list.ok, c.name).toBe(true);
        listsAnswered++;
        const result = await importing;
        if (!c.refuse) {
          expect(result.ok, `${c.name}: ${JSON.stringify(result)}`).toBe(true);
          continue;
        }
        expect(result.ok, c.name).toBe(false);
        if (result.ok) continue;
        expect(result.error.code, `${c.name}: ${result.error.message}`).toBe('bad_input');
        expect(result.error.location?.file, c.name).toBe(c.name);
        expect(result.error.message.split('\n').length, c.name).toBe(1);
        for (const part of c.expect) expect(result.error.message, c.name).toContain(part);
        if (c.name === 'tsv-negative.tsv') {
          expect(result.error.location).toEqual({
            file: c.name,
            line: 31,
            column: 2,
            value: '-1',
            columnName: 'S1',
          });
        }
        if (c.name === 'mtx-negative.mtx') {
          expect(result.error.location).toEqual({ file: c.name, line: 4, row: 2, column: 2, value: '-5' });
        }
        if (c.name === 'h5ad-huge-dense.h5ad') expect(result.error.location?.path).toBe('/X');
      }
      expect(listsAnswered).toBe(refused.length);
      // Only the warm-up files were stored: nothing of a refused file.
      const stored = await call('datasets:list', {});
      expect(stored.ok && (stored.value as unknown[]).length).toBe(warm.length + 1);
      expect(baselineMiB).toBeGreaterThan(0);
      expect(peakRss() - baselineMiB).toBeLessThan(PEAK_RSS_MIB);
    } finally {
      server.kill('SIGTERM');
      await exited;
    }
  }, 300_000);
});
