import { oneSidedSolver } from '../../shared/nmf/defaults';
import { ServiceError } from '../../shared/api';
import {
  ProjectionError,
  matchFeatures,
  selectDataRows,
  selectRows,
  type FeatureMatch,
} from '../../shared/analysis';
import type {
  ProjectionDetail,
  ProjectionSummary,
  ProjectionView,
  RunDetail,
  RunParams,
} from '../../shared/domain';
import { H_VIEW_MAX_ENTRIES, summarisesH } from '../../shared/analysis/run-views';
import type { DownloadTicket } from '../../shared/api/transfer';
import type { Delimiter } from '../../shared/export/delimited';
import { dense, type DataMatrix, type DenseMatrix } from '../../shared/linalg/matrix';
import type { FitOptionsInput, FitResult } from '../../shared/nmf/types';
import { float64FromBlob, toBlob } from '../db/blobs';
import {
  deleteProjection,
  getProjectionHead,
  getProjectionRow,
  insertProjection,
  listProjections,
  type ProjectionListRow,
} from '../db/queries/projections';
import { JobCancelledError, type JobHandle } from '../workers/pool';
import type { FitTaskResult } from '../workers/protocol';
import type { ServiceContext } from './context';
import { getDatasetSummary, loadDataset } from './datasets';
import { projectionMemoryPlan } from './job-memory';
import { getRunDetail, requireOwner } from './runs';
import { summariseProjectionH } from './run-view';
import { offerDelimitedTable } from './table-download';
import { storeValue, storedValue } from './kept-views';
import { forgetProjectionSummary, projectionSummaryKey, viewCaches } from './view-cache';

/**
 * Projections: a dataset's samples fitted onto a saved run's components (W held, H fitted; the
 * engine's `FitOptions.fixed`), its features matched to the run's by name. Stored linked to both
 * the run and the dataset, in one statement.
 */

/** The run's fit settings a projection reuses: its loss, solver, stopping rule and H penalties. */
export function projectionFitOptions(params: RunParams, rank: number): FitOptionsInput {
  return {
    rank,
    beta: params.beta,
    solver: oneSidedSolver(params.solver),
    maxIter: params.maxIter,
    tol: params.tol,
    l1H: params.l1H,
    l2H: params.l2H,
  };
}

function toProjectionSummary(row: ProjectionListRow): ProjectionSummary {
  return {
    id: row.id,
    runId: row.run_id,
    datasetId: row.dataset_id,
    datasetName: row.dataset_name,
    rank: row.rank,
    params: JSON.parse(row.params) as ProjectionSummary['params'],
    matched: row.matched,
    missing: JSON.parse(row.missing) as string[],
    dropped: JSON.parse(row.dropped) as string[],
    iterations: row.iterations,
    converged: row.converged === 1,
    loss: row.loss,
    createdAt: row.created_at,
  };
}

export function listProjectionSummaries(
  ctx: ServiceContext,
  filter: { runId?: number; datasetId?: number },
): ProjectionSummary[] {
  return listProjections(ctx.db, filter).map(toProjectionSummary);
}

export function getProjectionDetail(ctx: ServiceContext, id: number): ProjectionDetail {
  const row = getProjectionRow(ctx.db, id);
  if (!row) throw new ServiceError('not_found', `projection ${id} does not exist`);
  const names = ctx.db.prepare('SELECT col_names FROM datasets WHERE id = ?').get(row.dataset_id) as {
    col_names: string;
  };
  return {
    ...toProjectionSummary(row),
    H: float64FromBlob(row.h) as Float64Array,
    sampleNames: JSON.parse(names.col_names) as string[],
  };
}

/**
 * A projection as `projections:get` answers (the panel's record), like `runs:get`
 * (run-view.ts): up to {@link H_VIEW_MAX_ENTRIES} entries of H the stored projection as is; above,
 * H (k × n of the new samples: 160 MB at k = 20 × 10⁶) and the n sample names stay here and
 * `hSummary` carries the heat map the panel draws (`summariseProjectionH`), kept for the next call
 * (view-cache.ts: a stored projection never changes) and stored in the library for the next
 * process (kept-views.ts, migration 0180).
 */
