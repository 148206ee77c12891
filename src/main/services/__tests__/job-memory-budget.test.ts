import { describe, expect, it } from 'vitest';
import { planSweep } from '../../../shared/analysis';
import { sweepParamsSchema, type RunDetail, type SweepDetail } from '../../../shared/domain';
import type { Services } from '..';
import { getDatasetSummary } from '../datasets';
import { sweepMemoryPlan } from '../job-memory';
import { createSweep, executeSweep, sweepSpecOf, withConsensusReplicates } from '../sweeps';
import { call, servicesInTempFolders } from './harness';

/**
 * Sweeps and consensus runs against the memory budget through the real services: an over-budget
 * job is refused before any fit starts and leaves the library as it was, at creation and at start;
 * a job that fits one fit at a time runs its fits one at a time and says so in its runs' provenance.
 */
const start = servicesInTempFolders('nmf-job-memory-');

const params = { fromRank: 2, toRank: 3, replicates: 2, cvFolds: 2, fit: { maxIter: 60 } };

/** Counts the pool's fits submitted and not yet finished, and the most at once. */
function watchPool(services: Services): { submitted: number; most: number } {
  const pool = services.ctx.pool;
  const submit = pool.submit.bind(pool);
  const seen = { submitted: 0, most: 0 };
  let open = 0;
  // Counts fits only: a sweep also queues one small statistics task per rank (its best replicate's
  // log-likelihood and dispersion from W and H), which holds no fit's arrays.
  pool.submit = (task, ...rest) => {
    const handle = submit(task, ...rest);
    if (task.kind === 'sweep-statistics') return handle;
    seen.submitted++;
    open++;
    seen.most = Math.max(seen.most, open);
    void handle.promise.finally(() => open--).catch(() => undefined);
    return handle;
  };
  return seen;
}

async function synthesize(services: Services): Promise<number> {
  const { dataset } = await call<{ dataset: { id: number } }>(services, 'datasets:synthesize', {
    features: 60,
    samples: 30,
    rank: 3,
    seed: 4,
  });
  return dataset.id;
}

/** The sweep's plan at a generous budget: V, what it gathers, and its largest fit. */
function sweepSizes(services: Services, datasetId: number): { oneAtATime: number; poolParallel: number } {
  services.ctx.memoryBudget = { ...services.ctx.memoryBudget, overrideBytes: 2 ** 40 };
  const dataset = getDatasetSummary(services.ctx, datasetId);
  const sweep = withConsensusReplicates(dataset, sweepParamsSchema.parse(params));
  const plan = sweepMemoryPlan(services.ctx, dataset, sweep, planSweep(sweepSpecOf(sweep)));
  expect(plan.mode).toBe('in-memory');
  return { oneAtATime: plan.matrixBytes + plan.sharedBytes + plan.fitBytes, poolParallel: plan.poolParallel };
}

function setBudget(services: Services, bytes: number): void {
  services.ctx.memoryBudget = { ...services.ctx.memoryBudget, overrideBytes: bytes };
}

async function libraryCounts(services: Services): Promise<{ sweeps: number; runs: number }> {
  const sweeps = await call<unknown[]>(services, 'sweeps:list', {});
  const runs = await call<unknown[]>(services, 'runs:list', { includeSweeps: true });
  return { sweeps: sweeps.length, runs: runs.length };
}

