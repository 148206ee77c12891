/**
 * Sweeps, consensus runs and projections planned against the memory budget, as single runs are
 * (memory-plan.ts): pure, so the forms' estimates, the services' checks at creation and at start,
 * and the tests share one count.
 *
 * What such a job holds, read from the code that runs it:
 *  - V once per process: the library's matrix is leased once (matrix-cache.ts) in
 *    SharedArrayBuffer-backed arrays that the pool's workers read without copying;
 *  - per fit running at once (one per pool thread, at most `parallel`): the fit's own arrays
 *    (`fitBytes`), the result it posts back (W normalised, labels, kept factors), and what the
 *    job builds from V for it — a shuffled copy for a baseline fit (crossval.ts
 *    `shuffleWithinRows`), a masked copy and the fold assignment or sample for a CV fold
 *    (a CSR V's copy of its stored entries with the held-out zeros' columns, row by row, beside it,
 *    `maskFoldApart`, for β = 1 and 2; else `maskFold`, which stores them as NaN, built in
 *    JavaScript arrays before its typed copy for full folds), the training and held-out
 *    columns for a sample fold (sample-cv.ts `selectDataColumns`);
 *  - what the job gathers besides: a sweep's decoded results and its consensus matrix (computed on
 *    at most CONSENSUS_MAX_SAMPLES samples, so O(min(n, 2000)²), not O(n²)); a cNMF consensus's
 *    replicate W's of a rank (held by the service, posted to a worker, pooled there); a
 *    projection's matched rows of V, copied to the worker (not shared).
 *
 * Over the budget, a job whose fits can run fewer at once is adapted (the pool runs at most
 * `parallel` of its fits at a time; the rest wait); when even one fit at a time does not fit, it is
 * refused with the sizes, the budget and what to change.
 */
import { describeBytes, fitBytes, matrixBytes, type PlannedDataset, type PlannedFit } from './memory-plan';

export type JobMemoryMode = 'in-memory' | 'adapted' | 'refused';

/** One fit of a sweep as the plan needs it (a structural subset of analysis/types.ts SweepJob). */
export interface PlannedSweepJob {
  rank: number;
  kind: 'replicate' | 'fold' | 'consensus' | 'sample-fold';
  baseline: boolean;
  cv: { folds: number; holdout?: number } | null;
  screen: { starts: number } | null;
  keepFactors: boolean;
}

export interface JobMemoryPlan {
  mode: JobMemoryMode;
  budgetBytes: number;
  /** V as held in memory, once per process. */
  matrixBytes: number;
  /** The largest fit's bytes besides V (its arrays, the copies built for it, its result). */
  fitBytes: number;
  /** Bytes held once besides V and the fits (gathered results, consensus matrices, copies). */
  sharedBytes: number;
  /** Fits the job would run at once on the pool as it stands (pool size, or fewer jobs). */
  poolParallel: number;
  /** Fits the plan lets run at once (poolParallel, fewer when adapted; 0 when refused). */
  parallel: number;
  /** What the job holds at most with `parallel` fits at once (with poolParallel when refused). */
  peakBytes: number;
  /** Why, in words (shown with the estimate; the error when refused; the provenance when adapted). */
  reason: string;
}

/** Samples the sweep's consensus matrix is computed on at most (analysis/consensus.ts CONSENSUS_MAX_SAMPLES). */
const CONSENSUS_SAMPLES = 2000;
/**
 * What a fit adds in its worker besides its arrays: the engine's kernels instantiated (WebAssembly
 * memory, compiled code) and the worker's heap, which grows with the garbage its fits leave before
 * the collector runs. Measured on whole sweeps (scripts/measure/sweep-memory.ts): 16 MiB a worker
 * left the plan 2–14 % under the peak with large copies of V and 39 % under on 1000 × 300 with CV
 * folds, where the workers' heaps are most of it; with 32 MiB the plan is within −10 % … +19 % of
 * all three (README, "Sweeps under a memory budget").
 */
