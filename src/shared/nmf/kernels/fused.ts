import type { NmfKernels } from './contract';
import { multiplicativeUpdate } from './scalar/cd';
import { columnSums } from './scalar/products';

/** The kernels a fused half-iteration is made of. */
type Steps = Pick<
  NmfKernels,
  'denseTimes' | 'denseTransposeTimes' | 'gram' | 'cdSweep' | 'klNumWDense' | 'klNumHDense'
>;

/**
 * The fused half-iterations (`halsHalf`, `klHalf`: ./contract.ts) as the sequence of `steps`' own
 * calls, which is their definition: the scalar and WebAssembly sets use this, and the native set
 * where its module has no fused entry points. The native fused kernels (native/src/fused.inl) run
 * the same native kernels in the same order in one call.
 */
export function sequentialFused(steps: Steps): Pick<NmfKernels, 'halsHalf' | 'klHalf'> {
  return {
    halsHalf: (side, V, m, n, k, F, O, B, G, order, l1, l2) => {
      const rows = side === 0 ? m : n;
      if (side === 0) steps.denseTimes(V, m, n, O, k, B);
      else steps.denseTransposeTimes(V, m, n, O, k, B);
      if (l1 !== 0) for (let q = 0; q < rows * k; q++) B[q] -= l1;
      steps.gram(O, side === 0 ? n : m, k, G);
      if (l2 !== 0) for (let t = 0; t < k; t++) G[t * k + t] += l2;
      return steps.cdSweep(F, rows, k, G, B, order);
    },
    klHalf: (side, V, m, n, k, W, Ht, num, den, sums, row, l1, l2, threshold) => {
      const rows = side === 0 ? m : n;
      if (side === 0) {
        steps.klNumWDense(V, m, n, k, W, Ht, num, row);
        columnSums(Ht, n, k, sums);
      } else {
        steps.klNumHDense(V, m, n, k, W, Ht, num, row);
        columnSums(W, m, k, sums);
        // scikit-learn replaces zero column sums of W by 1 (a 0/0 guard: the numerator is 0 there too).
        for (let t = 0; t < k; t++) if (sums[t] === 0) sums[t] = 1;
      }
      for (let r = 0; r < rows; r++) den.set(sums.subarray(0, k), r * k);
      multiplicativeUpdate(side === 0 ? W : Ht, num, den, rows * k, l1, l2, 1, threshold);
    },
  };
}
