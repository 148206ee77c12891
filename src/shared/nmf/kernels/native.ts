import { isPreparedCsr } from '../prepared-csr';
import type { DataArrays, NmfKernels } from './contract';
import { sequentialFused } from './fused';

/**
 * The native kernels (native/src, a Node-API module) as a kernel set. `src/shared` cannot load a
 * native module itself (no `node:*` here): the Node entry points (the pool's workers, the CLI, the
 * main process) load it through src/main/native and register it once with `registerNativeKernels`,
 * which records what is loaded in this thread; a fit's set is then built by `selectKernels`
 * (./select.ts) with the threads that fit may use. Where it is not registered (a browser, a build
 * without a C++ compiler) the engine runs the same sums in WebAssembly or scalar JavaScript.
 *
 * It serves the dense products that dominate a fit: the KL numerators (V ⊘ WH)·Hᵀ and
 * Wᵀ·(V ⊘ WH), V·F and Vᵀ·W (HALS, Frobenius MU), the per-row KL and Frobenius losses on dense V,
 * the Gram matrices, the coordinate-descent sweeps and the small products A·G, and the
 * missing-value kernels (the weighted coordinate-descent sweep and the masked KL denominators that
 * cross-validation folds run), and the general-β and Itakura–Saito MU terms and loss sums on
 * dense V (rows of WH, the per-entry terms with fdlibm's pow, which is V8's Math.pow, and their
 * products, fused per block of rows; on CSR V the terms too). Every other kernel (the general-β
 * loss on CSR V, the rows of WH) comes from the set it wraps.
 */

