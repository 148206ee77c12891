import { ServiceError, decodeFrame, encodeFrame } from '../../shared/api';
import {
  CV_FULL_MAX_ENTRIES,
  DEFAULT_CONSENSUS_REPLICATES,
  cvHeldOutEntries,
  planSweep,
  summarizeSweep,
  surveyCriteria,
  type RankSummary,
  type SweepJob,
  type SweepJobResult,
  type SweepSpec,
  type SweepSummary as AnalysisSweepSummary,
} from '../../shared/analysis';
import {
  betaOfLoss,
  completeRunParams,
  sweepParamsSchema,
  type RunEstimate,
  type RunParams,
  type SweepEstimatePart,
  type SweepParams,
  type SweepParamsInput,
  type SweepRankMetrics,
  type SweepSummary,
} from '../../shared/domain';
import { describeOwner, ownerGone } from '../db/ownership';
import {
  completeSweep,
  deleteSweep,
  finishSweepWithState,
  getSweepRow,
  insertSweep,
  recordSweepJob,
  storeSweepRankClusters,
  markSweepRunning,
  queueSweepForResume,
  sweepJobResults,
} from '../db/queries/sweeps';
import { JobCancelledError, type JobHandle } from '../workers/pool';
import type { SweepJobTaskResult } from '../workers/protocol';
import { defaultSolverFor } from '../../shared/nmf/defaults';
import type { ServiceContext } from './context';
import { baseProvenance, storeFinishedRun, traceSecondsProvenance, warmupProvenance } from './finished-runs';
import { getDatasetSummary } from './datasets';
import type { MatrixLease } from './matrix-cache';
import { SweepRankProgress } from './sweep-progress';
import { ReplicateStatistics } from './sweep-statistics';
import {
  checkParamsAgainstData,
  datasetHasZeros,
  datasetMatrixKey,
  leaseDatasetMatrix,
  requireOwner,
} from './runs';
import { SweepRemaining } from './sweep-remaining';
import {
  costBasis,
  costSettingsOf,
  fitFixedWork,
  fitIterationsWork,
  type CostSettings,
  type CostShape,
} from './fit-cost';
import { memoryProvenance, runLimited, sweepMemoryPlan } from './job-memory';
import type { JobMemoryPlan } from '../../shared/domain/job-memory-plan';
import { getSweepSummary, type StoredSweepResult } from './sweep-records';
import { forgetSweepViews } from './view-cache';
import {
  sweepFitGroupOf,
  sweepHistory,
  sweepIterationRecord,
  sweepJobBudget,
  type SweepHistory,
} from './sweep-history';

export { SweepRemaining };
export { getSweepDetail, getSweepSummary, getSweepView, listSweepSummaries } from './sweep-records';

/**
 * Rank sweeps: every fit of the sweep (replicates, cross-validation folds, shuffled baseline) is a
 * job on the worker pool; each finished job's result is stored at once, so a cancelled or
 * interrupted sweep resumes with only the missing jobs. When all are in, the criteria are
 * summarised, each rank's best replicate is saved as a run, and the recommendation is recorded —
 * all in one transaction.
 */

/** The analysis layer's spec for stored sweep parameters. */
export function sweepSpecOf(params: SweepParams): SweepSpec {
  const fit = params.fit;
  const beta = betaOfLoss(fit.loss, fit.beta);
  const solver = fit.solver ?? defaultSolverFor(beta);
  return {
    fromRank: params.fromRank,
    toRank: params.toRank,
    replicates: params.replicates,
    cvFolds: params.cvFolds,
    ...(params.cvHoldout !== undefined ? { cvHoldout: params.cvHoldout } : {}),
    ...(params.cvScreenAfterWarmup !== undefined ? { cvScreenAfterWarmup: params.cvScreenAfterWarmup } : {}),
    baseline: params.baseline,
    ...(params.consensusReplicates !== undefined ? { consensusReplicates: params.consensusReplicates } : {}),
    ...(params.baselineReplicates !== undefined ? { baselineReplicates: params.baselineReplicates } : {}),
    ...(params.sampleFolds ? { sampleFolds: params.sampleFolds } : {}),
    fit: {
      beta,
      solver,
      init: fit.init,
      maxIter: fit.maxIter,
      tol: fit.tol,
      seed: fit.seed,
      l1W: fit.l1W,
      l2W: fit.l2W,
      l1H: fit.l1H,
      l2H: fit.l2H,
      shuffle: fit.shuffle,
      warmup: solver === 'mu' ? fit.warmup : 0,
      // Until HALS settles (engine `warmupTol`); absent when 0 (a fixed warm-up), so that the jobs of
      // sweeps stored before it reached them (migration 0140) keep their JSON.
      ...(solver === 'mu' && (fit.warmupTol ?? 0) > 0 ? { warmupTol: fit.warmupTol } : {}),
      ...(fit.batchSize !== undefined ? { batchSize: fit.batchSize } : {}),
    },
  };
}

