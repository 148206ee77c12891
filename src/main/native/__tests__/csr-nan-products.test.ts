import { describe, expect, it } from 'vitest';
import { Rng } from '../../../shared/linalg/random';
import { scalarKernels } from '../../../shared/nmf/kernels';
import { loadedNativeKernels } from '../../../shared/nmf/kernels/native';
import { installNativeKernels } from '..';
import { nativeUnavailable, sameBits } from './helpers';

/**
 * The native CSR products (csrProduct, native/src/csr.inl: csrRowProducts, csrColumnProducts and
 * the column-blocked gatherAdd / scatterAdd) add a masked +0 for a coefficient that is not > 0
 * where the scalar csrTimes / csrTransposeTimes skip it (`keptProduct4`). Held to the scalar bits
 * on a cross-validation fold's kind of V: a third of the stored entries NaN at random, a row all
 * NaN, rows whose last (or first) entries are NaN, zeros of both signs and negative entries, and
 * factors holding ±Infinity and NaN in the rows that only such coefficients multiply (the scalar
 * skip never reads them; masking the coefficient before the product would give NaN there), at
 * every padded width the products specialise (k = 1…33: kp 4, 8, 12, 16, 20, 24, 32 and the
 * general loop), unblocked and blocked (n spanning several column blocks), on 1 and 3 threads.
 */
const installed = installNativeKernels();
const unavailable = nativeUnavailable(installed);

/** Columns whose every stored coefficient is NaN or not > 0: their rows of F may hold anything. */
const skippedColumn = (j: number): boolean => j % 17 === 5;
/** Rows whose every stored coefficient is NaN: their rows of W may hold anything. */
const NAN_ROW = 3;

/**
 * m × n CSR, ~density stored: a third of the entries NaN at random, row `NAN_ROW` all NaN, row 5
 * ending in three NaN, row 6 starting with three, some 0, −0 and negative entries, the
 * `skippedColumn`s holding only NaN, 0 or −0.
 */
function foldLike(
  m: number,
  n: number,
  density: number,
  rng: Rng,
): { indptr: Int32Array; indices: Int32Array; data: Float64Array } {
  const indptr = [0];
  const indices: number[] = [];
  const data: number[] = [];
  for (let i = 0; i < m; i++) {
    const rowStart = indices.length;
    for (let j = 0; j < n; j++) {
      if (rng.uniform() > density) continue;
      const u = rng.uniform();
      indices.push(j);
      if (i === NAN_ROW || u < 1 / 3) data.push(NaN);
      else if (skippedColumn(j)) data.push(u < 0.66 ? 0 : -0);
      else data.push(u < 0.36 ? 0 : u < 0.38 ? -0 : u < 0.42 ? -rng.gamma(2) : rng.gamma(2));
    }
    const stored = indices.length - rowStart;
    if (i === 5) for (let q = Math.max(0, stored - 3); q < stored; q++) data[rowStart + q] = NaN;
    if (i === 6) for (let q = 0; q < Math.min(3, stored); q++) data[rowStart + q] = NaN;
    indptr.push(indices.length);
  }
  return {
    indptr: Int32Array.from(indptr),
    indices: Int32Array.from(indices),
    data: Float64Array.from(data),
  };
}

/** rows × k normals (with ±0), the rows for which `unread(r)` holds filled with ±Infinity and NaN. */
function factor(rows: number, k: number, rng: Rng, unread: (r: number) => boolean): Float64Array {
  const special = [Infinity, -Infinity, NaN];
  const out = Float64Array.from({ length: rows * k }, () => rng.normal());
  out[0] = 0;
  if (out.length > 1) out[1] = -0;
  for (let r = 0; r < rows; r++)
    if (unread(r)) for (let t = 0; t < k; t++) out[r * k + t] = special[(r + t) % special.length];
  return out;
}

describe.skipIf(unavailable !== null)('the native CSR products on V with scattered NaN', () => {
  const shapes = [
    { m: 41, n: 300, density: 0.3 },
    { m: 9, n: 20000, density: 0.02 },
  ];
  for (const { m, n, density } of shapes) {
    it(`give the scalar bits on ${m} × ${n}, k = 1…33, unblocked and blocked, 1 and 3 threads`, () => {
      const module = loadedNativeKernels()!;
      const csr = foldLike(m, n, density, new Rng(m + n));
      const handle = module.csrHandle!(csr.indptr, csr.indices, csr.data, m, n);
      const rng = new Rng(17);
      for (let k = 1; k <= 33; k++) {
        const F = factor(n, k, rng, skippedColumn);
        const W = factor(m, k, rng, (i) => i === NAN_ROW);
        const wantVF = new Float64Array(m * k);
        const wantVtW = new Float64Array(n * k);
        scalarKernels.csrTimes(csr.indptr, csr.indices, csr.data, m, n, F, k, wantVF);
        scalarKernels.csrTransposeTimes(csr.indptr, csr.indices, csr.data, m, n, W, k, wantVtW);
        expect(wantVF.some(Number.isNaN), 'the infinite rows of F are never read').toBe(false);
        for (const threads of [1, 3]) {
          for (const indptr of [csr.indptr, handle]) {
            const label = `k = ${k}, ${threads} thread(s), ${indptr === handle ? 'blocked' : 'unblocked'}`;
            const VF = new Float64Array(m * k).fill(7.5);
            const VtW = new Float64Array(n * k).fill(7.5);
            module.csrProduct!(0, indptr, csr.indices, csr.data, m, n, F, k, VF, threads);
            module.csrProduct!(1, indptr, csr.indices, csr.data, m, n, W, k, VtW, threads);
            expect(sameBits(VF, wantVF), `V·F, ${label}`).toBe(true);
            expect(sameBits(VtW, wantVtW), `Vᵀ·W, ${label}`).toBe(true);
          }
        }
      }
    });
  }
});
