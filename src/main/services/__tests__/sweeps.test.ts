import { describe, expect, it } from 'vitest';
import type { SweepDetail } from '../../../shared/domain';
import type { Services } from '..';
import { dispatch } from '../dispatch';
import { call, servicesInTempFolders } from './harness';

const start = servicesInTempFolders('nmf-sweep-');

async function until(services: Services, id: number, states: string[], minDone = 0): Promise<SweepDetail> {
  const started = Date.now();
  for (;;) {
    const sweep = await call<SweepDetail>(services, 'sweeps:get', { id });
    if (states.includes(sweep.state) && sweep.jobsDone >= minDone) return sweep;
    if (Date.now() - started > 120_000)
      throw new Error(`sweep ${id} still ${sweep.state} (${sweep.jobsDone}/${sweep.jobsTotal})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const params = { fromRank: 2, toRank: 4, replicates: 3, cvFolds: 2, fit: { maxIter: 200 } };

describe('sweeps through the services', () => {
  it('run every job, save each rank’s best replicate as a run, and give the same result after a cancel and resume', async () => {
    const services = start();
    const { dataset } = await call<{ dataset: { id: number } }>(services, 'datasets:synthesize', {
      features: 60,
      samples: 30,
      rank: 3,
      seed: 8,
    });

    const whole = await call<{ id: number; jobsTotal: number }>(services, 'sweeps:start', {
      datasetId: dataset.id,
      params,
    });
    const reference = await until(services, whole.id, ['done', 'failed']);
    expect(reference.state).toBe('done');
    expect(reference.jobsDone).toBe(reference.jobsTotal);
    expect(reference.ranks.map((r) => r.rank)).toEqual([2, 3, 4]);
    expect(reference.recommendation?.reasoning.length).toBeGreaterThan(0);
    for (const rank of reference.ranks) {
      expect(rank.runId).not.toBeNull();
      const run = await call<{
        sweepId: number;
        state: string;
        W: Float64Array;
        params: { rank: number; init: string };
        trace: Array<[number, number]>;
      }>(services, 'runs:get', { id: rank.runId });
      expect(run).toEqual(expect.objectContaining({ sweepId: whole.id, state: 'done' }));
      expect(run.W.length).toBe(60 * rank.rank);
      // The sweep asked for NNDSVDa, which starts every seed alike; its fits use random starts, and say so.
      expect(run.params.init).toBe('random');
      expect(run.trace.length).toBeGreaterThan(2);
      expect(rank.baseline).not.toBeNull();
    }

    const interrupted = await call<{ id: number }>(services, 'sweeps:start', {
      datasetId: dataset.id,
      params,
    });
    await until(services, interrupted.id, ['running'], 3);
    await call(services, 'sweeps:cancel', { id: interrupted.id });
    const cancelled = await until(services, interrupted.id, ['cancelled']);
    expect(cancelled.jobsDone).toBeGreaterThanOrEqual(3);
    expect(cancelled.jobsDone).toBeLessThan(cancelled.jobsTotal);
    await call(services, 'sweeps:resume', { id: interrupted.id });
    const resumed = await until(services, interrupted.id, ['done', 'failed']);
    expect(resumed.state).toBe('done');
    const strip = (d: SweepDetail) => d.ranks.map(({ runId: _runId, ...rest }) => rest);
    expect(strip(resumed)).toEqual(strip(reference));
    expect(resumed.recommendation).toEqual(reference.recommendation);
  }, 180_000);

  it('refuse a range beyond the data before queuing anything', async () => {
    const services = start();
    const { dataset } = await call<{ dataset: { id: number } }>(services, 'datasets:synthesize', {
      features: 20,
      samples: 8,
      rank: 2,
      seed: 1,
    });
    const result = await dispatch(services.handlers, 'sweeps:start', {
      datasetId: dataset.id,
      params: { fromRank: 2, toRank: 9 },
    });
    expect(result).toEqual({
      ok: false,
      error: { code: 'bad_input', message: 'rank 9 exceeds min(features, samples) = min(20, 8) = 8' },
    });
    expect(await call<unknown[]>(services, 'sweeps:list', {})).toEqual([]);
  });
});