/**
 * Run parameters of the run saved for rank k of a sweep. `init` is the start the job really used:
 * the sweep replaces NNDSVD starts (the same for every seed) by random ones.
 */
function runParamsForRank(
  params: SweepParams,
  rank: number,
  seed: number,
  init?: RunParams['init'],
): RunParams {
  return completeRunParams({
    ...params.fit,
    ...(init ? { init } : {}),
    // A sweep stored before `warmupTol` existed ran a fixed warm-up.
    warmupTol: params.fit.warmupTol ?? 0,
    rank,
    seed,
    replicates: params.replicates,
  });
}

/**
 * What one sweep job may cost beyond its iterations, in the calibration's multiply-adds
 * (fit-cost.ts): each of its starts (the fit, and a fold fit's screened starts) prepares and scores
 * its fit. A fold fit's held-out entries make it a masked fit.
 */
export function sweepJobFixedWork(dataset: CostShape, job: SweepJob): number {
  const starts = 1 + (job.screen?.starts ?? 0);
  return starts * fitFixedWork(dataset, job.rank, sweepJobCostSettings(dataset, job));
}

/**
 * The kernels a sweep job runs: its loss and solver, masked when it holds entries out, with the
 * entries one fold holds out (on CSR V the missing-value kernels run over them: fit-cost.ts).
 */
function sweepJobCostSettings(
  dataset: CostShape,
  job: SweepJob,
): CostSettings & { masked: boolean; init: 'random' } {
  const masked = job.kind === 'fold';
  return {
    beta: job.fit.beta,
    solver: job.fit.solver,
    masked,
    ...(masked && job.cv !== null
      ? {
          heldOutEntries:
            cvHeldOutEntries(dataset.rows, dataset.cols, job.cv.folds, CV_FULL_MAX_ENTRIES, job.cv.holdout) /
            job.cv.folds,
        }
      : {}),
    init: 'random',
  };
}

/**
 * Multiply-adds (the calibration's units, fit-cost.ts) one sweep job may take: its iteration
 * budget (screened starts included) × the work per iteration of its kernels at its rank, and what
 * its starts cost beyond their iterations ({@link sweepJobFixedWork}).
 */
export function sweepJobWork(dataset: CostShape, job: SweepJob, maxIter: number): number {
  return sweepJobIterationsWork(dataset, job, maxIter) + sweepJobFixedWork(dataset, job);
}

/** The iterations' part of {@link sweepJobWork}: the job's budget at its kernels' work per iteration. */
function sweepJobIterationsWork(dataset: CostShape, job: SweepJob, maxIter: number): number {
  return fitIterationsWork(
    dataset,
    job.rank,
    sweepJobCostSettings(dataset, job),
    sweepJobBudget(job, maxIter),
  );
}

/**
 * The multiply-adds the plan's consensus rule weighs (`affordableConsensusFits`): every job at its
 * iteration budget (screened starts included) × 4·E·k + (m+n)·k² (E the stored entries). Not the
 * time estimate's cost model (fit-cost.ts): the rule was set and measured with this count, and it
 * stays so that the same settings on the same data plan the same jobs as before that model.
 */
function sweepPlanWork(dataset: CostShape, params: SweepParams): number {
  const entries = dataset.layout === 'csr' ? dataset.nnz : dataset.rows * dataset.cols;
  let work = 0;
  for (const job of planSweep(sweepSpecOf(params)))
    work +=
      sweepJobBudget(job, params.fit.maxIter) *
      (4 * entries * job.rank + (dataset.rows + dataset.cols) * job.rank * job.rank);
  return work;
}

