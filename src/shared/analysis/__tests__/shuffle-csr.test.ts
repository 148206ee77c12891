import { describe, expect, it } from 'vitest';
import type { CsrMatrix } from '../../linalg/matrix';
import { Rng } from '../../linalg/random';
import { shuffleWithinRows } from '../crossval';

/** The definition: each row's entries moved to perm[j], then sorted by column (a comparison sort). */
function referenceShuffle(V: CsrMatrix, seed: number): CsrMatrix {
  const rng = new Rng(seed);
  const indices = new Int32Array(V.indices.length);
  const data = new Float64Array(V.data.length);
  for (let i = 0; i < V.rows; i++) {
    const start = V.indptr[i];
    const end = V.indptr[i + 1];
    const perm = rng.permutation(V.cols);
    const moved: Array<{ j: number; v: number }> = [];
    for (let t = start; t < end; t++) moved.push({ j: perm[V.indices[t]], v: V.data[t] });
    moved.sort((x, y) => x.j - y.j);
    moved.forEach((e, t) => {
      indices[start + t] = e.j;
      data[start + t] = e.v;
    });
  }
  return { kind: 'csr', rows: V.rows, cols: V.cols, indptr: Int32Array.from(V.indptr), indices, data };
}

/** m × n CSR with each entry stored with probability `density` (some NaN), plus an empty and a full row. */
function randomCsr(m: number, n: number, density: number, seed: number): CsrMatrix {
  const rng = new Rng(seed);
  const indptr = new Int32Array(m + 1);
  const indices: number[] = [];
  const data: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const stored = i === 1 ? false : i === 2 ? true : rng.uniform() < density;
      if (!stored) continue;
      indices.push(j);
      data.push(rng.uniform() < 0.05 ? NaN : Math.floor(rng.uniform() * 50) + 1);
    }
    indptr[i + 1] = indices.length;
  }
  return {
    kind: 'csr',
    rows: m,
    cols: n,
    indptr,
    indices: Int32Array.from(indices),
    data: Float64Array.from(data),
  };
}

describe('shuffleWithinRows on CSR', () => {
  it('equals the sorted-by-new-column definition, entry for entry, over several shapes and seeds', () => {
    for (const [m, n, density] of [
      [30, 40, 0.1],
      [12, 500, 0.02],
      [25, 7, 0.6],
      [8, 1, 0.5],
    ] as const) {
      for (const seed of [0, 1, 17, 12345]) {
        const V = randomCsr(m, n, density, seed + 100);
        const got = shuffleWithinRows(V, seed);
        const want = referenceShuffle(V, seed);
        if (got.kind !== 'csr') throw new Error('csr expected');
        expect(Array.from(got.indptr)).toEqual(Array.from(want.indptr));
        expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
        // Object.is: NaN entries must travel with their column like any value.
        for (let t = 0; t < want.data.length; t++) expect(Object.is(got.data[t], want.data[t])).toBe(true);
      }
    }
  });
});
