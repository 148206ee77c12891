import { ServiceError, type ParsedRequestOf } from '../../shared/api';
import {
  completeRunParams,
  type DatasetSummary,
  type RunDetail,
  type RunEstimate,
  type RunParams,
  type RunParamsInput,
  type RunProvenance,
  type RunSummary,
} from '../../shared/domain';
import { minibatchSuggestion } from '../../shared/domain/minibatch-advice';
import type { DataMatrix, DenseMatrix } from '../../shared/linalg/matrix';
import type { FitOptionsInput } from '../../shared/nmf/types';
import { MIN_NATIVE_SPLIT_WORK } from '../../shared/nmf/kernels';
import { replicateStart } from '../../shared/nmf';
import { MINIBATCH_DEFAULTS, solverFitsBeta } from '../../shared/nmf/defaults';
import { float64FromBlob, toBlob, traceFromBlob, traceToBlob } from '../db/blobs';
import {
  completeRun,
  finishRunWithState,
  getRunListRow,
  getRunRow,
  getRunRowWithoutH,
  insertRun,
  listRuns,
  markRunStarted,
  restoreRun,
  runOwner,
  softDeleteRun,
  updateRunNames,
  updateRunNotes,
  type RunListRow,
  type RunRow,
} from '../db/queries/runs';
import { describeOwner, ownerGone } from '../db/ownership';
import { JobCancelledError, type JobHandle } from '../workers/pool';
import type { FitTaskResult } from '../workers/protocol';
import type { ServiceContext } from './context';
import { warmupProvenance } from './finished-runs';
import { getDatasetSummary } from './datasets';
import { readDatasetMatrix } from '../db/queries/datasets';
import { runHistory } from './run-history';
import { costBasis, costSettingsOf, fitFixedWork, fitIterationsWork, fitWorkPerIteration } from './fit-cost';
import type { MatrixLease } from './matrix-cache';
import { forgetRunSummaries } from './view-cache';
import { currentMemoryBudget } from './memory-budget';
import { planFitMemory, type MemoryPlan } from '../../shared/domain/memory-plan';
import {
  removeSampleFile,
  SampleStreamCancelledError,
  writeSampleFile,
  type SampleStreamResult,
} from './sample-stream';
import { MemoryAccount } from '../../shared/nmf/batch-source';

/** Runs: start one fit on the worker pool, follow it, store it whole, and everything a user does with saved runs. */

export function toRunSummary(row: RunListRow): RunSummary {
  return {
    id: row.id,
    datasetId: row.dataset_id,
    datasetName: row.dataset_name,
    sweepId: row.sweep_id,
    state: row.state,
    params: JSON.parse(row.params) as RunParams,
    iterations: row.iterations,
    converged: row.converged === null ? null : row.converged === 1,
    loss: row.loss,
    loglik: row.loglik,
    seconds: row.seconds,
    error: row.error,
    notes: row.notes,
    tags: JSON.parse(row.tags) as string[],
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    name: row.name,
    componentNames: row.component_names ? (JSON.parse(row.component_names) as string[]) : null,
  };
}

export function getRunSummary(ctx: ServiceContext, id: number): RunSummary {
  const row = getRunListRow(ctx.db, id);
  if (!row) throw new ServiceError('not_found', `run ${id} does not exist`);
  return toRunSummary(row);
}

/** Whether this library holds run `id`, finished (a run folder's id may name one of another library). */
export function isRunDone(ctx: ServiceContext, id: number): boolean {
  return runOwner(ctx.db, id)?.state === 'done';
}

export function listRunSummaries(ctx: ServiceContext, filter: ParsedRequestOf<'runs:list'>): RunSummary[] {
  return listRuns(ctx.db, filter).map(toRunSummary);
}

export function getRunDetail(ctx: ServiceContext, id: number): RunDetail {
  const row = getRunRow(ctx.db, id);
  if (!row) throw new ServiceError('not_found', `run ${id} does not exist`);
  return runDetailOf(ctx, row, row.h, true);
}

