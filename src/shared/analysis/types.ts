import type { DenseMatrix } from '../linalg/matrix';
import type { FitOptionsInput } from '../nmf/types';

/**
 * Result types shared by the analysis functions (rank selection, consensus, alignment, module
 * assignment, synthetic data, PCA). Matrices are row-major DenseMatrix; shapes are given per field.
 * Component, feature and sample indices are 0-based throughout.
 */

/** Similarity between two components' loading vectors. */
export type SimilarityMetric = 'cosine' | 'pearson';

/** A moonlighting feature: one that belongs to two modules. */
export interface MoonlightingFeature {
  /** Feature name. */
  feature: string;
  /** Row index of the feature in V. */
  index: number;
  /** Primary module first, then the second one (0-based). */
  modules: [number, number];
}

/** Planted truth of a synthetic gene-modules data set. */
export interface PlantedTruth {
  /** m × R, each column sums to one; a row has one non-zero entry (two for moonlighting features). */
  W: DenseMatrix;
  /** R × n, each column sums to one (Dirichlet(1)). */
  H: DenseMatrix;
  /** Primary module (0-based) of each feature, length m. */
  module: number[];
  /** Moonlighting features, ascending by index. */
  moonlighting: MoonlightingFeature[];
  /** Expected total count per sample: V ~ Poisson(depth · W·H). */
  depth: number;
  seed: number;
}

/** A synthetic data set: counts plus names and the truth they were drawn from. */
export interface SyntheticDataset {
  /** m × n counts (features × samples). */
  V: DenseMatrix;
  /** `gene1` … `gene{m}`. */
  featureNames: string[];
  /** `cond1` … `cond{n}`. */
  sampleNames: string[];
  truth: PlantedTruth;
}

/** One pair of an optimal one-to-one matching. */
export interface ComponentMatch {
  /** Component of run A. */
  a: number;
  /** Component of run B. */
  b: number;
  similarity: number;
}

/** Components of two runs put side by side (CLI.md `align`). */
export interface Alignment {
  metric: SimilarityMetric;
  /** kA × kB similarities between unit-normalised W columns. */
  similarity: number[][];
  /** min(kA, kB) pairs, ascending by `a`. */
  matches: ComponentMatch[];
  /** Components of A without a partner (when kA > kB), ascending. */
  unmatchedA: number[];
  /** Components of B without a partner (when kB > kA), ascending. */
  unmatchedB: number[];
}

/** How one component of the larger rank relates to the smaller rank. */
export type DescentKind = 'match' | 'split' | 'merge' | 'new';

/** Where one component of the larger rank came from. */
export interface SplitMergeEntry {
  /** Component at the larger rank. */
  child: number;
  /** Most similar component at the smaller rank (reported even when it is not a parent). */
  parent: number;
  /** Similarity (the chosen metric) to `parent`. */
  similarity: number;
  /** Components at the smaller rank this one descends from (see `splitMergeMap`), ascending. */
  parents: number[];
  /**
   * `match`: one parent, which has no other child; `split`: its parent has two or more children;
   * `merge`: two or more parents; `new`: no parent (noise, or a pattern the smaller rank lacked).
   * A component can be both a merge and a split child; `merge` wins here and `split` says the rest.
   */
  kind: DescentKind;
  /** True when a parent of this component has two or more children: the parent split. */
  split: boolean;
  /** True when this component descends from two or more parents: they merged. */
  merge: boolean;
}

/** One component of the smaller rank and where it went. */
export interface ParentDescent {
  parent: number;
  /** Its children at the larger rank, ascending (empty: lost). */
  children: number[];
  /**
   * Cosine between the parent's loading vector and its non-negative least-squares reconstruction
   * from all components of the larger rank: how well the larger rank still contains it.
   */
  explained: number;
}

/** Split/merge map between two ranks (`splitMergeMap`). */
export interface SplitMergeMap {
  /** One entry per component of the larger rank, ascending. */
  children: SplitMergeEntry[];
  /** One entry per component of the smaller rank, ascending. */
  parents: ParentDescent[];
  /** Components of the smaller rank with no child: not found again at the larger rank. */
  lost: number[];
}

