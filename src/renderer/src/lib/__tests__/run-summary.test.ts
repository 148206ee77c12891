import { describe, expect, it } from 'vitest';
import {
  activationEnvelopes,
  ACTIVATION_BINS,
  blockMaxima,
  blockTracks,
  coefficientMapBins,
  dominantComponents,
  dominantSampleOrder,
  finiteRange,
  summarisesH,
  H_VIEW_MAX_ENTRIES,
} from '../../../../shared/analysis/run-views';
import type { AnnotationColumn } from '../../../../shared/domain';
import { downsample, range } from '../downsample';
import { heatmapFigureSvg } from '../figure';
import { dominantOrder, transpose } from '../ordering';
import { coefficientFigure, coefficientFigureFromBins } from '../screens/run-reading';
import {
  activationChartFromEnvelopes,
  activationChartSpec,
  blockLabels,
  summaryMapNote,
} from '../screens/run-view';
import type { ChartPoint, ChartSpec } from '../svgchart';

/**
 * The Run screen's views of H made from the main process's summaries (shared/analysis/run-views.ts)
 * against what the window computed from H itself before: the window's own functions where they
 * still stand (dominantOrder of Hᵀ, downsample, coefficientFigure → heatmapFigureSvg), and, where
 * the window's code now calls the shared function, a verbatim copy of the window's code as it was.
 */

/** The window's `dominantClusters` as it was (run-reading.ts). */
function windowDominantClusters(W: Float64Array, H: Float64Array, m: number, k: number, n: number): number[] {
  const mass = new Float64Array(k);
  for (let i = 0; i < m; i++) for (let a = 0; a < k; a++) mass[a] += W[i * k + a];
  return Array.from({ length: n }, (_, j) => {
    let best = 0;
    for (let a = 1; a < k; a++) if (mass[a] * H[a * n + j] > mass[best] * H[best * n + j]) best = a;
    return best;
  });
}

/** The window's `activationChartSpec` as it was (run-view.ts), for the binned case. */
function windowActivationSpec(
  H: Float64Array,
  n: number,
  names: string[],
  order: ArrayLike<number> | null,
  bins: number,
): ChartSpec & { kind: 'line' } {
  const at = (c: number, p: number): number => H[c * n + (order ? order[p] : p)];
  const binCount = Math.min(n, bins);
  const binnedPoints = (value: (p: number) => number): ChartPoint[] => {
    const points: ChartPoint[] = [];
    for (let b = 0; b < binCount; b++) {
      const start = Math.floor((b * n) / binCount);
      const end = Math.floor(((b + 1) * n) / binCount);
      let low = start;
      let high = start;
      for (let p = start + 1; p < end; p++) {
        const v = value(p);
        if (v < value(low)) low = p;
        if (v > value(high)) high = p;
      }
      const first = Math.min(low, high);
      const second = Math.max(low, high);
      points.push({ x: first + 1, y: value(first) });
      if (second !== first) points.push({ x: second + 1, y: value(second) });
    }
    return points;
  };
  return {
    kind: 'line',
    title: `Activations H over samples: ${n} samples in ${binCount} bins, each bin's lowest and highest value drawn`,
    xLabel: order ? 'sample (clustered order)' : 'sample / time index',
    yLabel: 'activation',
    series: names.map((label, c) => ({
      label,
      color: '#000',
      points: binnedPoints((p) => at(c, p)),
    })),
  };
}

/** Seeded uniform numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Factors made to break the views: activations quantised to a few levels (ties within and across
 * components), whole samples of zeros (no shares, every component tied), zero components, and a
 * few strong single samples.
 */
function factors(seed: number, m: number, k: number, n: number) {
  const next = rng(seed);
  const W = new Float64Array(m * k);
  for (let i = 0; i < W.length; i++) W[i] = next() < 0.3 ? 0 : Math.floor(next() * 4);
  const H = new Float64Array(k * n);
  for (let a = 0; a < k; a++)
    for (let j = 0; j < n; j++) {
      const r = next();
      H[a * n + j] = r < 0.2 ? 0 : r < 0.6 ? Math.floor(next() * 3) : next() * 5;
    }
  for (let j = 0; j < n; j += 97) for (let a = 0; a < k; a++) H[a * n + j] = 0;
  if (k > 2) for (let j = 0; j < n; j++) H[(k - 1) * n + j] = 0;
  for (let a = 0; a < k; a++) H[a * n + Math.floor(next() * n)] = 40 + a;
  return { W, H };
}

const shapes = [
  { seed: 1, m: 7, k: 1, n: 4001 },
  { seed: 2, m: 12, k: 2, n: 5003 },
  { seed: 3, m: 30, k: 5, n: 12_345 },
  { seed: 4, m: 5, k: 3, n: 9000 },
];

