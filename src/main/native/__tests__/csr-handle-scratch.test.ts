import { describe, expect, it } from 'vitest';
import { Rng } from '../../../shared/linalg/random';
import { scalarKernels } from '../../../shared/nmf/kernels';
import { loadedNativeKernels } from '../../../shared/nmf/kernels/native';
import { installNativeKernels } from '..';
import { nativeUnavailable } from './helpers';

/**
 * The products C · F and Cᵀ · W of `csrProduct` given a handle, as the HALS warm-up calls them at
 * every iteration (native/src/csr.inl), and the handle's scratch between calls: Cᵀ · W (and the KL
 * H side) sum one column block at a time into a block of scratch copied out per block, and the
 * handle keeps its scratch for one padded width at a time, giving it back when a call comes at
 * another (`csrScratchAt` in addon.cc). Neither changes the terms of any sum or their order, so the
 * products must give the scalar reference's bits (`csrTimes`, `csrTransposeTimes`), Object.is entry
 * by entry, at every rank 1 … 17 called one after another on one handle (so the scratch is released
 * and made again at every change of padded width, and reused on a second call at the same width),
 * on 1, 2 and 3 threads, on rows whose runs differ widely in length (1 to several thousand stored
 * entries; a row denser than n/3), empty rows, a row with no entry in the first column blocks,
 * empty columns, stored zeros, −0, negative values and NaN (coefficients the sums skip), and
 * factors holding zeros, −0, negative entries, and in some cases a NaN or an infinity (which the
 * sums carry as the reference does).
 */
const installed = installNativeKernels();
const unavailable = nativeUnavailable(installed);

const m = 61;
// Several column blocks at every padded width: 8192 columns a block at k ≤ 4, 1638 at k = 17.
const n = 9000;

interface Csr {
  indptr: Int32Array;
  indices: Int32Array;
  data: Float64Array;
}

/** Row densities from 0 to 0.6, so neighbouring runs differ in length; a few special rows. */
function rowsOfMixedLength(rng: Rng): Csr {
  const indptr = [0];
  const indices: number[] = [];
  const data: number[] = [];
  for (let i = 0; i < m; i++) {
    const density =
      i === 7
        ? 0.6
        : i % 11 === 3
          ? 0
          : i % 9 === 4
            ? 0.0004
            : i % 5 === 1
              ? 0.2 * rng.uniform()
              : 0.02 * rng.uniform();
    for (let j = 0; j < n; j++) {
      if (j >= 4000 && j < 4100) continue; // empty columns
      if (i === 12 && j < 8500) continue; // nothing in the first blocks
      if (rng.uniform() >= density) continue;
      const u = rng.uniform();
      indices.push(j);
      data.push(
        u < 0.03
          ? 0
          : u < 0.05
            ? -0
            : u < 0.07
              ? -rng.gamma(2)
              : u < 0.08
                ? NaN
                : Math.floor(1 + rng.gamma(2) * 5),
      );
    }
    indptr.push(indices.length);
  }
  return {
    indptr: Int32Array.from(indptr),
    indices: Int32Array.from(indices),
    data: Float64Array.from(data),
  };
}

/** A factor with zeros, −0 and negative entries; `special` adds a NaN and an infinity. */
function factor(length: number, rng: Rng, special: boolean): Float64Array {
  const out = new Float64Array(length);
  for (let q = 0; q < length; q++) {
    const u = rng.uniform();
    out[q] = u < 0.05 ? 0 : u < 0.07 ? -0 : u < 0.1 ? -rng.gamma(1) : rng.gamma(1);
  }
  if (special) {
    out[Math.floor(length / 3)] = NaN;
    out[Math.floor((2 * length) / 3)] = Infinity;
  }
  return out;
}

function firstDifference(want: Float64Array, got: Float64Array): string | null {
  const at = want.findIndex((x, q) => !Object.is(x, got[q]));
  return at < 0 ? null : `entry ${at}: ${got[at]}, the reference ${want[at]}`;
}

describe.skipIf(unavailable !== null)(
  "the native CSR products of the HALS warm-up and the handle's scratch",
  () => {
    const csr = rowsOfMixedLength(new Rng(17));

    it('cover what they claim to: mixed run lengths, a dense row, empty rows, skipped coefficients', () => {
      const lengths = Array.from({ length: m }, (_, i) => csr.indptr[i + 1] - csr.indptr[i]);
      expect(lengths[7] * 3).toBeGreaterThan(n);
      expect(lengths.filter((x) => x === 0).length).toBeGreaterThanOrEqual(4);
      expect(Math.max(...lengths) / Math.max(1, Math.min(...lengths.filter((x) => x > 0)))).toBeGreaterThan(
        100,
      );
      const skipped = Array.from(csr.data).filter((v) => !(v > 0));
      expect(skipped.some((v) => Object.is(v, -0))).toBe(true);
      expect(skipped.some((v) => Number.isNaN(v))).toBe(true);
    });

    for (const threads of [1, 2, 3]) {
      it(`give the scalar bits for k = 1 … 17 on ${threads} thread(s)`, () => {
        const module = loadedNativeKernels()!;
        const handle = module.csrHandle!(csr.indptr, csr.indices, csr.data, m, n);
        const rng = new Rng(40 + threads);
        for (let k = 1; k <= 17; k++) {
          for (const special of [false, true]) {
            const F = factor(n * k, rng, special);
            const W = factor(m * k, rng, special);
            const wantVF = new Float64Array(m * k);
            const wantVtW = new Float64Array(n * k);
            scalarKernels.csrTimes(csr.indptr, csr.indices, csr.data, m, n, F, k, wantVF);
            scalarKernels.csrTransposeTimes(csr.indptr, csr.indices, csr.data, m, n, W, k, wantVtW);
            // Twice: the second call reuses the handle's scratch as a fit's next iteration does.
            for (let call = 0; call < 2; call++) {
              const VF = new Float64Array(m * k).fill(7.5);
              const VtW = new Float64Array(n * k).fill(7.5);
              module.csrProduct!(0, handle, csr.indices, csr.data, m, n, F, k, VF, threads);
              module.csrProduct!(1, handle, csr.indices, csr.data, m, n, W, k, VtW, threads);
              const label = `k = ${k}${special ? ', NaN and ∞ in the factors' : ''}, call ${call + 1}`;
              expect(firstDifference(wantVF, VF), `V·F, ${label}`).toBeNull();
              expect(firstDifference(wantVtW, VtW), `Vᵀ·W, ${label}`).toBeNull();
            }
          }
        }
      });
    }

    it('are held to an order that matters on this data: a row summed in another order differs', () => {
      // A reference with one row's terms added last to first must differ from the scalar one, so a
      // product that mixed up a row's order (or two rows' terms) would fail the comparisons above.
      const k = 6;
      const F = factor(n * k, new Rng(3), false);
      const want = new Float64Array(m * k);
      scalarKernels.csrTimes(csr.indptr, csr.indices, csr.data, m, n, F, k, want);
      const reversed = new Float64Array(k);
      for (let p = csr.indptr[8] - 1; p >= csr.indptr[7]; p--) {
        const v = csr.data[p];
        if (!(v > 0)) continue;
        for (let t = 0; t < k; t++) reversed[t] += v * F[csr.indices[p] * k + t];
      }
      expect(Array.from(reversed).some((x, t) => !Object.is(x, want[7 * k + t]))).toBe(true);
    });
  },
);
