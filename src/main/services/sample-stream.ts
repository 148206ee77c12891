import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { Db } from '../db/connection';
import { CHUNK_BYTES, CorruptChunkError } from '../db/queries/datasets';
import type { PreparedData } from '../../shared/nmf/data';
import { MemoryAccount } from '../../shared/nmf/batch-source';
import { batchOffsets, SAMPLE_FILE_ENTRY_BYTES, type SampleFileSpec } from './sample-file';

/**
 * Makes the sample-major copy of a CSR dataset that a streamed minibatch fit reads
 * (sample-file.ts), from the library's row-major chunks, in memory bounded by `bufferBytes` plus
 * O(m + n) counts, never holding V:
 *   pass 1 reads the `indices` part chunk by chunk and counts the entries of each sample, which
 *          gives each batch's size and place in the file;
 *   pass 2 reads `indptr`, `indices` and `values` chunk by chunk in V's row-major order and appends
 *          each entry to its batch's buffer, writing a buffer to its batch's runs in the file when
 *          full (so each batch receives its entries in row-major order, which the reader relies
 *          on). The same pass scans V as `prepareData` does — observed count, sum in the same
 *          order, first negative, infinite and zero entry — so the fit needs no other look at V.
 * Disk: 16 bytes per stored entry. The caller removes the file (`removeSampleFile`) on every
 * outcome. Cooperative: yields to the event loop between blocks of entries, reports progress
 * (entries done of 2·nnz) and stops with `SampleStreamCancelledError` when `isCancelled`.
 */
export interface SampleStreamOptions {
  dir: string;
  batchSize: number;
  /** Bytes for the batches' write buffers and counts (at least 16 entries a batch are kept). */
  bufferBytes: number;
  isCancelled?: () => boolean;
  onProgress?: (done: number, total: number) => void;
  memory?: MemoryAccount;
}

/** The copy made, with what the scan of V found. */
export interface SampleStreamResult {
  spec: SampleFileSpec;
  checks: Pick<PreparedData, 'negative' | 'infinite' | 'zero'>;
  /** Bytes the copy's making held at most (counts, buffers, library chunks), as its account counts them. */
  peakBytes: number;
}

export class SampleStreamCancelledError extends Error {
  constructor() {
    super('cancelled while copying V sample by sample');
    this.name = 'SampleStreamCancelledError';
  }
}

/** Entries handled between two yields to the event loop. */
const ENTRIES_PER_YIELD = 1 << 18;

/** Elements read from the library per block (chunks are 8 MiB; this is 1 Mi entries). */
const BLOCK = 1 << 20;

/** The dataset as the copy needs it. */
export interface StreamedDatasetRow {
  id: number;
  name: string;
  rows: number;
  cols: number;
  nnz: number;
  layout: 'dense' | 'csr';
}

/**
 * Reads one part of a dataset's chunks in order, a block of elements at a time, checking each
 * chunk's CRC-32 as `readDatasetMatrix` does. Chunks are fetched one by one by their sequence
 * number (no open iterator, so two parts can be read side by side on one connection), and may have
 * any length (an element may straddle two chunks).
 */
class PartReader {
  private seq = 0;
  private chunk: Uint8Array = new Uint8Array(0);
  private at = 0;
  private readonly select;

  constructor(
    private readonly db: Db,
    private readonly dataset: StreamedDatasetRow,
    private readonly part: 'indptr' | 'indices' | 'values',
  ) {
    this.select = db.prepare(
      'SELECT data, checksum FROM dataset_chunks WHERE dataset_id = ? AND part = ? AND seq = ?',
    );
  }

  /** Fills `target`'s first `count` elements with the part's next ones. */
  read(target: Int32Array | Float64Array, count: number): void {
    const bytes = new Uint8Array(target.buffer, target.byteOffset, count * target.BYTES_PER_ELEMENT);
    let done = 0;
    while (done < bytes.length) {
      if (this.at >= this.chunk.length) this.next();
      const take = Math.min(bytes.length - done, this.chunk.length - this.at);
      bytes.set(this.chunk.subarray(this.at, this.at + take), done);
      this.at += take;
      done += take;
    }
  }

