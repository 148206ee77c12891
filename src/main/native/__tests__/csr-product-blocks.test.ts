import { describe, expect, it } from 'vitest';
import { Rng } from '../../../shared/linalg/random';
import { prepareData } from '../../../shared/nmf/data';
import { initializePrepared } from '../../../shared/nmf/init';
import { scalarKernels, selectKernels } from '../../../shared/nmf/kernels';
import { loadedNativeKernels } from '../../../shared/nmf/kernels/native';
import { randomCounts, toCsr } from '../../../shared/nmf/__tests__/helpers';
import { installNativeKernels } from '..';
import { nativeUnavailable, sameBits } from './helpers';

/**
 * csrProduct given a handle (csrHandle) runs the column-blocked products (native/src/csr.inl):
 * C · F keeps each row's running sums across column blocks, Cᵀ · W fills one block of output rows
 * at a time. Neither changes the order of any sum, so both give the bits of the scalar csrTimes /
 * csrTransposeTimes and of the unblocked call (indptr given as an Int32Array), on shapes where n
 * spans several blocks at every rank 1–33 (a block holds 256 KiB of padded rows: 8192 columns at
 * k ≤ 4, 910 at k = 33), with empty rows, an empty run of columns, and stored entries that are
 * not > 0 (0, −0, negative, NaN), on 1, 2 and 3 threads. The NNDSVDa start on a prepared CSR V
 * (whose products take the handle) keeps the scalar kernels' bits.
 */
const installed = installNativeKernels();
const unavailable = nativeUnavailable(installed);

/** m × n CSR with ~3 % stored entries, row 2 empty, columns 9000–9999 empty, some entries ≤ 0 or NaN. */
function sparse(
  m: number,
  n: number,
  rng: Rng,
): { indptr: Int32Array; indices: Int32Array; data: Float64Array } {
  const indptr = [0];
  const indices: number[] = [];
  const data: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n && i !== 2; j++) {
      if ((j >= 9000 && j < 10000) || rng.uniform() > 0.03) continue;
      const u = rng.uniform();
      indices.push(j);
      data.push(u < 0.05 ? 0 : u < 0.08 ? -0 : u < 0.12 ? -rng.gamma(2) : u < 0.13 ? NaN : rng.gamma(2));
    }
    indptr.push(indices.length);
  }
  return {
    indptr: Int32Array.from(indptr),
    indices: Int32Array.from(indices),
    data: Float64Array.from(data),
  };
}

function normals(length: number, rng: Rng): Float64Array {
  const out = Float64Array.from({ length }, () => rng.normal());
  out[0] = 0;
  if (length > 1) out[1] = -0;
  return out;
}

describe.skipIf(unavailable !== null)('the column-blocked native CSR products', () => {
  const m = 7;
  const n = 20000;
  const csr = sparse(m, n, new Rng(21));

  it('give the scalar and the unblocked bits for k = 1…33 on 1, 2 and 3 threads', () => {
    const module = loadedNativeKernels()!;
    expect(module.csrProduct).toBeTypeOf('function');
    const handle = module.csrHandle!(csr.indptr, csr.indices, csr.data, m, n);
    const rng = new Rng(5);
    for (let k = 1; k <= 33; k++) {
      const F = normals(n * k, rng);
      const W = normals(m * k, rng);
      const wantVF = new Float64Array(m * k);
      const wantVtW = new Float64Array(n * k);
      scalarKernels.csrTimes(csr.indptr, csr.indices, csr.data, m, n, F, k, wantVF);
      scalarKernels.csrTransposeTimes(csr.indptr, csr.indices, csr.data, m, n, W, k, wantVtW);
      for (const threads of [1, 2, 3]) {
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

  it('keep the NNDSVDa start on a prepared CSR V at the scalar bits', () => {
    const V = toCsr(randomCounts(30, 9000, 13, 0.96));
    const want = initializePrepared(prepareData(V, scalarKernels), 6, 'nndsvda', 3, scalarKernels);
    for (const threads of [1, 3]) {
      const kernels = selectKernels({ backend: 'native', threads, splitAlways: true });
      const got = initializePrepared(prepareData(V, kernels), 6, 'nndsvda', 3, kernels);
      expect(sameBits(got.W.data, want.W.data), `W, ${threads} thread(s)`).toBe(true);
      expect(sameBits(got.H.data, want.H.data), `H, ${threads} thread(s)`).toBe(true);
    }
  });
});
