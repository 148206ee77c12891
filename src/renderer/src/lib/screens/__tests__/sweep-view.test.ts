import { describe, expect, it } from 'vitest';
import {
  annotationColumn,
  columnsAt,
  consensusMap,
  type AnnotationColumn,
} from '../../../../../shared/analysis';
import type { ConsensusMapView, SweepDetail, SweepRankView } from '../../../../../shared/domain';
import { squareFigureCells } from '../../../../../shared/analysis/downsample';
import { surveyJson } from '../../../../../shared/analysis/sweep';
import { Rng } from '../../../../../shared/linalg/random';
import { heatmapFigureSvg, type HeatmapFigure } from '../../figure';
import { formatValue } from '../../format';
import { clusterTrack, trackOf } from '../../reading';
import {
  SURVEY_MEASURES,
  consensusFigure,
  marginalComparison,
  surveyTable,
  sweepAgainOffers,
} from '../sweep-view';

/** A sweep's recommendation and ranks as the Sweep screen reads them (only runId matters here). */
function sweepWith(
  rank: number | null,
  codes: string[],
  runIds: Record<number, number | null>,
  cvErrors: Record<number, number> = {},
): Pick<SweepDetail, 'recommendation' | 'ranks'> {
  return {
    recommendation: {
      rank,
      criterion: 'cv-1se',
      reasoning: [],
      warnings: codes.map((code) => ({ code, message: code })),
    },
    ranks: Object.entries(runIds).map(
      ([k, runId]) =>
        ({
          rank: Number(k),
          runId,
          cvError: cvErrors[Number(k)] ?? 10 - Number(k),
        }) as unknown as SweepDetail['ranks'][number],
    ),
  };
}

describe('the Sweep screen offers to compare a marginal choice with the rank below', () => {
  it('links the rank below and the chosen rank when the chosen one barely beats it', () => {
    // Errors fall to k = 6 and rise after it: the chosen rank is the lowest.
    const sweep = sweepWith(6, ['non_count_data', 'marginal_gain'], { 4: 7, 5: 8, 6: 9, 7: 10 }, { 7: 5 });
    expect(marginalComparison(sweep)).toEqual({
      lower: 8,
      higher: 9,
      lowerRank: 5,
      higherRank: 6,
      href: '#/compare?runs=8,9',
    });
  });

  it('links the chosen rank and the better one when the tolerance took the simpler rank', () => {
    // k = 7 has the lowest error, k = 6 the next: the comparison is 5 against 7.
    const sweep = sweepWith(
      5,
      ['marginal_gain'],
      { 4: 7, 5: 8, 6: 9, 7: 10 },
      { 4: 2, 5: 1, 6: 0.996, 7: 0.995 },
    );
    expect(marginalComparison(sweep)).toMatchObject({
      lowerRank: 5,
      higherRank: 7,
      href: '#/compare?runs=8,10',
    });
  });

  it('links the chosen rank and the one of lowest mean error when one fold carried that error', () => {
    const sweep = sweepWith(5, ['fold_outlier'], { 5: 8, 6: 9, 7: 10 }, { 5: 6.63, 6: 0.99, 7: 3.13 });
    expect(marginalComparison(sweep)).toMatchObject({
      lowerRank: 5,
      higherRank: 6,
      href: '#/compare?runs=8,9',
    });
  });

  it('links the rank below and the chosen one when only the extreme entries separate them', () => {
    // Seed 4 of the small modules: k = 6 chosen and lowest, k = 7 above it; k = 5 against 6.
    const sweep = sweepWith(6, ['extreme_entries'], { 5: 8, 6: 9, 7: 10 }, { 5: 21.56, 6: 6.1, 7: 19.11 });
    expect(marginalComparison(sweep)).toMatchObject({
      lowerRank: 5,
      higherRank: 6,
      href: '#/compare?runs=8,9',
    });
    // Not the chosen rank and a better higher one: that pair is marginal_gain's and fold_outlier's.
    const lowerAbove = sweepWith(6, ['extreme_entries'], { 5: 8, 6: 9, 7: 10 }, { 5: 21.56, 6: 6.1, 7: 5 });
    expect(marginalComparison(lowerAbove)).toMatchObject({ lowerRank: 5, higherRank: 6 });
  });

  it('offers nothing without the warning, without a rank, or when either run is missing', () => {
    expect(marginalComparison(sweepWith(6, ['edge_of_range'], { 5: 8, 6: 9 }))).toBeNull();
    expect(marginalComparison(sweepWith(null, ['marginal_gain'], { 5: 8, 6: 9 }))).toBeNull();
    expect(marginalComparison(sweepWith(6, ['marginal_gain'], { 5: null, 6: 9 }))).toBeNull();
    expect(marginalComparison(sweepWith(3, ['marginal_gain'], { 3: 4 }))).toBeNull();
    expect(marginalComparison({ recommendation: null, ranks: [] })).toBeNull();
  });
});

