import type { RankCriteria } from '../types';

/**
 * The criteria of rank `rank` with nothing measured (every criterion null or empty, loss 0, no
 * consensus fits), overridden by `extra`: the rows the recommendation tests construct.
 */
export function emptyCriteria(rank: number, extra: Partial<RankCriteria> = {}): RankCriteria {
  return {
    rank,
    loss: 0,
    loglik: null,
    bic: null,
    cvError: null,
    cvErrorSe: null,
    cvErrors: [],
    cvErrorTrimmed: null,
    cvErrorsTrimmed: [],
    cvPairedSe: null,
    cvPairedDifference: null,
    pearsonDispersion: null,
    consensusFits: 0,
    consensusFromIndependentStarts: true,
    cophenetic: null,
    dispersion: null,
    stability: null,
    rss: null,
    evar: null,
    sparsenessBasis: null,
    sparsenessCoef: null,
    silhouetteCoef: null,
    silhouetteBasis: null,
    silhouetteConsensus: null,
    silhouettePoints: { coef: null, basis: null, consensus: null },
    sampleClusters: [],
    bestReplicate: 0,
    bestSeed: 0,
    replicateLosses: [],
    ...extra,
  };
}

/**
 * A rank of a fold sweep as the recommendation tests give it: per-fold held-out errors (their mean
 * is the rank's error) and the paired difference to the lowest rank with its standard error.
 */
export function foldRank(
  k: number,
  cvErrors: number[],
  pairedDifference: number,
  pairedSe: number,
): RankCriteria & { baseline: null } {
  const cvError = cvErrors.reduce((a, b) => a + b, 0) / cvErrors.length;
  const criteria = emptyCriteria(k, {
    loss: 1,
    cvError,
    cvErrorSe: pairedSe,
    cvErrors,
    cvPairedSe: pairedSe,
    cvPairedDifference: pairedDifference,
  });
  return { ...criteria, baseline: null };
}
