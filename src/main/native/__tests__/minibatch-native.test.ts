import { describe, expect, it } from 'vitest';
import { fitNmf, type FitOptionsInput, type FitResult } from '../../../shared/nmf';
import { prepareData } from '../../../shared/nmf/data';
import { plantCellModules, sampleCellMatrix } from '../../../shared/analysis/synthetic-cells';
import type { CsrMatrix } from '../../../shared/linalg/matrix';
import { selectKernels, type KernelBackend } from '../../../shared/nmf/kernels';
import { nativeBatchGather } from '../../../shared/nmf/kernels/native';
import { inMemoryBatches } from '../../../shared/nmf/minibatch';
import { installNativeKernels } from '..';
import { nativeUnavailable, sameBits } from './helpers';

/**
 * The minibatch solver on the native kernels: its batches gathered natively (native/src/
 * minibatch.inl) are the JavaScript gather's entry for entry, and its fits give the JavaScript
 * bits at 1 and 2 threads.
 */
const installed = installNativeKernels();
const unavailable = nativeUnavailable(installed);

/** Generated cell counts (genes × cells, CSR), with some stored entries made missing (NaN) when asked. */
function cells(genes: number, count: number, seed: number, holes: boolean): CsrMatrix {
  const { V } = sampleCellMatrix(plantCellModules({ features: genes, cells: count, rank: 5, seed }));
  if (!holes) return V;
  const data = Float64Array.from(V.data);
  for (let p = 7; p < data.length; p += 97) data[p] = NaN;
  return { ...V, data };
}

function sameInts(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let q = 0; q < a.length; q++) if (a[q] !== b[q]) return false;
  return true;
}

function fitWith(V: CsrMatrix, backend: KernelBackend, threads: number, options: FitOptionsInput): FitResult {
  return fitNmf(V, options, { kernels: selectKernels({ backend, threads }) });
}

describe.skipIf(unavailable !== null)('minibatch fits on native kernels', () => {
  it('gather each batch as the JavaScript gather does (entries, values, sum), at 1 and 2 threads', () => {
    expect(installed.reason).toBeUndefined();
    for (const holes of [false, true]) {
      // 400 genes × 1500 cells: batches of 500 hold ~2·10⁴ entries, enough to split.
      const data = prepareData(cells(400, 1500, 3, holes));
      for (const batchSize of [500, 128, 9]) {
        for (const threads of [1, 2]) {
          const gather = nativeBatchGather(threads);
          expect(gather).not.toBeNull();
          const reference = inMemoryBatches(data, batchSize);
          const native = inMemoryBatches(data, batchSize, gather);
          // Two passes: the cursors are reset by the batch at sample 0.
          for (let pass = 0; pass < 2; pass++) {
            for (let j0 = 0; j0 < data.n; j0 += batchSize) {
              const j1 = Math.min(j0 + batchSize, data.n);
              const a = reference.batch(j0, j1);
              const b = native.batch(j0, j1);
              const Va = a.V as CsrMatrix;
              const Vb = b.V as CsrMatrix;
              expect(sameInts(Vb.indptr, Va.indptr)).toBe(true);
              expect(sameInts(Vb.indices, Va.indices)).toBe(true);
              expect(sameBits(Vb.data, Va.data)).toBe(true);
              expect(Object.is(b.sum, a.sum)).toBe(true);
              expect(b.observed).toBe(a.observed);
            }
          }
        }
      }
    }
  });

  it('refuses batches out of order and leaves the cursors as they were', () => {
    const data = prepareData(cells(100, 300, 4, false));
    const V = data.V as CsrMatrix;
    const gather = nativeBatchGather(2)!;
    const cursor = V.indptr.slice(0, V.rows);
    const batchIndptr = new Int32Array(101);
    const out = { indices: new Int32Array(V.data.length), values: new Float64Array(V.data.length) };
    // Counting the batch [100, 200) as if it were [0, 100): its entries lie after the cursors' columns.
    expect(() =>
      gather(
        V.indptr,
        V.indices,
        V.data,
        V.rows,
        V.cols,
        cursor,
        100,
        200,
        batchIndptr,
        out.indices,
        out.values,
      ),
    ).toThrow(/csrGather/);
    expect(Array.from(cursor)).toEqual(Array.from(V.indptr.slice(0, V.rows)));
    const outside = Int32Array.from(cursor);
    outside[5] = V.indptr[7];
    expect(() =>
      gather(
        V.indptr,
        V.indices,
        V.data,
        V.rows,
        V.cols,
        outside,
        0,
        100,
        batchIndptr,
        out.indices,
        out.values,
      ),
    ).toThrow(/cursor of row 5/);
  });

  it('give the JavaScript bits at 1 and 2 threads (KL refined and scikit-learn schedules, Frobenius)', () => {
    const V = cells(300, 2400, 5, true);
    for (const options of [
      { rank: 5, beta: 1, solver: 'minibatch', maxIter: 4, onlinePasses: 2, tol: 0 },
      { rank: 5, beta: 1, solver: 'minibatch', schedule: 'sklearn', batchSize: 256, maxIter: 2, tol: 0 },
      { rank: 5, beta: 2, solver: 'minibatch', batchSize: 300, maxIter: 3, tol: 0 },
    ] as FitOptionsInput[]) {
      const reference = fitWith(V, 'js', 1, options);
      for (const threads of [1, 2]) {
        const native = fitWith(V, 'native', threads, options);
        expect(sameBits(native.W.data, reference.W.data)).toBe(true);
        expect(sameBits(native.H.data, reference.H.data)).toBe(true);
        expect(native.loss).toBe(reference.loss);
        expect(native.trace).toEqual(reference.trace);
      }
    }
  });
});
