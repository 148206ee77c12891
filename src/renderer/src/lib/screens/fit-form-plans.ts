import type { Result } from '../../../../shared/api';
import { DEFAULT_CONSENSUS_REPLICATES } from '../../../../shared/analysis/sweep-plan';
import { RUN_DEFAULTS, SWEEP_DEFAULTS, SWEEP_FIT_DEFAULTS } from '../../../../shared/domain/defaults';
import { betaOfLoss, type SweepParams } from '../../../../shared/domain/params';
import { defaultSolverFor } from '../../../../shared/nmf/defaults';
import { fitFormOf, type FitForm } from '../fitform';
import { fitFormFor } from '../fitdefaults';
import { routeId } from '../route-id';
import { suggestedRank, suggestedSweepRange } from '../defaults';
import type { FitFormPlan, FitFormPreset } from './fit-form.svelte';
import type { ScreenPorts } from './ports';
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
  /**
   * Where consensus and stability come from: `auto` leaves it to the service, which runs
   * independent consensus fits when they cost at most twice the rest of the sweep
   * (`withConsensusReplicates`); `independent` asks for them whatever they cost; `replicates` asks
   * for none, so the consensus is read from the warm-started replicates (faster; they agree more
   * readily, and the recommendation says so).
   */
  consensusFits: ConsensusFitsChoice;
}

/** The New sweep form's choice of consensus fits (see {@link SweepFields.consensusFits}). */
export type ConsensusFitsChoice = 'auto' | 'independent' | 'replicates';

const SWEEP_EXTRA_DEFAULTS = {
  replicates: SWEEP_DEFAULTS.replicates,
  cvFolds: SWEEP_DEFAULTS.cvFolds,
  baseline: SWEEP_DEFAULTS.baseline,
  sampleCv: false,
  holdoutTenth: false,
  consensusFits: 'auto' as ConsensusFitsChoice,
};

/** The request's `consensusReplicates` for a choice; absent for `auto` (the service decides). */
function consensusReplicatesOf(choice: ConsensusFitsChoice): { consensusReplicates?: number } {
  if (choice === 'independent') return { consensusReplicates: DEFAULT_CONSENSUS_REPLICATES };
  if (choice === 'replicates') return { consensusReplicates: 0 };
  return {};
}

/** The fraction each fold holds out under "A tenth per fold": a tenth, or 1/folds above 10 folds. */
function tenthPerFold(cvFolds: number): number {
  return Math.min(0.1, 1 / cvFolds);
}

/** The sweep request's parameters (also what a cluster job folder plans). */
export function sweepParams(fit: FitForm, extra: SweepFields) {
  const { fromRank, toRank, replicates, cvFolds, baseline, sampleCv, holdoutTenth, consensusFits } = extra;
  return {
    fromRank,
    toRank,
    replicates,
    cvFolds,
    ...(holdoutTenth && cvFolds >= 2 ? { cvHoldout: tenthPerFold(cvFolds) } : {}),
    baseline,
    ...consensusReplicatesOf(consensusFits),
    ...(sampleCv ? { sampleFolds: 3 } : {}),
    fit: { ...fit },
  };
}

/**
 * What a "Sweep again" link changes in an earlier sweep's settings (the New sweep address's
 * `holdout=tenth`, `fromRank=`, `toRank=`): folds that each hold out a tenth of the entries (the
 * remedy the `fold_outlier` and `extreme_entries` warnings name), or a wider rank range (the one
 * `edge_of_range` asks for).
 */
export interface SweepAgainChange {
  holdoutTenth?: boolean;
  fromRank?: number;
  toRank?: number;
}

/**
 * The New sweep form's fields from a stored sweep's parameters, with `change` applied. The stored
 * number of consensus fits was decided when the sweep was made (by the service or the user), so it
 * is kept as a choice: none stays none, any stays independent fits (the form's 20; the note says so
 * when the sweep ran another number), and a sweep stored without the field is left to the service.
 * What the form cannot hold is left to the service as for any new sweep: the number of baseline
 * replicates, and a holdout other than the form's tenth (see {@link sweepPreset}'s note).
 */