/**
 * A run without H and its n sample names (`H: null`, `sampleNames: []`): neither is read from the
 * library. For the Run screen of a large run whose summaries of H are kept (services/run-view.ts).
 */
export function getRunDetailWithoutH(ctx: ServiceContext, id: number): RunDetail {
  const row = getRunRowWithoutH(ctx.db, id);
  if (!row) throw new ServiceError('not_found', `run ${id} does not exist`);
  return runDetailOf(ctx, row, null, false);
}

function runDetailOf(
  ctx: ServiceContext,
  row: Omit<RunRow, 'h'> & { dataset_name: string },
  h: Buffer | null,
  withSampleNames: boolean,
): RunDetail {
  const summary = toRunSummary(row);
  const names = ctx.db
    .prepare(`SELECT rows, cols, row_names${withSampleNames ? ', col_names' : ''} FROM datasets WHERE id = ?`)
    .get(row.dataset_id) as {
    rows: number;
    cols: number;
    row_names: string;
    col_names?: string;
  };
  return {
    ...summary,
    trace: traceFromBlob(row.trace),
    W: float64FromBlob(row.w),
    H: float64FromBlob(h),
    rows: names.rows,
    cols: names.cols,
    featureNames: JSON.parse(names.row_names) as string[],
    sampleNames: names.col_names === undefined ? [] : (JSON.parse(names.col_names) as string[]),
    provenance: row.provenance ? (JSON.parse(row.provenance) as RunProvenance) : null,
  };
}

/** Engine options for a run's parameters (the engine's names; β from the named loss). */
export function fitOptionsOf(params: RunParams): FitOptionsInput {
  return {
    rank: params.rank,
    beta: params.beta,
    solver: params.solver,
    init: params.init,
    maxIter: params.maxIter,
    tol: params.tol,
    seed: params.seed,
    l1W: params.l1W,
    l2W: params.l2W,
    l1H: params.l1H,
    l2H: params.l2H,
    shuffle: params.shuffle,
    warmup: params.warmup,
    // Absent from runs stored before it existed, which ran a fixed warm-up (the engine's default 0).
    ...(params.warmupTol !== undefined ? { warmupTol: params.warmupTol } : {}),
    ...(params.batchSize !== undefined ? { batchSize: params.batchSize } : {}),
  };
}

/** Whether a stored dataset has an observed zero: an implicit one in CSR, or a minimum of 0. */
export function datasetHasZeros(
  dataset: Pick<DatasetSummary, 'layout' | 'nnz' | 'rows' | 'cols' | 'minValue'>,
): boolean {
  return dataset.layout === 'csr' ? dataset.nnz < dataset.rows * dataset.cols : dataset.minValue === 0;
}

/** Refuses parameters that cannot work on this dataset, naming the value. */
export function checkParamsAgainstData(
  params: RunParams,
  rows: number,
  cols: number,
  hasZeros: boolean,
): void {
  const limit = Math.min(rows, cols);
  if (params.rank > limit) {
    throw new ServiceError(
      'bad_input',
      `rank ${params.rank} exceeds min(features, samples) = min(${rows}, ${cols}) = ${limit}`,
    );
  }
  if (!solverFitsBeta(params.solver, params.beta)) {
    throw new ServiceError(
      'bad_input',
      `solver ${params.solver} fits the Frobenius loss only (β = 2); this run has β = ${params.beta}: use solver mu`,
    );
  }
  if (params.beta <= 0 && hasZeros) {
    throw new ServiceError(
      'bad_input',
      `β = ${params.beta} (Itakura–Saito and below) is undefined where V has zeros, and this dataset has zeros: use KL (β = 1) or add a pseudocount`,
    );
  }
}

