import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { FrameArrayStandIn, frameLayout, type AnyTypedArray } from '../../shared/api/codec';
import { CLUSTER_DATA_FORMAT, CLUSTER_PLAN_VERSION } from '../../shared/analysis/cluster-plan';
import type { DataMatrix } from '../../shared/linalg/matrix';
import type { Db } from '../db/connection';
import { CorruptChunkError, getDatasetRow, type DatasetRow } from '../db/queries/datasets';
import type { ClusterData, DataFile } from './cluster-folder';
import type { FolderWriteControl } from './cluster-progress';
import type { ServiceContext } from './context';
import { contentHasher, getDatasetSummary } from './datasets';
import { ServiceError } from '../../shared/api';

/**
 * A job folder's data.nmf written in pieces (docs/architecture.md, "Sweeps on a cluster"): the same
 * bytes as `encodeFrame` of the {@link DataFile}, but the matrix's arrays go to the file one piece at
 * a time — 8 MiB chunks read from the library, or slices of a matrix already in memory — so the
 * planner never holds the frame (≈ 2.6 GB at 10⁶ cells × 2000 genes with 2.2·10⁸ stored entries),
 * nor, for a library dataset, the matrix. The content hash is computed from the same pieces as they
 * are written and must equal the hash the plan carries, so a damaged library is refused here rather
 * than by every array task.
 */

/** A library dataset as job-folder data: its facts and names, its matrix left in the library. */
export interface LibraryClusterData extends Omit<ClusterData, 'matrix'> {
  library: {
    db: Db;
    /** What planning needs of the stored dataset (shape, statistics, content hash). */
    dataset: Pick<DatasetRow, 'id' | 'name' | 'rows' | 'cols' | 'nnz' | 'layout' | 'hash'> & {
      sizeBytes: number;
      minValue: number;
    };
  };
}

/** Job-folder data: a matrix in memory (a file read by the command line) or a library dataset. */
export type ClusterDataSource = ClusterData | LibraryClusterData;

/** A library dataset as job-folder data; nothing of its matrix is read until data.nmf is written. */
export function clusterDataOfDataset(ctx: ServiceContext, datasetId: number): LibraryClusterData {
  const summary = getDatasetSummary(ctx, datasetId);
  const row = getDatasetRow(ctx.db, datasetId);
  if (!row) throw new ServiceError('not_found', `dataset ${datasetId} does not exist`);
  return {
    rowNames: JSON.parse(row.row_names) as string[],
    colNames: JSON.parse(row.col_names) as string[],
    name: summary.name,
    sourceName: summary.sourceName,
    format: summary.format,
    transform: summary.transform,
    transposed: summary.transposed,
    library: {
      db: ctx.db,
      dataset: {
        id: row.id,
        name: row.name,
        rows: row.rows,
        cols: row.cols,
        nnz: row.nnz,
        layout: row.layout,
        hash: row.hash,
        sizeBytes: row.size_bytes,
        minValue: row.min_value,
      },
    },
  };
}

/** The part of a stored matrix behind each of its arrays (db/queries/datasets.ts insertDataset). */
type MatrixKey = 'data' | 'indptr' | 'indices';
const STORED_PART: Record<MatrixKey, 'values' | 'indptr' | 'indices'> = {
  data: 'values',
  indptr: 'indptr',
  indices: 'indices',
};

/** One array of data.nmf's matrix: how the frame names it, and its bytes in pieces, in order. */
interface MatrixArray {
  array: AnyTypedArray | FrameArrayStandIn;
  pieces: () => Iterable<Uint8Array>;
}

/** Slices of an array in memory, as views (no copy). */
const MEMORY_PIECE = 8 << 20;
function* slices(array: AnyTypedArray): Iterable<Uint8Array> {
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  for (let at = 0; at < bytes.length; at += MEMORY_PIECE) yield bytes.subarray(at, at + MEMORY_PIECE);
}

/**
 * A stored part's chunks in order, each checked against its CRC-32 as `readDatasetMatrix` checks
 * them. Fetched one by one by sequence number, so no statement stays open across the file writes
 * (the app's other requests use the same connection meanwhile).
 */
function* storedChunks(db: Db, dataset: { id: number; name: string }, part: string): Iterable<Uint8Array> {
  const select = db.prepare(
    'SELECT data, checksum FROM dataset_chunks WHERE dataset_id = ? AND part = ? AND seq = ?',
  );
  for (let seq = 0; ; seq++) {
    const row = select.get(dataset.id, part, seq) as { data: Buffer; checksum: number | null } | undefined;
    if (row === undefined) return;
    if (row.checksum === null || crc32(row.data) !== row.checksum)
      throw new CorruptChunkError(dataset.id, dataset.name, part, seq);
    yield new Uint8Array(row.data.buffer, row.data.byteOffset, row.data.byteLength);
  }
}

/**
 * data.nmf's matrix as the frame lays it out — for a library dataset in `readDatasetMatrix`'s key
 * order (kind, rows, cols, indptr, indices, data), so the file is the one `encodeFrame` made of the
 * loaded dataset — with its arrays in the content hash's order (values, then indptr and indices).
 */