/** Stability of the components of one rank across replicate fits. */
export interface ComponentStability {
  /** Mean over replicates and components of the matched cosine to the reference replicate; 1 = identical. */
  overall: number;
  /** Per component of the reference replicate: its mean matched cosine across the other replicates. */
  perComponent: number[];
  /** Index of the reference replicate (the one with the lowest loss). */
  reference: number;
}

/** Consensus clustering of samples over replicate fits (Brunet et al. 2004). */
export interface ConsensusResult {
  /**
   * s × s over the samples in `subsample` (all n when null): entry (i, j) = fraction of replicates
   * that put samples i and j in the same cluster.
   */
  consensus: DenseMatrix;
  /**
   * Null when every sample entered the consensus; otherwise the sorted indices of the random
   * subsample it was computed on (more than `maxSamples` samples: the n × n matrix and the tree
   * would need O(n²) memory — 3.2 GB of consensus alone for 20 000 cells).
   */
  subsample: number[] | null;
  /** Cluster (0..k−1) of each sample from average-linkage clustering of 1 − C cut at k clusters. */
  sampleClusters: number[];
  /** Pearson correlation between 1 − C and the cophenetic distances of the tree (R NMF's cophcor). */
  cophenetic: number;
  /** Kim & Park (2007): mean over all n² entries of 4 (C − ½)²; 1 for a perfectly crisp consensus. */
  dispersion: number;
}

/** Histogram of normalised weights in [0, 1]. */
export interface WeightHistogram {
  /** bins + 1 ascending bin edges, first 0, last 1. */
  edges: number[];
  /** Counts per bin; the last bin includes 1. */
  counts: number[];
}

/** Membership of features in components. */
export interface ModuleAssignment {
  threshold: number;
  /** Data-driven threshold from the histogram (what `threshold` is when none is given). */
  defaultThreshold: number;
  /**
   * m × k membership weights (`membershipWeights`): each column in units of its typical member's
   * loading, rows summing to one (all-zero rows stay zero), a module's common background removed.
   */
  normalizedW: DenseMatrix;
  /** For each feature, the components whose normalised weight ≥ threshold, strongest first. */
  modules: number[][];
  /** For each feature, the component of its largest normalised weight (−1 for an all-zero row). */
  primary: number[];
  /** Features belonging to exactly two components, ascending. */
  moonlighting: number[];
  /** Features belonging to more than two components, ascending. */
  multiModule: number[];
  histogram: WeightHistogram;
}

/** Scores of an assignment against planted truth. */
export interface AssignmentScore {
  /** Adjusted Rand index (Hubert & Arabie 1985) of primary components against the dominant true module of each feature. */
  adjustedRandIndex: number;
  /** Of the features called moonlighting, the fraction that truly are (1 when none called and none true). */
  moonlightingPrecision: number;
  /** Of the true moonlighting features, the fraction called (1 when there are none). */
  moonlightingRecall: number;
  /** Of the correctly called moonlighting features, the fraction whose two components map to their two true modules. */
  moonlightingPairAccuracy: number;
  /** For each true module, the component matched to it (−1 if unmatched); Hungarian on cosine of W columns. */
  componentOfModule: number[];
  /** Matched cosine similarity of each true module's W column to its component's (NaN if unmatched). */
  moduleSimilarity: number[];
}

/** Principal component analysis of V with samples as observations and features as variables. */
export interface PcaResult {
  components: number;
  /** Variance along each component (eigenvalues of the sample covariance, divisor n − 1). */
  explainedVariance: number[];
  /** explainedVariance / total variance. */
  explainedVarianceRatio: number[];
  /** Total variance (sum of the features' variances). */
  totalVariance: number;
  /** m × components signed loadings (unit columns); each column's largest-|x| entry is positive. */
  loadings: DenseMatrix;
  /** n × components sample scores (centred data projected onto the loadings). */
  scores: DenseMatrix;
  /** Feature means that were subtracted, length m. */
  mean: number[];
  method: 'exact' | 'randomized';
}

