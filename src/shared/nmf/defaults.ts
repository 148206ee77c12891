/**
 * The engine's own defaults (`resolveFitOptions`), scikit-learn 1.2's `NMF` where it has one
 * (init nndsvda, max_iter 200 there but 500 here as CLI.md documents, tol 1e-4, its convergence
 * check every 10 iterations) and no warm-up, so that the engine called directly behaves as
 * scikit-learn does. What a user gets from the app, the API and the command line is a run's
 * defaults (`RUN_FIT_DEFAULTS` in src/shared/domain/defaults.ts), built on these.
 */
export const ENGINE_DEFAULTS = {
  beta: 1,
  init: 'nndsvda',
  maxIter: 500,
  tol: 1e-4,
  seed: 0,
  checkEvery: 10,
  warmup: 0,
} as const;
