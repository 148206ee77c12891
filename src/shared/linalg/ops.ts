import { dense, type CsrMatrix, type DataMatrix, type DenseMatrix } from './matrix';

/**
 * Small, allocation-explicit helpers over the matrix containers. Hot loops of the NMF solvers live
 * in `src/shared/nmf/kernels/`; these are the general-purpose pieces around them.
 */

/** Aᵀ for a dense A (rows × cols → cols × rows). */
export function transpose(A: DenseMatrix): DenseMatrix {
  const { rows, cols, data } = A;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    for (let j = 0; j < cols; j++) out[j * rows + i] = data[base + j];
  }
  return dense(cols, rows, out);
}

/** A deep copy of a dense matrix. */
export function cloneDense(A: DenseMatrix): DenseMatrix {
  return dense(A.rows, A.cols, Float64Array.from(A.data));
}

/** A · B for dense A (m × p) and B (p × n); i-p-j loop order so both B and the output stream by rows. */
export function matmul(A: DenseMatrix, B: DenseMatrix): DenseMatrix {
  if (A.cols !== B.rows)
    throw new RangeError(`cannot multiply ${A.rows} × ${A.cols} by ${B.rows} × ${B.cols}`);
  const m = A.rows;
  const p = A.cols;
  const n = B.cols;
  const a = A.data;
  const b = B.data;
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const oi = i * n;
    for (let q = 0; q < p; q++) {
      const aiq = a[i * p + q];
      if (aiq === 0) continue;
      const bq = q * n;
      for (let j = 0; j < n; j++) out[oi + j] += aiq * b[bq + j];
    }
  }
  return dense(m, n, out);
}

/**
 * CSR matrix from (row, col, value) triplets. Duplicates are summed; entries that are (or sum to)
 * exactly zero are dropped (NaN, the missing-value marker, is kept). Counting sort by row, then a
 * sort of each row's columns, so the cost is O(nnz log(row length)).
 */
export function csrFromTriplets(
  rows: number,
  cols: number,
  rowIndex: ArrayLike<number>,
  colIndex: ArrayLike<number>,
  values: ArrayLike<number>,
): CsrMatrix {
  const count = values.length;
  if (rowIndex.length !== count || colIndex.length !== count) {
    throw new RangeError('triplet arrays must have the same length');
  }
  const rowStart = new Int32Array(rows + 1);
  for (let t = 0; t < count; t++) {
    const r = rowIndex[t];
    const c = colIndex[t];
    if (!Number.isInteger(r) || !Number.isInteger(c) || r < 0 || r >= rows || c < 0 || c >= cols) {
      throw new RangeError(`triplet ${t} at (${r}, ${c}) is outside a ${rows} × ${cols} matrix`);
    }
    rowStart[r + 1]++;
  }
  for (let i = 0; i < rows; i++) rowStart[i + 1] += rowStart[i];
  const fill = rowStart.slice(0, rows);
  const order = new Int32Array(count);
  for (let t = 0; t < count; t++) order[fill[rowIndex[t]]++] = t;
  const indptr = new Int32Array(rows + 1);
  const indices = new Int32Array(count);
  const data = new Float64Array(count);
  let q = 0;
  for (let i = 0; i < rows; i++) {
    const segment = order.subarray(rowStart[i], rowStart[i + 1]);
    segment.sort((x, y) => colIndex[x] - colIndex[y]);
    const rowBegin = q;
    for (let s = 0; s < segment.length; s++) {
      const t = segment[s];
      const c = colIndex[t];
      if (q > rowBegin && indices[q - 1] === c) {
        data[q - 1] += values[t];
        continue;
      }
      indices[q] = c;
      data[q] = values[t];
      q++;
    }
    // Drop entries that summed to exactly zero, compacting the row in place.
    let w = rowBegin;
    for (let p = rowBegin; p < q; p++) {
      if (data[p] === 0) continue;
      indices[w] = indices[p];
      data[w] = data[p];
      w++;
    }
    q = w;
    indptr[i + 1] = q;
  }
  return { kind: 'csr', rows, cols, indptr, indices: indices.slice(0, q), data: data.slice(0, q) };
}

/** CSR copy of a dense matrix (zeros are not stored; NaN is stored as a missing value). */
export function csrFromDense(A: DenseMatrix): CsrMatrix {
  const { rows, cols, data } = A;
  const indptr = new Int32Array(rows + 1);
  let nnz = 0;
  for (let t = 0; t < data.length; t++) if (data[t] !== 0) nnz++;
  const indices = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  let p = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = data[i * cols + j];
      if (v === 0) continue;
      indices[p] = j;
      values[p] = v;
      p++;
    }
    indptr[i + 1] = p;
  }
  return { kind: 'csr', rows, cols, indptr, indices, data: values };
}

/** Dense copy of any data matrix (unstored CSR entries become 0). */
export function toDense(A: DataMatrix): DenseMatrix {
  if (A.kind === 'dense') return cloneDense(A);
  const out = new Float64Array(A.rows * A.cols);
  for (let i = 0; i < A.rows; i++) {
    for (let p = A.indptr[i]; p < A.indptr[i + 1]; p++) out[i * A.cols + A.indices[p]] = A.data[p];
  }
  return dense(A.rows, A.cols, out);
}

/** Entry (i, j) of a dense or CSR matrix (binary search within the CSR row). */
export function entryAt(A: DataMatrix, i: number, j: number): number {
  if (A.kind === 'dense') return A.data[i * A.cols + j];
  let lo = A.indptr[i];
  let hi = A.indptr[i + 1] - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = A.indices[mid];
    if (c === j) return A.data[mid];
    if (c < j) lo = mid + 1;
    else hi = mid - 1;
  }
  return 0;
}

/** Frobenius norm ‖A‖ of a dense matrix. */
export function frobeniusNorm(A: DenseMatrix): number {
  let s = 0;
  const d = A.data;
  for (let t = 0; t < d.length; t++) s += d[t] * d[t];
  return Math.sqrt(s);
}
