import { BLOCK_DOUBLES, blockRows, evenDoubles as even } from '../memory';
import { Op, type OpCode, type TeamArray } from './protocol';

/**
 * When a team call is worth splitting, and how: the size thresholds, the cut of CSR V across the
 * threads (made once per V) and each operation's per-thread scratch.
 */

/**
 * Smallest m·n·k for which the products with dense V are split. Below it the wake-up (a median of
 * 20–130 µs per call on the 2-core VM this was measured on, now and then ~3 ms) and the copies cost
 * more than half a pass saves. The two KL kernels, one thread → two, on a quiet machine: m·n·k =
 * 2·10⁴ (100 × 50 × 4) 0.31×, 6·10⁴ 0.47×, 10⁵ 1.32×, 3·10⁵ 1.63×, 8·10⁶ (2000 × 500 × 8) 1.80×.
 */
export const MIN_DENSE_WORK = 1 << 17;
/**
 * Smallest rows·k² for which a coordinate-descent sweep is split (its cost is ∝ rows·k², and F, G
 * and B are copied in and out per call): 1.3·10⁵ (2000 rows, k = 8) 1.04×, 5·10⁵ 1.43×, 2·10⁶
 * 1.62×.
 */
export const MIN_SWEEP_WORK = 1 << 18;
/**
 * Smallest nnz·k for which the KL numerators with CSR V are split (the split plan, made once per V,
 * is not counted). Both numerators, one thread → two, random CSR with 10% stored, same VM: nnz·k =
 * 2.4·10⁴ (100 × 300, k = 8) 0.40×, 7.9·10⁴ 0.75×, 2.4·10⁵ 1.08×, 8·10⁵ 1.40×, 4·10⁶ (1000 × 4000,
 * k = 10) 1.81×, 4·10⁷ (2000 × 20000, k = 10) 1.98×.
 */
export const MIN_CSR_WORK = 1 << 18;

/**
 * Whether a team would split the calls of a fit of rank k on this V: on SharedArrayBuffers (every
 * array of CSR V) and large enough (m·n·k for dense V, nnz·k for CSR). Lets a host skip starting
 * threads that would stay idle.
 */
export function kernelTeamWorthwhile(
  V:
    | { kind: 'dense'; rows: number; cols: number; data: Float64Array }
    | {
        kind: 'csr';
        rows: number;
        cols: number;
        indptr: Int32Array;
        indices: Int32Array;
        data: Float64Array;
      },
  k: number,
): boolean {
  if (V.kind === 'dense') return allShared([V.data]) && V.rows * V.cols * k >= MIN_DENSE_WORK;
  return allShared([V.indptr, V.indices, V.data]) && V.indptr[V.rows] * k >= MIN_CSR_WORK;
}

export function allShared(arrays: readonly TeamArray[]): boolean {
  return (
    typeof SharedArrayBuffer !== 'undefined' && arrays.every((a) => a.buffer instanceof SharedArrayBuffer)
  );
}

/** First q in [lo, hi) with a[q] ≥ value (hi if none); `a` ascending on [lo, hi). */
function lowerBound(a: Int32Array, lo: number, hi: number, value: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The split of CSR V (m × n) across `threads` (see `Csr.plan`), on a SharedArrayBuffer. */
export function csrPlan(
  indptr: Int32Array,
  indices: Int32Array,
  m: number,
  n: number,
  threads: number,
): Int32Array {
  const T = threads;
  const plan = new Int32Array(new SharedArrayBuffer((2 * (T + 1) + (T - 1) * m) * 4));
  const first = indptr[0];
  const nnz = indptr[m] - first;
  // Rows: part p starts at the first row whose entries start at or after p/T of them.
  for (let p = 1; p < T; p++) plan[p] = lowerBound(indptr, 0, m, first + Math.round((p * nnz) / T));
  plan[T] = m;
  // Columns: likewise over the stored entries per column.
  const counts = new Int32Array(n + 1);
  for (let q = first; q < first + nnz; q++) counts[indices[q] + 1]++;
  for (let j = 0; j < n; j++) counts[j + 1] += counts[j];
  const cols = T + 1;
  for (let p = 1; p < T; p++) plan[cols + p] = lowerBound(counts, 0, n, Math.round((p * nnz) / T));
  plan[cols + T] = n;
  // Each row's first entry at or after each inner column cut (indices are sorted within a row).
  for (let p = 1; p < T; p++) {
    const c = plan[cols + p];
    const at = 2 * cols + (p - 1) * m;
    for (let i = 0; i < m; i++) plan[at + i] = lowerBound(indices, indptr[i], indptr[i + 1], c);
  }
  return plan;
}

/** Per-thread scratch (doubles) of `op` for V (m × n), rank k, `threads` parts. */
export function scratchDoubles(op: OpCode, m: number, n: number, k: number, threads: number): number {
  const rowsMax = Math.ceil(m / threads);
  const colsMax = Math.ceil(n / threads);
  switch (op) {
    case Op.KlW:
      return even(2 * n) + even(blockRows(n, rowsMax) * n);
    case Op.Times:
      return even(blockRows(n, rowsMax) * n);
    case Op.KlH:
      return even(k * colsMax) + even(4 * colsMax) + even(blockRows(n, m) * n);
    case Op.TransposeTimes:
      return even(blockRows(n, m) * n);
    default:
      return 0;
  }
}

/**
 * Per-thread scratch (doubles) of a CSR call: a row of WH (n), the ratios (cap), then a block of at
 * most `cap` stored entries (data, indices) over at most BLOCK_DOUBLES rows (indptr, full counts).
 */
export function csrScratchDoubles(m: number, n: number, cap: number): number {
  const maxRows = Math.min(m, BLOCK_DOUBLES);
  return (
    even(n) +
    2 * even(cap) +
    even(Math.ceil(cap / 2)) +
    even(Math.ceil((maxRows + 1) / 2)) +
    even(Math.ceil(maxRows / 2))
  );
}