export const WORKER_FIXED_BYTES = 32 * 2 ** 20;
/**
 * Copies of V a fit builds (a baseline's shuffled copy, a fold's masked copy, a sample fold's
 * columns) counted twice: they are freed by the collector, which in a worker running one job after
 * another may not have freed the previous job's copy when the next one is built. Measured: whole
 * sweeps with baseline fits held 1.7–1.8× what counting each copy once predicted.
 */
const COPIES_HELD = 2;
/**
 * READ_BYTES_NOTE: reading V from the library (chunk by chunk into one shared array) leaves the
 * chunks' buffers to the collector, so V counts once more besides the job's fits.
 */
/** Bytes per held-out entry of a CV fold besides the masked copy (see sweepJobBytes). */
const HELD_ENTRY_BYTES = 40;
/** Entries above which a sweep's CV holds out a sample of entries (analysis/crossval.ts CV_FULL_MAX_ENTRIES). */
const CV_FULL_ENTRIES = 2 ** 23;

/**
 * Bytes of a copy of V built in JavaScript arrays and then copied to typed arrays (`maskFold`,
 * `selectDataColumns` on CSR): 8 bytes an element in each of two growing arrays (up to 1.5× their
 * length) plus the 12-byte typed copy, for `entries` stored entries.
 */
function builtCsrBytes(entries: number, rows: number): number {
  return 36 * entries + 4 * (rows + 1);
}

/**
 * A sweep's fit settings as the plan needs them: a single fit's, and the β of the loss (default
 * 1), which decides how a CSR fold's held-out zeros are masked (analysis/sweep-job.ts
 * `foldMissingApart`).
 */
export type SweepPlannedFit = Omit<PlannedFit, 'rank' | 'parallel'> & { beta?: number };

/**
 * The bytes one sweep job holds besides V: the fit's arrays at its rank, plus what runSweepJob
 * builds for it (see the top of this file), plus its result.
 *
 * @param fit the sweep's fit settings (rank taken from the job)
 */
export function sweepJobBytes(dataset: PlannedDataset, job: PlannedSweepJob, fit: SweepPlannedFit): number {
  const m = dataset.rows;
  const n = dataset.cols;
  const k = job.rank;
  const V = matrixBytes(dataset);
  let bytes = WORKER_FIXED_BYTES + fitBytes(dataset, { ...fit, rank: k, parallel: 1 }, false);
  // The result posted back: normalised W, labels, and W, H with the trace when kept; a screened
  // fit also keeps the best start's W and H while the next starts run.
  bytes += 8 * (m * k + n) + (job.keepFactors ? 8 * (m + n) * k : 0);
  if (job.screen !== null && job.screen.starts > 1) bytes += 8 * (m + n) * k;
  // The shuffled copy of V (and the row permutation and scatter slots).
  if (job.baseline) bytes += COPIES_HELD * (V + 12 * n);
  if (job.kind === 'fold' && job.cv !== null) {
    const folds = job.cv.folds;
    const entries = m * n;
    const sampled = entries > CV_FULL_ENTRIES;
    // Held out over all folds (cvFoldsFor: every entry, or a sample; with `holdout`, h·mn per fold).
    const heldInAll = Math.min(
      sampled ? CV_FULL_ENTRIES : entries,
      job.cv.holdout !== undefined ? Math.round(entries * folds * job.cv.holdout) : Infinity,
    );
    // Held out per fold; the fold assignment (full: a byte an entry) or the sample's positions
    // (8 bytes) and fold numbers (1 byte), each job drawing its own.
    const held = Math.ceil(heldInAll / folds);
    const assignment = sampled ? 9 * heldInAll + 8 * held : entries;
    // β = 1 and 2 (`maskFoldApart`): V's stored entries copied to typed arrays and the held-out
    // zeros' columns row by row (Int32: 4 bytes each, at most `held`, and m + 1 row pointers);
    // other β (`maskFold`): every held-out zero stored as a NaN entry besides V's.
    const beta = fit.beta ?? 1;
    const masked =
      dataset.layout === 'dense'
        ? 8 * entries
        : beta === 1 || beta === 2
          ? 12 * dataset.nnz + 8 * (m + 1) + 4 * held
          : sampled
            ? 12 * (dataset.nnz + held) + 4 * (m + 1)
            : builtCsrBytes(dataset.nnz + held, m);
    // The fit's scan lists each missing entry's column and row (two Int32 indexes, by row and by
    // column: nmf/data.ts prepareData), and the trimmed held-out score keeps a heap of the largest
    // errors: ~40 bytes a held entry, measured when a CSR scan still gathered the entries in two
    // JavaScript arrays before its Int32 indexes (it now fills them in place), so a bound.
    bytes += COPIES_HELD * masked + assignment + HELD_ENTRY_BYTES * held;
  }
  if (job.kind === 'sample-fold') {
    // Training and held-out columns together are one more copy of V, built in JavaScript arrays.
    bytes += COPIES_HELD * (dataset.layout === 'dense' ? 8 * m * n : builtCsrBytes(dataset.nnz, m));
  }
  return bytes;
}

