import { resolve } from 'node:path';
import type { Dataset, File as H5File, Group } from 'h5wasm/node';
import type h5wasmModule from 'h5wasm/node';
import type { CsrMatrix, DataMatrix } from '../../shared/linalg/matrix';
import { dense } from '../../shared/linalg/matrix';
import { canonicalizeCsr, MAX_DENSE_VALUES, MAX_DIMENSION, MAX_NNZ } from './assemble';
import type { ImportErrorLocation } from './errors';
import { importError, quoteValue, valueError } from './errors';
import { compressedRefusal, fileSize, isGzipFile, openForReading, yieldToEventLoop } from './source';
import type { ReadProgress } from './types';
import { checkValue } from './values';

type H5wasm = typeof h5wasmModule;

let loading: Promise<H5wasm> | null = null;

/**
 * Loads h5wasm once. Emscripten's environment check mistakes a process that defines `navigator`
 * (Electron's main process, Node ≥ 21) for a browser, so `navigator` is hidden while the module
 * initialises, as h5wasm's README prescribes.
 */
export function loadH5wasm(): Promise<H5wasm> {
  loading ??= (async () => {
    const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    const hide = descriptor?.configurable === true;
    if (hide) Object.defineProperty(globalThis, 'navigator', { value: undefined, configurable: true });
    try {
      const module = await import('h5wasm/node');
      const runtime = await module.default.ready;
      // HDF5 prints its error stack to stderr by default (twenty-odd lines before any message of
      // ours); with h5wasm's throwing handler the stack becomes the message of a thrown Error
      // instead, which hdf5Failure turns into a one-line refusal.
      runtime.activate_throwing_error_handler();
      return module.default;
    } finally {
      if (hide && descriptor) Object.defineProperty(globalThis, 'navigator', descriptor);
    }
  })();
  return loading;
}

const SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** True when the file carries the HDF5 signature (at 0 or after a user block of 512·2ⁿ bytes). */
export async function isHdf5File(path: string): Promise<boolean> {
  const size = await fileSize(path);
  const handle = await openForReading(path);
  try {
    const probe = Buffer.alloc(8);
    for (let offset = 0; offset + 8 <= size; offset = offset === 0 ? 512 : offset * 2) {
      await handle.read(probe, 0, 8, offset);
      if (probe.equals(SIGNATURE)) return true;
      if (offset >= 1 << 20) break;
    }
    return false;
  } finally {
    await handle.close();
  }
}

/**
 * An HDF5 library error (h5wasm throws the error stack as the message, see loadH5wasm) as a
 * one-line refusal naming the file and the innermost failure (`H5Dread(): can't read data`);
 * ImportErrors and cancellations pass through.
 */
export function hdf5Failure(file: string, error: unknown): unknown {
  if (error instanceof Error && (error.name === 'ImportError' || error.name === 'AbortError')) return error;
  const text = error instanceof Error ? error.message : String(error);
  if (!/HDF5|H5[A-Z]/.test(text) && !(error instanceof WebAssembly.RuntimeError)) return error;
  const steps = [...text.matchAll(/ in (H5\w*)\(\): ([^\n]*)/g)];
  const last = steps[steps.length - 1];
  const detail = last === undefined ? text.split('\n')[0] : `${last[1]}(): ${last[2].trim()}`;
  const cut = /truncated file: eof = (\d+),.*stored_eof = (\d+)/.exec(detail);
  if (cut !== null) {
    return importError(
      { file },
      `is truncated: it has ${cut[1]} bytes, but its HDF5 superblock says ${cut[2]} (an interrupted download or copy?)`,
    );
  }
  return importError({ file }, `cannot be read as HDF5, corrupt or truncated? (${detail})`);
}

