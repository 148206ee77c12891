import { RUN_DEFAULTS, SWEEP_DEFAULTS, SWEEP_FIT_DEFAULTS } from '../../../../shared/domain/defaults';
import type { FitForm } from '../fitform';
import { fitFormFor } from '../fitdefaults';
import { suggestedRank, suggestedSweepRange } from '../defaults';
import type { FitFormPlan } from './fit-form.svelte';
import {
  consensusReplicatesProblem,
  cvFoldsProblem,
  densityThresholdProblem,
  problemsOf,
  rankProblem,
  rankRangeProblem,
  replicatesProblem,
} from './form-rules';

/** What each New … form adds to the shared form model: only what differs between them. */

export interface RunFields {
  rank: number;
  replicates: number;
}

/** New run: one rank, replicates from distinct starts (the best is kept). */
export const runPlan: FitFormPlan<RunFields> = {
  initial: { rank: 5, replicates: RUN_DEFAULTS.replicates },
  suggest: (dataset) => ({
    fit: fitFormFor(dataset),
    extra: { rank: suggestedRank(dataset), replicates: RUN_DEFAULTS.replicates },
  }),
  problems: (extra, dataset) =>
    problemsOf({ rank: rankProblem(extra.rank, dataset), replicates: replicatesProblem(extra.replicates) }),
  start: (ports, datasetId, fit, extra) =>
    ports.call('runs:start', { datasetId, params: { ...fit, ...extra } }),
  estimate: (ports, datasetId, fit, extra) =>
    ports.call('runs:estimate', { datasetId, params: { ...fit, ...extra } }),
  noun: 'Run',
  path: (id) => `/runs/${id}`,
};

export interface SweepFields {
  fromRank: number;
  toRank: number;
  replicates: number;
  cvFolds: number;
  baseline: boolean;
  /** Sample-wise cross-validation (3 sample folds), an addition to the entry-wise folds. */
  sampleCv: boolean;
  /**
   * Each entry-wise fold holds out its own tenth of the entries (`cvHoldout` 0.1, or 1/folds with
   * 10 or more) instead of every entry being in one fold: no sample has a small program held out
   * whole (docs/architecture.md, "Folds that hold out a fraction of the entries").
   */
  holdoutTenth: boolean;
}

const SWEEP_EXTRA_DEFAULTS = {
  replicates: SWEEP_DEFAULTS.replicates,
  cvFolds: SWEEP_DEFAULTS.cvFolds,
  baseline: SWEEP_DEFAULTS.baseline,
  sampleCv: false,
  holdoutTenth: false,
};

/** The sweep request's parameters (also what a cluster job folder plans). */
export function sweepParams(fit: FitForm, extra: SweepFields) {
  const { fromRank, toRank, replicates, cvFolds, baseline, sampleCv, holdoutTenth } = extra;
  return {
    fromRank,
    toRank,
    replicates,
    cvFolds,
    ...(holdoutTenth && cvFolds >= 2 ? { cvHoldout: Math.min(0.1, 1 / cvFolds) } : {}),
    baseline,
    ...(sampleCv ? { sampleFolds: 3 } : {}),
    fit: { ...fit },
  };
}

/** New sweep: every rank of a range, replicates and cross-validation folds at each. */
export const sweepPlan: FitFormPlan<SweepFields> = {
  initial: { fromRank: 2, toRank: 8, ...SWEEP_EXTRA_DEFAULTS },
  suggest: (dataset) => ({
    // Sweeps fit tighter than single runs, from random starts (see SWEEP_FIT_DEFAULTS).
    fit: { ...fitFormFor(dataset), ...SWEEP_FIT_DEFAULTS },
    extra: { ...suggestedSweepRange(dataset), ...SWEEP_EXTRA_DEFAULTS },
  }),
  problems: (extra, dataset) =>
    problemsOf({
      fromRank: rankRangeProblem(extra.fromRank, extra.toRank, dataset),
      replicates: replicatesProblem(extra.replicates),
      cvFolds: cvFoldsProblem(extra.cvFolds),
    }),
  start: (ports, datasetId, fit, extra) =>
    ports.call('sweeps:start', { datasetId, params: sweepParams(fit, extra) }),
  // The main process plans the sweep's fits and prices each at its rank.
  estimate: (ports, datasetId, fit, extra) =>
    ports.call('sweeps:estimate', { datasetId, params: sweepParams(fit, extra) }),
  noun: 'Sweep',
  path: (id) => `/sweeps/${id}`,
};

export interface ConsensusFields {
  fromRank: number;
  toRank: number;
  replicates: number;
  densityThreshold: number;
}

/**
 * New consensus: a cNMF consensus (Kotliar et al. 2019): many replicate fits per rank, their
 * components pooled, outliers dropped by local density, the rest clustered; defaults are cNMF's.
 */
export const consensusPlan: FitFormPlan<ConsensusFields> = {
  initial: { fromRank: 3, toRank: 6, replicates: 100, densityThreshold: 0.5 },
  suggest: (dataset) => ({
    // cNMF's replicate fits: random starts (every replicate must start elsewhere), up to 1000
    // iterations, no warm-up.
    fit: { ...fitFormFor(dataset), init: 'random', maxIter: 1000, warmup: 0 },
    extra: { ...suggestedSweepRange(dataset), replicates: 100, densityThreshold: 0.5 },
  }),
  problems: (extra, dataset) =>
    problemsOf({
      fromRank: rankRangeProblem(extra.fromRank, extra.toRank, dataset),
      replicates: consensusReplicatesProblem(extra.replicates),
      densityThreshold: densityThresholdProblem(extra.densityThreshold),
    }),
  start: (ports, datasetId, fit, extra) =>
    ports.call('consensus:start', { datasetId, params: { ...extra, fit } }),
  // The main process plans the replicate fits against the memory budget and prices them.
  estimate: (ports, datasetId, fit, extra) =>
    ports.call('consensus:estimate', { datasetId, params: { ...extra, fit } }),
  noun: 'Consensus',
  path: (id) => `/consensus/${id}`,
};
