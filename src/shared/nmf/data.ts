import type { DataMatrix, DenseMatrix } from '../linalg/matrix';
import { selectKernels, type NmfKernels } from './kernels';
import { SCAN_SUMMARY_LENGTH, ScanField } from './kernels/scalar/scan';
import { markPreparedCsr } from './prepared-csr';

/**
 * Positions of the missing (NaN) entries of V, indexed both ways so the solvers can correct the
 * full-data sums (H_sum, W·HHᵀ, WᵀW·H …) for the held-out entries at a cost ∝ their number:
 *   by row:    row i holds columns `cols[rowPtr[i] .. rowPtr[i+1])`, increasing;
 *   by column: column j holds rows `rows[colPtr[j] .. colPtr[j+1])`, increasing.
 */
export interface MissingPattern {
  count: number;
  rowPtr: Int32Array;
  cols: Int32Array;
  colPtr: Int32Array;
  rows: Int32Array;
}

/** V (m × n) with what a fit needs to know about it, computed in one scan. */
export interface PreparedData {
  V: DataMatrix;
  m: number;
  n: number;
  /** null when V has no missing entry. */
  missing: MissingPattern | null;
  /** Number of observed (non-NaN) entries, stored or not. */
  observed: number;
  /** Sum of the observed entries. */
  sum: number;
  /** First negative entry, or null. */
  negative: { i: number; j: number; v: number } | null;
  /** First ±Infinity entry, or null. */
  infinite: { i: number; j: number; v: number } | null;
  /** First observed zero (stored or, for CSR, unstored), or null. */
  zero: { i: number; j: number } | null;
}

/**
 * Entries a CSR V (m × n) does not store that are missing all the same — a cross-validation fold's
 * held-out zeros (crossval.ts `maskFoldApart`) —, row by row as the missing pattern lists them:
 * row i's columns are `cols[rowPtr[i] .. rowPtr[i + 1])`, strictly ascending; rowPtr: m + 1.
 * Four bytes an entry (and four a row), where their row-major positions as doubles took eight.
 */
export interface UnstoredMissing {
  rowPtr: Int32Array;
  cols: Int32Array;
}

export { isPreparedCsr } from './prepared-csr';

/** Mean of the observed entries of V (0 when nothing is observed). */
export function observedMean(data: PreparedData): number {
  return data.observed > 0 ? data.sum / data.observed : 0;
}

/**
 * Scans V once: missing pattern, observed count and sum, and the first invalid or zero entry.
 * Dense V is read by `kernels.scanDense` (default: the kernels loaded here, native where built:
 * native/src/scan.inl), with the same sum in the same order as the scalar reference, so the same
 * bits on every backend; CSR V by the loop below.
 *
 * `unstoredMissing` (CSR V only): entries V does not store that are missing all the same — a
 * cross-validation fold's held-out zeros (crossval.ts `maskFoldApart`), which then need not be
 * stored as NaN. They join the stored NaN in `missing` (merged in row-major order), are not
 * observed, and are never the first observed zero: the result is the one V with those entries
 * stored as NaN would give. The missing pattern's by-row lists are filled in place (their length
 * is known up front: V's stored NaN and these), with no list of all missing entries built first.
 *
 * @throws RangeError when `unstoredMissing` is given with dense V, has not m + 1 row pointers
 *   from 0 to its column count, or a row's columns are not ascending, leave 0 … n − 1, or name a
 *   stored entry
 */
