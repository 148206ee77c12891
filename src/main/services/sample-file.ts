import { closeSync, openSync, readSync } from 'node:fs';
import type { CsrMatrix } from '../../shared/linalg/matrix';
import type { SampleBatchSource } from '../../shared/nmf/batch-source';
import type { PreparedData } from '../../shared/nmf/data';
import { batchMissingPattern, preparedBatch } from '../../shared/nmf/minibatch';

/**
 * A sample-major copy of a CSR V (m features × n samples) on disk, cut into the minibatch fit's
 * batches of `batchSize` samples, from which a fit streams V instead of holding it.
 *
 * Layout: batch g (samples [g·b, min((g+1)·b, n))) holds `counts[g]` stored entries at byte
 * `offsets[g]` = 16 × (entries of the batches before it), as three runs: the entries' sample
 * within the batch (int32), their feature (int32), their value (float64), little-endian. Within a
 * batch the entries are in V's row-major order (feature by feature, samples increasing), the order
 * in which the copy was written (sample-stream.ts); the reader sorts them by sample with a stable
 * counting sort, which gives each sample's features in increasing order — exactly the batch the
 * in-memory source cuts from V (minibatch.ts `csrBatches`), with its sum taken in the same order.
 */
export interface SampleFileSpec {
  path: string;
  /** Features (rows of V). */
  m: number;
  /** Samples (columns of V). */
  n: number;
  batchSize: number;
  /** Stored entries of each batch. */
  counts: number[];
  /** Observed (non-NaN) entries of V and their sum, in prepareData's (row-major) order. */
  observed: number;
  sum: number;
}

/** Bytes per stored entry in the file: sample (int32), feature (int32), value (float64). */
export const SAMPLE_FILE_ENTRY_BYTES = 16;

/** Bytes the reader holds for batches of at most `maxEntries` stored entries and `batchSize` samples. */
export function sampleFileReaderBytes(maxEntries: number, batchSize: number): number {
  // File runs (4 + 4 + 8) and the CSR batch (4 + 8) per entry; indptr and fill per sample.
  return 28 * maxEntries + 8 * (batchSize + 1);
}

/** The byte offset of each batch in the file. */
export function batchOffsets(counts: readonly number[]): number[] {
  const offsets: number[] = [];
  let offset = 0;
  for (const count of counts) {
    offsets.push(offset);
    offset += SAMPLE_FILE_ENTRY_BYTES * count;
  }
  return offsets;
}

/** A batch source reading `spec`'s file; `close` when done. */
export function openSampleFile(spec: SampleFileSpec): SampleBatchSource & { close(): void } {
  const { m, n, batchSize, counts } = spec;
  const offsets = batchOffsets(counts);
  const maxEntries = counts.reduce((a, b) => Math.max(a, b), 0);
  const fd = openSync(spec.path, 'r');
  const samples = new Int32Array(maxEntries);
  const features = new Int32Array(maxEntries);
  const values = new Float64Array(maxEntries);
  const indptr = new Int32Array(batchSize + 1);
  const fill = new Int32Array(batchSize);
  const indices = new Int32Array(maxEntries);
  const data = new Float64Array(maxEntries);
  const readRun = (target: Int32Array | Float64Array, bytes: number, position: number): void => {
    const view = new Uint8Array(target.buffer, target.byteOffset, bytes);
    let done = 0;
    while (done < bytes) {
      const got = readSync(fd, view, done, bytes - done, position + done);
      if (got === 0)
        throw new Error(`${spec.path}: ended at byte ${position + done}, expected ${bytes - done} more`);
      done += got;
    }
  };
  return {
    m,
    n,
    observed: spec.observed,
    sum: spec.sum,
    heldBytes: sampleFileReaderBytes(maxEntries, batchSize),
    batch(j0: number, j1: number): PreparedData {
      if (j0 % batchSize !== 0 || j1 !== Math.min(j0 + batchSize, n))
        throw new RangeError(`batch [${j0}, ${j1}) is not one of the file's batches of ${batchSize} samples`);
      const g = j0 / batchSize;
      const count = counts[g];
      const b = j1 - j0;
      const at = offsets[g];
      readRun(samples, 4 * count, at);
      readRun(features, 4 * count, at + 4 * count);
      readRun(values, 8 * count, at + 8 * count);
      indptr.fill(0, 0, b + 1);
      for (let q = 0; q < count; q++) indptr[samples[q] + 1]++;
      for (let r = 0; r < b; r++) indptr[r + 1] += indptr[r];
      fill.set(indptr.subarray(0, b));
      let sum = 0;
      let missing = 0;
      for (let q = 0; q < count; q++) {
        const place = fill[samples[q]]++;
        indices[place] = features[q];
        const v = values[q];
        data[place] = v;
        if (v === v) sum += v;
        else missing++;
      }
      const Vb: CsrMatrix = {
        kind: 'csr',
        rows: b,
        cols: m,
        indptr: indptr.subarray(0, b + 1),
        indices: indices.subarray(0, count),
        data: data.subarray(0, count),
      };
      let pattern = null;
      if (missing > 0) {
        // The batch's missing entries by sample, features increasing (the CSR order).
        const rowPtr = new Int32Array(b + 1);
        const cols = new Int32Array(missing);
        let c = 0;
        for (let r = 0; r < b; r++) {
          for (let p = indptr[r]; p < indptr[r + 1]; p++) if (data[p] !== data[p]) cols[c++] = indices[p];
          rowPtr[r + 1] = c;
        }
        pattern = batchMissingPattern(rowPtr, cols, b, m);
      }
      return preparedBatch(Vb, sum, pattern);
    },
    close(): void {
      closeSync(fd);
    },
  };
}