/** Opens an HDF5 file read-only; a file HDF5 cannot open is refused in one line (hdf5Failure). */
export async function openHdf5(path: string): Promise<H5File> {
  const file = path;
  const size = await fileSize(path);
  if (size === 0) throw importError({ file }, 'is empty');
  if (!(await isHdf5File(path))) {
    if (await isGzipFile(path)) throw compressedRefusal(file);
    throw importError({ file }, 'is not an HDF5 file (no HDF5 signature)');
  }
  const h5 = await loadH5wasm();
  let handle: H5File;
  try {
    handle = new h5.File(resolve(path), 'r');
  } catch (error) {
    throw hdf5Failure(file, error);
  }
  if (handle.file_id < 0n) throw importError({ file }, 'cannot be opened as HDF5');
  return handle;
}

/**
 * Largest expansion assumed for a compressed HDF5 dataset: deflate's limit (about 1032 : 1; RFC
 * 1951 codes a run of 258 bytes in as little as 2 bits). Other codecs h5wasm reads are no better.
 */
export const MAX_COMPRESSION_RATIO = 1032;

/** HDF5 filters that do not compress (shuffle, Fletcher-32 checksums). */
const NON_COMPRESSING_FILTERS = new Set([2, 3]);

/**
 * Refuses a dataset whose declared shape the file cannot hold, before anything is read: its bytes
 * (elements × element size) may not exceed the file size, times MAX_COMPRESSION_RATIO when a
 * compression filter is set. HDF5 lets a dataset declare any shape and reads never-written chunks
 * as fill values, so a 10 kB file can declare terabytes. Returns the element count.
 */
export function checkDeclaredSize(ds: Dataset, location: ImportErrorLocation, totalBytes: number): number {
  const shape = ds.shape ?? [];
  let elements = 1;
  for (const n of shape) elements *= n;
  const compressed = ds.filters.some((f) => !NON_COMPRESSING_FILTERS.has(f.id));
  const capacity = totalBytes * (compressed ? MAX_COMPRESSION_RATIO : 1);
  const bytes = elements * ds.metadata.size;
  if (!(bytes <= capacity)) {
    throw importError(
      location,
      `declares shape [${shape.join(', ')}] (${bytes} bytes), more than the file's ${totalBytes} bytes can hold${compressed ? ` even compressed ${MAX_COMPRESSION_RATIO} : 1` : ''}`,
    );
  }
  return elements;
}

/** Refuses a declared dimension beyond MAX_DIMENSION (or not a count) before anything is allocated. */
export function checkDimensions(shape: readonly number[], location: ImportErrorLocation): void {
  for (const n of shape) {
    if (!(Number.isSafeInteger(n) && n >= 0 && n <= MAX_DIMENSION)) {
      throw importError(
        { ...location, value: String(n) },
        `declares shape [${shape.join(', ')}]: at most ${MAX_DIMENSION} rows or columns are accepted`,
      );
    }
  }
}

/**
 * checkDimensions for the shape of a matrix, which must also hold something: an X of shape
 * [0, n] (AnnData's after every cell was filtered out) has nothing to factor.
 */
export function checkMatrixShape(shape: readonly number[], location: ImportErrorLocation): void {
  checkDimensions(shape, location);
  if (shape.some((n) => n === 0)) {
    throw importError(location, `declares shape [${shape.join(', ')}]: an empty matrix`);
  }
}

export function isGroup(entity: unknown): entity is Group {
  return typeof entity === 'object' && entity !== null && (entity as { type?: unknown }).type === 'Group';
}

export function isDataset(entity: unknown): entity is Dataset {
  return typeof entity === 'object' && entity !== null && (entity as { type?: unknown }).type === 'Dataset';
}

/** A string attribute, or null when absent or not a string. */
export function stringAttr(node: Group | Dataset, name: string): string | null {
  if (!node.attrs[name]) return null;
  const value = node.attrs[name].value;
  return typeof value === 'string' ? value : null;
}

