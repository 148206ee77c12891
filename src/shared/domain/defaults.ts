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
} as const;

/**
 * Fits inside a rank sweep: tighter than a single run's (tol 1e-5, up to 2000 iterations), because
 * held-out error and consensus separate ranks only when the fits have converged; random starts,
 * because NNDSVD gives every replicate the same start (the sweep replaces it by random anyway);
 * and the warm-up of MU_WARMUP HALS iterations before multiplicative updates (see there why).
 */
export const SWEEP_FIT_DEFAULTS = { maxIter: 2000, tol: 1e-5, init: 'random', warmup: MU_WARMUP } as const;

/** The warm-up a run by multiplicative updates gets by default (the same as a sweep's). */
export const RUN_WARMUP_SUGGESTED = RUN_FIT_DEFAULTS.warmup;
