/**
 * The NMF engine: V (m × n) ≈ W (m × k) · H (k × n). Pure and synchronous; see `fitNmf`.
 */
export { fitNmf, fitReplicates, type ReplicatesResult } from './fit';
export { resolveFitOptions } from './options';
export { betaDivergence, poissonLogLikelihood } from './divergence';
export { initialize, type InitialFactors } from './init';
export { normalizeFactors, type NormalizedFactors } from './normalize';
export { muExponent } from './solvers';
export * from './types';
