import type { DataMatrix } from '../linalg/matrix';
import type { Transform } from './params';

/**
 * Applies a variance-stabilising transform to the stored values, in place. Zeros stay zero (so CSR
 * stays CSR) and missing values stay missing. sqrt is the Anscombe-style stabiliser for Poisson
 * counts; log1p compresses heavy-tailed expression values.
 */
export function applyTransform(matrix: DataMatrix, transform: Transform): void {
  if (transform === 'none') return;
  const f = transform === 'sqrt' ? Math.sqrt : Math.log1p;
  const values = matrix.data;
  for (let i = 0; i < values.length; i++) values[i] = f(values[i]);
}

/** Summary statistics of the observed (non-NaN) values, zeros of CSR included. */
export interface MatrixStats {
  nnz: number;
  missing: number;
  min: number;
  max: number;
  /** Every observed value is an integer (count data). */
  integer: boolean;
}

export function matrixStats(matrix: DataMatrix): MatrixStats {
  const values = matrix.data;
  let missing = 0;
  let nonzero = 0;
  let min = Infinity;
  let max = -Infinity;
  let integer = true;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) {
      missing++;
      continue;
    }
    if (v !== 0) nonzero++;
    if (v < min) min = v;
    if (v > max) max = v;
    if (integer && !Number.isInteger(v)) integer = false;
  }
  const total = matrix.rows * matrix.cols;
  if (matrix.kind === 'csr' && values.length - missing < total - missing) {
    // Implicit zeros of a sparse matrix are observed values too.
    min = Math.min(min, 0);
    max = Math.max(max, 0);
  }
  if (min === Infinity) {
    min = 0;
    max = 0;
  }
  return { nnz: nonzero + missing, missing, min, max, integer };
}
