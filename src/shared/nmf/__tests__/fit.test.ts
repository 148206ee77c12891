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

  it('is HALS, then its exact zeros lifted, then MU from there', () => {
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
    const lifted = (F: Float64Array): Float64Array => {
      let sum = 0;
      for (const v of F) sum += v;
      const lift = (1e-3 * sum) / F.length;
      return F.map((v) => (v === 0 ? lift : v));
    };
    // Random starts on planted data: HALS zeroes some loadings, so the lifting is exercised.
    expect(hals.W.data.some((v) => v === 0)).toBe(true);
    const W0 = { ...hals.W, data: lifted(hals.W.data) };
    const H0 = { ...hals.H, data: lifted(hals.H.data) };
    const manual = fitNmf(V, { rank: 4, beta: 1, init: 'custom', W0, H0, maxIter: 40, tol: 0 });
    const warmed = fitNmf(V, {
      rank: 4,
      beta: 1,
      init: 'random',
      seed: 2,
      maxIter: warm + 40,
      tol: 0,
      warmup: warm,
    });
    expect(Array.from(warmed.W.data)).toEqual(Array.from(manual.W.data));
    expect(Array.from(warmed.H.data)).toEqual(Array.from(manual.H.data));
    expect(warmed.iterations).toBe(warm + 40);
    // Traced in the fit's own loss (KL), with a point where the multiplicative updates start.
    expect(warmed.trace.find(([iteration]) => iteration === warm)![1]).toBe(manual.trace[0][1]);
  });

  it('takes at most half of maxIter', () => {
    const half = fitNmf(V, { rank: 4, beta: 1, init: 'random', seed: 2, maxIter: 30, tol: 0, warmup: 100 });
    const explicit = fitNmf(V, {
      rank: 4,
      beta: 1,
      init: 'random',
      seed: 2,
      maxIter: 30,
      tol: 0,
      warmup: 15,
    });
    expect(Array.from(half.W.data)).toEqual(Array.from(explicit.W.data));
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

describe('the Poisson log-likelihood of a KL fit', () => {
  it('comes with the result unless turned off, and changes nothing else', () => {
    const { V } = planted(30, 20, 3, 7);
    const withLoglik = fitNmf(V, { rank: 3, maxIter: 20, tol: 0 });
    const without = fitNmf(V, { rank: 3, maxIter: 20, tol: 0, loglik: false });
    expect(withLoglik.loglik).not.toBeNull();
    expect(without.loglik).toBeNull();
    expect(Array.from(without.W.data)).toEqual(Array.from(withLoglik.W.data));
    expect(without.loss).toBe(withLoglik.loss);
  });
});