/** Entry-wise cross-validation folds of an m × n matrix. */
export interface CvFolds {
  rows: number;
  cols: number;
  folds: number;
  seed: number;
  /**
   * rows·cols fold numbers (0..folds−1, or `NEVER_HELD_OUT` with `holdout`), row-major; every fold
   * holds ⌊mn/F⌋ or ⌈mn/F⌉ entries, or with `holdout` about h·mn.
   */
  assignment: Uint8Array;
  /** The fraction of the entries each fold holds out, when below 1/F (absent: every entry in a fold). */
  holdout?: number;
}

/**
 * Entry-wise folds of a matrix too large for {@link CvFolds} (more than `CV_FULL_MAX_ENTRIES`
 * entries): only a seeded random sample of the entries is held out, split evenly over the folds.
 */
export interface SampledCvFolds {
  kind: 'sampled';
  rows: number;
  cols: number;
  folds: number;
  seed: number;
  /** Row-major positions (i·cols + j) of the held-out entries of every fold, ascending, distinct. */
  positions: Float64Array;
  /** Fold number (0..folds−1) of each entry of `positions`. */
  fold: Uint8Array;
}

/** Fit options a sweep passes to every fit (rank and custom starts are the sweep's business). */
export type SweepFitOptions = Omit<FitOptionsInput, 'rank' | 'W0' | 'H0'>;

/** What a rank sweep is asked to do. */
export interface SweepSpec {
  /** Smallest rank (≥ 1). */
  fromRank: number;
  /** Largest rank (≥ fromRank). */
  toRank: number;
  /** Full fits per rank, seeds seed + r. Default 5. */
  replicates?: number;
  /** Cross-validation folds per rank (0 = none; otherwise ≥ 2). Default 3. */
  cvFolds?: number;
  /**
   * The fraction of V's entries each fold holds out, at most 1/`cvFolds` (`cvFoldsFor`). Absent:
   * 1/`cvFolds`, every entry in one fold.
   */
  cvHoldout?: number;
  /**
   * Random starts screened per fold fit: each runs `cvScreenIterations` iterations, and only the
   * one with the lowest training loss is run to convergence, so that a start caught in a poor
   * local minimum does not pass for a bad rank. Default 5, or 3 when the fits are multiplicative
   * updates with a HALS warm-up (`fit.warmup` > 0), which brings most starts into the good basin.
   */
  cvStarts?: number;
  /**
   * Iterations of each screened start after its warm-up (the screen runs `fit.warmup` +
   * this many iterations, so that every start has left its warm-up before they are compared).
   * Default 150.
   */
  cvScreenIterations?: number;
  /**
   * Multiplicative-update iterations each screened start runs after its HALS warm-up, whatever the
   * warm-up's length, in place of the `cvScreenIterations` rule (which runs at least as many as the
   * warm-up's minimum): 0 ends the screen with the warm-up and compares the starts by their loss
   * there, so that only the kept start runs multiplicative updates. Warm-started fits only
   * (`fit.warmup` > 0 with multiplicative updates). Absent: the `cvScreenIterations` rule.
   */
  cvScreenAfterWarmup?: number;
  /**
   * Fits per rank for consensus clustering and component stability, each from its own random start
   * without the warm-up (Brunet et al. 2004 restart plain multiplicative updates 20–100 times; R
   * NMF's default is 30): a warm-up leads every start into the same basin, so warm-started
   * replicates agree whatever the data and consensus and stability would read 1 at every rank.
   * The shuffled baseline gets min(this, `replicates`) such fits. 0 = none: consensus and stability
   * then come from the (warm-started) replicates. Default 20.
   */
  consensusReplicates?: number;
  /** Also fit a row-shuffled copy of V as the no-structure baseline. Default true. */
  baseline?: boolean;
  /**
   * Warm-started replicate fits on the row-shuffled baseline. Default `replicates` (the plan sweeps
   * were stored with before this field existed). Only the lowest of their losses is read, and on a
   * copy without structure the baseline's consensus fits (random starts, no warm-up) reach within
   * 0.21 % of it, mostly below (docs/architecture.md, "The sparse sweep's plan"), so 0 is allowed
   * when there are such fits: the baseline's loss is then the best of theirs.
   */
  baselineReplicates?: number;
  /**
   * Sample-wise cross-validation folds per rank (see sample-cv.ts): W fitted on the other samples,
   * the held-out samples projected on half the features and scored on the other half. 0 = none
   * (default); otherwise 2..255. Data only, never the baseline.
   */
  sampleFolds?: number;
  /** Options of every fit; `seed` (default 0) is the sweep's base seed. */
  fit?: SweepFitOptions;
}