/**
 * The sweep parameters with the plan's choices made where the caller left them out, and stored with
 * the sweep so that resuming or re-planning it gives the same jobs:
 *
 * - `consensusReplicates`: {@link DEFAULT_CONSENSUS_REPLICATES} fits per rank when they add at most
 *   twice the work of the rest of the sweep (at equal iteration budgets; each side with the
 *   baseline it would have), otherwise 0 — consensus and stability then come from the warm-started
 *   replicates and the recommendation says so. A few independent fits would give a consensus
 *   matrix in coarse steps (5 fits: steps of 0.2), so it is all or none. On 300 × 100 counts,
 *   ranks 2..8, 4 replicates, 3 folds and the baseline, the consensus fits add 1.4× the rest; on
 *   2000 × 500, ranks 7..9, 2 replicates, 3 folds, no baseline, 2.9× (none).
 * - `baselineReplicates`: 0 when the baseline has consensus fits and there are no folds. Of the
 *   baseline's warm-started replicates only the lowest loss was read, and on a row-shuffled copy,
 *   which has no structure, the best of its consensus fits (random starts without warm-up) lands
 *   within 0.21 % of it, mostly below, against gaps of 4.6–39 % to the data's loss (planted sparse
 *   counts, seven data sets; docs/architecture.md, "The sparse sweep's plan";
 *   scripts/measure/sparse-sweep-plan.ts). On the sparse 2000 × 20 000 sweep that is 10 of 50 fits
 *   per rank, a quarter of its CPU. Left absent otherwise (the baseline keeps `replicates`).
 */
export function withConsensusReplicates(dataset: CostShape, params: SweepParams): SweepParams {
  const consensusReplicates = params.consensusReplicates ?? affordableConsensusFits(dataset, params);
  const chosen = { ...params, consensusReplicates };
  return params.baselineReplicates !== undefined ? chosen : withBaselineReplicates(chosen);
}

/**
 * `baselineReplicates` 0 when the sweep has no cross-validation and the baseline's consensus fits
 * can give its loss; otherwise unchanged. Sweeps with folds keep their baseline replicates: the
 * evidence above is on sparse counts without folds, and those sweeps' files keep their bytes.
 */
function withBaselineReplicates(params: SweepParams): SweepParams {
  const baselineConsensus = Math.min(params.consensusReplicates ?? 0, params.replicates);
  return params.baseline && params.cvFolds === 0 && baselineConsensus >= 1
    ? { ...params, baselineReplicates: 0 }
    : params;
}

/** {@link DEFAULT_CONSENSUS_REPLICATES} when those fits add at most twice the rest's work, else 0. */
function affordableConsensusFits(dataset: CostShape, params: SweepParams): number {
  const rest = sweepPlanWork(dataset, withBaselineReplicates({ ...params, consensusReplicates: 0 }));
  const full = sweepPlanWork(
    dataset,
    withBaselineReplicates({ ...params, consensusReplicates: DEFAULT_CONSENSUS_REPLICATES }),
  );
  return full - rest <= 2 * rest ? DEFAULT_CONSENSUS_REPLICATES : 0;
}

/** The fits one rank of a plan has, by kind and side, as the estimate states them ("10 replicates, 20 consensus fits on the data; 10 consensus fits on its shuffled baseline"). */
function fitsPerRank(jobs: readonly SweepJob[], rank: number): string {
  const side = (baseline: boolean): string => {
    const count = (kind: SweepJob['kind']): number =>
      jobs.filter((j) => j.rank === rank && j.baseline === baseline && j.kind === kind).length;
    const parts = [
      [count('replicate'), 'replicate(s)'],
      [count('fold'), 'fold(s)'],
      [count('consensus'), 'consensus fit(s)'],
      [count('sample-fold'), 'sample fold(s)'],
    ] as const;
    return parts
      .filter(([n]) => n > 0)
      .map(([n, what]) => `${n} ${what}`)
      .join(', ');
  };
  const baseline = side(true);
  return `${side(false) || 'no fits'} on the data${baseline ? `; ${baseline} on its shuffled baseline` : ''}`;
}

/** The forecast's group of a job: what the fit is evidence for (see {@link SweepEstimatePart}). */
function estimatePartOf(job: SweepJob): SweepEstimatePart['what'] {
  if (job.baseline) return 'baseline';
  switch (job.kind) {
    case 'replicate':
      return 'replicates';
    case 'fold':
      return 'folds';
    case 'sample-fold':
      return 'sample-folds';
    case 'consensus':
      return 'consensus';
  }
}

