import { describe, expect, it } from 'vitest';
import { dense, type DenseMatrix } from '../matrix';
import { csrFromDense, csrFromTriplets, entryAt, matmul, toDense, transpose } from '../ops';
import { Rng } from '../random';
import {
  jacobiSvd,
  leadingSubspaceChange,
  orthonormalizeColumns,
  plainProducts,
  randomizedSvd,
} from '../svd';

function randomLowRank(m: number, n: number, r: number, noise: number, seed: number): DenseMatrix {
  const rng = new Rng(seed);
  const A = dense(
    m,
    r,
    new Float64Array(m * r).map(() => rng.uniform()),
  );
  const B = dense(
    r,
    n,
    new Float64Array(r * n).map(() => rng.uniform()),
  );
  const P = matmul(A, B);
  for (let q = 0; q < P.data.length; q++) P.data[q] += noise * rng.uniform();
  return P;
}

describe('jacobiSvd', () => {
  it('reconstructs A with orthonormal factors and descending singular values', () => {
    const A = randomLowRank(25, 9, 9, 0.1, 1);
    const { U, S, V } = jacobiSvd(A.data, 25, 9);
    for (let r = 1; r < 9; r++) expect(S[r]).toBeLessThanOrEqual(S[r - 1]);
    let err = 0;
    for (let i = 0; i < 25; i++) {
      for (let j = 0; j < 9; j++) {
        let s = 0;
        for (let r = 0; r < 9; r++) s += U[i * 9 + r] * S[r] * V[j * 9 + r];
        err = Math.max(err, Math.abs(s - A.data[i * 9 + j]));
      }
    }
    expect(err).toBeLessThan(1e-13);
    for (let a = 0; a < 9; a++) {
      for (let b = 0; b < 9; b++) {
        let uu = 0;
        let vv = 0;
        for (let i = 0; i < 25; i++) uu += U[i * 9 + a] * U[i * 9 + b];
        for (let j = 0; j < 9; j++) vv += V[j * 9 + a] * V[j * 9 + b];
        expect(Math.abs(uu - (a === b ? 1 : 0))).toBeLessThan(1e-13);
        expect(Math.abs(vv - (a === b ? 1 : 0))).toBeLessThan(1e-13);
      }
    }
  });
});

/**
 * The row-major one-sided Jacobi SVD as it was before it worked on contiguous columns: the bit
 * reference of `jacobiSvd`.
 */
function rowMajorJacobi(
  C: Float64Array,
  rows: number,
  cols: number,
): { U: Float64Array; S: Float64Array; V: Float64Array } {
  const A = Float64Array.from(C);
  const V = new Float64Array(cols * cols);
  for (let c = 0; c < cols; c++) V[c * cols + c] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < cols - 1; p++) {
      for (let q = p + 1; q < cols; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < rows; i++) {
          const ap = A[i * cols + p];
          const aq = A[i * cols + q];
          alpha += ap * ap;
          beta += aq * aq;
          gamma += ap * aq;
        }
        if (gamma === 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < rows; i++) {
          const ap = A[i * cols + p];
          const aq = A[i * cols + q];
          A[i * cols + p] = c * ap - s * aq;
          A[i * cols + q] = s * ap + c * aq;
        }
        for (let i = 0; i < cols; i++) {
          const vp = V[i * cols + p];
          const vq = V[i * cols + q];
          V[i * cols + p] = c * vp - s * vq;
          V[i * cols + q] = s * vp + c * vq;
        }
      }
    }
    if (!rotated) break;
  }
  const norms = new Float64Array(cols);
  for (let c = 0; c < cols; c++) {
    let s = 0;
    for (let i = 0; i < rows; i++) s += A[i * cols + c] * A[i * cols + c];
    norms[c] = Math.sqrt(s);
  }
  const order = Array.from({ length: cols }, (_, c) => c).sort((a, b) => norms[b] - norms[a] || a - b);
  const U = new Float64Array(rows * cols);
  const S = new Float64Array(cols);
  const Vs = new Float64Array(cols * cols);
  order.forEach((c, r) => {
    S[r] = norms[c];
    const inv = norms[c] > 0 ? 1 / norms[c] : 0;
    for (let i = 0; i < rows; i++) U[i * cols + r] = A[i * cols + c] * inv;
    for (let i = 0; i < cols; i++) Vs[i * cols + r] = V[i * cols + c];
  });
  return { U, S, V: Vs };
}