export function prepareData(
  V: DataMatrix,
  kernels?: NmfKernels,
  unstoredMissing?: UnstoredMissing,
): PreparedData {
  if (V.kind === 'dense') {
    if (unstoredMissing !== undefined && unstoredMissing.cols.length > 0) {
      throw new RangeError('unstored missing entries need CSR V: dense V stores every entry');
    }
    return prepareDense(V, kernels ?? selectKernels());
  }
  const m = V.rows;
  const n = V.cols;
  const { indptr, indices, data } = V;
  const extraPtr = unstoredMissing?.rowPtr ?? null;
  const extra = unstoredMissing?.cols ?? NO_COLUMNS;
  if (extraPtr !== null) checkRowPointers(extraPtr, m, extra.length);
  let storedMissing = 0;
  for (let p = 0; p < indptr[m]; p++) if (data[p] !== data[p]) storedMissing++;
  // The missing pattern's by-row index, filled in row-major order as the entries are met.
  const rowPtr = new Int32Array(m + 1);
  const missCols = new Int32Array(storedMissing + extra.length);
  let count = 0;
  let sum = 0;
  let negative: PreparedData['negative'] = null;
  let infinite: PreparedData['infinite'] = null;
  let zero: PreparedData['zero'] = null;
  const inspect = (i: number, j: number, v: number): void => {
    if (v < 0 && negative === null) negative = { i, j, v };
    if (!Number.isFinite(v)) {
      if (infinite === null) infinite = { i, j, v };
      return;
    }
    if (v === 0 && zero === null) zero = { i, j };
    sum += v;
  };
  const badColumn = (i: number, h: number, why: string): RangeError =>
    new RangeError(`unstored missing column ${extra[h]} of row ${i} (entry ${h}) ${why}`);
  let h = 0;
  let rowEnd = 0;
  /**
   * Row i's unstored missing entries before column `below` (up to `rowEnd`), taken into the
   * missing lists in order; `expected` is the column after the last entry met, returned updated.
   */
  const mergeUnstored = (i: number, below: number, expected: number): number => {
    for (; h < rowEnd && extra[h] < below; h++) {
      const c = extra[h];
      if (!(c >= expected)) throw badColumn(i, h, 'is out of order');
      if (zero === null && c > expected) zero = { i, j: expected };
      missCols[count++] = c;
      expected = c + 1;
    }
    return expected;
  };
  // The common stored entry (finite, > 0) is summed inline into a local sum (the closure call per
  // entry cost ~200 ms on 4 × 10⁶ stored entries), a stored NaN listed inline; the others go to
  // `inspect` in the same order, so the sum is the same. Unstored missing entries are merged in
  // before the stored entry that follows them, so the missing entries are met in row-major order;
  // `expected` (the column after the last entry met, stored or missing) then finds the first
  // observed zero past them.
  for (let i = 0; i < m; i++) {
    let expected = 0;
    if (extraPtr !== null) rowEnd = extraPtr[i + 1];
    const end = indptr[i + 1];
    for (let p = indptr[i]; p < end; p++) {
      const j = indices[p];
      if (h < rowEnd && extra[h] <= j) {
        expected = mergeUnstored(i, j, expected);
        if (h < rowEnd && extra[h] === j) throw badColumn(i, h, 'is stored');
      }
      if (zero === null && j > expected) zero = { i, j: expected };
      expected = j + 1;
      const v = data[p];
      if (v > 0 && v < Infinity) sum += v;
      else if (v !== v) missCols[count++] = j;
      else inspect(i, j, v);
    }
    expected = mergeUnstored(i, n, expected);
    if (h < rowEnd) throw badColumn(i, h, `is not below ${n}`);
    if (zero === null && expected < n) zero = { i, j: expected };
    rowPtr[i + 1] = count;
  }
  markPreparedCsr(V.indptr);
  // Entries were met in row-major order, so the by-row index is already sorted.
  const missing = count > 0 ? byColumn(rowPtr, missCols, m, n) : null;
  return { V, m, n, missing, observed: m * n - count, sum, negative, infinite, zero };
}

const NO_COLUMNS = new Int32Array(0);

/**
 * @throws RangeError unless rowPtr holds m + 1 row pointers, non-decreasing from 0 to `count`
 */
function checkRowPointers(rowPtr: Int32Array, m: number, count: number): void {
  let ordered = rowPtr.length === m + 1 && rowPtr[0] === 0 && rowPtr[m] === count;
  for (let i = 0; ordered && i < m; i++) ordered = rowPtr[i] <= rowPtr[i + 1];
  if (!ordered) {
    throw new RangeError(
      `unstored missing entries: ${rowPtr.length} row pointers do not run from 0 to ${count} over ${m} rows`,
    );
  }
}

/** `prepareData` of dense V: one `scanDense`, and `scanDenseMissing` when V has NaN entries. */
function prepareDense(V: DenseMatrix, kernels: NmfKernels): PreparedData {
  const m = V.rows;
  const n = V.cols;
  const summary = new Float64Array(SCAN_SUMMARY_LENGTH);
  kernels.scanDense(V.data, m, n, summary);
  const count = summary[ScanField.missing];
  let missing: MissingPattern | null = null;
  if (count > 0) {
    const rowPtr = new Int32Array(m + 1);
    const cols = new Int32Array(count);
    kernels.scanDenseMissing(V.data, m, n, rowPtr, cols);
    missing = byColumn(rowPtr, cols, m, n);
  }
  const at = (row: number): { i: number; j: number } | null =>
    summary[row] < 0 ? null : { i: summary[row], j: summary[row + 1] };
  const negative = at(ScanField.negativeRow);
  const infinite = at(ScanField.infiniteRow);
  return {
    V,
    m,
    n,
    missing,
    observed: m * n - count,
    sum: summary[ScanField.sum],
    negative: negative === null ? null : { ...negative, v: summary[ScanField.negativeValue] },
    infinite: infinite === null ? null : { ...infinite, v: summary[ScanField.infiniteValue] },
    zero: at(ScanField.zeroRow),
  };
}

/** The missing pattern from its by-row index (rowPtr: m + 1, cols), with the by-column index added. */
function byColumn(rowPtr: Int32Array, cols: Int32Array, m: number, n: number): MissingPattern {
  const count = cols.length;
  const colPtr = new Int32Array(n + 1);
  for (let q = 0; q < count; q++) colPtr[cols[q] + 1]++;
  for (let j = 0; j < n; j++) colPtr[j + 1] += colPtr[j];
  const rows = new Int32Array(count);
  const fill = colPtr.slice(0, n);
  for (let i = 0; i < m; i++) for (let q = rowPtr[i]; q < rowPtr[i + 1]; q++) rows[fill[cols[q]]++] = i;
  return { count, rowPtr, cols, colPtr, rows };
}