/**
 * The forecast split by what the fits are for, in the order the plan first names each group:
 * every job's multiply-adds ({@link sweepJobWork}) summed per group and turned into seconds as the
 * whole is (`secondsPerWork`), so the parts add up to the forecast. It shows the researcher what
 * the evidence beyond the replicates costs: on the sparse 2000 × 20 000 counts the consensus fits
 * and the shuffled baseline are about two thirds of the sweep (docs/architecture.md, "Sweep time").
 * With `history`, each part also has its expected seconds: each job's work times the share of
 * their budgets that its group's fits needed in earlier sweeps (the whole budget for a group
 * without history).
 */
export function sweepEstimateParts(
  dataset: CostShape,
  jobs: readonly SweepJob[],
  maxIter: number,
  secondsPerWork: number,
  history: SweepHistory | null = null,
): SweepEstimatePart[] {
  const parts = new Map<SweepEstimatePart['what'], { fits: number; work: number; expectedWork: number }>();
  for (const job of jobs) {
    const what = estimatePartOf(job);
    const part = parts.get(what) ?? { fits: 0, work: 0, expectedWork: 0 };
    const iterations = sweepJobIterationsWork(dataset, job, maxIter);
    const fixed = sweepJobFixedWork(dataset, job);
    part.fits += 1;
    part.work += iterations + fixed;
    // Earlier sweeps' iterations scale the iterations; every start still costs its preparation.
    part.expectedWork += fixed + iterations * (history?.shares.get(sweepFitGroupOf(job))?.share ?? 1);
    parts.set(what, part);
  }
  return [...parts].map(([what, { fits, work, expectedWork }]) => ({
    what,
    fits,
    seconds: work * secondsPerWork,
    ...(history ? { expectedSeconds: expectedWork * secondsPerWork } : {}),
  }));
}

/** What the expected time rests on: the earlier sweeps and each group's share of its budgets. */
function expectedBasis(history: SweepHistory, jobs: readonly SweepJob[]): string {
  const groups = [...new Set(jobs.map(sweepFitGroupOf))];
  const known = groups.filter((group) => history.shares.has(group));
  const unknown = groups.filter((group) => !history.shares.has(group));
  const shares = known
    .map((group) => `${group.replace('/', ' ')} ${Math.round(100 * history.shares.get(group)!.share)} %`)
    .join(', ');
  const sweeps = `${history.sweeps} earlier sweep${history.sweeps === 1 ? '' : 's'} ${history.sameDataset ? 'of this dataset' : 'of other datasets'} with these fit settings`;
  return `from the iterations the fits of ${sweeps} needed, as shares of their budgets: ${shares || 'none of these kinds'}${unknown.length > 0 ? `; ${unknown.map((group) => group.replace('/', ' ')).join(', ')} at the whole budget (no earlier fits of that kind)` : ''}`;
}

/**
 * Time and memory forecast of a sweep: every job's iteration budget (screened starts included)
 * times the work per iteration at its rank, at the engine's measured rate, spread over the pool's
 * threads. An upper bound (fits that converge stop earlier), but for screened starts whose warm-up
 * runs until HALS settles: they are counted at the warm-up's minimum, where HALS settles on most
 * data, and the basis says how long they can run (up to half of maxIter, then the same updates).
 */
