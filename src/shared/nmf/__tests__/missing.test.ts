import { describe, expect, it } from 'vitest';
import { dense, type CsrMatrix, type DenseMatrix } from '../../linalg/matrix';
import { csrFromDense } from '../../linalg/ops';
import { Rng } from '../../linalg/random';
import { betaDivergence, fitNmf, muExponent } from '../index';
import { matchedCosines, planted, relDiff } from './helpers';

const EPS32 = 1.1920928955078125e-7;

/** Positions to hold out: each entry independently with probability p. */
function holdOut(V: DenseMatrix, p: number, seed: number): boolean[] {
  const rng = new Rng(seed);
  return Array.from({ length: V.data.length }, () => rng.uniform() < p);
}
function masked(V: DenseMatrix, mask: boolean[]): DenseMatrix {
  return dense(
    V.rows,
    V.cols,
    V.data.map((v, q) => (mask[q] ? NaN : v)),
  );
}
/** CSR of V with the held-out entries stored as NaN (held-out zeros included). */
function maskedCsr(V: DenseMatrix, mask: boolean[]): CsrMatrix {
  const withMarkers = dense(
    V.rows,
    V.cols,
    V.data.map((v, q) => (mask[q] ? NaN : v)),
  );
  return csrFromDense(withMarkers);
}

/**
 * Weighted MU written the plain way, with dense m × n arrays and an explicit 0/1 mask:
 * W ← W ⊙ ((M⊙V⊙WH^(β−2)) Hᵀ / (M⊙WH^(β−1)) Hᵀ)^γ, then H likewise (no penalties).
 */
function naiveWeightedMu(
  V: DenseMatrix,
  mask: boolean[],
  W: Float64Array,
  H: Float64Array,
  k: number,
  beta: number,
  iters: number,
) {
  const { rows: m, cols: n } = V;
  const gamma = muExponent(beta);
  const WH = () => {
    const out = new Float64Array(m * n);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) for (let t = 0; t < k; t++) out[i * n + j] += W[i * k + t] * H[t * n + j];
    return out;
  };
  for (let it = 0; it < iters; it++) {
    for (const side of ['W', 'H'] as const) {
      const P = WH();
      const num = new Float64Array(side === 'W' ? m * k : k * n);
      const den = new Float64Array(num.length);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          if (mask[i * n + j]) continue;
          const v = V.data[i * n + j];
          const p = P[i * n + j];
          const f = v > 0 ? v * Math.pow(p === 0 ? EPS32 : p, beta - 2) : 0;
          const g = beta === 1 ? 1 : Math.pow(p, beta - 1);
          for (let t = 0; t < k; t++) {
            if (side === 'W') {
              num[i * k + t] += f * H[t * n + j];
              den[i * k + t] += g * H[t * n + j];
            } else {
              num[t * n + j] += f * W[i * k + t];
              den[t * n + j] += g * W[i * k + t];
            }
          }
        }
      }
      const F = side === 'W' ? W : H;
      for (let q = 0; q < F.length; q++) {
        F[q] *= Math.pow(num[q] / (den[q] === 0 ? EPS32 : den[q]), gamma);
        if ((side === 'W' ? beta < 1 : beta <= 1) && F[q] < 2.220446049250313e-16) F[q] = 0;
      }
    }
  }
}

/** Weighted coordinate descent the plain way: each row solved against its observed partners only. */
function naiveWeightedCd(
  V: DenseMatrix,
  mask: boolean[],
  W: Float64Array,
  H: Float64Array,
  k: number,
  iters: number,
) {
  const { rows: m, cols: n } = V;
  for (let it = 0; it < iters; it++) {
    for (let i = 0; i < m; i++) {
      for (let t = 0; t < k; t++) {
        let grad = 0;
        let hess = 0;
        for (let j = 0; j < n; j++) {
          if (mask[i * n + j]) continue;
          let p = 0;
          for (let q = 0; q < k; q++) p += W[i * k + q] * H[q * n + j];
          grad += (p - V.data[i * n + j]) * H[t * n + j];
          hess += H[t * n + j] * H[t * n + j];
        }
        if (hess !== 0) W[i * k + t] = Math.max(W[i * k + t] - grad / hess, 0);
      }
    }
    for (let j = 0; j < n; j++) {
      for (let t = 0; t < k; t++) {
        let grad = 0;
        let hess = 0;
        for (let i = 0; i < m; i++) {
          if (mask[i * n + j]) continue;
          let p = 0;
          for (let q = 0; q < k; q++) p += W[i * k + q] * H[q * n + j];
          grad += (p - V.data[i * n + j]) * W[i * k + t];
          hess += W[i * k + t] * W[i * k + t];
        }
        if (hess !== 0) H[t * n + j] = Math.max(H[t * n + j] - grad / hess, 0);
      }
    }
  }
}

