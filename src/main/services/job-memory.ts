import {
  completeRunParams,
  type ConsensusParams,
  type DatasetSummary,
  type RunEstimate,
  type RunProvenance,
  type SweepParams,
} from '../../shared/domain';
import {
  planConsensusMemory,
  planProjectionMemory,
  planSweepMemory,
  type JobMemoryPlan,
} from '../../shared/domain/job-memory-plan';
import type { ServiceContext } from './context';
import { getDatasetSummary } from './datasets';
import { currentMemoryBudget } from './memory-budget';
import { getRunSummary } from './runs';
import { costBasis, costSettingsOf, fitWork } from './fit-cost';

/**
 * Sweeps, consensus runs and projections planned against this machine's memory budget
 * (shared/domain/job-memory-plan.ts), at creation and again at start (the budget, or the pool,
 * may have changed in between): in memory, adapted (fewer fits at once), or refused.
 */

type PlannedSummary = Pick<DatasetSummary, 'rows' | 'cols' | 'nnz' | 'layout'>;

/** A sweep's plan: its jobs as planSweep makes them, on this context's pool. */
export function sweepMemoryPlan(
  ctx: ServiceContext,
  dataset: PlannedSummary,
  params: SweepParams,
  jobs: Parameters<typeof planSweepMemory>[1],
): JobMemoryPlan {
  const fit = completeRunParams({ ...params.fit, rank: params.toRank });
  return planSweepMemory(
    dataset,
    jobs,
    { solver: fit.solver, init: fit.init, batchSize: fit.batchSize, beta: fit.beta },
    ctx.pool.size,
    currentMemoryBudget(ctx).bytes,
  );
}

/** A consensus's plan: its replicate fits on this context's pool, then each rank built alone. */
export function consensusMemoryPlan(
  ctx: ServiceContext,
  dataset: PlannedSummary,
  params: ConsensusParams,
): JobMemoryPlan {
  const fit = completeRunParams({ ...params.fit, rank: params.toRank, replicates: params.replicates });
  return planConsensusMemory(
    dataset,
    {
      fromRank: params.fromRank,
      toRank: params.toRank,
      replicates: params.replicates,
      fit: { solver: fit.solver, init: fit.init, batchSize: fit.batchSize },
    },
    ctx.pool.size,
    currentMemoryBudget(ctx).bytes,
  );
}

/** A projection's plan: `matchedRows` of the dataset's rows fitted at `rank` with W held. */
export function projectionMemoryPlan(
  ctx: ServiceContext,
  dataset: PlannedSummary,
  matchedRows: number,
  rank: number,
): JobMemoryPlan {
  return planProjectionMemory(dataset, matchedRows, rank, currentMemoryBudget(ctx).bytes);
}

/**
 * How the plan ran an adapted job, for the provenance of the runs it stores: the budget, the
 * planned peak, how many fits ran at once and why. Recorded only when adapted: a job run as the
 * pool would run it anyway keeps the provenance (and `sweep`'s bytes) it had, the same as a
 * cluster merge of the same sweep stores.
 */
export function memoryProvenance(plan: JobMemoryPlan): NonNullable<RunProvenance['memory']> {
  return {
    mode: plan.mode,
    budgetBytes: plan.budgetBytes,
    plannedPeakBytes: plan.peakBytes,
    parallel: plan.parallel,
    reason: plan.reason,
  };
}

/**
 * Runs `tasks` with at most `limit` of them started and unfinished at once (the plan's `parallel`):
 * each waits for a free place before it submits its fit to the pool, so an adapted job never
 * holds more fits than planned whatever else the pool runs. A task that fails stops the ones not
 * yet started (`stopped` decides; they reject with its answer) and the returned promise rejects
 * as Promise.all would.
 */
export async function runLimited(
  tasks: ReadonlyArray<() => Promise<void>>,
  limit: number,
  stopped: () => Error | null,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < tasks.length) {
      const task = tasks[next++];
      const stop = stopped();
      if (stop !== null) throw stop;
      await task();
    }
  };
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, tasks.length)) }, lane);
  await Promise.all(lanes);
}

/**
 * Time and memory forecast of a consensus: every replicate fit at its rank's work per iteration
 * for its iteration budget and its start (fit-cost.ts `fitWork`), at the engine's measured rate, over the
 * fits the memory plan lets run at once. An upper bound: fits that converge stop earlier; the
 * build of each rank (clustering R·k columns, one refit) is not counted.
 */
export function estimateConsensus(
  ctx: ServiceContext,
  datasetId: number,
  params: ConsensusParams,
  rate: number,
): RunEstimate {
  const dataset = getDatasetSummary(ctx, datasetId);
  const memory = consensusMemoryPlan(ctx, dataset, params);
  let work = 0;
  for (let k = params.fromRank; k <= params.toRank; k++)
    work += params.replicates * fitWork(dataset, k, costSettingsOf(params.fit), params.fit.maxIter);
  const fits = params.replicates * (params.toRank - params.fromRank + 1);
  const parallel = Math.max(1, memory.mode === 'refused' ? memory.poolParallel : memory.parallel);
  return {
    seconds: work / rate / parallel,
    peakBytes: memory.peakBytes,
    memory: { mode: memory.mode, budgetBytes: memory.budgetBytes, reason: memory.reason },
    basis: `${fits} replicate fits (ranks ${params.fromRank}–${params.toRank}, ${params.replicates} each), at most ${params.fit.maxIter} iterations each, on ${parallel} thread(s), ${costBasis(rate, costSettingsOf(params.fit))}; convergence usually stops earlier`,
  };
}

/** A projection's memory plan as the projection panel shows it, before it starts. */
export function estimateProjectionMemory(
  ctx: ServiceContext,
  runId: number,
  datasetId: number,
): { peakBytes: number; memory: NonNullable<RunEstimate['memory']> } {
  const run = getRunSummary(ctx, runId);
  const dataset = getDatasetSummary(ctx, datasetId);
  // The run's features are its dataset's rows: the new rows it can match are at most those.
  const runRows = getDatasetSummary(ctx, run.datasetId).rows;
  const plan = projectionMemoryPlan(ctx, dataset, Math.min(dataset.rows, runRows), run.params.rank);
  return {
    peakBytes: plan.peakBytes,
    memory: { mode: plan.mode, budgetBytes: plan.budgetBytes, reason: plan.reason },
  };
}
