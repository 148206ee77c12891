import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createServices, type Services } from '..';
import { openLibrary } from '../../db/connection';
import { migrate } from '../../db/migrate';
import { migrations } from '../../db/migrations';
import { dispatch } from '../dispatch';
import { call, exportedLibrary } from './harness';

const workerPath = join(__dirname, '..', '..', 'workers', 'nmf.worker.ts');
const open: Services[] = [];
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nmf-guards-'));
  dirs.push(dir);
  return dir;
}

function start(libraryPath: string): Services {
  const services = createServices({ libraryPath, workerPath, mode: 'browser', threads: 1 });
  open.push(services);
  return services;
}

afterEach(async () => {
  for (const services of open.splice(0)) await services.close().catch(() => undefined);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function refusal(
  services: Services,
  channel: string,
  payload: unknown,
): Promise<{ code: string; message: string }> {
  const result = await dispatch(services.handlers, channel, payload);
  if (result.ok) throw new Error(`${channel} was accepted`);
  return result.error;
}

async function waitFor(probe: () => boolean, timeoutMs = 60_000): Promise<void> {
  const started = Date.now();
  while (!probe()) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('library guards', () => {
  it('refuses a synthetic matrix too large to make on the main thread, naming the estimate', async () => {
    const services = start(join(tempDir(), 'library.sqlite'));
    const error = await refusal(services, 'datasets:synthesize', {
      features: 200_000,
      samples: 100_000,
      rank: 5,
    });
    expect(error.code).toBe('bad_input');
    expect(error.message).toMatch(/2\.00e\+10 cells \(≈ 320000 MB and ≈ \d+ s here\)/);
    expect(await call<unknown[]>(services, 'datasets:list', {})).toEqual([]);
  });

  it('deleting a dataset cancels its running fit', async () => {
    const services = start(join(tempDir(), 'library.sqlite'));
    const { dataset } = await call<{ dataset: { id: number } }>(services, 'datasets:synthesize', {
      features: 200,
      samples: 100,
      rank: 3,
      seed: 1,
    });
    const run = await call<{ id: number }>(services, 'runs:start', {
      datasetId: dataset.id,
      params: { rank: 3, maxIter: 1_000_000, tol: 0 },
    });
    await waitFor(() => services.ctx.jobs.list().some((j) => j.id === run.id && j.iteration > 0));
    await call(services, 'datasets:delete', { id: dataset.id });
    await waitFor(() => services.ctx.jobs.list().length === 0, 10_000);
    expect(services.ctx.db.prepare('SELECT COUNT(*) AS n FROM runs').get()).toEqual({ n: 0 });
  });

  it('reports a damaged stored chunk with the dataset named, and never uses it', async () => {
    const services = start(join(tempDir(), 'library.sqlite'));
    const { dataset } = await call<{ dataset: { id: number } }>(services, 'datasets:synthesize', {
      features: 50,
      samples: 20,
      rank: 2,
      seed: 3,
      name: 'planted',
    });
    // One flipped bit in the stored values.
    const chunk = services.ctx.db
      .prepare("SELECT data FROM dataset_chunks WHERE dataset_id = ? AND part = 'values' AND seq = 0")
      .get(dataset.id) as { data: Buffer };
    const damaged = Buffer.from(chunk.data);
    damaged[100] ^= 0x10;
    services.ctx.db
      .prepare("UPDATE dataset_chunks SET data = ? WHERE dataset_id = ? AND part = 'values' AND seq = 0")
      .run(damaged, dataset.id);
    const named = /dataset 1 \("planted"\) is damaged in the library: chunk 0 of its values/;
    for (const [channel, payload] of [
      ['datasets:get', { id: dataset.id }],
      ['datasets:pca', { id: dataset.id }],
    ] as const) {
      const error = await refusal(services, channel, payload);
      expect(error.message, channel).toMatch(named);
    }
    // A fit reads the matrix in the background: it fails with the same message, computing nothing.
    const run = await call<{ id: number }>(services, 'runs:start', {
      datasetId: dataset.id,
      params: { rank: 2 },
    });
    const row = (): { state: string; error: string | null } =>
      services.ctx.db.prepare('SELECT state, error FROM runs WHERE id = ?').get(run.id) as {
        state: string;
        error: string | null;
      };
    await waitFor(() => row().state !== 'queued' && row().state !== 'running');
    expect(row().state).toBe('failed');
    expect(row().error).toMatch(named);
  });

  it('refuses to merge a library whose runs or datasets do not match what they claim', async () => {
    const dir = tempDir();
    const source = start(join(dir, 'source.sqlite'));
    const { dataset } = await call<{ dataset: { id: number } }>(source, 'datasets:synthesize', {
      features: 40,
      samples: 20,
      rank: 2,
      seed: 5,
    });
    const run = await call<{ id: number }>(source, 'runs:start', {
      datasetId: dataset.id,
      params: { rank: 2, maxIter: 30 },
    });
    await waitFor(
      () =>
        (source.ctx.db.prepare('SELECT state FROM runs WHERE id = ?').get(run.id) as { state: string })
          .state === 'done',
    );
    const exported = await exportedLibrary(source);
    const target = start(join(dir, 'target.sqlite'));
    const forgeries: Array<[string, (db: Database.Database) => void, RegExp]> = [
      [
        'short W',
        (db) => db.prepare('UPDATE runs SET w = substr(w, 1, 16)').run(),
        /run 1: W has 16 bytes, 40 × 2 needs 640/,
      ],
      [
        'rank',
        (db) => db.prepare(`UPDATE runs SET params = json_set(params, '$.rank', 30)`).run(),
        /run 1 has rank 30, impossible/,
      ],
      [
        'values changed, hash kept',
        (db) => {
          const { data } = db.prepare("SELECT data FROM dataset_chunks WHERE part = 'values'").get() as {
            data: Buffer;
          };
          const forged = Buffer.from(data);
          forged[0] ^= 1;
          db.prepare("UPDATE dataset_chunks SET data = ?, checksum = ? WHERE part = 'values'").run(
            forged,
            crc32(forged),
          );
        },
        /dataset 1 \(".*"\) does not match its content hash/,
      ],
      [
        'checksum',
        (db) => db.prepare('UPDATE dataset_chunks SET checksum = checksum + 1').run(),
        /cannot be read \(.*damaged/,
      ],
    ];
    for (const [what, forge, message] of forgeries) {
      const path = join(dir, `forged-${what.replace(/\W/g, '-')}.sqlite`);
      writeFileSync(path, exported.bytes);
      const db = new Database(path);
      forge(db);
      db.close();
      const error = await refusal(target, 'library:merge', {
        file: { fileName: 'forged.sqlite', bytes: new Uint8Array(readFileSync(path)) },
      });
      expect(error.code, what).toBe('bad_input');
      expect(error.message, what).toMatch(message);
      expect(error.message).toMatch(/nothing was merged/);
      expect(target.ctx.db.prepare('SELECT COUNT(*) AS n FROM datasets').get()).toEqual({ n: 0 });
    }
    // The untouched copy merges.
    const merged = await call<{ datasetsAdded: number; runsAdded: number }>(target, 'library:merge', {
      file: { fileName: 'library.sqlite', bytes: exported.bytes },
    });
    expect(merged).toMatchObject({ datasetsAdded: 1, runsAdded: 1 });
  });

  it('migration 0040 marks the file as ours, computes checksums of stored chunks, and backs up first', () => {
    const dir = tempDir();
    const path = join(dir, 'library.sqlite');
    const old = new Database(path);
    migrate(
      old,
      migrations.filter((m) => m.version <= 30),
      path,
    );
    old
      .prepare(
        `INSERT INTO datasets (name, rows, cols, nnz, missing, layout, hash, format, source_name, transform, transposed,
        is_integer, min_value, max_value, size_bytes, row_names, col_names, created_at)
       VALUES ('d', 1, 2, 2, 0, 'dense', 'h', 'tsv', 'd.tsv', 'none', 0, 1, 1, 2, 16, '["r"]', '["a","b"]', 'now')`,
      )
      .run();
    const values = Buffer.from(new Float64Array([1, 2]).buffer);
    old.prepare("INSERT INTO dataset_chunks VALUES (1, 'values', 0, ?)").run(values);
    old.close();
    const db = openLibrary(path);
    expect(db.pragma('application_id', { simple: true })).toBe(0x4e4d4653);
    expect(db.prepare('SELECT checksum FROM dataset_chunks').get()).toEqual({ checksum: crc32(values) });
    db.close();
    expect(existsSync(`${path}.backup-v30`)).toBe(true);
  });
});
