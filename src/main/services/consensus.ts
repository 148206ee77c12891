import { ServiceError } from '../../shared/api';
import { consensusError, type ConsensusComponents } from '../../shared/analysis';
import { planConsensusReplicates } from '../../shared/analysis/consensus-plan';
import {
  consensusParamsSchema,
  type ConsensusClustergram,
  type ConsensusDetail,
  type ConsensusParams,
  type ConsensusParamsInput,
  type ConsensusProvenance,
  type ConsensusRank,
  type ConsensusSummary,
  type RunParams,
  type RunProvenance,
  type SweepClusterProvenance,
} from '../../shared/domain';
import { dense, type DataMatrix, type DenseMatrix } from '../../shared/linalg/matrix';
import { float64FromBlob } from '../db/blobs';
import {
  completeConsensus,
  consensusJobKeys,
  consensusJobs,
  deleteConsensus,
  finishConsensusWithState,
  getConsensusRow,
  insertConsensus,
  linkConsensusRun,
  listConsensus,
  markConsensusRunning,
  queueConsensusForResume,
  replaceConsensusResult,
  type ConsensusListRow,
} from '../db/queries/consensus';
import { describeOwner, ownerGone } from '../db/ownership';
import { JobCancelledError, type JobHandle } from '../workers/pool';
import type { ConsensusComponentsTaskResult, FitTaskResult } from '../workers/protocol';
import type { ServiceContext } from './context';
import { baseProvenance, storeFinishedRun } from './finished-runs';
import {
  consensusRunParams,
  recordConsensusReplicate,
  submitConsensusReplicate,
} from './consensus-replicates';
import { getDatasetSummary } from './datasets';
import { projectionFitOptions } from './projections';
import { checkParamsAgainstData, datasetHasZeros, leaseDatasetMatrix, requireOwner } from './runs';
import { consensusMemoryPlan, memoryProvenance, runLimited } from './job-memory';
import type { JobMemoryPlan } from '../../shared/domain/job-memory-plan';

/**
 * cNMF consensus runs (Kotliar et al. 2019; the algorithm is in src/shared/analysis/cnmf.ts).
 * Every replicate fit (rank × replicate) is a job on the worker pool; each finished one's W is
 * stored at once, so a cancelled or interrupted consensus resumes with only the missing fits
 * (the pattern of sweeps). When all are in, each rank's consensus W is built in a worker, H is
 * refitted with W held, and the result is stored as a run with its provenance; the rank-plot
 * statistics (stability, error) are computed as cNMF's `k_selection_plot` does, without the
 * density filter.
 */

function toConsensusSummary(row: ConsensusListRow): ConsensusSummary {
  return {
    id: row.id,
    datasetId: row.dataset_id,
    datasetName: row.dataset_name,
    state: row.state,
    params: JSON.parse(row.params) as ConsensusParams,
    jobsDone: row.jobs_done,
    jobsTotal: row.jobs_total,
    error: row.error,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
  };
}

export function getConsensusSummary(ctx: ServiceContext, id: number): ConsensusSummary {
  const row = getConsensusRow(ctx.db, id);
  if (!row) throw new ServiceError('not_found', `consensus ${id} does not exist`);
  return toConsensusSummary(row);
}

export function listConsensusSummaries(ctx: ServiceContext, datasetId?: number): ConsensusSummary[] {
  return listConsensus(ctx.db, datasetId).map(toConsensusSummary);
}

export function getConsensusDetail(ctx: ServiceContext, id: number): ConsensusDetail {
  const row = getConsensusRow(ctx.db, id);
  if (!row) throw new ServiceError('not_found', `consensus ${id} does not exist`);
  const ranks = row.result ? (JSON.parse(row.result) as { ranks: ConsensusRank[] }).ranks : [];
  const cluster = row.cluster ? (JSON.parse(row.cluster) as SweepClusterProvenance) : null;
  return { ...toConsensusSummary(row), ranks, cluster };
}

