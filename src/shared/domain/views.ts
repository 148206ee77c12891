import type { SurveyCriteria } from '../analysis/types';
import type { SolverSuggestion } from './minibatch-advice';
import type { SweepSummary } from './records';

/**
 * Analysis results as the screens and the CLI consume them. The pure analysis code
 * (src/shared/analysis) computes them; services map its results onto these shapes.
 */

/** Module assignment of one run's features (row-normalised W; a feature belongs to every component at or above the threshold). */
export interface AssignmentView {
  runId: number;
  threshold: number;
  /** Data-driven default threshold, from the histogram of normalised weights. */
  defaultThreshold: number;
  featureNames: string[];
  /** For each feature, the components (0-based) it belongs to, strongest first. */
  modules: number[][];
  /** Features (indices) that belong to exactly two components. */
  moonlighting: number[];
  /** Row-normalised W, m × k row-major. */
  normalizedW: Float64Array;
  rank: number;
  histogram: { edges: number[]; counts: number[] };
  /** Present when the dataset is synthetic: scores against the planted truth. */
  truth: {
    adjustedRandIndex: number;
    moonlightingPrecision: number;
    moonlightingRecall: number;
    /** Component of the run matched to each true module (−1 if unmatched). */
    componentOfModule: number[];
    truthModule: number[];
    truthMoonlighting: number[];
  } | null;
}

export interface ComponentMatch {
  a: number;
  b: number;
  similarity: number;
}

/** One pairwise alignment of two runs' components (unit-normalised W columns, Hungarian matching). */
export interface PairAlignment {
  runA: number;
  runB: number;
  metric: 'cosine' | 'pearson';
  /** rankA × rankB similarities. */
  similarity: number[][];
  matches: ComponentMatch[];
  unmatchedA: number[];
  unmatchedB: number[];
  /**
   * When the ranks differ by one: how the larger run's components descend from the smaller run's
   * (src/shared/analysis `splitMergeMap`): per child its parents and kind (match, split, merge or
   * new), per parent its children and how well the larger run reconstructs it, and the lost parents.
   */
  splitMerge: {
    children: Array<{
      child: number;
      /** Most similar component of the smaller run (also for a new component, which has no parent). */
      parent: number;
      similarity: number;
      parents: number[];
      kind: 'match' | 'split' | 'merge' | 'new';
      split: boolean;
      merge: boolean;
    }>;
    parents: Array<{ parent: number; children: number[]; explained: number }>;
    lost: number[];
  } | null;
}

export interface ComparisonView {
  runIds: number[];
  metric: 'cosine' | 'pearson';
  /** Every pair (i < j) of the chosen runs. */
  pairs: PairAlignment[];
  /** When the runs share features: the shared feature names used for the comparison. */
  sharedFeatures: number;
}

/** Sweep criteria at one rank (CLI.md ranks.json, in camelCase). */
export interface SweepRankMetrics extends SurveyCriteria {
  rank: number;
  loss: number;
  loglik: number | null;
  bic: number | null;
  cvError: number | null;
  cophenetic: number | null;
  dispersion: number | null;
  stability: number | null;
  sampleClusters: number[];
  /** Standard error of cvError over folds, and the held-out error per fold (absent in sweeps stored before they existed). */
  cvErrorSe?: number | null;
  cvErrors?: number[];
  /** Held-out error with each fold's largest 1 % of entry errors left out: mean and per fold. */
  cvErrorTrimmed?: number | null;
  cvErrorsTrimmed?: number[];
  /** Paired difference (same held-out entries) to the rank of lowest trimmed error, and its standard error. */
  cvPairedDifference?: number | null;
  cvPairedSe?: number | null;
  /** Pearson dispersion statistic of the best replicate (≈ 1 for Poisson counts). */
  pearsonDispersion?: number | null;
  /** Fits behind the consensus criteria and stability, and whether they were independent random starts. */
  consensusFits?: number;
  consensusFromIndependentStarts?: boolean;
  /**
   * Sample-wise cross-validation (only in sweeps with sample folds): mean per-entry error of the
   * held-out samples, its standard error, per fold, and the paired difference to the lowest rank's.
   */
  sampleCvError?: number | null;
  sampleCvSe?: number | null;
  sampleCvErrors?: number[];
  sampleCvPairedDifference?: number | null;
  sampleCvPairedSe?: number | null;
  /** The same criteria on the row-shuffled copy of V. */
  baseline:
    | ({
        loss: number;
        cvError: number | null;
        cophenetic: number | null;
        stability: number | null;
        cvErrorTrimmed?: number | null;
      } & SurveyCriteria)
    | null;
  /** The saved run holding this rank's best replicate. */
  runId: number | null;
}

