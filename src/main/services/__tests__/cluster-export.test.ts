import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Services } from '..';
import { CLUSTER_EXPORT_PHASES, type ClusterExportProgress } from '../../../shared/api/cluster-export';
import type { CsrMatrix } from '../../../shared/linalg/matrix';
import { planSweepArchive } from '../cluster-archive';
import { readPlan, readPlanData } from '../cluster-folder';
import {
  cancelAllClusterExports,
  cancelClusterExport,
  exportClusterJob,
  runningClusterExportCount,
} from '../cluster-export';
import { meteredProgress, RATE_KNOWN_AFTER_MS } from '../cluster-progress';
import { storeDataset } from '../datasets';
import { DOWNLOAD_IDLE_MS, expireIdleDownloads } from '../downloads';
import { dispatch } from '../dispatch';
import { extractTarGz } from '../tar';
import { call, downloadWhole, workerPath } from './harness';

/**
 * The app's cluster export as long work: its steps reported in order (data.nmf, the small files,
 * the archive), each step's bytes increasing to its total; a cancel between pieces — while data.nmf
 * is written or while the folder is packed — leaves nothing in the temporary folder and the library
 * file unchanged; a cancel of a finished or unknown export does nothing; an export after a cancel
 * works.
 */

let dir: string;
let services: Services;
let datasetId: number;
/** Stored entries of the test dataset: its values span two of the library's 8 MiB chunks. */
const rows = 300;
const cols = 20_000;
const perRow = 4000;

const sweepParams = { fromRank: 2, toRank: 3, replicates: 1, cvFolds: 0, fit: { maxIter: 10 } };

/** A 300 × 20 000 CSR matrix with 1.2·10⁶ stored counts (values 9.6 MB, indices 4.8 MB). */
function countMatrix(): CsrMatrix {
  const nnz = rows * perRow;
  const indptr = new Int32Array(rows + 1);
  const indices = new Int32Array(nnz);
  const data = new Float64Array(nnz);
  for (let i = 0; i < rows; i++) {
    indptr[i + 1] = (i + 1) * perRow;
    for (let e = 0; e < perRow; e++) {
      const at = i * perRow + e;
      indices[at] = e * (cols / perRow) + (i % (cols / perRow));
      data[at] = 1 + ((at * 7919) % 23);
    }
  }
  return { kind: 'csr', rows, cols, indptr, indices, data };
}

/** SHA-256 of the library's files (the database and its write-ahead log). */
function libraryHash(): string {
  const hash = createHash('sha256');
  for (const suffix of ['', '-wal']) {
    const path = join(dir, `library.sqlite${suffix}`);
    if (existsSync(path)) hash.update(readFileSync(path));
  }
  return hash.digest('hex');
}

/** Everything in the services' temporary folder (exports make their folders there). */
function leftInTemp(): string[] {
  return readdirSync(services.ctx.app.tempDir, { recursive: true }) as string[];
}

/** The progress events of the exports started inside `during`. */
async function recorded<T>(
  during: () => Promise<T>,
): Promise<{ events: ClusterExportProgress[]; outcome: T | Error }> {
  const events: ClusterExportProgress[] = [];
  const stop = services.ctx.events.subscribe((event, payload) => {
    if (event === 'cluster:exportProgress') events.push(payload as ClusterExportProgress);
  });
  try {
    return { events, outcome: await during() };
  } catch (error) {
    return { events, outcome: error as Error };
  } finally {
    stop();
  }
}

let nextId = 0;
const freshId = (): string => (++nextId).toString(16).padStart(32, 'a');

const plan = () => planSweepArchive(services.ctx, datasetId, sweepParams, { tasks: 2 }, 1e8);