/**
 * The cache key of a dataset's matrix: its id and content hash. SQLite hands a deleted dataset's id
 * to the next import when it was the largest, so the id alone could give a job the matrix of a
 * dataset deleted (and replaced) while another job still held it; the hash covers values, names
 * and transform (datasets.ts `contentHash`), so equal keys mean equal matrices.
 */
export function datasetMatrixKey(datasetId: number, hash: string): string {
  return `${datasetId}:${hash}`;
}

/** The dataset's matrix for a job, shared with the context's other jobs on the same content. */
export function leaseDatasetMatrix(ctx: ServiceContext, datasetId: number): MatrixLease {
  const dataset = getDatasetSummary(ctx, datasetId);
  // The matrix alone: the dataset's names and planted truth (10⁶ sample names, a 20 × 10⁶ planted
  // H) are neither read nor parsed for a fit.
  return ctx.matrices.acquire(datasetMatrixKey(datasetId, dataset.hash), () =>
    readDatasetMatrix(ctx.db, dataset, true),
  );
}

/**
 * Creates a queued run of a dataset (the parameters completed and checked against the data);
 * nothing runs until {@link executeRun}. The app starts it at once (`startRun`); the command line
 * awaits it.
 */
export function createRun(ctx: ServiceContext, datasetId: number, input: RunParamsInput): RunSummary {
  const dataset = getDatasetSummary(ctx, datasetId);
  const params = completeRunParams(input);
  checkParamsAgainstData(params, dataset.rows, dataset.cols, datasetHasZeros(dataset));
  const plan = runMemoryPlan(ctx, dataset, params);
  if (plan.mode === 'refused') throw new ServiceError('bad_input', plan.reason);
  const id = insertRun(ctx.db, {
    dataset_id: datasetId,
    sweep_id: null,
    params: JSON.stringify(params),
    created_at: ctx.now(),
    owner: requireOwner(ctx),
  });
  ctx.events.emit('library:changed', { what: 'runs', id });
  return getRunSummary(ctx, id);
}

/**
 * How a run of `params` on `dataset` holds V under this machine's memory budget (memory-plan.ts):
 * in memory, streamed from a sample-major copy (minibatch on CSR), or refused. Replicates run at
 * once up to the pool's size, each with its own factors.
 */
export function runMemoryPlan(
  ctx: ServiceContext,
  dataset: Pick<DatasetSummary, 'rows' | 'cols' | 'nnz' | 'layout'>,
  params: RunParams,
): MemoryPlan {
  return planFitMemory(
    dataset,
    {
      rank: params.rank,
      solver: params.solver,
      init: params.init,
      batchSize: params.batchSize,
      parallel: Math.min(params.replicates, ctx.pool.size),
    },
    currentMemoryBudget(ctx).bytes,
  );
}

/** Starts a fit on the pool. Resolves when the run is queued; the run finishes in the background. */
export function startRun(ctx: ServiceContext, datasetId: number, input: RunParamsInput): RunSummary {
  const run = createRun(ctx, datasetId, input);
  void executeRun(ctx, run.id).catch(() => {
    // executeRun records every outcome in the database itself; nothing is left to report here.
  });
  return run;
}

/**
 * Runs one queued run (made by {@link createRun}) to its end and records the outcome: the fits on
 * the pool, then the best replicate stored with its provenance. Never throws for job failures.
 * `start`: W0 (m × k) and H0 (k × n) to start every replicate from (init custom).
 */