/**
 * Bytes a sweep gathers besides its fits: every job's decoded result when it is summarised (W
 * normalised and the labels; the kept replicates' W and H) and the consensus matrix of a rank on at
 * most 2000 samples with its distances (three s × s arrays); and V's chunks as read from the
 * library, held until the collector frees them (one more V: see READ_BYTES_NOTE).
 */
export function sweepSharedBytes(dataset: PlannedDataset, jobs: readonly PlannedSweepJob[]): number {
  const m = dataset.rows;
  const n = dataset.cols;
  let results = 0;
  for (const job of jobs) results += 8 * (job.rank * m + n) + (job.keepFactors ? 8 * (m + n) * job.rank : 0);
  const s = Math.min(n, CONSENSUS_SAMPLES);
  return results + 3 * 8 * s * s + matrixBytes(dataset);
}

/** The settings that change a job's plan, in words for its message. */
interface JobWords {
  /** "sweep", "consensus", "projection". */
  what: string;
  /** How to shrink it: "fewer replicates or folds, ...". */
  advice: string;
}

/**
 * The plan of a job whose fits take `fitBytesList` each (any `parallel` of them may run together:
 * the largest are counted) besides V and `sharedBytes`, on a pool of `poolSize` threads;
 * `aloneBytes`: a step that runs by itself after the fits (a consensus's build of each rank).
 */
export function planJobMemory(
  dataset: PlannedDataset,
  fitBytesList: readonly number[],
  sharedBytes: number,
  poolSize: number,
  budgetBytes: number,
  words: JobWords,
  aloneBytes = 0,
): JobMemoryPlan {
  const V = matrixBytes(dataset);
  const sorted = [...fitBytesList].sort((a, b) => b - a);
  const poolParallel = Math.max(1, Math.min(poolSize, sorted.length));
  const largest = Math.max(sorted[0] ?? 0, aloneBytes);
  const peakWith = (parallel: number): number => {
    let fits = 0;
    for (let t = 0; t < parallel && t < sorted.length; t++) fits += sorted[t];
    return V + sharedBytes + Math.max(fits, aloneBytes);
  };
  const budget = describeBytes(budgetBytes);
  const held = `V takes ${describeBytes(V)} in memory (once, shared by the fits)${sharedBytes > 0 ? `, the ${words.what} ${describeBytes(sharedBytes)} besides` : ''} and its largest fit ${describeBytes(largest)}`;
  const base = { budgetBytes, matrixBytes: V, fitBytes: largest, sharedBytes, poolParallel };
  const full = peakWith(poolParallel);
  if (full <= budgetBytes)
    return {
      ...base,
      mode: 'in-memory',
      parallel: poolParallel,
      peakBytes: full,
      reason: `${held}: ${poolParallel} fit(s) at once hold ${describeBytes(full)} at most, within the memory budget of ${budget}.`,
    };
  let parallel = poolParallel - 1;
  while (parallel >= 1 && peakWith(parallel) > budgetBytes) parallel--;
  if (parallel >= 1)
    return {
      ...base,
      mode: 'adapted',
      parallel,
      peakBytes: peakWith(parallel),
      reason:
        `${held}: ${poolParallel} fits at once would hold ${describeBytes(full)}, over the memory budget of ${budget}, ` +
        `so ${parallel === 1 ? 'one fit runs' : `${parallel} fits run`} at a time (${describeBytes(peakWith(parallel))} at most); the others wait.`,
    };
  return {
    ...base,
    mode: 'refused',
    parallel: 0,
    peakBytes: full,
    reason:
      `${held}: even one fit at a time holds ${describeBytes(peakWith(1))}, over the memory budget of ${budget}. ` +
      `${words.advice}, or raise the memory budget (Settings, --memory-budget or NMF_STUDIO_MEMORY_BUDGET).`,
  };
}

