import type {
  AnnotationColumn,
  ClassAgreement,
  MarkersView,
  RunCoefficientBins,
} from '../../../../shared/domain';
import { dominantComponents } from '../../../../shared/analysis/run-views';
import { binningNote, type HeatmapFigure, type Track } from '../figure';
import { clusterTrack, orderByCluster, trackOf } from '../reading';

/**
 * What the Run screen's reading section computes from a finished run: sample clusters, the
 * coefficient and basis maps as R NMF's `coefmap` / `basismap` draw them, marker exports, and the
 * class-agreement cells.
 */

/**
 * Each sample's dominant component in W·H: the component a with the largest (Σᵢ Wᵢₐ)·Hₐⱼ, i.e. the
 * largest share of the sample's reconstructed total (ties to the lower component).
 * @param W m × k row-major
 * @param H k × n row-major
 */
export function dominantClusters(
  W: ArrayLike<number>,
  H: ArrayLike<number>,
  m: number,
  k: number,
  n: number,
): number[] {
  return Array.from(dominantComponents(W, H, m, k, n));
}

/**
 * H with each sample's column scaled to sum 1 (each component's share of the sample); an all-zero
 * column has no shares (NaN), not equal ones.
 * @param H k × n row-major
 * @returns k × n row-major
 */
export function columnShares(H: ArrayLike<number>, k: number, n: number): Float64Array {
  const share = new Float64Array(k * n);
  for (let j = 0; j < n; j++) {
    let total = 0;
    for (let a = 0; a < k; a++) total += H[a * n + j];
    for (let a = 0; a < k; a++) share[a * n + j] = total > 0 ? H[a * n + j] / total : NaN;
  }
  return share;
}

export interface CoefficientMapInput {
  /** k × n row-major */
  H: ArrayLike<number>;
  k: number;
  n: number;
  clusters: readonly number[];
  clusterSource: 'consensus' | 'dominant';
  componentNames: string[];
  sampleNames: string[];
  sampleAnnotations: readonly AnnotationColumn[];
}

/**
 * The coefficient map: component shares of each sample, samples grouped by cluster (strongest share
 * of its own cluster first), with the cluster and every sample annotation as tracks.
 */
export function coefficientFigure(input: CoefficientMapInput): HeatmapFigure {
  const { H, k, n, clusters } = input;
  const share = columnShares(H, k, n);
  const order = orderByCluster(clusters, (j) => share[clusters[j] * n + j]);
  const values = new Float64Array(k * n);
  for (let a = 0; a < k; a++) order.forEach((j, p) => (values[a * n + p] = share[a * n + j]));
  const tracks: Track[] = [
    clusterTrack(
      input.clusterSource === 'consensus' ? 'consensus cluster' : 'dominant component',
      order.map((j) => clusters[j]),
      k,
    ),
  ];
  for (const column of input.sampleAnnotations) tracks.push(trackOf(column, order));
  return {
    title: `Coefficients H, k = ${k} (each sample's column scaled to sum 1)`,
    values,
    rows: k,
    cols: n,
    rowNames: input.componentNames,
    colNames: order.map((j) => input.sampleNames[j]),
    colTracks: tracks,
    scale: { min: 0, max: 1, label: 'share of sample' },
    rowKind: 'component',
    colKind: 'sample',
  };
}

/**
 * The coefficient map of a summarised H (`runs:get` `hSummary`): the main process grouped and
 * binned the shares as {@link coefficientFigure}'s figure draws them (shared `coefficientMapBins`),
 * and the sample annotation tracks over the same blocks (`runs:coefficientTracks`, shared
 * `blockTracks`), so the figure is the same as a full map's: cells the blocks' mean shares,
 * categorical tracks coloured by each block's first sample, the counts under the title. One
 * difference: a numeric track shows each block's mean, named "<name> (block mean)".
 * @param blockTracks the tracks, one value per block of `bins`
 */
export function coefficientFigureFromBins(
  bins: RunCoefficientBins,
  input: Omit<CoefficientMapInput, 'H' | 'clusters' | 'sampleAnnotations'>,
  blockTracks: readonly AnnotationColumn[],
): HeatmapFigure {
  const { k, n } = input;
  const first = Array.from(bins.firstSamples);
  const tracks: Track[] = [
    clusterTrack(
      input.clusterSource === 'consensus' ? 'consensus cluster' : 'dominant component',
      Array.from(bins.firstClusters),
      k,
    ),
  ];
  const blocks = Array.from({ length: bins.columns }, (_, c) => c);
  for (const column of blockTracks) tracks.push(trackOf(column, blocks));
  const note = binningNote(n, bins.columns, 'sample', 'columns');
  return {
    title: `Coefficients H, k = ${k} (each sample's column scaled to sum 1)`,
    values: bins.values,
    rows: k,
    cols: bins.columns,
    rowNames: input.componentNames,
    colNames: first.map((j) => input.sampleNames[j] ?? String(j + 1)),
    colTracks: tracks,
    scale: { min: 0, max: 1, label: 'share of sample' },
    rowKind: 'component',
    colKind: 'sample',
    colItems: n,
    ...(note ? { note } : {}),
  };
}

