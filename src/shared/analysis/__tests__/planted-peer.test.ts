import { describe, expect, it } from 'vitest';
import { dense } from '../../linalg/matrix';
import { plantedSpec, sweepAndAssign } from './planted';
import peer from './fixtures/modules_small.json';

/**
 * The peer generator's own data set (make_data.py modules_small, seed 1121, committed as a fixture):
 * the same sweep and assignment must work on data this project did not draw.
 */
describe('make_data.py modules_small', () => {
  it('recommends rank 5 and recovers the modules and the moonlighting genes', { timeout: 180_000 }, () => {
    const m = peer.V.length;
    const n = peer.V[0].length;
    const V = dense(m, n, Float64Array.from(peer.V.flat()));
    const truth = {
      W: dense(m, peer.W[0].length, Float64Array.from(peer.W.flat())),
      module: peer.module,
      moonlighting: peer.moonlighting.map((f) => ({
        feature: `g${f.index + 1}`,
        index: f.index,
        modules: [f.modules[0], f.modules[1]] as [number, number],
      })),
    };
    const { summary, score } = sweepAndAssign(V, truth, plantedSpec(false));
    console.log('peer', JSON.stringify({ score, recommendation: summary.recommendation }));
    expect(summary.recommendation.rank).toBe(5);
    expect(score.adjustedRandIndex).toBeGreaterThanOrEqual(0.95);
    expect(score.moonlightingPrecision).toBeGreaterThanOrEqual(0.8);
    expect(score.moonlightingRecall).toBeGreaterThanOrEqual(0.8);
  });
});
