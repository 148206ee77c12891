import type { DataMatrix } from '../../shared/linalg/matrix';
import type { FitOptionsInput, FitResult } from '../../shared/nmf/types';
import type {
  ConsensusComponents,
  ConsensusComponentsOptions,
  FitSurvey,
  SweepJob,
  SweepJobResult,
} from '../../shared/analysis';
import type { DenseMatrix } from '../../shared/linalg/matrix';
import type { PreparedData } from '../../shared/nmf/data';
import type { SampleFileSpec } from '../services/sample-file';

/**
 * Messages between the pool (main thread) and `nmf.worker`, discriminated by `type` and keyed by job id.
 *
 *   host → worker   start   { jobId, task, cancelFlag }
 *   worker → host   progress { jobId, iteration, maxIter, loss, elapsedMs }   (throttled, a few per second)
 *                   done     { jobId, result }
 *                   error    { jobId, error: { name, message, stack } }
 *
 * The data matrix is backed by SharedArrayBuffer, so posting it shares rather than copies it.
 * `cancelFlag` is an Int32Array(1) over a SharedArrayBuffer; the worker reads it with Atomics.load
 * inside the iteration loop, and the host sets it to 1 to cancel.
 */

/** One fit (best of `replicates` replicates, started as the engine's `replicateStart` says). */
export interface FitTask {
  kind: 'fit';
  matrix: DataMatrix;
  options: FitOptionsInput;
  replicates: number;
  /**
   * Threads the fit may use (a kernel team, see kernel-team.ts); default 1. Capped by the machine's
   * cores, and used only for dense data large enough to gain. The result is the same either way.
   */
  threads?: number;
}

/** One job of a rank sweep (see src/shared/analysis). */
export interface SweepJobTask {
  kind: 'sweep-job';
  matrix: DataMatrix;
  job: SweepJob;
  /**
   * Names V's contents (e.g. its dataset's hash) so a worker may keep the row-shuffled copy of V
   * from one baseline job to the next (sweep-job-cache.ts); without it every baseline job shuffles anew.
   */
  matrixKey?: string;
  /** Leave the data replicates' log-likelihood and Pearson dispersion to a `sweep-statistics` task (SweepJobOptions). */
  deferReplicateStatistics?: boolean;
}

/** The log-likelihood, Pearson dispersion and survey measures of one data replicate from its factors (`replicateStatistics`). */
export interface SweepStatisticsTask {
  kind: 'sweep-statistics';
  matrix: DataMatrix;
  job: SweepJob;
  /** m × k */
  W: DenseMatrix;
  /** k × n */
  H: DenseMatrix;
}

/** cNMF's consensus components from replicate W's (see src/shared/analysis/cnmf.ts): O(P²·m) work, kept off the main thread. */
export interface ConsensusComponentsTask {
  kind: 'consensus-components';
  replicates: DenseMatrix[];
  options: ConsensusComponentsOptions;
}

/**
 * One minibatch fit (one replicate) streaming V from a sample-major file on disk instead of holding
 * it (src/main/services/streamed-fit.ts); its result is a `fit` result with the bytes it held.
 */
export interface StreamedFitTask {
  kind: 'streamed-fit';
  file: SampleFileSpec;
  /** What the copy's scan of V found (checked as a fit checks V). */
  checks: Pick<PreparedData, 'negative' | 'infinite' | 'zero'>;
  options: FitOptionsInput;
}

export type WorkerTask =
  FitTask | SweepJobTask | SweepStatisticsTask | ConsensusComponentsTask | StreamedFitTask;

export interface FitTaskResult {
  kind: 'fit';
  best: FitResult;
  bestSeed: number;
  /** Losses of every replicate, in seed order. */
  replicateLosses: number[];
  /** Threads the fit's kernels ran on (1 unless a kernel team split some of its calls). */
  threads?: number;
  /** A streamed fit's account of the bytes it held (batch-source.ts MemoryAccount). */
  memory?: { peakBytes: number; items: Record<string, number> };
}

export interface SweepJobTaskResult {
  kind: 'sweep-job';
  result: SweepJobResult;
}

export interface SweepStatisticsTaskResult {
  kind: 'sweep-statistics';
  loglik: number | null;
  pearsonDispersion: number | null;
  survey: FitSurvey;
}

export interface ConsensusComponentsTaskResult {
  kind: 'consensus-components';
  result: ConsensusComponents;
}

export type WorkerTaskResult =
  FitTaskResult | SweepJobTaskResult | SweepStatisticsTaskResult | ConsensusComponentsTaskResult;

export interface StartMessage {
  type: 'start';
  jobId: number;
  task: WorkerTask;
  cancelFlag: Int32Array;
}

export interface ProgressMessage {
  type: 'progress';
  jobId: number;
  iteration: number;
  maxIter: number;
  /** NaN until the first convergence check. */
  loss: number;
  elapsedMs: number;
}

export interface DoneMessage {
  type: 'done';
  jobId: number;
  result: WorkerTaskResult;
}

export interface ErrorMessage {
  type: 'error';
  jobId: number;
  error: { name: string; message: string; stack?: string };
}

export type HostToWorker = StartMessage;
export type WorkerToHost = ProgressMessage | DoneMessage | ErrorMessage;

/** Milliseconds between progress messages from one job. */
export const PROGRESS_INTERVAL_MS = 250;
