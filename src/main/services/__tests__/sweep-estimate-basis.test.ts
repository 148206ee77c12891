import { describe, expect, it } from 'vitest';
import { SWEEP_FIT_DEFAULTS } from '../../../shared/domain';
import { call, servicesInTempFolders, synthesizedDataset } from './harness';

/**
 * The New sweep form's estimate states the fits the sweep will run, side by side: without folds the
 * shuffled baseline has only its consensus fits (see `withConsensusReplicates`), with folds it keeps
 * its replicates. The counts are read off the plan, so they cannot drift from it.
 */
const start = servicesInTempFolders('nmf-sweep-estimate-');

describe('the sweep estimate', () => {
  it('names each side’s fits per rank as the plan has them', async () => {
    const services = start();
    const datasetId = await synthesizedDataset(services, 4, 30);
    const estimate = (params: Record<string, unknown>): Promise<{ basis: string }> =>
      call<{ basis: string }>(services, 'sweeps:estimate', { datasetId, params });

    const withoutFolds = await estimate({
      fromRank: 2,
      toRank: 4,
      replicates: 3,
      cvFolds: 0,
      consensusReplicates: 4,
    });
    expect(withoutFolds.basis).toMatch(
      /^30 fits \(ranks 2–4, per rank: 3 replicate\(s\), 4 consensus fit\(s\) on the data; 3 consensus fit\(s\) on its shuffled baseline; consensus fits from independent starts/,
    );
    // Here 20 consensus fits would be more than twice the rest: none, and the baseline keeps its replicates.
    const decided = await estimate({ fromRank: 2, toRank: 4, replicates: 3, cvFolds: 0 });
    expect(decided.basis).toMatch(
      /^18 fits \(ranks 2–4, per rank: 3 replicate\(s\) on the data; 3 replicate\(s\) on its shuffled baseline; consensus from the replicates \(independent consensus fits would more than triple the work\)/,
    );

    const withFolds = await estimate({
      fromRank: 2,
      toRank: 4,
      replicates: 3,
      cvFolds: 2,
      consensusReplicates: 4,
    });
    expect(withFolds.basis).toMatch(
      /^51 fits \(ranks 2–4, per rank: 3 replicate\(s\), 2 fold\(s\), 4 consensus fit\(s\) on the data; 3 replicate\(s\), 2 fold\(s\), 3 consensus fit\(s\) on its shuffled baseline; each fold screening/,
    );
    // The fits warm up until HALS settles: a screened start can run past its counted length.
    // A screened start: its warm-up and as many updates again, at least 150 (sweep-plan.ts).
    const warmup = SWEEP_FIT_DEFAULTS.warmup;
    const screen = Math.max(2 * warmup, warmup + 150);
    expect(withFolds.basis).toContain(
      `each fold screening 3 starts for ${screen} iterations (up to ${SWEEP_FIT_DEFAULTS.maxIter / 2 + screen - warmup} where HALS settles late)`,
    );
    const fixed = await estimate({
      fromRank: 2,
      toRank: 2,
      replicates: 2,
      cvFolds: 2,
      fit: { warmupTol: 0 },
    });
    expect(fixed.basis).not.toContain('settles late');

    const lean = await estimate({
      fromRank: 2,
      toRank: 2,
      replicates: 2,
      cvFolds: 0,
      baseline: false,
      consensusReplicates: 0,
    });
    expect(lean.basis).toMatch(
      /^2 fits \(ranks 2–2, per rank: 2 replicate\(s\) on the data; consensus from the replicates, as asked\)/,
    );
  });

  it('splits the forecast by what the fits are for; the parts add up to it and count the plan’s fits', async () => {
    const services = start();
    const datasetId = await synthesizedDataset(services, 4, 30);
    type Estimate = { seconds: number; parts: { what: string; fits: number; seconds: number }[] };
    const estimate = (params: Record<string, unknown>): Promise<Estimate> =>
      call<Estimate>(services, 'sweeps:estimate', { datasetId, params });
    const sum = (parts: Estimate['parts']): number => parts.reduce((total, part) => total + part.seconds, 0);

    // Ranks 2..4, 3 replicates, 2 folds, 4 consensus fits, the baseline (3 replicates, 2 folds, 3 consensus fits).
    const full = await estimate({
      fromRank: 2,
      toRank: 4,
      replicates: 3,
      cvFolds: 2,
      consensusReplicates: 4,
    });
    expect(full.parts.map(({ what, fits }) => [what, fits])).toEqual([
      ['replicates', 9],
      ['folds', 6],
      ['consensus', 12],
      ['baseline', 24],
    ]);
    expect(sum(full.parts)).toBeCloseTo(full.seconds, 9);
    for (const part of full.parts) expect(part.seconds).toBeGreaterThan(0);
    // A fold fit screens its starts before it goes on: dearer than a replicate of the same rank.
    const perFit = (what: string): number => {
      const part = full.parts.find((p) => p.what === what)!;
      return part.seconds / part.fits;
    };
    expect(perFit('folds')).toBeGreaterThan(perFit('replicates'));

    // Without the evidence beyond the replicates, only the replicates are left (their seconds
    // depend on how many of them run at once, which the pool's size bounds).
    const lean = await estimate({
      fromRank: 2,
      toRank: 4,
      replicates: 3,
      cvFolds: 0,
      baseline: false,
      consensusReplicates: 0,
    });
    expect(lean.parts.map(({ what, fits }) => [what, fits])).toEqual([['replicates', 9]]);
    expect(lean.seconds).toBeCloseTo(lean.parts[0].seconds, 9);

    const sampled = await estimate({
      fromRank: 3,
      toRank: 3,
      replicates: 2,
      cvFolds: 0,
      baseline: false,
      consensusReplicates: 0,
      sampleFolds: 3,
    });
    expect(sampled.parts.map(({ what, fits }) => [what, fits])).toEqual([
      ['replicates', 2],
      ['sample-folds', 3],
    ]);
  });
});
