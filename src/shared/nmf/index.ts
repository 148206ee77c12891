/**
 * The NMF engine: V (m features × n samples) ≈ W (m × k) · H (k × n). Pure and synchronous.
 *
 *   fitNmf(V, options, hooks?)                    one fit (MU for any β ≥ 0, HALS for β = 2)
 *   fitReplicates(V, options, replicates, hooks?) seeds seed, seed+1, …, random starts after the
 *                                                 first (replicateStart); best = lowest loss
 *   resolveFitOptions(input, V?)                  defaults + validation (FitSettingsError)
 *   betaDivergence(V, W, H, beta)                 scikit-learn's `_beta_divergence`
 *   poissonLogLikelihood(V, W, H)                 Σ V log(WH) − WH − log V!
 *   initialize(V, rank, method, seed?)            random / NNDSVD / NNDSVDa / NNDSVDar starts
 *   normalizeFactors(W, H, 'l1' | 'l2')           unit-norm W columns, W·H unchanged
 *
 * NaN entries of V (dense NaN, CSR stored NaN) are missing values: left out of the loss and of
 * every update, so held-out entries never influence the fit.
 */
export { fitNmf, fitReplicates, replicateStart, type ReplicateStart, type ReplicatesResult } from './fit';
export { ENGINE_DEFAULTS } from './defaults';
export { resolveFitOptions } from './options';
export { betaDivergence, poissonLogLikelihood } from './divergence';
export { initialize, type InitialFactors } from './init';
export { normalizeFactors, type NormalizedFactors } from './normalize';
export { muExponent } from './solvers';
export * from './types';
