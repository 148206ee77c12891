import type { DenseMatrix } from '../../linalg/matrix';
import {
  assignModules,
  planSweep,
  runSweepJob,
  scoreAssignment,
  summarizeSweep,
  type AssignmentScore,
  type PlantedTruth,
  type SweepSpec,
  type SweepSummary,
} from '..';
import { SWEEP_FIT_DEFAULTS } from '../../domain/defaults';

/**
 * Settings of the planted-data sweeps: k = 2..8, three replicates, three folds, KL loss, tolerance
 * 1e-5 — tighter than a single fit's default, because ranks are compared on differences of a few
 * percent in held-out error — and the HALS warm-up sweeps get by default in the app and the CLI
 * (which makes each fold a single start instead of the best of five screened ones).
 */
export function plantedSpec(baseline: boolean): SweepSpec {
  return {
    fromRank: 2,
    toRank: 8,
    replicates: 3,
    cvFolds: 3,
    baseline,
    fit: { beta: 1, tol: 1e-5, maxIter: 2000, seed: 0, warmup: SWEEP_FIT_DEFAULTS.warmup },
  };
}

export interface PlantedOutcome {
  summary: SweepSummary;
  /** Assignment of the best replicate at the recommended rank, scored against the truth. */
  score: AssignmentScore;
  threshold: number;
}

/** Runs every job of the sweep in this process, in order, then assigns modules at the recommended rank. */
export function sweepAndAssign(
  V: DenseMatrix,
  truth: Pick<PlantedTruth, 'W' | 'module' | 'moonlighting'>,
  spec: SweepSpec,
): PlantedOutcome {
  const results = planSweep(spec).map((job) => runSweepJob(V, job));
  const summary = summarizeSweep(spec, results);
  const chosen = summary.ranks.find((r) => r.rank === summary.recommendation.rank)!;
  const best = results.find(
    (r) =>
      !r.baseline && r.kind === 'replicate' && r.rank === chosen.rank && r.index === chosen.bestReplicate,
  )!;
  const W = best.factors!.W;
  const assignment = assignModules(W);
  return { summary, score: scoreAssignment(assignment, W, truth), threshold: assignment.threshold };
}
