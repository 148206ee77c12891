/**
 * What the Run screen draws of a run's activations H, as pure functions of W and H: each sample's
 * dominant component, the sample orders the screen offers, the activation chart's min–max
 * envelopes, the H heat map's block maxima and the coefficient map's binned shares. The window
 * computes them from H when H is small; above {@link H_VIEW_MAX_ENTRIES} the main process computes
 * them (services/run-view.ts) and `runs:get` sends these summaries instead of H (k × n, 160 MB at
 * k = 20 × 10⁶ samples), so the window never holds, transposes or scans H.
 */
import type { AnnotationColumn } from './annotations';

/** Samples above which the activation chart is drawn from bins instead of one point per sample. */
export const ACTIVATION_MAX_SAMPLES = 4000;

/** Bins of a binned activation chart: two points each, about a point per pixel of a wide chart. */
export const ACTIVATION_BINS = 1000;

/**
 * Entries of H (k·n) above which `runs:get` sends the summaries instead of H (2 MiB of doubles;
 * the summaries of any n are ~1 MB at k = 20). Only runs of more than
 * {@link ACTIVATION_MAX_SAMPLES} samples are summarised, so every view the summaries replace
 * (binned activation chart, dominant order in place of clustering, binned maps) was already binned
 * in the window: the small runs' views (one point per sample, average-linkage order, a heat map
 * zoomable to single samples with their values on hover) stay as they are.
 */
export const H_VIEW_MAX_ENTRIES = 1 << 18;

/** Sample columns of the summarised H heat map: more than a wide canvas has pixels. */
export const H_MAP_COLUMNS = 1200;

/** Cells per axis of a figure heat map (figure.ts draws at most this many, averaging blocks). */
export const FIGURE_MAX_CELLS = 240;

/** Whether the Run screen gets H's summaries rather than H (see {@link H_VIEW_MAX_ENTRIES}). */
export function summarisesH(k: number, n: number, maxEntries = H_VIEW_MAX_ENTRIES): boolean {
  return n > ACTIVATION_MAX_SAMPLES && k * n > maxEntries;
}

/** Splits [start, end) into `parts` nearly equal contiguous blocks; returns parts + 1 edges. */
export function blockEdges(start: number, end: number, parts: number): Int32Array {
  const edges = new Int32Array(parts + 1);
  const length = end - start;
  for (let i = 0; i <= parts; i++) edges[i] = start + Math.floor((i * length) / parts);
  return edges;
}

/**
 * Each sample's dominant component in W·H: the component a with the largest (Σᵢ Wᵢₐ)·Hₐⱼ, i.e. the
 * largest share of the sample's reconstructed total (ties to the lower component).
 * @param W m × k row-major
 * @param H k × n row-major
 * @returns n components
 */
export function dominantComponents(
  W: ArrayLike<number>,
  H: ArrayLike<number>,
  m: number,
  k: number,
  n: number,
): Int32Array {
  const mass = new Float64Array(k);
  for (let i = 0; i < m; i++) for (let a = 0; a < k; a++) mass[a] += W[i * k + a];
  const out = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    let best = 0;
    for (let a = 1; a < k; a++) if (mass[a] * H[a * n + j] > mass[best] * H[best * n + j]) best = a;
    out[j] = best;
  }
  return out;
}

/**
 * Items ordered by their strongest part, then by that part's share of the item's total |value|
 * (descending, so items of different scale sort together), then by index. Non-finite values are
 * skipped. Item i's part j is `values[i * itemStride + j * partStride]`, so rows of a row-major
 * matrix (stride k, 1) and its columns (stride 1, n) are ordered without a transposed copy.
 * O(items·parts + items log items).
 * @returns item indices in display order
 */
export function dominantOrderOf(
  values: ArrayLike<number>,
  items: number,
  parts: number,
  itemStride: number,
  partStride: number,
): Int32Array {
  const best = new Int32Array(items);
  const weight = new Float64Array(items);
  for (let i = 0; i < items; i++) {
    let arg = 0;
    let top = -Infinity;
    let total = 0;
    for (let j = 0; j < parts; j++) {
      const v = values[i * itemStride + j * partStride];
      if (!Number.isFinite(v)) continue;
      total += Math.abs(v);
      if (v > top) {
        top = v;
        arg = j;
      }
    }
    best[i] = arg;
    weight[i] = total > 0 ? top / total : 0;
  }
  const order = Array.from({ length: items }, (_, i) => i);
  order.sort((a, b) => best[a] - best[b] || weight[b] - weight[a] || a - b);
  return Int32Array.from(order);
}

