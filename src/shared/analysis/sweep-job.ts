/**
 * One job of a rank sweep run to its result: the input built from the data (shuffled, masked),
 * the fit (screened over several starts for fold jobs), and what the summary reads from it.
 */
import type { DataMatrix } from '../linalg/matrix';
import { prepareData, type UnstoredMissing } from '../nmf/data';
import { defaultSolverFor, ENGINE_DEFAULTS } from '../nmf/defaults';
import { logLikelihoodOf } from '../nmf/divergence';
import { fitPrepared } from '../nmf/fit';
import { resolveWith } from '../nmf/options';
import { transpose } from '../linalg/ops';
import type { DenseMatrix } from '../linalg/matrix';
import type { FitHooks, FitOptionsInput, FitResult } from '../nmf/types';
import { normalizeColumns } from './alignment';
import { sampleLabels } from './consensus';
import { isIntegerData, pearsonDispersion } from './count-model';
import {
  cvFoldsFor,
  heldOutError,
  heldOutTrimmedError,
  maskFold,
  maskFoldApart,
  shuffleWithinRows,
} from './crossval';
import { SAMPLE_FOLD_KIND, runSampleFoldJob } from './sample-cv';
import { fitSurvey } from './survey';
import type { FitSurvey, SweepJob, SweepJobResult } from './types';
/**
 * Observed entries of V, stored or not: neither NaN nor among `unstoredMissing` (entries V does
 * not store that are missing, a fold's held-out zeros: see crossval.ts `MaskedFold`).
 */
function observedCount(V: DataMatrix, unstoredMissing: UnstoredMissing | undefined): number {
  let missing = unstoredMissing?.cols.length ?? 0;
  for (let t = 0; t < V.data.length; t++) if (Number.isNaN(V.data[t])) missing++;
  return V.rows * V.cols - missing;
}

/**
 * Whether a fold fit with these settings may take its held-out zeros as missing positions beside
 * a masked copy that stores only V's entries (crossval.ts `maskFoldApart`) rather than stored NaN
 * (`maskFold`): every pass of a β = 1 or β = 2 fit takes the missing entries from the scan's
 * pattern — the numerators' CSR passes skip stored NaN (adding their +0 is exact, so the sums
 * keep their bits without them), the denominators and the loss subtract the missing entries'
 * terms listed in row-major order, HALS and ALS sweep with the pattern's Gram corrections —, so
 * the fit's arrays and results are bit for bit those on the copy with the zeros stored as NaN.
 * The general-β passes (nmf/kernels/scalar/beta.ts `betaSparseRow`, the loss's Σ WH^β) tell a
 * missing entry by its stored NaN, so they keep the all-stored copy.
 */
export function foldMissingApart(fit: FitOptionsInput): boolean {
  const beta = fit.beta ?? ENGINE_DEFAULTS.beta;
  return beta === 1 || beta === 2;
}

/**
 * The job's fit: a single start, or (with `screen`) several starts run for a few iterations each,
 * the one with the lowest loss then continued from where it stopped (multiplicative and HALS
 * updates depend only on the current factors, so continuing is the same as never stopping).
 * `unstoredMissing`: entries of a CSR `input` it does not store that are missing (a fold's
 * held-out zeros, crossval.ts `MaskedFold`), passed to the one scan of `input` every start shares.
 */