export function estimateSweep(
  ctx: ServiceContext,
  datasetId: number,
  input: SweepParamsInput,
  rate: number,
): RunEstimate {
  const dataset = getDatasetSummary(ctx, datasetId);
  const asked = sweepParamsSchema.parse(input);
  const params = withConsensusReplicates(dataset, asked);
  const jobs = planSweep(sweepSpecOf(params));
  const maxIter = params.fit.maxIter;
  const consensusSource =
    (params.consensusReplicates ?? 0) > 0
      ? 'consensus fits from independent starts without warm-up'
      : asked.consensusReplicates === undefined
        ? 'consensus from the replicates (independent consensus fits would more than triple the work)'
        : 'consensus from the replicates, as asked';
  const threads = Math.min(ctx.pool.size, jobs.length);
  const screenedJob = jobs.find((job) => job.screen !== null) ?? null;
  const screened = screenedJob?.screen ?? null;
  // A settling warm-up (screenedFit in analysis/sweep-job.ts) runs to at most half of maxIter,
  // then the updates a fixed warm-up's screen has after it.
  const warmup = screenedJob?.fit.warmup ?? 0;
  const settlingCap =
    screened !== null && (screenedJob?.fit.warmupTol ?? 0) > 0 && warmup > 0
      ? Math.min(maxIter, Math.max(warmup, Math.floor(maxIter / 2)) + screened.iterations - warmup)
      : null;
  const screenText =
    screened === null
      ? ''
      : `; each fold screening ${screened.starts} starts for ${screened.iterations} iterations${settlingCap !== null && settlingCap > screened.iterations ? ` (up to ${settlingCap} where HALS settles late)` : ''}`;
  // Under the memory budget (job-memory-plan.ts): fewer fits at once when adapted, so it takes longer.
  const memory = sweepMemoryPlan(ctx, dataset, params, jobs);
  const parallel = memory.mode === 'adapted' ? Math.min(threads, memory.parallel) : threads;
  const secondsPerWork = 1 / rate / parallel;
  const history = sweepHistory(ctx.db, datasetId, params);
  const parts = sweepEstimateParts(dataset, jobs, maxIter, secondsPerWork, history);
  return {
    // The parts price every job once: their sum is the whole.
    seconds: parts.reduce((sum, part) => sum + part.seconds, 0),
    parts,
    ...(history
      ? {
          expected: {
            seconds: parts.reduce((sum, part) => sum + (part.expectedSeconds ?? part.seconds), 0),
            basis: expectedBasis(history, jobs),
          },
        }
      : {}),
    peakBytes: memory.peakBytes,
    memory: { mode: memory.mode, budgetBytes: memory.budgetBytes, reason: memory.reason },
    basis: `${jobs.length} fits (ranks ${params.fromRank}–${params.toRank}, per rank: ${fitsPerRank(jobs, params.fromRank)}${screenText}; ${consensusSource}), at most ${maxIter} iterations each, on ${parallel} thread(s), ${costBasis(rate, costSettingsOf(params.fit))}; convergence usually stops earlier`,
  };
}

/**
 * Creates a queued sweep of a dataset: the parameters parsed, the consensus budget decided
 * (`withConsensusReplicates`), the largest rank checked against the data, its jobs counted. Nothing
 * runs until {@link executeSweep}; the app starts it at once (`startSweep`), the command line awaits it.
 */
export function createSweep(ctx: ServiceContext, datasetId: number, input: SweepParamsInput): SweepSummary {
  const dataset = getDatasetSummary(ctx, datasetId);
  const params = withConsensusReplicates(dataset, sweepParamsSchema.parse(input));
  checkParamsAgainstData(
    runParamsForRank(params, params.toRank, params.fit.seed),
    dataset.rows,
    dataset.cols,
    datasetHasZeros(dataset),
  );
  const jobs = planSweep(sweepSpecOf(params));
  // Refused before anything is stored: the message names V, the fits, the budget and what to change.
  const memory = sweepMemoryPlan(ctx, dataset, params, jobs);
  if (memory.mode === 'refused') throw new ServiceError('bad_input', memory.reason);
  const id = insertSweep(ctx.db, {
    dataset_id: datasetId,
    params: JSON.stringify(params),
    jobs_total: jobs.length,
    created_at: ctx.now(),
    owner: requireOwner(ctx),
  });
  ctx.events.emit('library:changed', { what: 'sweeps', id });
  return getSweepSummary(ctx, id);
}

export function startSweep(ctx: ServiceContext, datasetId: number, input: SweepParamsInput): SweepSummary {
  const sweep = createSweep(ctx, datasetId, input);
  void executeSweep(ctx, sweep.id).catch(() => {
    // executeSweep records every outcome itself.
  });
  return sweep;
}