describe('the Sweep screen offers to sweep again with what the warnings ask for', () => {
  function ended(
    codes: string[],
    rank: number | null,
    params: Partial<SweepDetail['params']> = {},
    state: SweepDetail['state'] = 'done',
  ): Parameters<typeof sweepAgainOffers>[0] {
    return {
      ...sweepWith(rank, codes, { 3: 1, 4: 2, 5: 3, 6: 4 }, { 3: 9, 4: 8, 5: 7, 6: 7.5 }),
      id: 4,
      datasetId: 2,
      state,
      params: { fromRank: 3, toRank: 6, cvFolds: 3, ...params } as SweepDetail['params'],
    };
  }
  const labels = (sweep: Parameters<typeof sweepAgainOffers>[0]) =>
    sweepAgainOffers(sweep).map((o) => o.label);

  it('always offers the same settings, and nothing while the sweep runs', () => {
    expect(sweepAgainOffers(ended([], 5))).toEqual([
      {
        label: 'Sweep again…',
        href: '#/new-sweep?dataset=2&from=4',
        why: 'The New sweep form with the settings of sweep 4.',
      },
    ]);
    expect(sweepAgainOffers(ended(['extreme_entries'], 5, {}, 'running'))).toEqual([]);
  });

  it('offers a tenth per fold when a few held-out entries decided, unless the folds already hold out a fraction', () => {
    for (const code of ['extreme_entries', 'fold_outlier']) {
      expect(sweepAgainOffers(ended([code], 5))[1]).toMatchObject({
        label: 'Sweep again, a tenth per fold',
        href: '#/new-sweep?dataset=2&from=4&holdout=tenth',
      });
    }
    expect(labels(ended(['extreme_entries'], 5, { cvHoldout: 0.1 }))).toEqual(['Sweep again…']);
    expect(labels(ended(['marginal_gain'], 5))).toEqual(['Sweep again…']);
  });

  it('offers a wider range at the edge it stands on', () => {
    expect(sweepAgainOffers(ended(['edge_of_range'], 6))[1]).toMatchObject({
      label: 'Sweep again up to k = 9',
      href: '#/new-sweep?dataset=2&from=4&toRank=9',
    });
    // The lowest held-out error at the top, the rank chosen below it.
    const lowestAtTop = ended(['edge_of_range'], 5);
    lowestAtTop.ranks[3] = { ...lowestAtTop.ranks[3], cvError: 6 };
    expect(labels(lowestAtTop)).toContain('Sweep again up to k = 9');
    expect(sweepAgainOffers(ended(['edge_of_range'], 3))[1]).toMatchObject({
      label: 'Sweep again from k = 1',
      href: '#/new-sweep?dataset=2&from=4&fromRank=1',
    });
    expect(labels(ended(['edge_of_range'], 3, { fromRank: 1 }))).toEqual(['Sweep again…']);
  });
});

/**
 * The consensus map's figure as SweepReading.svelte built it before `sweeps:consensus` carried the
 * tracks (verbatim but for the parameters): from every sample's annotation columns, read through
 * the map's order.
 */
