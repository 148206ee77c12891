import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, StagedFile, type Result } from '../../../shared/api';
import { createServices, type Services } from '../../services';
import { withoutTemporaryPaths } from '../../services/dispatch';
import { STAGING_FOLDER, stagedFileName, sweepStaging } from '../../services/staging';
import { startBrowserServer, type BrowserServer } from '../http';
import { decodeFrameStream, FrameError, FrameTooLargeError } from '../frame-stream';

/**
 * Uploads in browser mode: streamed to a staging file under a fixed name, never buffered whole;
 * the user's file name is only ever shown, never used on disk; refused requests answer 400/413
 * without temporary paths; staging folders of crashed processes are swept at start-up.
 */
const workerPath = join(__dirname, '..', '..', 'workers', 'nmf.worker.ts');
const token = 'b'.repeat(64);
let base: string;
let services: Services;
let server: BrowserServer;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'nmf-uploads-'));
  writeFileSync(join(base, 'index.html'), '<!doctype html>');
  services = createServices({
    libraryPath: join(base, 'library.sqlite'),
    workerPath,
    mode: 'browser',
    threads: 1,
    tempDir: base,
  });
  server = await startBrowserServer({
    handlers: services.handlers,
    events: services.ctx.events,
    rendererDir: base,
    token,
    stagingDir: services.ctx.app.tempDir,
    maxBodyBytes: 64 * 1024 * 1024,
  });
});
afterAll(async () => {
  await server.close();
  await services.close();
  rmSync(base, { recursive: true, force: true });
});

function post(path: string, body: Uint8Array): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        method: 'POST',
        path,
        headers: {
          Host: `127.0.0.1:${server.port}`,
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/x-nmf-frame',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function api(channel: string, payload: unknown): Promise<{ status: number; result: Result<unknown> }> {
  const res = await post(`/api/${channel}`, encodeFrame(payload));
  return { status: res.status, result: decodeFrame(new Uint8Array(res.body)) as Result<unknown> };
}

function tsv(rows: number): Uint8Array {
  const lines = ['gene\ta\tb\tc'];
  for (let i = 0; i < rows; i++) lines.push(`g${i}\t${i}\t${i % 3}\t${(i * 7) % 5}`);
  return new TextEncoder().encode(lines.join('\n') + '\n');
}

/** Every file left in the staging folders. */
function stagedFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else out.push(join(dir, entry.name));
    }
  };
  walk(join(base, STAGING_FOLDER));
  return out;
}

