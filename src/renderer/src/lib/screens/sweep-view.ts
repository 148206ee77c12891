import type { ConsensusMapView, SweepDetail, SweepRankView } from '../../../../shared/domain';
import type { SurveyCriteria } from '../../../../shared/analysis/types';
import { CONSENSUS_MAX_SAMPLES } from '../../../../shared/analysis/consensus';
import type { HeatmapFigure } from '../figure';
import { formatValue } from '../format';
import { clusterTrack, trackOf } from '../reading';

/**
 * The runs to compare when a sweep's recommendation carries `marginal_gain` (recommend.ts
 * `MARGINAL_CV_GAIN`), `fold_outlier` (recommend.ts `FOLD_MAJORITY`) or `extreme_entries`
 * (recommend.ts `extremeEntriesStep`), as the Compare screen's `?runs=` takes them: when a higher
 * rank predicts better than the chosen one (the rule's tolerance, or a difference carried by one
 * fold, took the simpler rank), the chosen rank and the one of lowest held-out error; otherwise
 * (the chosen rank barely beats the rank below, or beats it only in the extreme entries) the rank
 * below and the chosen one. Null when none of these warnings is present or either run was not kept.
 */
export function marginalComparison(
  sweep: Pick<SweepDetail, 'recommendation' | 'ranks'>,
): { lower: number; higher: number; lowerRank: number; higherRank: number; href: string } | null {
  const rec = sweep.recommendation;
  const codes = new Set(rec?.warnings?.map((w) => w.code) ?? []);
  const higherOrBelow = codes.has('marginal_gain') || codes.has('fold_outlier');
  if (!rec || rec.rank === null || (!higherOrBelow && !codes.has('extreme_entries'))) return null;
  const chosen = sweep.ranks.find((r) => r.rank === rec.rank);
  if (!chosen || chosen.cvError === null) return null;
  let better: (typeof sweep.ranks)[number] | null = null;
  if (higherOrBelow)
    for (const r of sweep.ranks)
      if (r.rank > chosen.rank && r.cvError !== null && r.cvError < (better?.cvError ?? chosen.cvError))
        better = r;
  const pair = better ? [chosen, better] : [sweep.ranks.find((r) => r.rank === chosen.rank - 1), chosen];
  const [lower, higher] = pair;
  if (!lower?.runId || !higher?.runId) return null;
  return {
    lower: lower.runId,
    higher: higher.runId,
    lowerRank: lower.rank,
    higherRank: higher.rank,
    href: `#/compare?runs=${lower.runId},${higher.runId}`,
  };
}

/** A link from the Sweep screen to the New sweep form filled with this sweep's settings. */
export interface SweepAgainOffer {
  label: string;
  href: string;
  /** Why this change is offered (the warning it answers), for the link's title. */
  why: string;
}

/**
 * The "Sweep again" links of an ended sweep: its settings as they were, and the changes its
 * warnings ask for — folds that each hold out a tenth of the entries when `fold_outlier` or
 * `extreme_entries` says a few held-out entries decided (and the folds held out every entry), a
 * higher top rank when `edge_of_range` stands at the top (the recommended rank, or the lowest
 * held-out error, at the largest rank swept: three more ranks), a lower first rank when it
 * stands at the bottom (two fewer, down to 1). Empty while the sweep runs.
 */
export function sweepAgainOffers(
  sweep: Pick<SweepDetail, 'id' | 'datasetId' | 'state' | 'params' | 'recommendation' | 'ranks'>,
): SweepAgainOffer[] {
  if (sweep.state === 'queued' || sweep.state === 'running') return [];
  const base = `#/new-sweep?dataset=${sweep.datasetId}&from=${sweep.id}`;
  const offers: SweepAgainOffer[] = [
    { label: 'Sweep again…', href: base, why: `The New sweep form with the settings of sweep ${sweep.id}.` },
  ];
  const codes = new Set(sweep.recommendation?.warnings?.map((w) => w.code) ?? []);
  const { fromRank, toRank, cvFolds, cvHoldout } = sweep.params;
  if (
    (codes.has('fold_outlier') || codes.has('extreme_entries')) &&
    cvFolds >= 2 &&
    cvHoldout === undefined
  ) {
    offers.push({
      label: 'Sweep again, a tenth per fold',
      href: `${base}&holdout=tenth`,
      why: 'A few held-out entries decided the rank; folds that each hold out a tenth of the entries make that rare.',
    });
  }
  if (codes.has('edge_of_range')) {
    let lowest: SweepDetail['ranks'][number] | null = null;
    for (const r of sweep.ranks)
      if (r.cvError !== null && (lowest === null || r.cvError < lowest.cvError!)) lowest = r;
    const chosen = sweep.recommendation?.rank ?? null;
    if (chosen === toRank || lowest?.rank === toRank) {
      offers.push({
        label: `Sweep again up to k = ${toRank + 3}`,
        href: `${base}&toRank=${toRank + 3}`,
        why: `The evidence points at k = ${toRank}, the largest rank swept.`,
      });
    } else if (chosen === fromRank && fromRank > 1) {
      const lower = Math.max(1, fromRank - 2);
      offers.push({
        label: `Sweep again from k = ${lower}`,
        href: `${base}&fromRank=${lower}`,
        why: `k = ${fromRank}, the smallest rank swept, was chosen; smaller ranks were not tried.`,
      });
    }
  }
  return offers;
}

