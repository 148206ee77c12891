import { describe, expect, it } from 'vitest';
import type { CsrMatrix, DataMatrix } from '../../../shared/linalg/matrix';
import { openLibrary } from '../connection';
import {
  CHUNK_BYTES,
  CorruptChunkError,
  insertDataset,
  readDatasetMatrix,
  readDatasetPreview,
} from '../queries/datasets';

/** A dataset row for `matrix` (what the preview and the reader look at; the rest is filler). */
function store(db: ReturnType<typeof openLibrary>, matrix: DataMatrix): number {
  const nnz = matrix.kind === 'csr' ? matrix.data.length : matrix.rows * matrix.cols;
  return insertDataset(
    db,
    {
      name: 'preview',
      rows: matrix.rows,
      cols: matrix.cols,
      nnz,
      missing: 0,
      layout: matrix.kind,
      hash: `h${matrix.kind}${matrix.rows}`,
      format: 'tsv',
      source_name: 'preview.tsv',
      transform: 'none',
      transposed: 0,
      is_integer: 0,
      min_value: 0,
      max_value: 1,
      size_bytes: 0,
      row_names: JSON.stringify(Array.from({ length: matrix.rows }, (_, i) => `r${i}`)),
      col_names: JSON.stringify(Array.from({ length: matrix.cols }, (_, j) => `c${j}`)),
      truth: null,
      created_at: '2026-01-01T00:00:00.000Z',
    },
    matrix,
  );
}

/** The leading block of `matrix`, densified, computed from the whole matrix. */
function leadingBlock(matrix: DataMatrix, maxRows: number, maxCols: number): Float64Array {
  const rows = Math.min(maxRows, matrix.rows);
  const cols = Math.min(maxCols, matrix.cols);
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    if (matrix.kind === 'dense') {
      for (let j = 0; j < cols; j++) out[i * cols + j] = matrix.data[i * matrix.cols + j];
      continue;
    }
    for (let p = matrix.indptr[i]; p < matrix.indptr[i + 1]; p++)
      if (matrix.indices[p] < cols) out[i * cols + matrix.indices[p]] = matrix.data[p];
  }
  return out;
}

/**
 * CSR V (rows × cols) with its values over more than one chunk: every other entry of each row
 * stored (row 1 empty), some NaN.
 */
function sparseOverChunks(rows: number, cols: number): CsrMatrix {
  const indptr = new Int32Array(rows + 1);
  const indices: number[] = [];
  const data: number[] = [];
  for (let i = 0; i < rows; i++) {
    if (i !== 1)
      for (let j = i % 2; j < cols; j += 2) {
        indices.push(j);
        data.push((i * 31 + j) % 17 === 0 ? NaN : 1 + ((i * 7 + j) % 13));
      }
    indptr[i + 1] = indices.length;
  }
  return {
    kind: 'csr',
    rows,
    cols,
    indptr,
    indices: Int32Array.from(indices),
    data: Float64Array.from(data),
  };
}

describe('readDatasetPreview', () => {
  it('previews CSR and dense data as the whole matrix says, for blocks of every shape', () => {
    const db = openLibrary(':memory:');
    const csr = sparseOverChunks(40, 30);
    const dense: DataMatrix = {
      kind: 'dense',
      rows: 7,
      cols: 5,
      data: Float64Array.from({ length: 35 }, (_, q) => (q === 12 ? NaN : q / 3)),
    };
    for (const matrix of [csr, dense]) {
      const id = store(db, matrix);
      const row = { id, rows: matrix.rows, cols: matrix.cols, layout: matrix.kind };
      for (const [maxRows, maxCols] of [
        [20, 20],
        [1, 1],
        [2, 30],
        [100, 100],
        [0, 5],
      ]) {
        const preview = readDatasetPreview(db, row, maxRows, maxCols);
        expect(preview.rows).toBe(Math.min(maxRows, matrix.rows));
        expect(preview.cols).toBe(Math.min(maxCols, matrix.cols));
        expect(preview.values).toEqual(leadingBlock(matrix, maxRows, maxCols));
      }
    }
    db.close();
  });

  it('reads only the leading chunks of a large CSR matrix: damage further on does not stop it', () => {
    const db = openLibrary(':memory:');
    // 1.2·10⁶ stored values: 9.6 MB, two chunks of `values`.
    const matrix = sparseOverChunks(400, 6000);
    expect(matrix.data.byteLength).toBeGreaterThan(CHUNK_BYTES);
    const id = store(db, matrix);
    const row = { id, rows: matrix.rows, cols: matrix.cols, layout: 'csr' as const };
    db.prepare(
      "UPDATE dataset_chunks SET checksum = checksum + 1 WHERE dataset_id = ? AND part = 'values' AND seq = 1",
    ).run(id);
    // The whole matrix is refused (its second chunk no longer matches its checksum)…
    expect(() => readDatasetMatrix(db, row)).toThrow(CorruptChunkError);
    // …but the preview needs the first 20 rows only, all in the first chunk.
    expect(readDatasetPreview(db, row, 20, 20).values).toEqual(leadingBlock(matrix, 20, 20));
    // Damage where the preview reads is reported as before.
    db.prepare(
      "UPDATE dataset_chunks SET checksum = checksum + 1 WHERE dataset_id = ? AND part = 'indices' AND seq = 0",
    ).run(id);
    expect(() => readDatasetPreview(db, row, 20, 20)).toThrow(CorruptChunkError);
    db.close();
  });
});
