import type { ConsensusReplicateJob, ConsensusReplicateResult } from '../../shared/analysis/consensus-plan';
import { completeRunParams, type ConsensusParams, type RunParams } from '../../shared/domain';
import type { DataMatrix } from '../../shared/linalg/matrix';
import { toBlob } from '../db/blobs';
import { recordConsensusJob } from '../db/queries/consensus';
import type { JobHandle, WorkerPool } from '../workers/pool';
import type { FitTaskResult } from '../workers/protocol';
import type { ServiceContext } from './context';
import { fitOptionsOf } from './runs';

/**
 * One replicate fit of a consensus run, as the local run (services/consensus.ts) and a cluster
 * array task (cluster-task.ts) both run it, and its storing; the plan of replicates is
 * shared/analysis/consensus-plan.ts.
 */

/** The fit parameters of rank k's replicates (and of the consensus run stored for it). */
export function consensusRunParams(params: ConsensusParams, rank: number): RunParams {
  // A consensus stored before `warmupTol` existed ran a fixed warm-up.
  return completeRunParams({
    ...params.fit,
    warmupTol: params.fit.warmupTol ?? 0,
    rank,
    replicates: params.replicates,
  });
}

/**
 * Runs one replicate fit on the pool: the consensus's fit options at the job's rank, one start with
 * the job's seed. The local run and a cluster array task both run replicates through this, so their
 * W's are the same bits.
 *
 * @param matrix V (m × n), shared with the pool's workers
 * @returns the pool handle (to cancel) and the replicate's W (m × rank) with its loss
 */
export function submitConsensusReplicate(
  pool: WorkerPool,
  matrix: DataMatrix,
  params: ConsensusParams,
  job: ConsensusReplicateJob,
  onProgress?: (progress: { iteration: number; maxIter: number; loss: number }) => void,
): { handle: JobHandle; result: Promise<ConsensusReplicateResult> } {
  const options = { ...fitOptionsOf(consensusRunParams(params, job.rank)), seed: job.seed };
  const handle = pool.submit({ kind: 'fit', matrix, options, replicates: 1 }, onProgress);
  const result = handle.promise.then((outcome) => {
    const { best } = outcome as FitTaskResult;
    return {
      jobId: job.id,
      rank: job.rank,
      replicate: job.replicate,
      seed: job.seed,
      rows: matrix.rows,
      cols: matrix.cols,
      loss: best.loss,
      iterations: best.iterations,
      W: best.W,
    };
  });
  return { handle, result };
}

/** Stores a finished replicate's W with the consensus (the input of every rank's summary). */
export function recordConsensusReplicate(
  ctx: ServiceContext,
  id: number,
  result: ConsensusReplicateResult,
): void {
  recordConsensusJob(ctx.db, id, {
    rank: result.rank,
    replicate: result.replicate,
    seed: result.seed,
    loss: result.loss,
    iterations: result.iterations,
    w: toBlob(result.W.data),
  });
}