/** The module's exports (native/src/kernels.cc). Shapes as in ./contract.ts. */
export interface NativeKernelModule {
  /**
   * side 0: out (m × k) = C · Ht; side 1: out (n × k) = Cᵀ · W, where C = V ⊘ WH where V > 0, else 0
   * (`ratio`, KL; WH = 0 → EPS32), or C = V where V > 0, else 0 (V·F with F passed as Ht, Vᵀ·W).
   * Split over `threads` threads by outputs (same bits at any count).
   */
  product(
    side: 0 | 1,
    ratio: boolean,
    V: Float64Array,
    m: number,
    n: number,
    k: number,
    W: Float64Array,
    Ht: Float64Array,
    out: Float64Array,
    threads: number,
  ): void;
  /**
   * Per-row loss sums into `sums` (2m, row i at 2i, 2i + 1): kind 1 (KL) Σ V·log(V/WHs) and Σ V over
   * V > EPS32 (WHs: WH, EPS32 where WH = 0); kind 2 (Frobenius) Σ (V − WH)² and 0; kinds 3 and 4 as NmfKernels.rowLosses' (3m sums). NaN entries skipped;
   * each row summed in column order with fdlibm's log (JavaScript's), split over threads by rows.
   */
  losses(
    kind: 1 | 2 | 3 | 4,
    V: Float64Array,
    m: number,
    n: number,
    k: number,
    W: Float64Array,
    Ht: Float64Array,
    sums: Float64Array,
    threads: number,
  ): void;
  /** out (rows × k) = A · G for A (rows × k) and G (k × k), each entry summed in component order. */
  timesSmall(A: Float64Array, rows: number, k: number, G: Float64Array, out: Float64Array): void;
  /** out (k × k) = Aᵀ A for A (rows × k), each entry summed in row order. */
  gram(A: Float64Array, rows: number, k: number, out: Float64Array): void;
  /**
   * One coordinate-descent sweep over the rows of F (rows × k) in place with G (k × k) and B
   * (rows × k), components in `order`; returns Σ|projected gradient| (per row, then in row order).
   */
  cdSweep(
    F: Float64Array,
    rows: number,
    k: number,
    G: Float64Array,
    B: Float64Array,
    order: Int32Array,
    threads: number,
  ): number;
  /**
   * `NmfKernels.orthonormalizeColumns` on Q (rows × l) in place, one thread. Absent from modules
   * built before it: the set then takes it from the set it wraps.
   */
  orthonormalize?(Q: Float64Array, rows: number, l: number): void;
  /**
   * `NmfKernels.jacobiSweeps` on At and Vt in place, one thread. Absent from modules built before
   * it: the set then takes it from the set it wraps.
   */
  jacobiSweeps?(At: Float64Array, Vt: Float64Array, rows: number, cols: number): void;
  /**
   * The general-β MU terms on dense V (`NmfKernels.betaW` for side 0, into numOut, denOut m × k;
   * `betaH` for side 1, n × k), β ∉ {1, 2}, with the scalar set's bits: rows of WH, the per-entry
   * terms (divisions for β = 0, fdlibm's pow otherwise) and their products fused per block of
   * rows (native/src/beta.inl); side 0 split over `threads` by rows, side 1 by columns. Absent from
   * modules built before it: the set then takes the terms from the set it wraps.
   */
  betaTerms?(
    side: 0 | 1,
    V: Float64Array,
    m: number,
    n: number,
    k: number,
    W: Float64Array,
    Ht: Float64Array,
    beta: number,
    numOut: Float64Array,
    denOut: Float64Array,
    threads: number,
  ): void;
  /**
   * `betaTerms` for CSR V (indptr or a `csrHandle`, indices, data): the numerator terms at the
   * stored entries only, the denominator terms over every entry from whole rows of WH, with the
   * scalar set's bits (`betaW` / `betaH` on CSR V); split as `betaTerms`. Absent from older modules.
   */
  betaTermsCsr?(
    side: 0 | 1,
    indptr: Int32Array | CsrHandle,
    indices: Int32Array,
    data: Float64Array,
    m: number,
    n: number,
    k: number,
    W: Float64Array,
    Ht: Float64Array,
    beta: number,
    numOut: Float64Array,
    denOut: Float64Array,
    threads: number,
  ): void;
  /**
   * out[i] = x[i]^y[i] by the module's port of fdlibm's pow (native/src/fdlibm_pow.h), the pow of
   * `betaTerms`; for the test that holds it to Math.pow bit for bit. Absent as `betaTerms`.
   */
  fdlibmPow?(x: Float64Array, y: Float64Array, out: Float64Array): void;
  /**
   * `NmfKernels.betaLossSums` (β ∉ {1, 2}) into sums (3): three running sums in row-major order on
   * the calling thread, logs and powers by fdlibm (JavaScript's). Absent as `betaTerms`.
   */
  betaLoss?(
    V: Float64Array,
    m: number,
    n: number,
    k: number,
    W: Float64Array,
    Ht: Float64Array,
    beta: number,
    sums: Float64Array,
  ): void;
  /** The instruction set chosen at load time: 'avx512vl', 'avx2' or 'baseline'. */
  isa(): string;
  /**
   * `NmfKernels.maskedSweep` (./contract.ts), rows split over `threads` threads (same bits at any
   * count). Absent from modules built before the missing-value kernels: the set then takes it from
   * the set it wraps.
   */
  maskedSweep?(
    F: Float64Array,
    rows: number,
    O: Float64Array,
    others: number,
    k: number,
    G: Float64Array,
    B: Float64Array,
    l2: number,
    ptr: Int32Array,
    idx: Int32Array,
    order: Int32Array,
    threads: number,
  ): number;
  /** `NmfKernels.maskedSums`, rows split over `threads` threads; absent as `maskedSweep`. */
  maskedSums?(
    out: Float64Array,
    rows: number,
    F: Float64Array,
    others: number,
    k: number,
    total: Float64Array,
    ptr: Int32Array,
    idx: Int32Array,
    threads: number,
  ): void;
  /**
   * CSR V (m × n): side 0: out (m × k) = V · F for F (n × k); side 1: out (n × k) = Vᵀ · F for
   * F = W (m × k); stored entries that are not > 0 add nothing. W side split over threads by rows,
   * H side by columns (same bits at any count). Absent from modules built before the CSR kernels.
   */
  csrProduct?(
    side: 0 | 1,
    indptr: Int32Array | CsrHandle,
    indices: Int32Array,
    data: Float64Array,
    m: number,
    n: number,
    F: Float64Array,
    k: number,
    out: Float64Array,
    threads: number,
  ): void;
  /**
   * The KL numerators for CSR V: side 0 numW (m × k), side 1 numHt (n × k), as klNumWCsr /
   * klNumHCsr (./contract.ts); `ratio` (nnz) is scratch. Absent from older modules.
   */
  csrKl?(
    side: 0 | 1,
    indptr: Int32Array | CsrHandle,
    indices: Int32Array,
    data: Float64Array,
    m: number,
    n: number,
    k: number,
    W: Float64Array,
    Ht: Float64Array,
    out: Float64Array,
    ratio: Float64Array,
    threads: number,
  ): void;
  /**
   * The per-row KL loss sums on CSR V into `sums` (2m), as csrRowLosses (./contract.ts); rows
   * split over threads by stored entries. Absent from modules built before it.
   */
  csrLosses?(
    indptr: Int32Array | CsrHandle,
    indices: Int32Array,
    data: Float64Array,
    m: number,
    n: number,
    k: number,
    W: Float64Array,
    Ht: Float64Array,
    sums: Float64Array,
    threads: number,
  ): void;
  /**
   * `csrKl`'s W side into numW (m × k) and `csrLosses`' rows into sums (2m) for the same W and Ht:
   * one pass where the native rank-specialised one serves (k ≤ 16, Ht finite), the bits of the two
   * calls. Absent from modules built before it.
   */
  csrKlLoss?(
    indptr: Int32Array | CsrHandle,
    indices: Int32Array,
    data: Float64Array,
    m: number,
    n: number,
    k: number,
    W: Float64Array,
    Ht: Float64Array,
    numW: Float64Array,
    sums: Float64Array,
    threads: number,
  ): void;
  /**
   * `NmfKernels.halsHalf` (./contract.ts) in one call: the product, the Gram matrix and the sweep
   * on `threads` threads (native/src/fused.inl). Absent from modules built before it: the set then
   * makes the three calls.
   */
  halsHalf?(
    side: 0 | 1,
    V: Float64Array,
    m: number,
    n: number,
    k: number,
    F: Float64Array,
    O: Float64Array,
    B: Float64Array,
    G: Float64Array,
    order: Int32Array,
    l1: number,
    l2: number,
    threads: number,
  ): number;
  /**
   * `NmfKernels.klHalf` in one call (num: rows × k is its only scratch); absent as `halsHalf`.
   * Argument order as `product`'s, with the update's l1, l2 and threshold last.
   */
  klHalf?(
    side: 0 | 1,
    V: Float64Array,
    m: number,
    n: number,
    k: number,
    W: Float64Array,
    Ht: Float64Array,
    num: Float64Array,
    threads: number,
    l1: number,
    l2: number,
    threshold: number,
  ): void;
  /**
   * Checks a CSR structure once (as every CSR call checks it) and returns a handle that csrProduct,
   * csrKl and csrLosses take in place of indptr with the same indices, data, m and n, skipping the
   * O(nnz) check of the indices (indptr, O(m), is still checked). Throws on a bad structure.
   * Absent from modules built before it.
   */
  csrHandle?(indptr: Int32Array, indices: Int32Array, data: Float64Array, m: number, n: number): CsrHandle;
  /**
   * `NmfKernels.scanDense` and `scanDenseMissing` (native/src/scan.inl), one thread. Absent from
   * modules built before them: the set then takes the scalar scan.
   */
  scanDense?(V: Float64Array, m: number, n: number, summary: Float64Array): void;
  scanDenseMissing?(V: Float64Array, m: number, n: number, rowPtr: Int32Array, cols: Int32Array): void;
  /**
   * The minibatch solver's batch gather (native/src/minibatch.inl): the samples [j0, j1) of CSR V
   * (m × n) into outIndices / outValues as CSR Vᵀ_b rows laid out by batchIndptr (b + 1), from
   * `cursor` (m, each row's first entry not yet handed out; advanced); returns the sum of the
   * batch's non-NaN values in V's row-major order. The same arrays and sum as minibatch.ts's
   * JavaScript gather; rows split over `threads`. Absent from modules built before it.
   */
  csrGather?(
    indptr: Int32Array,
    indices: Int32Array,
    data: Float64Array,
    m: number,
    n: number,
    cursor: Int32Array,
    j0: number,
    j1: number,
    batchIndptr: Int32Array,
    outIndices: Int32Array,
    outValues: Float64Array,
    threads: number,
  ): number;
}

