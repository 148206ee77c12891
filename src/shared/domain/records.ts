import type { AnnotationColumn } from '../analysis/annotations';
import type { ConsensusProvenance } from './consensus';
import type { RunParams, SweepParams, Transform } from './params';
import type { SweepRankMetrics } from './views';

/**
 * What the library holds, as the services hand it to the renderer and the CLI. These are domain
 * types; the database's row types (src/main/db) mirror the schema and are mapped onto these.
 */

export type MatrixLayout = 'dense' | 'csr';

export interface DatasetSummary {
  id: number;
  name: string;
  /** Features (m). */
  rows: number;
  /** Samples (n). */
  cols: number;
  /** Stored non-zero entries (missing entries count as stored). */
  nnz: number;
  /** Missing (NaN) entries. */
  missing: number;
  layout: MatrixLayout;
  /** SHA-256 of the stored matrix and names: a re-import of the same content is recognised. */
  hash: string;
  /** Source format (`tsv`, `mtx`, `h5ad`, `synthetic` …). */
  format: string;
  sourceName: string;
  transform: Transform;
  transposed: boolean;
  /** All observed values are integers: count data (KL is the natural loss). */
  integer: boolean;
  minValue: number;
  maxValue: number;
  /** Whether synthetic ground truth is stored with the dataset. */
  hasTruth: boolean;
  /** Bytes the matrix takes in the library. */
  sizeBytes: number;
  createdAt: string;
}

export interface DatasetDetail extends DatasetSummary {
  rowNames: string[];
  colNames: string[];
  /** The first rows × columns of V for a preview (NaN = missing). */
  preview: { rows: number; cols: number; values: Float64Array };
}

/** Ground truth of a synthetic dataset (CLI.md `synth` truth.json). W: m × k, H: k × n, row-major. */
export interface DatasetTruth {
  rank: number;
  W: Float64Array;
  H: Float64Array;
  /** Primary module (0-based) of each feature. */
  module: number[];
  moonlighting: Array<{ feature: string; index: number; modules: [number, number] }>;
}

export type RunState = 'queued' | 'running' | 'done' | 'cancelled' | 'failed' | 'interrupted';
export const finishedRunStates: readonly RunState[] = ['done', 'cancelled', 'failed', 'interrupted'];

export interface RunSummary {
  id: number;
  datasetId: number;
  datasetName: string;
  sweepId: number | null;
  state: RunState;
  params: RunParams;
  iterations: number | null;
  converged: boolean | null;
  loss: number | null;
  loglik: number | null;
  seconds: number | null;
  error: string | null;
  notes: string;
  tags: string[];
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** The user's name for the run (null: unnamed). */
  name: string | null;
  /** The user's names for the components, in order (null: c1..ck). */
  componentNames: string[] | null;
}

/** Everything needed to re-run a fit and get the same bits. */
export interface RunProvenance {
  appVersion: string;
  engineVersion: string;
  dataHash: string;
  params: RunParams;
  /** Seed of the replicate that was kept. */
  bestSeed: number | null;
  /** Final loss of every replicate, in seed order. */
  replicateLosses?: number[];
  /**
   * Where every replicate started, in seed order: the first as the parameters say, the others from
   * random factors with seeds seed + 1, … (the engine's `replicateStart`), and its final loss.
   */
  replicateStarts?: Array<{
    init: 'random' | 'nndsvd' | 'nndsvda' | 'nndsvdar' | 'custom';
    seed: number;
    loss: number;
  }>;
  warnings: string[];
  platform: string;
  /** Set for factors computed by another tool and imported: which tool, from which files. */
  importedFrom?: { tool: string; files: string[] };
  /** Set for a cNMF consensus run: which replicates, which threshold. */
  consensus?: ConsensusProvenance;
  /**
   * How the fit held V under the memory budget (memory-plan.ts): in memory or streamed from a
   * sample-major copy, the budget, the planned peak and, streamed, the bytes the copy and the fits
   * counted as held at most (MemoryAccount). A run stored by a sweep or consensus carries that
   * job's plan (job-memory-plan.ts): adapted when it ran `parallel` fits at once to stay in budget.
   */
  memory?: {
    mode: 'in-memory' | 'streamed' | 'adapted' | 'refused';
    /** Fits the job ran at once (sweeps and consensus runs). */
    parallel?: number;
    budgetBytes: number;
    plannedPeakBytes: number;
    accountedPeakBytes?: number;
    reason: string;
  };
  /**
   * Seconds from the kept fit's start to each point of its trace (same length as the trace): when
   * the fit reached each loss (the engine's `FitResult.traceSeconds`). Absent from runs stored
   * before it was recorded and from imported factors.
   */
  traceSeconds?: number[];
  /**
   * HALS iterations the kept fit's warm-up ran, recorded where the warm-up went on until HALS
   * settled (`params.warmupTol` > 0), so its length is not in the parameters.
   */
  warmupIterations?: number;
}

