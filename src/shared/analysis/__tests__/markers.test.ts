import { describe, expect, it } from 'vitest';
import { dense } from '../../linalg/matrix';
import { Rng } from '../../linalg/random';
import { fitNmf } from '../../nmf';
import {
  kimParkScores,
  kimParkSelection,
  median,
  medianAbsoluteDeviation,
  rankMarkers,
  topLoadings,
  zscoreSpectra,
} from '../markers';
import featureScore from './fixtures/featurescore.json';

/** Reference: fixtures/make-featurescore.R (R NMF's featureScore / extractFeatures, method "kim"). */
describe('Kim–Park feature score against R NMF', () => {
  const W = dense(featureScore.rows, featureScore.cols, Float64Array.from(featureScore.W));

  it('scores every feature as featureScore(W, "kim") does', () => {
    const scores = kimParkScores(W);
    featureScore.scores.forEach((expected, i) => expect(scores[i]).toBeCloseTo(expected, 13));
  });

  it('selects and orders the features as extractFeatures(W, "kim") does', () => {
    const selection = kimParkSelection(W);
    expect(selection.threshold).toBeCloseTo(featureScore.threshold, 13);
    expect(selection.selected).toEqual(featureScore.selected);
  });

  it('uses R median and mad conventions', () => {
    expect(median([3, 1, 2, 10])).toBe(2.5);
    expect(median([5, 1, 3])).toBe(3);
    expect(medianAbsoluteDeviation([1, 2, 3, 4, 100])).toBeCloseTo(1.4826, 12);
  });

  it('gives 1 to a one-component feature, 0 to an even one, and takes 0·log 0 as 0', () => {
    const scores = kimParkScores(dense(3, 4, Float64Array.from([5, 0, 0, 0, 2, 2, 2, 2, 0, 0, 0, 0])));
    expect(scores[0]).toBe(1);
    expect(scores[1]).toBeCloseTo(0, 15);
    expect(Number.isNaN(scores[2])).toBe(true);
  });

  it('refuses a single component', () => {
    expect(() => kimParkScores(dense(2, 1))).toThrow(/at least two components/);
  });
});

/**
 * Planted modules plus a few highly expressed genes present in every module: a raw-loading ranking
 * puts those genes at the top of several components; specificity rankings (Kim–Park, z-score)
 * return module members. Several seeds, fitted by the engine.
 */
describe('markers on planted modules with shared high-expression features', () => {
  const m = 120;
  const n = 60;
  const k = 3;
  const shared = [0, 1, 2];
  function planted(seed: number) {
    const rng = new Rng(seed);
    const module = Array.from({ length: m }, (_, i) => (i < 3 ? -1 : (i - 3) % k));
    const W = new Float64Array(m * k);
    for (let i = 0; i < m; i++) {
      for (let q = 0; q < k; q++) {
        if (module[i] === -1) W[i * k + q] = 40 * (0.9 + 0.2 * rng.uniform());
        else W[i * k + q] = module[i] === q ? 2 + 3 * rng.uniform() : 0.05 * rng.uniform();
      }
    }
    const H = new Float64Array(k * n);
    for (let j = 0; j < n; j++)
      for (let q = 0; q < k; q++) H[q * n + j] = q === j % k ? 3 + rng.uniform() : 0.2 * rng.uniform();
    const V = new Float64Array(m * n);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += W[i * k + q] * H[q * n + j];
        V[i * n + j] = rng.poisson(s);
      }
    return { V: dense(m, n, V), module };
  }

  for (const seed of [1, 2, 3, 4]) {
    it(`seed ${seed}: specific markers are module members, raw loadings are not`, () => {
      const { V, module } = planted(seed);
      const result = fitNmf(V, {
        rank: k,
        beta: 1,
        solver: 'mu',
        init: 'nndsvda',
        maxIter: 400,
        seed,
        warmup: 100,
      });
      const top = 10;
      const raw = topLoadings(result.W, top);
      // The shared high-expression features lead raw loadings in at least two components.
      const componentsLedByShared = raw.filter((list) =>
        shared.some((s) => list.slice(0, 3).includes(s)),
      ).length;
      expect(componentsLedByShared).toBeGreaterThanOrEqual(2);

      const kim = rankMarkers(result.W, 'kim-park', top);
      const z = rankMarkers(result.W, 'zscore', top, zscoreSpectra(V, result.H));
      for (const table of [kim, z]) {
        const moduleOfComponent = new Map<number, number>();
        for (const c of table.components) {
          expect(c.features.length).toBe(top);
          for (const f of c.features) expect(shared).not.toContain(f.index);
          // All top markers of a component come from one planted module.
          const modules = new Set(c.features.map((f) => module[f.index]));
          expect(modules.size).toBe(1);
          moduleOfComponent.set(c.component, [...modules][0]);
        }
        expect(new Set(moduleOfComponent.values()).size).toBe(k);
      }
    });
  }
});