/**
 * A gather of a batch of samples from CSR V (`NativeKernelModule.csrGather`'s arguments without
 * the thread count), or null where none but the JavaScript loop is available.
 */
export type CsrBatchGather = (
  ...args: WithoutLast<Parameters<NonNullable<NativeKernelModule['csrGather']>>>
) => number;

/** A tuple without its last element (here: a native call's arguments without its thread count). */
type WithoutLast<T extends unknown[]> = T extends [...infer Head, unknown] ? Head : never;

/**
 * The native batch gather on up to `threads` threads where the module this thread loaded has it,
 * else null. A copy, so which backend gathers changes no bit (./contract.ts, rule 4).
 */
export function nativeBatchGather(threads: number): CsrBatchGather | null {
  const module = loaded;
  if (module === null || typeof module.csrGather !== 'function') return null;
  const most = Number.isInteger(threads) && threads >= 1 ? Math.min(threads, MAX_NATIVE_THREADS) : 1;
  return (indptr, indices, data, m, n, cursor, j0, j1, batchIndptr, outIndices, outValues) =>
    module.csrGather!(indptr, indices, data, m, n, cursor, j0, j1, batchIndptr, outIndices, outValues, most);
}

/** A CSR structure the native module has checked (`csrHandle`); opaque. */
export type CsrHandle = object & { readonly __csrHandle?: never };