export interface RunDetail extends RunSummary {
  trace: Array<[number, number]>;
  /** m × k row-major, as fitted; null until the run is done. */
  W: Float64Array | null;
  /** k × n row-major, as fitted; null until the run is done. */
  H: Float64Array | null;
  rows: number;
  cols: number;
  featureNames: string[];
  /** The n sample names; empty when `hSummary` stands for H (its views name blocks of samples, not samples). */
  sampleNames: string[];
  provenance: RunProvenance | null;
  /**
   * What the Run screen draws of H, made in the main process, when H is too large to send (then H
   * is null; see shared/analysis/run-views.ts `summarisesH`). Absent when H is sent.
   */
  hSummary?: RunHSummary;
}

/** One sample order's views of a summarised H (shared/analysis/run-views.ts). */
export interface RunHOrderView {
  /** The H heat map: k × columns block maxima in this order (`blockMaxima`). */
  map: { values: Float64Array; columns: number; edges: Int32Array };
  /** The activation chart: per component, its min–max envelope in this order (`activationEnvelopes`). */
  envelopes: Array<{ x: Float64Array; y: Float64Array }>;
}

/** The coefficient map at figure resolution for one clustering (`coefficientMapBins`). */
export interface RunCoefficientBins {
  values: Float64Array;
  columns: number;
  /** Sample (index in the data) first in each block. */
  firstSamples: Int32Array;
  /** The cluster of each block's first sample. */
  firstClusters: Int32Array;
}

/**
 * The sample annotation tracks of a large run's binned coefficient maps (`runs:coefficientTracks`):
 * each column with one value per block of the map — a categorical column the block's first
 * sample's category, a numeric one the block's mean, named "<name> (block mean)" (shared
 * `blockTracks`). `consensus` is null when the map has no consensus grouping.
 */
export interface CoefficientTracks {
  dominant: AnnotationColumn[];
  consensus: AnnotationColumn[] | null;
}

/** H of a large run as the Run screen needs it: no k × n array (at most a few MB whatever n is). */
export interface RunHSummary {
  /** Samples per activation-chart bin: the chart's bins. */
  activationBins: number;
  /** Finite range of H, the heat map's colour scale. */
  range: { min: number; max: number };
  /** The views in each sample order the screen offers (clustering falls back to dominant at this size). */
  orders: { fitted: RunHOrderView; dominant: RunHOrderView };
  /** Samples whose dominant component in W·H is each component (k counts). */
  dominantCounts: number[];
  /** The coefficient map grouped by dominant component, and by the sweep's consensus clusters when it has them. */
  coefficients: { dominant: RunCoefficientBins; consensus: RunCoefficientBins | null };
}

export type SweepState = RunState;

export interface SweepSummary {
  id: number;
  datasetId: number;
  datasetName: string;
  state: SweepState;
  params: SweepParams;
  jobsDone: number;
  jobsTotal: number;
  recommended: number | null;
  criterion: string | null;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
}

/** Live progress of one job (a run, or one fit of a sweep). */
export interface JobProgress {
  kind: 'run' | 'sweep' | 'consensus' | 'projection';
  id: number;
  state: RunState;
  iteration: number;
  maxIter: number;
  /** Latest β-divergence (null before the first convergence check). */
  loss: number | null;
  elapsedMs: number;
  /** Estimated milliseconds left, from the iteration rate (null until measurable). */
  remainingMs: number | null;
  /** Sweeps: jobs finished and in all. */
  jobsDone?: number;
  jobsTotal?: number;
  /** Sweeps: the fit this event's iteration and loss belong to, e.g. "k = 8, fold 2 of 3". */
  fit?: string;
  /** Projections (job ids numbered per process): the run and dataset, the stored projection once done, the error if failed. */
  runId?: number;
  datasetId?: number;
  projectionId?: number;
  error?: string;
  /**
   * Sweeps: the criteria of each rank whose fits have all finished, in rank order, before the sweep
   * is over (no recommendation, no paired CV differences, no sample clusters: those come with the
   * summary at the end).
   */
  ranksDone?: SweepRankMetrics[];
}

export interface ImportProgress {
  importId: string;
  bytesRead: number;
  totalBytes: number;
  phase: string;
}

export interface LibraryStats {
  datasets: number;
  /** Runs the user started or imported (not those a sweep saved). */
  runs: number;
  /** Runs saved by sweeps (each rank's best replicate). */
  sweepRuns: number;
  sweeps: number;
  /** Size of the library file(s) on disk. */
  bytesOnDisk: number;
  path: string;
}

export interface AppInfo {
  name: string;
  version: string;
  engineVersion: string;
  /** Which numerical kernels fits use here, e.g. "native (avx2) and WebAssembly SIMD". */
  kernels: string;
  mode: 'electron' | 'browser';
  libraryPath: string;
  versions: Record<string, string>;
}
