/**
 * How a fit holds V under the memory budget, and what it will hold: pure, so the estimate, the
 * run's start and the tests share it (the budget itself is a per-machine setting,
 * src/main/services/memory-budget.ts).
 *
 * A fit holds V as the library stores it (CSR: 12 bytes a stored entry plus the row pointers;
 * dense: 8 bytes an entry) plus its own arrays. When that exceeds the budget:
 *  - a minibatch fit of a CSR dataset streams V: it first copies V sample by sample to a file on
 *    disk (in write buffers sized from the budget) and then reads one batch at a time, so it holds
 *    its factors, the online statistics and one batch, never V;
 *  - any other fit is refused, naming the sizes and suggesting the minibatch solver (full-batch
 *    updates touch all of V every iteration: streaming it would read V from disk a few times per
 *    iteration, tens of seconds each at 10⁶ cells).
 */

import { MINIBATCH_DEFAULTS } from '../nmf/defaults';

export type MemoryMode = 'in-memory' | 'streamed' | 'refused';

/** The dataset as the plan needs it. */
export interface PlannedDataset {
  rows: number;
  cols: number;
  nnz: number;
  layout: 'dense' | 'csr';
}

/** The fit as the plan needs it. */
export interface PlannedFit {
  rank: number;
  solver: 'mu' | 'hals' | 'als' | 'minibatch';
  init: string;
  batchSize?: number;
  /** Fits running at once (replicates side by side on the pool). */
  parallel: number;
}

export interface MemoryPlan {
  mode: MemoryMode;
  budgetBytes: number;
  /** V as held in memory. */
  matrixBytes: number;
  /** One fit's own arrays (factors, statistics, workspaces, its batch buffers). */
  fitBytes: number;
  /** What the run holds at most: V (in memory) or the copy's buffers (streamed), plus every fit running at once. */
  peakBytes: number;
  /** Streamed: bytes for the copy's write buffers. */
  copyBufferBytes: number;
  /** Why, in words (shown with the estimate; the error when refused). */
  reason: string;
}

/** Bytes of V as the library holds it in memory. */
export function matrixBytes(dataset: PlannedDataset): number {
  return dataset.layout === 'csr'
    ? 12 * dataset.nnz + 4 * (dataset.rows + 1)
    : 8 * dataset.rows * dataset.cols;
}

/**
 * Batch size when the fit names none: the one the fit itself then uses (`minibatchBatchSize` in
 * nmf/minibatch.ts, the refined schedule's 128), not scikit-learn's 1024, which overstated a
 * minibatch fit's batch buffers and workspace 8×.
 */
const DEFAULT_BATCH = MINIBATCH_DEFAULTS.batchSize;

/**
 * Stored entries of the fullest batch, estimated before the copy counts them: the average batch
 * with a 50 % margin (counts vary between samples; the fit's account reports what was held).
 */
function batchEntries(dataset: PlannedDataset, batch: number): number {
  const perSample = dataset.layout === 'csr' ? dataset.nnz / Math.max(dataset.cols, 1) : dataset.rows;
  return Math.ceil(1.5 * perSample * batch);
}

/**
 * One fit's own arrays. Minibatch (minibatch.ts): W, A, B and the previous W (m × k each), H
 * (n × k) and its k × n copy for the result, the batch workspace (2·b·k + 2·m·k + 3·m plus the
 * batch's entries), the batch itself (12 bytes an entry in memory; 28 when read from the file);
 * an NNDSVD start's SVD blocks (l = k + 10 columns: 3·(m + n)·l) come first and are let go, so
 * the larger of the two counts.
 * Full-batch: W and H with same-sized numerators, denominators and copies (4·(m + n)·k).
 */
export function fitBytes(dataset: PlannedDataset, fit: PlannedFit, streamed: boolean): number {
  const m = dataset.rows;
  const n = dataset.cols;
  const k = fit.rank;
  if (fit.solver !== 'minibatch') return 8 * (m * k + k * n) * 4;
  const b = Math.min(fit.batchSize ?? DEFAULT_BATCH, n);
  const entries = batchEntries(dataset, b);
  const factors = 8 * (4 * m * k + 2 * n * k);
  const workspace = 8 * (2 * b * k + 2 * m * k + 3 * m + entries);
  const batch = (streamed ? 28 : 12) * entries + 8 * (b + 1) + (streamed ? 0 : 4 * (n + m));
  const l = Math.min(k + 10, Math.min(m, n));
  // The start holds W, H and Hᵀ with the SVD's blocks; they are let go before the loop's arrays.
  const start = fit.init.startsWith('nndsvd') ? 8 * (m * k + 2 * n * k) + 8 * 3 * (m + n) * l : 0;
  return Math.max(start, factors + workspace + batch);
}

/** Fixed bytes of the copy besides its write buffers: read blocks, library chunks, counts. */
export function copyFixedBytes(dataset: PlannedDataset, batch: number): number {
  const batches = Math.ceil(dataset.cols / Math.max(1, Math.min(batch, dataset.cols)));
  return 12 * 2 ** 20 + 16 * 2 ** 20 + 8 * batches + 4 * (dataset.rows + 1);
}