/** Below this much work (m·n·k multiply-adds) a call stays on one thread: waking threads costs more. */
export const MIN_NATIVE_SPLIT_WORK = 1 << 17;
/** Below this many rows·k² a coordinate-descent sweep stays on one thread. */
const MIN_NATIVE_SWEEP_SPLIT = 1 << 16;
/**
 * Below this much work ((rows + partners scanned)·k², see `nativeMaskedKernels`) a missing-value
 * call stays on one thread: measured on Golub-sized folds (5000 × 38, k = 3–5), a split call of
 * ~1 ms took 1.5–2× as long on a loaded machine as the one-thread call (the threads' hand-over).
 */
const MIN_NATIVE_MASKED_SPLIT = 1 << 21;
/** The most threads one native call is split over. */
const MAX_NATIVE_THREADS = 64;

let loaded: NativeKernelModule | null = null;

/**
 * Records the native module this thread has loaded (null: none), once at start-up. It is a fact
 * about the process, like the WebAssembly instance, not a setting of a fit: which kernels and how
 * many threads a fit uses is chosen per fit by `selectKernels`.
 */
export function registerNativeKernels(module: NativeKernelModule | null): void {
  loaded = module;
}

/** The native module this thread has loaded, or null. */
export function loadedNativeKernels(): NativeKernelModule | null {
  return loaded;
}

/**
 * `fallback` with the kernels the native module serves replaced by it, each call split over up to
 * `threads` threads where it is large enough, or always with `splitAlways` (tests), with the same
 * bits at any count (./contract.ts, rule 4).
 */
export function nativeKernels(
  module: NativeKernelModule,
  threads: number,
  fallback: NmfKernels,
  splitAlways = false,
): NmfKernels {
  const most = Number.isInteger(threads) && threads >= 1 ? Math.min(threads, MAX_NATIVE_THREADS) : 1;
  let split = false;
  const threadsFor = (work: number, minimum: number): number => {
    if (most < 2 || (work < minimum && !splitAlways)) return 1;
    split = true;
    return most;
  };
  const product = (
    side: 0 | 1,
    ratio: boolean,
    V: Float64Array,
    m: number,
    n: number,
    k: number,
    W: Float64Array,
    Ht: Float64Array,
    out: Float64Array,
  ): void =>
    module.product(side, ratio, V, m, n, k, W, Ht, out, threadsFor(m * n * k, MIN_NATIVE_SPLIT_WORK));
  const dense: NmfKernels = {
    ...fallback,
    backend: 'native',
    threads: Math.max(most, fallback.threads),
    threadsUsed: () => Math.max(split ? most : 1, fallback.threadsUsed()),
    // V·F passes F as the "Ht" the product reads; Vᵀ·W passes W (./contract.ts).
    denseTimes: (V, m, n, F, k, out) => product(0, false, V, m, n, k, EMPTY, F, out),
    denseTransposeTimes: (V, m, n, W, k, out) => product(1, false, V, m, n, k, W, EMPTY, out),
    klNumWDense: (V, m, n, k, W, Ht, numW) => product(0, true, V, m, n, k, W, Ht, numW),
    klNumHDense: (V, m, n, k, W, Ht, numHt) => product(1, true, V, m, n, k, W, Ht, numHt),
    gram: (A, rows, k, out) => module.gram(A, rows, k, out),
    timesSmall: (A, rows, k, G, out) => module.timesSmall(A, rows, k, G, out),
    orthonormalizeColumns:
      typeof module.orthonormalize === 'function'
        ? (Q, rows, l) => module.orthonormalize!(Q, rows, l)
        : fallback.orthonormalizeColumns,
    jacobiSweeps:
      typeof module.jacobiSweeps === 'function'
        ? (At, Vt, rows, cols) => module.jacobiSweeps!(At, Vt, rows, cols)
        : fallback.jacobiSweeps,
    cdSweep: (F, rows, k, G, B, order) =>
      module.cdSweep(F, rows, k, G, B, order, threadsFor(rows * k * k, MIN_NATIVE_SWEEP_SPLIT)),
    rowLosses: (kind, V, m, n, k, W, Ht, sums) =>
      module.losses(kind, V, m, n, k, W, Ht, sums, threadsFor(m * n * k, MIN_NATIVE_SPLIT_WORK)),
    ...nativeMaskedKernels(module, fallback, threadsFor),
    ...nativeScan(module, fallback),
    ...nativeBeta(module, fallback, threadsFor),
  };
  return withNativeCsr(module, { ...dense, ...nativeFused(module, dense, threadsFor) }, (work) =>
    threadsFor(work, MIN_NATIVE_SPLIT_WORK),
  );
}

