import type { CsrMatrix, DenseMatrix } from '../linalg/matrix';
import { transpose } from '../linalg/ops';
import type { SvdProducts } from '../linalg/svd';
import { MemoryAccount, type SampleBatchSource } from './batch-source';
import type { PreparedData } from './data';
import { initializePrepared } from './init';
import { selectKernels, type NmfKernels } from './kernels';
import { fitMinibatchFromSource, minibatchBatchSize } from './minibatch';
import { resolveWith } from './options';
import {
  FitCancelledError,
  FitSettingsError,
  type FitHooks,
  type FitOptionsInput,
  type FitResult,
} from './types';

/**
 * A minibatch fit of V (m × n) that never holds V: its batches come from `source` (for the app,
 * a sample-major file on disk, src/main/services/sample-file.ts), and so do the start and the
 * losses. Same bits as `fit(V, options)` with `solver: 'minibatch'` on V in memory, for every
 * start:
 *  - random: drawn from mean(V) (the source's observed count and sum, summed in prepareData's
 *    order) exactly as `initializePrepared` draws it;
 *  - NNDSVD (a, ar): the randomized SVD's products from the batches. Vᵀ·Y is, batch by batch,
 *    the batch's own product Vᵀ_b·Y (each output row a sum over the features in increasing order,
 *    as the kernels' `csrTransposeTimes` on V sums it); V·X is accumulated over the batches in
 *    sample order (each output row a sum over the samples in increasing order, as `csrTimes`);
 *    both skip the entries that are not > 0, as the kernels do;
 *  - custom: W0 and H0 copied.
 * `checks`: what the scan of V found (negative, infinite entries, zeros), checked as `fit` checks
 * them. `memory` is charged with the start's and the fit's arrays and the source's buffers.
 */
export function fitStreamed(
  source: SampleBatchSource,
  input: FitOptionsInput,
  checks: Pick<PreparedData, 'negative' | 'infinite' | 'zero'>,
  hooks: FitHooks = {},
  memory: MemoryAccount = new MemoryAccount(),
): FitResult {
  const started = now();
  const { m, n } = source;
  const summary = summaryData(source, checks);
  const options = resolveWith(input, summary);
  if (options.solver !== 'minibatch')
    throw new FitSettingsError(
      `a fit streaming V from disk needs the minibatch solver (this one is ${options.solver})`,
    );
  if (hooks.isCancelled?.() === true) throw new FitCancelledError(0);
  const kernels = hooks.kernels ?? selectKernels();
  const k = options.rank;
  const batchSize = minibatchBatchSize(options, n);
  let W: Float64Array;
  let Ht: Float64Array;
  if (options.init === 'custom') {
    W = Float64Array.from((options.W0 as DenseMatrix).data);
    Ht = transpose(options.H0 as DenseMatrix).data;
  } else {
    const products = options.init === 'random' ? undefined : batchProducts(source, batchSize, kernels);
    if (products !== undefined) {
      // The SVD holds a few m × l and n × l blocks (l = rank + 10) while it runs.
      const l = Math.min(k + 10, Math.min(m, n));
      memory.hold('start: randomized SVD blocks', 8 * l * (3 * m + 3 * n));
    }
    const start = initializePrepared(summary, k, options.init, options.seed, kernels, products);
    memory.hold('start: H transposed', 8 * n * k);
    W = start.W.data;
    Ht = transpose(start.H).data;
    memory.release('start: randomized SVD blocks');
    memory.release('start: H transposed');
  }
  return fitMinibatchFromSource(source, options, W, Ht, { ...hooks, kernels }, started, memory);
}

/**
 * What the fit's checks and its start read of V, without V: its size, observed count and sum, and
 * what the scan found. `V` is an empty m × n CSR matrix: nothing on the streaming path reads it
 * (the products of the SVD come from the batches).
 */
function summaryData(
  source: SampleBatchSource,
  checks: Pick<PreparedData, 'negative' | 'infinite' | 'zero'>,
): PreparedData {
  const empty: CsrMatrix = {
    kind: 'csr',
    rows: source.m,
    cols: source.n,
    indptr: new Int32Array(source.m + 1),
    indices: new Int32Array(0),
    data: new Float64Array(0),
  };
  return {
    V: empty,
    m: source.m,
    n: source.n,
    missing: null,
    observed: source.observed,
    sum: source.sum,
    ...checks,
  };
}

/** V·X and Vᵀ·Y from the batches (see {@link fitStreamed} for the order of the sums). */
function batchProducts(source: SampleBatchSource, batchSize: number, kernels: NmfKernels): SvdProducts {
  const { m, n } = source;
  return {
    // out (m × l) = V · X, X n × l.
    times: (X, l, out) => {
      out.fill(0, 0, m * l);
      for (let j0 = 0; j0 < n; j0 += batchSize) {
        const j1 = Math.min(j0 + batchSize, n);
        const batch = source.batch(j0, j1).V;
        if (batch.kind !== 'csr') throw new Error('streamed batches are CSR');
        const { indptr, indices, data } = batch;
        for (let r = 0; r < j1 - j0; r++) {
          const x = (j0 + r) * l;
          for (let p = indptr[r]; p < indptr[r + 1]; p++) {
            const v = data[p];
            if (!(v > 0)) continue;
            const o = indices[p] * l;
            for (let c = 0; c < l; c++) out[o + c] += v * X[x + c];
          }
        }
      }
    },
    // out (n × l) = Vᵀ · Y, Y m × l: each batch's rows are its own product.
    transposeTimes: (Y, l, out) => {
      for (let j0 = 0; j0 < n; j0 += batchSize) {
        const j1 = Math.min(j0 + batchSize, n);
        const batch = source.batch(j0, j1).V;
        if (batch.kind !== 'csr') throw new Error('streamed batches are CSR');
        kernels.csrTimes(
          batch.indptr,
          batch.indices,
          batch.data,
          j1 - j0,
          m,
          Y,
          l,
          out.subarray(j0 * l, j1 * l),
        );
      }
    },
  };
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
