/**
 * The data scan of a fit on dense V (`NmfKernels.scanDense`, `scanDenseMissing`): the scalar
 * reference, which the WebAssembly set uses too (its JavaScript loop is not the pass's cost: the
 * one running sum is), and which native/src/scan.inl repeats in one native read of V.
 */
import type { NmfKernels } from '../contract';

/** Where `scanDense` puts what it found (`SCAN_SUMMARY_LENGTH` numbers). */
export const ScanField = {
  sum: 0,
  missing: 1,
  negativeRow: 2,
  negativeColumn: 3,
  negativeValue: 4,
  infiniteRow: 5,
  infiniteColumn: 6,
  infiniteValue: 7,
  zeroRow: 8,
  zeroColumn: 9,
} as const;

/** Length of the summary `scanDense` writes. */
export const SCAN_SUMMARY_LENGTH = 10;

/**
 * `NmfKernels.scanDense`: the finite entries summed one at a time in row-major order, the NaN
 * count, and the first entry < 0, the first ±Infinity and the first 0 (row, column, value; −1
 * where none).
 */
export const scanDense: NmfKernels['scanDense'] = (V, m, n, summary) => {
  summary.fill(-1, ScanField.negativeRow, SCAN_SUMMARY_LENGTH);
  summary[ScanField.negativeValue] = 0;
  summary[ScanField.infiniteValue] = 0;
  let sum = 0;
  let missing = 0;
  let negative = false;
  let infinite = false;
  let zero = false;
  for (let i = 0; i < m; i++) {
    const base = i * n;
    for (let j = 0; j < n; j++) {
      const v = V[base + j];
      // The common entry (finite, > 0) takes one comparison pair; the rest are looked at closely.
      if (v > 0 && v < Infinity) {
        sum += v;
        continue;
      }
      if (v !== v) {
        missing++;
        continue;
      }
      if (v < 0 && !negative) {
        negative = true;
        summary[ScanField.negativeRow] = i;
        summary[ScanField.negativeColumn] = j;
        summary[ScanField.negativeValue] = v;
      }
      if (!Number.isFinite(v)) {
        if (!infinite) {
          infinite = true;
          summary[ScanField.infiniteRow] = i;
          summary[ScanField.infiniteColumn] = j;
          summary[ScanField.infiniteValue] = v;
        }
        continue;
      }
      if (v === 0 && !zero) {
        zero = true;
        summary[ScanField.zeroRow] = i;
        summary[ScanField.zeroColumn] = j;
      }
      sum += v;
    }
  }
  summary[ScanField.sum] = sum;
  summary[ScanField.missing] = missing;
};

/** `NmfKernels.scanDenseMissing`: the NaN entries by row (rowPtr: m + 1, cols: their columns). */
export const scanDenseMissing: NmfKernels['scanDenseMissing'] = (V, m, n, rowPtr, cols) => {
  let count = 0;
  rowPtr[0] = 0;
  for (let i = 0; i < m; i++) {
    const base = i * n;
    for (let j = 0; j < n; j++) {
      const v = V[base + j];
      if (v !== v) {
        if (count === cols.length) throw new RangeError('scanDenseMissing: cols is too short');
        cols[count++] = j;
      }
    }
    rowPtr[i + 1] = count;
  }
};