/** The replicate runner lives in consensus-replicates.ts; callers import it with the rest from here. */
export { consensusRunParams, recordConsensusReplicate, submitConsensusReplicate };

/** Validates and queues a consensus; it runs in the background. */
export function startConsensus(
  ctx: ServiceContext,
  datasetId: number,
  input: ConsensusParamsInput,
): ConsensusSummary {
  const id = createConsensus(ctx, datasetId, input);
  void executeConsensus(ctx, id).catch(() => undefined);
  return getConsensusSummary(ctx, id);
}

/** Validates the parameters against the dataset and inserts the queued consensus. */
export function createConsensus(ctx: ServiceContext, datasetId: number, input: ConsensusParamsInput): number {
  const dataset = getDatasetSummary(ctx, datasetId);
  const parsed = consensusParamsSchema.safeParse(input);
  if (!parsed.success) {
    throw new ServiceError(
      'bad_input',
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    );
  }
  const params = parsed.data;
  checkParamsAgainstData(
    consensusRunParams(params, params.toRank),
    dataset.rows,
    dataset.cols,
    datasetHasZeros(dataset),
  );
  // Refused before anything is stored: the message names V, the fits, the budget and what to change.
  const memory = consensusMemoryPlan(ctx, dataset, params);
  if (memory.mode === 'refused') throw new ServiceError('bad_input', memory.reason);
  const id = insertConsensus(ctx.db, {
    dataset_id: datasetId,
    params: JSON.stringify(params),
    jobs_total: planConsensusReplicates(params).length,
    created_at: ctx.now(),
    owner: requireOwner(ctx),
  });
  ctx.events.emit('library:changed', { what: 'runs', id: null });
  return id;
}

/** Continues a cancelled, failed or interrupted consensus: only the replicates without a stored W run. */
export function resumeConsensus(ctx: ServiceContext, id: number): ConsensusSummary {
  const summary = getConsensusSummary(ctx, id);
  if (summary.state === 'done') throw new ServiceError('conflict', `consensus ${id} is already done`);
  if (ctx.jobs.has('consensus', id)) throw new ServiceError('conflict', `consensus ${id} is running`);
  if (!queueConsensusForResume(ctx.db, id, requireOwner(ctx)))
    throw new ServiceError(
      'conflict',
      `consensus ${id} is ${getConsensusSummary(ctx, id).state}, not resumable`,
    );
  void executeConsensus(ctx, id).catch(() => undefined);
  return getConsensusSummary(ctx, id);
}

export function cancelConsensus(ctx: ServiceContext, id: number): { state: ConsensusSummary['state'] } {
  const summary = getConsensusSummary(ctx, id);
  if (!ctx.jobs.cancel('consensus', id) && (summary.state === 'queued' || summary.state === 'running')) {
    // Another process's consensus is that process's to end, while it lives.
    const owner = getConsensusRow(ctx.db, id)?.owner ?? null;
    if (!ownerGone(ctx.db, owner))
      throw new ServiceError(
        'conflict',
        `consensus ${id} is being computed by ${describeOwner(ctx.db, owner)}; cancel it there`,
      );
    finishConsensusWithState(ctx.db, id, 'interrupted', ctx.now(), 'no job was computing this consensus');
  }
  return { state: getConsensusSummary(ctx, id).state };
}

export function deleteConsensusById(ctx: ServiceContext, id: number): { deleted: number } {
  ctx.jobs.cancel('consensus', id);
  const deleted = deleteConsensus(ctx.db, id);
  if (!deleted) throw new ServiceError('not_found', `consensus ${id} does not exist`);
  ctx.events.emit('library:changed', { what: 'runs', id: null });
  return { deleted };
}

/** The stored replicate W's of one rank (each m × rank), in replicate order, with their seeds. */
function replicateFactors(
  ctx: ServiceContext,
  id: number,
  rank: number,
  rows: number,
): { Ws: DenseMatrix[]; seeds: number[] } {
  const jobs = consensusJobs(ctx.db, id, rank);
  return {
    Ws: jobs.map((job) => dense(rows, rank, float64FromBlob(job.w) as Float64Array)),
    seeds: jobs.map((job) => job.seed),
  };
}