/** The kinds of fit in a sweep (see {@link SweepJob.kind}). */
export type SweepJobKind = 'replicate' | 'fold' | 'consensus' | 'sample-fold';

/** One fit of a sweep. Self-contained: a worker needs only V and this. */
export interface SweepJob {
  /** Unique within the sweep, e.g. `k5/replicate/2` or `baseline/k5/fold/0`. */
  id: string;
  rank: number;
  /**
   * `replicate`: a full fit of V; `fold`: a fit of V with one fold's entries held out;
   * `consensus`: a full fit of V from its own random start without warm-up, for consensus and
   * stability; `sample-fold`: W fitted on the samples outside one sample fold, the held-out
   * samples predicted from it (sample-cv.ts).
   */
  kind: SweepJobKind;
  /** Replicate number r or fold number f. */
  index: number;
  /** Fit the row-shuffled copy of V (shuffled with `shuffleSeed`) instead of V. */
  baseline: boolean;
  shuffleSeed: number;
  /** For `fold` and `sample-fold` jobs: how the folds are drawn. */
  /** `holdout`: the fraction of the entries the fold holds out (absent: 1/folds; see `cvFoldsFor`). */
  cv: { folds: number; seed: number; holdout?: number } | null;
  /** Options of the fit, rank included. */
  fit: SweepFitOptions & { rank: number };
  /**
   * Screen this many starts (seeds fit.seed + t) for this many iterations (warm-up included), then
   * continue the best without a new warm-up; null = one start. With `afterWarmup`, each start
   * instead runs its warm-up (until HALS settles when `fit.warmupTol` > 0) and exactly this many
   * multiplicative updates after it, and `iterations` is the shortest such start (the warm-up's
   * minimum and `afterWarmup`); absent in every sweep planned without `cvScreenAfterWarmup`.
   */
  screen: { starts: number; iterations: number; afterWarmup?: number } | null;
  /** Return W and H as fitted (set for the replicates of the real data, so the best can be kept). */
  keepFactors: boolean;
}