/**
 * The "by dominant component" sample order: {@link dominantOrderOf} over the samples, read from H
 * in place (no n × k copy) — the window's `dominantOrder` of Hᵀ.
 * @param H k × n row-major
 * @returns n sample indices in display order
 */
export function dominantSampleOrder(H: ArrayLike<number>, k: number, n: number): Int32Array {
  return dominantOrderOf(H, n, k, 1, n);
}

/** One component's binned activation line: positions (1-based, increasing) and values. */
export interface ActivationEnvelope {
  x: Float64Array;
  y: Float64Array;
}

/**
 * Each component's activation over the samples (in `order`, or as fitted) cut into `bins`
 * contiguous blocks, each block contributing its lowest and highest value at those samples'
 * positions (one point when they are the same sample): min–max decimation, the line's envelope at
 * screen resolution, so a single strong sample still shows.
 * @param H k × n row-major
 */
export function activationEnvelopes(
  H: ArrayLike<number>,
  k: number,
  n: number,
  order: ArrayLike<number> | null,
  bins = ACTIVATION_BINS,
): ActivationEnvelope[] {
  const binCount = Math.min(n, bins);
  const envelopes: ActivationEnvelope[] = [];
  for (let c = 0; c < k; c++) {
    const base = c * n;
    const value = (p: number): number => H[base + (order ? order[p] : p)];
    const x: number[] = [];
    const y: number[] = [];
    for (let b = 0; b < binCount; b++) {
      const start = Math.floor((b * n) / binCount);
      const end = Math.floor(((b + 1) * n) / binCount);
      let low = start;
      let high = start;
      // The values at `low` and `high`, kept rather than read again for every sample.
      let lowValue = value(start);
      let highValue = lowValue;
      for (let p = start + 1; p < end; p++) {
        const v = value(p);
        if (v < lowValue) {
          low = p;
          lowValue = v;
        }
        if (v > highValue) {
          high = p;
          highValue = v;
        }
      }
      const first = Math.min(low, high);
      const second = Math.max(low, high);
      x.push(first + 1);
      y.push(value(first));
      if (second !== first) {
        x.push(second + 1);
        y.push(value(second));
      }
    }
    envelopes.push({ x: Float64Array.from(x), y: Float64Array.from(y) });
  }
  return envelopes;
}

/** A k × columns map of H over blocks of samples. */
export interface BlockMap {
  /** k × columns row-major. */
  values: Float64Array;
  columns: number;
  /** columns + 1 display positions: block c holds positions edges[c] … edges[c+1] − 1. */
  edges: Int32Array;
}

/**
 * H's samples (in `order`, or as fitted) in `columns` nearly equal contiguous blocks, each cell
 * the largest entry of its block (NaN skipped; NaN when the block has no number): the canvas heat
 * map's reduction (downsample.ts 'max'), done once here at a fixed width.
 * @param H k × n row-major
 */
export function blockMaxima(
  H: ArrayLike<number>,
  k: number,
  n: number,
  order: ArrayLike<number> | null,
  columns = H_MAP_COLUMNS,
): BlockMap {
  const cols = Math.max(1, Math.min(n, columns));
  const edges = blockEdges(0, n, cols);
  const values = new Float64Array(k * cols);
  for (let a = 0; a < k; a++) {
    for (let c = 0; c < cols; c++) {
      let max = -Infinity;
      let count = 0;
      for (let p = edges[c]; p < edges[c + 1]; p++) {
        const v = H[a * n + (order ? order[p] : p)];
        if (Number.isNaN(v)) continue;
        if (v > max) max = v;
        count++;
      }
      values[a * cols + c] = count === 0 ? NaN : max;
    }
  }
  return { values, columns: cols, edges };
}

/** Finite minimum and maximum of H (0, 0 when nothing is finite): the heat map's colour scale. */
export function finiteRange(values: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min === Infinity ? { min: 0, max: 0 } : { min, max };
}

