import type { CsrMatrix, DataMatrix, DenseMatrix } from '../../shared/linalg/matrix';
import { dense } from '../../shared/linalg/matrix';

/**
 * A table read row by row becomes CSR when fewer than this fraction of its entries are stored
 * (non-zero or missing). CSR costs 12 bytes per stored entry against 8 per entry dense, so below
 * 0.3 it takes under half the memory, and the solvers' cost follows nnz.
 */
export const SPARSE_DENSITY = 0.3;

/** Largest nnz an Int32Array indptr can address. */
export const MAX_NNZ = 2 ** 31 - 1;

/** Most values a dense matrix may hold (16 GiB of float64), as for nnz. */
export const MAX_DENSE_VALUES = 2 ** 31 - 1;

/**
 * Most rows or columns a matrix may have (2²⁴ = 16 777 216). Every row and column gets a name and
 * its own slots in the stored matrix, so a dimension costs memory whatever the data; the largest
 * single-cell files in use (10x raw matrices with 6.8 million barcodes) fit. Importers check
 * declared dimensions against this before allocating anything.
 */
export const MAX_DIMENSION = 2 ** 24;

/** Entries per row block (8 MiB of float64) in RowAccumulator. */
const BLOCK_ENTRIES = 1 << 20;

interface DenseBlock {
  kind: 'dense';
  rows: number;
  data: Float64Array;
}

interface SparseBlock {
  kind: 'sparse';
  rows: number;
  /** rows + 1 offsets into indices/data, starting at 0. */
  indptr: Int32Array;
  indices: Int32Array;
  data: Float64Array;
}

/**
 * Collects rows of a fixed width without knowing how many will come. Rows are written into a
 * fixed-size block; each full block is kept dense or compressed to sparse depending on its own
 * density, so a mostly-zero table never costs its dense size and a dense one is never copied more
 * than once (at `finish`). Peak memory is about the final matrix plus the blocks.
 *
 * Usage: write the row's `cols` values at `block[offset + j]`, then call `endRow()`.
 */
export class RowAccumulator {
  readonly cols: number;
  rows = 0;
  /** Entries stored so far: non-zero or NaN. */
  stored = 0;
  block: Float64Array;
  offset = 0;
  private readonly blockRows: number;
  private rowInBlock = 0;
  private readonly blocks: (DenseBlock | SparseBlock)[] = [];

  constructor(cols: number) {
    this.cols = cols;
    this.blockRows = Math.max(1, Math.floor(BLOCK_ENTRIES / Math.max(1, cols)));
    this.block = new Float64Array(this.blockRows * cols);
  }

  endRow(): void {
    this.rows += 1;
    this.rowInBlock += 1;
    this.offset += this.cols;
    if (this.rowInBlock === this.blockRows) this.seal();
  }

  private seal(): void {
    const rows = this.rowInBlock;
    if (rows === 0) return;
    const size = rows * this.cols;
    const values = this.block;
    let stored = 0;
    for (let i = 0; i < size; i++) if (values[i] !== 0) stored++;
    this.stored += stored;
    if (stored * 2 < size) {
      const indptr = new Int32Array(rows + 1);
      const indices = new Int32Array(stored);
      const data = new Float64Array(stored);
      let k = 0;
      for (let r = 0; r < rows; r++) {
        const base = r * this.cols;
        for (let j = 0; j < this.cols; j++) {
          const v = values[base + j];
          if (v !== 0) {
            indices[k] = j;
            data[k] = v;
            k++;
          }
        }
        indptr[r + 1] = k;
      }
      this.blocks.push({ kind: 'sparse', rows, indptr, indices, data });
    } else {
      this.blocks.push({
        kind: 'dense',
        rows,
        data: size === values.length ? values : values.slice(0, size),
      });
      if (size === values.length) this.block = new Float64Array(this.blockRows * this.cols);
    }
    this.rowInBlock = 0;
    this.offset = 0;
  }

  /** Builds the matrix: CSR when `layout` is 'auto' and the density is below SPARSE_DENSITY. */
  finish(layout: 'auto' | 'dense' = 'auto'): DataMatrix {
    this.seal();
    // The partially filled buffer is no longer needed; drop it before allocating the result.
    this.block = new Float64Array(0);
    const total = this.rows * this.cols;
    const sparse = layout === 'auto' && total > 0 && this.stored < SPARSE_DENSITY * total;
    return sparse ? this.toCsr() : this.toDense();
  }

  private toDense(): DenseMatrix {
    const out = new Float64Array(this.rows * this.cols);
    let pos = 0;
    for (const block of this.blocks) {
      if (block.kind === 'dense') {
        out.set(block.data, pos);
      } else {
        for (let r = 0; r < block.rows; r++) {
          const base = pos + r * this.cols;
          for (let k = block.indptr[r]; k < block.indptr[r + 1]; k++)
            out[base + block.indices[k]] = block.data[k];
        }
      }
      pos += block.rows * this.cols;
    }
    this.blocks.length = 0;
    return dense(this.rows, this.cols, out);
  }