/** An integer-vector attribute (shape), or null. */
export function numbersAttr(node: Group | Dataset, name: string): number[] | null {
  if (!node.attrs[name]) return null;
  const value = node.attrs[name].value;
  if (value instanceof BigInt64Array || value instanceof BigUint64Array) return Array.from(value, Number);
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value)) return value.map(Number);
  return null;
}

type NumericChunk = ArrayLike<number>;

/** Refuses datasets whose element type is not an integer or float NMF can use. */
export function checkNumericDtype(ds: Dataset, location: ImportErrorLocation): void {
  const meta = ds.metadata;
  const ok = (meta.type === 0 && meta.size <= 8) || (meta.type === 1 && (meta.size === 4 || meta.size === 8));
  if (!ok) {
    throw importError(
      { ...location, value: String(ds.dtype) },
      `has unsupported element type ${quoteValue(String(ds.dtype))} (integers or float32/float64)`,
    );
  }
}

/** Elements [start, end) of a 1-D dataset (or rows [start, end) of a 2-D one) as numbers. */
function readSlice(ds: Dataset, start: number, end: number, twoD = false): NumericChunk {
  const value = twoD ? ds.slice([[start, end], []]) : ds.slice([[start, end]]);
  if (value instanceof BigInt64Array || value instanceof BigUint64Array)
    return Float64Array.from(value, Number);
  if (ArrayBuffer.isView(value)) return value as unknown as NumericChunk;
  throw new TypeError(`unexpected slice of ${ds.path}`);
}

function length1d(ds: Dataset): number {
  const shape = ds.shape ?? [];
  return shape.length === 1 ? shape[0] : shape.reduce((a, b) => a * b, 1);
}

/** Elements per chunk read from HDF5: keeps h5wasm's heap small and lets progress flow. */
const CHUNK = 1 << 20;

export interface HdfReadContext {
  file: string;
  signal?: AbortSignal;
  onProgress?: (p: ReadProgress) => void;
  totalBytes: number;
}

/**
 * A compressed sparse matrix stored as data/indices/indptr: `major` is the dimension indptr runs
 * over (rows for CSR, columns for CSC), `minor` the one indices point into.
 */
export interface CompressedSparse {
  group: Group;
  /** Path of the group in the file, for messages (`/X`). */
  path: string;
  major: number;
  minor: number;
  /** True when the major dimension is the stored rows (CSR); false for CSC. */
  majorIsRow: boolean;
}

function datasetIn(group: Group, name: string, ctx: HdfReadContext, groupPath: string): Dataset {
  const entity = group.get(name);
  if (!isDataset(entity))
    throw importError({ file: ctx.file, datasetPath: groupPath }, `has no ${name} dataset`);
  return entity;
}

/**
 * Reads a compressed sparse matrix into CSR. With `rowsAreMajor` the result's rows are the major
 * dimension (data copied through); otherwise the result's rows are the minor dimension, built by a
 * two-pass counting scatter that reads the data in chunks and never holds another copy.
 */
