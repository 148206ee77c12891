import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { createServices, type Services } from '..';
import type { ProjectionView, RunDetail } from '../../../shared/domain';
import { dispatch } from '../dispatch';

/** The pool's worker entry, run from its TypeScript source. */
export const workerPath = join(__dirname, '..', '..', 'workers', 'nmf.worker.ts');

/** One channel through `dispatch`, as both transports call it; a refusal throws with its code. */
export async function call<T>(services: Services, channel: string, payload: unknown): Promise<T> {
  const result = await dispatch(services.handlers, channel, payload);
  if (!result.ok) throw new Error(`${channel}: ${result.error.code}: ${result.error.message}`);
  return result.value as T;
}

/** Services on a fresh library and the temporary folder that holds it (see servicesWithFolders). */
export interface ServicesInFolder {
  services: Services;
  /** The folder of the library (library.sqlite), removed after the test. */
  dir: string;
  /** The services' own temporary folder (`tmp` in `dir`), when asked for: leftovers can be seen there. */
  tempDir?: string;
}

/**
 * A starter of services (browser mode, `threads` pool threads, 2 when absent) on a fresh library in
 * its own temporary folder, with a temporary folder of their own inside it when `ownTempDir`;
 * everything it started is closed and removed after each test (registered here).
 */
export function servicesWithFolders(
  prefix: string,
  options: { threads?: number; ownTempDir?: boolean } = {},
): () => ServicesInFolder {
  const open: Services[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const services of open.splice(0)) await services.close().catch(() => undefined);
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    const tempDir = options.ownTempDir ? join(dir, 'tmp') : undefined;
    if (tempDir) mkdirSync(tempDir);
    const services = createServices({
      libraryPath: join(dir, 'library.sqlite'),
      workerPath,
      mode: 'browser',
      threads: options.threads ?? 2,
      ...(tempDir ? { tempDir } : {}),
    });
    open.push(services);
    return { services, dir, tempDir };
  };
}

/**
 * Services on the library file in `dir` (as a restarted app or another process opens it), added to
 * `opened` for {@link closeAll}.
 */
export function reopened(dir: string, opened: Services[], readOnly = false): Services {
  const services = createServices({
    libraryPath: join(dir, 'library.sqlite'),
    workerPath,
    mode: 'browser',
    threads: 2,
    readOnly,
  });
  opened.push(services);
  return services;
}

/** Closes every services of `opened`, emptying it. */
export async function closeAll(opened: Services[]): Promise<void> {
  for (const services of opened.splice(0)) await services.close();
}

/**
 * A starter of services (two pool threads, browser mode) on a fresh library in its own temporary
 * folder; everything it started is closed and removed after each test (registered here).
 */
export function servicesInTempFolders(prefix: string): () => Services {
  const start = servicesWithFolders(prefix);
  return () => start().services;
}

/**
 * A planted data set made through `datasets:synthesize` (by default 60 features at rank 3, as the
 * projection and comparison tests fit and project): its id.
 */
export async function synthesizedDataset(
  services: Services,
  seed: number,
  samples: number,
  shape: { features: number; rank: number } = { features: 60, rank: 3 },
): Promise<number> {
  const { dataset } = await call<{ dataset: { id: number } }>(services, 'datasets:synthesize', {
    ...shape,
    samples,
    seed,
  });
  return dataset.id;
}

/** Starts a run of dataset `datasetId` with `params` and waits for it to finish; throws if it ends otherwise. */
export async function finishedRun(
  services: Services,
  datasetId: number,
  params: {
    rank: number;
    maxIter: number;
    seed: number;
    warmupTol?: number;
    warmup?: number;
    init?: 'random';
  },
): Promise<RunDetail> {
  const run = await call<{ id: number }>(services, 'runs:start', { datasetId, params });
  for (;;) {
    const detail = await call<RunDetail>(services, 'runs:get', { id: run.id });
    if (detail.state === 'done') return detail;
    if (detail.state !== 'running' && detail.state !== 'queued') throw new Error(`run ${detail.state}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A finished run (seed 5) of a dataset synthesized with `shape` (seed 3): its id. */
export async function finishedRunOfShape(
  services: Services,
  shape: { features: number; samples: number; rank: number },
  maxIter: number,
): Promise<number> {
  const datasetId = await synthesizedDataset(services, 3, shape.samples, shape);
  return (await finishedRun(services, datasetId, { rank: shape.rank, maxIter, seed: 5 })).id;
}

/**
 * A projection stored through `projections:start` (which answers as `projections:get` does): a
 * dataset of `samples` new samples (seed 4) projected onto a finished run (2 iterations, seed 1) of
 * 40 training samples (seed 3), both synthesized with `shape`.
 */
export async function storedProjection(
  services: Services,
  shape: { features: number; rank: number },
  samples: number,
): Promise<ProjectionView> {
  const training = await synthesizedDataset(services, 3, 40, shape);
  const run = await finishedRun(services, training, { rank: shape.rank, maxIter: 2, seed: 1 });
  const target = await synthesizedDataset(services, 4, samples, shape);
  return call<ProjectionView>(services, 'projections:start', { runId: run.id, datasetId: target });
}

/** Every piece of a download (`downloads:read` until done) and the progress reported with each. */
export async function downloadPieces(
  services: Services,
  downloadId: string,
): Promise<{ pieces: Uint8Array[]; progress: number[] }> {
  const pieces: Uint8Array[] = [];
  const progress: number[] = [];
  for (;;) {
    const piece = await call<{ bytes: Uint8Array; done: boolean; progress: number }>(
      services,
      'downloads:read',
      {
        downloadId,
      },
    );
    pieces.push(piece.bytes);
    progress.push(piece.progress);
    if (piece.done) return { pieces, progress };
  }
}

/** Every piece of a download (`downloads:read` until done), joined: what the window saves. */
export async function downloadWhole(services: Services, downloadId: string): Promise<Uint8Array> {
  return new Uint8Array(Buffer.concat((await downloadPieces(services, downloadId)).pieces));
}

/** `library:export` read to the end: the file name and the bytes the window would save. */
export async function exportedLibrary(services: Services): Promise<{ fileName: string; bytes: Uint8Array }> {
  const file = await call<{ fileName: string; download: { downloadId: string } }>(
    services,
    'library:export',
    {},
  );
  return { fileName: file.fileName, bytes: await downloadWhole(services, file.download.downloadId) };
}

/** The rows of `table` in `db`. */
export function rowCount(db: { prepare(sql: string): { get(): unknown } }, table: string): number {
  return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
}