export async function executeRun(
  ctx: ServiceContext,
  id: number,
  start?: { W0: DenseMatrix; H0: DenseMatrix },
): Promise<'done' | 'cancelled' | 'failed'> {
  const { datasetId, params } = getRunSummary(ctx, id);
  let lease: MatrixLease | null = null;
  let dataHash: string;
  let plan: MemoryPlan;
  try {
    const dataset = getDatasetSummary(ctx, datasetId);
    dataHash = dataset.hash;
    // The budget may have changed since the run was made: planned again here.
    plan = runMemoryPlan(ctx, dataset, params);
    if (plan.mode === 'refused') throw new Error(plan.reason);
    if (plan.mode === 'in-memory') lease = leaseDatasetMatrix(ctx, datasetId);
  } catch (error) {
    // E.g. a damaged stored chunk: the run fails with the reason, it is not left queued.
    finishRunWithState(ctx.db, id, 'failed', ctx.now(), errorMessage(error));
    ctx.events.emit('library:changed', { what: 'runs', id });
    return 'failed';
  }
  const handles: JobHandle[] = [];
  let started = false;
  const startedAt = Date.now();
  const replicates = params.replicates;
  // Replicates are independent fits (seeds seed, seed + 1, …; after the first from random starts,
  // see replicateStart): one pool job each, so they run in parallel on the pool's threads and give
  // the same bits as running them one after another.
  const iterationsDone = new Array<number>(replicates).fill(0);
  // Idle pool threads beyond one per replicate go to each fit's kernels (a single large fit then
  // uses every core); the worker caps this by the machine's cores, and the bits do not change. Busy
  // threads are not counted: a split kernel call waits for its slowest part, so sharing cores with
  // other jobs would make the fit slower, not faster.
  const idle = Math.max(0, ctx.pool.size - ctx.pool.running - ctx.pool.queued);
  const threads = Math.max(1, Math.floor(idle / replicates));
  let cancelled = false;
  ctx.jobs.add('run', id, params.maxIter * replicates, () => {
    cancelled = true;
    handles.forEach((handle) => handle.cancel());
  });
  // A streamed run's sample-major copy of V (removed in `finally` whatever the outcome).
  let copy: SampleStreamResult | null = null;
  const copyMemory = new MemoryAccount();
  try {
    if (plan.mode === 'streamed') {
      const dataset = getDatasetSummary(ctx, datasetId);
      copy = await writeSampleFile(
        ctx.db,
        {
          id: datasetId,
          name: dataset.name,
          rows: dataset.rows,
          cols: dataset.cols,
          nnz: dataset.nnz,
          layout: dataset.layout,
        },
        {
          dir: ctx.app.tempDir,
          batchSize: params.batchSize ?? dataset.cols,
          bufferBytes: plan.copyBufferBytes,
          isCancelled: () => cancelled,
          memory: copyMemory,
          onProgress: (done, total) => {
            if (!started) {
              started = true;
              markRunStarted(ctx.db, id, ctx.now());
            }
            ctx.jobs.update('run', id, {
              state: 'running',
              iteration: 0,
              maxIter: params.maxIter * replicates,
              loss: null,
              elapsedMs: Date.now() - startedAt,
              fit: `copying V sample by sample for streaming: ${Math.round((100 * done) / total)} %`,
            });
          },
        },
      );
    }
    const streamed = copy;
    const base = start
      ? { ...fitOptionsOf(params), init: 'custom' as const, W0: start.W0, H0: start.H0 }
      : fitOptionsOf(params);
    const starts = Array.from({ length: replicates }, (_, r) =>
      replicateStart(base.init ?? params.init, params.seed, r),
    );
    const results = await Promise.all(
      starts.map((replicateStartOptions, r) => {
        const options = { ...base, ...replicateStartOptions };
        const handle = ctx.pool.submit(
          streamed !== null
            ? { kind: 'streamed-fit', file: streamed.spec, checks: streamed.checks, options }
            : { kind: 'fit', matrix: (lease as MatrixLease).matrix, options, replicates: 1, threads },
          (progress) => {
            if (!started) {
              started = true;
              markRunStarted(ctx.db, id, ctx.now());
            }
            iterationsDone[r] = progress.iteration;
            ctx.jobs.update('run', id, {
              state: 'running',
              iteration: iterationsDone.reduce((sum, it) => sum + it, 0),
              maxIter: params.maxIter * replicates,
              loss: progress.loss,
              elapsedMs: Date.now() - startedAt,
              // Replaces the copy's progress text once the fits read it.
              ...(streamed !== null ? { fit: 'V streamed batch by batch from disk' } : {}),
            });
          },
        );
        handles.push(handle);
        return handle.promise as Promise<FitTaskResult>;
      }),
    );
    // V is not read again: let it go before the result is stored, so that (once collected) it is
    // not held beside the result's copies on their way into the library.
    lease?.release();
    lease = null;
    // The lowest loss wins; on a tie, the lowest seed.
    let bestIndex = 0;
    for (let r = 1; r < results.length; r++)
      if (results[r].best.loss < results[bestIndex].best.loss) bestIndex = r;
    const result = { ...results[bestIndex], replicateLosses: results.map((x) => x.best.loss) };
    const best = result.best;
    const provenance: RunProvenance = {
      appVersion: ctx.app.version,
      engineVersion: ctx.app.engineVersion,
      dataHash,
      params,
      bestSeed: result.bestSeed,
      replicateLosses: result.replicateLosses,
      replicateStarts: starts.map((replicate, r) => ({ ...replicate, loss: results[r].best.loss })),
      warnings: start
        ? ['started from user-supplied W0 and H0 (init custom)', ...best.warnings]
        : best.warnings,
      platform: `${process.platform}-${process.arch} node ${process.versions.node}`,
      memory: {
        mode: plan.mode,
        budgetBytes: plan.budgetBytes,
        plannedPeakBytes: plan.peakBytes,
        reason: plan.reason,
        ...(streamed !== null
          ? {
              // The copy runs before the fits; the fits run side by side.
              accountedPeakBytes: Math.max(
                copyMemory.peakBytes,
                results.reduce((sum, r) => sum + (r.memory?.peakBytes ?? 0), 0),
              ),
            }
          : {}),
      },
      ...(best.traceSeconds !== undefined ? { traceSeconds: best.traceSeconds } : {}),
      ...warmupProvenance(params, best),
    };
    const stored = ctx.db.transaction(() => {
      if (!started) markRunStarted(ctx.db, id, ctx.now());
      return completeRun(ctx.db, id, {
        iterations: best.iterations,
        converged: best.converged,
        loss: best.loss,
        loglik: best.loglik,
        seconds: (Date.now() - startedAt) / 1000,
        trace: traceToBlob(best.trace),
        w: toBlob(best.W.data),
        h: toBlob(best.H.data),
        provenance: JSON.stringify(provenance),
        finished_at: ctx.now(),
      });
    })();
    if (!stored) {
      // Ended meanwhile (deleted with its dataset, or cancelled): the result is not stored.
      ctx.jobs.finish('run', id, 'cancelled');
      return 'cancelled';
    }
    ctx.jobs.update('run', id, {
      iteration: best.iterations,
      loss: best.loss,
      elapsedMs: Date.now() - startedAt,
    });
    ctx.jobs.finish('run', id, 'done');
    return 'done';
  } catch (error) {
    for (const handle of handles) handle.cancel();
    const wasCancelled = error instanceof JobCancelledError || error instanceof SampleStreamCancelledError;
    finishRunWithState(
      ctx.db,
      id,
      wasCancelled ? 'cancelled' : 'failed',
      ctx.now(),
      wasCancelled ? null : errorMessage(error),
    );
    ctx.jobs.finish('run', id, wasCancelled ? 'cancelled' : 'failed');
    return wasCancelled ? 'cancelled' : 'failed';
  } finally {
    lease?.release();
    if (copy !== null) removeSampleFile(copy.spec.path);
    ctx.events.emit('library:changed', { what: 'runs', id });
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The owner id for a job this process starts; a read-only library starts nothing. */
export function requireOwner(ctx: ServiceContext): string {
  if (ctx.owner === null)
    throw new ServiceError('conflict', `the library ${ctx.app.libraryPath} is open read-only here`);
  return ctx.owner;
}

export function cancelRun(ctx: ServiceContext, id: number): { state: RunSummary['state'] } {
  getRunSummary(ctx, id);
  if (!ctx.jobs.cancel('run', id)) {
    const row = runOwner(ctx.db, id);
    if (row && (row.state === 'queued' || row.state === 'running')) {
      // Another process's run is that process's to end, while it lives.
      if (!ownerGone(ctx.db, row.owner))
        throw new ServiceError(
          'conflict',
          `run ${id} is being computed by ${describeOwner(ctx.db, row.owner)}; cancel it there`,
        );
      finishRunWithState(ctx.db, id, 'interrupted', ctx.now(), 'no process was computing this run');
    }
  }
  return { state: getRunSummary(ctx, id).state };
}

/** Starts a new run with the same dataset and parameters (e.g. after an interruption). */
export function rerun(ctx: ServiceContext, id: number): RunSummary {
  const run = getRunSummary(ctx, id);
  return startRun(ctx, run.datasetId, run.params);
}

export function updateRun(ctx: ServiceContext, request: ParsedRequestOf<'runs:update'>): RunSummary {
  const tags = request.tags ? [...new Set(request.tags)] : undefined;
  if (request.componentNames) {
    const rank = getRunSummary(ctx, request.id).params.rank;
    if (request.componentNames.length !== rank)
      throw new ServiceError(
        'bad_input',
        `run ${request.id} has ${rank} components, ${request.componentNames.length} names were given`,
      );
  }
  const found = ctx.db.transaction(
    () =>
      updateRunNotes(ctx.db, request.id, request.notes, tags) &&
      updateRunNames(ctx.db, request.id, request.name, request.componentNames),
  )();
  if (!found) throw new ServiceError('not_found', `run ${request.id} does not exist`);
  ctx.events.emit('library:changed', { what: 'runs', id: request.id });
  return getRunSummary(ctx, request.id);
}

export function deleteRun(ctx: ServiceContext, id: number): { deleted: number } {
  ctx.jobs.cancel('run', id);
  if (!softDeleteRun(ctx.db, id, ctx.now()))
    throw new ServiceError('not_found', `run ${id} does not exist or is already deleted`);
  forgetRunSummaries(ctx, id);
  ctx.events.emit('library:changed', { what: 'runs', id });
  return { deleted: 1 };
}

export function restoreDeletedRun(ctx: ServiceContext, id: number): RunSummary {
  if (!restoreRun(ctx.db, id)) throw new ServiceError('not_found', `run ${id} is not in the deleted runs`);
  ctx.events.emit('library:changed', { what: 'runs', id });
  return getRunSummary(ctx, id);
}

/**
 * Time and memory forecast. Time: each replicate's iterations (passes, for minibatch) at the work
 * per iteration of its loss, solver, layout and shape, plus what a fit costs beyond its iterations
 * (its start and loss passes; fit-cost.ts), in the calibration fit's multiply-adds, at the rate this
 * machine achieved on that fit (calibrate.ts). Memory: V, W, H and the per-iteration k-sized
 * temporaries of each replicate running at once.
 */
export function estimateRun(
  ctx: ServiceContext,
  datasetId: number,
  input: RunParamsInput,
  rate: number,
): RunEstimate {
  const dataset = getDatasetSummary(ctx, datasetId);
  const params = completeRunParams(input);
  // Replicates run side by side on the pool's threads; threads left over go to each fit's kernels
  // (as startRun hands them out when the pool is idle), which split only calls of at least
  // MIN_NATIVE_SPLIT_WORK multiply-adds.
  const parallel = Math.min(params.replicates, ctx.pool.size);
  // A minibatch fit (refined schedule, minibatch.ts) makes at most its online and polish passes.
  const passes = fitPassBudget(params);
  const settings = costSettingsOf(params);
  const work = fitWorkPerIteration(dataset, params.rank, settings);
  const fixedWork = params.replicates * fitFixedWork(dataset, params.rank, settings);
  // Kernel calls split when one product is large enough: the calibration's units are close to
  // multiply-adds for KL, the family the split threshold was set on.
  const kernelThreads =
    work / 4 >= MIN_NATIVE_SPLIT_WORK ? Math.max(1, Math.floor(ctx.pool.size / params.replicates)) : 1;
  const secondsPerWork = 1 / rate / parallel / splitSpeedup(kernelThreads);
  const iterationSeconds =
    params.replicates * fitIterationsWork(dataset, params.rank, settings, passes) * secondsPerWork;
  const fixedSeconds = fixedWork * secondsPerWork;
  const seconds = iterationSeconds + fixedSeconds;
  const history = runHistory(ctx.db, datasetId, params, fitPassBudget);
  const plan = runMemoryPlan(ctx, dataset, params);
  // Over the budget, a full-batch fit is refused; the minibatch solver streams V (memory-plan.ts).
  const suggestion =
    plan.mode === 'refused' && params.solver !== 'minibatch' && dataset.layout === 'csr'
      ? { solver: 'minibatch' as const, batchSize: MINIBATCH_DEFAULTS.batchSize, reason: plan.reason }
      : minibatchSuggestion(dataset.cols, params.solver, seconds);
  const steps =
    params.solver === 'minibatch'
      ? `at most ${passes} passes over the data (W updated after each batch of ${params.batchSize} samples)`
      : `at most ${params.maxIter} iterations`;
  return {
    seconds,
    peakBytes: plan.peakBytes,
    memory: { mode: plan.mode, budgetBytes: plan.budgetBytes, reason: plan.reason },
    basis:
      `${steps} × ${params.replicates} replicate(s) on ${parallel} thread(s)` +
      (kernelThreads > 1 ? `, each fit split over ${kernelThreads} threads` : '') +
      `, ${costBasis(rate, settings)}; convergence usually stops earlier`,
    ...(history
      ? {
          expected: {
            // Earlier runs' iterations scale the iterations; every fit still has its start and loss passes.
            seconds: iterationSeconds * history.share + fixedSeconds,
            basis: `from the iterations ${history.runs} earlier run${history.runs === 1 ? '' : 's'} ${history.sameDataset ? 'of this dataset' : 'of other datasets'} with these settings needed: ${Math.round(100 * history.share)} % of their budgets`,
          },
        }
      : {}),
    ...(suggestion !== null ? { suggestion } : {}),
  };
}

/**
 * The iterations (passes over the data, for minibatch) one fit of `params` may run: maxIter, or at
 * most the minibatch schedule's online and polish passes (minibatch.ts).
 */
function fitPassBudget(params: RunParams): number {
  return params.solver === 'minibatch'
    ? Math.min(params.maxIter, MINIBATCH_DEFAULTS.onlinePasses + MINIBATCH_DEFAULTS.polishPasses)
    : params.maxIter;
}

/**
 * How much faster one fit runs with its kernel calls split over `threads` threads: the split passes
 * are most of a fit, but memory bandwidth is shared and the rest stays on one thread; `npm run
 * bench` measured 1.2–1.9× on two threads (2000 × 500 to 20000 × 1000), so each extra thread counts
 * as 0.6 of one.
 */
export function splitSpeedup(threads: number): number {
  return 1 + 0.6 * (Math.max(1, threads) - 1);
}

/** Bytes one fit holds besides V: W and H with the same-sized numerators, denominators and copies. */
export function fitFactorBytes(dataset: Pick<DatasetSummary, 'rows' | 'cols'>, k: number): number {
  return 8 * (dataset.rows * k + k * dataset.cols) * 4;
}

/** Whether V has an observed zero (implicit in CSR, or stored): checked before a matrix is stored. */
export function matrixHasZeros(matrix: DataMatrix): boolean {
  if (matrix.kind === 'csr' && matrix.data.length < matrix.rows * matrix.cols) return true;
  return matrix.data.some((v) => v === 0);
}
