import type { DatasetSummary, LossName, RunParamsInput, SweepParamsInput } from '../../../shared/domain';
import { RUN_FIT_DEFAULTS } from '../../../shared/domain/defaults';

/**
 * Starting parameters suited to a dataset: count data (all integers) is Poisson-like, for which
 * the generalised KL divergence is the maximum-likelihood loss; other data gets Frobenius, solved
 * fastest by HALS. The rank default grows slowly with the smaller dimension. The fit settings are
 * a run's defaults (RUN_FIT_DEFAULTS, the same the main process and the command line apply):
 * multiplicative updates get the HALS warm-up.
 */

type DataFacts = Pick<DatasetSummary, 'integer' | 'minValue' | 'layout'>;

/**
 * Whether the values read as counts: whole numbers that include zeros (or a sparse table, whose
 * implicit entries are zeros). Whole numbers that never reach zero — microarray intensities
 * thresholded at 20, 16-bit image intensities — are measurements on an integer scale, not counts,
 * and a Poisson (KL) model is not the natural one for them.
 */
export function looksLikeCounts(dataset: DataFacts): boolean {
  return dataset.integer && (dataset.minValue === 0 || dataset.layout === 'csr');
}

/** How the Dataset and New run screens describe the values. */
export function describeValues(dataset: DataFacts): string {
  if (looksLikeCounts(dataset)) return 'integer counts';
  return dataset.integer ? 'whole numbers without zeros (intensities, not counts)' : 'continuous values';
}

/**
 * KL for whole numbers, counts or not: for counts it is the Poisson likelihood; for whole-number
 * intensities (microarrays) it is the divergence Brunet et al. (2004) and R NMF's default method
 * use. Measured on Golub (5000 × 38, ranks 2–4, 6 replicates): the k = 3 consensus clusters match
 * the known subtypes with ARI 0.92 under KL and 0.76 under Frobenius. Other data: Frobenius.
 */
export function suggestedLoss(dataset: DataFacts): LossName {
  return dataset.integer ? 'kl' : 'frobenius';
}

export function suggestedRank(dataset: Pick<DatasetSummary, 'rows' | 'cols'>): number {
  const small = Math.min(dataset.rows, dataset.cols);
  return Math.max(1, Math.min(small - 1 || 1, 20, Math.round(Math.sqrt(small / 2))));
}

export function suggestedRunParams(dataset: DatasetSummary): Required<
  Omit<RunParamsInput, 'solver' | 'batchSize'>
> & {
  solver: 'mu' | 'hals' | 'als';
} {
  const loss = suggestedLoss(dataset);
  return {
    rank: suggestedRank(dataset),
    loss,
    beta: loss === 'kl' ? 1 : 2,
    solver: loss === 'frobenius' ? 'hals' : 'mu',
    init: RUN_FIT_DEFAULTS.init,
    maxIter: RUN_FIT_DEFAULTS.maxIter,
    tol: RUN_FIT_DEFAULTS.tol,
    seed: RUN_FIT_DEFAULTS.seed,
    l1W: 0,
    l2W: 0,
    l1H: 0,
    l2H: 0,
    shuffle: false,
    warmup: loss === 'frobenius' ? 0 : RUN_FIT_DEFAULTS.warmup,
    replicates: 1,
  };
}

export function suggestedSweepRange(dataset: Pick<DatasetSummary, 'rows' | 'cols'>): {
  fromRank: number;
  toRank: number;
} {
  const small = Math.min(dataset.rows, dataset.cols);
  const toRank = Math.max(2, Math.min(small - 1, Math.max(8, 2 * suggestedRank(dataset))));
  return { fromRank: Math.min(2, toRank), toRank };
}

/** Whether a solver can fit a loss: HALS and ALS here solve the Frobenius objective only. */
export function solverAllowed(solver: 'mu' | 'hals' | 'als', loss: LossName, beta: number): boolean {
  return solver === 'mu' || loss === 'frobenius' || (loss === 'beta' && beta === 2);
}

/** Number of fits a sweep performs (each rank: replicates, plus folds, and the baseline copy). */
export function sweepJobCount(
  params: Pick<SweepParamsInput, 'fromRank' | 'toRank' | 'replicates' | 'cvFolds' | 'baseline'>,
): number {
  const ranks = Math.max(0, params.toRank - params.fromRank + 1);
  const perRank = (params.replicates ?? 5) + (params.cvFolds ?? 3);
  return ranks * perRank * (params.baseline === false ? 1 : 2);
}
