import { describe, expect, it } from 'vitest';
import { fitNmf } from '../../nmf';
import {
  assignModules,
  planSweep,
  runSweepJob,
  scoreAssignment,
  summarizeSweep,
  synthesizeGeneModules,
} from '..';

/**
 * A larger planted data set (N = 2000 genes, M = 500 conditions, R = 8 modules, 100 moonlighting
 * genes). A converged sweep with cross-validation at this size runs through the app's worker pool
 * in src/main/services/__tests__/sweep-planted-large.test.ts (it recommends 8). Checked here, in
 * one thread:
 *   - recovery at the true rank: one KL fit from a random start, 80 iterations;
 *   - a reduced sweep k = 7..9 (2 replicates, no folds, no baseline, consensus from the replicates,
 *     40 iterations per fit): it runs at this size and BIC rejects the rank one module short; at 40
 *     iterations the fits are far from converged (Pearson dispersion ≈ 14 where converged Poisson
 *     fits give 1), so the sweep does not let BIC decide, and 8 and 9 are not told apart.
 */
describe('planted gene modules, N = 2000, M = 500, R = 8', () => {
  const data = synthesizeGeneModules({ features: 2000, samples: 500, rank: 8, seed: 1 });

  it('recovers the modules and the moonlighting genes at the true rank', { timeout: 120_000 }, () => {
    const fit = fitNmf(data.V, { rank: 8, init: 'random', seed: 0, maxIter: 80, tol: 0 });
    const assignment = assignModules(fit.W);
    const score = scoreAssignment(assignment, fit.W, data.truth);
    console.log('N=2000', JSON.stringify({ threshold: assignment.threshold, ...score }));
    expect(score.adjustedRandIndex).toBeGreaterThanOrEqual(0.95);
    expect(score.moonlightingPrecision).toBeGreaterThanOrEqual(0.8);
    expect(score.moonlightingRecall).toBeGreaterThanOrEqual(0.8);
    expect(Math.min(...score.moduleSimilarity)).toBeGreaterThan(0.98);
  });

  it('runs a reduced sweep and rejects the rank one module short', { timeout: 120_000 }, () => {
    const spec = {
      fromRank: 7,
      toRank: 9,
      replicates: 2,
      cvFolds: 0,
      baseline: false,
      consensusReplicates: 0,
      fit: { maxIter: 40, tol: 0 },
    };
    const summary = summarizeSweep(
      spec,
      planSweep(spec).map((job) => runSweepJob(data.V, job)),
    );
    const [k7, k8] = summary.ranks;
    console.log('N=2000 sweep', JSON.stringify(summary.recommendation));
    expect(summary.ranks.map((r) => r.rank)).toEqual([7, 8, 9]);
    expect(summary.recommendation.criterion).not.toBe('bic');
    expect(summary.recommendation.warnings.map((w) => w.code)).toContain('overdispersed');
    expect(summary.recommendation.rank).not.toBe(7);
    expect(k7.bic!).toBeGreaterThan(k8.bic!);
    expect(k8.sampleClusters).toHaveLength(500);
    expect(k8.stability).not.toBeNull();
    expect(k8.cophenetic).not.toBeNull();
  });
});
