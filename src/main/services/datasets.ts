import { createHash, type Hash } from 'node:crypto';
import { copyFile, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  ServiceError,
  StagedFile,
  type ErrorLocation,
  type FilePreview,
  type ParsedRequestOf,
} from '../../shared/api';
import {
  applyTransform,
  matrixStats,
  type DatasetDetail,
  type DatasetSummary,
  type DatasetTruth,
  type Transform,
} from '../../shared/domain';
import type { DataMatrix } from '../../shared/linalg/matrix';
import type { ImportErrorLocation } from '../io';
import { storeFeatureTable } from './annotations-10x';
import { ImportError, inspectMatrixFile, readMatrixFile, type ImportedMatrix, type ReadOptions } from '../io';
import { escapeText } from '../io/errors';
import {
  deleteDataset,
  findDatasetIdByHash,
  getDatasetListRow,
  getDatasetRow,
  insertDataset,
  listDatasets,
  readDatasetMatrix,
  readDatasetPreview,
  renameDataset,
  type DatasetListRow,
} from '../db/queries/datasets';
import type { ServiceContext } from './context';
import { stagedFileName } from './staging';
import { readUpload, takeUpload } from './uploads';
import type { UploadRef } from '../../shared/api/transfer';

/** Datasets: import (from a path or an upload), synthetic data, listing, deletion. */

function toSummary(row: DatasetListRow): DatasetSummary {
  return {
    id: row.id,
    name: row.name,
    rows: row.rows,
    cols: row.cols,
    nnz: row.nnz,
    missing: row.missing,
    layout: row.layout,
    hash: row.hash,
    format: row.format,
    sourceName: row.source_name,
    transform: row.transform,
    transposed: row.transposed === 1,
    integer: row.is_integer === 1,
    minValue: row.min_value,
    maxValue: row.max_value,
    hasTruth: row.has_truth === 1,
    sizeBytes: row.size_bytes,
    createdAt: row.created_at,
  };
}

export function listDatasetSummaries(ctx: ServiceContext): DatasetSummary[] {
  return listDatasets(ctx.db).map(toSummary);
}

export function getDatasetSummary(ctx: ServiceContext, id: number): DatasetSummary {
  const row = getDatasetListRow(ctx.db, id);
  if (!row) throw new ServiceError('not_found', `dataset ${id} does not exist`);
  return toSummary(row);
}

export function getDatasetDetail(ctx: ServiceContext, id: number): DatasetDetail {
  const row = getDatasetRow(ctx.db, id);
  if (!row) throw new ServiceError('not_found', `dataset ${id} does not exist`);
  return {
    ...getDatasetSummary(ctx, id),
    rowNames: JSON.parse(row.row_names) as string[],
    colNames: JSON.parse(row.col_names) as string[],
    preview: readDatasetPreview(ctx.db, row, 20, 20),
  };
}

/** Names and matrix of a dataset. `shared`: back the arrays by SharedArrayBuffer for the workers. */
export function loadDataset(
  ctx: ServiceContext,
  id: number,
  shared = false,
): { matrix: DataMatrix; rowNames: string[]; colNames: string[]; hash: string; truth: DatasetTruth | null } {
  const row = getDatasetRow(ctx.db, id);
  if (!row) throw new ServiceError('not_found', `dataset ${id} does not exist`);
  return {
    matrix: readDatasetMatrix(ctx.db, row, shared),
    rowNames: JSON.parse(row.row_names) as string[],
    colNames: JSON.parse(row.col_names) as string[],
    hash: row.hash,
    truth: row.truth ? decodeTruth(row.truth) : null,
  };
}

export function getDatasetTruth(ctx: ServiceContext, id: number): DatasetTruth | null {
  const row = getDatasetRow(ctx.db, id);
  if (!row) throw new ServiceError('not_found', `dataset ${id} does not exist`);
  return row.truth ? decodeTruth(row.truth) : null;
}