export function getProjectionView(
  ctx: ServiceContext,
  id: number,
  maxEntries = H_VIEW_MAX_ENTRIES,
): ProjectionView {
  const head = getProjectionHead(ctx.db, id);
  if (!head) throw new ServiceError('not_found', `projection ${id} does not exist`);
  const { samples, ...row } = head;
  if (!summarisesH(head.rank, samples, maxEntries)) return getProjectionDetail(ctx, id);
  const key = projectionSummaryKey(id, head.created_at, maxEntries);
  const kept = viewCaches(ctx).projections;
  let summary = kept.get(key) ?? storedValue(ctx, 'projection_h_summaries', id, key);
  if (!summary) {
    const H = float64FromBlob(getProjectionRow(ctx.db, id)!.h) as Float64Array;
    summary = summariseProjectionH(H, head.rank, samples);
    storeValue(ctx, 'projection_h_summaries', id, key, summary);
  }
  kept.set(key, summary);
  return { ...toProjectionSummary(row), H: null, sampleNames: [], hSummary: summary };
}

/** File name of a projection's H table: `projection-<id>-H.tsv` or `.csv`. */
export function projectionTableFileName(id: number, delimiter: Delimiter): string {
  return `projection-${id}-H.${delimiter === ',' ? 'csv' : 'tsv'}`;
}

/**
 * The projection panel's "H as TSV/CSV": the projected H (components × the new samples, corner
 * `component`, components c1…ck as the panel and the CLI's `project --out` H.tsv name them), made
 * here a piece at a time and read through `downloads:read` with progress and Cancel, as the Run
 * screen's tables (`offerDelimitedTable`).
 */
export function offerProjectionTable(
  ctx: ServiceContext,
  id: number,
  delimiter: Delimiter,
  chunkValues?: number,
): Promise<DownloadTicket> {
  const projection = getProjectionDetail(ctx, id);
  const k = projection.rank;
  const table = {
    values: projection.H,
    rows: k,
    cols: projection.sampleNames.length,
    rowNames: Array.from({ length: k }, (_, c) => `c${c + 1}`),
    colNames: projection.sampleNames,
    corner: 'component',
  };
  return offerDelimitedTable(ctx, projectionTableFileName(id, delimiter), table, delimiter, chunkValues);
}

export function deleteProjectionById(ctx: ServiceContext, id: number): { deleted: number } {
  const deleted = deleteProjection(ctx.db, id);
  if (!deleted) throw new ServiceError('not_found', `projection ${id} does not exist`);
  forgetProjectionSummary(ctx, id);
  ctx.events.emit('library:changed', { what: 'runs', id: null });
  return { deleted };
}

/** A run's W restricted to the features of `newFeatures` it shares, and V's matching rows. */
export function matchedProblem(
  W: DenseMatrix,
  runFeatures: readonly string[],
  V: DataMatrix,
  newFeatures: readonly string[],
  minShare?: number,
): { W: DenseMatrix; V: DataMatrix; match: FeatureMatch } {
  let match: FeatureMatch;
  try {
    match = matchFeatures(runFeatures, newFeatures, { rank: W.cols, minShare });
  } catch (error) {
    if (error instanceof ProjectionError) throw new ServiceError('bad_input', error.message);
    throw error;
  }
  return { W: selectRows(W, match.runRows), V: selectDataRows(V, match.newRows), match };
}

/** A projection checked and ready to fit: the run's matched W and the new samples' matched rows. */
export interface PreparedProjection {
  runId: number;
  datasetId: number;
  run: RunDetail;
  dataHash: string;
  problem: { W: DenseMatrix; V: DataMatrix; match: FeatureMatch };
  fitOptions: FitOptionsInput;
}