describe('jacobiSvd on contiguous columns', () => {
  it("gives the row-major loop's bits (tall, square, rank-deficient, a zero column)", () => {
    const cases: Array<[string, Float64Array, number, number]> = [];
    for (const [rows, cols, rank, seed] of [
      [500, 18, 18, 3],
      [61, 13, 4, 4],
      [12, 12, 12, 5],
      [40, 9, 2, 6],
    ]) {
      cases.push([
        `${rows} × ${cols}, rank ${rank}`,
        randomLowRank(rows, cols, rank, 0, seed).data,
        rows,
        cols,
      ]);
    }
    const withZero = randomLowRank(30, 7, 7, 0.1, 8).data;
    for (let i = 0; i < 30; i++) withZero[i * 7 + 3] = 0;
    cases.push(['a zero column', withZero, 30, 7]);
    for (const [name, C, rows, cols] of cases) {
      const got = jacobiSvd(C, rows, cols);
      const want = rowMajorJacobi(C, rows, cols);
      for (const key of ['U', 'S', 'V'] as const) {
        const a = got[key];
        const b = want[key];
        expect(a.length, `${name} ${key}`).toBe(b.length);
        for (let q = 0; q < a.length; q++) {
          if (!Object.is(a[q], b[q])) expect.fail(`${name}: ${key}[${q}] ${a[q]} ≠ ${b[q]}`);
        }
      }
    }
  });
});

describe('randomizedSvd', () => {
  it('matches the exact SVD on a matrix with a decaying spectrum, dense and CSR', () => {
    const A = randomLowRank(300, 80, 6, 0.01, 2);
    const exact = jacobiSvd(A.data, 300, 80);
    for (const input of [A, csrFromDense(A)]) {
      const approx = randomizedSvd(input, 5, { seed: 3 });
      for (let r = 0; r < 5; r++) {
        expect(Math.abs(approx.S[r] - exact.S[r])).toBeLessThan(1e-10 * exact.S[0]);
        // |cos| between the approximate and exact left singular vectors.
        let c = 0;
        for (let i = 0; i < 300; i++) c += approx.U[i * 5 + r] * exact.U[i * 80 + r];
        expect(Math.abs(Math.abs(c) - 1)).toBeLessThan(1e-9);
      }
    }
  });

  it('is exact when rank + oversamples covers min(m, n), and follows svd_flip signs', () => {
    const A = randomLowRank(40, 12, 12, 0.5, 5);
    const exact = jacobiSvd(A.data, 40, 12);
    const approx = randomizedSvd(A, 4, { seed: 0 });
    for (let r = 0; r < 4; r++) {
      expect(Math.abs(approx.S[r] - exact.S[r])).toBeLessThan(1e-12 * exact.S[0]);
      let big = 0;
      for (let i = 0; i < 40; i++)
        if (Math.abs(approx.U[i * 4 + r]) > Math.abs(big)) big = approx.U[i * 4 + r];
      expect(big).toBeGreaterThan(0);
    }
  });

  it('rejects a rank above min(m, n)', () => {
    expect(() => randomizedSvd(dense(5, 3), 4)).toThrow('SVD rank 4 must be between 1 and min(m, n) = 3');
  });
});

describe('matrix helpers', () => {
  it('builds CSR from triplets (sorted, duplicates summed, zeros dropped, NaN kept)', () => {
    const C = csrFromTriplets(3, 4, [2, 0, 0, 1, 2, 1], [1, 3, 0, 2, 1, 0], [1, 2, 3, 0, 4, NaN]);
    expect(Array.from(C.indptr)).toEqual([0, 2, 3, 4]);
    expect(Array.from(C.indices)).toEqual([0, 3, 0, 1]);
    expect(Array.from(C.data)).toEqual([3, 2, NaN, 5]);
    expect(entryAt(C, 2, 1)).toBe(5);
    expect(entryAt(C, 2, 2)).toBe(0);
    expect(Array.from(toDense(C).data)).toEqual([3, 0, 0, 2, NaN, 0, 0, 0, 0, 5, 0, 0]);
  });

  it('transposes and multiplies', () => {
    const A = dense(2, 3, Float64Array.from([1, 2, 3, 4, 5, 6]));
    expect(Array.from(transpose(A).data)).toEqual([1, 4, 2, 5, 3, 6]);
    expect(Array.from(matmul(A, transpose(A)).data)).toEqual([14, 32, 32, 77]);
    expect(() => matmul(A, A)).toThrow('cannot multiply 2 × 3 by 2 × 3');
  });
});

