import { describe, expect, it } from 'vitest';
import { csrFromDense, transpose } from '../../linalg/ops';
import { fitNmf } from '../index';
import { matchedCosines, planted } from './helpers';

describe('fitNmf', () => {
  for (const [beta, solver] of [
    [1, 'mu'],
    [2, 'mu'],
    [2, 'hals'],
    [0.5, 'mu'],
  ] as const) {
    it(`recovers planted components (β = ${beta}, ${solver}, dense and CSR)`, () => {
      const { V, W, H } = planted(60, 40, 4, 11);
      for (const data of [V, csrFromDense(V)]) {
        const fit = fitNmf(data, { rank: 4, beta, solver, maxIter: beta === 0.5 ? 500 : 2000, tol: 1e-9 });
        for (const c of matchedCosines(W, fit.W)) expect(c).toBeGreaterThan(0.99);
        for (const c of matchedCosines(transpose(H), transpose(fit.H))) expect(c).toBeGreaterThan(0.99);
      }
    });
  }
});

describe('HALS warm-up before multiplicative updates', () => {
  const { V } = planted(60, 40, 4, 5);

  it('runs HALS for the warm-up iterations, then lifts its exact zeros for MU', () => {
    const warm = 25;
    const hals = fitNmf(V, {
      rank: 4,
      beta: 2,
      solver: 'hals',
      init: 'random',
      seed: 2,
      maxIter: warm,
      tol: 0,
    });
    const warmed = fitNmf(V, {
      rank: 4,
      beta: 1,
      init: 'random',
      seed: 2,
      maxIter: warm,
      tol: 0,
      warmup: warm,
    });
    let sum = 0;
    for (const v of hals.W.data) sum += v;
    const lift = (1e-3 * sum) / hals.W.data.length;
    let zeros = 0;
    for (let q = 0; q < hals.W.data.length; q++) {
      if (hals.W.data[q] === 0) {
        zeros++;
        expect(warmed.W.data[q]).toBe(lift);
      } else expect(warmed.W.data[q]).toBe(hals.W.data[q]);
    }
    // Random starts on planted data: HALS zeroes some loadings, so the lifting is exercised.
    expect(zeros).toBeGreaterThan(0);
    expect(warmed.W.data.every((v) => v > 0)).toBe(true);
    expect(warmed.iterations).toBe(warm);
    // Traced in the fit's own loss (KL), the last point at the end of the warm-up.
    expect(warmed.trace.at(-1)![0]).toBe(warm);
  });

  it('starts the convergence test after the warm-up and counts the warm-up in maxIter', () => {
    const fit = fitNmf(V, {
      rank: 4,
      beta: 1,
      init: 'random',
      seed: 1,
      maxIter: 3000,
      tol: 1e-4,
      warmup: 100,
    });
    expect(fit.converged).toBe(true);
    expect(fit.iterations).toBeGreaterThan(100);
    const capped = fitNmf(V, {
      rank: 4,
      beta: 1,
      init: 'random',
      seed: 1,
      maxIter: 60,
      tol: 1e-4,
      warmup: 100,
    });
    expect(capped.iterations).toBe(60);
    expect(capped.converged).toBe(false);
  });

  it('is ignored by HALS itself and refused when negative', () => {
    const plain = fitNmf(V, {
      rank: 4,
      beta: 2,
      solver: 'hals',
      init: 'random',
      seed: 1,
      maxIter: 30,
      tol: 0,
    });
    const withWarmup = fitNmf(V, {
      rank: 4,
      beta: 2,
      solver: 'hals',
      init: 'random',
      seed: 1,
      maxIter: 30,
      tol: 0,
      warmup: 10,
    });
    expect(Array.from(withWarmup.W.data)).toEqual(Array.from(plain.W.data));
    expect(() => fitNmf(V, { rank: 4, warmup: -1 })).toThrow(/warmup -1/);
  });
});