function matrixArrays(data: ClusterDataSource): {
  matrix: DataMatrix | Record<string, unknown>;
  arrays: MatrixArray[];
} {
  if (!('library' in data)) {
    const { matrix } = data;
    const keys: MatrixKey[] = matrix.kind === 'csr' ? ['data', 'indptr', 'indices'] : ['data'];
    return {
      matrix,
      arrays: keys.map((key) => {
        const array = (matrix as unknown as Record<MatrixKey, AnyTypedArray>)[key];
        return { array, pieces: () => slices(array) };
      }),
    };
  }
  const { db, dataset } = data.library;
  const sizeOf = (part: string): number =>
    (
      db
        .prepare(
          'SELECT COALESCE(SUM(length(data)), 0) AS n FROM dataset_chunks WHERE dataset_id = ? AND part = ?',
        )
        .get(dataset.id, part) as { n: number }
    ).n;
  // The checks readDatasetMatrix makes on the arrays' lengths, before anything is written.
  const stored = (
    key: MatrixKey,
    name: 'Float64Array' | 'Int32Array',
    expected: number | null,
  ): MatrixArray => {
    const part = STORED_PART[key];
    const byteLength = sizeOf(part);
    const size = name === 'Float64Array' ? 8 : 4;
    if ((expected !== null && byteLength !== expected) || byteLength % size !== 0)
      throw new Error(
        `dataset ${dataset.id} ("${dataset.name}") is damaged in the library: its ${part} hold ${byteLength} bytes, ` +
          `which does not fit its ${dataset.rows} × ${dataset.cols} ${dataset.layout} matrix`,
      );
    return { array: new FrameArrayStandIn(name, byteLength), pieces: () => storedChunks(db, dataset, part) };
  };
  const shape = { rows: dataset.rows, cols: dataset.cols };
  if (dataset.layout === 'dense') {
    const values = stored('data', 'Float64Array', dataset.rows * dataset.cols * 8);
    return { matrix: { kind: 'dense', ...shape, data: values.array }, arrays: [values] };
  }
  const values = stored('data', 'Float64Array', null);
  const entries = values.array.byteLength / 8;
  const indptr = stored('indptr', 'Int32Array', (dataset.rows + 1) * 4);
  const indices = stored('indices', 'Int32Array', entries * 4);
  return {
    matrix: { kind: 'csr', ...shape, indptr: indptr.array, indices: indices.array, data: values.array },
    arrays: [values, indptr, indices],
  };
}

/**
 * Writes data.nmf to `path` in pieces and returns its size. The file is first written under a
 * temporary name beside `path` and renamed over it once whole and hashed, so a cut-short or refused
 * write leaves no data.nmf. Each array's pieces go to the array's offset in the frame (frameLayout),
 * taken in the content hash's order, so the hash is computed from the bytes written, in one pass.
 * Progress is the arrays' bytes written of their total (step `data`); an aborted `control.signal`
 * stops the write before the next piece, and the temporary file is removed as for any failure.
 *
 * @param hash the content hash the plan carries (the library's for a dataset); a different one refuses
 */
export async function writeDataFile(
  path: string,
  data: ClusterDataSource,
  hash: string,
  control: FolderWriteControl = {},
): Promise<number> {
  const { signal, onProgress } = control;
  signal?.throwIfAborted();
  const { matrix, arrays } = matrixArrays(data);
  // The DataFile exactly as the planner encoded it whole: the folder data's fields, then the file's.
  const frame = {
    matrix,
    rowNames: data.rowNames,
    colNames: data.colNames,
    name: data.name,
    sourceName: data.sourceName,
    format: data.format,
    transform: data.transform,
    transposed: data.transposed,
    fileFormat: CLUSTER_DATA_FORMAT,
    version: CLUSTER_PLAN_VERSION,
    hash,
  } satisfies Record<keyof DataFile, unknown>;
  const layout = frameLayout(frame);
  const offsetOf = new Map(layout.arrays.map((slot) => [slot.array, slot.offset]));
  const hasher = contentHasher(
    { kind: matrix.kind as DataMatrix['kind'], rows: matrix.rows as number, cols: matrix.cols as number },
    data.rowNames,
    data.colNames,
    data.transform,
  );
  const totalBytes = arrays.reduce((sum, { array }) => sum + array.byteLength, 0);
  let doneBytes = 0;
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temporary, 'w', 0o644);
  try {
    onProgress?.('data', 0, totalBytes);
    // The padding between and after the arrays is zeros, as encodeFrame leaves it.
    await handle.truncate(layout.byteLength);
    await writeAll(handle, layout.head, 0);
    for (const { array, pieces } of arrays) {
      const offset = offsetOf.get(array)!;
      let written = 0;
      for (const piece of pieces()) {
        // Between pieces: a cancelled export stops here, before this piece is written.
        signal?.throwIfAborted();
        if (written + piece.length > array.byteLength) break;
        hasher.update(piece);
        await writeAll(handle, piece, offset + written);
        written += piece.length;
        doneBytes += piece.length;
        onProgress?.('data', doneBytes, totalBytes);
      }
      if (written !== array.byteLength)
        throw new Error(
          `${path}: an array of ${array.byteLength} bytes came as ${written} (the data changed?)`,
        );
    }
    const digest = hasher.digest('hex');
    if (digest !== hash)
      throw new Error(
        'library' in data
          ? `dataset ${data.library.dataset.id} ("${data.library.dataset.name}") is damaged in the library: ` +
              `its matrix hashes to ${digest.slice(0, 16)}…, the library recorded ${hash.slice(0, 16)}…`
          : `the data hashes to ${digest.slice(0, 16)}… while written, ${hash.slice(0, 16)}… when planned`,
      );
    await handle.close();
    await rename(temporary, path);
    return layout.byteLength;
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Writes all of `bytes` at `position` (a single write may write fewer). */
async function writeAll(
  handle: Awaited<ReturnType<typeof open>>,
  bytes: Uint8Array,
  position: number,
): Promise<void> {
  for (let done = 0; done < bytes.length;) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}