/**
 * Checks a projection of dataset `datasetId` onto run `runId` before anything runs. Refuses
 * (bad_input) a run that is not done, a loss the new data cannot take (IS with zeros), and too few
 * shared features, naming the missing ones.
 */
export function prepareProjection(
  ctx: ServiceContext,
  runId: number,
  datasetId: number,
  options: { minShare?: number } = {},
): PreparedProjection {
  const run = getRunDetail(ctx, runId);
  if (run.state !== 'done' || !run.W) {
    throw new ServiceError(
      'bad_input',
      `run ${runId} is ${run.state}: only a finished run can be projected onto`,
    );
  }
  const k = run.params.rank;
  // Planned against the memory budget before V is read; the matched rows are not known yet, so
  // every row the run could match counts (one fit: a projection is refused, never adapted).
  const summary = getDatasetSummary(ctx, datasetId);
  const memory = projectionMemoryPlan(ctx, summary, Math.min(summary.rows, run.rows), k);
  if (memory.mode === 'refused') throw new ServiceError('bad_input', memory.reason);
  const data = loadDataset(ctx, datasetId);
  const problem = matchedProblem(
    dense(run.rows, k, run.W),
    run.featureNames,
    data.matrix,
    data.rowNames,
    options.minShare,
  );
  if (run.params.beta <= 0 && hasZero(problem.V)) {
    throw new ServiceError(
      'bad_input',
      `run ${runId} uses β = ${run.params.beta}, undefined where the data have zeros, and dataset ${datasetId} has zeros on the matched features`,
    );
  }
  return {
    runId,
    datasetId,
    run,
    dataHash: data.hash,
    problem,
    fitOptions: projectionFitOptions(run.params, k),
  };
}

/** Projection jobs are numbered per process (they live only while they compute; see startProjection). */
let nextProjectionJob = 1;

/**
 * Registers a prepared projection as a job (`jobs:progress` events of kind `projection`, with
 * iterations, loss and time left; cancellable through `jobs`/`projections:cancel`) and runs it on
 * the pool. Resolves with the stored projection, or rejects with a ServiceError (`cancelled` when
 * cancelled: nothing is stored). The job id is known before the fit starts (`onJob`).
 */
export async function runProjectionJob(
  ctx: ServiceContext,
  prepared: PreparedProjection,
  onJob: (jobId: number) => void = () => undefined,
): Promise<ProjectionDetail> {
  requireOwner(ctx);
  const jobId = nextProjectionJob++;
  const maxIter = prepared.fitOptions.maxIter ?? prepared.run.params.maxIter;
  let handle: JobHandle | null = null;
  let cancelled = false;
  ctx.jobs.add('projection', jobId, maxIter, () => {
    cancelled = true;
    handle?.cancel();
  });
  ctx.jobs.update('projection', jobId, { runId: prepared.runId, datasetId: prepared.datasetId });
  onJob(jobId);
  const startedAt = Date.now();
  try {
    if (cancelled) throw new JobCancelledError(jobId);
    const { W, V } = prepared.problem;
    handle = ctx.pool.submit(
      {
        kind: 'fit',
        matrix: V,
        options: { ...prepared.fitOptions, rank: W.cols, fixed: 'W', W0: W },
        replicates: 1,
      },
      (progress) =>
        ctx.jobs.update('projection', jobId, {
          state: 'running',
          iteration: progress.iteration,
          maxIter,
          loss: progress.loss,
          elapsedMs: Date.now() - startedAt,
        }),
    );
    const fit = ((await handle.promise) as FitTaskResult).best;
    if (cancelled) throw new JobCancelledError(jobId);
    const id = storeProjection(ctx, prepared, fit);
    if (id === null)
      throw new ServiceError('conflict', 'the run or the dataset was deleted while projecting');
    ctx.jobs.update('projection', jobId, {
      iteration: fit.iterations,
      loss: fit.loss,
      elapsedMs: Date.now() - startedAt,
      projectionId: id,
    });
    ctx.jobs.finish('projection', jobId, 'done');
    ctx.events.emit('library:changed', { what: 'runs', id: prepared.runId });
    return getProjectionDetail(ctx, id);
  } catch (error) {
    handle?.cancel();
    if (error instanceof JobCancelledError || cancelled) {
      ctx.jobs.finish('projection', jobId, 'cancelled');
      throw new ServiceError('cancelled', `projection job ${jobId} was cancelled; nothing was stored`);
    }
    const message = error instanceof Error ? error.message : String(error);
    ctx.jobs.update('projection', jobId, { error: message });
    ctx.jobs.finish('projection', jobId, 'failed');
    throw error;
  }
}