export function sweepFormOf(
  params: SweepParams,
  change: SweepAgainChange,
): { fit: FitForm; extra: SweepFields } {
  const f = params.fit;
  const fit = fitFormOf({ ...f, solver: f.solver ?? defaultSolverFor(betaOfLoss(f.loss, f.beta)) });
  const extra: SweepFields = {
    fromRank: change.fromRank ?? params.fromRank,
    toRank: change.toRank ?? params.toRank,
    replicates: params.replicates,
    cvFolds: params.cvFolds,
    baseline: params.baseline,
    sampleCv: (params.sampleFolds ?? 0) > 0,
    holdoutTenth: change.holdoutTenth ?? params.cvHoldout !== undefined,
    consensusFits:
      params.consensusReplicates === undefined
        ? 'auto'
        : params.consensusReplicates === 0
          ? 'replicates'
          : 'independent',
  };
  return { fit, extra };
}

/** The line above a form filled from sweep `id`: whose settings, and what was changed. */
export function sweepPresetNote(id: number, params: SweepParams, change: SweepAgainChange): string {
  const changes: string[] = [];
  if (change.holdoutTenth && params.cvHoldout === undefined)
    changes.push('folds that each hold out a tenth of the entries');
  const from = change.fromRank ?? params.fromRank;
  const to = change.toRank ?? params.toRank;
  if (from !== params.fromRank || to !== params.toRank)
    changes.push(`ranks ${from}–${to} instead of ${params.fromRank}–${params.toRank}`);
  const tenth = tenthPerFold(params.cvFolds);
  const otherHoldout =
    params.cvHoldout !== undefined && Math.abs(params.cvHoldout - tenth) > 1e-12
      ? ` Sweep ${id} held out ${+(100 * params.cvHoldout).toPrecision(3)} % per fold; this form holds out a tenth (${+(100 * tenth).toPrecision(3)} %).`
      : '';
  const consensus = params.consensusReplicates ?? 0;
  const otherConsensus =
    consensus > 0 && consensus !== DEFAULT_CONSENSUS_REPLICATES
      ? ` Sweep ${id} ran ${consensus} consensus fit${consensus === 1 ? '' : 's'} per k; this form runs ${DEFAULT_CONSENSUS_REPLICATES}.`
      : '';
  return `The settings of sweep ${id}${changes.length > 0 ? `, with ${changes.join(' and ')}` : ''}.${otherHoldout}${otherConsensus}`;
}

/** Loads sweep `id`'s settings for the New sweep form (`#/new-sweep?from=id`), with `change`. */
export function sweepPreset(
  id: number,
  change: SweepAgainChange,
): (ports: ScreenPorts) => Promise<Result<FitFormPreset<SweepFields>>> {
  return async (ports) => {
    const sweep = await ports.call('sweeps:get', { id });
    if (!sweep.ok) return sweep;
    const { fit, extra } = sweepFormOf(sweep.value.params, change);
    return {
      ok: true,
      value: {
        datasetId: sweep.value.datasetId,
        fit,
        extra,
        note: sweepPresetNote(id, sweep.value.params, change),
      },
    };
  };
}

/**
 * The New sweep address's "sweep again" part (`from=4&holdout=tenth&toRank=10`): the sweep to start
 * from and the change. Values that are not whole ranks from 1 to 1000 are ignored (the address is
 * the user's to edit); without a valid `from`, null.
 */
export function sweepAgainOf(query: URLSearchParams): { from: number; change: SweepAgainChange } | null {
  const rank = (key: string): number | undefined => {
    const value = Number(query.get(key) ?? NaN);
    return Number.isInteger(value) && value >= 1 && value <= 1000 ? value : undefined;
  };
  const from = routeId(query.get('from') ?? undefined);
  if (from === null) return null;
  const change: SweepAgainChange = {};
  if (query.get('holdout') === 'tenth') change.holdoutTenth = true;
  const fromRank = rank('fromRank');
  const toRank = rank('toRank');
  if (fromRank !== undefined) change.fromRank = fromRank;
  if (toRank !== undefined) change.toRank = toRank;
  return { from, change };
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
