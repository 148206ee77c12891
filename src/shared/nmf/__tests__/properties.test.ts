import { describe, expect, it } from 'vitest';
import { csrFromDense } from '../../linalg/ops';
import { dense } from '../../linalg/matrix';
import { Rng } from '../../linalg/random';
import { fitNmf } from '../index';
import { planted, relDiff } from './helpers';

/** Noisy counts with zeros (and a strictly positive variant for β = 0). */
function noisyCounts(seed: number) {
  const { V } = planted(40, 30, 3, seed, { poisson: 4 });
  const positive = dense(
    V.rows,
    V.cols,
    V.data.map((v) => v + 0.5),
  );
  return { V, positive };
}

describe('MU and HALS properties', () => {
  for (const beta of [0, 0.5, 1, 1.5, 2, 3]) {
    it(`MU never increases the β = ${beta} loss and keeps factors non-negative (dense and CSR)`, () => {
      const { V, positive } = noisyCounts(3);
      const inputs = beta === 0 ? [positive] : [V, csrFromDense(V)];
      for (const data of inputs) {
        const fit = fitNmf(data, {
          rank: 5,
          beta,
          init: 'random',
          seed: 2,
          maxIter: 150,
          tol: 0,
          checkEvery: 1,
        });
        expect(fit.trace).toHaveLength(151);
        for (let t = 1; t < fit.trace.length; t++) {
          const [previous, current] = [fit.trace[t - 1][1], fit.trace[t][1]];
          expect(current).toBeLessThanOrEqual(previous + 1e-12 * Math.abs(previous));
        }
        expect(fit.trace[150][1]).toBeLessThan(0.9 * fit.trace[0][1]);
        for (const x of fit.W.data) expect(x >= 0 && Number.isFinite(x)).toBe(true);
        for (const x of fit.H.data) expect(x >= 0 && Number.isFinite(x)).toBe(true);
      }
    });
  }

  it('HALS never increases the Frobenius loss, with and without shuffling and penalties', () => {
    const { V } = noisyCounts(5);
    for (const shuffle of [false, true]) {
      const fit = fitNmf(csrFromDense(V), {
        rank: 4,
        beta: 2,
        solver: 'hals',
        shuffle,
        maxIter: 60,
        tol: 0,
        checkEvery: 1,
        l2W: 0.01,
      });
      for (let t = 1; t < fit.trace.length; t++) {
        expect(fit.trace[t][1]).toBeLessThanOrEqual(fit.trace[t - 1][1] * (1 + 1e-12));
      }
      for (const x of fit.W.data) expect(x).toBeGreaterThanOrEqual(0);
      for (const x of fit.H.data) expect(x).toBeGreaterThanOrEqual(0);
    }
  });

  it('CSR and dense inputs give the same fit (rows of every density, explicit stored zeros)', () => {
    const rng = new Rng(12);
    const m = 24;
    const n = 30;
    const V = dense(m, n);
    for (let i = 0; i < m; i++) {
      const density = [0.05, 0.2, 0.5, 0.9][i % 4];
      for (let j = 0; j < n; j++) if (rng.uniform() < density) V.data[i * n + j] = 1 + rng.poisson(4);
    }
    const C = csrFromDense(V);
    // Store an explicit zero in each row that has room: stored zeros are observed zeros, like unstored ones.
    const indptr = [0];
    const indices: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < m; i++) {
      const zeroAt = Array.from({ length: n }, (_, j) => j).find((j) => V.data[i * n + j] === 0);
      for (let j = 0; j < n; j++) {
        if (V.data[i * n + j] !== 0 || j === zeroAt) {
          indices.push(j);
          values.push(V.data[i * n + j]);
        }
      }
      indptr.push(indices.length);
    }
    const withZeros = {
      kind: 'csr' as const,
      rows: m,
      cols: n,
      indptr: Int32Array.from(indptr),
      indices: Int32Array.from(indices),
      data: Float64Array.from(values),
    };
    expect(withZeros.data.filter((v) => v === 0).length).toBeGreaterThan(m / 2);
    for (const [beta, solver] of [
      [1, 'mu'],
      [2, 'mu'],
      [2, 'hals'],
      [0.5, 'mu'],
      [1.5, 'mu'],
      [3, 'mu'],
    ] as const) {
      const options = { rank: 3, beta, solver, init: 'nndsvda' as const, maxIter: 40, tol: 0 };
      const a = fitNmf(V, options);
      for (const data of [C, withZeros]) {
        const b = fitNmf(data, options);
        expect(relDiff(b.W.data, a.W.data)).toBeLessThan(1e-11);
        expect(relDiff(b.H.data, a.H.data)).toBeLessThan(1e-11);
        expect(Math.abs(b.loss - a.loss)).toBeLessThan(1e-9 * a.loss);
      }
    }
  });

  it('L1 penalties make factors sparser', () => {
    const { V } = noisyCounts(9);
    const plain = fitNmf(V, { rank: 4, beta: 1, maxIter: 200, tol: 0 });
    const sparse = fitNmf(V, { rank: 4, beta: 1, maxIter: 200, tol: 0, l1W: 0.5, l1H: 0.5 });
    const small = (a: Float64Array) => a.filter((x) => x < 1e-6).length;
    expect(small(sparse.W.data) + small(sparse.H.data)).toBeGreaterThan(
      small(plain.W.data) + small(plain.H.data),
    );
  });

  it('stops on relative decrease below tol with converged = true, else warns at maxIter', () => {
    const { V } = noisyCounts(4);
    const done = fitNmf(V, { rank: 3, beta: 1, maxIter: 5000, tol: 1e-3 });
    expect(done.converged).toBe(true);
    expect(done.iterations % 10).toBe(0);
    expect(done.warnings).toEqual([]);
    const last = done.trace[done.trace.length - 1];
    const previous = done.trace[done.trace.length - 2];
    const e = (d: number) => Math.sqrt(2 * d);
    expect((e(previous[1]) - e(last[1])) / e(done.trace[0][1])).toBeLessThan(1e-3);
    const capped = fitNmf(V, { rank: 3, beta: 1, maxIter: 20, tol: 1e-12 });
    expect(capped.converged).toBe(false);
    expect(capped.iterations).toBe(20);
    expect(capped.warnings).toEqual(['maxIter (20) reached before convergence (tol 1e-12)']);
    const exact = fitNmf(V, { rank: 3, beta: 1, maxIter: 20, tol: 0 });
    expect(exact.warnings).toEqual([]);
  });

  it('handles an all-zero sample and a zero start column without NaN (0/0 guards)', () => {
    const rng = new Rng(1);
    const V = dense(
      12,
      8,
      new Float64Array(96).map(() => rng.poisson(3)),
    );
    for (let i = 0; i < 12; i++) V.data[i * 8 + 2] = 0;
    const W0 = dense(
      12,
      3,
      new Float64Array(36).map(() => rng.uniform()),
    );
    for (let i = 0; i < 12; i++) W0.data[i * 3 + 1] = 0;
    const H0 = dense(
      3,
      8,
      new Float64Array(24).map(() => rng.uniform()),
    );
    for (const beta of [0.5, 1, 1.5, 2]) {
      const fit = fitNmf(V, { rank: 3, beta, solver: 'mu', init: 'custom', W0, H0, maxIter: 30, tol: 0 });
      for (const x of [...fit.W.data, ...fit.H.data]) expect(Number.isFinite(x) && x >= 0).toBe(true);
      for (let t = 0; t < 3; t++) expect(fit.H.data[t * 8 + 2]).toBe(0);
    }
  });
});
