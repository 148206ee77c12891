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
  /** A fixed warm-up of `warmup` iterations (see FitOptions.warmupTol). */
  warmupTol: 0,
  /** Each of the L1 and L2 penalties on W and H. */
  penalty: 0,
  /** HALS visits components in order (scikit-learn's `shuffle=False`). */
  shuffle: false,
  /** Report the log-likelihood of the fit's noise model. */
  loglik: true,
} as const;

/**
 * The solver a fit uses when none is given: HALS for the Frobenius loss (β = 2), the fastest there
 * (Cichocki & Phan 2009; scikit-learn's `cd`), multiplicative updates for every other β.
 */
export function defaultSolverFor(beta: number): 'mu' | 'hals' {
  return beta === 2 ? 'hals' : 'mu';
}

/**
 * Whether a solver can fit a β-divergence: HALS and ALS here minimise the Frobenius objective only
 * (β = 2); multiplicative updates, batch or minibatch, fit every β ≥ 0.
 */
export function solverFitsBeta(solver: 'mu' | 'hals' | 'als' | 'minibatch', beta: number): boolean {
  return solver === 'mu' || solver === 'minibatch' || beta === 2;
}

/**
 * Settings of the minibatch solver (`solver: 'minibatch'`). The schedule is `refined` (see
 * minibatch.ts): batches of 128 samples, forget factor 0.3, up to 3 MU steps of each batch's H per
 * visit (fewer once it changes by ≤ 1e-3), 5 online passes, then up to 20 full-batch MU passes
 * and H solved for the returned W (up to 30 steps per batch). These were chosen by measurement
 * (docs/architecture.md, "Online (minibatch) NMF"): on 2000-gene planted cell counts, k = 20, KL,
 * they end within 1 % of full-batch MU run to its stopping rule in less CPU time. The `sklearn`
 * schedule is scikit-learn 1.2 `MiniBatchNMF`'s, with its defaults ({@link SKLEARN_MINIBATCH_DEFAULTS}):
 * one H step per batch, passes until `maxIter` or its early stop. Both: no fresh restarts (30 MU
 * steps per batch when on), early stop (sklearn schedule only) after 10 steps without improvement
 * of the smoothed batch cost.
 */
export const MINIBATCH_DEFAULTS = {
  batchSize: 128,
  forgetFactor: 0.3,
  freshRestarts: false,
  freshRestartsMaxIter: 30,
  maxNoImprovement: 10 as number | null,
  schedule: 'refined' as 'refined' | 'sklearn',
  onlinePasses: 5,
  polishPasses: 20,
  innerIter: 3,
  innerTol: 1e-3,
  finalIter: 30,
};

/** scikit-learn 1.2 `MiniBatchNMF`'s batch size and forget factor: the `sklearn` schedule's defaults. */
export const SKLEARN_MINIBATCH_DEFAULTS = { batchSize: 1024, forgetFactor: 0.7 };

/**
 * The solver of a one-sided fit (one factor held, `FitOptions.fixed`) that continues a fit made with
 * `solver`: the same, except that minibatch MU becomes full-batch MU — with W held the samples'
 * H columns are independent, and scikit-learn's `MiniBatchNMF.transform` likewise solves H by MU.
 */
export function oneSidedSolver(solver: 'mu' | 'hals' | 'als' | 'minibatch'): 'mu' | 'hals' | 'als' {
  return solver === 'minibatch' ? 'mu' : solver;
}