export function screenedFit(
  input: DataMatrix,
  job: SweepJob,
  hooks: FitHooks,
  unstoredMissing?: UnstoredMissing,
): FitResult {
  // V is scanned (missing pattern, sums) once for the starts and the continued fit, as
  // `fitReplicates` does: `fitNmf` is exactly `fitPrepared` on the scan.
  const data = prepareData(input, undefined, unstoredMissing);
  const fitOn = (options: FitOptionsInput): FitResult => fitPrepared(data, resolveWith(options, data), hooks);
  if (job.screen === null || job.screen.starts <= 1) return fitOn(job.fit);
  const base = job.fit.seed ?? 0;
  const iterations = job.screen.iterations;
  // A screened multiplicative-update start never tests convergence (tol 0) and its trace is
  // dropped: only its last loss decides. Evaluating the loss at the end of the warm-up and of the
  // start instead of every `checkEvery` iterations leaves W, H and that loss as they were (the loss
  // is read, never fed back) and saves 38 of the 41 loss passes of a 400-iteration start with a
  // 200-iteration warm-up. Coordinate-descent solvers keep the default: their stopping guard
  // reads checkEvery.
  const lossOnlyAtEnd = (job.fit.solver ?? defaultSolverFor(job.fit.beta ?? 1)) === 'mu';
  let best: FitResult | null = null;
  let screened = 0;
  const started = Date.now();
  // A warm-up that runs until HALS settles (`warmupTol`) has no length known in advance: the start
  // then runs its warm-up and the same number of multiplicative updates after it as a fixed
  // warm-up's screen would (`iterations` − the warm-up), within the fit's own maxIter.
  // With `afterWarmup` (`cvScreenAfterWarmup`), every start runs that many after its warm-up, fixed
  // or settling, within the fit's own maxIter (whose half caps the warm-up, as in the kept fit).
  const warmup = job.fit.warmup ?? 0;
  const settling = lossOnlyAtEnd && warmup > 0 && (job.fit.warmupTol ?? 0) > 0;
  if (job.screen.afterWarmup !== undefined && !(lossOnlyAtEnd && warmup > 0)) {
    throw new RangeError(
      `fold job ${job.id}: a screen after the warm-up needs a warm-up before multiplicative updates`,
    );
  }
  const afterWarmup = job.screen.afterWarmup ?? (settling ? iterations - warmup : undefined);
  const budget =
    job.screen.afterWarmup !== undefined
      ? (job.fit.maxIter ?? ENGINE_DEFAULTS.maxIter)
      : settling
        ? (job.fit.maxIter ?? iterations)
        : iterations;
  for (let t = 0; t < job.screen.starts; t++) {
    const trial = fitOn({
      ...job.fit,
      seed: base + t,
      maxIter: budget,
      tol: 0,
      ...(afterWarmup !== undefined ? { iterationsAfterWarmup: afterWarmup } : {}),
      ...(lossOnlyAtEnd ? { checkEvery: budget } : {}),
    });
    screened += trial.iterations;
    if (best === null || trial.loss < best.loss) best = trial;
  }
  const kept = best!;
  const screenSeconds = (Date.now() - started) / 1000;
  // The kept start has had its warm-up during the screen; continuing needs none.
  const fit = fitOn({ ...job.fit, init: 'custom', W0: kept.W, H0: kept.H, warmup: 0 });
  return {
    ...fit,
    iterations: fit.iterations + screened,
    // The continued fit's trace, counted from the first screening iteration, and its times from
    // the start of the screen.
    trace: fit.trace.map(([iteration, loss]): [number, number] => [iteration + screened, loss]),
    ...(fit.traceSeconds !== undefined
      ? { traceSeconds: fit.traceSeconds.map((seconds) => seconds + screenSeconds) }
      : {}),
    seconds: (Date.now() - started) / 1000,
    options: { ...fit.options, init: kept.options.init, seed: kept.options.seed },
  };
}

/**
 * The job with the fit's log-likelihood switched off where the summary never reads it. Only the
 * best replicate on the data gives the rank its log-likelihood and BIC (`rankCriteria` in
 * ./sweep.ts); fold, consensus and baseline fits (and screened starts) would compute it for
 * nothing, and it is a pass over every observed entry with a log-gamma each, in JavaScript: on
 * 2000 × 20 000 counts with 4.5 × 10⁶ stored entries, about as long as 10 KL iterations. With
 * `deferred`, the data replicates leave it out as well (see {@link SweepJobOptions}).
 */
function withoutUnreadLoglik(job: SweepJob, deferred: boolean): SweepJob {
  if (job.kind === 'replicate' && !job.baseline && !deferred) return job;
  return { ...job, fit: { ...job.fit, loglik: false } };
}

/** How a worker runs sweep jobs beyond the job itself; neither changes a number the summary reads. */
export interface SweepJobOptions {
  /**
   * The row-shuffled copy of V for a baseline job's `shuffleSeed` (default: `shuffleWithinRows`
   * anew). A worker keeps the copy from one baseline job to the next instead of redoing it: the
   * same seed at every rank gives the same copy, and making it (a permutation per row) took 0.7 s
   * of CPU per job on 2000 × 20 000 counts with 4 × 10⁶ stored entries.
   */
  shuffled?: (V: DataMatrix, seed: number) => DataMatrix;
  /**
   * Data replicates leave out their log-likelihood, Pearson's dispersion and R NMF's survey
   * measures (null and absent, and `statisticsDeferred` set): the summary reads them from the
   * rank's best replicate only, so the
   * caller computes them once per rank, for that replicate, with {@link replicateStatistics} from
   * its kept factors — the same functions on the same factors, so the same bits. On 2000 × 20 000
   * counts at k = 6 the two passes took ~3.5 s of CPU per replicate, 30 s per rank of 10 replicates.
   */
  deferReplicateStatistics?: boolean;
}

