import { describe, expect, it } from 'vitest';
import { csrFromDense } from '../../linalg/ops';
import { Rng } from '../../linalg/random';
import { fitNmf } from '../index';
import { selectKernels } from '../kernels';
import { planted } from './helpers';

/** Planted rank-4 counts plus noise, with a few all-zero columns (as digits has). */
function noisyData(seed: number): ReturnType<typeof planted> {
  const data = planted(80, 40, 4, seed, { poisson: 8 });
  const rng = new Rng(seed + 100);
  for (let q = 0; q < data.V.data.length; q++) data.V.data[q] += rng.poisson(1);
  for (let i = 0; i < 80; i++) data.V.data[i * 40 + 7] = 0;
  return data;
}

describe('ALS (alternating NNLS by coordinate descent)', () => {
  for (const seed of [1, 2, 3]) {
    it(`never increases the Frobenius loss, dense and CSR, with and without penalties (seed ${seed})`, () => {
      const { V } = noisyData(seed);
      for (const input of [V, csrFromDense(V)]) {
        for (const l2W of [0, 0.01]) {
          const fit = fitNmf(input, {
            rank: 4,
            beta: 2,
            solver: 'als',
            init: 'random',
            seed,
            maxIter: 40,
            tol: 0,
            checkEvery: 1,
            l2W,
          });
          for (let t = 1; t < fit.trace.length; t++)
            expect(fit.trace[t][1]).toBeLessThanOrEqual(fit.trace[t - 1][1] * (1 + 1e-12));
          for (const x of fit.W.data) expect(x >= 0 && Number.isFinite(x)).toBe(true);
          for (const x of fit.H.data) expect(x >= 0 && Number.isFinite(x)).toBe(true);
        }
      }
    });

    it(`converges to HALS's solution, within 1e-5 of it in no more iterations (seed ${seed})`, () => {
      const { V } = noisyData(seed);
      const common = {
        rank: 4,
        beta: 2,
        init: 'random' as const,
        seed,
        tol: 0,
        maxIter: 1000,
        checkEvery: 1,
      };
      const hals = fitNmf(V, { ...common, solver: 'hals' });
      const als = fitNmf(V, { ...common, solver: 'als' });
      expect(Math.abs(als.loss - hals.loss) / hals.loss).toBeLessThan(1e-9);
      const within = (trace: Array<[number, number]>): number =>
        trace.find(([, loss]) => loss <= hals.loss * (1 + 1e-5))![0];
      expect(within(als.trace)).toBeLessThanOrEqual(within(hals.trace));
    });
  }

  it('stops by the projected-gradient rule and reports convergence', () => {
    const { V } = noisyData(4);
    const fit = fitNmf(V, { rank: 4, beta: 2, solver: 'als', init: 'nndsvda', maxIter: 500, tol: 1e-4 });
    expect(fit.converged).toBe(true);
    expect(fit.iterations).toBeLessThan(500);
    expect(fit.warnings).toEqual([]);
  });

  it('fits around missing entries: the loss never increases, dense and CSR agree', () => {
    const { V } = noisyData(5);
    const masked = V.data.slice();
    const rng = new Rng(9);
    for (let q = 0; q < masked.length; q++) if (rng.uniform() < 0.1) masked[q] = NaN;
    const withMissing = { ...V, data: masked };
    const options = {
      rank: 4,
      beta: 2,
      solver: 'als' as const,
      init: 'random' as const,
      maxIter: 30,
      tol: 0,
      checkEvery: 1,
    };
    const a = fitNmf(withMissing, options);
    const b = fitNmf(csrFromDense(withMissing), options);
    expect(Number.isFinite(a.loss)).toBe(true);
    for (let t = 1; t < a.trace.length; t++)
      expect(a.trace[t][1]).toBeLessThanOrEqual(a.trace[t - 1][1] * (1 + 1e-12));
    expect(b.W.data).toEqual(a.W.data);
    expect(b.H.data).toEqual(a.H.data);
  });

  it('gives the same bits on the WebAssembly and the scalar kernels', () => {
    const { V } = noisyData(6);
    const options = {
      rank: 4,
      beta: 2,
      solver: 'als' as const,
      init: 'nndsvda' as const,
      maxIter: 25,
      tol: 0,
    };
    const wasm = fitNmf(V, options, { kernels: selectKernels({ backend: 'wasm' }) });
    const js = fitNmf(V, options, { kernels: selectKernels({ backend: 'js' }) });
    expect(wasm.W.data).toEqual(js.W.data);
    expect(wasm.H.data).toEqual(js.H.data);
  });

  it('is refused for a loss other than Frobenius', () => {
    const { V } = noisyData(7);
    expect(() => fitNmf(V, { rank: 4, beta: 1, solver: 'als' })).toThrow('solver als needs β = 2');
  });
});