export async function readCompressedSparse(
  sparse: CompressedSparse,
  rowsAreMajor: boolean,
  ctx: HdfReadContext,
): Promise<CsrMatrix> {
  const { file } = ctx;
  const { group, path, major, minor } = sparse;
  const indptrDs = datasetIn(group, 'indptr', ctx, path);
  const indicesDs = datasetIn(group, 'indices', ctx, path);
  const dataDs = datasetIn(group, 'data', ctx, path);
  const at = (name: string): ImportErrorLocation => ({ file, datasetPath: `${path}/${name}` });
  checkNumericDtype(indptrDs, at('indptr'));
  checkNumericDtype(indicesDs, at('indices'));
  checkNumericDtype(dataDs, at('data'));
  checkDimensions([major, minor], { file, datasetPath: path });
  for (const [ds, name] of [
    [indptrDs, 'indptr'],
    [indicesDs, 'indices'],
    [dataDs, 'data'],
  ] as const) {
    checkDeclaredSize(ds, at(name), ctx.totalBytes);
  }

  const ptrLength = length1d(indptrDs);
  if (ptrLength !== major + 1) {
    throw importError(
      at('indptr'),
      `has ${ptrLength} entries, expected ${major + 1} (one more than the ${major} ${sparse.majorIsRow ? 'rows' : 'columns'} of the shape)`,
    );
  }
  const nnz = length1d(indicesDs);
  if (length1d(dataDs) !== nnz) {
    throw importError(at('data'), `has ${length1d(dataDs)} entries, but ${path}/indices has ${nnz}`);
  }
  if (nnz > MAX_NNZ) throw importError(at('data'), `has ${nnz} entries, more than ${MAX_NNZ} can be held`);
  const indptr = Float64Array.from(readSlice(indptrDs, 0, ptrLength));
  if (indptr[0] !== 0)
    throw importError({ ...at('indptr'), value: String(indptr[0]) }, `starts at ${indptr[0]}, not 0`);
  for (let t = 1; t <= major; t++) {
    if (indptr[t] < indptr[t - 1]) {
      throw importError(
        { ...at('indptr'), value: String(indptr[t]) },
        `decreases at entry ${t} (0-based): ${indptr[t - 1]} then ${indptr[t]}`,
      );
    }
  }
  if (indptr[major] !== nnz) {
    throw importError(at('indptr'), `ends at ${indptr[major]}, but ${path}/indices has ${nnz} entries`);
  }
  if (nnz > MAX_NNZ) throw importError(at('data'), `has ${nnz} entries, more than ${MAX_NNZ} can be held`);

  /** Stored (row, column), 1-based, of the k-th entry whose minor index is m. */
  const position = (k: number, m: number): { row: number; column: number } => {
    let lo = 0;
    let hi = major - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (indptr[mid] <= k) lo = mid;
      else hi = mid - 1;
    }
    return sparse.majorIsRow ? { row: lo + 1, column: m + 1 } : { row: m + 1, column: lo + 1 };
  };
  const checkIndex = (m: number, k: number): void => {
    if (!(m >= 0 && m < minor && Number.isInteger(m))) {
      throw importError(
        { ...at('indices'), value: String(m) },
        `entry ${k} (0-based) is ${m}, outside 0..${minor - 1}`,
      );
    }
  };
  const totalWork = rowsAreMajor ? nnz : 2 * nnz;
  let done = 0;
  const step = async (n: number): Promise<void> => {
    done += n;
    ctx.onProgress?.({
      bytesRead: Math.round((ctx.totalBytes * done) / Math.max(1, totalWork)),
      totalBytes: ctx.totalBytes,
      phase: 'reading',
    });
    await yieldToEventLoop();
    ctx.signal?.throwIfAborted();
  };

  const outRows = rowsAreMajor ? major : minor;
  const outCols = rowsAreMajor ? minor : major;
  // Shared memory, as a fit's lease of V is (db/queries/datasets.ts readDatasetMatrix): a command
  // that stores the matrix and then fits it hands these very arrays to the fit's worker instead of
  // reading the stored copy back beside them (cli/common.ts leaseImported).
  const outPtr = new Int32Array(new SharedArrayBuffer(4 * (outRows + 1)));
  const outIndices = new Int32Array(new SharedArrayBuffer(4 * nnz));
  const outData = new Float64Array(new SharedArrayBuffer(8 * nnz));

  if (rowsAreMajor) {
    for (let t = 0; t <= major; t++) outPtr[t] = indptr[t];
    for (let start = 0; start < nnz; start += CHUNK) {
      const end = Math.min(nnz, start + CHUNK);
      const idx = readSlice(indicesDs, start, end);
      const val = readSlice(dataDs, start, end);
      for (let t = 0; t < end - start; t++) {
        const k = start + t;
        const m = idx[t];
        checkIndex(m, k);
        const v = checkValue(val[t]);
        if (v < 0) throw valueError({ ...at('data'), ...position(k, m), value: String(val[t]) }, v);
        outIndices[k] = m;
        outData[k] = v;
      }
      await step(end - start);
    }
  } else {
    // Transpose by counting sort over two passes of the file, in blocks of CHUNK entries: the
    // first counts each result row's entries (the minor indices), the second places them. Only the
    // result is ever whole in memory.
    for (let start = 0; start < nnz; start += CHUNK) {
      const end = Math.min(nnz, start + CHUNK);
      const idx = readSlice(indicesDs, start, end);
      for (let t = 0; t < end - start; t++) {
        const m = idx[t];
        // One comparison for "an integer in 0..minor-1" on the common path; checkIndex names a bad one.
        if (!(m >>> 0 === m && m < minor)) checkIndex(m, start + t);
        outPtr[m + 1]++;
      }
      await step(end - start);
    }
    for (let r = 0; r < outRows; r++) outPtr[r + 1] += outPtr[r];
    const next = outPtr.slice(0, outRows);
    const scatter = new BucketScatter(outRows, Math.min(CHUNK, nnz));
    let owner = 0;
    for (let start = 0; start < nnz; start += CHUNK) {
      const end = Math.min(nnz, start + CHUNK);
      const idx = readSlice(indicesDs, start, end);
      const val = readSlice(dataDs, start, end);
      scatter.begin(idx, end - start);
      for (let t = 0; t < end - start; t++) {
        const k = start + t;
        while (indptr[owner + 1] <= k) owner++;
        const raw = val[t];
        // NaN (missing) passes; negative and infinite values are refused where they are.
        if (raw < 0 || raw === Infinity) {
          const m = idx[t];
          throw valueError({ ...at('data'), ...position(k, m), value: String(raw) }, checkValue(raw));
        }
        scatter.add(idx[t], owner, raw + 0);
      }
      scatter.flush(next, outIndices, outData);
      await step(end - start);
    }
  }
  return canonicalizeCsr({
    kind: 'csr',
    rows: outRows,
    cols: outCols,
    indptr: outPtr,
    indices: outIndices,
    data: outData,
  });
}

