import { describe, expect, it } from 'vitest';
import { binningNote, heatmapFigureSvg } from '../figure';
import { coefficientFigure } from '../screens/run-reading';
import { ACTIVATION_BINS, ACTIVATION_MAX_SAMPLES, activationChartSpec } from '../screens/run-view';

/** k × n activations with one strong sample per component, a seeded pattern elsewhere. */
function activations(k: number, n: number): Float64Array {
  const H = new Float64Array(k * n);
  for (let a = 0; a < k; a++) {
    for (let j = 0; j < n; j++) H[a * n + j] = ((j * 7919 + a * 104729) % 1000) / 1000;
    H[a * n + ((a * 31337) % n)] = 50 + a;
  }
  return H;
}

describe('maps and charts of many samples', () => {
  const k = 4;
  const n = 30_000;
  const H = activations(k, n);
  const names = ['c1', 'c2', 'c3', 'c4'];

  it('draws the activation chart from min–max bins, says so, and keeps every peak', () => {
    const spec = activationChartSpec(H, n, names, null, () => '#000');
    expect(spec.title).toContain(`${n} samples in ${ACTIVATION_BINS} bins`);
    for (let a = 0; a < k; a++) {
      const points = spec.series[a].points;
      expect(points.length).toBeLessThanOrEqual(2 * ACTIVATION_BINS);
      expect(points.length).toBeGreaterThan(ACTIVATION_BINS);
      // The strong sample is drawn at its own position with its own value.
      const peak = (a * 31337) % n;
      expect(points).toContainEqual({ x: peak + 1, y: 50 + a });
      for (let t = 1; t < points.length; t++) expect(points[t].x).toBeGreaterThan(points[t - 1].x);
      for (const p of points) expect(p.y).toBe(H[a * n + p.x - 1]);
    }
    // Deterministic, and in display order when one is given.
    expect(activationChartSpec(H, n, names, null, () => '#000')).toEqual(spec);
    const reversed = Int32Array.from({ length: n }, (_, p) => n - 1 - p);
    const ordered = activationChartSpec(H, n, names, reversed, () => '#000');
    expect(ordered.series[0].points).toContainEqual({ x: n, y: 50 });
  });

  it('keeps one point per sample up to the threshold', () => {
    const small = activations(2, ACTIVATION_MAX_SAMPLES);
    const spec = activationChartSpec(small, ACTIVATION_MAX_SAMPLES, ['a', 'b'], null, () => '#000');
    expect(spec.title).toBe('Activations H over samples');
    expect(spec.series[1].points.length).toBe(ACTIVATION_MAX_SAMPLES);
  });

  it('states the counts of a binned coefficient map and draws a bounded number of cells', () => {
    const clusters = Array.from({ length: n }, (_, j) => j % k);
    const figure = coefficientFigure({
      H,
      k,
      n,
      clusters,
      clusterSource: 'dominant',
      componentNames: names,
      sampleNames: Array.from({ length: n }, (_, j) => `cell${j}`),
      sampleAnnotations: [],
    });
    const svg = heatmapFigureSvg(figure);
    expect(svg).toContain('30000 samples in 240 columns, each the mean of 125');
    expect(svg).not.toContain('components in');
    // k rows × 240 columns, plus the cluster track, the frame, background and legend.
    const rects = svg.match(/<rect /g)?.length ?? 0;
    expect(rects).toBeLessThan(k * 240 + 240 + 40);
    expect(svg.length).toBeLessThan(1_000_000);
  });

  it('words the binning of an axis with its counts', () => {
    expect(binningNote(100, 100, 'sample', 'columns')).toBeNull();
    expect(binningNote(480, 240, 'sample', 'columns')).toBe('480 samples in 240 columns, each the mean of 2');
    expect(binningNote(1000, 240, 'feature', 'rows')).toBe('1000 features in 240 rows, each the mean of 4–5');
  });
});
