/**
 * Default fit settings as plain data (no schema library), so the renderer can show the same
 * defaults the main process applies without bundling the validators.
 */

/**
 * Fits inside a rank sweep: tighter than a single run's (tol 1e-5, up to 2000 iterations), because
 * held-out error and consensus separate ranks only when the fits have converged; random starts,
 * because NNDSVD gives every replicate the same start (the sweep replaces it by random anyway);
 * and a warm-up of 200 HALS iterations before multiplicative updates: on planted 2000 × 500 count
 * data with 8 modules, KL updates from random starts stopped at 1.6–3× the planted factors' loss
 * (801k–1.49M against 501.8k: merged and split modules, which makes the true rank look worse than
 * k + 1), while 100–300 HALS iterations first reached 494k–495k on every seed tried.
 */
export const SWEEP_FIT_DEFAULTS = { maxIter: 2000, tol: 1e-5, init: 'random', warmup: 200 } as const;

/**
 * Warm-up the app suggests for a single run solved by multiplicative updates (the same as a
 * sweep's, for the same reason); the CLI's `fit` keeps 0, scikit-learn's behaviour, unless asked.
 */
export const RUN_WARMUP_SUGGESTED = SWEEP_FIT_DEFAULTS.warmup;