/**
 * The second pass of a transpose by counting sort, for one block of entries at a time. Placing each
 * entry straight at its result row's cursor writes to as many places at once as the result has
 * rows (thousands of genes, each a different memory page), which is slow on caches and TLBs; the
 * entries are first grouped by blocks of 2⁶ result rows into scratch arrays (a stable counting
 * sort, so each row still receives its entries in file order), then placed block by block, where
 * only 64 rows are written at a time. Same result, entry for entry, as placing them directly.
 */
class BucketScatter {
  private static readonly SHIFT = 6;
  private readonly starts: Int32Array;
  private readonly cursor: Int32Array;
  private readonly rows: Int32Array;
  private readonly cols: Int32Array;
  private readonly values: Float64Array;
  private count = 0;

  constructor(outRows: number, capacity: number) {
    const buckets = (outRows >> BucketScatter.SHIFT) + 1;
    this.starts = new Int32Array(buckets + 1);
    this.cursor = new Int32Array(buckets);
    this.rows = new Int32Array(capacity);
    this.cols = new Int32Array(capacity);
    this.values = new Float64Array(capacity);
  }

  /** Counts the block's entries per bucket from their result rows (`rows[0..n)`, already checked). */
  begin(rows: ArrayLike<number>, n: number): void {
    const { starts, cursor } = this;
    const shift = BucketScatter.SHIFT;
    starts.fill(0);
    for (let t = 0; t < n; t++) starts[(rows[t] >> shift) + 1]++;
    for (let b = 0; b < cursor.length; b++) starts[b + 1] += starts[b];
    cursor.set(starts.subarray(0, cursor.length));
    this.count = n;
  }

  /** Entry (row, col, value), in file order. */
  add(row: number, col: number, value: number): void {
    const q = this.cursor[row >> BucketScatter.SHIFT]++;
    this.rows[q] = row;
    this.cols[q] = col;
    this.values[q] = value;
  }