describe('sweeps under the memory budget', () => {
  it('refuse an over-budget sweep at creation, naming the sizes and the budget, before any fit or row', async () => {
    const services = start();
    const datasetId = await synthesize(services);
    const { oneAtATime } = sweepSizes(services, datasetId);
    const before = await libraryCounts(services);
    const seen = watchPool(services);
    setBudget(services, oneAtATime - 1);
    const estimate = await call<{ memory: { mode: string; reason: string } }>(services, 'sweeps:estimate', {
      datasetId,
      params,
    });
    expect(estimate.memory.mode).toBe('refused');
    await expect(call(services, 'sweeps:start', { datasetId, params })).rejects.toThrow(
      /bad_input: V takes .* even one fit at a time holds .* over the memory budget of .*raise the memory budget/,
    );
    expect(seen.submitted).toBe(0);
    expect(await libraryCounts(services)).toEqual(before);
  });

  it('refuse at start a sweep the budget no longer fits (lowered since it was made): failed, no fit run', async () => {
    const services = start();
    const datasetId = await synthesize(services);
    const { oneAtATime } = sweepSizes(services, datasetId);
    const sweep = createSweep(services.ctx, datasetId, params);
    const seen = watchPool(services);
    setBudget(services, oneAtATime - 1);
    expect(await executeSweep(services.ctx, sweep.id)).toBe('failed');
    const detail = await call<SweepDetail>(services, 'sweeps:get', { id: sweep.id });
    expect(detail.error).toMatch(/over the memory budget/);
    expect(detail.jobsDone).toBe(0);
    expect(seen.submitted).toBe(0);
    expect((await libraryCounts(services)).runs).toBe(0);
  });

  it('run an adapted sweep one fit at a time, with the plan in its runs’ provenance', async () => {
    const services = start();
    const datasetId = await synthesize(services);
    const { oneAtATime, poolParallel } = sweepSizes(services, datasetId);
    expect(poolParallel).toBe(2);
    const seen = watchPool(services);
    setBudget(services, oneAtATime);
    const estimate = await call<{ memory: { mode: string } }>(services, 'sweeps:estimate', {
      datasetId,
      params,
    });
    expect(estimate.memory.mode).toBe('adapted');
    const sweep = createSweep(services.ctx, datasetId, params);
    expect(await executeSweep(services.ctx, sweep.id)).toBe('done');
    expect(seen.submitted).toBe(sweep.jobsTotal);
    expect(seen.most).toBe(1);
    const detail = await call<SweepDetail>(services, 'sweeps:get', { id: sweep.id });
    for (const rank of detail.ranks) {
      const run = await call<RunDetail>(services, 'runs:get', { id: rank.runId });
      expect(run.provenance?.memory).toMatchObject({ mode: 'adapted', parallel: 1, budgetBytes: oneAtATime });
    }
  });

  it('run all the pool’s fits at once within the budget (the plan does not slow a sweep that fits)', async () => {
    const services = start();
    const datasetId = await synthesize(services);
    sweepSizes(services, datasetId);
    const seen = watchPool(services);
    const sweep = createSweep(services.ctx, datasetId, params);
    expect(await executeSweep(services.ctx, sweep.id)).toBe('done');
    expect(seen.most).toBe(2);
    // Not adapted: the runs' provenance is as before (and as a cluster merge of the sweep stores).
    const detail = await call<SweepDetail>(services, 'sweeps:get', { id: sweep.id });
    const run = await call<RunDetail>(services, 'runs:get', { id: detail.ranks[0].runId });
    expect(run.provenance?.memory).toBeUndefined();
  });
});

describe('consensus runs and projections under the memory budget', () => {
  it('refuse an over-budget consensus at creation and leave the library as it was', async () => {
    const services = start();
    const datasetId = await synthesize(services);
    const seen = watchPool(services);
    setBudget(services, 40_000);
    const consensus = { fromRank: 2, toRank: 3, replicates: 10, fit: { maxIter: 50 } };
    const estimate = await call<{ memory: { mode: string } }>(services, 'consensus:estimate', {
      datasetId,
      params: consensus,
    });
    expect(estimate.memory.mode).toBe('refused');
    await expect(call(services, 'consensus:start', { datasetId, params: consensus })).rejects.toThrow(
      /bad_input: .*over the memory budget of 39.1 KiB.*replicates per rank/,
    );
    expect(seen.submitted).toBe(0);
    expect(await call<unknown[]>(services, 'consensus:list', {})).toEqual([]);
  });

  it('refuse an over-budget projection before it reads the new samples', async () => {
    const services = start();
    const datasetId = await synthesize(services);
    const run = await call<{ id: number }>(services, 'runs:start', {
      datasetId,
      params: { rank: 3, maxIter: 50 },
    });
    for (;;) {
      const detail = await call<RunDetail>(services, 'runs:get', { id: run.id });
      if (detail.state === 'done') break;
      expect(['queued', 'running']).toContain(detail.state);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    setBudget(services, 20_000);
    const plan = await call<{ memory: { mode: string } }>(services, 'projections:estimate', {
      runId: run.id,
      datasetId,
    });
    expect(plan.memory.mode).toBe('refused');
    await expect(call(services, 'projections:start', { runId: run.id, datasetId })).rejects.toThrow(
      /bad_input: .*over the memory budget.*Project fewer samples/,
    );
    expect(await call<unknown[]>(services, 'projections:list', {})).toEqual([]);
    setBudget(services, 2 ** 30);
    expect(
      (
        await call<{ memory: { mode: string } }>(services, 'projections:estimate', {
          runId: run.id,
          datasetId,
        })
      ).memory.mode,
    ).toBe('in-memory');
  });
});
