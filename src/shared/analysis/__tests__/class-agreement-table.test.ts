import { describe, expect, it } from 'vitest';
import { Rng } from '../../linalg/random';
import type { CategoricalAnnotation } from '../annotations';
import { classAgreement } from '../classes';
import { adjustedRandIndex, adjustedRandIndexOfTable } from '../rand';

/**
 * The adjusted Rand index of a class agreement, now read off its contingency table, is bit for bit
 * the one `adjustedRandIndex` gives of the labelled samples' two labelings (what it was computed
 * from before).
 */
function column(values: Array<string | null>, levels: string[]): CategoricalAnnotation {
  return { name: 'class', kind: 'categorical', levels, values };
}

describe('adjustedRandIndexOfTable', () => {
  it('equals adjustedRandIndex of the labelings, bit for bit, on random, degenerate and large cases', () => {
    const rng = new Rng(17);
    const cases: Array<{ n: number; classes: number; clusters: number; missing: number; skew: number }> = [];
    for (let c = 0; c < 60; c++)
      cases.push({
        n: 1 + Math.floor(rng.uniform() * 400),
        classes: 1 + Math.floor(rng.uniform() * 6),
        clusters: 1 + Math.floor(rng.uniform() * 6),
        missing: rng.uniform() < 0.5 ? 0 : rng.uniform() * 0.3,
        skew: rng.uniform() * 3,
      });
    cases.push({ n: 200_000, classes: 12, clusters: 7, missing: 0.05, skew: 1 });
    for (const { n, classes, clusters, missing, skew } of cases) {
      const levels = Array.from({ length: classes }, (_, i) => `c${i}`);
      // Skewed draws, so some classes or clusters are empty or hold one sample.
      const draw = (k: number): number => Math.min(k - 1, Math.floor(k * rng.uniform() ** (1 + skew)));
      const values = Array.from({ length: n }, () =>
        rng.uniform() < missing ? null : levels[draw(classes)],
      );
      const labels = Array.from({ length: n }, () => draw(clusters));
      const truth: number[] = [];
      const predicted: number[] = [];
      values.forEach((v, j) => {
        if (v === null) return;
        truth.push(levels.indexOf(v));
        predicted.push(labels[j]);
      });
      const agreement = classAgreement(Uint8Array.from(labels), column(values, levels), clusters);
      if (truth.length === 0) {
        expect(agreement.ari).toBeNaN();
        continue;
      }
      const before = adjustedRandIndex(truth, predicted);
      expect(Object.is(agreement.ari, before)).toBe(true);
      expect(Object.is(adjustedRandIndexOfTable(agreement.counts), before)).toBe(true);
      expect(agreement.samples).toBe(truth.length);
    }
  });

  it('scores the degenerate tables as adjustedRandIndex does', () => {
    // One cluster and one class; all singletons; identical partitions up to renaming.
    expect(adjustedRandIndexOfTable([[5]])).toBe(adjustedRandIndex([0, 0, 0, 0, 0], [0, 0, 0, 0, 0]));
    expect(
      adjustedRandIndexOfTable([
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ]),
    ).toBe(adjustedRandIndex([0, 1, 2], [0, 1, 2]));
    expect(
      adjustedRandIndexOfTable([
        [0, 3],
        [2, 0],
      ]),
    ).toBe(1);
  });
});
