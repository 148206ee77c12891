import {
  completeRunParams,
  type ConsensusParams,
  type DatasetSummary,
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
import { currentMemoryBudget } from './memory-budget';

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
    { solver: fit.solver, init: fit.init, batchSize: fit.batchSize },
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
 * How the plan ran the job, for the provenance of the runs it stores: the mode, the budget, the
 * planned peak and why (adapted: how many fits ran at once).
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
