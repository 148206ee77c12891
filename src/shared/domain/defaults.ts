/**
 * Default fit settings as plain data (no schema library), so the renderer can show the same
 * defaults the main process applies without bundling the validators.
 */

/**
 * Fits inside a rank sweep: tighter than a single run's (tol 1e-5, up to 2000 iterations), because
 * held-out error and consensus separate ranks only when the fits have converged; random starts,
 * because NNDSVD gives every replicate the same start (the sweep replaces it by random anyway).
 */
export const SWEEP_FIT_DEFAULTS = { maxIter: 2000, tol: 1e-5, init: 'random' } as const;
