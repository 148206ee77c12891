import { describe, expect, it } from 'vitest';
import { fitNmf } from '../index';
import { denseFromJson, oracleDatasets, relDiff } from './helpers';
import fixture from './fixtures/sklearn-minibatch.json';

/**
 * scikit-learn 1.2.1's MiniBatchNMF from the same start (init='custom'), batches in its fixed order,
 * see scripts/oracle/make-minibatch-fixtures.py. Accuracy: max|W − W_sk| / max|W_sk| (and H) below
 * 1e-10, the same number of passes and steps, the loss to 1e-10.
 */
const datasets = oracleDatasets(fixture);
const W0 = denseFromJson(fixture.W0);
const H0 = denseFromJson(fixture.H0);
const k = fixture.rank;

describe('minibatch MU agrees with scikit-learn 1.2.1 MiniBatchNMF', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const V = datasets[c.data];
      const fit = fitNmf(V, {
        rank: k,
        beta: c.beta,
        solver: 'minibatch',
        schedule: 'sklearn',
        init: 'custom',
        W0,
        H0,
        maxIter: c.passes,
        tol: c.tol,
        batchSize: c.batchSize,
        forgetFactor: c.forgetFactor,
        freshRestarts: c.freshRestarts,
        maxNoImprovement: c.maxNoImprovement,
        // scikit-learn's alpha_W acts on its W (our H), alpha_H on its H (our W).
        l1H: c.alphaW * c.l1Ratio,
        l2H: c.alphaW * (1 - c.l1Ratio),
        l1W: c.alphaH * c.l1Ratio,
        l2W: c.alphaH * (1 - c.l1Ratio),
      });
      expect(relDiff(fit.W.data, c.W)).toBeLessThan(1e-10);
      expect(relDiff(fit.H.data, c.H)).toBeLessThan(1e-10);
      expect(fit.iterations).toBe(c.nIter);
      expect(Math.abs(fit.loss - c.loss)).toBeLessThan(1e-10 * Math.abs(c.loss));
      // Stopped early exactly when scikit-learn took fewer steps than its budget.
      const stepsPerPass = Math.ceil(V.cols / Math.min(c.batchSize, V.cols));
      expect(fit.converged).toBe(c.nSteps < c.passes * stepsPerPass);
    });
  }
});
