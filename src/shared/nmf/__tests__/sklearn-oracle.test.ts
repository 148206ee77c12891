import { describe, expect, it } from 'vitest';
import { betaDivergence, fitNmf, initialize, type Solver } from '../index';
import { denseFromJson, oracleDatasets, relDiff } from './helpers';
import fixture from './fixtures/sklearn-nmf.json';

/**
 * scikit-learn 1.2.1 from the same start (init='custom'), see scripts/oracle/make-nmf-fixtures.py.
 * Accuracy: max|W − W_sk| / max|W_sk| (and H) below 1e-8 for MU, 1e-6 for CD.
 */
const datasets = oracleDatasets(fixture);
const W0 = denseFromJson(fixture.W0);
const H0 = denseFromJson(fixture.H0);
const k = fixture.rank;

describe('agreement with scikit-learn 1.2.1', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const V = datasets[c.data];
      const m = V.rows;
      const n = V.cols;
      const fit = fitNmf(V, {
        rank: k,
        beta: c.beta,
        solver: (c.solver === 'cd' ? 'hals' : 'mu') as Solver,
        init: 'custom',
        W0,
        H0,
        maxIter: c.iters,
        tol: c.tol,
        l1W: c.alphaW * c.l1Ratio,
        l2W: c.alphaW * (1 - c.l1Ratio),
        l1H: c.alphaH * c.l1Ratio,
        l2H: c.alphaH * (1 - c.l1Ratio),
      });
      const limit = c.solver === 'cd' ? 1e-6 : 1e-8;
      expect(fit.W.rows).toBe(m);
      expect(fit.H.cols).toBe(n);
      expect(relDiff(fit.W.data, c.W)).toBeLessThan(limit);
      expect(relDiff(fit.H.data, c.H)).toBeLessThan(limit);
      expect(fit.iterations).toBe(c.nIter);
      expect(fit.converged).toBe(c.tol > 0 && c.nIter < c.iters);
      expect(Math.abs(fit.loss - c.loss)).toBeLessThan(1e-8 * Math.abs(c.loss) + 1e-12);
      expect(Math.abs(fit.trace[0][1] - c.lossInit)).toBeLessThan(1e-10 * Math.abs(c.lossInit));
    });
  }

  it('betaDivergence equals _beta_divergence at the start for every β and layout', () => {
    for (const c of fixture.cases) {
      const value = betaDivergence(datasets[c.data], W0, H0, c.beta);
      expect(Math.abs(value - c.lossInit)).toBeLessThan(1e-11 * Math.abs(c.lossInit));
    }
  });

  it('NNDSVD and NNDSVDa starts agree with _initialize_nmf', () => {
    for (const ref of fixture.inits) {
      const start = initialize(datasets[ref.data], k, ref.method as 'nndsvd' | 'nndsvda', 0);
      expect(relDiff(start.W.data, ref.W)).toBeLessThan(1e-6);
      expect(relDiff(start.H.data, ref.H)).toBeLessThan(1e-6);
    }
  });
});