/**
 * The fused half-iterations (native/src/fused.inl) where the module has them, else the sequence
 * of `set`'s own calls. An empty V (m or n = 0) takes the sequence too (the module refuses it).
 * A half's thread count follows from m·n·k alone (its product's work, against the threshold of a
 * separate product), so it is the same at every iteration of a fit, and the sweep or update that
 * follows the product runs on the same parts: one hand-over to the pool per half.
 */
function nativeFused(
  module: NativeKernelModule,
  set: NmfKernels,
  threadsFor: (work: number, minimum: number) => number,
): Pick<NmfKernels, 'halsHalf' | 'klHalf'> {
  const sequence = sequentialFused(set);
  const { halsHalf, klHalf } = module;
  if (typeof halsHalf !== 'function' || typeof klHalf !== 'function') return sequence;
  return {
    halsHalf: (side, V, m, n, k, F, O, B, G, order, l1, l2) =>
      m === 0 || n === 0
        ? sequence.halsHalf(side, V, m, n, k, F, O, B, G, order, l1, l2)
        : halsHalf.call(
            module,
            side,
            V,
            m,
            n,
            k,
            F,
            O,
            B,
            G,
            order,
            l1,
            l2,
            threadsFor(m * n * k, MIN_NATIVE_SPLIT_WORK),
          ),
    klHalf: (side, V, m, n, k, W, Ht, num, den, sums, row, l1, l2, threshold) => {
      if (m === 0 || n === 0)
        sequence.klHalf(side, V, m, n, k, W, Ht, num, den, sums, row, l1, l2, threshold);
      else
        klHalf.call(
          module,
          side,
          V,
          m,
          n,
          k,
          W,
          Ht,
          num,
          threadsFor(m * n * k, MIN_NATIVE_SPLIT_WORK),
          l1,
          l2,
          threshold,
        );
    },
  };
}

/**
 * The missing-value kernels (native/src/masked.inl) where the module has them, else the
 * fallback's. A row's work is its Gram matrix (min(missing, observed) outer products of k² / 2)
 * and its k² sweep, so a call is split when Σ over rows of that is large.
 */
function nativeMaskedKernels(
  module: NativeKernelModule,
  fallback: NmfKernels,
  threadsFor: (work: number, minimum: number) => number,
): Pick<NmfKernels, 'maskedSweep' | 'maskedSums'> {
  const { maskedSweep, maskedSums } = module;
  if (maskedSweep === undefined || maskedSums === undefined) {
    return { maskedSweep: fallback.maskedSweep, maskedSums: fallback.maskedSums };
  }
  return {
    maskedSweep: (F, rows, O, others, k, G, B, l2, ptr, idx, order) =>
      maskedSweep.call(
        module,
        F,
        rows,
        O,
        others,
        k,
        G,
        B,
        l2,
        ptr,
        idx,
        order,
        threadsFor((rows + Math.min(ptr[rows], rows * others - ptr[rows])) * k * k, MIN_NATIVE_MASKED_SPLIT),
      ),
    maskedSums: (out, rows, F, others, k, total, ptr, idx) =>
      maskedSums.call(
        module,
        out,
        rows,
        F,
        others,
        k,
        total,
        ptr,
        idx,
        threadsFor((rows + ptr[rows]) * k * k, MIN_NATIVE_MASKED_SPLIT),
      ),
  };
}