/** What one sweep job sends back; small enough to post between threads. */
export interface SweepJobResult {
  jobId: string;
  rank: number;
  kind: SweepJobKind;
  index: number;
  baseline: boolean;
  /** Seed of the start that was kept. */
  seed: number;
  /** Shape of V (m × n). */
  rows: number;
  cols: number;
  /** β-divergence of the fit over its observed entries. */
  loss: number;
  /** Poisson log-likelihood over the observed entries (β = 1), otherwise null. */
  loglik: number | null;
  /** Iterations in all, screening included. */
  iterations: number;
  converged: boolean;
  seconds: number;
  /** Observed (non-missing) entries the fit saw. */
  observed: number;
  /** `fold` jobs: mean β-divergence per held-out entry (missing entries of V excluded). */
  heldOutError: number | null;
  heldOutCount: number;
  /**
   * `fold` jobs: the held-out error with the largest 1 % of the per-entry divergences left out
   * (a trimmed mean): a few entries the fit predicts as ≈ 0 (KL grows without bound there) cannot
   * dominate it. Null for results stored before it existed.
   */
  heldOutErrorTrimmed?: number | null;
  /**
   * `replicate` jobs: Pearson's dispersion statistic of the fit, Σ (V − WH)² / WH over observed
   * entries with WH > 0, divided by the residual degrees of freedom N − k(m + n − k): ≈ 1 when V is
   * Poisson around WH, ≫ 1 when overdispersed (McCullagh & Nelder 1989 §4.5). Null otherwise.
   */
  pearsonDispersion?: number | null;
  /**
   * Set on a data replicate whose `loglik` and `pearsonDispersion` were left out while it ran
   * (`SweepJobOptions.deferReplicateStatistics`) and are still to be computed; absent once they
   * are, and on results computed whole.
   */
  statisticsDeferred?: boolean;
  /** Whether every observed entry of V is an integer (computed by `replicate` jobs; null otherwise). */
  integerData?: boolean | null;
  /**
   * `replicate` jobs and the baseline's `consensus` jobs: R NMF's rank-survey measures of the fit
   * (survey.ts `fitSurvey`), on the data the job fitted (the shuffled copy for a baseline). A data
   * replicate with `statisticsDeferred` has none until they are completed; absent from results
   * stored before they existed.
   */
  survey?: FitSurvey | null;
  /** `replicate` and `consensus` jobs: cluster of each sample, argmax of H's column (Brunet et al. 2004). */
  sampleLabels: number[] | null;
  /** `replicate` and `consensus` jobs: W with unit-norm columns (m × k), for stability and alignment. */
  normalizedW: DenseMatrix | null;
  /**
   * W (m × k), H (k × n) and the loss trace as fitted, when the job asked for them, with the seconds
   * from the job's fit start to each trace point (`FitResult.traceSeconds`; absent from results
   * computed before they were recorded).
   */
  factors: {
    W: DenseMatrix;
    H: DenseMatrix;
    trace: Array<[number, number]>;
    traceSeconds?: number[];
    /** HALS iterations of the fit's warm-up (`FitResult.warmupIterations`), where it had one. */
    warmupIterations?: number;
  } | null;
  warnings: string[];
}

/**
 * R NMF's `summary(<NMF>, target = V)` measures of one fit (Gaujoux & Seoighe 2010; survey.ts for
 * the exact definitions). Each is null where R gives NA or stops with an error.
 */
export interface FitSurvey {
  /** Σ (V − W·H)² over the observed entries (R NMF `rss`). */
  rss: number;
  /** 1 − rss / Σ V² over the observed entries (R NMF `evar`). */
  evar: number | null;
  /** Mean Hoyer sparseness of W's columns (R NMF `sparseness.basis`). */
  sparsenessBasis: number | null;
  /** Mean Hoyer sparseness of H's columns (R NMF `sparseness.coef`). */
  sparsenessCoef: number | null;
  /** Average silhouette width of the samples clustered by H (R NMF `silhouette.coef`). */
  silhouetteCoef: number | null;
  /** Average silhouette width of the features clustered by W (R NMF `silhouette.basis`). */
  silhouetteBasis: number | null;
}

/** R NMF's rank-survey measures of a rank as stored and sent (RankCriteria; absent in sweeps stored before them: read as null). */
export type SurveyCriteria = Partial<
  Pick<
    RankCriteria,
    | 'rss'
    | 'evar'
    | 'sparsenessBasis'
    | 'sparsenessCoef'
    | 'silhouetteCoef'
    | 'silhouetteBasis'
    | 'silhouetteConsensus'
    | 'silhouettePoints'
  >
>;

