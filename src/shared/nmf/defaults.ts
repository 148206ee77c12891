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

/**
 * Settings of the minibatch solver (`solver: 'minibatch'`), scikit-learn 1.2 `MiniBatchNMF`'s
 * defaults: batches of 1024 samples, forget factor 0.7, no fresh restarts (30 MU steps per batch
 * when on), early stop after 10 steps without improvement of the smoothed batch cost.
 */
export const MINIBATCH_DEFAULTS = {
  batchSize: 1024,
  forgetFactor: 0.7,
  freshRestarts: false,
  freshRestartsMaxIter: 30,
  maxNoImprovement: 10 as number | null,
};
