/**
 * Matrix containers shared by every layer. Plain data (no classes) so they cross worker and IPC
 * boundaries by structured clone and can be backed by SharedArrayBuffer.
 */

/** Dense matrix, row-major: entry (i, j) is `data[i * cols + j]`; `data.length === rows * cols`. */
export interface DenseMatrix {
  readonly kind: 'dense';
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/**
 * Compressed sparse row matrix. Row i holds `indices[indptr[i] .. indptr[i+1])` (column indices,
 * strictly increasing within a row) with values `data[...]` at the same positions.
 * Entries not stored are zero. A stored NaN is a missing value (masked out of losses and updates).
 */
export interface CsrMatrix {
  readonly kind: 'csr';
  readonly rows: number;
  readonly cols: number;
  /** length rows + 1 */
  readonly indptr: Int32Array;
  /** length nnz */
  readonly indices: Int32Array;
  /** length nnz */
  readonly data: Float64Array;
}

/** The data matrix V (features × samples) in either layout. In dense V, NaN marks a missing value. */
export type DataMatrix = DenseMatrix | CsrMatrix;

/** A dense rows × cols matrix of zeros (or wrapping `data`, which must have rows·cols entries). */
export function dense(rows: number, cols: number, data?: Float64Array): DenseMatrix {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new RangeError(`invalid matrix shape ${rows} × ${cols}`);
  }
  const values = data ?? new Float64Array(rows * cols);
  if (values.length !== rows * cols) {
    throw new RangeError(
      `matrix data has ${values.length} entries, expected ${rows} × ${cols} = ${rows * cols}`,
    );
  }
  return { kind: 'dense', rows, cols, data: values };
}

/** Number of stored entries: rows·cols for dense, nnz for CSR. */
export function storedCount(matrix: DataMatrix): number {
  return matrix.kind === 'dense' ? matrix.rows * matrix.cols : matrix.indptr[matrix.rows];
}
