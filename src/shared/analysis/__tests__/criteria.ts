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
    sampleClusters: [],
    bestReplicate: 0,
    bestSeed: 0,
    replicateLosses: [],
    ...extra,
  };
}
