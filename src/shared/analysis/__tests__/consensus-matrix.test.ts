import { describe, expect, it } from 'vitest';
import { consensusMatrix } from '../consensus';
import { Rng } from '../../linalg/random';

/**
 * The consensus matrix by its definition, written the plain way: 1 added to (i, j) and (j, i) for
 * every labeling that puts i and j in one cluster (`===`), 1 to the diagonal per labeling, then
 * every entry scaled by 1 / labelings. `consensusMatrix` counts differently and must give these
 * bits (the sweep's stored cophenetic correlations and clusters are made from them).
 */
function byDefinition(labelings: readonly (readonly number[])[]): Float64Array {
  const n = labelings[0].length;
  const C = new Float64Array(n * n);
  for (const labels of labelings) {
    for (let i = 0; i < n; i++) {
      C[i * n + i] += 1;
      for (let j = i + 1; j < n; j++) {
        if (labels[i] === labels[j]) {
          C[i * n + j] += 1;
          C[j * n + i] += 1;
        }
      }
    }
  }
  const scale = 1 / labelings.length;
  for (let t = 0; t < C.length; t++) C[t] *= scale;
  return C;
}

/** Labelings of n samples into k clusters, with some NaN, −0, −1 and fractional labels. */
function labelings(rng: Rng, n: number, count: number, k: number): number[][] {
  return Array.from({ length: count }, () =>
    Array.from({ length: n }, () => {
      const u = rng.uniform();
      if (u < 0.03) return NaN;
      if (u < 0.05) return -0;
      if (u < 0.06) return -1;
      if (u < 0.07) return 0.5;
      return Math.floor(rng.uniform() * k);
    }),
  );
}

function sameBits(actual: Float64Array, expected: Float64Array): boolean {
  if (actual.length !== expected.length) return false;
  for (let t = 0; t < actual.length; t++) if (!Object.is(actual[t], expected[t])) return false;
  return true;
}

describe('consensusMatrix', () => {
  it.each([
    [1, 1, 2],
    [2, 3, 1],
    [7, 3, 2],
    [63, 7, 5],
    [64, 20, 3],
    [65, 20, 3],
    [130, 20, 9],
    [300, 1, 4],
    // 49 · (1 / 49) is not 1: the diagonal too is a count scaled.
    [40, 49, 3],
  ])('n = %i, %i labelings into %i clusters: the bits of the definition', (n, count, k) => {
    const given = labelings(new Rng(n * 1000 + count), n, count, k);
    expect(sameBits(consensusMatrix(given).data, byDefinition(given))).toBe(true);
  });

  it('counts past 255 and 65 535 agreements (wider counters)', () => {
    for (const count of [600, 70_000]) {
      // Samples 0 and 1 agree in every labeling, 2 now and then, 3 (NaN) never.
      const given = Array.from({ length: count }, (_, r) => [0, 0, r % 97 === 0 ? 1 : 0, NaN]);
      expect(sameBits(consensusMatrix(given).data, byDefinition(given))).toBe(true);
    }
  });

  it('lets a NaN label agree with nothing, not even another NaN', () => {
    const C = consensusMatrix([
      [NaN, NaN, 0, -0],
      [1, 1, 2, 2],
    ]);
    expect(Array.from(C.data)).toEqual([1, 0.5, 0, 0, 0.5, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1]);
  });
});