/** Continues a cancelled, failed or interrupted sweep: only the jobs without a stored result run. */
export function resumeSweep(ctx: ServiceContext, id: number): SweepSummary {
  const sweep = getSweepSummary(ctx, id);
  if (sweep.state === 'done') throw new ServiceError('conflict', `sweep ${id} is already done`);
  if (ctx.jobs.has('sweep', id)) throw new ServiceError('conflict', `sweep ${id} is running`);
  if (!queueSweepForResume(ctx.db, id, requireOwner(ctx)))
    throw new ServiceError('conflict', `sweep ${id} is ${getSweepSummary(ctx, id).state}, not resumable`);
  void executeSweep(ctx, id).catch(() => undefined);
  ctx.events.emit('library:changed', { what: 'sweeps', id });
  return getSweepSummary(ctx, id);
}

export function cancelSweep(ctx: ServiceContext, id: number): { state: SweepSummary['state'] } {
  const sweep = getSweepSummary(ctx, id);
  if (!ctx.jobs.cancel('sweep', id) && (sweep.state === 'queued' || sweep.state === 'running')) {
    // Another process's sweep is that process's to end, while it lives.
    const owner = getSweepRow(ctx.db, id)?.owner ?? null;
    if (!ownerGone(ctx.db, owner))
      throw new ServiceError(
        'conflict',
        `sweep ${id} is being computed by ${describeOwner(ctx.db, owner)}; cancel it there`,
      );
    finishSweepWithState(ctx.db, id, 'interrupted', ctx.now(), 'no process was computing this sweep');
  }
  return { state: getSweepSummary(ctx, id).state };
}

export function deleteSweepById(ctx: ServiceContext, id: number): { deleted: number } {
  ctx.jobs.cancel('sweep', id);
  const deleted = deleteSweep(ctx.db, id);
  if (!deleted) throw new ServiceError('not_found', `sweep ${id} does not exist`);
  forgetSweepViews(ctx, id);
  ctx.events.emit('library:changed', { what: 'sweeps', id });
  return { deleted };
}

function decodeJobResult(blob: Buffer): SweepJobResult {
  return decodeFrame(new Uint8Array(blob.buffer, blob.byteOffset, blob.byteLength)) as SweepJobResult;
}

/**
 * A sweep job as the Jobs screen names it: "k = 8, replicate 2", "baseline k = 8, fold 1 of 3",
 * "k = 8, consensus fit 12".
 */
export function describeSweepJob(job: SweepJob, folds: number): string {
  const which =
    job.kind === 'replicate'
      ? `replicate ${job.index + 1}`
      : job.kind === 'consensus'
        ? `consensus fit ${job.index + 1}`
        : job.kind === 'sample-fold'
          ? `sample fold ${job.index + 1} of ${job.cv?.folds ?? folds}`
          : `fold ${job.index + 1} of ${folds}`;
  return `${job.baseline ? 'baseline ' : ''}k = ${job.rank}, ${which}`;
}