/**
 * `set` with the CSR kernels (the KL numerators, the KL loss rows and V·F, Vᵀ·W) served by the
 * module where it has them. `threadsFor(work)`: the threads a call of `work` multiply-adds
 * (nnz·k) runs on.
 */
function withNativeCsr(
  module: NativeKernelModule,
  set: NmfKernels,
  threadsFor: (work: number) => number,
): NmfKernels {
  const { csrProduct, csrKl, csrLosses } = module;
  if (typeof csrProduct !== 'function' || typeof csrKl !== 'function') return set;
  const checked = (indptr: Int32Array, indices: Int32Array, data: Float64Array, m: number, n: number) =>
    structureOf(module, indptr, indices, data, m, n);
  const read = readAhead(module, checked, threadsFor);
  return {
    ...set,
    ...(typeof csrLosses === 'function'
      ? {
          csrRowLosses: (indptr, indices, data, m, n, k, W, Ht, sums) => {
            if (read.losses(indptr, indices, data, m, n, k, W, Ht, sums)) return;
            csrLosses.call(
              module,
              checked(indptr, indices, data, m, n),
              indices,
              data,
              m,
              n,
              k,
              W,
              Ht,
              sums,
              threadsFor(indptr[m] * k),
            );
          },
        }
      : {}),
    csrTimes: (indptr, indices, data, m, n, F, k, out) =>
      csrProduct(
        0,
        checked(indptr, indices, data, m, n),
        indices,
        data,
        m,
        n,
        F,
        k,
        out,
        threadsFor(indptr[m] * k),
      ),
    csrTransposeTimes: (indptr, indices, data, m, n, W, k, out) =>
      csrProduct(
        1,
        checked(indptr, indices, data, m, n),
        indices,
        data,
        m,
        n,
        W,
        k,
        out,
        threadsFor(indptr[m] * k),
      ),
    klNumWCsr: (indptr, indices, data, m, n, k, W, Ht, numW, _row, ratio) => {
      if (read.numerator(indptr, indices, data, m, n, k, W, Ht, numW)) return;
      csrKl(
        0,
        checked(indptr, indices, data, m, n),
        indices,
        data,
        m,
        n,
        k,
        W,
        Ht,
        numW,
        ratio,
        threadsFor(indptr[m] * k),
      );
    },
    klNumHCsr: (indptr, indices, data, m, n, k, W, Ht, numHt, _row, ratio) =>
      csrKl(
        1,
        checked(indptr, indices, data, m, n),
        indices,
        data,
        m,
        n,
        k,
        W,
        Ht,
        numHt,
        ratio,
        threadsFor(indptr[m] * k),
      ),
  };
}

/** The largest rank whose native KL passes are compiled per rank (native/src/csr.inl, kMaxRankKl). */
const MAX_RANK_KL = 16;

/**
 * The KL loss of a multiplicative-update fit on CSR V is read (`csrRowLosses`) with the same W and
 * Ht as the W-side numerator of the iteration that follows, and both compute (WH)_ij and V/WH at
 * every stored entry. So, for a prepared V at k ≤ 16, the loss rows are read by `csrKlLoss`, which
 * computes that numerator in the same pass, and the numerator is kept with copies of W and Ht; the
 * next `klNumWCsr` on the same arrays, whose W and Ht hold the same bits (compared in full: any
 * write in between, a HALS step, another fit, makes it compute afresh), takes the kept one. Same
 * bits as computing both (the native kernels are the same code); one pass over V and one dot
 * product per stored entry fewer at each loss check. The numerator read with a fit's last loss is
 * not used; that costs its sums once per fit. Memory: a numerator and copies of W and Ht.
 */
