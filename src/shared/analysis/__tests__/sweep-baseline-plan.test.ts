import { describe, expect, it } from 'vitest';
import { planSweep, runSweepJob, summarizeSweep } from '../sweep';
import { summarizeFinishedRank } from '../sweep';
import { resolveSpec } from '../sweep-plan';
import { hardCase } from '../synthetic-cases';
import type { SweepJobResult, SweepSpec } from '../types';

/**
 * A baseline planned without warm-started replicates (`baselineReplicates: 0`): its consensus fits
 * are the same jobs as in the full plan, its loss is the best of theirs, and every other criterion —
 * the data's and the baseline's cophenetic and stability — is the full plan's, bit for bit.
 */
const today: SweepSpec = {
  fromRank: 2,
  toRank: 3,
  replicates: 3,
  cvFolds: 0,
  consensusReplicates: 4,
  baseline: true,
  fit: { beta: 1, solver: 'mu', init: 'random', maxIter: 60, tol: 1e-5, seed: 5, warmup: 20 },
};
const lean: SweepSpec = { ...today, baselineReplicates: 0 };

describe('a baseline without replicates', () => {
  it('plans the full plan less the baseline replicates, and the full plan when the field is absent', () => {
    const full = planSweep(today);
    expect(resolveSpec(today).baselineReplicates).toBe(3);
    expect(full.filter((j) => j.baseline && j.kind === 'replicate')).toHaveLength(2 * 3);
    const fewer = planSweep(lean);
    expect(fewer).toEqual(full.filter((j) => !(j.baseline && j.kind === 'replicate')));
    expect(fewer.filter((j) => j.baseline)).toHaveLength(2 * 3); // min(4 consensus, 3 replicates) per rank
  });

  it('refuses a baseline with neither replicates nor consensus fits', () => {
    expect(() => planSweep({ ...lean, consensusReplicates: 0 })).toThrow(
      /baselineReplicates 0 needs consensus fits/,
    );
    expect(() => planSweep({ ...today, baselineReplicates: -1 })).toThrow(/baselineReplicates/);
    // Without a baseline the field is moot.
    expect(planSweep({ ...lean, consensusReplicates: 0, baseline: false }).every((j) => !j.baseline)).toBe(
      true,
    );
  });

  it.each([1, 2, 3])(
    'takes the baseline loss from its consensus fits, all else the same (data seed %i)',
    (seed) => {
      const { V } = hardCase('planted', { features: 40, samples: 30, rank: 3, depth: 400, seed });
      const results: SweepJobResult[] = planSweep(today).map((job) => runSweepJob(V, job));
      const leanIds = new Set(planSweep(lean).map((j) => j.id));
      const leanResults = results.filter((r) => leanIds.has(r.jobId));
      const full = summarizeSweep(today, results);
      const fewer = summarizeSweep(lean, leanResults);
      expect(fewer.recommendation).toEqual(full.recommendation);
      fewer.ranks.forEach((rank, i) => {
        const { baseline, ...data } = rank;
        const { baseline: fullBaseline, ...fullData } = full.ranks[i];
        expect(data).toEqual(fullData);
        const consensusLosses = results
          .filter((r) => r.baseline && r.rank === rank.rank && r.kind === 'consensus')
          .sort((a, b) => a.index - b.index)
          .map((r) => r.loss);
        expect(baseline).not.toBeNull();
        expect(baseline!.loss).toBe(Math.min(...consensusLosses));
        expect(baseline!.replicateLosses).toEqual(consensusLosses);
        expect(baseline!.cophenetic).toBe(fullBaseline!.cophenetic);
        expect(baseline!.stability).toBe(fullBaseline!.stability);
        expect(baseline!.consensusFits).toBe(fullBaseline!.consensusFits);
        // A finished rank's live criteria say the same.
        expect(summarizeFinishedRank(rank.rank, leanResults)).toEqual(rank);
      });
    },
  );
});