/** Runs the sweep's missing jobs, then summarises. Records the outcome; resolves with the final state. */
export async function executeSweep(
  ctx: ServiceContext,
  id: number,
): Promise<'done' | 'cancelled' | 'failed'> {
  const sweep = getSweepSummary(ctx, id);
  const params = sweep.params;
  const spec = sweepSpecOf(params);
  const jobs = planSweep(spec);
  const finished = new Set(sweepJobResults(ctx.db, id).map((r) => r.job_key));
  const pending = jobs.filter((job) => !finished.has(job.id));
  const dataset = getDatasetSummary(ctx, sweep.datasetId);
  let lease: MatrixLease;
  let memory: JobMemoryPlan;
  try {
    // Planned again at start (the budget or the pool may have changed): refused before V is read.
    memory = sweepMemoryPlan(ctx, dataset, params, jobs);
    if (memory.mode === 'refused') throw new Error(memory.reason);
    lease = leaseDatasetMatrix(ctx, sweep.datasetId);
  } catch (error) {
    // E.g. a damaged stored chunk: the sweep fails with the reason, it is not left queued.
    finishSweepWithState(
      ctx.db,
      id,
      'failed',
      ctx.now(),
      error instanceof Error ? error.message : String(error),
    );
    ctx.events.emit('library:changed', { what: 'sweeps', id });
    return 'failed';
  }
  const handles: JobHandle[] = [];
  let cancelled = false;
  let stopped: Error | null = null;
  let jobsDone = finished.size;
  const startedAt = Date.now();
  const maxIter = params.fit.maxIter;
  const remaining = new SweepRemaining(pending, maxIter);
  ctx.jobs.add(
    'sweep',
    id,
    maxIter,
    () => {
      cancelled = true;
      for (const handle of handles) handle.cancel();
    },
    jobs.length,
  );
  markSweepRunning(ctx.db, id);
  // Each rank's criteria as soon as its fits are done (see SweepRankProgress).
  const rankProgress = new SweepRankProgress(ctx, id, jobs, finished);
  // Each rank's best replicate gets its log-likelihood and Pearson dispersion once the rank's
  // replicates are in, instead of every replicate computing them (see ReplicateStatistics).
  const statistics = new ReplicateStatistics(ctx, id, jobs, lease.matrix, handles, finished);
  try {
    statistics.start();
    await statistics.all();
    rankProgress.start();
    // At most the plan's fits at once (all the pool's threads unless adapted to the budget).
    await runLimited(
      pending.map((job) => async () => {
        // matrixKey: the dataset's id and hash name V's contents, so a worker keeps its shuffled copy
        // of V from one baseline job to the next (workers/sweep-job-cache.ts).
        const task = {
          kind: 'sweep-job',
          matrix: lease.matrix,
          job,
          matrixKey: datasetMatrixKey(sweep.datasetId, dataset.hash),
          deferReplicateStatistics: true,
        } as const;
        const handle = ctx.pool.submit(task, (progress) => {
          remaining.progress(job.id, progress.iteration);
          const elapsedMs = Date.now() - startedAt;
          ctx.jobs.update('sweep', id, {
            state: 'running',
            iteration: progress.iteration,
            maxIter: progress.maxIter,
            loss: progress.loss,
            elapsedMs,
            remainingMs: remaining.remainingMs(elapsedMs),
            jobsDone,
            fit: describeSweepJob(job, params.cvFolds),
          });
        });
        handles.push(handle);
        const { result } = (await handle.promise) as SweepJobTaskResult;
        recordSweepJob(ctx.db, id, job.id, Buffer.from(encodeFrame(result)), result.sampleLabels);
        jobsDone++;
        remaining.finish(job.id, result.iterations);
        ctx.jobs.update('sweep', id, {
          jobsDone,
          remainingMs: remaining.remainingMs(Date.now() - startedAt),
        });
        statistics.jobFinished(job);
        await statistics.whenDone(job.rank);
        rankProgress.jobFinished(job.id);
      }),
      memory.parallel,
      () => (cancelled ? new JobCancelledError(id) : stopped),
    ).catch((error: unknown) => {
      stopped = error instanceof Error ? error : new Error(String(error));
      throw error;
    });
    await statistics.all();
    finishSweepFromStoredResults(ctx, id, dataset.hash, memory, rankProgress.rankSummaries());
    ctx.jobs.finish('sweep', id, 'done');
    return 'done';
  } catch (error) {
    for (const handle of handles) handle.cancel();
    const wasCancel = cancelled || error instanceof JobCancelledError;
    finishSweepWithState(
      ctx.db,
      id,
      wasCancel ? 'cancelled' : 'failed',
      ctx.now(),
      wasCancel ? null : error instanceof Error ? error.message : String(error),
    );
    ctx.jobs.finish('sweep', id, wasCancel ? 'cancelled' : 'failed');
    return wasCancel ? 'cancelled' : 'failed';
  } finally {
    lease.release();
    ctx.events.emit('library:changed', { what: 'sweeps', id });
  }
}

/**
 * Summarises a sweep whose every job result is stored, saves each rank's best replicate as a run and
 * records the outcome, in one transaction. Shared by the local run and the merge of cluster results,
 * so both store (and `sweep` writes) the same bytes.
 */
export function finishSweepFromStoredResults(
  ctx: ServiceContext,
  id: number,
  dataHash: string,
  memory?: JobMemoryPlan,
  rankSummaries?: ReadonlyMap<number, RankSummary>,
): void {
  const sweep = getSweepSummary(ctx, id);
  const spec = sweepSpecOf(sweep.params);
  const jobs = planSweep(spec);
  const results = sweepJobResults(ctx.db, id).map((r) => decodeJobResult(r.result));
  const summary = summarizeSweep(spec, results, rankSummaries);
  ctx.db.transaction(() =>
    saveSweepOutcome(ctx, id, sweep.datasetId, dataHash, sweep.params, summary, results, jobs, memory),
  )();
}