function readAhead(
  module: NativeKernelModule,
  checked: (
    indptr: Int32Array,
    indices: Int32Array,
    data: Float64Array,
    m: number,
    n: number,
  ) => Int32Array | CsrHandle,
  threadsFor: (work: number) => number,
): {
  /** The loss rows into sums, with the numerator kept; false when this V or k does not take it. */
  losses(
    indptr: Int32Array,
    indices: Int32Array,
    data: Float64Array,
    m: number,
    n: number,
    k: number,
    W: Float64Array,
    Ht: Float64Array,
    sums: Float64Array,
  ): boolean;
  /** The kept numerator into numW if it was read for these arrays and these bits of W and Ht. */
  numerator(
    indptr: Int32Array,
    indices: Int32Array,
    data: Float64Array,
    m: number,
    n: number,
    k: number,
    W: Float64Array,
    Ht: Float64Array,
    numW: Float64Array,
  ): boolean;
} {
  const fused = module.csrKlLoss;
  let kept: {
    indptr: Int32Array;
    indices: Int32Array;
    data: Float64Array;
    m: number;
    n: number;
    k: number;
    W: Float64Array;
    Ht: Float64Array;
    numW: Float64Array;
  } | null = null;
  let valid = false;
  return {
    losses(indptr, indices, data, m, n, k, W, Ht, sums) {
      if (typeof fused !== 'function' || k > MAX_RANK_KL || !isPreparedCsr(indptr)) return false;
      if (kept === null || kept.m !== m || kept.n !== n || kept.k !== k) {
        kept = {
          indptr,
          indices,
          data,
          m,
          n,
          k,
          W: new Float64Array(m * k),
          Ht: new Float64Array(n * k),
          numW: new Float64Array(m * k),
        };
      }
      valid = false;
      fused.call(
        module,
        checked(indptr, indices, data, m, n),
        indices,
        data,
        m,
        n,
        k,
        W,
        Ht,
        kept.numW,
        sums,
        threadsFor(indptr[m] * k),
      );
      kept.indptr = indptr;
      kept.indices = indices;
      kept.data = data;
      kept.W.set(W.subarray(0, m * k));
      kept.Ht.set(Ht.subarray(0, n * k));
      valid = true;
      return true;
    },
    numerator(indptr, indices, data, m, n, k, W, Ht, numW) {
      if (!valid || kept === null) return false;
      valid = false;
      if (
        kept.indptr !== indptr ||
        kept.indices !== indices ||
        kept.data !== data ||
        kept.m !== m ||
        kept.n !== n ||
        kept.k !== k ||
        !sameBits(kept.W, W, m * k) ||
        !sameBits(kept.Ht, Ht, n * k)
      )
        return false;
      numW.set(kept.numW);
      return true;
    },
  };
}

/** Whether a[0 .. length) and b[0 .. length) hold the same bits (−0 and +0 differ, NaNs by payload). */
function sameBits(a: Float64Array, b: Float64Array, length: number): boolean {
  if (b.length < length) return false;
  const x = new Int32Array(a.buffer, a.byteOffset, 2 * length);
  const y = new Int32Array(b.buffer, b.byteOffset, 2 * length);
  for (let q = 0; q < 2 * length; q++) if (x[q] !== y[q]) return false;
  return true;
}

/** The handle made for a prepared V's arrays, per module (keyed by indptr; see `structureOf`). */
const handles = new WeakMap<
  NativeKernelModule,
  WeakMap<Int32Array, { indices: Int32Array; data: Float64Array; m: number; n: number; handle: CsrHandle }>
>();

/**
 * What the native CSR calls take as indptr: for the CSR V of a prepared data set (../data.ts,
 * `isPreparedCsr`: the engine never writes it) a handle, made (and the structure checked, a bad
 * one refused with the row it is in) on the first call and reused while the same arrays and shape
 * come back, so a fit checks its V once instead of on every call (an O(nnz) pass, ~8 ms a call
 * on 4 × 10⁶ stored entries); for any other arrays indptr itself, checked by the call.
 */