function encodeTruth(truth: DatasetTruth): string {
  return JSON.stringify({ ...truth, W: Array.from(truth.W), H: Array.from(truth.H) });
}

function decodeTruth(text: string): DatasetTruth {
  const parsed = JSON.parse(text) as Omit<DatasetTruth, 'W' | 'H'> & { W: number[]; H: number[] };
  return { ...parsed, W: Float64Array.from(parsed.W), H: Float64Array.from(parsed.H) };
}

/**
 * SHA-256 over shape, layout, names and the stored arrays' bytes: the same content imported twice
 * hashes the same, so a re-import is recognised.
 */
export function contentHash(
  matrix: DataMatrix,
  rowNames: readonly string[],
  colNames: readonly string[],
  transform: Transform,
): string {
  const hash = contentHasher(matrix, rowNames, colNames, transform);
  const add = (array: Float64Array | Int32Array): void => {
    hash.update(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  };
  add(matrix.data);
  if (matrix.kind === 'csr') {
    add(matrix.indptr);
    add(matrix.indices);
  }
  return hash.digest('hex');
}

/**
 * {@link contentHash}'s SHA-256 fed everything before the arrays; fed the arrays' bytes in its
 * order (values, then `indptr` and `indices` for CSR), in pieces of any size, it digests to the same
 * hash. For writers that stream the arrays (cluster-data-file.ts).
 */
export function contentHasher(
  shape: Pick<DataMatrix, 'kind' | 'rows' | 'cols'>,
  rowNames: readonly string[],
  colNames: readonly string[],
  transform: Transform,
): Hash {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ kind: shape.kind, rows: shape.rows, cols: shape.cols, transform }));
  hash.update(JSON.stringify(rowNames));
  hash.update(JSON.stringify(colNames));
  return hash;
}

export interface StoreMeta {
  name: string;
  sourceName: string;
  format: string;
  transform: Transform;
  transposed: boolean;
  truth?: DatasetTruth | null;
  /** The matrix already has `transform` applied (it comes from a library or a job folder). */
  alreadyTransformed?: boolean;
}

/**
 * Stores a matrix in the library in one transaction (or recognises it as already there). The
 * transform is applied first, so the stored matrix is the one that is factored.
 */
export function storeDataset(
  ctx: ServiceContext,
  matrix: DataMatrix,
  rowNames: string[],
  colNames: string[],
  meta: StoreMeta,
): { dataset: DatasetSummary; existing: boolean } {
  if (!meta.alreadyTransformed) applyTransform(matrix, meta.transform);
  const hash = contentHash(matrix, rowNames, colNames, meta.transform);
  const existingId = findDatasetIdByHash(ctx.db, hash);
  if (existingId !== undefined) return { dataset: getDatasetSummary(ctx, existingId), existing: true };
  const stats = matrixStats(matrix);
  const sizeBytes =
    matrix.kind === 'dense'
      ? matrix.data.byteLength
      : matrix.data.byteLength + matrix.indices.byteLength + matrix.indptr.byteLength;
  const id = ctx.db.transaction(() =>
    insertDataset(
      ctx.db,
      {
        name: meta.name,
        rows: matrix.rows,
        cols: matrix.cols,
        nnz: stats.nnz,
        missing: stats.missing,
        layout: matrix.kind,
        hash,
        format: meta.format,
        source_name: meta.sourceName,
        transform: meta.transform,
        transposed: meta.transposed ? 1 : 0,
        is_integer: stats.integer ? 1 : 0,
        min_value: stats.min,
        max_value: stats.max,
        size_bytes: sizeBytes,
        row_names: JSON.stringify(rowNames),
        col_names: JSON.stringify(colNames),
        truth: meta.truth ? encodeTruth(meta.truth) : null,
        created_at: ctx.now(),
      },
      matrix,
    ),
  )();
  ctx.events.emit('library:changed', { what: 'datasets', id });
  return { dataset: getDatasetSummary(ctx, id), existing: false };
}

