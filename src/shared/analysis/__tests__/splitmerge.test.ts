import { describe, expect, it } from 'vitest';
import { dense, type DenseMatrix } from '../../linalg/matrix';
import { Rng } from '../../linalg/random';
import { splitMergeMap } from '..';

/**
 * Planted descents between ranks on 160 features: four modules A (features 0–39), B (40–79),
 * C (80–119), D (120–159) at the smaller rank. Every feature has one Gamma(4) loading, shared by the
 * components of both ranks whose support holds it (a split halves a module's support, a merge joins
 * two), and every entry gets independent uniform background noise of the given level (0, 1.5 and 4
 * against a mean loading of 4). A noise component is Gamma(1) on every feature.
 */
type Column = Array<[number, number]> | 'noise';

function planted(rng: Rng, loadings: Float64Array, columns: Column[], background: number): DenseMatrix {
  const m = loadings.length;
  const k = columns.length;
  const W = dense(m, k);
  columns.forEach((column, a) => {
    for (let i = 0; i < m; i++) {
      W.data[i * k + a] = column === 'noise' ? rng.gamma(1) : background * rng.uniform();
    }
    if (column !== 'noise')
      for (const [from, to] of column) for (let i = from; i < to; i++) W.data[i * k + a] += loadings[i];
  });
  return W;
}

const MODULES: Column[] = [[[0, 40]], [[40, 80]], [[80, 120]], [[120, 160]]];
const kinds = (map: ReturnType<typeof splitMergeMap>) => map.children.map((c) => [c.kind, c.parents]);

describe('split/merge map between ranks', () => {
  for (const seed of [1, 2, 3]) {
    for (const background of [0, 1.5, 4]) {
      it(`finds a true split, a true merge and a noise component (seed ${seed}, background ${background})`, () => {
        const rng = new Rng(seed);
        const loadings = Float64Array.from({ length: 160 }, () => rng.gamma(4));
        const draw = (columns: Column[]) => planted(rng, loadings, columns, background);
        const smaller = draw(MODULES);

        // A splits into its two halves; B, C, D stay.
        const split = splitMergeMap(smaller, draw([[[0, 20]], ...MODULES.slice(1), [[20, 40]]]));
        expect(kinds(split)).toEqual([
          ['split', [0]],
          ['match', [1]],
          ['match', [2]],
          ['match', [3]],
          ['split', [0]],
        ]);
        expect(split.parents[0].children).toEqual([0, 4]);
        expect(split.parents[0].explained).toBeGreaterThan(0.85);
        expect(split.lost).toEqual([]);

        // A and B merge into one component while C and D split in halves (4 → 5 components).
        const merged = splitMergeMap(
          smaller,
          draw([[[0, 80]], [[80, 100]], [[100, 120]], [[120, 140]], [[140, 160]]]),
        );
        expect(kinds(merged)).toEqual([
          ['merge', [0, 1]],
          ['split', [2]],
          ['split', [2]],
          ['split', [3]],
          ['split', [3]],
        ]);
        expect(merged.children[0].merge).toBe(true);
        expect(merged.lost).toEqual([]);

        // The larger rank adds a component of noise spread over every feature: nothing split.
        const noisy = splitMergeMap(smaller, draw([...MODULES, 'noise']));
        expect(kinds(noisy)).toEqual([
          ['match', [0]],
          ['match', [1]],
          ['match', [2]],
          ['match', [3]],
          ['new', []],
        ]);
        expect(noisy.children.some((c) => c.split)).toBe(false);
        // Still reported: its most similar component at the smaller rank, with a low similarity.
        expect(noisy.children[4].similarity).toBeLessThan(0.7);

        // A is not found again (its features are left to noise): lost, and the noise is new.
        const lost = splitMergeMap(smaller, draw([...MODULES.slice(1), 'noise', [[0, 6]]]));
        expect(lost.lost).toEqual([0]);
        expect(lost.parents[0].children).toEqual([]);
        expect(lost.children[3].kind).toBe('new');
      });
    }
  }

  it('refuses runs on different features', () => {
    expect(() => splitMergeMap(dense(3, 2), dense(4, 3))).toThrow(RangeError);
  });
});