describe('uploads in browser mode', () => {
  it('keeps only a plain extension of the user file name on disk', () => {
    expect(stagedFileName('counts.tsv.gz')).toBe('upload.tsv.gz');
    expect(stagedFileName('Matrix.H5AD')).toBe('upload.h5ad');
    for (const hostile of ['.', '..', 'a\u0000b', 'CON', 'NUL', 'COM1', 'x/../../y', '...', ' ']) {
      expect(stagedFileName(hostile)).toBe('upload');
    }
    expect(stagedFileName('NUL.tsv')).toBe('upload.tsv');
    expect(stagedFileName('a\u0000.tsv')).toBe('upload.tsv');
  });

  it('imports a streamed upload (staged on disk, not in memory) and leaves no staging file', async () => {
    const bytes = tsv(120_000); // ≈ 2 MB: above the 1 MiB staging threshold
    expect(bytes.length).toBeGreaterThan(1024 * 1024);
    const { status, result } = await api('datasets:import', {
      file: { fileName: 'counts.tsv', bytes },
      transpose: false,
    });
    expect(status).toBe(200);
    expect(result.ok, JSON.stringify(result)).toBe(true);
    if (result.ok) expect((result.value as { dataset: { rows: number } }).dataset.rows).toBe(120_000);
    expect(stagedFiles()).toEqual([]);
  });

  it('imports a file sent in pieces of 1.5 MiB (each staged by the server, then appended) and leaves no file', async () => {
    const bytes = tsv(200_000); // ≈ 3.4 MB: three pieces, each above the 1 MiB staging threshold
    const begun = await api('uploads:begin', { fileName: 'pieces.tsv', byteLength: bytes.length });
    expect(begun.result.ok, JSON.stringify(begun.result)).toBe(true);
    const { uploadId } = (begun.result as { ok: true; value: { uploadId: string } }).value;
    const piece = 1.5 * 1024 * 1024;
    for (let offset = 0; offset < bytes.length; offset += piece) {
      const appended = await api('uploads:append', {
        uploadId,
        offset,
        bytes: bytes.slice(offset, offset + piece),
      });
      expect(appended.result).toEqual({
        ok: true,
        value: { received: Math.min(bytes.length, offset + piece) },
      });
    }
    const { result } = await api('datasets:import', {
      file: { fileName: 'pieces.tsv', bytes: { uploadId } },
    });
    expect(result.ok, JSON.stringify(result)).toBe(true);
    if (result.ok) expect((result.value as { dataset: { rows: number } }).dataset.rows).toBe(200_000);
    expect(stagedFiles()).toEqual([]);
  });

  it('previews and then imports one upload, as over IPC: the preview leaves it staged, the import uses it up', async () => {
    const bytes = tsv(80_000);
    const begun = await api('uploads:begin', { fileName: 'twice.tsv', byteLength: bytes.length });
    const { uploadId } = (begun.result as { ok: true; value: { uploadId: string } }).value;
    for (let offset = 0; offset < bytes.length; offset += 1 << 20)
      await api('uploads:append', { uploadId, offset, bytes: bytes.slice(offset, offset + (1 << 20)) });
    const file = { fileName: 'twice.tsv', bytes: { uploadId } };
    const preview = await api('datasets:inspect', { file });
    expect(preview.result.ok, JSON.stringify(preview.result)).toBe(true);
    if (preview.result.ok) expect((preview.result.value as { fileName: string }).fileName).toBe('twice.tsv');
    expect(stagedFiles()).toHaveLength(1);
    const imported = await api('datasets:import', { file });
    expect(imported.result.ok, JSON.stringify(imported.result)).toBe(true);
    expect(stagedFiles()).toEqual([]);
    const again = await api('datasets:import', { file });
    expect(again.result).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('answers hostile upload names with a clear refusal or a result, never internal, never a temp path', async () => {
    for (const fileName of ['.', '..', 'a\u0000b.tsv', 'CON', 'NUL.tsv', 'COM1.tsv', 'aux']) {
      const { result } = await api('datasets:inspect', { file: { fileName, bytes: tsv(5) } });
      if (!result.ok) {
        expect(result.error.code, `${JSON.stringify(fileName)}: ${result.error.message}`).not.toBe(
          'internal',
        );
        expect(result.error.message).not.toContain(base);
        expect(result.error.message).not.toContain(tmpdir() + '/');
      } else {
        expect((result.value as { fileName: string }).fileName).toBe(fileName);
      }
    }
    expect(stagedFiles()).toEqual([]);
  });

  it('names the user file, never the staging name, when a file is refused', async () => {
    const bytes = new TextEncoder().encode('gene\ta\tb\ng1\t1\t2\ng2\t3\t-5\n');
    const { result } = await api('datasets:import', { file: { fileName: 'negative.tsv', bytes } });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.message).toMatch(
        /^negative\.tsv: line 3, column 3 \(sample "b"\): "-5" is negative/,
      );
      expect(result.error.message).not.toMatch(/upload/);
      expect(result.error.location?.file).toBe('negative.tsv');
    }
  });

  it('lists every problem of a refused upload, each naming the user file', async () => {
    const bytes = new TextEncoder().encode('gene\ta\tb\ng1\tx\t2\ng2\t3\t-5\n');
    const { result } = await api('datasets:import', { file: { fileName: 'several.tsv', bytes } });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.problemCount).toBe(2);
      expect(result.error.problems?.map((p) => p.message)).toEqual([
        'line 2, column 2 (sample "a"): "x" is not a number',
        'line 3, column 3 (sample "b"): "-5" is negative (NMF needs non-negative data)',
      ]);
      expect(result.error.problems?.map((p) => p.location?.file)).toEqual(['several.tsv', 'several.tsv']);
      expect(result.error.problems?.[1].location).toMatchObject({ line: 3, column: 3, columnName: 'b' });
    }
  });

  it('keeps temporary paths out of unexpected errors', () => {
    expect(withoutTemporaryPaths("ENOENT: no such file, open '/tmp/nmf-x/upload.tsv'", '/tmp')).toBe(
      "ENOENT: no such file, open '(a temporary file)'",
    );
    expect(withoutTemporaryPaths('C:\\Temp\\nmf\\a.h5 is bad', 'C:\\Temp')).toBe('(a temporary file) is bad');
  });

  it('answers malformed %-encoding with 400, in the API and in static paths', async () => {
    const res = await post('/api/%E0%A4%A', encodeFrame({}));
    expect(res.status).toBe(400);
    expect(decodeFrame(new Uint8Array(res.body))).toMatchObject({
      ok: false,
      error: { code: 'invalid_request' },
    });
    const page = await new Promise<number>((resolve, reject) => {
      request(
        {
          host: '127.0.0.1',
          port: server.port,
          path: '/%E0%A4%A',
          headers: { Host: `127.0.0.1:${server.port}` },
        },
        (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        },
      )
        .on('error', reject)
        .end();
    });
    expect(page).toBe(400);
  });

  it('refuses a repeated reference and a body over the cap, and keeps answering', async () => {
    const frame = encodeFrame({ file: { fileName: 'x.tsv', bytes: new Uint8Array(16) } });
    const text = new TextDecoder().decode(
      frame.subarray(8, 8 + new DataView(frame.buffer).getUint32(4, true)),
    );
    const doubled = text.replace(
      '{"$typed":"Uint8Array","i":0}',
      '[{"$typed":"Uint8Array","i":0},{"$typed":"Uint8Array","i":0}]',
    );
    const json = new TextEncoder().encode(doubled);
    const forged = new Uint8Array(((8 + json.length + 7) & ~7) + 8 + 16);
    forged.set(frame.subarray(0, 4));
    new DataView(forged.buffer).setUint32(4, json.length, true);
    forged.set(json, 8);
    const repeated = await post('/api/datasets:inspect', forged);
    expect(repeated.status).toBe(400);
    expect(new TextDecoder().decode(repeated.body)).toMatch(/referenced more than once/);
    const big = await post(
      '/api/datasets:inspect',
      encodeFrame({ file: { fileName: 'x.tsv', bytes: new Uint8Array(65 * 1024 * 1024) } }),
    ).catch(() => ({ status: 413, body: Buffer.alloc(0) }));
    expect(big.status).toBe(413);
    const after = await api('datasets:list', {});
    expect(after.result.ok).toBe(true);
    expect(stagedFiles()).toEqual([]);
  });
});