describe('views of H from the summaries, against the window’s own', () => {
  for (const { seed, m, k, n } of shapes) {
    const { W, H } = factors(seed, m, k, n);
    const names = Array.from({ length: k }, (_, c) => `C${c + 1}`);

    it(`dominant component per sample and the dominant order (seed ${seed}, k ${k}, n ${n})`, () => {
      expect(Array.from(dominantComponents(W, H, m, k, n))).toEqual(windowDominantClusters(W, H, m, k, n));
      expect(Array.from(dominantSampleOrder(H, k, n))).toEqual(
        Array.from(dominantOrder(transpose(H, k, n), n, k)),
      );
    });

    it(`activation envelopes in both orders (seed ${seed})`, () => {
      const order = dominantSampleOrder(H, k, n);
      for (const o of [null, order]) {
        const expected = windowActivationSpec(H, n, names, o, ACTIVATION_BINS);
        const fromSummary = activationChartFromEnvelopes(
          activationEnvelopes(H, k, n, o, ACTIVATION_BINS),
          n,
          Math.min(n, ACTIVATION_BINS),
          names,
          o !== null,
          () => '#000',
        );
        expect(fromSummary).toEqual(expected);
        // The window's chart of a full H (binned above 4000 samples) is the same chart.
        expect(activationChartSpec(H, n, names, o, () => '#000')).toEqual(expected);
      }
    });

    it(`H map block maxima equal the canvas reduction at that width (seed ${seed})`, () => {
      const order = dominantSampleOrder(H, k, n);
      for (const o of [null, order]) {
        const map = blockMaxima(H, k, n, o, 1200);
        const grid = downsample(H, k, n, { maxRows: k, maxCols: 1200, colOrder: o, reduce: 'max' });
        expect(map.columns).toBe(grid.cols);
        expect(Array.from(map.edges)).toEqual(Array.from(grid.colEdges));
        expect(Array.from(map.values, (v) => Math.fround(v))).toEqual(Array.from(grid.values));
      }
      expect(finiteRange(H)).toEqual(range(H));
    });

    it(`coefficient map figure: the same SVG from the bins (seed ${seed})`, () => {
      const clusters = windowDominantClusters(W, H, m, k, n);
      const next = rng(seed + 100);
      const annotations: AnnotationColumn[] = [
        {
          name: 'tissue',
          kind: 'categorical',
          levels: ['liver', 'lung', 'gut'],
          values: Array.from({ length: n }, () =>
            next() < 0.1 ? null : ['liver', 'lung', 'gut'][Math.floor(next() * 3)],
          ),
        },
      ];
      const sampleNames = Array.from({ length: n }, (_, j) => `cell${j}`);
      const common = {
        k,
        n,
        clusterSource: 'dominant' as const,
        componentNames: names,
        sampleNames,
        sampleAnnotations: annotations,
      };
      const bins = coefficientMapBins(H, k, n, clusters);
      const figure = coefficientFigureFromBins(
        { ...bins, firstClusters: Int32Array.from(bins.firstSamples, (j) => clusters[j]) },
        common,
        blockTracks(annotations, bins.order, bins.columns),
      );
      expect(heatmapFigureSvg(figure)).toBe(heatmapFigureSvg(coefficientFigure({ ...common, H, clusters })));
      expect(figure.note).toMatch(new RegExp(`^${n} samples in 240 columns, each the mean of`));
    });
  }

  it('summarises only above the documented size, and only past the per-sample chart', () => {
    expect(summarisesH(20, 4000)).toBe(false);
    expect(summarisesH(100, 4000)).toBe(false);
    expect(summarisesH(3, 100_000)).toBe(true);
    expect(summarisesH(2, 100_000)).toBe(false);
    expect(summarisesH(20, 1_000_000)).toBe(true);
    expect(summarisesH(1, H_VIEW_MAX_ENTRIES + 1)).toBe(true);
    expect(summarisesH(1, H_VIEW_MAX_ENTRIES)).toBe(false);
  });

  it('names the blocks and says what a summarised map stands for', () => {
    const map = blockMaxima(new Float64Array(2 * 5000), 2, 5000, null, 1200);
    const labels = blockLabels(map.edges);
    expect(labels).toHaveLength(1200);
    expect(labels[0]).toBe('1–4');
    expect(labels[1199]).toBe('4996–5000');
    expect(summaryMapNote(5000, map.edges, false)).toBe(
      '5000 samples in 1200 columns, each the largest entry of 4–5 samples; zoom and hover reach these blocks, not single samples',
    );
    expect(summaryMapNote(5000, map.edges, true)).toContain('(in the dominant-component order)');
  });
});
