import { describe, expect, it } from 'vitest';
import type { DatasetSummary } from '../../../shared/domain';
import { dense } from '../../../shared/linalg/matrix';
import { createConsensus, executeConsensus, getConsensusDetail } from '../consensus';
import { loadDataset } from '../datasets';
import { MatrixCache } from '../matrix-cache';
import { fitReplicates } from '../../../shared/nmf';
import { createRun, executeRun, fitOptionsOf, getRunDetail, leaseDatasetMatrix } from '../runs';
import { call, servicesInTempFolders } from './harness';

const start = servicesInTempFolders('nmf-matrix-cache-');

describe('MatrixCache', () => {
  it('shares one matrix while it is held, drops it at the last release, and counts a lease once', () => {
    const cache = new MatrixCache();
    let loads = 0;
    const load = () => {
      loads++;
      return dense(2, 2, Float64Array.of(1, 2, 3, 4));
    };
    const a = cache.acquire('1:h', load);
    const b = cache.acquire('1:h', load);
    expect(b.matrix).toBe(a.matrix);
    expect(loads).toBe(1);
    a.release();
    a.release(); // a second release of the same lease must not take b's share
    expect(cache.size).toBe(1);
    expect(cache.acquire('1:h', load).matrix).toBe(b.matrix);
    expect(loads).toBe(1);
  });

  it('keeps separate entries for one dataset id with different content', () => {
    const cache = new MatrixCache();
    const old = cache.acquire('1:old', () => dense(1, 1, Float64Array.of(1)));
    const fresh = cache.acquire('1:new', () => dense(1, 1, Float64Array.of(2)));
    expect(fresh.matrix.data[0]).toBe(2);
    old.release();
    fresh.release();
    expect(cache.size).toBe(0);
  });
});

describe('dataset matrices shared by jobs', () => {
  async function synthesize(services: ReturnType<typeof start>, seed: number): Promise<DatasetSummary> {
    const { dataset } = await call<{ dataset: DatasetSummary }>(services, 'datasets:synthesize', {
      features: 40,
      samples: 24,
      rank: 3,
      seed,
    });
    return dataset;
  }

  it('gives a dataset re-imported under a deleted one’s id its own matrix while the old one is still held', async () => {
    const services = start();
    const ctx = services.ctx;
    const old = await synthesize(services, 1);
    // A job still holds the old dataset's matrix (a fit finishing after its dataset was deleted).
    const oldLease = leaseDatasetMatrix(ctx, old.id);
    const oldValues = Array.from(oldLease.matrix.data);
    await call(services, 'datasets:delete', { id: old.id });
    const replacement = await synthesize(services, 2);
    // SQLite gives the largest id's successor: the deleted dataset's id comes back.
    expect(replacement.id).toBe(old.id);
    expect(replacement.hash).not.toBe(old.hash);

    const expected = Array.from(loadDataset(ctx, replacement.id).matrix.data);
    expect(expected).not.toEqual(oldValues);
    const lease = leaseDatasetMatrix(ctx, replacement.id);
    expect(Array.from(lease.matrix.data)).toEqual(expected);
    lease.release();

    // A run on the new dataset, started while the old matrix is held, fits the new data: the same
    // loss as the same run once nothing old is cached.
    const params = { rank: 3, maxIter: 60, tol: 0 };
    const during = createRun(ctx, replacement.id, params);
    expect(await executeRun(ctx, during.id)).toBe('done');
    oldLease.release();
    expect(ctx.matrices.size).toBe(0);
    const after = createRun(ctx, replacement.id, params);
    expect(await executeRun(ctx, after.id)).toBe('done');
    const duringRun = getRunDetail(ctx, during.id);
    expect(duringRun.provenance?.dataHash).toBe(replacement.hash);
    expect(Object.is(duringRun.loss, getRunDetail(ctx, after.id).loss)).toBe(true);
  });

  it('shares a consensus job’s matrix with a run started meanwhile, and drops it when both end', async () => {
    const services = start();
    const ctx = services.ctx;
    const dataset = await synthesize(services, 3);
    const id = createConsensus(ctx, dataset.id, {
      fromRank: 2,
      toRank: 3,
      replicates: 3,
      fit: { maxIter: 60, seed: 5 },
    });
    expect(ctx.matrices.size).toBe(0);
    // The job takes its lease before its first await: from here until it ends, it holds the matrix.
    const consensus = executeConsensus(ctx, id);
    expect(ctx.matrices.size).toBe(1);
    const probe = leaseDatasetMatrix(ctx, dataset.id);
    expect(ctx.matrices.size).toBe(1);
    // A run on the same dataset reads the consensus job's copy (the cache would load a second
    // matrix into a new entry only if no job held this one).
    const run = createRun(ctx, dataset.id, { rank: 3, maxIter: 60, tol: 0 });
    const running = executeRun(ctx, run.id);
    expect(ctx.matrices.size).toBe(1);
    probe.release();
    expect(await running).toBe('done');
    expect(await consensus).toBe('done');
    expect(getConsensusDetail(ctx, id).ranks.length).toBe(2);
    expect(ctx.matrices.size).toBe(0);
  });

  it('lets a run’s matrix go before its result is stored, and stores the bits of the fit in this thread', async () => {
    const services = start();
    const ctx = services.ctx;
    const dataset = await synthesize(services, 4);
    const run = createRun(ctx, dataset.id, {
      rank: 3,
      solver: 'minibatch',
      batchSize: 8,
      init: 'nndsvda',
      maxIter: 4,
      tol: 0,
    });
    // The run's row turns 'done' in the store; the progress event right after it reports the
    // matrices still held then.
    let heldWhenStored: number | null = null;
    const stop = ctx.events.subscribe((event) => {
      if (event !== 'jobs:progress' || heldWhenStored !== null) return;
      if (getRunDetail(ctx, run.id).state === 'done') heldWhenStored = ctx.matrices.size;
    });
    expect(await executeRun(ctx, run.id)).toBe('done');
    stop();
    expect(heldWhenStored).toBe(0);
    // W and H come from the worker handed over, not copied: the same bits as the fit run here.
    const stored = getRunDetail(ctx, run.id);
    const here = fitReplicates(loadDataset(ctx, dataset.id).matrix, fitOptionsOf(stored.params), 1).best;
    expect(stored.W).toEqual(here.W.data);
    expect(stored.H).toEqual(here.H.data);
    expect(Object.is(stored.loss, here.loss)).toBe(true);
  });

  it('leases the matrix alone: the names and the planted truth are not read', async () => {
    const services = start();
    const ctx = services.ctx;
    const dataset = await synthesize(services, 6);
    const { matrix } = loadDataset(ctx, dataset.id);
    // Text no JSON parser reads: a lease that parsed the names or the truth would throw.
    ctx.db
      .prepare(
        "UPDATE datasets SET row_names = 'not json', col_names = 'not json', truth = 'not json' WHERE id = ?",
      )
      .run(dataset.id);
    const lease = leaseDatasetMatrix(ctx, dataset.id);
    expect(lease.matrix).toEqual(matrix);
    lease.release();
  });
});
