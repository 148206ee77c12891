import { describe, expect, it } from 'vitest';
import { componentNames, csvField, matrixToDelimited, safeFileName, tsvField } from '../exporting';
import { chartToSvg, heatmapToSvg, niceTicks } from '../svgchart';
import { formatBytes, formatDuration, parseTags } from '../format';
import {
  describeValues,
  solverAllowed,
  suggestedLoss,
  suggestLoss,
  suggestedRank,
  suggestedSweepRange,
  sweepJobCount,
} from '../defaults';

describe('delimited export', () => {
  it('writes a header and one line per row, reading back to the same numbers', () => {
    const text = matrixToDelimited(
      Float64Array.from([0.1, 2, 1 / 3, NaN]),
      2,
      2,
      ['g1', 'g,2'],
      ['C1', 'C2'],
      ',',
      'feature',
    );
    expect(text).toBe('feature,C1,C2\ng1,0.1,2\n"g,2",0.3333333333333333,\n');
    const back = text.trim().split('\n')[2].split(',').slice(-2);
    expect(Number(back[0])).toBe(1 / 3);
  });

  it('escapes fields per format', () => {
    expect(csvField('a"b')).toBe('"a""b"');
    expect(csvField('plain')).toBe('plain');
    expect(tsvField('a\tb\nc')).toBe('a b c');
    const tsv = matrixToDelimited([1, 2], 1, 2, ['x'], ['A', 'B'], '\t');
    expect(tsv).toBe('\tA\tB\nx\t1\t2\n');
  });

  it('names components from 1 and files safely', () => {
    expect(componentNames(3)).toEqual(['C1', 'C2', 'C3']);
    expect(safeFileName('run 12 / W (k=5)')).toBe('run-12-W-k-5');
  });
});

describe('SVG charts', () => {
  it('draws a polyline per series, breaking at gaps and non-positive log values', () => {
    const svg = chartToSvg({
      kind: 'line',
      title: 'Loss <trace>',
      xLabel: 'iteration',
      yLabel: 'loss',
      logY: true,
      series: [
        {
          label: 'fit',
          color: '#123456',
          points: [
            { x: 1, y: 10 },
            { x: 2, y: 5 },
            { x: 3, y: 0 },
            { x: 4, y: 2 },
            { x: 5, y: 1 },
          ],
        },
      ],
      markers: [{ x: 2, label: 'k=2', color: '#f00' }],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('Loss &#60;trace&#62;');
    expect(svg.match(/<polyline/g)?.length).toBe(2);
    expect(svg).toContain('k=2');
  });

  it('draws one rectangle per bar and per heatmap cell', () => {
    const bars = chartToSvg({
      kind: 'bar',
      title: 'h',
      xLabel: 'x',
      yLabel: 'y',
      categories: ['a', 'b', 'c'],
      series: [
        {
          label: 's',
          color: '#000',
          points: [
            { x: 0, y: 1 },
            { x: 1, y: 2 },
            { x: 2, y: 3 },
          ],
        },
      ],
    });
    // Three bars; a single series has no legend.
    expect(bars.match(/<rect x=/g)?.length).toBe(3);
    const heat = heatmapToSvg({ rows: 2, cols: 3, values: [0, 1, 2, 3, 4, NaN] }, () => '#111111', 'W', {
      min: 0,
      max: 4,
      stops: ['#000', '#fff'],
    });
    expect(heat.match(/<rect x=/g)?.length).toBe(6 + 1);
    expect(heat).toContain('#cccccc');
  });

  it('picks round ticks', () => {
    expect(niceTicks(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
  });
});

describe('formatting and defaults', () => {
  it('formats sizes, durations and tags', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatDuration(2500)).toBe('2.5 s');
    expect(formatDuration(null)).toBe('—');
    expect(parseTags(' a, b ,,a ')).toEqual(['a', 'b']);
  });

  it('suggests the loss from the noise the values suggest, not from whether they are whole, and a rank', () => {
    // Counts: KL, the Poisson likelihood.
    expect(suggestedLoss({ integer: true, minValue: 0, maxValue: 900, layout: 'dense' })).toBe('kl');
    expect(suggestedLoss({ integer: true, minValue: 1, maxValue: 5, layout: 'csr' })).toBe('kl');
    expect(suggestLoss({ integer: true, minValue: 0, maxValue: 16, layout: 'dense' }).noise).toBe('poisson');
    // Golub's intensities (20–61225) and the same divided by 1000: KL either way, for the spread.
    const golub = suggestLoss({ integer: true, minValue: 20, maxValue: 61225, layout: 'dense' });
    const scaled = suggestLoss({ integer: false, minValue: 0.02, maxValue: 61.225, layout: 'dense' });
    expect([golub.loss, golub.noise]).toEqual(['kl', 'multiplicative']);
    expect([scaled.loss, scaled.noise]).toEqual(['kl', 'multiplicative']);
    expect(golub.reason).toContain('3.5 orders of magnitude (20–61225)');
    expect(golub.reason).toContain('ARI 0.92 under KL and 0.76 under Frobenius');
    // Log-scale or normalised values, pixels scaled to 0–1: Frobenius.
    expect(suggestLoss({ integer: false, minValue: 2.1, maxValue: 14.5, layout: 'dense' }).loss).toBe(
      'frobenius',
    );
    expect(suggestLoss({ integer: false, minValue: 0, maxValue: 1, layout: 'dense' }).noise).toBe('gaussian');
    // Whole numbers in a narrow range without zeros are not counts and not wide: Frobenius.
    expect(suggestedLoss({ integer: true, minValue: 3, maxValue: 90, layout: 'dense' })).toBe('frobenius');
    expect(describeValues({ integer: true, minValue: 20, layout: 'dense' })).toBe(
      'whole numbers without zeros (intensities, not counts)',
    );
    expect(describeValues({ integer: true, minValue: 0, layout: 'dense' })).toBe(
      'whole numbers with zeros (counts, or levels such as pixels)',
    );
    expect(suggestedRank({ rows: 100, cols: 60 })).toBe(5);
    expect(suggestedRank({ rows: 3, cols: 2 })).toBe(1);
    expect(suggestedRank({ rows: 20000, cols: 5000 })).toBe(20);
    expect(suggestedSweepRange({ rows: 100, cols: 60 })).toEqual({ fromRank: 2, toRank: 10 });
  });

  it('allows HALS only for Frobenius and counts sweep fits', () => {
    expect(solverAllowed('hals', 'kl', 1)).toBe(false);
    expect(solverAllowed('hals', 'frobenius', 2)).toBe(true);
    expect(solverAllowed('mu', 'is', 0)).toBe(true);
    expect(sweepJobCount({ fromRank: 2, toRank: 8, replicates: 2, cvFolds: 1, baseline: true })).toBe(42);
  });
});
