import { crc32 } from 'node:zlib';
import type { Db } from '../connection';
import type { DataMatrix } from '../../../shared/linalg/matrix';
import { toBlob } from '../blobs';

/** A row of `datasets`, as stored. */
export interface DatasetRow {
  id: number;
  name: string;
  rows: number;
  cols: number;
  nnz: number;
  missing: number;
  layout: 'dense' | 'csr';
  hash: string;
  format: string;
  source_name: string;
  transform: 'none' | 'sqrt' | 'log1p';
  transposed: 0 | 1;
  is_integer: 0 | 1;
  min_value: number;
  max_value: number;
  size_bytes: number;
  row_names: string;
  col_names: string;
  truth: string | null;
  created_at: string;
}

/** Columns cheap enough to list (no names, no truth). */
export type DatasetListRow = Omit<DatasetRow, 'row_names' | 'col_names' | 'truth'> & { has_truth: 0 | 1 };

export type NewDatasetRow = Omit<DatasetRow, 'id'>;

/** Matrix BLOBs are split into chunks of this many bytes, so no single BLOB is huge. */
export const CHUNK_BYTES = 8 * 1024 * 1024;

const listColumns = `id, name, rows, cols, nnz, missing, layout, hash, format, source_name, transform, transposed,
  is_integer, min_value, max_value, size_bytes, created_at, (truth IS NOT NULL) AS has_truth`;

export function listDatasets(db: Db): DatasetListRow[] {
  return db
    .prepare(`SELECT ${listColumns} FROM datasets ORDER BY created_at DESC, id DESC`)
    .all() as DatasetListRow[];
}

export function getDatasetListRow(db: Db, id: number): DatasetListRow | undefined {
  return db.prepare(`SELECT ${listColumns} FROM datasets WHERE id = ?`).get(id) as DatasetListRow | undefined;
}

export function getDatasetRow(db: Db, id: number): DatasetRow | undefined {
  return db.prepare('SELECT * FROM datasets WHERE id = ?').get(id) as DatasetRow | undefined;
}

export function findDatasetIdByHash(db: Db, hash: string): number | undefined {
  const row = db.prepare('SELECT id FROM datasets WHERE hash = ?').get(hash) as { id: number } | undefined;
  return row?.id;
}

/** Inserts the dataset row and its matrix chunks. Call inside a transaction. */
export function insertDataset(db: Db, row: NewDatasetRow, matrix: DataMatrix): number {
  const columns = Object.keys(row);
  const info = db
    .prepare(
      `INSERT INTO datasets (${columns.join(', ')}) VALUES (${columns.map((c) => '@' + c).join(', ')})`,
    )
    .run(row);
  const id = Number(info.lastInsertRowid);
  const insertChunk = db.prepare(
    'INSERT INTO dataset_chunks (dataset_id, part, seq, data, checksum) VALUES (?, ?, ?, ?, ?)',
  );
  const writeParts = (part: string, array: Float64Array | Int32Array): void => {
    const bytes = toBlob(array);
    let seq = 0;
    for (let offset = 0; offset < bytes.length || seq === 0; offset += CHUNK_BYTES) {
      const chunk = bytes.subarray(offset, Math.min(bytes.length, offset + CHUNK_BYTES));
      insertChunk.run(id, part, seq++, chunk, crc32(chunk));
    }
  };
  if (matrix.kind === 'dense') {
    writeParts('values', matrix.data);
  } else {
    writeParts('values', matrix.data);
    writeParts('indptr', matrix.indptr);
    writeParts('indices', matrix.indices);
  }
  return id;
}

/** A stored chunk whose bytes no longer match the checksum written with them. */
export class CorruptChunkError extends Error {
  constructor(
    public readonly datasetId: number,
    public readonly datasetName: string,
    public readonly part: string,
    public readonly seq: number,
  ) {
    super(
      `dataset ${datasetId} ("${datasetName}") is damaged in the library: chunk ${seq} of its ${part} ` +
        'does not match its checksum, so it is not used. Import the data again, or restore the library from a backup.',
    );
    this.name = 'CorruptChunkError';
  }
}

/** Whether a chunk read from the library matches its CRC-32 (migration 0040). */
function chunkIntact(chunk: { data: Buffer; checksum: number | null }): boolean {
  return chunk.checksum !== null && crc32(chunk.data) === chunk.checksum;
}

/** The error for a damaged chunk, naming its dataset (call after the chunk iterator has closed). */
function corruptChunk(db: Db, datasetId: number, part: string, seq: number): CorruptChunkError {
  const row = db.prepare('SELECT name FROM datasets WHERE id = ?').get(datasetId) as
    { name: string } | undefined;
  return new CorruptChunkError(datasetId, row?.name ?? '?', part, seq);
}

/**
 * Reads a part's chunks into one typed array, backed by a SharedArrayBuffer when `shared` (so worker
 * threads can read the matrix without a copy per job).
 */
function readPart<T extends Float64Array | Int32Array>(
  db: Db,
  id: number,
  part: string,
  ctor: { new (buffer: ArrayBufferLike): T; BYTES_PER_ELEMENT: number },
  shared: boolean,
): T {
  // Size first, then one chunk at a time into the final buffer: never two copies of the matrix.
  const total = (
    db
      .prepare(
        'SELECT COALESCE(SUM(length(data)), 0) AS n FROM dataset_chunks WHERE dataset_id = ? AND part = ?',
      )
      .get(id, part) as { n: number }
  ).n;
  const buffer = shared ? new SharedArrayBuffer(total) : new ArrayBuffer(total);
  const bytes = new Uint8Array(buffer);
  let offset = 0;
  const chunks = db
    .prepare('SELECT seq, data, checksum FROM dataset_chunks WHERE dataset_id = ? AND part = ? ORDER BY seq')
    .iterate(id, part) as IterableIterator<{ seq: number; data: Buffer; checksum: number | null }>;
  let damaged: number | null = null;
  for (const chunk of chunks) {
    if (!chunkIntact(chunk) || offset + chunk.data.byteLength > total) {
      damaged = chunk.seq;
      break;
    }
    bytes.set(chunk.data, offset);
    offset += chunk.data.byteLength;
  }
  if (damaged !== null) throw corruptChunk(db, id, part, damaged);
  if (total % ctor.BYTES_PER_ELEMENT !== 0) throw corruptChunk(db, id, part, -1);
  return new ctor(buffer);
}