/** Criteria of one rank, for V or for its shuffled baseline. */
export interface RankCriteria {
  rank: number;
  /** Lowest β-divergence over the replicates. */
  loss: number;
  /** Poisson log-likelihood of that replicate (β = 1), otherwise null. */
  loglik: number | null;
  /** −2·loglik + p·ln(N) with p = k(m + n) parameters and N observed entries (β = 1), otherwise null. */
  bic: number | null;
  /** Mean held-out error over the folds (null without folds). */
  cvError: number | null;
  /** Standard error of that mean: sd over folds / √F (null with fewer than two folds). */
  cvErrorSe: number | null;
  /** Held-out error per fold. */
  cvErrors: number[];
  /**
   * Mean over folds of the 1 %-trimmed held-out error (see `heldOutErrorTrimmed`): shown next to
   * the mean, which the rule uses (the mean per-entry deviance is the proper score; trimming
   * also drops real signal in heavy-tailed data — on Golub it reversed k = 3 and 4).
   */
  cvErrorTrimmed: number | null;
  /** Trimmed held-out error per fold (same fold order as `cvErrors`). */
  cvErrorsTrimmed: number[];
  /**
   * Standard error of the mean paired difference, over folds, between this rank's held-out error
   * (cvErrors) and that of the rank with the lowest mean (every rank is scored on the same
   * held-out entries, so the fold-to-fold variation they share cancels). 0 at that rank itself;
   * null with fewer than two folds or on the baseline.
   */
  cvPairedSe: number | null;
  /** Mean paired difference to the rank with the lowest mean held-out error (null as cvPairedSe). */
  cvPairedDifference: number | null;
  /** Pearson dispersion statistic of the best replicate (see SweepJobResult.pearsonDispersion). */
  pearsonDispersion: number | null;
  /** Fits the consensus and stability were computed from. */
  consensusFits: number;
  /** Whether those fits were independent random starts without warm-up (false: the warm-started replicates). */
  consensusFromIndependentStarts: boolean;
  /** Cophenetic correlation of the consensus over replicates (null with fewer than two replicates). */
  cophenetic: number | null;
  /** Dispersion of the consensus (null with fewer than two replicates). */
  dispersion: number | null;
  /**
   * Mean over all pairs of consensus fits of the mean matched cosine between their components
   * (Hungarian matching on W's unit columns); null with fewer than two fits.
   */
  stability: number | null;
  /**
   * R NMF's rank-survey measures of the best replicate (the one `loss` comes from), as
   * `summary(<NMF>, target = V)` gives them (survey.ts): rss, evar, the mean Hoyer sparseness of
   * W's and of H's columns, and the average silhouette widths of the samples (by H) and of the
   * features (by W). A baseline planned without replicates (`baselineReplicates` 0) takes them,
   * as its loss, from its best consensus fit (baseline consensus fits compute them for that).
   * Null where R gives NA or an error, and in sweeps whose job results were stored before they
   * existed.
   */
  rss: number | null;
  evar: number | null;
  sparsenessBasis: number | null;
  sparsenessCoef: number | null;
  silhouetteCoef: number | null;
  silhouetteBasis: number | null;
  /**
   * Average silhouette width of the consensus clusters with the dissimilarity 1 − C (R NMF
   * `silhouette.consensus`), on the samples the cophenetic correlation uses; null where
   * `cophenetic` is.
   */
  silhouetteConsensus: number | null;
  /**
   * Points each silhouette was computed on (null where the silhouette is not computed): every
   * sample (n) and feature (m), and the samples the consensus covers — all n, or its fixed
   * subsample above consensus.ts `CONSENSUS_MAX_SAMPLES`.
   */
  silhouettePoints: { coef: number | null; basis: number | null; consensus: number | null };
  /** Consensus clusters of the samples (0..k−1); from the single replicate when there is one. */
  sampleClusters: number[];
  /** Replicate with the lowest loss and its seed. */
  bestReplicate: number;
  bestSeed: number;
  replicateLosses: number[];
}

/** Criteria of one rank with its baseline. */
export interface RankSummary extends RankCriteria {
  baseline: RankCriteria | null;
  /**
   * Sample-wise cross-validation (present only when the sweep has sample folds): mean over sample
   * folds of the held-out samples' per-entry error, its standard error, the value per fold, and
   * the paired difference to the rank with the lowest mean with its standard error.
   */
  sampleCvError?: number | null;
  sampleCvSe?: number | null;
  sampleCvErrors?: number[];
  sampleCvPairedDifference?: number | null;
  sampleCvPairedSe?: number | null;
}