/**
 * Stores a finished projection in one statement, if its run (not deleted) and dataset still exist;
 * null otherwise (nothing stored).
 */
function storeProjection(ctx: ServiceContext, prepared: PreparedProjection, fit: FitResult): number | null {
  const { run, problem, runId, datasetId } = prepared;
  const params: ProjectionSummary['params'] = {
    loss: run.params.loss,
    beta: run.params.beta,
    solver: oneSidedSolver(run.params.solver),
    maxIter: run.params.maxIter,
    tol: run.params.tol,
    l1H: run.params.l1H,
    l2H: run.params.l2H,
  };
  const provenance = {
    appVersion: ctx.app.version,
    engineVersion: ctx.app.engineVersion,
    runId,
    runDataHash: run.provenance?.dataHash ?? null,
    dataHash: prepared.dataHash,
    warnings: fit.warnings,
    platform: `${process.platform}-${process.arch} node ${process.versions.node}`,
  };
  return ctx.db.transaction(() => {
    const present = ctx.db
      .prepare('SELECT 1 FROM runs r, datasets d WHERE r.id = ? AND r.deleted_at IS NULL AND d.id = ?')
      .get(runId, datasetId);
    if (!present) return null;
    return insertProjection(ctx.db, {
      run_id: runId,
      dataset_id: datasetId,
      params: JSON.stringify(params),
      rank: run.params.rank,
      matched: problem.match.runRows.length,
      missing: JSON.stringify(problem.match.missing),
      dropped: JSON.stringify(problem.match.dropped),
      iterations: fit.iterations,
      converged: fit.converged ? 1 : 0,
      loss: fit.loss,
      h: toBlob(fit.H.data),
      provenance: JSON.stringify(provenance),
      created_at: ctx.now(),
    });
  })();
}

/** Projects dataset `datasetId` onto run `runId` as a job and waits for it (the CLI's `project`). */
export async function projectDataset(
  ctx: ServiceContext,
  runId: number,
  datasetId: number,
  options: { minShare?: number } = {},
): Promise<ProjectionDetail> {
  return runProjectionJob(ctx, prepareProjection(ctx, runId, datasetId, options));
}

/**
 * Starts a projection job and answers at once with its id; progress and the outcome arrive as
 * `jobs:progress` events of kind `projection` (`projectionId` once stored, `error` if it failed).
 */
export function beginProjection(
  ctx: ServiceContext,
  runId: number,
  datasetId: number,
  options: { minShare?: number } = {},
): { jobId: number } {
  requireOwner(ctx);
  const prepared = prepareProjection(ctx, runId, datasetId, options);
  let jobId = 0;
  void runProjectionJob(ctx, prepared, (id) => (jobId = id)).catch(() => {
    // The outcome (cancelled, failed) is in the job's last progress event.
  });
  return { jobId };
}

/** Cancels a projection job of this process (nothing of it is stored). */
export function cancelProjection(ctx: ServiceContext, jobId: number): { state: 'cancelled' } {
  if (!ctx.jobs.cancel('projection', jobId))
    throw new ServiceError('not_found', `projection job ${jobId} is not computing in this process`);
  return { state: 'cancelled' };
}

function hasZero(V: DataMatrix): boolean {
  if (V.kind === 'csr' && V.data.length < V.rows * V.cols) return true;
  return V.data.some((v) => v === 0);
}