describe('missing values (NaN) are masked out of the loss and the updates', () => {
  const { V } = planted(36, 24, 3, 21, { poisson: 5 });
  const mask = holdOut(V, 0.15, 4);
  // One fully missing row and one fully missing column exercise the degenerate corrections.
  for (let j = 0; j < 24; j++) mask[7 * 24 + j] = true;
  for (let i = 0; i < 36; i++) mask[i * 24 + 5] = true;
  const rng = new Rng(8);
  const W0 = dense(
    36,
    3,
    new Float64Array(108).map(() => 0.5 + rng.uniform()),
  );
  const H0 = dense(
    3,
    24,
    new Float64Array(72).map(() => 0.5 + rng.uniform()),
  );

  /**
   * 25 iterations of `solver` from (W0, H0) on V with the mask as NaN (dense) and as stored NaN
   * (CSR) end at the plain weighted loop's W and H, to 1e-10.
   */
  function expectFitsMatch(solver: 'mu' | 'hals', beta: number, W: Float64Array, H: Float64Array): void {
    for (const data of [masked(V, mask), maskedCsr(V, mask)]) {
      const fit = fitNmf(data, { rank: 3, beta, solver, init: 'custom', W0, H0, maxIter: 25, tol: 0 });
      expect(relDiff(fit.W.data, W)).toBeLessThan(1e-10);
      expect(relDiff(fit.H.data, H)).toBeLessThan(1e-10);
    }
  }

  for (const beta of [2, 1, 0.5, 1.5]) {
    it(`MU β = ${beta} equals a plain weighted MU (dense NaN and CSR stored NaN)`, () => {
      const W = Float64Array.from(W0.data);
      const H = Float64Array.from(H0.data);
      naiveWeightedMu(V, mask, W, H, 3, beta, 25);
      expectFitsMatch('mu', beta, W, H);
    });
  }

  it('HALS equals a plain weighted coordinate descent (dense NaN and CSR stored NaN)', () => {
    const W = Float64Array.from(W0.data);
    const H = Float64Array.from(H0.data);
    naiveWeightedCd(V, mask, W, H, 3, 25);
    expectFitsMatch('hals', 2, W, H);
  });

  it('the loss counts observed entries only, in both layouts', () => {
    for (const beta of [0.5, 1, 2, 3]) {
      const dense1 = betaDivergence(masked(V, mask), W0, H0, beta);
      const csr1 = betaDivergence(maskedCsr(V, mask), W0, H0, beta);
      // Reference: the divergence on the observed entries as plain sums.
      let ref = 0;
      for (let i = 0; i < 36; i++) {
        for (let j = 0; j < 24; j++) {
          if (mask[i * 24 + j]) continue;
          let p = 0;
          for (let t = 0; t < 3; t++) p += W0.data[i * 3 + t] * H0.data[t * 24 + j];
          const v = V.data[i * 24 + j];
          if (beta === 2) ref += (v - p) ** 2 / 2;
          else if (beta === 1) ref += (v > 0 ? v * Math.log(v / p) : 0) - v + p;
          else ref += (v ** beta + (beta - 1) * p ** beta - beta * v * p ** (beta - 1)) / (beta * (beta - 1));
        }
      }
      expect(Math.abs(dense1 - ref)).toBeLessThan(1e-9 * ref);
      expect(Math.abs(csr1 - ref)).toBeLessThan(1e-9 * ref);
    }
  });

  it('held-out values never influence W or H', () => {
    const other = dense(
      V.rows,
      V.cols,
      V.data.map((v, q) => (mask[q] ? v * 3 + 7 : v)),
    );
    for (const options of [
      { rank: 3, beta: 1 },
      { rank: 3, beta: 2, solver: 'hals' as const },
      { rank: 3, beta: 1.5, init: 'nndsvdar' as const },
    ]) {
      const a = fitNmf(masked(V, mask), { ...options, maxIter: 40 });
      const b = fitNmf(masked(other, mask), { ...options, maxIter: 40 });
      expect(b.W.data).toEqual(a.W.data);
      expect(b.H.data).toEqual(a.H.data);
      // The same change on observed entries does move the fit: the comparison above is sensitive.
      const c = fitNmf(other, { ...options, maxIter: 40 });
      expect(relDiff(c.W.data, a.W.data)).toBeGreaterThan(1e-3);
    }
  });

  it('recovers planted components with 10% of the entries held out', () => {
    const truth = planted(60, 40, 4, 13);
    const held = holdOut(truth.V, 0.1, 99);
    for (const [beta, solver] of [
      [1, 'mu'],
      [2, 'hals'],
    ] as const) {
      for (const data of [masked(truth.V, held), maskedCsr(truth.V, held)]) {
        const fit = fitNmf(data, { rank: 4, beta, solver, maxIter: 1500, tol: 1e-10 });
        for (const c of matchedCosines(truth.W, fit.W)) expect(c).toBeGreaterThan(0.99);
        // Held-out entries are predicted from the observed ones.
        let err = 0;
        let norm = 0;
        for (let q = 0; q < held.length; q++) {
          if (!held[q]) continue;
          const i = Math.floor(q / 40);
          const j = q % 40;
          let p = 0;
          for (let t = 0; t < 4; t++) p += fit.W.data[i * 4 + t] * fit.H.data[t * 40 + j];
          err += (p - truth.V.data[q]) ** 2;
          norm += truth.V.data[q] ** 2;
        }
        expect(Math.sqrt(err / norm)).toBeLessThan(0.01);
      }
    }
  });
});