/** The coefficient map of many samples, binned as the figure draws it. */
export interface CoefficientMapBins {
  /** k × columns row-major: each cell the mean share of its block's samples (NaN shares skipped). */
  values: Float64Array;
  columns: number;
  /** The sample (index in the data) first in each block: its cluster and annotations colour the tracks. */
  firstSamples: Int32Array;
  /**
   * The n samples in display order; block c holds positions `blockEdges(0, n, columns)[c]` …
   * [c + 1] − 1. Kept by the main process for the annotation tracks (`blockTracks`), never sent.
   */
  order: Int32Array;
}

/**
 * The coefficient map (R NMF's `coefmap`) at figure resolution: each sample's column of H scaled
 * to sum 1 (an all-zero column has no shares: NaN), samples ordered by cluster then by the share
 * of their own cluster's component (descending) then by index, cut into at most `cells`
 * contiguous blocks whose cells are the mean shares (NaN skipped) — the numbers figure.ts draws
 * from the full k × n map, without the k × n copy of shares.
 * @param H k × n row-major
 * @param clusters n cluster labels in 0..k−1
 */
export function coefficientMapBins(
  H: ArrayLike<number>,
  k: number,
  n: number,
  clusters: ArrayLike<number>,
  cells = FIGURE_MAX_CELLS,
): CoefficientMapBins {
  const totals = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let total = 0;
    for (let a = 0; a < k; a++) total += H[a * n + j];
    totals[j] = total;
  }
  const share = (a: number, j: number): number => (totals[j] > 0 ? H[a * n + j] / totals[j] : NaN);
  // Each sample's share of its own cluster's component, computed once for the sort (the same
  // numbers, so the same comparisons and the same order as comparing shares on the fly).
  const score = new Float64Array(n);
  const cluster = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    cluster[j] = clusters[j];
    score[j] = share(clusters[j], j);
  }
  const sorted = Array.from({ length: n }, (_, j) => j);
  sorted.sort((a, b) => cluster[a] - cluster[b] || score[b] - score[a] || a - b);
  const order = Int32Array.from(sorted);
  const cols = Math.max(1, Math.min(n, cells));
  const edges = blockEdges(0, n, cols);
  const values = new Float64Array(k * cols);
  const firstSamples = new Int32Array(cols);
  for (let c = 0; c < cols; c++) firstSamples[c] = order[edges[c]];
  for (let a = 0; a < k; a++) {
    for (let c = 0; c < cols; c++) {
      let sum = 0;
      let count = 0;
      for (let p = edges[c]; p < edges[c + 1]; p++) {
        const v = share(a, order[p]);
        if (Number.isNaN(v)) continue;
        sum += v;
        count++;
      }
      values[a * cols + c] = count === 0 ? NaN : sum / count;
    }
  }
  return { values, columns: cols, firstSamples, order };
}

/**
 * Sample annotation tracks over the blocks of a binned coefficient map (`coefficientMapBins`):
 * a categorical column shows each block's first sample's category (as the figure shows a block of
 * a full map), a numeric one each block's mean (missing values skipped; null when the block has
 * none), named "<name> (block mean)". Each column comes back with one value per block.
 * @param order the samples in display order (`CoefficientMapBins.order`)
 */
export function blockTracks(
  columns: readonly AnnotationColumn[],
  order: ArrayLike<number>,
  blocks: number,
): AnnotationColumn[] {
  const edges = blockEdges(0, order.length, blocks);
  return columns.map((column): AnnotationColumn => {
    if (column.kind === 'categorical')
      return {
        ...column,
        values: Array.from({ length: blocks }, (_, c) => column.values[order[edges[c]]] ?? null),
      };
    const means: Array<number | null> = [];
    for (let c = 0; c < blocks; c++) {
      let sum = 0;
      let count = 0;
      for (let p = edges[c]; p < edges[c + 1]; p++) {
        const v = column.values[order[p]];
        if (v === null || v === undefined || Number.isNaN(v)) continue;
        sum += v;
        count++;
      }
      means.push(count === 0 ? null : sum / count);
    }
    return { name: `${column.name} (block mean)`, kind: 'numeric', values: means };
  });
}

/** Counts of samples per component (labels in 0..k−1). */
export function countsPerComponent(labels: ArrayLike<number>, k: number): number[] {
  const counts = new Array<number>(k).fill(0);
  for (let j = 0; j < labels.length; j++) counts[labels[j]]++;
  return counts;
}
