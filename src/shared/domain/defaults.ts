import { ENGINE_DEFAULTS } from '../nmf/defaults';

/**
 * Default fit settings as plain data (no schema library), so the renderer can show the same
 * defaults the main process applies without bundling the validators. This file is the one place
 * a run's and a sweep's defaults are defined: the parameter schemas (params.ts), the command line
 * and the run and sweep forms all read them from here.
 */

/**
 * HALS iterations before multiplicative updates, for every fit by multiplicative updates (runs and
 * sweeps alike). On planted 2000 × 500 count data with 8 modules, KL updates from random starts
 * stopped at 1.6–3× the planted factors' loss (801k–1.49M against 501.8k: merged and split modules,
 * which makes the true rank look worse than k + 1), while 100–300 HALS iterations first reached
 * 494k–495k on every seed tried. On planted 300 × 100 counts with 5 modules (`synth --features 300
 * --samples 100 --rank 5`, seeds 0–4), a single KL fit from NNDSVDa without it ends in local minima
 * at 16.6k–48.6k (planted factors: 15.0k–15.2k); with it at 14.1k–14.6k within 500 iterations.
 */
export const MU_WARMUP = 200;

/**
 * The warm-up goes on past MU_WARMUP until HALS has settled: until its loss falls by less than this
 * share of itself over 10 iterations (the engine's `warmupTol`), at most half of maxIter. On
 * planted counts whose small modules hold as much mass as the large one (300 features in modules
 * of 270/12/8/6/4, 1000 samples), HALS from a random start can sit on a plateau for a few hundred
 * iterations before it separates them. KL fits (five random starts for each of data seeds 1–3)
 * with the warm-up stopped at 200 ended at 147.2k–252.9k, three starts of seed 3 at 1.05–1.72× the
 * best; with it run until settled all fifteen ended at 147.2k–148.0k. Correlated activities
 * (ρ = 0.97): 148.0k–151.7k → 147.8k–149.1k. Where HALS has settled by iteration 200 (planted
 * equal modules, negative-binomial counts) the warm-up stops there, with the bits of the fixed one
 * (`scripts/measure/fold-rank.ts` and docs/architecture.md, "A warm-up until HALS settles").
 */
export const MU_WARMUP_TOL = 1e-3;

/**
 * A single run's defaults (CLI.md `fit`): the engine's start, iteration budget, tolerance and
 * seed, and the HALS warm-up for multiplicative updates (HALS itself has none). `warmup` applies
 * only when the solver is `mu`; `completeRunParams` records 0 otherwise.
 */
export const RUN_FIT_DEFAULTS = {
  init: ENGINE_DEFAULTS.init,
  maxIter: ENGINE_DEFAULTS.maxIter,
  tol: ENGINE_DEFAULTS.tol,
  seed: ENGINE_DEFAULTS.seed,
  warmup: MU_WARMUP,
  warmupTol: MU_WARMUP_TOL,
} as const;

/**
 * Fits inside a rank sweep: tighter than a single run's (tol 1e-5, up to 2000 iterations), because
 * held-out error and consensus separate ranks only when the fits have converged; random starts,
 * because NNDSVD gives every replicate the same start (the sweep replaces it by random anyway);
 * and the warm-up of MU_WARMUP HALS iterations before multiplicative updates (see there why).
 */
export const SWEEP_FIT_DEFAULTS = {
  maxIter: 2000,
  tol: 1e-5,
  init: 'random',
  warmup: MU_WARMUP,
  warmupTol: MU_WARMUP_TOL,
} as const;

/** The warm-up a run by multiplicative updates gets by default (the same as a sweep's). */
export const RUN_WARMUP_SUGGESTED = RUN_FIT_DEFAULTS.warmup;

/**
 * A single run's remaining defaults (CLI.md `fit`): generalised KL, no penalties, no row shuffle in
 * HALS, one replicate. With RUN_FIT_DEFAULTS, every field of a run's parameters but its rank.
 */
export const RUN_DEFAULTS = {
  loss: 'kl',
  /** β of the loss `beta` (the generalised KL divergence's). */
  beta: ENGINE_DEFAULTS.beta,
  penalty: ENGINE_DEFAULTS.penalty,
  shuffle: ENGINE_DEFAULTS.shuffle,
  replicates: 1,
} as const;

/**
 * A rank sweep's defaults (CLI.md `sweep`): 5 replicates and 3 cross-validation folds per rank, and
 * the row-shuffled baseline.
 */
export const SWEEP_DEFAULTS = { replicates: 5, cvFolds: 3, baseline: true } as const;

/** Most cross-validation folds a sweep may ask for through the app, the API and the command line. */
export const MAX_CV_FOLDS = 20;

/**
 * Why a number of cross-validation folds cannot be used, or null when it can: 0 (no
 * cross-validation) or 2..max. Cross-validation holds out one fold and trains on the rest, so one
 * fold would leave nothing to train on. The sweep schema's refinement, the planner and the form
 * all ask this one rule.
 */
export function cvFoldsProblem(folds: number, max: number = MAX_CV_FOLDS): string | null {
  if (folds === 1) return 'cross-validation needs at least 2 folds (or 0 for none), got 1';
  if (!Number.isInteger(folds) || folds < 0 || folds > max)
    return `folds must be 0 (none) or a whole number from 2 to ${max}, got ${folds}`;
  return null;
}

/**
 * Why a fraction of the entries each cross-validation fold holds out cannot be used, or null when
 * it can: above 0 and at most 1/folds, since each fold holds out its own entries, disjoint from
 * the other folds' (`makeCvFolds`). A product such as 3 × (1/3) may round just above 1, hence the
 * 1e-12 tolerance. Without folds (0; 1 is refused by {@link cvFoldsProblem}) the bound is 1/2,
 * the most the fewest folds allow. The sweep schema's refinement, the planner, the fold builders
 * and the command line all ask this one rule.
 */
export function cvHoldoutProblem(folds: number, holdout: number): string | null {
  const most = folds >= 2 ? folds : 2;
  if (holdout > 0 && holdout * most <= 1 + 1e-12) return null;
  const bound =
    folds >= 2
      ? `1/cvFolds = 1/${folds} (${Number((1 / folds).toPrecision(3))})`
      : `1/2 (0.5, the most 2 folds allow; cvFolds is ${folds})`;
  return `cvHoldout must be above 0 and at most ${bound}, got ${holdout}`;
}
