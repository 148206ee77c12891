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
