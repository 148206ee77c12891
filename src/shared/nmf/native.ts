/**
 * The native dense kernels (native/src/kernels.cc, a Node-API module), when the host has loaded
 * them. `src/shared` cannot load a native module itself (no `node:*` here): the Node entry points
 * (worker threads, the CLI, the main process) load it through src/main/native and register it with
 * `setNativeKernels`. Where it is not registered (a browser, a build without a C++ compiler) the
 * engine runs the same products in WebAssembly or scalar JavaScript, with the same bits.
 *
 * It serves the four dense products that dominate a fit: the KL multiplicative-update numerators
 * (V ⊘ WH)·Hᵀ and Wᵀ·(V ⊘ WH), and V·F and Vᵀ·W (HALS, Frobenius MU); the per-row sums of the
 * KL and Frobenius losses on dense V; HALS's Gram matrices and coordinate-descent sweeps; and the
 * small products A·G (k × k G) of the Frobenius MU denominators.
 * Everything else (CSR V, missing values, general β, the log-likelihood) stays in WebAssembly.
 */

/** The module's exports (native/src/kernels.cc). Shapes as in ../kernels.ts. */
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
   * V > EPS32 (WHs: WH, EPS32 where WH = 0); kind 2 (Frobenius) Σ (V − WH)² and 0. NaN entries skipped;
   * each row summed in column order with fdlibm's log (JavaScript's), split over threads by rows.
   */
  losses(
    kind: 1 | 2,
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
  /** The instruction set chosen at load time: 'avx512vl', 'avx2' or 'baseline'. */
  isa(): string;
}

/** Below this much work (m·n·k multiply-adds) a call stays on one thread: waking threads costs more. */
export const MIN_NATIVE_SPLIT_WORK = 1 << 17;

let module: NativeKernelModule | null = null;
let threads = 1;
let splitCalls = 0;

/** Registers (or, with null, removes) the native kernels for this thread. */
export function setNativeKernels(kernels: NativeKernelModule | null): void {
  module = kernels;
}

/** The registered native kernels, or null. */
export function nativeKernels(): NativeKernelModule | null {
  return module;
}

/** Threads the native kernels may use for the fits that follow on this thread (1: no split). */
export function setNativeThreads(count: number): void {
  threads = Number.isInteger(count) && count >= 1 ? Math.min(count, 64) : 1;
}

/** Native calls this thread has split across more than one thread so far (to report threads used). */
export function nativeSplitCalls(): number {
  return splitCalls;
}

/** Threads for one call of `work` multiply-adds: all this thread may use from `minimum` on, else 1 (counted when split). */
function threadsFor(work: number, minimum: number): number {
  if (threads < 2 || work < minimum) return 1;
  splitCalls++;
  return threads;
}

/** Runs one product through the native module (which must be registered). */
export function nativeProduct(
  side: 0 | 1,
  ratio: boolean,
  V: Float64Array,
  m: number,
  n: number,
  k: number,
  W: Float64Array,
  Ht: Float64Array,
  out: Float64Array,
): void {
  module!.product(side, ratio, V, m, n, k, W, Ht, out, threadsFor(m * n * k, MIN_NATIVE_SPLIT_WORK));
}

/** Per-row loss sums (see NativeKernelModule.losses) through the native module (which must be registered). */
export function nativeRowLosses(
  kind: 1 | 2,
  V: Float64Array,
  m: number,
  n: number,
  k: number,
  W: Float64Array,
  Ht: Float64Array,
): Float64Array {
  const sums = new Float64Array(2 * m);
  module!.losses(kind, V, m, n, k, W, Ht, sums, threadsFor(m * n * k, MIN_NATIVE_SPLIT_WORK));
  return sums;
}

/** Below this many rows·k² a coordinate-descent sweep stays on one thread. */
const MIN_NATIVE_SWEEP_SPLIT = 1 << 16;

/** One coordinate-descent sweep through the native module (which must be registered). */
export function nativeCdSweep(
  F: Float64Array,
  rows: number,
  k: number,
  G: Float64Array,
  B: Float64Array,
  order: Int32Array,
): number {
  return module!.cdSweep(F, rows, k, G, B, order, threadsFor(rows * k * k, MIN_NATIVE_SWEEP_SPLIT));
}