function structureOf(
  module: NativeKernelModule,
  indptr: Int32Array,
  indices: Int32Array,
  data: Float64Array,
  m: number,
  n: number,
): Int32Array | CsrHandle {
  const make = module.csrHandle;
  if (typeof make !== 'function' || !isPreparedCsr(indptr)) return indptr;
  let made = handles.get(module);
  if (made === undefined) handles.set(module, (made = new WeakMap()));
  const known = made.get(indptr);
  if (
    known !== undefined &&
    known.indices === indices &&
    known.data === data &&
    known.m === m &&
    known.n === n
  )
    return known.handle;
  const handle = make.call(module, indptr, indices, data, m, n);
  made.set(indptr, { indices, data, m, n, handle });
  return handle;
}

/**
 * The general-β terms (dense and CSR V) and loss sums (dense V) of native/src/beta.inl where the
 * module has them, else the fallback's (β ∈ {1, 2}, which the engine never passes, takes the
 * fallback's too). A terms call's threads follow from m·n·k, as a product's: it makes whole rows
 * of WH (CSR V too: the denominator needs every entry) and two products per row. The loss sums run
 * on the calling thread (three running sums: contract.ts, rule 4).
 */
function nativeBeta(
  module: NativeKernelModule,
  fallback: NmfKernels,
  threadsFor: (work: number, minimum: number) => number,
): Pick<NmfKernels, 'betaW' | 'betaH' | 'betaLossSums'> {
  const { betaTerms, betaLoss } = module;
  if (typeof betaTerms !== 'function' || typeof betaLoss !== 'function')
    return { betaW: fallback.betaW, betaH: fallback.betaH, betaLossSums: fallback.betaLossSums };
  const { betaTermsCsr } = module;
  /** Side 0 or 1 by the module, or false where the fallback serves (β ∈ {1, 2}; CSR V, older modules). */
  const native = (
    side: 0 | 1,
    V: DataArrays,
    m: number,
    n: number,
    k: number,
    W: Float64Array,
    Ht: Float64Array,
    beta: number,
    numOut: Float64Array,
    denOut: Float64Array,
  ): boolean => {
    if (beta === 1 || beta === 2 || (V.kind === 'csr' && typeof betaTermsCsr !== 'function')) return false;
    const threads = threadsFor(m * n * k, MIN_NATIVE_SPLIT_WORK);
    if (V.kind === 'dense') {
      betaTerms.call(module, side, V.data, m, n, k, W, Ht, beta, numOut, denOut, threads);
      return true;
    }
    const structure = structureOf(module, V.indptr, V.indices, V.data, m, n);
    betaTermsCsr!.call(
      module,
      side,
      structure,
      V.indices,
      V.data,
      m,
      n,
      k,
      W,
      Ht,
      beta,
      numOut,
      denOut,
      threads,
    );
    return true;
  };
  return {
    betaW: (V, m, n, k, W, Ht, beta, numW, denW, num, den, scratch) => {
      if (!native(0, V, m, n, k, W, Ht, beta, numW, denW))
        fallback.betaW(V, m, n, k, W, Ht, beta, numW, denW, num, den, scratch);
    },
    betaH: (V, m, n, k, W, Ht, beta, numHt, denHt, num, den, scratch) => {
      if (!native(1, V, m, n, k, W, Ht, beta, numHt, denHt))
        fallback.betaH(V, m, n, k, W, Ht, beta, numHt, denHt, num, den, scratch);
    },
    betaLossSums: (V, m, n, k, W, Ht, beta, sums) =>
      beta === 1 || beta === 2
        ? fallback.betaLossSums(V, m, n, k, W, Ht, beta, sums)
        : betaLoss.call(module, V, m, n, k, W, Ht, beta, sums),
  };
}

/** The data scan (native/src/scan.inl) where the module has it, else the fallback's. */
function nativeScan(
  module: NativeKernelModule,
  fallback: NmfKernels,
): Pick<NmfKernels, 'scanDense' | 'scanDenseMissing'> {
  const { scanDense, scanDenseMissing } = module;
  if (typeof scanDense !== 'function' || typeof scanDenseMissing !== 'function') {
    return { scanDense: fallback.scanDense, scanDenseMissing: fallback.scanDenseMissing };
  }
  return {
    scanDense: (V, m, n, summary) => scanDense.call(module, V, m, n, summary),
    scanDenseMissing: (V, m, n, rowPtr, cols) => scanDenseMissing.call(module, V, m, n, rowPtr, cols),
  };
}

/** An argument the native product does not read. */
const EMPTY = new Float64Array(0);
