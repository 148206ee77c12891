import { describe, expect, it } from 'vitest';
import { planSweep, type SweepJobResult } from '../../../shared/analysis';
import type { RunEstimate, SweepDetail } from '../../../shared/domain';
import type { Services } from '..';
import { sweepIterationRecord, type SweepGroupIterations } from '../sweep-history';
import { call, servicesInTempFolders, synthesizedDataset } from './harness';

/**
 * A sweep's forecast prices every fit at its iteration budget; once sweeps with the same fit
 * settings have ended in the library, it also gives the expected time: each fit scaled by the share
 * of their budgets that such fits needed (services/sweep-history.ts).
 */
const start = servicesInTempFolders('nmf-sweep-history-');

async function until(services: Services, id: number): Promise<SweepDetail> {
  const started = Date.now();
  for (;;) {
    const sweep = await call<SweepDetail>(services, 'sweeps:get', { id });
    if (sweep.state === 'done' || sweep.state === 'failed') return sweep;
    if (Date.now() - started > 120_000) throw new Error(`sweep ${id} still ${sweep.state}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the iterations an ended sweep records', () => {
  it('adds up each group’s iterations against its budgets, screened starts included', () => {
    const jobs = planSweep({
      fromRank: 2,
      toRank: 3,
      replicates: 2,
      cvFolds: 2,
      baseline: true,
      consensusReplicates: 2,
      fit: { maxIter: 100, warmup: 10 },
    });
    const results = jobs.map(
      (job, i) =>
        ({ jobId: job.id, kind: job.kind, baseline: job.baseline, iterations: 10 + i }) as SweepJobResult,
    );
    const record = sweepIterationRecord(jobs, results, 100);
    const group = (name: string): SweepGroupIterations => record.find((g) => g.group === name)!;
    const folds = jobs.filter((job) => !job.baseline && job.kind === 'fold');
    const screen = folds[0].screen!;
    expect(group('data/fold')).toEqual({
      group: 'data/fold',
      fits: folds.length,
      iterations: folds.reduce((sum, job) => sum + 10 + jobs.indexOf(job), 0),
      budget: folds.length * (100 + screen.starts * screen.iterations),
    });
    expect(group('data/consensus').budget).toBe(4 * 100);
    expect(record.map((g) => g.group).sort()).toEqual([
      'baseline/consensus',
      'baseline/fold',
      'baseline/replicate',
      'data/consensus',
      'data/fold',
      'data/replicate',
    ]);
    expect(record.reduce((sum, g) => sum + g.fits, 0)).toBe(jobs.length);
  });
});

describe('the sweep forecast after earlier sweeps', () => {
  it('expects each fit to need what such fits needed: this dataset’s sweeps first, then others with the same fit settings', async () => {
    const services = start();
    const first = await synthesizedDataset(services, 4, 30);
    const second = await synthesizedDataset(services, 5, 30);
    const params = {
      fromRank: 2,
      toRank: 3,
      replicates: 2,
      cvFolds: 2,
      consensusReplicates: 2,
      fit: { maxIter: 300, seed: 1 },
    };
    const estimate = (datasetId: number, p: Record<string, unknown> = params): Promise<RunEstimate> =>
      call<RunEstimate>(services, 'sweeps:estimate', { datasetId, params: p });

    // No sweep has ended yet: only the bound.
    const before = await estimate(first);
    expect(before.expected).toBeUndefined();
    expect(before.parts?.every((part) => part.expectedSeconds === undefined)).toBe(true);

    const sweep = await call<{ id: number }>(services, 'sweeps:start', { datasetId: first, params });
    expect((await until(services, sweep.id)).state).toBe('done');

    const after = await estimate(first);
    expect(after.expected).toBeDefined();
    // The fits of this small sweep converge far inside their budgets.
    expect(after.expected!.seconds).toBeLessThan(after.seconds);
    expect(after.expected!.basis).toMatch(
      /^from the iterations the fits of 1 earlier sweep of this dataset with these fit settings needed, as shares of their budgets: data replicate \d+ %, data fold \d+ %, data consensus \d+ %, baseline replicate \d+ %, baseline fold \d+ %, baseline consensus \d+ %$/,
    );
    const parts = after.parts!;
    expect(parts.reduce((sum, part) => sum + part.expectedSeconds!, 0)).toBeCloseTo(
      after.expected!.seconds,
      9,
    );
    for (const part of parts) {
      expect(part.expectedSeconds!).toBeGreaterThan(0);
      expect(part.expectedSeconds!).toBeLessThanOrEqual(part.seconds);
    }

    // Another seed is the same fit settings; another dataset learns from this one's sweep.
    expect((await estimate(first, { ...params, fit: { ...params.fit, seed: 9 } })).expected).toBeDefined();
    expect((await estimate(second)).expected!.basis).toContain('1 earlier sweep of other datasets');
    // Sample folds were never run: priced at their whole budget, and said so.
    const withSampleFolds = await estimate(first, { ...params, sampleFolds: 3 });
    expect(withSampleFolds.expected!.basis).toMatch(
      /; data sample-fold at the whole budget \(no earlier fits of that kind\)$/,
    );
    const sampleFolds = withSampleFolds.parts!.find((part) => part.what === 'sample-folds')!;
    expect(sampleFolds.expectedSeconds).toBe(sampleFolds.seconds);
    // Other fit settings (a larger budget): nothing to go by.
    expect(
      (await estimate(first, { ...params, fit: { ...params.fit, maxIter: 400 } })).expected,
    ).toBeUndefined();
  });
});