function figureFromEverySample(
  map: ConsensusMapView,
  samples: readonly AnnotationColumn[],
  wholeMatrix: Float32Array,
  sampleNames: readonly string[],
): HeatmapFigure {
  const s = map.order.length;
  const tracks = [clusterTrack('consensus cluster', map.clusters, map.rank)];
  for (const column of samples) tracks.push(trackOf(column, map.order));
  // Leaf id → display position: leaves[id] is a sample, its position is where it sits in `order`.
  const positionOfSample = new Map(map.order.map((j, p) => [j, p]));
  return {
    title: `Consensus matrix, k = ${map.rank} (${map.replicates} fits)`,
    values: wholeMatrix,
    rows: s,
    cols: s,
    rowNames: sampleNames,
    colNames: sampleNames,
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

/**
 * A consensus map view of `n` samples as `sweeps:consensus` makes it (its tracks over the shown
 * samples, its matrix the figure's cells, the shown samples' names only when each has a cell of its
 * own), and the whole s × s matrix and every shown sample's name the window used to receive.
 */
function mapView(
  n: number,
  maxSamples: number,
  samples: readonly AnnotationColumn[],
): { view: ConsensusMapView; wholeMatrix: Float32Array; sampleNames: string[] } {
  const rng = new Rng(11);
  const rank = 3;
  // Replicates that mostly agree on three groups, with some samples moved at random.
  const labelings = Array.from({ length: 4 }, () =>
    Array.from({ length: n }, (_, j) => (rng.uniform() < 0.2 ? Math.floor(rng.uniform() * rank) : j % rank)),
  );
  const map = consensusMap(labelings, rank, maxSamples);
  const cells = squareFigureCells(map.matrix, map.order.length);
  const sampleNames = map.order.map((j) => `cell ${j}`);
  const view: ConsensusMapView = {
    sweepId: 1,
    rank,
    replicates: labelings.length,
    order: map.order,
    sampleNames: cells.cells < map.order.length ? [] : sampleNames,
    matrix: cells.values,
    matrixCells: cells.cells,
    merges: map.tree.merges,
    leaves: map.leaves,
    clusters: map.clusters,
    sampleTracks: columnsAt(samples, map.order),
    subsample: map.subsample,
    cophenetic: map.cophenetic,
    dispersion: map.dispersion,
  };
  return { view, wholeMatrix: map.matrix, sampleNames };
}

describe("the consensus map from its shown samples' tracks and the figure's cells", () => {
  // A class with a missing value and a level seen only outside any subsample's first samples, a number.
  const columns = (n: number): AnnotationColumn[] => [
    annotationColumn(
      'type',
      Array.from({ length: n }, (_, j) => (j === 3 ? 'NA' : j === n - 1 ? 'rare' : `t${(j * 7) % 5}`)),
    ),
    annotationColumn(
      'depth',
      Array.from({ length: n }, (_, j) => (j % 9 === 0 ? '' : String((j * 37) % 101))),
    ),
  ];

  for (const [n, maxSamples] of [
    [40, 2000],
    [90, 30],
    [700, 300],
  ] as const)
    it(`is the figure drawn from every sample's columns and the whole matrix (${n} samples, at most ${maxSamples} shown)`, () => {
      const samples = columns(n);
      const { view, wholeMatrix, sampleNames } = mapView(n, maxSamples, samples);
      const s = Math.min(n, maxSamples);
      expect(view.order).toHaveLength(s);
      expect(view.subsample !== null).toBe(n > maxSamples);
      // Above 240 shown samples, 240 × 240 block means instead of s × s, and no names.
      expect(view.matrix).toHaveLength(Math.min(s, 240) ** 2);
      expect(view.sampleNames).toHaveLength(s > 240 ? 0 : s);
      const figure = consensusFigure(view);
      expect(figure.colTracks!.map((t) => t.name)).toEqual(['consensus cluster', 'type', 'depth']);
      expect(heatmapFigureSvg(figure)).toBe(
        heatmapFigureSvg(figureFromEverySample(view, samples, wholeMatrix, sampleNames)),
      );
    });
});

describe("the Sweep screen's table of R NMF's survey measures", () => {
  /** A rank as sweeps:get sends it, with only what the survey table reads. */
  const rankOf = (rank: number, extra: Partial<SweepRankView>): SweepRankView =>
    ({ rank, runId: null, baseline: null, ...extra }) as unknown as SweepRankView;

  it('shows each measure with the baseline beside it, and how many points each silhouette used', () => {
    const table = surveyTable([
      rankOf(2, {
        rss: 1234.5,
        evar: 0.71,
        sparsenessBasis: 0.4,
        sparsenessCoef: 0.6,
        silhouetteCoef: 0.9,
        silhouetteBasis: 0.8,
        silhouetteConsensus: 0.95,
        silhouettePoints: { coef: 5000, basis: 2000, consensus: 2000 },
        baseline: { loss: 1, cvError: null, cophenetic: null, stability: null, evar: 0.33, rss: 2000 },
      }),
    ]);
    expect(table.computed).toBe(true);
    expect(table.rows[0].cells.map((c) => c.key)).toEqual(SURVEY_MEASURES.map((m) => m.key));
    const cell = (key: string) => table.rows[0].cells.find((c) => c.key === key)!;
    expect(cell('evar')).toEqual({ key: 'evar', value: formatValue(0.71), baseline: formatValue(0.33) });
    expect(cell('rss')).toEqual({ key: 'rss', value: formatValue(1234.5), baseline: formatValue(2000) });
    expect(cell('silhouetteConsensus')).toEqual({ key: 'silhouetteConsensus', value: '0.95', baseline: '—' });
    expect(table.points).toContain('5000 samples, 2000 features, 2000 samples of the consensus');
  });

  it('names the CSV columns as ranks.json names the measures', () => {
    expect(SURVEY_MEASURES.map((m) => m.column)).toEqual(
      Object.keys(surveyJson({})).filter((key) => key !== 'silhouette_points'),
    );
  });

  it('shows nothing for a sweep stored before the measures existed (fields absent, read as null)', () => {
    const table = surveyTable([rankOf(2, { loss: 5 } as Partial<SweepRankView>), rankOf(3, {})]);
    expect(table.computed).toBe(false);
    expect(table.points).toBeNull();
    expect(table.rows[0].cells.every((c) => c.value === '—' && c.baseline === '—')).toBe(true);
  });
});