/**
 * The log-likelihood, Pearson's dispersion and R NMF's survey measures of a data replicate from its
 * factors, as {@link runSweepJob} computes them without `deferReplicateStatistics`: the fit's own
 * `logLikelihoodOf` on V's scan (β = 1 and the job's `loglik` on), `pearsonDispersion` and
 * `fitSurvey`.
 *
 * @param V m × n, the sweep's data
 * @param W m × k and H k × n, the replicate's fitted factors (`SweepJobResult.factors`)
 */
export function replicateStatistics(
  V: DataMatrix,
  job: SweepJob,
  W: DenseMatrix,
  H: DenseMatrix,
): { loglik: number | null; pearsonDispersion: number | null; survey: FitSurvey } {
  const data = prepareData(V);
  const options = resolveWith(job.fit, data);
  return {
    loglik:
      options.beta === 1 && options.loglik ? logLikelihoodOf(data, W.data, transpose(H).data, W.cols) : null,
    pearsonDispersion: pearsonDispersion(V, W, H),
    survey: fitSurvey(V, W, H),
  };
}

/**
 * Runs one sweep job: builds the job's input from V (row-shuffled for baseline jobs, one fold
 * masked for fold jobs), fits it, and returns what the summary needs. Pure and synchronous; the
 * hooks pass through to the fit (progress, cancellation).
 *
 * @param V m × n, the data of the whole sweep (never modified)
 */
export function runSweepJob(
  V: DataMatrix,
  job: SweepJob,
  hooks: FitHooks = {},
  options: SweepJobOptions = {},
): SweepJobResult {
  if (job.kind === SAMPLE_FOLD_KIND) return runSampleFoldJob(V, job, hooks, screenedFit);
  const data = job.baseline ? (options.shuffled ?? shuffleWithinRows)(V, job.shuffleSeed) : V;
  let input: DataMatrix = data;
  let unstoredMissing: UnstoredMissing | undefined;
  let folds = null;
  if (job.kind === 'fold') {
    if (job.cv === null) throw new RangeError(`fold job ${job.id} has no fold settings`);
    folds = cvFoldsFor(V.rows, V.cols, job.cv.folds, job.cv.seed, undefined, job.cv.holdout);
    if (foldMissingApart(job.fit)) ({ V: input, unstoredMissing } = maskFoldApart(data, folds, job.index));
    else input = maskFold(data, folds, job.index);
  }
  const deferred = options.deferReplicateStatistics === true && job.kind === 'replicate' && !job.baseline;
  const fit = screenedFit(input, withoutUnreadLoglik(job, deferred), hooks, unstoredMissing);
  let held: { error: number; count: number } | null = null;
  let trimmed: number | null = null;
  if (folds !== null) {
    held = heldOutError(data, fit.W, fit.H, folds, job.index, fit.options.beta);
    trimmed = heldOutTrimmedError(data, fit.W, fit.H, folds, job.index, fit.options.beta);
  }
  const replicate = job.kind === 'replicate';
  const clustered = replicate || job.kind === 'consensus';
  return {
    jobId: job.id,
    rank: job.rank,
    kind: job.kind,
    index: job.index,
    baseline: job.baseline,
    seed: fit.options.seed,
    rows: V.rows,
    cols: V.cols,
    loss: fit.loss,
    loglik: fit.loglik,
    iterations: fit.iterations,
    converged: fit.converged,
    seconds: fit.seconds,
    observed: observedCount(input, unstoredMissing),
    heldOutError: held ? held.error : null,
    heldOutCount: held ? held.count : 0,
    heldOutErrorTrimmed: trimmed,
    pearsonDispersion: replicate && !job.baseline && !deferred ? pearsonDispersion(data, fit.W, fit.H) : null,
    ...(deferred ? { statisticsDeferred: true } : {}),
    // Of every replicate, data and baseline (on the shuffled copy it fitted), for the rank's best;
    // and of the baseline's consensus fits, where a baseline planned without replicates takes its
    // loss, and so these, from the best of them.
    ...((replicate && !deferred) || (job.kind === 'consensus' && job.baseline)
      ? { survey: fitSurvey(data, fit.W, fit.H) }
      : {}),
    integerData: replicate ? isIntegerData(V) : null,
    sampleLabels: clustered ? sampleLabels(fit.W, fit.H) : null,
    normalizedW: clustered ? normalizeColumns(fit.W) : null,
    factors: job.keepFactors
      ? {
          W: fit.W,
          H: fit.H,
          trace: fit.trace,
          ...(fit.traceSeconds !== undefined ? { traceSeconds: fit.traceSeconds } : {}),
          ...(fit.warmupIterations !== undefined ? { warmupIterations: fit.warmupIterations } : {}),
        }
      : null,
    warnings: fit.warnings,
  };
}