describe('randomizedSvd: power iterations stop once the leading subspace has converged', () => {
  /** A's products, counted. */
  function counted(A: DenseMatrix): { products: ReturnType<typeof plainProducts>; calls: () => number } {
    const plain = plainProducts(A);
    let calls = 0;
    return {
      products: {
        times: (X, l, out) => {
          calls++;
          plain.times(X, l, out);
        },
        transposeTimes: (Y, l, out) => {
          calls++;
          plain.transposeTimes(Y, l, out);
        },
      },
      calls: () => calls,
    };
  }

  it('stops early at a wide spectral gap, within rounding of the full run (several seeds)', () => {
    for (const seed of [0, 1, 2, 3]) {
      // Rank 4 planted plus small noise: σ₄/σ₅ is large, the leading 4 converge in a few steps.
      const A = randomLowRank(400, 150, 4, 1e-4, 10 + seed);
      const early = counted(A);
      const adaptive = randomizedSvd(A, 4, { seed, products: early.products });
      const all = counted(A);
      const full = randomizedSvd(A, 4, { seed, products: all.products, tolerance: 0 });
      expect(all.calls()).toBe(16); // 4 < 0.1 · 150: 7 power iterations, 2 · 7 + 2 products
      expect(early.calls()).toBeLessThan(all.calls());
      for (let q = 0; q < full.U.length; q++) expect(Math.abs(adaptive.U[q] - full.U[q])).toBeLessThan(1e-12);
      for (let q = 0; q < full.V.length; q++) expect(Math.abs(adaptive.V[q] - full.V[q])).toBeLessThan(1e-12);
      for (let r = 0; r < 4; r++) expect(Math.abs(adaptive.S[r] - full.S[r])).toBeLessThan(1e-13 * full.S[0]);
    }
  });

  it('runs every iteration, with the same bits, where the spectrum has no gap at the rank', () => {
    for (const seed of [0, 1]) {
      // Uniform noise: slowly decaying singular values, the leading subspace never settles.
      const A = randomLowRank(200, 120, 1, 1, 30 + seed);
      const adaptive = counted(A);
      const a = randomizedSvd(A, 6, { seed, products: adaptive.products });
      const b = randomizedSvd(A, 6, { seed, tolerance: 0 });
      expect(adaptive.calls()).toBe(16);
      expect(a.U).toEqual(b.U);
      expect(a.S).toEqual(b.S);
      expect(a.V).toEqual(b.V);
    }
  });

  it('measures how far the span of the first k columns moved', () => {
    const rng = new Rng(4);
    const rows = 50;
    const l = 5;
    const P = new Float64Array(rows * l).map(() => rng.normal());
    orthonormalizeColumns(P, rows, l);
    expect(leadingSubspaceChange(P, P, rows, l, 3)).toBeLessThan(1e-14);
    // Column 4 of P turned by θ towards a direction outside span(P); column 3 by 2θ.
    const out1 = new Float64Array(rows).map(() => rng.normal());
    const out2 = new Float64Array(rows).map(() => rng.normal());
    const basis = new Float64Array(rows * (l + 2));
    for (let i = 0; i < rows; i++) {
      for (let c = 0; c < l; c++) basis[i * (l + 2) + c] = P[i * l + c];
      basis[i * (l + 2) + l] = out1[i];
      basis[i * (l + 2) + l + 1] = out2[i];
    }
    orthonormalizeColumns(basis, rows, l + 2);
    const theta = 1e-6;
    const B = new Float64Array(rows * l);
    for (let i = 0; i < rows; i++) {
      const row = basis.subarray(i * (l + 2), (i + 1) * (l + 2));
      for (let c = 0; c < l; c++) B[i * l + c] = row[c];
      B[i * l + 3] = Math.cos(2 * theta) * row[3] + Math.sin(2 * theta) * row[l + 1];
      B[i * l + 4] = Math.cos(theta) * row[4] + Math.sin(theta) * row[l];
    }
    // First 3 columns unmoved; the 4th by 2θ; the 5th by θ as well: √(4θ² + θ²).
    expect(leadingSubspaceChange(P, B, rows, l, 3)).toBeLessThan(1e-14);
    expect(Math.abs(leadingSubspaceChange(P, B, rows, l, 4) / (2 * theta) - 1)).toBeLessThan(1e-6);
    expect(Math.abs(leadingSubspaceChange(P, B, rows, l, 5) / (Math.sqrt(5) * theta) - 1)).toBeLessThan(1e-6);
    // A turn inside the span moves no span: columns 1 and 2 rotated into each other.
    const C = Float64Array.from(P);
    for (let i = 0; i < rows; i++) {
      C[i * l] = Math.cos(0.3) * P[i * l] + Math.sin(0.3) * P[i * l + 1];
      C[i * l + 1] = -Math.sin(0.3) * P[i * l] + Math.cos(0.3) * P[i * l + 1];
    }
    expect(leadingSubspaceChange(P, C, rows, l, 2)).toBeLessThan(1e-14);
    expect(leadingSubspaceChange(P, C, rows, l, 1)).toBeGreaterThan(0.1);
  });
});