export interface ImportOptions {
  name?: string;
  format?: ReadOptions['format'];
  transpose: boolean;
  header: boolean;
  rowNames: boolean;
  transform: Transform;
}

/** A dataset's name when none is given: its file's name without `.gz` and one extension after it. */
export function defaultDatasetName(fileName: string): string {
  return fileName.replace(/\.(gz)$/i, '').replace(/\.[^.]+$/, '') || fileName;
}

/** Reads a file for import, mapping reader errors onto API errors that name the user's file. */
export async function readImportFile(
  path: string,
  options: ImportOptions,
  control: { signal?: AbortSignal; onProgress?: ReadOptions['onProgress']; displayName?: string } = {},
): Promise<ImportedMatrix & { displayName: string }> {
  const displayName = control.displayName ?? path.split(/[\\/]/).pop() ?? path;
  try {
    const imported = await readMatrixFile(path, {
      format: options.format,
      transpose: options.transpose,
      header: options.header,
      rowNames: options.rowNames,
      signal: control.signal,
      onProgress: control.onProgress,
    });
    return { ...imported, displayName };
  } catch (error) {
    throw toServiceError(error, displayName);
  }
}

/** Stores what `readImportFile` read, in one transaction (or recognises it as already there). */
export function storeImported(
  ctx: ServiceContext,
  imported: ImportedMatrix & { displayName: string },
  options: ImportOptions,
): { dataset: DatasetSummary; existing: boolean; warnings: string[] } {
  const { featureTable } = imported;
  // The dataset and the feature table its file carries (10x .h5) are stored together or not at all.
  const stored = ctx.db.transaction(() => {
    const result = storeDataset(ctx, imported.matrix, imported.rowNames, imported.colNames, {
      name: options.name ?? defaultDatasetName(imported.displayName),
      sourceName: imported.displayName,
      format: imported.format,
      transform: options.transform,
      // What the reader did, not what was asked: AnnData comes back transposed by default.
      transposed: imported.transposed,
    });
    if (!result.existing && featureTable !== undefined) {
      storeFeatureTable(ctx, result.dataset.id, featureTable, imported.displayName);
    }
    return result;
  })();
  const warnings = [...imported.warnings];
  if (!stored.existing && featureTable !== undefined) {
    warnings.push(
      `feature annotations kept from ${featureTable.source.slice(1)}: ${featureTable.columns.map((c) => c.name).join(', ')}`,
    );
  }
  return { ...stored, warnings };
}

/** Imports a file on disk (CLI, file associations). Nothing is stored unless the whole read succeeds. */
export async function importDatasetFile(
  ctx: ServiceContext,
  path: string,
  options: ImportOptions,
  control: { signal?: AbortSignal; onProgress?: ReadOptions['onProgress']; displayName?: string } = {},
): Promise<{ dataset: DatasetSummary; existing: boolean; warnings: string[] }> {
  return storeImported(ctx, await readImportFile(path, options, control), options);
}

/**
 * Maps reader errors onto API errors that name the user's file (never a staging path). Location
 * fields that are not known are left out. A file too large to hold in memory (an allocation the
 * runtime refuses) is bad input too, named as such, never an internal error.
 */