/** Runs the missing replicate fits, then builds and stores every rank. Resolves with the final state. */
export async function executeConsensus(
  ctx: ServiceContext,
  id: number,
): Promise<'done' | 'cancelled' | 'failed'> {
  const summary = getConsensusSummary(ctx, id);
  const params = summary.params;
  const dataset = getDatasetSummary(ctx, summary.datasetId);
  const finished = consensusJobKeys(ctx.db, id);
  const pending = planConsensusReplicates(params).filter(
    (job) => !finished.has(`${job.rank}:${job.replicate}`),
  );
  // Planned again at start (the budget or the pool may have changed): refused before V is read.
  const memory = consensusMemoryPlan(ctx, dataset, params);
  if (memory.mode === 'refused') {
    finishConsensusWithState(ctx.db, id, 'failed', ctx.now(), memory.reason);
    ctx.events.emit('library:changed', { what: 'runs', id: null });
    return 'failed';
  }
  // Held for the whole job through the context's cache, so a run or sweep started meanwhile on the
  // same dataset reads this copy instead of loading a second one.
  const lease = leaseDatasetMatrix(ctx, summary.datasetId);
  const matrix = lease.matrix;
  const handles: JobHandle[] = [];
  let cancelled = false;
  let stopped: Error | null = null;
  let jobsDone = finished.size;
  const startedAt = Date.now();
  ctx.jobs.add(
    'consensus',
    id,
    params.fit.maxIter,
    () => {
      cancelled = true;
      for (const handle of handles) handle.cancel();
    },
    summary.jobsTotal,
  );
  try {
    if (!markConsensusRunning(ctx.db, id)) throw new JobCancelledError(id);
    // At most the plan's fits at once (all the pool's threads unless adapted to the budget).
    await runLimited(
      pending.map((job) => async () => {
        const { handle, result } = submitConsensusReplicate(ctx.pool, matrix, params, job, (progress) => {
          ctx.jobs.update('consensus', id, {
            state: 'running',
            iteration: progress.iteration,
            maxIter: progress.maxIter,
            loss: progress.loss,
            elapsedMs: Date.now() - startedAt,
            jobsDone,
            fit: `k = ${job.rank}, replicate ${job.replicate + 1}`,
          });
        });
        handles.push(handle);
        recordConsensusReplicate(ctx, id, await result);
        jobsDone++;
        ctx.jobs.update('consensus', id, { jobsDone, elapsedMs: Date.now() - startedAt });
      }),
      memory.parallel,
      () => (cancelled ? new JobCancelledError(id) : stopped),
    ).catch((error: unknown) => {
      stopped = error instanceof Error ? error : new Error(String(error));
      throw error;
    });
    const ranks: ConsensusRank[] = [];
    for (let rank = params.fromRank; rank <= params.toRank; rank++) {
      if (cancelled) throw new JobCancelledError(id);
      ranks.push(await buildRank(ctx, id, params, rank, matrix, dataset.rows, dataset.hash, handles, memory));
    }
    completeConsensus(ctx.db, id, JSON.stringify({ ranks }), ctx.now());
    ctx.jobs.finish('consensus', id, 'done');
    return 'done';
  } catch (error) {
    for (const handle of handles) handle.cancel();
    const wasCancel = cancelled || error instanceof JobCancelledError;
    finishConsensusWithState(
      ctx.db,
      id,
      wasCancel ? 'cancelled' : 'failed',
      ctx.now(),
      wasCancel ? null : error instanceof Error ? error.message : String(error),
    );
    ctx.jobs.finish('consensus', id, wasCancel ? 'cancelled' : 'failed');
    return wasCancel ? 'cancelled' : 'failed';
  } finally {
    lease.release();
    ctx.events.emit('library:changed', { what: 'runs', id: null });
  }
}