/** Saves each rank's best replicate as a run of the sweep and stores the summary. Call in a transaction. */
function saveSweepOutcome(
  ctx: ServiceContext,
  id: number,
  datasetId: number,
  dataHash: string,
  params: SweepParams,
  summary: AnalysisSweepSummary,
  results: SweepJobResult[],
  jobs: SweepJob[],
  memory?: JobMemoryPlan,
): void {
  const ranks: SweepRankMetrics[] = summary.ranks.map((rank) => {
    const best = results.find(
      (r) =>
        !r.baseline &&
        r.kind === 'replicate' &&
        r.rank === rank.rank &&
        r.index === rank.bestReplicate &&
        r.factors !== null,
    );
    let runId: number | null = null;
    if (best && best.factors) {
      const job = jobs.find((j) => j.id === best.jobId);
      const init = job && job.fit.init !== 'custom' ? job.fit.init : undefined;
      const runParams = runParamsForRank(params, rank.rank, best.seed, init);
      runId = storeFinishedRun(ctx, {
        datasetId,
        sweepId: id,
        params: runParams,
        owner: ctx.owner,
        iterations: best.iterations,
        converged: best.converged,
        loss: best.loss,
        loglik: best.loglik,
        seconds: best.seconds,
        trace: best.factors.trace,
        W: best.factors.W.data,
        H: best.factors.H.data,
        provenance: {
          ...baseProvenance(ctx, {
            dataHash,
            params: runParams,
            bestSeed: best.seed,
            warnings: best.warnings,
          }),
          ...(memory?.mode === 'adapted' ? { memory: memoryProvenance(memory) } : {}),
          // When the job's fit reached each trace point (null in run.json where the stored or
          // cluster result predates it), as a fit's run records it.
          ...traceSecondsProvenance(best.factors),
          ...warmupProvenance(runParams, best.factors),
        },
      });
    }
    return {
      rank: rank.rank,
      loss: rank.loss,
      loglik: rank.loglik,
      bic: rank.bic,
      cvError: rank.cvError,
      cophenetic: rank.cophenetic,
      dispersion: rank.dispersion,
      stability: rank.stability,
      sampleClusters: rank.sampleClusters,
      cvErrorSe: rank.cvErrorSe,
      cvErrors: rank.cvErrors,
      cvErrorTrimmed: rank.cvErrorTrimmed,
      cvErrorsTrimmed: rank.cvErrorsTrimmed,
      cvPairedDifference: rank.cvPairedDifference,
      cvPairedSe: rank.cvPairedSe,
      pearsonDispersion: rank.pearsonDispersion,
      consensusFits: rank.consensusFits,
      consensusFromIndependentStarts: rank.consensusFromIndependentStarts,
      ...surveyCriteria(rank),
      ...(rank.sampleCvError !== undefined
        ? {
            sampleCvError: rank.sampleCvError,
            sampleCvSe: rank.sampleCvSe ?? null,
            sampleCvErrors: rank.sampleCvErrors ?? [],
            sampleCvPairedDifference: rank.sampleCvPairedDifference ?? null,
            sampleCvPairedSe: rank.sampleCvPairedSe ?? null,
          }
        : {}),
      baseline: rank.baseline
        ? {
            loss: rank.baseline.loss,
            cvError: rank.baseline.cvError,
            cophenetic: rank.baseline.cophenetic,
            stability: rank.baseline.stability,
            cvErrorTrimmed: rank.baseline.cvErrorTrimmed,
            ...surveyCriteria(rank.baseline),
          }
        : null,
      runId,
    };
  });
  const stored: StoredSweepResult = { ranks, recommendation: summary.recommendation };
  const completed = completeSweep(
    ctx.db,
    id,
    JSON.stringify(stored),
    summary.recommendation.rank,
    summary.recommendation.criterion,
    ctx.now(),
    // For the forecasts of later sweeps with these fit settings (sweep-history.ts).
    JSON.stringify(sweepIterationRecord(jobs, results, params.fit.maxIter)),
  );
  // Ended meanwhile (deleted, cancelled, or interrupted): throwing rolls back the runs saved above.
  if (!completed) throw new Error(`sweep ${id} ended before its summary was stored`);
  storeSweepRankClusters(ctx.db, id, ranks);
}
