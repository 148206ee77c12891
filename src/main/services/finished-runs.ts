/**
 * Runs stored already finished: a sweep's best replicate per rank, a consensus run, factors
 * imported from another tool. They skip the queue, so their row is written, started and completed
 * in one go; written here once so that the three keep the same columns and provenance.
 */
import type { RunParams, RunProvenance } from '../../shared/domain';
import { toBlob, traceToBlob } from '../db/blobs';
import { completeRun, insertRun, markRunStarted } from '../db/queries/runs';
import type { ServiceContext } from './context';

/** The platform a run was computed on, as provenance records it. */
export function platformDescription(): string {
  return `${process.platform}-${process.arch} node ${process.versions.node}`;
}

/**
 * The provenance fields every run carries, in the order they are stored (the stored JSON keeps
 * this order, so that exported run.json files stay the same byte for byte); callers add theirs after.
 */
export function baseProvenance(
  ctx: ServiceContext,
  fields: Pick<RunProvenance, 'dataHash' | 'params' | 'bestSeed' | 'warnings'>,
): RunProvenance {
  return {
    appVersion: ctx.app.version,
    engineVersion: ctx.app.engineVersion,
    dataHash: fields.dataHash,
    params: fields.params,
    bestSeed: fields.bestSeed,
    warnings: fields.warnings,
    platform: platformDescription(),
  };
}

export interface FinishedRun {
  datasetId: number;
  sweepId: number | null;
  params: RunParams;
  /** The process that stored it (ServiceContext.owner), or null for factors computed elsewhere. */
  owner: string | null;
  iterations: number;
  converged: boolean;
  loss: number;
  loglik: number | null;
  seconds: number;
  trace: ReadonlyArray<readonly [number, number]>;
  /** m × k row-major. */
  W: Float64Array;
  /** k × n row-major. */
  H: Float64Array;
  provenance: RunProvenance;
}

/**
 * Stores a finished run (inserted, started and completed) and returns its id. Call inside a
 * transaction with whatever links the run to its sweep or consensus record, so that nothing is
 * half-stored.
 */
export function storeFinishedRun(ctx: ServiceContext, run: FinishedRun): number {
  const id = insertRun(ctx.db, {
    dataset_id: run.datasetId,
    sweep_id: run.sweepId,
    params: JSON.stringify(run.params),
    created_at: ctx.now(),
    owner: run.owner,
  });
  markRunStarted(ctx.db, id, ctx.now());
  completeRun(ctx.db, id, {
    iterations: run.iterations,
    converged: run.converged,
    loss: run.loss,
    loglik: run.loglik,
    seconds: run.seconds,
    trace: traceToBlob(run.trace),
    w: toBlob(run.W),
    h: toBlob(run.H),
    provenance: JSON.stringify(run.provenance),
    finished_at: ctx.now(),
  });
  return id;
}

/**
 * A kept fit's seconds to each trace point as provenance records them (`traceSeconds`), when the
 * job recorded them for exactly its trace; nothing otherwise (results stored before they were, or
 * a cluster result from an older version), so run.json's `trace_seconds` is null there.
 */
export function traceSecondsProvenance(factors: {
  trace: ReadonlyArray<readonly [number, number]>;
  traceSeconds?: readonly number[];
}): Pick<RunProvenance, 'traceSeconds'> {
  const seconds = factors.traceSeconds;
  return Array.isArray(seconds) && seconds.length === factors.trace.length
    ? { traceSeconds: [...seconds] }
    : {};
}

/**
 * The warm-up's length where the parameters do not give it (a warm-up run until HALS settled,
 * `warmupTol` > 0): the Run screen marks the hand-over to multiplicative updates there.
 */
export function warmupProvenance(
  params: Pick<RunParams, 'warmupTol'>,
  fit: { warmupIterations?: number },
): Pick<RunProvenance, 'warmupIterations'> {
  return (params.warmupTol ?? 0) > 0 && fit.warmupIterations !== undefined
    ? { warmupIterations: fit.warmupIterations }
    : {};
}