/** Consensus components of one rank, computed in a worker. */
async function componentsOnPool(
  ctx: ServiceContext,
  Ws: DenseMatrix[],
  rank: number,
  threshold: number,
  neighbours: number | undefined,
  handles: JobHandle[],
): Promise<ConsensusComponents> {
  const handle = ctx.pool.submit({
    kind: 'consensus-components',
    replicates: Ws,
    options: { rank, densityThreshold: threshold, ...(neighbours !== undefined ? { neighbours } : {}) },
  });
  handles.push(handle);
  return ((await handle.promise) as ConsensusComponentsTaskResult).result;
}

/** H refitted on the consensus W (held), with the replicates' loss and solver. */
async function refitOnPool(
  ctx: ServiceContext,
  matrix: DataMatrix,
  W: DenseMatrix,
  params: RunParams,
  handles: JobHandle[],
): Promise<FitTaskResult['best']> {
  const handle = ctx.pool.submit({
    kind: 'fit',
    matrix,
    options: { ...projectionFitOptions(params, W.cols), fixed: 'W', W0: W },
    replicates: 1,
  });
  handles.push(handle);
  return ((await handle.promise) as FitTaskResult).best;
}

/**
 * Builds rank k: consensus at the user's threshold (stored as a run), and cNMF's rank-plot
 * statistics from the unfiltered consensus. A threshold that leaves fewer columns than k gives the
 * rank an error instead of a run; the other ranks go on.
 */
async function buildRank(
  ctx: ServiceContext,
  id: number,
  params: ConsensusParams,
  rank: number,
  matrix: DataMatrix,
  rows: number,
  dataHash: string,
  handles: JobHandle[],
  memory?: JobMemoryPlan,
): Promise<ConsensusRank> {
  const runParams = consensusRunParams(params, rank);
  const { Ws, seeds } = replicateFactors(ctx, id, rank, rows);
  const unfiltered = await componentsOnPool(ctx, Ws, rank, Infinity, params.neighbours, handles);
  const unfilteredFit = await refitOnPool(ctx, matrix, unfiltered.W, runParams, handles);
  const stability = Number.isFinite(unfiltered.silhouette) ? unfiltered.silhouette : null;
  const error2 = consensusError(matrix, unfiltered.W, unfilteredFit.H);
  let chosen: ConsensusComponents;
  try {
    chosen = await componentsOnPool(ctx, Ws, rank, params.densityThreshold, params.neighbours, handles);
  } catch (error) {
    return {
      rank,
      runId: null,
      error: error instanceof Error ? error.message : String(error),
      threshold: params.densityThreshold,
      neighbours: unfiltered.neighbours,
      density: unfiltered.density,
      kept: [],
      dropped: unfiltered.pool.source.map(columnKey),
      labels: unfiltered.density.map(() => -1),
      silhouette: null,
      stability,
      error2,
      loss: null,
    };
  }
  const fit =
    chosen.dropped.length === 0
      ? unfilteredFit
      : await refitOnPool(ctx, matrix, chosen.W, runParams, handles);
  const silhouette = Number.isFinite(chosen.silhouette) ? chosen.silhouette : null;
  const consensus: ConsensusProvenance = {
    consensusId: id,
    rank,
    replicates: Ws.length,
    seeds,
    threshold: chosen.threshold,
    neighbours: chosen.neighbours,
    keptColumns: chosen.kept.length,
    droppedColumns: chosen.dropped.map(columnKey),
    silhouette,
  };
  const provenance: RunProvenance = {
    ...baseProvenance(ctx, { dataHash, params: runParams, bestSeed: null, warnings: fit.warnings }),
    consensus,
    ...(memory?.mode === 'adapted' ? { memory: memoryProvenance(memory) } : {}),
  };
  const runId = ctx.db.transaction(() => {
    const newRun = storeFinishedRun(ctx, {
      datasetId: getConsensusSummary(ctx, id).datasetId,
      sweepId: null,
      params: runParams,
      owner: ctx.owner,
      iterations: fit.iterations,
      converged: fit.converged,
      loss: fit.loss,
      loglik: fit.loglik,
      seconds: fit.seconds,
      trace: fit.trace,
      W: chosen.W.data,
      H: fit.H.data,
      provenance,
    });
    linkConsensusRun(ctx.db, id, rank, newRun);
    return newRun;
  })();
  return {
    rank,
    runId,
    error: null,
    threshold: chosen.threshold,
    neighbours: chosen.neighbours,
    density: chosen.density,
    kept: chosen.kept.map(columnKey),
    dropped: chosen.dropped.map(columnKey),
    labels: chosen.labels,
    silhouette,
    stability,
    error2,
    loss: fit.loss,
  };
}

