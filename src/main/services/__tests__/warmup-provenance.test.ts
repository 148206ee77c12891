import { describe, expect, it } from 'vitest';
import { planSweep } from '../../../shared/analysis';
import {
  RUN_FIT_DEFAULTS,
  SWEEP_FIT_DEFAULTS,
  sweepParamsSchema,
  type RunDetail,
  type SweepDetail,
} from '../../../shared/domain';
import { sweepSpecOf } from '../sweeps';
import { call, finishedRun, servicesInTempFolders, synthesizedDataset } from './harness';

/**
 * A run by multiplicative updates warms up until HALS settles by default; its parameters cannot
 * say how long that took, so the run's provenance does (the Run screen's hand-over mark reads it).
 */
describe('a run warmed up until HALS settles', () => {
  const start = servicesInTempFolders('nmf-warmup-provenance-');

  it('records the warm-up length in its provenance, and none for a fixed warm-up', async () => {
    const services = start();
    const datasetId = await synthesizedDataset(services, 7, 40);
    const settled = await finishedRun(services, datasetId, { rank: 3, maxIter: 600, seed: 1 });
    expect(settled.params.warmupTol).toBe(RUN_FIT_DEFAULTS.warmupTol);
    const length = settled.provenance?.warmupIterations;
    expect(length).toBeGreaterThanOrEqual(RUN_FIT_DEFAULTS.warmup);
    expect(length).toBeLessThanOrEqual(300);
    expect(((length ?? 0) - RUN_FIT_DEFAULTS.warmup) % 10).toBe(0);
    const fixed = await finishedRun(services, datasetId, { rank: 3, maxIter: 600, seed: 1, warmupTol: 0 });
    expect(fixed.params.warmupTol).toBe(0);
    expect(fixed.provenance?.warmupIterations).toBeUndefined();
  });

  it("is what a sweep's fits run, and its saved run records it", async () => {
    const services = start();
    const datasetId = await synthesizedDataset(services, 7, 40);
    const savedRun = async (fit: {
      maxIter: number;
      warmup: number;
      warmupTol?: number;
    }): Promise<RunDetail> => {
      const sweep = await call<{ id: number }>(services, 'sweeps:start', {
        datasetId,
        params: {
          fromRank: 3,
          toRank: 3,
          replicates: 1,
          cvFolds: 0,
          baseline: false,
          consensusReplicates: 0,
          fit,
        },
      });
      for (;;) {
        const detail = await call<SweepDetail>(services, 'sweeps:get', { id: sweep.id });
        if (detail.state === 'done')
          return call<RunDetail>(services, 'runs:get', { id: detail.ranks[0].runId });
        if (detail.state !== 'running' && detail.state !== 'queued') throw new Error(`sweep ${detail.state}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    // A 20-iteration minimum, which HALS has not settled by on these data: the settled length
    // differs from the fixed one (sweeps used to run their fits with the fixed warm-up whatever
    // their parameters said).
    const settled = await savedRun({ maxIter: 600, warmup: 20 });
    expect(settled.params.warmupTol).toBe(SWEEP_FIT_DEFAULTS.warmupTol);
    expect(settled.provenance?.warmupIterations).toBeGreaterThan(20);
    // The same warm-up as a run from the same start (the stopping rules of runs and sweeps differ).
    const alone = await finishedRun(services, datasetId, {
      rank: 3,
      maxIter: 600,
      seed: 0,
      init: 'random',
      warmup: 20,
    });
    expect(settled.provenance?.warmupIterations).toBe(alone.provenance?.warmupIterations);
    const fixed = await savedRun({ maxIter: 600, warmup: 20, warmupTol: 0 });
    expect(fixed.provenance?.warmupIterations).toBeUndefined();
  }, 60_000);

  it('leaves the jobs of a sweep with a fixed warm-up as they were planned before sweeps carried it', () => {
    const params = sweepParamsSchema.parse({ fromRank: 2, toRank: 3, fit: { warmupTol: 0 } });
    expect(planSweep(sweepSpecOf(params)).every((job) => !('warmupTol' in job.fit))).toBe(true);
    const settling = sweepParamsSchema.parse({ fromRank: 2, toRank: 3 });
    const jobs = planSweep(sweepSpecOf(settling));
    expect(
      jobs
        .filter((job) => job.kind !== 'consensus')
        .every((job) => job.fit.warmupTol === SWEEP_FIT_DEFAULTS.warmupTol),
    ).toBe(true);
  });
});