  /** Places the block's entries at their rows' cursors (`next`, advanced). */
  flush(next: Int32Array, outIndices: Int32Array, outData: Float64Array): void {
    const { rows, cols, values } = this;
    for (let q = 0; q < this.count; q++) {
      const dest = next[rows[q]]++;
      outIndices[dest] = cols[q];
      outData[dest] = values[q];
    }
    this.count = 0;
  }
}

/** Reads a 2-D dataset into a dense matrix, transposed on the fly when asked. */
export async function readDenseDataset(
  ds: Dataset,
  datasetPath: string,
  transpose: boolean,
  ctx: HdfReadContext,
): Promise<DataMatrix> {
  const { file } = ctx;
  const shape = ds.shape ?? [];
  if (shape.length !== 2) {
    throw importError(
      { file, datasetPath },
      `is ${shape.length}-D (shape [${shape.slice(0, 4).join(', ')}${shape.length > 4 ? ', …' : ''}]); a matrix must be 2-D`,
    );
  }
  checkNumericDtype(ds, { file, datasetPath });
  checkDimensions(shape, { file, datasetPath });
  checkDeclaredSize(ds, { file, datasetPath }, ctx.totalBytes);
  const [rows, cols] = shape;
  if (rows * cols > MAX_DENSE_VALUES) {
    throw importError(
      { file, datasetPath },
      `holds ${rows} × ${cols} values, more than the ${MAX_DENSE_VALUES} a dense matrix can hold`,
    );
  }
  const out = new Float64Array(rows * cols);
  const outCols = transpose ? rows : cols;
  const rowsPerChunk = Math.max(1, Math.floor(CHUNK / Math.max(1, cols)));
  for (let r0 = 0; r0 < rows; r0 += rowsPerChunk) {
    const r1 = Math.min(rows, r0 + rowsPerChunk);
    const chunk = readSlice(ds, r0, r1, true);
    for (let i = r0; i < r1; i++) {
      const base = (i - r0) * cols;
      for (let j = 0; j < cols; j++) {
        const raw = chunk[base + j];
        const v = checkValue(raw);
        if (v < 0) throw valueError({ file, datasetPath, row: i + 1, column: j + 1, value: String(raw) }, v);
        out[transpose ? j * outCols + i : i * outCols + j] = v;
      }
    }
    ctx.onProgress?.({
      bytesRead: Math.round((ctx.totalBytes * r1) / Math.max(1, rows)),
      totalBytes: ctx.totalBytes,
      phase: 'reading',
    });
    await yieldToEventLoop();
    ctx.signal?.throwIfAborted();
  }
  return dense(transpose ? cols : rows, transpose ? rows : cols, out);
}

/**
 * A 1-D dataset of strings (or numbers, stringified), e.g. names: its first `limit` elements when
 * given, else all of them after checking its declared size against the file and, when given,
 * against the `expected` count.
 */
export function readStrings(
  ds: Dataset,
  ctx: HdfReadContext,
  datasetPath: string,
  options: { limit?: number; expected?: number } = {},
): string[] {
  const location = { file: ctx.file, datasetPath };
  const length = length1d(ds);
  const { limit, expected } = options;
  if (limit === undefined) {
    checkDimensions([length], location);
    checkDeclaredSize(ds, location, ctx.totalBytes);
    if (expected !== undefined && length !== expected) {
      throw importError(location, `has ${length} names, expected ${expected}`);
    }
  }
  const value = limit === undefined ? ds.value : ds.slice([[0, Math.min(limit, length)]]);
  if (Array.isArray(value)) return value.map((v) => String(v));
  if (value instanceof BigInt64Array || value instanceof BigUint64Array) return Array.from(value, String);
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>, String);
  if (typeof value === 'string') return [value];
  throw importError({ file: ctx.file, datasetPath }, 'does not hold names (strings)');
}
