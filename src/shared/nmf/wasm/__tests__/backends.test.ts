import { describe, expect, it } from 'vitest';
import { dense, type CsrMatrix, type DataMatrix, type DenseMatrix } from '../../../linalg/matrix';
import { fitNmf, type FitOptionsInput, type FitResult } from '../../index';
import { randomCounts, relDiff, toCsr } from '../../__tests__/helpers';
import fixture from '../../__tests__/fixtures/sklearn-nmf.json';
import { selectKernels, type KernelBackend } from '../../kernels';

/**
 * Whole fits on the WebAssembly kernels against the scalar ones. Both sum every entry in the same
 * order (../../kernels/contract.ts), so fits agree bit for bit; the scalar path is also held to
 * scikit-learn's fixtures here, since the shared agreement tests run the default set. Kernel by
 * kernel, ../../kernels/__tests__/conformance.test.ts holds every backend to the same bits.
 */

function fitWith(backend: KernelBackend, V: DataMatrix, options: FitOptionsInput): FitResult {
  return fitNmf(V, options, { kernels: selectKernels({ backend }) });
}

/** Non-negative m × n counts with a share of zeros and optional NaN (missing) entries. */
function randomData(m: number, n: number, seed: number, zeros: number, nans: number): DenseMatrix {
  return randomCounts(m, n, seed, zeros, nans);
}

/** CSR copy of a dense matrix, storing every non-zero (NaN included) plus every 7th zero. */
function csrWithStoredZeros(V: DenseMatrix): CsrMatrix {
  return toCsr(V, { storeZero: (i, j) => (i + j) % 7 === 0 });
}

/** Equal bits: every entry of W and H and the loss (Object.is, so −0 and NaN count too). */
function expectSameFit(a: FitResult, b: FitResult): void {
  const differing = (x: Float64Array, y: Float64Array): number =>
    x.length !== y.length ? -1 : x.findIndex((value, q) => !Object.is(value, y[q]));
  expect(differing(a.W.data, b.W.data)).toBe(-1);
  expect(differing(a.H.data, b.H.data)).toBe(-1);
  expect(Object.is(a.loss, b.loss)).toBe(true);
  expect(a.iterations).toBe(b.iterations);
}

describe('WebAssembly kernels', () => {
  it('are available under Node and selected by default (the native kernels not registered here)', () => {
    expect(selectKernels().backend).toBe('wasm');
    expect(selectKernels({ backend: 'js' }).backend).toBe('js');
  });

  // Shapes chosen to hit every remainder: k below, at and above the 2-, 4- and 8-wide blocks,
  // odd n, a single row, rows denser than a third (the CSR whole-row path).
  const shapes: Array<[number, number, number]> = [
    [37, 29, 1],
    [40, 33, 3],
    [25, 64, 7],
    [61, 18, 8],
    [30, 41, 10],
    [1, 50, 1],
  ];
  for (const [m, n, k] of shapes) {
    for (const [zeros, nans] of [
      [0, 0],
      [0.4, 0],
      [0.3, 0.05],
      // Most of each row missing: weighted HALS builds row Gram matrices from the observed side.
      [0.1, 0.6],
    ]) {
      const V = randomData(m, n, m * 1000 + n + k, zeros, nans);
      const layouts: Array<[string, DataMatrix]> = [
        ['dense', V],
        ['csr', csrWithStoredZeros(V)],
      ];
      for (const [layout, data] of layouts) {
        const label = `${m} × ${n}, k = ${k}, zeros ${zeros}, missing ${nans}, ${layout}`;
        it(`KL MU, HALS and general-β MU agree with the scalar kernels (${label})`, () => {
          const kl: FitOptionsInput = {
            rank: k,
            beta: 1,
            solver: 'mu',
            init: 'random',
            maxIter: 25,
            tol: 0,
            seed: 3,
          };
          expectSameFit(fitWith('wasm', data, kl), fitWith('js', data, kl));
          const hals: FitOptionsInput = {
            rank: k,
            beta: 2,
            solver: 'hals',
            init: 'random',
            maxIter: 15,
            tol: 0,
            seed: 3,
          };
          expectSameFit(fitWith('wasm', data, hals), fitWith('js', data, hals));
          const fro: FitOptionsInput = {
            rank: k,
            beta: 2,
            solver: 'mu',
            init: 'random',
            maxIter: 15,
            tol: 0,
            seed: 3,
          };
          expectSameFit(fitWith('wasm', data, fro), fitWith('js', data, fro));
          for (const beta of [0.5, 1.5, 3]) {
            const general: FitOptionsInput = { ...kl, beta, maxIter: 10 };
            expectSameFit(fitWith('wasm', data, general), fitWith('js', data, general));
          }
        });
      }
    }
  }

  it('give the same bits run to run', () => {
    const V = randomData(80, 70, 5, 0.2, 0);
    const options: FitOptionsInput = { rank: 6, beta: 1, solver: 'mu', maxIter: 30, tol: 0 };
    const a = fitWith('wasm', V, options);
    const b = fitWith('wasm', V, options);
    expect(Array.from(a.W.data)).toEqual(Array.from(b.W.data));
    expect(Array.from(a.H.data)).toEqual(Array.from(b.H.data));
  });
});

describe('scalar kernels (forced) agree with scikit-learn 1.2.1', () => {
  const toDense = (d: { rows: number; cols: number; data: number[] }): DenseMatrix =>
    dense(d.rows, d.cols, Float64Array.from(d.data));
  const sparse = fixture.sparse;
  const datasets: Record<string, DataMatrix> = {
    dense: toDense(fixture.dense),
    positive: toDense(fixture.positive),
    sparse: {
      kind: 'csr',
      rows: sparse.rows,
      cols: sparse.cols,
      indptr: Int32Array.from(sparse.indptr),
      indices: Int32Array.from(sparse.indices),
      data: Float64Array.from(sparse.data),
    },
  };
  for (const c of fixture.cases) {
    it(c.name, () => {
      const options: FitOptionsInput = {
        rank: fixture.rank,
        beta: c.beta,
        solver: c.solver === 'cd' ? 'hals' : 'mu',
        init: 'custom',
        W0: toDense(fixture.W0),
        H0: toDense(fixture.H0),
        maxIter: c.iters,
        tol: c.tol,
        l1W: c.alphaW * c.l1Ratio,
        l2W: c.alphaW * (1 - c.l1Ratio),
        l1H: c.alphaH * c.l1Ratio,
        l2H: c.alphaH * (1 - c.l1Ratio),
      };
      const js = fitWith('js', datasets[c.data], options);
      const limit = c.solver === 'cd' ? 1e-6 : 1e-8;
      expect(relDiff(js.W.data, c.W)).toBeLessThan(limit);
      expect(relDiff(js.H.data, c.H)).toBeLessThan(limit);
      expectSameFit(fitWith('wasm', datasets[c.data], options), js);
    });
  }
});