/**
 * The consensus map of one rank as the Sweep screen draws it (R NMF's `consensusmap`): the shown
 * samples' consensus matrix in leaf order with its dendrogram, a track of the consensus clusters
 * and one of each sample annotation column. The columns come from `sweeps:consensus` over the shown
 * samples only (`sampleTracks`, already in display order), not from every sample's annotations;
 * above 240 shown samples its matrix is the block means the figure draws (`matrixCells`).
 */
export function consensusFigure(map: ConsensusMapView): HeatmapFigure {
  const s = map.order.length;
  const positions = map.order.map((_, p) => p);
  const tracks = [clusterTrack('consensus cluster', map.clusters, map.rank)];
  for (const column of map.sampleTracks) tracks.push(trackOf(column, positions));
  // Leaf id → display position: leaves[id] is a sample, its position is where it sits in `order`.
  const positionOfSample = new Map(map.order.map((j, p) => [j, p]));
  return {
    title: `Consensus matrix, k = ${map.rank} (${map.replicates} fits)`,
    values: map.matrix,
    rows: s,
    cols: s,
    // Above 240 shown samples the main process sent the block means the figure draws.
    ...(map.matrixCells < s ? { meansOfBlocks: { rows: map.matrixCells, cols: map.matrixCells } } : {}),
    rowNames: map.sampleNames,
    colNames: map.sampleNames,
    colTracks: tracks,
    colTree: { merges: map.merges, leafPosition: map.leaves.map((j) => positionOfSample.get(j)!) },
    scale: { min: 0, max: 1, label: 'consensus' },
    note: map.subsample
      ? `A fixed random subsample of ${map.subsample.shown} of ${map.subsample.of} samples is shown (the one the cophenetic correlation is computed on).`
      : `Cophenetic correlation ${formatValue(map.cophenetic, 4)} · dispersion ${formatValue(map.dispersion, 4)}`,
    rowKind: 'sample',
    colKind: 'sample',
  };
}

/** R NMF's rank-survey measures in the order the Sweep screen shows them. */
export const SURVEY_MEASURES = [
  { key: 'rss', column: 'rss', title: 'RSS', log: true },
  { key: 'evar', column: 'evar', title: 'Explained variance (evar)', log: false },
  { key: 'sparsenessBasis', column: 'sparseness_basis', title: 'Sparseness of W', log: false },
  { key: 'sparsenessCoef', column: 'sparseness_coef', title: 'Sparseness of H', log: false },
  { key: 'silhouetteCoef', column: 'silhouette_coef', title: 'Silhouette of the samples', log: false },
  { key: 'silhouetteBasis', column: 'silhouette_basis', title: 'Silhouette of the features', log: false },
  {
    key: 'silhouetteConsensus',
    column: 'silhouette_consensus',
    title: 'Silhouette of the consensus',
    log: false,
  },
] as const satisfies ReadonlyArray<{
  key: keyof SurveyCriteria;
  /** The name in ranks.json and the criteria CSV. */
  column: string;
  title: string;
  log: boolean;
}>;

export type SurveyKey = (typeof SURVEY_MEASURES)[number]['key'];

/** One rank's row of the survey table: each measure and the shuffled baseline's, formatted ('—' where not computed). */
export interface SurveyRow {
  rank: number;
  cells: Array<{ key: SurveyKey; value: string; baseline: string }>;
}

/**
 * The survey table of a sweep's ranks, and a line saying how many points each silhouette was
 * computed on where that is known. Sweeps stored before the measures existed have none: the
 * table is then empty (`computed` false) rather than a grid of dashes.
 */
export function surveyTable(ranks: ReadonlyArray<SweepRankView>): {
  rows: SurveyRow[];
  computed: boolean;
  points: string | null;
} {
  const value = (source: SurveyCriteria | null | undefined, key: SurveyKey): number | null =>
    source?.[key] ?? null;
  const rows = ranks.map((r) => ({
    rank: r.rank,
    cells: SURVEY_MEASURES.map(({ key }) => ({
      key,
      value: formatValue(value(r, key)),
      baseline: formatValue(value(r.baseline, key)),
    })),
  }));
  const computed = ranks.some((r) => SURVEY_MEASURES.some(({ key }) => value(r, key) !== null));
  const withPoints = ranks.find((r) => r.silhouettePoints);
  const points = withPoints?.silhouettePoints;
  const parts = points
    ? [
        points.coef !== null ? `${points.coef} samples` : null,
        points.basis !== null ? `${points.basis} features` : null,
        points.consensus !== null ? `${points.consensus} samples of the consensus` : null,
      ].filter((part): part is string => part !== null)
    : [];
  return {
    rows,
    computed,
    points:
      parts.length > 0
        ? `Silhouettes computed on ${parts.join(', ')} (the consensus's on at most ${CONSENSUS_MAX_SAMPLES} samples, a fixed random sample above that, as the cophenetic correlation).`
        : null,
  };
}