/** A caution attached to a recommendation (CLI.md `ranks.json` `warnings`). */
export interface SweepWarning {
  /**
   * `edge_of_range`: the chosen rank or a criterion's optimum is the first or last rank swept;
   * `non_count_data`: the values are not integers, so no Poisson likelihood or BIC;
   * `overdispersed`: integer data far more variable than Poisson counts, so BIC does not apply;
   * `weak_evidence`: the criteria do not support the rank (or any rank) clearly;
   * `consensus_warm_started`: consensus and stability come from warm-started replicates;
   * `marginal_gain`: the cross-validated rank predicts under 1 % better than the rank below it;
   * `fold_outlier`: a rank of lower mean held-out error was passed over because a minority of
   *   folds carries its advantage;
   * `extreme_entries`: the chosen rank beats the rank below only in each fold's largest 1 % of
   *   held-out entry errors (the trimmed errors are within 1 %).
   */
  code:
    | 'edge_of_range'
    | 'non_count_data'
    | 'overdispersed'
    | 'weak_evidence'
    | 'consensus_warm_started'
    | 'marginal_gain'
    | 'fold_outlier'
    | 'extreme_entries';
  message: string;
}

export interface RankRecommendation {
  /** Null when no rank swept is supported by the evidence (the reasoning says why). */
  rank: number | null;
  /**
   * Short machine-readable name of the rule that decided: `cv-1se`, `baseline-agreement` (no
   * folds: the loss and stability rules against the shuffled baseline agree), `bic`,
   * `cophenetic`, `smallest`, or `none` (no rank supported).
   */
  criterion: string;
  /** Cautions, in the order found. */
  warnings: SweepWarning[];
  /** Sentences shown to the user, in order: the decision, then the cross-checks. */
  reasoning: string[];
}

export interface SweepSummary {
  ranks: RankSummary[];
  recommendation: RankRecommendation;
  /** Shape of V. */
  rows: number;
  cols: number;
  /** How BIC counts parameters. */
  parameterCount: 'k(m+n)';
}

/**
 * R NMF's rank-survey measures of a rank's best replicate and of its consensus as `ranks.json` names
 * them (RankCriteria.rss … silhouetteConsensus; survey.ts), null where not computed (and in sweeps
 * stored before them).
 */
export interface SurveyJson {
  rss: number | null;
  evar: number | null;
  sparseness_basis: number | null;
  sparseness_coef: number | null;
  silhouette_coef: number | null;
  silhouette_basis: number | null;
  silhouette_consensus: number | null;
  /** Points each silhouette was computed on (fewer than n, m or n when sampled); null where not computed. */
  silhouette_points: { coef: number | null; basis: number | null; consensus: number | null };
}

/** CLI.md's `ranks.json`. */
export interface RanksJson {
  ranks: Array<
    {
      rank: number;
      loss: number;
      loglik: number | null;
      bic: number | null;
      cv_error: number | null;
      cophenetic: number | null;
      dispersion: number | null;
      stability: number | null;
      sample_clusters: number[];
      /** Standard error of cv_error over folds. */
      cv_error_se: number | null;
      /** Held-out error per fold (same held-out entries at every rank). */
      cv_errors: number[];
      /** Mean over folds of the 1 %-trimmed held-out error, and per fold. */
      cv_error_trimmed: number | null;
      cv_errors_trimmed: number[];
      /** Paired difference to the best rank's trimmed error, and its standard error. */
      cv_paired_difference: number | null;
      cv_paired_se: number | null;
      /** Pearson dispersion statistic of the best replicate (≈ 1 for Poisson counts). */
      pearson_dispersion: number | null;
      /** Fits behind cophenetic, dispersion, stability and sample_clusters. */
      consensus_fits: number;
      /** Sample-wise cross-validation (only with sample folds; see RankSummary.sampleCvError). */
      sample_cv_error?: number | null;
      sample_cv_se?: number | null;
      sample_cv_errors?: number[];
      sample_cv_paired_difference?: number | null;
      sample_cv_paired_se?: number | null;
    } & SurveyJson
  >;
  recommended: number | null;
  criterion: string;
  /** Codes as in {@link SweepWarning}; sweeps stored by older versions have none. */
  warnings: Array<{ code: string; message: string }>;
}