/**
 * The rows of the basis map: each component's selected markers (or its first 10 when fewer than two
 * are selected), in component order, a feature listed once.
 */
export function basisRows(markers: MarkersView, m: number): Array<{ index: number; component: number }> {
  const rows: Array<{ index: number; component: number }> = [];
  const seen = new Uint8Array(m);
  for (const c of markers.components) {
    const chosen = c.features.filter((f) => f.selected);
    for (const f of chosen.length >= 2 ? chosen : c.features.slice(0, 10)) {
      if (seen[f.index]) continue;
      seen[f.index] = 1;
      rows.push({ index: f.index, component: c.component });
    }
  }
  return rows;
}

export interface BasisMapInput {
  /** m × k row-major */
  W: ArrayLike<number>;
  m: number;
  k: number;
  markers: MarkersView;
  componentNames: string[];
  featureNames: string[];
  featureAnnotations: readonly AnnotationColumn[];
}

/** The basis map: W of the marker features, each row scaled to sum 1, with the component each marks. */
export function basisFigure(input: BasisMapInput): HeatmapFigure | null {
  const { W, k, markers, componentNames: names } = input;
  const rows = basisRows(markers, input.m);
  if (rows.length === 0) return null;
  const values = new Float64Array(rows.length * k);
  rows.forEach(({ index }, r) => {
    let total = 0;
    for (let a = 0; a < k; a++) total += W[index * k + a];
    for (let a = 0; a < k; a++) values[r * k + a] = total > 0 ? W[index * k + a] / total : NaN;
  });
  const rowTracks: Track[] = [
    { name: 'marker of', kind: 'categorical', levels: names, values: rows.map((r) => names[r.component]) },
  ];
  for (const column of input.featureAnnotations)
    rowTracks.push(
      trackOf(
        column,
        rows.map((r) => r.index),
      ),
    );
  return {
    title: `Basis W of ${rows.length} marker features (${markers.method === 'kim-park' ? 'Kim–Park' : 'z-score'}; rows scaled to sum 1)`,
    values,
    rows: rows.length,
    cols: k,
    rowNames: rows.map((r) => input.featureNames[r.index]),
    colNames: names,
    rowTracks,
    scale: { min: 0, max: 1, label: 'share of feature' },
    rowKind: 'feature',
    colKind: 'component',
  };
}

/** Every ranked marker as TSV: component, rank, feature, score, loading, selected. */
export function markersTsv(markers: MarkersView, names: string[]): string {
  const lines = ['component\trank\tfeature\tscore\tloading\tselected'];
  for (const c of markers.components)
    c.features.forEach((f, r) =>
      lines.push(
        [names[c.component], r + 1, f.feature, f.score, f.loading, f.selected ? 'yes' : 'no'].join('\t'),
      ),
    );
  return lines.join('\n') + '\n';
}

/** GMT: one gene set per component (name, description, genes), as enrichment tools read it. */
export function markersGmt(markers: MarkersView, names: string[], runId: number): string {
  const lines = markers.components.map((c) =>
    [
      `run${runId}_${names[c.component]}`,
      `NMF Studio run ${runId}, ${markers.method} markers of ${names[c.component]}`,
      ...c.features.map((f) => f.feature),
    ].join('\t'),
  );
  return lines.join('\n') + '\n';
}

/** "40 (2 without a class)": the samples an agreement was measured on. */
export function agreementSamples(agreement: Pick<ClassAgreement, 'samples' | 'unlabelled'>): string {
  return `${agreement.samples}${agreement.unlabelled ? ` (${agreement.unlabelled} without a class)` : ''}`;
}

/** "ALL: 19 / 0 · AML: 1 / 10": each class's samples per cluster. */
export function contingencyText(agreement: Pick<ClassAgreement, 'classes' | 'counts'>): string {
  return agreement.classes.map((name, i) => `${name}: ${agreement.counts[i].join(' / ')}`).join(' · ');
}
