import type { DataMatrix } from '../linalg/matrix';

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
 * The CSR index arrays (indptr) of the data sets prepared for a fit by {@link prepareData}. The
 * engine never writes V, so a kernel backend may check such a structure once (sorted columns in
 * [0, n) in every row, indptr within the stored entries) and trust it on every later call with
 * the same arrays (the native kernels' CSR handle, ./kernels/native.ts). Other CSR arrays (the
 * minibatch solver's batches, each a fresh view) are checked on every call. A weak set: it keeps
 * nothing alive.
 */
const readOnlyCsr = new WeakSet<Int32Array>();

/** Whether `indptr` belongs to the CSR V of a prepared data set (see `readOnlyCsr`). */
export function isPreparedCsr(indptr: Int32Array): boolean {
  return readOnlyCsr.has(indptr);
}

/** Mean of the observed entries of V (0 when nothing is observed). */
export function observedMean(data: PreparedData): number {
  return data.observed > 0 ? data.sum / data.observed : 0;
}

/** Scans V once: missing pattern, observed count and sum, and the first invalid or zero entry. */
export function prepareData(V: DataMatrix): PreparedData {
  const m = V.rows;
  const n = V.cols;
  const missRows: number[] = [];
  const missCols: number[] = [];
  let sum = 0;
  let negative: PreparedData['negative'] = null;
  let infinite: PreparedData['infinite'] = null;
  let zero: PreparedData['zero'] = null;
  const inspect = (i: number, j: number, v: number): void => {
    if (v !== v) {
      missRows.push(i);
      missCols.push(j);
      return;
    }
    if (v < 0 && negative === null) negative = { i, j, v };
    if (!Number.isFinite(v)) {
      if (infinite === null) infinite = { i, j, v };
      return;
    }
    if (v === 0 && zero === null) zero = { i, j };
    sum += v;
  };
  if (V.kind === 'dense') {
    // The common entry (finite, > 0) is summed inline: a fit scans V once per start, and the
    // closure call per entry cost ~9 ms on 2000 × 500. Same sum, in the same order, as `inspect`.
    const d = V.data;
    for (let i = 0; i < m; i++) {
      const base = i * n;
      for (let j = 0; j < n; j++) {
        const v = d[base + j];
        if (v > 0 && v < Infinity) sum += v;
        else inspect(i, j, v);
      }
    }
  } else {
    // As for dense V, the common stored entry (finite, > 0) is summed inline into a local sum (the
    // closure call per entry cost ~200 ms on 4 × 10⁶ stored entries); the others go to `inspect`
    // in the same order, so the sum is the same.
    const { indptr, indices, data } = V;
    for (let i = 0; i < m; i++) {
      let expected = 0;
      const end = indptr[i + 1];
      for (let p = indptr[i]; p < end; p++) {
        const j = indices[p];
        if (zero === null && j > expected) zero = { i, j: expected };
        expected = j + 1;
        const v = data[p];
        if (v > 0 && v < Infinity) sum += v;
        else inspect(i, j, v);
      }
      if (zero === null && expected < n) zero = { i, j: expected };
    }
  }
  if (V.kind === 'csr') readOnlyCsr.add(V.indptr);
  const count = missRows.length;
  let missing: MissingPattern | null = null;
  if (count > 0) {
    // Entries were met in row-major order, so the by-row index is already sorted.
    const rowPtr = new Int32Array(m + 1);
    const cols = Int32Array.from(missCols);
    for (const i of missRows) rowPtr[i + 1]++;
    for (let i = 0; i < m; i++) rowPtr[i + 1] += rowPtr[i];
    const colPtr = new Int32Array(n + 1);
    for (const j of missCols) colPtr[j + 1]++;
    for (let j = 0; j < n; j++) colPtr[j + 1] += colPtr[j];
    const rows = new Int32Array(count);
    const fill = colPtr.slice(0, n);
    for (let q = 0; q < count; q++) rows[fill[missCols[q]]++] = missRows[q];
    missing = { count, rowPtr, cols, colPtr, rows };
  }
  return { V, m, n, missing, observed: m * n - count, sum, negative, infinite, zero };
}
