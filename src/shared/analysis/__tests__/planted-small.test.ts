import { describe, expect, it } from 'vitest';
import { synthesizeGeneModules, toRanksJson } from '..';
import { plantedSpec, sweepAndAssign } from './planted';

/**
 * End to end on planted gene modules (N = 100 genes, M = 60 conditions, R = 5 modules, 5%
 * moonlighting, mean count 1000): a full sweep k = 2..8 with the shuffled baseline must recommend
 * 5, and the modules read from the best rank-5 fit must match the planted ones.
 */
describe('planted gene modules, seed 1, with the shuffled baseline', () => {
  it('recommends rank 5 and recovers the modules and the moonlighting genes', { timeout: 600_000 }, () => {
    const data = synthesizeGeneModules({ features: 100, samples: 60, rank: 5, seed: 1 });
    const { summary, score } = sweepAndAssign(data.V, data.truth, plantedSpec(true));
    expect(summary.recommendation.rank).toBe(5);
    expect(summary.recommendation.criterion).toBe('cv-1se');
    expect(score.adjustedRandIndex).toBeGreaterThanOrEqual(0.95);
    expect(score.moonlightingPrecision).toBeGreaterThanOrEqual(0.8);
    expect(score.moonlightingRecall).toBeGreaterThanOrEqual(0.8);

    const k5 = summary.ranks.find((r) => r.rank === 5)!;
    // The data beat their row-shuffled copy by far; the shuffled copy has no rank-5 structure.
    expect(k5.cvError!).toBeLessThan(k5.baseline!.cvError! / 10);
    expect(k5.cophenetic!).toBeGreaterThan(0.9);
    expect(k5.stability!).toBeGreaterThan(0.95);
    expect(new Set(k5.sampleClusters).size).toBe(5);
    expect(k5.bic!).toBeLessThan(summary.ranks.find((r) => r.rank === 4)!.bic!);
    expect(summary.recommendation.reasoning.some((line) => line.includes('row-shuffled baseline'))).toBe(
      true,
    );

    const json = toRanksJson(summary);
    expect(json.recommended).toBe(5);
    expect(json.warnings).toEqual([]);
    expect(json.ranks[3].cv_errors).toHaveLength(3);
    expect(Object.keys(json.ranks[0]).sort()).toEqual(
      [
        'bic',
        'consensus_fits',
        'cophenetic',
        'cv_error',
        'cv_error_se',
        'cv_error_trimmed',
        'cv_errors',
        'cv_errors_trimmed',
        'cv_paired_difference',
        'cv_paired_se',
        'dispersion',
        'loglik',
        'loss',
        'pearson_dispersion',
        'rank',
        'sample_clusters',
        'stability',
        // R NMF's rank-survey measures (survey.ts), after the fields above in the file.
        'rss',
        'evar',
        'sparseness_basis',
        'sparseness_coef',
        'silhouette_coef',
        'silhouette_basis',
        'silhouette_consensus',
        'silhouette_points',
      ].sort(),
    );
    console.log('seed 1', JSON.stringify({ score, recommendation: summary.recommendation }));
  });
});
