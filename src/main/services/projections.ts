import { ServiceError } from '../../shared/api';
import {
  ProjectionError,
  matchFeatures,
  selectDataRows,
  selectRows,
  type FeatureMatch,
} from '../../shared/analysis';
import type { ProjectionDetail, ProjectionSummary, RunParams } from '../../shared/domain';
import { dense, type DataMatrix, type DenseMatrix } from '../../shared/linalg/matrix';
import type { FitOptionsInput, FitResult } from '../../shared/nmf/types';
import { float64FromBlob, toBlob } from '../db/blobs';
import {
  deleteProjection,
  getProjectionRow,
  insertProjection,
  listProjections,
  type ProjectionListRow,
} from '../db/queries/projections';
import type { FitTaskResult } from '../workers/protocol';
import type { ServiceContext } from './context';
import { loadDataset } from './datasets';
import { getRunDetail } from './runs';

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
    solver: params.solver,
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

export function deleteProjectionById(ctx: ServiceContext, id: number): { deleted: number } {
  const deleted = deleteProjection(ctx.db, id);
  if (!deleted) throw new ServiceError('not_found', `projection ${id} does not exist`);
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

/** Runs one projection fit on the pool (cancellable through `cancel`). */
export async function projectOnPool(
  ctx: ServiceContext,
  V: DataMatrix,
  W: DenseMatrix,
  options: FitOptionsInput,
): Promise<FitResult> {
  const handle = ctx.pool.submit({
    kind: 'fit',
    matrix: V,
    options: { ...options, rank: W.cols, fixed: 'W', W0: W },
    replicates: 1,
  });
  const result = (await handle.promise) as FitTaskResult;
  return result.best;
}

/**
 * Projects dataset `datasetId` onto run `runId` and stores the projection. Refuses (bad_input) a run
 * that is not done, a loss the new data cannot take (IS with zeros), and too few shared features,
 * naming the missing ones.
 */
export async function projectDataset(
  ctx: ServiceContext,
  runId: number,
  datasetId: number,
  options: { minShare?: number } = {},
): Promise<ProjectionDetail> {
  const run = getRunDetail(ctx, runId);
  if (run.state !== 'done' || !run.W) {
    throw new ServiceError(
      'bad_input',
      `run ${runId} is ${run.state}: only a finished run can be projected onto`,
    );
  }
  const k = run.params.rank;
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
  const fitOptions = projectionFitOptions(run.params, k);
  const fit = await projectOnPool(ctx, problem.V, problem.W, fitOptions);
  const params: ProjectionSummary['params'] = {
    loss: run.params.loss,
    beta: run.params.beta,
    solver: run.params.solver,
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
    dataHash: data.hash,
    warnings: fit.warnings,
    platform: `${process.platform}-${process.arch} node ${process.versions.node}`,
  };
  const id = insertProjection(ctx.db, {
    run_id: runId,
    dataset_id: datasetId,
    params: JSON.stringify(params),
    rank: k,
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
  ctx.events.emit('library:changed', { what: 'runs', id: runId });
  return getProjectionDetail(ctx, id);
}

function hasZero(V: DataMatrix): boolean {
  if (V.kind === 'csr' && V.data.length < V.rows * V.cols) return true;
  return V.data.some((v) => v === 0);
}
