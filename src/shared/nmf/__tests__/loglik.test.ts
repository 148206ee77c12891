import { describe, expect, it } from 'vitest';
import { dense, type DenseMatrix } from '../../linalg/matrix';
import { logGamma, Rng } from '../../linalg/random';
import { installNativeKernels } from '../../../main/native';
import { prepareData } from '../data';
import { divergenceOf, klAndLogLikelihoodOf, logLikelihoodOf } from '../divergence';
import { fitNmf } from '../fit';
import { selectKernels, type NmfKernels } from '../kernels';
import { randomCounts } from './helpers';

/**
 * The Poisson log-likelihood read with the KL loss in one pass (`klAndLogLikelihoodOf`, the fit's
 * final pass) against the two separate passes, bit for bit, on every kernel set and thread count,
 * and against a plain per-entry sum to rounding: integer counts, non-integer values, counts above
 * logGamma's table, tiny values, missing entries and a zero row of WH, over several seeds.
 */

const installed = installNativeKernels();

function kernelSets(): Array<[string, NmfKernels]> {
  const sets: Array<[string, NmfKernels]> = [
    ['scalar', selectKernels({ backend: 'js' })],
    ['WebAssembly', selectKernels({ backend: 'wasm' })],
  ];
  if (installed.isa !== null) {
    sets.push(['native, 1 thread', selectKernels({ backend: 'native', threads: 1 })]);
    sets.push([
      'native, 3 threads split',
      selectKernels({ backend: 'native', threads: 3, splitAlways: true }),
    ]);
  }
  return sets;
}

/** Counts with NaN, then a share of entries made non-integer, large (> 171) or tiny. */
function awkward(m: number, n: number, seed: number): DenseMatrix {
  const V = randomCounts(m, n, seed, 0.3, 0.05);
  const rng = new Rng(seed + 7);
  const d = V.data;
  for (let q = 0; q < d.length; q++) {
    if (!(d[q] > 0)) continue;
    const u = rng.uniform();
    if (u < 0.15) d[q] *= 1 + rng.uniform();
    else if (u < 0.2) d[q] += 200 + Math.floor(1000 * rng.uniform());
    else if (u < 0.22) d[q] = 1e-9;
  }
  return V;
}

/** Σ_observed V log(WH) − WH − log Γ(V + 1), entry by entry (the definition). */
function plainLogLikelihood(V: DenseMatrix, W: Float64Array, Ht: Float64Array, k: number): number {
  let s = 0;
  for (let i = 0; i < V.rows; i++) {
    for (let j = 0; j < V.cols; j++) {
      const v = V.data[i * V.cols + j];
      if (v !== v) continue;
      let wh = 0;
      for (let t = 0; t < k; t++) wh += W[i * k + t] * Ht[j * k + t];
      s += (v > 0 ? v * Math.log(wh) - logGamma(v + 1) : 0) - wh;
    }
  }
  return s;
}

/** Gamma(1) entries, a share `zeros` of them exact zeros (as MU and HALS leave them). */
function factor(length: number, rng: Rng, zeros = 0.1): Float64Array {
  return Float64Array.from({ length }, () => (rng.uniform() < zeros ? 0 : rng.gamma(1)));
}

describe('KL loss and log-likelihood in one pass', () => {
  for (const [m, n, k, seed] of [
    [61, 47, 3, 1],
    [40, 130, 8, 2],
    [9, 5, 1, 3],
    [120, 33, 5, 4],
  ]) {
    it(`${m} × ${n}, k = ${k}, seed ${seed}: the separate passes' bits on every kernel set`, () => {
      const V = awkward(m, n, seed);
      const data = prepareData(V);
      const rng = new Rng(seed + 100);
      const W = factor(m * k, rng, 0);
      const Ht = factor(n * k, rng, 0);
      const want = plainLogLikelihood(V, W, Ht, k);
      // Exact zeros in the factors can leave WH = 0 under a count (−Infinity: the next test).
      expect(Number.isFinite(want)).toBe(true);
      let reference: { loss: number; loglik: number } | null = null;
      for (const [name, kernels] of kernelSets()) {
        const both = klAndLogLikelihoodOf(data, W, Ht, k, kernels);
        expect(Object.is(both.loss, divergenceOf(data, W, Ht, k, 1, kernels)), name).toBe(true);
        expect(Object.is(both.loglik, logLikelihoodOf(data, W, Ht, k, kernels)), name).toBe(true);
        if (reference === null) reference = both;
        else expect(both, name).toEqual(reference);
        expect(Math.abs(both.loglik - want), name).toBeLessThan(1e-12 * Math.abs(want));
      }
    });
  }

  it('a zero row of WH under positive counts gives −Infinity on every kernel set', () => {
    const V = randomCounts(20, 30, 5, 0.2);
    const data = prepareData(V);
    const rng = new Rng(9);
    const W = factor(20 * 4, rng);
    W.fill(0, 2 * 4, 3 * 4);
    const Ht = factor(30 * 4, rng);
    for (const [name, kernels] of kernelSets()) {
      const both = klAndLogLikelihoodOf(data, W, Ht, 4, kernels);
      expect(both.loglik, name).toBe(-Infinity);
      expect(Number.isFinite(both.loss), name).toBe(true);
    }
  });

  it("a KL fit's loglik and loss are the separate passes' values on its own factors", () => {
    for (const seed of [0, 1, 2]) {
      const V = awkward(50, 40, 20 + seed);
      for (const maxIter of [7, 20]) {
        // maxIter 7: the final loss is still to compute (one pass); 20: it was computed at the
        // last check (the log-likelihood alone).
        const fit = fitNmf(V, { rank: 4, beta: 1, solver: 'mu', maxIter, tol: 0, seed });
        const data = prepareData(V);
        const W = fit.W.data;
        const Ht = dense(fit.H.cols, fit.H.rows, transposeData(fit.H)).data;
        expect(fit.loglik).toBe(logLikelihoodOf(data, W, Ht, 4));
        expect(fit.loss).toBe(divergenceOf(data, W, Ht, 4, 1));
      }
    }
  });
});

function transposeData(A: DenseMatrix): Float64Array {
  const out = new Float64Array(A.rows * A.cols);
  for (let i = 0; i < A.rows; i++)
    for (let j = 0; j < A.cols; j++) out[j * A.rows + i] = A.data[i * A.cols + j];
  return out;
}