describe('streaming frame decoder', () => {
  async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Buffer> {
    for (let i = 0; i < bytes.length; i += size) yield Buffer.from(bytes.subarray(i, i + size));
  }

  it('decodes what encodeFrame makes, in chunks of any size, staging large byte arrays', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nmf-frame-stream-'));
    try {
      const upload = Uint8Array.from({ length: 3_000_001 }, (_, i) => (i * 31) & 255);
      const value = {
        a: new Float64Array([1, NaN, -0]),
        file: { fileName: 'f', bytes: upload },
        k: Infinity,
        s: 'µ',
      };
      // 7 bytes at a time puts chunk boundaries everywhere in the head, table and arrays.
      for (const size of [7, 4096, 1 << 20]) {
        const { value: decoded, staged } = await decodeFrameStream(chunked(encodeFrame(value), size), {
          stagingDir: dir,
          maxBodyBytes: 1 << 30,
        });
        const out = decoded as { a: Float64Array; file: { bytes: StagedFile }; k: number; s: string };
        expect(Array.from(out.a)).toEqual([1, NaN, -0]);
        expect(out.k).toBe(Infinity);
        expect(out.s).toBe('µ');
        expect(out.file.bytes).toBeInstanceOf(StagedFile);
        expect(out.file.bytes.byteLength).toBe(upload.length);
        expect(readFileSync(out.file.bytes.path).equals(Buffer.from(upload))).toBe(true);
        expect(staged).toEqual([out.file.bytes.path]);
        rmSync(out.file.bytes.path);
      }
      // Small byte arrays stay in memory.
      const small = await decodeFrameStream(chunked(encodeFrame({ b: new Uint8Array([1, 2, 3]) }), 5), {
        stagingDir: dir,
        maxBodyBytes: 1 << 20,
      });
      expect((small.value as { b: Uint8Array }).b).toEqual(new Uint8Array([1, 2, 3]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses malformed frames, removing what it staged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nmf-frame-stream-'));
    try {
      const frame = encodeFrame({ bytes: new Uint8Array(2 << 20) });
      const attempts: Array<[Uint8Array, RegExp]> = [
        [frame.subarray(0, frame.length - 100), /truncated/],
        [new Uint8Array([...frame, ...new Uint8Array(64)]), /unexpected bytes/],
        [new TextEncoder().encode('NOPE1234'), /not an NMF1 frame/],
      ];
      for (const [bytes, message] of attempts) {
        await expect(
          decodeFrameStream(chunked(bytes, 65536), { stagingDir: dir, maxBodyBytes: 1 << 30 }),
        ).rejects.toThrow(message);
        expect(readdirSync(dir)).toEqual([]);
      }
      await expect(
        decodeFrameStream(chunked(frame, 65536), { stagingDir: dir, maxBodyBytes: 1 << 20 }),
      ).rejects.toBeInstanceOf(FrameTooLargeError);
      await expect(
        decodeFrameStream(chunked(encodeFrame({ w: new Float64Array(1 << 16) }), 65536), {
          stagingDir: dir,
          maxBodyBytes: 1 << 30,
          maxInMemoryBytes: 1 << 16,
        }),
      ).rejects.toBeInstanceOf(FrameError);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('staging sweep', () => {
  it('removes folders of processes that stopped, and keeps live ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nmf-sweep-'));
    try {
      const root = join(dir, STAGING_FOLDER);
      mkdirSync(join(root, '2147483646-dead'), { recursive: true });
      writeFileSync(join(root, '2147483646-dead', 'upload.tsv'), 'left by a crash');
      mkdirSync(join(root, `${process.pid}-alive`));
      mkdirSync(join(root, 'not-a-pid'));
      expect(sweepStaging(dir)).toBe(2);
      expect(readdirSync(root)).toEqual([`${process.pid}-alive`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
