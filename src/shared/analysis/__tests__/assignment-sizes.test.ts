import { describe, expect, it } from 'vitest';
import { dense } from '../../linalg/matrix';
import { fitNmf } from '../../nmf';
import { RUN_FIT_DEFAULTS } from '../../domain/defaults';
import {
  assignModules,
  columnScales,
  removeModuleBackground,
  rowNormalize,
  scoreAssignment,
  synthesizeGeneModules,
} from '..';
import { unequalModules } from './unequal-modules';

/**
 * Module assignment must not depend on module size. Planted modules of 180, 60, 30, 18 and 12 genes
 * (columns of W summing to one, so a small module's loadings are up to 15× a big one's), 15
 * moonlighting genes, Dirichlet H, Poisson counts; scored on the true W and on a KL fit of V.
 * Unit-sum column scaling found 53–93 % of the moonlighting genes on the true W over these seeds.
 */
const SIZES = [180, 60, 30, 18, 12];

describe('module assignment on modules of unequal size', () => {
  for (const seed of [1, 2, 4, 5]) {
    it(`finds the moonlighting genes on the true and the fitted W (seed ${seed})`, () => {
      const data = unequalModules({ sizes: SIZES, samples: 100, moonlighting: 15, seed });
      const exact = scoreAssignment(assignModules(data.truth.W), data.truth.W, data.truth);
      expect(exact.moonlightingRecall).toBe(1);
      expect(exact.moonlightingPrecision).toBe(1);
      expect(exact.adjustedRandIndex).toBe(1);
      expect(exact.moonlightingPairAccuracy).toBe(1);

      const fit = fitNmf(data.V, {
        rank: 5,
        beta: 1,
        init: 'random',
        seed,
        warmup: 200,
        maxIter: 3000,
        tol: 1e-6,
      });
      const score = scoreAssignment(assignModules(fit.W), fit.W, data.truth);
      expect(Math.min(...score.moduleSimilarity)).toBeGreaterThan(0.99);
      expect(score.moonlightingRecall).toBeGreaterThanOrEqual(0.93);
      expect(score.moonlightingPrecision).toBeGreaterThanOrEqual(0.93);
      expect(score.adjustedRandIndex).toBeGreaterThanOrEqual(0.98);
    });
  }

  for (const seed of [1, 4]) {
    it(`does not call every gene moonlighting when the rank is one too high (seed ${seed})`, () => {
      // Five equal planted modules fitted at k = 6: the extra component spreads over every gene.
      // Unit-sum scaling then put 117–124 of 300 genes in two modules (precision 0.03–0.07).
      const data = synthesizeGeneModules({ features: 300, samples: 100, rank: 5, seed });
      const fit = fitNmf(data.V, { rank: 6, beta: 1, ...RUN_FIT_DEFAULTS });
      const assignment = assignModules(fit.W);
      const score = scoreAssignment(assignment, fit.W, data.truth);
      expect(assignment.moonlighting.length).toBeLessThanOrEqual(20);
      expect(score.moonlightingPrecision).toBeGreaterThanOrEqual(0.9);
      expect(score.moonlightingRecall).toBeGreaterThanOrEqual(0.7);
      expect(score.adjustedRandIndex).toBeGreaterThanOrEqual(0.9);
    });
  }

  it('measures each column in units of its typical member, not its sum or its largest entry', () => {
    // Column 0: 30 members of loading ~1/30, one of them 40× larger; column 1: 5 members of ~1/5.
    const m = 35;
    const W = dense(m, 2);
    for (let i = 0; i < 30; i++) W.data[i * 2] = (1 + (i % 3) * 0.1) / 30;
    W.data[0] = 40 / 30;
    for (let i = 30; i < 35; i++) W.data[i * 2 + 1] = (1 + (i % 3) * 0.1) / 5;
    // A gene shared half and half, in typical-member units.
    W.data[5 * 2 + 1] = 1.1 / 5;
    const scales = columnScales(W);
    expect(scales[0]).toBeCloseTo(1.1 / 30, 12);
    expect(scales[1]).toBeCloseTo(1.1 / 5, 12);
    const shares = rowNormalize(W);
    expect(shares.data[5 * 2]).toBeCloseTo(shares.data[5 * 2 + 1], 1);
    const result = assignModules(W);
    expect(result.moonlighting).toEqual([5]);
  });

  it('removes a share common to a whole module (a mixed component) but keeps a feature-specific one', () => {
    // Every feature whose top component is 0 shows 0.2 in component 1, except feature 3 (0.45).
    const rows = 12;
    const shares = dense(rows, 2);
    for (let i = 0; i < rows; i++) {
      const second = i === 3 ? 0.45 : 0.2;
      shares.data[i * 2] = 1 - second;
      shares.data[i * 2 + 1] = second;
    }
    const cleaned = removeModuleBackground(shares);
    for (let i = 0; i < rows; i++) {
      if (i === 3) expect(cleaned.data[i * 2 + 1]).toBeCloseTo(0.25 / 0.8, 12);
      else expect(cleaned.data[i * 2 + 1]).toBe(0);
      expect(cleaned.data[i * 2] + cleaned.data[i * 2 + 1]).toBeCloseTo(1, 12);
    }
    // Fewer than five features with the same top component: nothing is taken away.
    const few = dense(3, 2, Float64Array.from([0.8, 0.2, 0.8, 0.2, 0.7, 0.3]));
    expect(Array.from(removeModuleBackground(few).data)).toEqual(Array.from(few.data));
  });
});