  private toCsr(): CsrMatrix {
    const indptr = new Int32Array(this.rows + 1);
    const indices = new Int32Array(this.stored);
    const data = new Float64Array(this.stored);
    let row = 0;
    let k = 0;
    for (const block of this.blocks) {
      if (block.kind === 'sparse') {
        indices.set(block.indices, k);
        data.set(block.data, k);
        for (let r = 0; r < block.rows; r++) indptr[row + r + 1] = k + block.indptr[r + 1];
        k += block.indptr[block.rows];
      } else {
        for (let r = 0; r < block.rows; r++) {
          const base = r * this.cols;
          for (let j = 0; j < this.cols; j++) {
            const v = block.data[base + j];
            if (v !== 0) {
              indices[k] = j;
              data[k] = v;
              k++;
            }
          }
          indptr[row + r + 1] = k;
        }
      }
      row += block.rows;
    }
    this.blocks.length = 0;
    return { kind: 'csr', rows: this.rows, cols: this.cols, indptr, indices, data };
  }
}

/** Aᵀ of a dense matrix (rows × cols → cols × rows), in cache-friendly tiles. */
export function transposeDense(matrix: DenseMatrix): DenseMatrix {
  const { rows, cols, data } = matrix;
  const out = new Float64Array(rows * cols);
  const tile = 64;
  for (let i0 = 0; i0 < rows; i0 += tile) {
    const i1 = Math.min(rows, i0 + tile);
    for (let j0 = 0; j0 < cols; j0 += tile) {
      const j1 = Math.min(cols, j0 + tile);
      for (let i = i0; i < i1; i++) {
        const base = i * cols;
        for (let j = j0; j < j1; j++) out[j * rows + i] = data[base + j];
      }
    }
  }
  return dense(cols, rows, out);
}

/** Aᵀ of a CSR matrix by counting sort; column indices come out sorted within each row. */
export function transposeCsr(matrix: CsrMatrix): CsrMatrix {
  const { rows, cols, indptr, indices, data } = matrix;
  const nnz = indptr[rows];
  const outPtr = new Int32Array(cols + 1);
  for (let k = 0; k < nnz; k++) outPtr[indices[k] + 1]++;
  for (let j = 0; j < cols; j++) outPtr[j + 1] += outPtr[j];
  const next = outPtr.slice(0, cols);
  const outIndices = new Int32Array(nnz);
  const outData = new Float64Array(nnz);
  for (let i = 0; i < rows; i++) {
    for (let k = indptr[i]; k < indptr[i + 1]; k++) {
      const dest = next[indices[k]]++;
      outIndices[dest] = i;
      outData[dest] = data[k];
    }
  }
  return { kind: 'csr', rows: cols, cols: rows, indptr: outPtr, indices: outIndices, data: outData };
}

export function transposeMatrix(matrix: DataMatrix): DataMatrix {
  return matrix.kind === 'dense' ? transposeDense(matrix) : transposeCsr(matrix);
}

/**
 * Puts CSR in canonical form in place: column indices strictly increasing within each row,
 * duplicates summed (as scipy's `sum_duplicates` does), explicit zeros dropped. Returns the input
 * unchanged when it is already canonical, else views of the compacted arrays.
 */
export function canonicalizeCsr(matrix: CsrMatrix): CsrMatrix {
  const { rows, indptr, indices, data } = matrix;
  let canonical = true;
  for (let i = 0; i < rows && canonical; i++) {
    for (let k = indptr[i]; k < indptr[i + 1]; k++) {
      if (data[k] === 0 || (k > indptr[i] && indices[k] <= indices[k - 1])) {
        canonical = false;
        break;
      }
    }
  }
  if (canonical) return matrix;
  let w = 0;
  let start = indptr[0];
  for (let i = 0; i < rows; i++) {
    const end = indptr[i + 1];
    sortRowSegment(indices, data, start, end);
    const rowStart = w;
    for (let k = start; k < end; k++) {
      const v = data[k];
      if (w > rowStart && indices[w - 1] === indices[k]) {
        data[w - 1] += v;
      } else if (v !== 0) {
        indices[w] = indices[k];
        data[w] = v;
        w++;
      }
    }
    // A duplicate may have summed to zero; zeros are not stored.
    let keep = rowStart;
    for (let k = rowStart; k < w; k++) {
      if (data[k] !== 0) {
        indices[keep] = indices[k];
        data[keep] = data[k];
        keep++;
      }
    }
    w = keep;
    start = end;
    indptr[i + 1] = w;
  }
  return { ...matrix, indptr, indices: indices.subarray(0, w), data: data.subarray(0, w) };
}

function sortRowSegment(indices: Int32Array, data: Float64Array, start: number, end: number): void {
  let sorted = true;
  for (let k = start + 1; k < end; k++) {
    if (indices[k] < indices[k - 1]) {
      sorted = false;
      break;
    }
  }
  if (sorted) return;
  const order = Array.from({ length: end - start }, (_, t) => start + t);
  order.sort((a, b) => indices[a] - indices[b] || a - b);
  const sortedIdx = order.map((k) => indices[k]);
  const sortedVal = order.map((k) => data[k]);
  for (let t = 0; t < order.length; t++) {
    indices[start + t] = sortedIdx[t];
    data[start + t] = sortedVal[t];
  }
}

/** Counts missing (NaN) and non-zero non-missing entries. */
export function countEntries(matrix: DataMatrix): { missing: number; nnz: number } {
  const values = matrix.data;
  let missing = 0;
  let nnz = 0;
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    if (v !== v) missing++;
    else if (v !== 0) nnz++;
  }
  return { missing, nnz };
}