export function readDatasetMatrix(
  db: Db,
  row: Pick<DatasetRow, 'id' | 'rows' | 'cols' | 'layout'>,
  shared = false,
): DataMatrix {
  if (row.layout === 'dense') {
    const data = readPart(db, row.id, 'values', Float64Array, shared);
    if (data.length !== row.rows * row.cols)
      throw new Error(
        `dataset ${row.id}: stored matrix has ${data.length} values, expected ${row.rows * row.cols}`,
      );
    return { kind: 'dense', rows: row.rows, cols: row.cols, data };
  }
  const indptr = readPart(db, row.id, 'indptr', Int32Array, shared);
  const indices = readPart(db, row.id, 'indices', Int32Array, shared);
  const data = readPart(db, row.id, 'values', Float64Array, shared);
  if (indptr.length !== row.rows + 1 || indices.length !== data.length) {
    throw new Error(`dataset ${row.id}: stored CSR matrix is inconsistent`);
  }
  return { kind: 'csr', rows: row.rows, cols: row.cols, indptr, indices, data };
}

/**
 * The first `bytes` bytes of a part (fewer when the part is shorter), from its leading chunks only,
 * each checked against its checksum.
 */
function readLeadingBytes(db: Db, id: number, part: string, bytes: number): Uint8Array {
  const head = new Uint8Array(bytes);
  let offset = 0;
  if (bytes === 0) return head;
  const chunks = db
    .prepare('SELECT seq, data, checksum FROM dataset_chunks WHERE dataset_id = ? AND part = ? ORDER BY seq')
    .iterate(id, part) as IterableIterator<{ seq: number; data: Buffer; checksum: number | null }>;
  let damaged: number | null = null;
  for (const chunk of chunks) {
    if (!chunkIntact(chunk)) {
      damaged = chunk.seq;
      break;
    }
    const take = Math.min(chunk.data.byteLength, bytes - offset);
    head.set(chunk.data.subarray(0, take), offset);
    offset += take;
    if (offset >= bytes) break;
  }
  if (damaged !== null) throw corruptChunk(db, id, part, damaged);
  return head.subarray(0, offset);
}

/**
 * The first `maxRows × maxCols` block of the matrix, densified (NaN kept), from the leading chunks
 * only: dense rows are row-major; a CSR matrix's first rows are its `indptr` (read whole: m + 1
 * integers) and the leading entries of `indices` and `values`. (CSR used to be read whole: at 10⁶
 * cells every dataset page and `consensus <dataset-id>` read V's 2.6 GB for a 20 × 20 preview,
 * and left it to the garbage collector beside the copy a job then leases.)
 */
export function readDatasetPreview(
  db: Db,
  row: Pick<DatasetRow, 'id' | 'rows' | 'cols' | 'layout'>,
  maxRows: number,
  maxCols: number,
): { rows: number; cols: number; values: Float64Array } {
  const rows = Math.min(maxRows, row.rows);
  const cols = Math.min(maxCols, row.cols);
  const values = new Float64Array(rows * cols);
  if (row.layout === 'dense') {
    // A shorter part (a damaged dataset, refused when its matrix is read) previews as zeros.
    const head = readLeadingBytes(db, row.id, 'values', rows * row.cols * 8);
    const leading = new Float64Array(head.buffer, 0, rows * row.cols);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) values[i * cols + j] = leading[i * row.cols + j];
    }
    return { rows, cols, values };
  }
  const indptr = readPart(db, row.id, 'indptr', Int32Array, false);
  if (indptr.length !== row.rows + 1) throw new Error(`dataset ${row.id}: stored CSR matrix is inconsistent`);
  const entries = indptr[rows];
  const indexBytes = readLeadingBytes(db, row.id, 'indices', entries * 4);
  const valueBytes = readLeadingBytes(db, row.id, 'values', entries * 8);
  if (indexBytes.byteLength !== entries * 4 || valueBytes.byteLength !== entries * 8)
    throw new Error(`dataset ${row.id}: stored CSR matrix is inconsistent`);
  const indices = new Int32Array(indexBytes.buffer, 0, entries);
  const data = new Float64Array(valueBytes.buffer, 0, entries);
  for (let i = 0; i < rows; i++) {
    for (let p = indptr[i]; p < indptr[i + 1]; p++) {
      const j = indices[p];
      if (j < cols) values[i * cols + j] = data[p];
    }
  }
  return { rows, cols, values };
}

export function renameDataset(db: Db, id: number, name: string): boolean {
  return db.prepare('UPDATE datasets SET name = ? WHERE id = ?').run(name, id).changes === 1;
}

/** Deletes a dataset with its chunks, runs and sweeps (foreign keys cascade). */
export function deleteDataset(db: Db, id: number): { deleted: number; runsDeleted: number } {
  return db.transaction(() => {
    const runs = (db.prepare('SELECT COUNT(*) AS n FROM runs WHERE dataset_id = ?').get(id) as { n: number })
      .n;
    const deleted = db.prepare('DELETE FROM datasets WHERE id = ?').run(id).changes;
    return { deleted, runsDeleted: deleted ? runs : 0 };
  })();
}