function columnKey(column: { replicate: number; component: number }): string {
  return `${column.replicate}:${column.component}`;
}

/**
 * Rebuilds one rank of a finished consensus at another density threshold (the Consensus screen's
 * draggable threshold): a new consensus run, and the rank's entry replaced.
 */
export async function rethresholdConsensus(
  ctx: ServiceContext,
  id: number,
  rank: number,
  threshold: number,
): Promise<ConsensusDetail> {
  const detail = getConsensusDetail(ctx, id);
  if (detail.state !== 'done')
    throw new ServiceError('conflict', `consensus ${id} is ${detail.state}, not done`);
  const index = detail.ranks.findIndex((r) => r.rank === rank);
  if (index < 0) throw new ServiceError('bad_input', `consensus ${id} has no rank ${rank}`);
  const params: ConsensusParams = { ...detail.params, densityThreshold: threshold };
  const dataset = getDatasetSummary(ctx, detail.datasetId);
  const lease = leaseDatasetMatrix(ctx, detail.datasetId);
  try {
    const built = await buildRank(ctx, id, params, rank, lease.matrix, dataset.rows, dataset.hash, []);
    const ranks = detail.ranks.slice();
    ranks[index] = built;
    replaceConsensusResult(ctx.db, id, JSON.stringify({ ranks }));
  } finally {
    lease.release();
  }
  ctx.events.emit('library:changed', { what: 'runs', id: null });
  return getConsensusDetail(ctx, id);
}

/** Distances between rank k's pooled unit-norm replicate columns, ordered by k-means group. */
export function consensusClustergram(ctx: ServiceContext, id: number, rank: number): ConsensusClustergram {
  const detail = getConsensusDetail(ctx, id);
  const entry = detail.ranks.find((r) => r.rank === rank);
  if (!entry) throw new ServiceError('bad_input', `consensus ${id} has no result for rank ${rank}`);
  const dataset = getDatasetSummary(ctx, detail.datasetId);
  const { Ws } = replicateFactors(ctx, id, rank, dataset.rows);
  const m = dataset.rows;
  const P = Ws.length * rank;
  const points = new Float64Array(P * m);
  let p = 0;
  for (const W of Ws) {
    for (let a = 0; a < rank; a++, p++) {
      let norm = 0;
      for (let i = 0; i < m; i++) norm += W.data[i * rank + a] ** 2;
      norm = Math.sqrt(norm) || 1;
      for (let i = 0; i < m; i++) points[p * m + i] = W.data[i * rank + a] / norm;
    }
  }
  const labels = entry.labels.length === P ? entry.labels : new Array<number>(P).fill(-1);
  const order = Array.from({ length: P }, (_, q) => q).sort((a, b) => {
    const la = labels[a] < 0 ? Infinity : labels[a];
    const lb = labels[b] < 0 ? Infinity : labels[b];
    return la - lb || a - b;
  });
  const distances = new Float64Array(P * P);
  for (let r = 0; r < P; r++) {
    for (let c = r + 1; c < P; c++) {
      let s = 0;
      const a = order[r] * m;
      const b = order[c] * m;
      for (let i = 0; i < m; i++) s += (points[a + i] - points[b + i]) ** 2;
      distances[r * P + c] = distances[c * P + r] = Math.sqrt(s);
    }
  }
  return { rank, order, labels: order.map((q) => labels[q]), distances };
}
