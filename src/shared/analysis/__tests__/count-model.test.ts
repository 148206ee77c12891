import { describe, expect, it } from 'vitest';
import { pearsonDispersion } from '../count-model';
import { dense, type CsrMatrix, type DataMatrix, type DenseMatrix } from '../../linalg/matrix';
import { Rng } from '../../linalg/random';

/**
 * The statistic as first written, entry by entry with a strided dot product per entry: the
 * reference the row-at-a-time form must match bit for bit (ranks.json reports it).
 */
function pearsonEntryByEntry(V: DataMatrix, W: DenseMatrix, H: DenseMatrix): number | null {
  const { rows: m, cols: n } = V;
  const k = W.cols;
  let sum = 0;
  let observed = 0;
  for (let i = 0; i < m; i++) {
    let q = V.kind === 'csr' ? V.indptr[i] : 0;
    const end = V.kind === 'csr' ? V.indptr[i + 1] : 0;
    for (let j = 0; j < n; j++) {
      let v: number;
      if (V.kind === 'dense') v = V.data[i * n + j];
      else v = q < end && V.indices[q] === j ? V.data[q++] : 0;
      if (Number.isNaN(v)) continue;
      observed++;
      let mu = 0;
      for (let a = 0; a < k; a++) mu += W.data[i * k + a] * H.data[a * n + j];
      if (mu > 0) sum += ((v - mu) * (v - mu)) / mu;
    }
  }
  const freedom = observed - k * (m + n - k);
  return freedom > 0 ? sum / freedom : null;
}

/** Counts (about `zeros` of them 0, some NaN), with factors of which some entries are exactly 0. */
function problem(seed: number, m: number, n: number, k: number, zeros: number) {
  const rng = new Rng(seed);
  const values = new Float64Array(m * n);
  for (let t = 0; t < values.length; t++) {
    const u = rng.uniform();
    values[t] = u < zeros ? 0 : u > 0.995 ? NaN : Math.floor(rng.uniform() * 40);
  }
  const factor = (rows: number, cols: number): DenseMatrix => {
    const data = new Float64Array(rows * cols);
    for (let t = 0; t < data.length; t++) data[t] = rng.uniform() < 0.2 ? 0 : rng.uniform() * 3;
    return dense(rows, cols, data);
  };
  const indptr = new Int32Array(m + 1);
  const indices: number[] = [];
  const data: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      if (values[i * n + j] === 0) continue;
      indices.push(j);
      data.push(values[i * n + j]);
    }
    indptr[i + 1] = indices.length;
  }
  const csr: CsrMatrix = {
    kind: 'csr',
    rows: m,
    cols: n,
    indptr,
    indices: Int32Array.from(indices),
    data: Float64Array.from(data),
  };
  return { denseV: dense(m, n, values), csr, W: factor(m, k), H: factor(k, n) };
}

describe('pearsonDispersion', () => {
  it.each([0, 1, 2, 3])('keeps the bits of the entry-by-entry sum, dense and CSR, seed %i', (seed) => {
    const { denseV, csr, W, H } = problem(seed, 37, 211, 1 + seed * 2, 0.6);
    const expected = pearsonEntryByEntry(denseV, W, H);
    expect(expected).not.toBeNull();
    expect(Object.is(pearsonDispersion(denseV, W, H), expected)).toBe(true);
    expect(Object.is(pearsonDispersion(csr, W, H), pearsonEntryByEntry(csr, W, H))).toBe(true);
    // Absent CSR entries are zeros: the same φ as the dense matrix.
    expect(Object.is(pearsonDispersion(csr, W, H), expected)).toBe(true);
  });

  it('is null without residual degrees of freedom', () => {
    const { denseV, W, H } = problem(5, 3, 5, 3, 0.2);
    expect(pearsonDispersion(denseV, W, H)).toBeNull();
  });

  it('is about 1 for Poisson counts around their means', () => {
    const rng = new Rng(11);
    const m = 60;
    const n = 80;
    const W = dense(
      m,
      2,
      Float64Array.from({ length: m * 2 }, () => 1 + rng.uniform() * 4),
    );
    const H = dense(
      2,
      n,
      Float64Array.from({ length: 2 * n }, () => 1 + rng.uniform() * 4),
    );
    const V = dense(m, n);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++)
        V.data[i * n + j] = rng.poisson(W.data[i * 2] * H.data[j] + W.data[i * 2 + 1] * H.data[n + j]);
    expect(pearsonDispersion(V, W, H)!).toBeGreaterThan(0.85);
    expect(pearsonDispersion(V, W, H)!).toBeLessThan(1.15);
  });
});