describe('randomizedSvd and jacobiSvd hold one n × l array fewer each', () => {
  it('jacobiSvd with overwriteInput writes U over C, with the same bits as a fresh U', () => {
    for (const [rows, cols, seed] of [
      [40, 9, 1],
      [25, 25, 2],
      [300, 12, 3],
    ]) {
      const C = randomLowRank(rows, cols, Math.min(rows, cols), 0.1, seed).data;
      const want = jacobiSvd(C, rows, cols);
      const input = Float64Array.from(C);
      const got = jacobiSvd(input, rows, cols, undefined, true);
      expect(got.U).toBe(input);
      for (const key of ['U', 'S', 'V'] as const) {
        const a = got[key];
        const b = want[key];
        expect(a.length).toBe(b.length);
        for (let q = 0; q < a.length; q++)
          if (!Object.is(a[q], b[q])) expect.fail(`${rows} × ${cols}: ${key}[${q}] ${a[q]} ≠ ${b[q]}`);
      }
    }
    // Without it C is left as it was.
    const C = randomLowRank(30, 6, 6, 0.1, 4).data;
    const before = Float64Array.from(C);
    jacobiSvd(C, 30, 6);
    expect(C).toEqual(before);
  });

  it('the Gaussian test matrix is the array the power iterations write Aᵀ·Q into', () => {
    const A = randomLowRank(60, 200, 5, 0.01, 7);
    const plain = plainProducts(A);
    const readByTimes: Float64Array[] = [];
    const writtenByTransposeTimes: Float64Array[] = [];
    const svd = randomizedSvd(A, 5, {
      seed: 2,
      tolerance: 0,
      products: {
        times: (X, l, out) => {
          readByTimes.push(X);
          plain.times(X, l, out);
        },
        transposeTimes: (Y, l, out) => {
          writtenByTransposeTimes.push(out);
          plain.transposeTimes(Y, l, out);
        },
      },
    });
    // n × l arrays: the start's Ω (read by the first product) and the power iterations' Z are one.
    expect(readByTimes[0].length).toBe(200 * 15);
    expect(writtenByTransposeTimes.length).toBeGreaterThan(0);
    for (const Z of writtenByTransposeTimes) expect(Z).toBe(readByTimes[0]);
    for (const X of readByTimes) expect(X).toBe(readByTimes[0]);
    // Same factors as the plain products without the hooks (same seed).
    const plainSvd = randomizedSvd(A, 5, { seed: 2, tolerance: 0 });
    expect(svd.U).toEqual(plainSvd.U);
    expect(svd.S).toEqual(plainSvd.S);
    expect(svd.V).toEqual(plainSvd.V);
  });
});