/**
 * The largest write-buffer space the copy takes: at 10⁶ cells in batches of 1024 it still writes
 * ~4 800 entries (77 KB) per batch and buffer flush; more gives fewer, larger writes, not speed.
 */
export const COPY_BUFFER_MAX = 64 * 2 ** 20;

/** "1.4 GiB", "512 MiB": sizes in messages. */
export function describeBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** The plan of a fit of `dataset` under `budgetBytes` (see the top of this file). */
export function planFitMemory(dataset: PlannedDataset, fit: PlannedFit, budgetBytes: number): MemoryPlan {
  const V = matrixBytes(dataset);
  const parallel = Math.max(1, fit.parallel);
  const inMemoryFit = fitBytes(dataset, fit, false);
  const inMemory = V + parallel * inMemoryFit;
  const budget = describeBytes(budgetBytes);
  const what = `V takes ${describeBytes(V)} in memory and ${parallel === 1 ? 'the fit' : `${parallel} fits at once`} ${describeBytes(parallel * inMemoryFit)} more`;
  if (inMemory <= budgetBytes)
    return {
      mode: 'in-memory',
      budgetBytes,
      matrixBytes: V,
      fitBytes: inMemoryFit,
      peakBytes: inMemory,
      copyBufferBytes: 0,
      reason: `${what}: ${describeBytes(inMemory)}, within the memory budget of ${budget}, so V is held in memory.`,
    };
  const refused = (reason: string): MemoryPlan => ({
    mode: 'refused',
    budgetBytes,
    matrixBytes: V,
    fitBytes: inMemoryFit,
    peakBytes: inMemory,
    copyBufferBytes: 0,
    reason,
  });
  if (fit.solver !== 'minibatch')
    return refused(
      `${what}: ${describeBytes(inMemory)}, over the memory budget of ${budget}. ` +
        `Use the minibatch solver (solver minibatch), which streams V from the library batch by batch, ` +
        `or raise the memory budget (Settings, --memory-budget or NMF_STUDIO_MEMORY_BUDGET).`,
    );
  if (dataset.layout !== 'csr')
    return refused(
      `${what}: ${describeBytes(inMemory)}, over the memory budget of ${budget}, and this dataset is stored dense: ` +
        `only sparse (CSR) datasets are streamed. Raise the memory budget, or import the data as sparse.`,
    );
  const streamedFit = fitBytes(dataset, fit, true);
  const batch = Math.min(fit.batchSize ?? DEFAULT_BATCH, dataset.cols);
  const fixed = copyFixedBytes(dataset, batch);
  const batches = Math.ceil(dataset.cols / batch);
  const minimumBuffers = (16 * 16 + 12) * batches;
  const buffers = Math.min(COPY_BUFFER_MAX, Math.max(minimumBuffers, budgetBytes - fixed));
  const copy = fixed + buffers;
  const fits = parallel * streamedFit;
  const peak = Math.max(copy, fits);
  if (fits > budgetBytes || fixed + minimumBuffers > budgetBytes)
    return {
      ...refused(
        `${what}: ${describeBytes(inMemory)}, over the memory budget of ${budget}; streamed, V would not be held, ` +
          `but ${parallel === 1 ? 'the fit' : `${parallel} fits at once`} would still hold ${describeBytes(Math.max(fits, fixed + minimumBuffers))}. ` +
          `Lower the rank, the batch size or the replicates, or raise the memory budget.`,
      ),
      fitBytes: streamedFit,
    };
  return {
    mode: 'streamed',
    budgetBytes,
    matrixBytes: V,
    fitBytes: streamedFit,
    peakBytes: peak,
    copyBufferBytes: buffers,
    reason:
      `${what}: ${describeBytes(inMemory)}, over the memory budget of ${budget}, so V is streamed: ` +
      `copied sample by sample to a temporary file (${describeBytes(16 * dataset.nnz)} on disk) and read one batch ` +
      `at a time; the fit holds ${describeBytes(peak)} at most.`,
  };
}

/** Where the memory budget in force comes from (src/main/services/memory-budget.ts). */
export type MemoryBudgetSource = 'command line' | 'environment' | 'settings' | 'default';

/** The memory budget in force on this machine, as the Settings screen shows it. */
export interface MemoryBudgetView {
  bytes: number;
  source: MemoryBudgetSource;
  /** The default on this machine (half its physical memory). */
  defaultBytes: number;
  /** The machine's physical memory. */
  physicalBytes: number;
}

/** The smallest budget accepted: below it not even a small fit's buffers fit. */
export const MIN_MEMORY_BUDGET = 64 * 2 ** 20;

const SIZE_UNITS: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/**
 * Bytes of a SIZE: bytes, or a number with K, M, G or T (powers of 1024) and an optional "B" or
 * "iB" ("8G", "1.5GiB", "512M", "1000000"); null when the text is not one.
 */
export function parseSize(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(text);
  if (match === null) return null;
  const bytes = Math.floor(Number(match[1]) * SIZE_UNITS[match[2].toUpperCase()]);
  return Number.isSafeInteger(bytes) ? bytes : null;
}