  private next(): void {
    const row = this.select.get(this.dataset.id, this.part, this.seq) as
      { data: Buffer; checksum: number | null } | undefined;
    if (row === undefined || row.checksum === null || crc32(row.data) !== row.checksum)
      throw new CorruptChunkError(this.dataset.id, this.dataset.name, this.part, this.seq);
    this.chunk = new Uint8Array(row.data.buffer, row.data.byteOffset, row.data.byteLength);
    this.at = 0;
    this.seq++;
  }
}

function pause(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A fresh name for a copy in `dir`. */
export function sampleFilePath(dir: string): string {
  return join(dir, `nmf-studio-stream-${process.pid}-${randomBytes(6).toString('hex')}.bin`);
}

/** Removes a copy (nothing if it is already gone). */
export function removeSampleFile(path: string): void {
  rmSync(path, { force: true });
}

/** Writes the sample-major copy of `dataset` (see the top of this file). */
export async function writeSampleFile(
  db: Db,
  dataset: StreamedDatasetRow,
  options: SampleStreamOptions,
): Promise<SampleStreamResult> {
  if (dataset.layout !== 'csr')
    throw new Error(`dataset ${dataset.id} is stored dense; only CSR datasets are streamed`);
  const { rows: m, cols: n, nnz } = dataset;
  const b = Math.min(options.batchSize, n);
  const batches = Math.ceil(n / b);
  const memory = options.memory ?? new MemoryAccount();
  const total = 2 * nnz;
  let done = 0;
  const step = async (entries: number): Promise<void> => {
    const before = Math.floor(done / ENTRIES_PER_YIELD);
    done += entries;
    if (Math.floor(done / ENTRIES_PER_YIELD) !== before) {
      options.onProgress?.(done, total);
      await pause();
      if (options.isCancelled?.() === true) throw new SampleStreamCancelledError();
    }
  };

  // Pass 1: the entries of each batch, from the samples of the stored entries.
  const blockIndices = new Int32Array(Math.min(BLOCK, Math.max(nnz, 1)));
  const blockValues = new Float64Array(blockIndices.length);
  memory.hold('copy: read blocks', blockIndices.byteLength + blockValues.byteLength);
  // One library chunk per part being read (indptr, then indices and values side by side).
  memory.hold('copy: library chunks', 2 * CHUNK_BYTES);
  const counts = new Array<number>(batches).fill(0);
  const countsPerBatch = new Float64Array(batches);
  memory.hold('copy: entries per batch', countsPerBatch.byteLength);
  {
    const reader = new PartReader(db, dataset, 'indices');
    for (let p = 0; p < nnz; p += blockIndices.length) {
      const count = Math.min(blockIndices.length, nnz - p);
      reader.read(blockIndices, count);
      for (let q = 0; q < count; q++) {
        const j = blockIndices[q];
        if (!(j >= 0 && j < n))
          throw new Error(`dataset ${dataset.id}: stored column index ${j} outside 0..${n - 1}`);
        countsPerBatch[(j / b) | 0]++;
      }
      await step(count);
    }
    for (let g = 0; g < batches; g++) counts[g] = countsPerBatch[g];
  }
  const offsets = batchOffsets(counts);

  // Pass 2: scatter into per-batch buffers, flushed to the batch's runs when full.
  // `bufferBytes` covers the entries' buffers and each batch's fill and written counts (12 bytes).
  const capacity = Math.max(
    16,
    Math.floor((options.bufferBytes - 12 * batches) / (SAMPLE_FILE_ENTRY_BYTES * batches)),
  );
  const bufSamples = new Int32Array(capacity * batches);
  const bufFeatures = new Int32Array(capacity * batches);
  const bufValues = new Float64Array(capacity * batches);
  const filled = new Int32Array(batches);
  const written = new Float64Array(batches);
  memory.hold(
    'copy: batch write buffers',
    bufSamples.byteLength +
      bufFeatures.byteLength +
      bufValues.byteLength +
      filled.byteLength +
      written.byteLength,
  );
  const indptr = new Int32Array(m + 1);
  memory.hold('copy: row pointers', indptr.byteLength);
  const path = sampleFilePath(options.dir);
  const fd = openSync(path, 'w');
  const writeRun = (
    array: Int32Array | Float64Array,
    from: number,
    count: number,
    position: number,
  ): void => {
    const bytes = new Uint8Array(
      array.buffer,
      array.byteOffset + from * array.BYTES_PER_ELEMENT,
      count * array.BYTES_PER_ELEMENT,
    );
    let at = 0;
    while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at, position + at);
  };
  const flush = (g: number): void => {
    const count = filled[g];
    if (count === 0) return;
    const base = g * capacity;
    const start = offsets[g];
    const entries = counts[g];
    const before = written[g];
    writeRun(bufSamples, base, count, start + 4 * before);
    writeRun(bufFeatures, base, count, start + 4 * entries + 4 * before);
    writeRun(bufValues, base, count, start + 8 * entries + 8 * before);
    written[g] = before + count;
    filled[g] = 0;
  };
  let sum = 0;
  let missing = 0;
  let negative: PreparedData['negative'] = null;
  let infinite: PreparedData['infinite'] = null;
  let zero: PreparedData['zero'] = null;
  try {
    new PartReader(db, dataset, 'indptr').read(indptr, m + 1);
    if (indptr[0] !== 0 || indptr[m] !== nnz)
      throw new Error(`dataset ${dataset.id}: stored CSR matrix is inconsistent`);
    const indices = new PartReader(db, dataset, 'indices');
    const values = new PartReader(db, dataset, 'values');
    let blockStart = 0;
    let blockEnd = 0;
    let row = 0;
    let expected = 0;
    for (let p = 0; p < nnz; p++) {
      if (p === blockEnd) {
        await step(blockEnd - blockStart);
        blockStart = p;
        const count = Math.min(blockIndices.length, nnz - p);
        indices.read(blockIndices, count);
        values.read(blockValues, count);
        blockEnd = p + count;
      }
      while (p >= indptr[row + 1]) {
        // Row `row` ends: its unstored zeros after the last stored entry (prepareData's order).
        if (zero === null && expected < n) zero = { i: row, j: expected };
        row++;
        expected = 0;
      }
      const j = blockIndices[p - blockStart];
      const v = blockValues[p - blockStart];
      if (zero === null && j > expected) zero = { i: row, j: expected };
      expected = j + 1;
      // prepareData's `inspect`, in its order.
      if (v !== v) missing++;
      else {
        if (v < 0 && negative === null) negative = { i: row, j, v };
        if (!Number.isFinite(v)) {
          if (infinite === null) infinite = { i: row, j, v };
        } else {
          if (v === 0 && zero === null) zero = { i: row, j };
          sum += v;
        }
      }
      const g = (j / b) | 0;
      const at = g * capacity + filled[g];
      bufSamples[at] = j - g * b;
      bufFeatures[at] = row;
      bufValues[at] = v;
      if (++filled[g] === capacity) flush(g);
    }
    await step(blockEnd - blockStart);
    for (; row < m; row++) {
      if (zero === null && expected < n) zero = { i: row, j: expected };
      expected = 0;
    }
    for (let g = 0; g < batches; g++) flush(g);
  } catch (error) {
    closeSync(fd);
    removeSampleFile(path);
    throw error;
  } finally {
    memory.release('copy: read blocks');
    memory.release('copy: library chunks');
    memory.release('copy: entries per batch');
    memory.release('copy: batch write buffers');
    memory.release('copy: row pointers');
  }
  closeSync(fd);
  options.onProgress?.(total, total);
  return {
    spec: { path, m, n, batchSize: b, counts, observed: m * n - missing, sum },
    checks: { negative, infinite, zero },
    peakBytes: memory.peakBytes,
  };
}