/** A sweep's plan: its jobs (analysis/sweep-plan.ts planSweep) on a pool of `poolSize` threads. */
export function planSweepMemory(
  dataset: PlannedDataset,
  jobs: readonly PlannedSweepJob[],
  fit: SweepPlannedFit,
  poolSize: number,
  budgetBytes: number,
): JobMemoryPlan {
  return planJobMemory(
    dataset,
    jobs.map((job) => sweepJobBytes(dataset, job, fit)),
    sweepSharedBytes(dataset, jobs),
    poolSize,
    budgetBytes,
    {
      what: 'sweep',
      advice:
        dataset.layout === 'dense'
          ? 'Lower the largest rank, drop the shuffled baseline or the CV folds (each holds a copy of V), or import the data as sparse'
          : 'Lower the largest rank, drop the shuffled baseline or the CV folds (each holds a copy of V), or use the minibatch solver',
    },
  );
}

/** A cNMF consensus as the plan needs it. */
export interface PlannedConsensus {
  fromRank: number;
  toRank: number;
  replicates: number;
  fit: Omit<PlannedFit, 'rank' | 'parallel'>;
}

/**
 * A cNMF consensus's plan. Replicate fits run on the pool (each its arrays and W posted back);
 * then each rank in turn is built: its R replicate W's (m × k) read by the service, posted to a
 * worker (a copy) and pooled there (a third), clustered, and H refitted on the consensus W (one
 * fit). The build follows the replicates and runs alone.
 */
export function planConsensusMemory(
  dataset: PlannedDataset,
  consensus: PlannedConsensus,
  poolSize: number,
  budgetBytes: number,
): JobMemoryPlan {
  const m = dataset.rows;
  const fits: number[] = [];
  for (let k = consensus.fromRank; k <= consensus.toRank; k++) {
    const one =
      WORKER_FIXED_BYTES + fitBytes(dataset, { ...consensus.fit, rank: k, parallel: 1 }, false) + 8 * m * k;
    for (let r = 0; r < consensus.replicates; r++) fits.push(one);
  }
  const k = consensus.toRank;
  const build =
    WORKER_FIXED_BYTES +
    3 * 8 * consensus.replicates * m * k +
    fitBytes(dataset, { ...consensus.fit, rank: k, parallel: 1 }, false);
  return planJobMemory(
    dataset,
    fits,
    matrixBytes(dataset),
    poolSize,
    budgetBytes,
    { what: 'consensus', advice: 'Lower the largest rank or the replicates per rank' },
    build,
  );
}

/**
 * A projection's plan: one fit of H with W held, on the new dataset's rows that match the run's
 * features (copied out of V by the service, then copied again to the worker), so V once, the
 * matched rows twice and the fit's arrays.
 *
 * @param matchedRows rows of V that match the run's features (at most V's rows)
 */
export function planProjectionMemory(
  dataset: PlannedDataset,
  matchedRows: number,
  rank: number,
  budgetBytes: number,
): JobMemoryPlan {
  const share = dataset.rows > 0 ? matchedRows / dataset.rows : 0;
  const matched: PlannedDataset = {
    ...dataset,
    rows: matchedRows,
    nnz: Math.ceil(dataset.nnz * share),
  };
  const fit = fitBytes(matched, { rank, solver: 'mu', init: 'custom', parallel: 1 }, false);
  return planJobMemory(
    dataset,
    [WORKER_FIXED_BYTES + fit + 2 * matrixBytes(matched)],
    matrixBytes(dataset),
    1,
    budgetBytes,
    {
      what: 'projection',
      advice: 'Project fewer samples at a time (split the dataset)',
    },
  );
}