/** Checks an archive as the cluster reads it: plan.json and data.nmf with the library's hash. */
async function expectWholeJobFolder(archive: Uint8Array, name: string): Promise<void> {
  const unpacked = join(dir, name);
  const paths = await extractTarGz(archive, 1 << 30, unpacked);
  const top = paths[0].split('/')[0];
  const folder = join(unpacked, top);
  const planned = await readPlan(folder);
  const data = await readPlanData(folder, planned);
  expect(data.hash).toBe(planned.data.hash);
  expect(data.matrix.rows).toBe(rows);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nmf-cluster-export-test-'));
  services = createServices({
    libraryPath: join(dir, 'library.sqlite'),
    workerPath,
    mode: 'browser',
    threads: 1,
    tempDir: dir,
  });
  const names = (prefix: string, n: number): string[] =>
    Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
  datasetId = storeDataset(services.ctx, countMatrix(), names('g', rows), names('c', cols), {
    name: 'counts',
    sourceName: 'counts.mtx',
    format: 'mtx',
    transform: 'none',
    transposed: false,
  }).dataset.id;
});
afterAll(async () => {
  await services.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('progress of a job folder being made', () => {
  it('reports each step in order, its bytes increasing to its total; the archive is the folder', async () => {
    const exportId = freshId();
    const { events, outcome } = await recorded(() =>
      exportClusterJob(services.ctx, exportId, plan, { progressIntervalMs: 0 }),
    );
    if (outcome instanceof Error) throw outcome;
    expect(events.every((e) => e.exportId === exportId)).toBe(true);
    const order = events.map((e) => CLUSTER_EXPORT_PHASES.indexOf(e.phase));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    for (const phase of CLUSTER_EXPORT_PHASES) {
      const steps = events.filter((e) => e.phase === phase);
      expect(steps.length, phase).toBeGreaterThanOrEqual(2);
      expect(steps[0].doneBytes).toBe(0);
      expect(steps.at(-1)!.doneBytes).toBe(steps[0].totalBytes);
      expect(steps.at(-1)!.remainingMs).toBe(0);
      for (let i = 1; i < steps.length; i++) {
        expect(steps[i].doneBytes).toBeGreaterThan(steps[i - 1].doneBytes);
        expect(steps[i].totalBytes).toBe(steps[0].totalBytes);
        expect(steps[i].elapsedMs).toBeGreaterThanOrEqual(steps[i - 1].elapsedMs);
      }
      for (const step of steps) expect(step.remainingMs === null || step.remainingMs >= 0).toBe(true);
    }
    // data: the arrays' bytes (values, indptr, indices), in pieces of the library's chunks.
    const data = events.filter((e) => e.phase === 'data');
    expect(data[0].totalBytes).toBe(rows * perRow * 12 + (rows + 1) * 4);
    expect(data.length).toBeGreaterThanOrEqual(4);
    const archive = await downloadWhole(services, outcome.download.downloadId);
    expect(archive.byteLength).toBe(outcome.byteLength);
    // archive: the tar stream's bytes, which is what the .tar.gz unpacks to.
    expect(events.at(-1)!.totalBytes).toBe(gunzipSync(archive).byteLength);
    await expectWholeJobFolder(archive, 'first');
    expect(leftInTemp()).toEqual([]);
  });

  it('through the channel, reports at most a few times a second with each step’s start and end', async () => {
    const exportId = freshId();
    const { events, outcome } = await recorded(() =>
      call<{ download: { downloadId: string } }>(services, 'sweeps:clusterExport', {
        datasetId,
        params: sweepParams,
        tasks: 2,
        exportId,
      }),
    );
    if (outcome instanceof Error) throw outcome;
    await downloadWhole(services, outcome.download.downloadId);
    const phases = events.map((e) => e.phase);
    expect(new Set(phases)).toEqual(new Set(CLUSTER_EXPORT_PHASES));
    for (const phase of CLUSTER_EXPORT_PHASES) {
      const steps = events.filter((e) => e.phase === phase);
      expect(steps[0].doneBytes).toBe(0);
      expect(steps.at(-1)!.doneBytes).toBe(steps.at(-1)!.totalBytes);
    }
    // Without an id the export reports nothing (the command line's folder and older windows).
    const silent = await recorded(() =>
      call<{ download: { downloadId: string } }>(services, 'sweeps:clusterExport', {
        datasetId,
        params: sweepParams,
        tasks: 2,
      }),
    );
    if (silent.outcome instanceof Error) throw silent.outcome;
    expect(silent.events).toEqual([]);
    await call(services, 'downloads:cancel', { downloadId: silent.outcome.download.downloadId });
    expect(leftInTemp()).toEqual([]);
  });

  it('meters a step: start and end always, a report per interval between, the time left once the rate is known', () => {
    let clock = 0;
    const reports: Array<Omit<ClusterExportProgress, 'exportId'>> = [];
    const listener = meteredProgress((p) => reports.push(p), { intervalMs: 250, now: () => clock });
    listener('data', 0, 1000);
    clock = 100;
    listener('data', 100, 1000); // within the interval: dropped
    clock = 300;
    listener('data', 200, 1000); // before the rate is known: no time left
    clock = RATE_KNOWN_AFTER_MS;
    listener('data', 500, 1000);
    listener('data', 500, 1000); // nothing new: dropped
    clock = RATE_KNOWN_AFTER_MS + 10;
    listener('data', 1000, 1000); // the end, within the interval: kept
    listener('files', 0, 0);
    expect(reports).toEqual([
      { phase: 'data', doneBytes: 0, totalBytes: 1000, elapsedMs: 0, remainingMs: null },
      { phase: 'data', doneBytes: 200, totalBytes: 1000, elapsedMs: 300, remainingMs: null },
      {
        phase: 'data',
        doneBytes: 500,
        totalBytes: 1000,
        elapsedMs: RATE_KNOWN_AFTER_MS,
        remainingMs: RATE_KNOWN_AFTER_MS,
      },
      {
        phase: 'data',
        doneBytes: 1000,
        totalBytes: 1000,
        elapsedMs: RATE_KNOWN_AFTER_MS + 10,
        remainingMs: 0,
      },
      { phase: 'files', doneBytes: 0, totalBytes: 0, elapsedMs: 0, remainingMs: 0 },
    ]);
  });
});

describe('cancelling a job folder being made', () => {
  /**
   * Starts an export and stops it (`stopIt`, by default `cluster:cancelExport`'s service) at the
   * first progress event `when` accepts; returns the events, the outcome and what the cancel answered.
   */
  async function cancelledAt(
    when: (progress: ClusterExportProgress) => boolean,
    stopIt: (exportId: string) => unknown = (exportId) => cancelClusterExport(services.ctx, exportId),
  ) {
    const exportId = freshId();
    let answered: unknown = null;
    const result = await recorded(() => {
      const stop = services.ctx.events.subscribe((event, payload) => {
        if (event !== 'cluster:exportProgress' || answered !== null) return;
        if (when(payload as ClusterExportProgress)) answered = stopIt(exportId);
      });
      return exportClusterJob(services.ctx, exportId, plan, { progressIntervalMs: 0 }).finally(stop);
    });
    return { ...result, answered };
  }

  it('while data.nmf is written: stops between chunks, leaves nothing, the library unchanged', async () => {
    const before = libraryHash();
    const { events, outcome, answered } = await cancelledAt((e) => e.phase === 'data' && e.doneBytes > 0);
    expect(answered).toEqual({ cancelled: true });
    expect(outcome).toMatchObject({ code: 'cancelled' });
    // Stopped part-way through data.nmf: no later step began.
    const last = events.at(-1)!;
    expect(last.phase).toBe('data');
    expect(last.doneBytes).toBeGreaterThan(0);
    expect(last.doneBytes).toBeLessThan(last.totalBytes);
    expect(leftInTemp()).toEqual([]);
    expect(runningClusterExportCount(services.ctx)).toBe(0);
    expect(libraryHash()).toBe(before);
  });

  it('while the folder is packed: stops between pieces, the partial archive removed', async () => {
    const before = libraryHash();
    const { events, outcome } = await cancelledAt((e) => e.phase === 'archive' && e.doneBytes > 0);
    expect(outcome).toMatchObject({ code: 'cancelled' });
    const last = events.at(-1)!;
    expect(last.phase).toBe('archive');
    expect(last.doneBytes).toBeLessThan(last.totalBytes);
    expect(leftInTemp()).toEqual([]);
    expect(libraryHash()).toBe(before);
  });

  it('when the window closes (every export of the services stopped)', async () => {
    const { outcome } = await cancelledAt(
      (e) => e.phase === 'data' && e.doneBytes > 0,
      () => cancelAllClusterExports(services.ctx),
    );
    expect(outcome).toMatchObject({ code: 'cancelled' });
    expect(leftInTemp()).toEqual([]);
  });

  it('of a finished or unknown export does nothing; a cancel before its export stops it at once', async () => {
    const exportId = freshId();
    const finished = await exportClusterJob(services.ctx, exportId, plan);
    expect(cancelClusterExport(services.ctx, exportId)).toEqual({ cancelled: false });
    expect(cancelClusterExport(services.ctx, freshId())).toEqual({ cancelled: false });
    // The finished export's download is untouched by the cancel.
    await expectWholeJobFolder(await downloadWhole(services, finished.download.downloadId), 'finished');
    expect(leftInTemp()).toEqual([]);

    // A cancel that overtook its export (two requests over HTTP): the export stops before writing.
    const early = freshId();
    expect(cancelClusterExport(services.ctx, early)).toEqual({ cancelled: false });
    const { events, outcome } = await recorded(() => exportClusterJob(services.ctx, early, plan));
    expect(outcome).toMatchObject({ code: 'cancelled' });
    expect(events).toEqual([]);
    expect(leftInTemp()).toEqual([]);
  });

  it('an export after a cancel works', async () => {
    const { outcome } = await cancelledAt((e) => e.phase === 'data' && e.doneBytes > 0);
    expect(outcome).toMatchObject({ code: 'cancelled' });
    const again = await exportClusterJob(services.ctx, freshId(), plan);
    await expectWholeJobFolder(await downloadWhole(services, again.download.downloadId), 'again');
    expect(leftInTemp()).toEqual([]);
  });

  it('an offered archive nobody reads is removed once idle (a page gone without a word)', async () => {
    const started = Date.now();
    const offered = await exportClusterJob(services.ctx, freshId(), plan);
    expect(leftInTemp().length).toBeGreaterThan(0);
    // Offered after `started`: not yet idle just before started + DOWNLOAD_IDLE_MS, idle after.
    expect(await expireIdleDownloads(services.ctx, started - 1 + DOWNLOAD_IDLE_MS)).toBe(0);
    expect(await expireIdleDownloads(services.ctx, Date.now() + DOWNLOAD_IDLE_MS)).toBe(1);
    expect(leftInTemp()).toEqual([]);
    await expect(
      call(services, 'downloads:read', { downloadId: offered.download.downloadId }),
    ).rejects.toThrow(/not_found/);
  });

  it('through the channel: ids are checked, unknown ones answered without error', async () => {
    const refused = await dispatch(services.handlers, 'cluster:cancelExport', { exportId: '../x' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(await call(services, 'cluster:cancelExport', { exportId: freshId() })).toEqual({
      cancelled: false,
    });
    const export_ = await dispatch(services.handlers, 'sweeps:clusterExport', {
      datasetId,
      params: sweepParams,
      tasks: 2,
      exportId: 'not an id',
    });
    expect(export_).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  });
});
