import { describe, expect, it } from 'vitest';
import { synthesizeGeneModules } from '..';
import { plantedSpec, sweepAndAssign } from './planted';

/** The same planted-modules check on further seeds (without the baseline fits, which only add reasoning). */
describe.each([2, 3])('planted gene modules, seed %i', (seed) => {
  it('recommends rank 5 and recovers the modules and the moonlighting genes', { timeout: 180_000 }, () => {
    const data = synthesizeGeneModules({ features: 100, samples: 60, rank: 5, seed });
    const { summary, score } = sweepAndAssign(data.V, data.truth, plantedSpec(false));
    console.log(`seed ${seed}`, JSON.stringify({ score, recommendation: summary.recommendation }));
    expect(summary.recommendation.rank).toBe(5);
    expect(score.adjustedRandIndex).toBeGreaterThanOrEqual(0.95);
    expect(score.moonlightingPrecision).toBeGreaterThanOrEqual(0.8);
    expect(score.moonlightingRecall).toBeGreaterThanOrEqual(0.8);
  });
});