export function toServiceError(error: unknown, displayName: string): Error {
  if (error instanceof ImportError) {
    const location: ErrorLocation = { file: displayName };
    if (error.line !== undefined) location.line = error.line;
    if (error.row !== undefined) location.row = error.row;
    if (error.column !== undefined) location.column = error.column;
    if (error.value !== undefined) location.value = error.value;
    if (error.datasetPath !== undefined) location.path = error.datasetPath;
    if (error.rowName !== undefined) location.rowName = error.rowName;
    if (error.columnName !== undefined) location.columnName = error.columnName;
    if (error.problemCount > 1) {
      const list = error.problems.map((problem) => ({
        message: problem.message,
        location: problemLocation(problem.location, displayName),
      }));
      return new ServiceError('bad_input', error.message, location, { list, count: error.problemCount });
    }
    return new ServiceError('bad_input', error.message, location);
  }
  if (
    error instanceof RangeError &&
    /allocation|Invalid (typed )?array length|Invalid string length|out of memory/i.test(error.message)
  ) {
    return new ServiceError(
      'bad_input',
      `${escapeText(displayName)}: is too large to hold in memory (${error.message})`,
      { file: displayName },
    );
  }
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'ImportCancelledError')) {
    return new ServiceError('cancelled', `import of ${displayName} cancelled`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** A listed problem's place, named by the user's file (never a staging path). */
function problemLocation(where: ImportErrorLocation, displayName: string): ErrorLocation {
  const location: ErrorLocation = { file: displayName };
  if (where.line !== undefined) location.line = where.line;
  if (where.row !== undefined) location.row = where.row;
  if (where.column !== undefined) location.column = where.column;
  if (where.value !== undefined) location.value = where.value;
  if (where.datasetPath !== undefined) location.path = where.datasetPath;
  if (where.rowName !== undefined) location.rowName = where.rowName;
  if (where.columnName !== undefined) location.columnName = where.columnName;
  return location;
}

/**
 * Stages an upload in a private folder under a fixed name (see staging.ts), runs `use` on it, and
 * removes it. Bytes in memory are written out; a file the server already streamed to disk is moved
 * in; a file sent in pieces (uploads.ts) is used where it was staged and consumed. Error messages
 * name the user's file, never the staging path.
 */
export async function withStagedUpload<T>(
  ctx: ServiceContext,
  fileName: string,
  sent: Uint8Array | StagedFile | UploadRef,
  use: (path: string) => Promise<T>,
): Promise<T> {
  if (!(sent instanceof Uint8Array || sent instanceof StagedFile)) {
    // Already on disk under its fixed name, in a folder of its own: nothing is copied.
    const taken = await takeUpload(ctx, sent, fileName);
    try {
      return await use(taken.file.path);
    } catch (error) {
      throw withoutPath(error, taken.file.path, fileName);
    } finally {
      await rm(taken.dir, { recursive: true, force: true });
    }
  }
  const dir = await mkdtemp(join(ctx.app.tempDir, 'upload-'));
  const path = join(dir, stagedFileName(fileName));
  try {
    if (sent instanceof StagedFile) {
      try {
        await rename(sent.path, path);
      } catch {
        await copyFile(sent.path, path);
      }
    } else {
      await writeFile(path, sent);
    }
    return await use(path);
  } catch (error) {
    throw withoutPath(error, path, fileName);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Like `withStagedUpload`, except that a file sent in pieces is read where it is staged and left
 * there (`readUpload`): a preview reads the upload the import will then consume.
 */
export async function withUploadRead<T>(
  ctx: ServiceContext,
  fileName: string,
  sent: Uint8Array | StagedFile | UploadRef,
  use: (path: string) => Promise<T>,
): Promise<T> {
  if (sent instanceof Uint8Array || sent instanceof StagedFile)
    return withStagedUpload(ctx, fileName, sent, use);
  return readUpload(ctx, sent, fileName, async (path) => {
    try {
      return await use(path);
    } catch (error) {
      throw withoutPath(error, path, fileName);
    }
  });
}

/**
 * The same error with every mention of the staging file — its path, or its fixed name, which the
 * readers use in their messages — replaced by the user's file name.
 */
function withoutPath(error: unknown, path: string, fileName: string): unknown {
  if (!(error instanceof Error)) return error;
  const stagedName = basename(path);
  const escaped = stagedName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const bareName = new RegExp(`(?<![\\w./\\\\-])${escaped}(?![\\w.-])`, 'g');
  // The user's name goes into a one-line message: its control and bidi characters are escaped.
  const shown = escapeText(fileName);
  const replace = (text: string): string =>
    text
      .split(path)
      .join(shown)
      .replace(bareName, () => shown);
  const message = replace(error.message);
  if (message === error.message) return error;
  if (error instanceof ServiceError) {
    const location = error.location
      ? { ...error.location, ...(error.location.file ? { file: replace(error.location.file) } : {}) }
      : undefined;
    // Listed problems name no file (the message names it once), but keep them: they are the point.
    const problems =
      error.problems === undefined
        ? undefined
        : {
            count: error.problems.count,
            list: error.problems.list.map((problem) => ({
              message: replace(problem.message),
              ...(problem.location
                ? {
                    location: {
                      ...problem.location,
                      ...(problem.location.file ? { file: replace(problem.location.file) } : {}),
                    },
                  }
                : {}),
            })),
          };
    return new ServiceError(error.code, message, location, problems);
  }
  const copy = new Error(message);
  copy.name = error.name;
  return copy;
}

export async function importUpload(
  ctx: ServiceContext,
  request: ParsedRequestOf<'datasets:import'>,
): Promise<{ dataset: DatasetSummary; existing: boolean; warnings: string[] }> {
  const controller = new AbortController();
  const importId = request.importId;
  if (importId) ctx.imports.set(importId, controller);
  try {
    return await withStagedUpload(ctx, request.file.fileName, request.file.bytes, (path) =>
      importDatasetFile(ctx, path, request, {
        signal: controller.signal,
        displayName: request.file.fileName,
        onProgress: importId
          ? (progress) => ctx.events.emit('datasets:importProgress', { importId, ...progress })
          : undefined,
      }),
    );
  } finally {
    // Only this import's entry: a later import may have reused the id meanwhile.
    if (importId && ctx.imports.get(importId) === controller) ctx.imports.delete(importId);
  }
}

export function cancelImport(ctx: ServiceContext, importId: string): { cancelled: boolean } {
  const controller = ctx.imports.get(importId);
  controller?.abort();
  return { cancelled: controller !== undefined };
}

export async function inspectUpload(
  ctx: ServiceContext,
  request: ParsedRequestOf<'datasets:inspect'>,
): Promise<FilePreview> {
  // A preview does not consume a file sent in pieces: the import reads the same staged file.
  return withUploadRead(ctx, request.file.fileName, request.file.bytes, async (path) => {
    try {
      const preview = await inspectMatrixFile(path, { maxRows: request.maxRows, maxCols: request.maxRows });
      // The preview is square (maxRows × maxRows): wide enough to judge orientation either way.
      return { ...preview, fileName: request.file.fileName };
    } catch (error) {
      throw toServiceError(error, request.file.fileName);
    }
  });
}

export function renameDatasetById(ctx: ServiceContext, id: number, name: string): DatasetSummary {
  if (!renameDataset(ctx.db, id, name)) throw new ServiceError('not_found', `dataset ${id} does not exist`);
  ctx.events.emit('library:changed', { what: 'datasets', id });
  return getDatasetSummary(ctx, id);
}

/**
 * Deletes a dataset with its runs and sweeps. Its fits and sweeps still computing in this process
 * are cancelled first (they would otherwise compute on for nothing); one computed by another
 * process finds its rows gone, and its guarded completion stores nothing.
 */
export function deleteDatasetById(ctx: ServiceContext, id: number): { deleted: number; runsDeleted: number } {
  const unfinished = (table: 'runs' | 'sweeps'): number[] =>
    (
      ctx.db
        .prepare(`SELECT id FROM ${table} WHERE dataset_id = ? AND state IN ('queued', 'running')`)
        .all(id) as Array<{ id: number }>
    ).map((r) => r.id);
  for (const runId of unfinished('runs')) ctx.jobs.cancel('run', runId);
  for (const sweepId of unfinished('sweeps')) ctx.jobs.cancel('sweep', sweepId);
  const result = deleteDataset(ctx.db, id);
  if (!result.deleted) throw new ServiceError('not_found', `dataset ${id} does not exist`);
  ctx.events.emit('library:changed', { what: 'datasets', id });
  return result;
}