/**
 * A rank's criteria as `sweeps:get` sends them: without `sampleClusters` (n numbers a rank, 18 MB
 * for nine ranks of 10⁶ samples), which no screen draws; the consensus map and the class tables
 * come from `sweeps:consensus` and `sweeps:classes`.
 */
export type SweepRankView = Omit<SweepRankMetrics, 'sampleClusters'>;

/** A sweep as the window reads it (`sweeps:get`). */
export interface SweepDetail extends SweepSummary {
  ranks: SweepRankView[];
  recommendation: {
    rank: number | null;
    criterion: string;
    reasoning: string[];
    warnings?: Array<{ code: string; message: string }>;
  } | null;
  /** Where the fits ran, for a sweep merged from a cluster job folder; null for one run here. */
  cluster?: SweepClusterProvenance | null;
}

/**
 * A sweep as stored (`getSweepDetail`): each rank with its consensus clusters, which the CLI's
 * ranks.json, the class agreements and a sweep's runs read.
 */
export interface SweepRecord extends SweepDetail {
  ranks: SweepRankMetrics[];
}

/** Provenance of a sweep computed as a cluster job array and merged into the library. */
export interface SweepClusterProvenance {
  planId: string;
  plannedAt: string;
  plannedWith: string;
  mergedAt: string;
  /** Per array task: the hosts it ran on, its first start and last finish, fits, scheduler ids. */
  tasks: Array<{
    task: number;
    hosts: string[];
    startedAt: string;
    finishedAt: string;
    fits: number;
    scheduler: Array<Record<string, string>>;
  }>;
}

export interface PcaView {
  datasetId: number;
  components: number;
  explainedVarianceRatio: number[];
  /** m × components signed loadings, row-major. */
  loadings: Float64Array;
  featureNames: string[];
}

/** A forecast made before starting a run. */
export interface RunEstimate {
  seconds: number;
  peakBytes: number;
  /** How the figure was obtained (shown to the user). */
  basis: string;
  /** Another solver worth using on these data, and why (minibatch-advice.ts); absent: none. */
  suggestion?: SolverSuggestion;
  /**
   * How the fit holds V under this machine's memory budget (memory-plan.ts): in memory, streamed
   * from disk, or refused (the run would not start), with the budget and why; a sweep, consensus
   * or projection (job-memory-plan.ts) may be adapted instead: fewer fits at once.
   */
  memory?: { mode: 'in-memory' | 'streamed' | 'adapted' | 'refused'; budgetBytes: number; reason: string };
  /**
   * A sweep's forecast split by what each group of fits is for (`sweepEstimateParts` in
   * services/sweeps.ts), in plan order; the parts' seconds add up to `seconds`. Absent for runs.
   */
  parts?: SweepEstimatePart[];
  /**
   * The expected time where earlier sweeps (or, for a run, earlier runs) with the same fit settings
   * ended in this library: each fit's bound scaled by the share of their budgets such fits needed
   * (services/sweep-history.ts, run-history.ts), and what it rests on. Absent without them: only
   * the bound is known.
   */
  expected?: { seconds: number; basis: string };
}

/**
 * One group of a sweep's fits in its forecast: the replicates (the rank's best fit, the loss and
 * BIC), the entry-wise or sample-wise fold fits (held-out error), the consensus fits (cophenetic
 * and stability) or every fit of the shuffled baseline (what no structure gives).
 */
export interface SweepEstimatePart {
  what: 'replicates' | 'folds' | 'sample-folds' | 'consensus' | 'baseline';
  /** Fits over all ranks. */
  fits: number;
  /** At most: every fit at its iteration budget. */
  seconds: number;
  /** Expected, where {@link RunEstimate.expected} is given. */
  expectedSeconds?: number;
}
