import type { DatasetSummary, LossName } from '../../../../shared/domain';
import { cvFoldsProblem as sharedCvFoldsProblem, MAX_CV_FOLDS } from '../../../../shared/domain/defaults';
import { solverAllowed } from '../defaults';

/**
 * The checks of the New run, New sweep and New consensus forms that are not engine parameters,
 * written once: each returns the message shown beside its field, or null when the value is fine.
 * They mirror the request schemas (src/shared/api/channels.ts), so a problem shows at once instead
 * of as a refused request.
 */

type Shape = Pick<DatasetSummary, 'rows' | 'cols'>;

const whole = (n: number): boolean => Number.isInteger(n);

/** A rank cannot exceed the smaller dimension of the data. */
function largestRank(dataset: Shape): number {
  return Math.min(dataset.rows, dataset.cols);
}

export function rankProblem(rank: number, dataset: Shape | null): string | null {
  if (!whole(rank) || rank < 1) return 'A whole number of at least 1.';
  if (dataset && rank > largestRank(dataset))
    return `At most ${largestRank(dataset)} (the smaller dimension).`;
  return null;
}

export function rankRangeProblem(fromRank: number, toRank: number, dataset: Shape | null): string | null {
  if (!whole(fromRank) || !whole(toRank) || fromRank < 1) return 'Whole numbers of at least 1.';
  if (fromRank > toRank) return 'The first rank must not exceed the last.';
  if (dataset && toRank > largestRank(dataset))
    return `At most ${largestRank(dataset)} (the smaller dimension).`;
  return null;
}

/** Replicates of a run or of each rank of a sweep. */
export function replicatesProblem(replicates: number): string | null {
  return whole(replicates) && replicates >= 1 ? null : 'A whole number of at least 1.';
}

/** The sweep schema's folds rule (one fold leaves nothing to train on), shown beside the field. */
export function cvFoldsProblem(folds: number): string | null {
  return sharedCvFoldsProblem(folds) === null ? null : `0 (none) or 2 to ${MAX_CV_FOLDS} folds.`;
}

/** cNMF pools the replicates' components: density and clustering need at least two. */
export function consensusReplicatesProblem(replicates: number): string | null {
  return !whole(replicates) || replicates < 2 || replicates > 1000 ? 'From 2 to 1000.' : null;
}

/** cNMF's local-density cut; distances of unit vectors stay below 2, so 2 keeps every component. */
export function densityThresholdProblem(threshold: number): string | null {
  return !(threshold > 0) || threshold > 10 ? 'A number above 0 (2 keeps every component).' : null;
}

export interface ClusterOptions {
  tasks: number;
  cpus: number;
  partition: string;
  time: string;
  /** MiB per task; null (an emptied number input) to estimate. */
  memMiB: number | null;
}

/** The SLURM job-folder options of a sweep; the first problem found, in the order of the fields. */
export function clusterProblem(options: ClusterOptions): string | null {
  const { tasks, cpus, partition, memMiB } = options;
  if (!whole(tasks) || tasks < 1 || tasks > 10000) return 'Tasks: a whole number from 1 to 10000.';
  if (!whole(cpus) || cpus < 1 || cpus > 256) return 'CPUs per task: a whole number from 1 to 256.';
  if (partition.trim() !== '' && !/^[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*$/.test(partition.trim()))
    return 'Partition: a SLURM partition name (letters, digits, _ - .).';
  if (memMiB != null && (!whole(memMiB) || memMiB < 1))
    return 'Memory: a whole number of MiB, or empty to estimate.';
  return null;
}

/** Only the problems found, keyed by field: an empty object means the fields are fine. */
export function problemsOf<K extends string>(checks: Record<K, string | null>): Partial<Record<K, string>> {
  const problems: Partial<Record<K, string>> = {};
  for (const key of Object.keys(checks) as K[]) {
    const problem = checks[key];
    if (problem !== null) problems[key] = problem;
  }
  return problems;
}

type Solver = 'mu' | 'hals' | 'als' | 'minibatch';

/**
 * The solver after the loss changes. HALS and ALS solve the Frobenius objective only (β = 2): a
 * switch to Frobenius offers HALS (ALS stays if chosen), a switch to any other loss falls back to
 * multiplicative updates, so the form stays valid without a second edit.
 */
export function solverForLoss(solver: Solver, loss: LossName, beta: number): Solver {
  if (loss === 'frobenius') return solver === 'als' ? 'als' : 'hals';
  if (!solverAllowed(solver, loss, beta)) return 'mu';
  return solver;
}
