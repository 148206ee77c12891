import { describe, expect, it } from 'vitest';
import { heatmapFigureSvg, textWidth, type HeatmapFigure } from '../figure';
import { chartToSvg, tickLabelForStep } from '../svgchart';

/** Every text element, with its position, size, anchor and rotation, from the SVG text. */
function texts(svg: string) {
  const out: Array<{ x: number; y: number; size: number; anchor: string; rotated: boolean; text: string }> =
    [];
  for (const m of svg.matchAll(/<text ([^>]*)>([^<]*)<\/text>/g)) {
    const attr = (name: string): string | undefined => new RegExp(`${name}="([^"]*)"`).exec(m[1])?.[1];
    out.push({
      x: Number(attr('x')),
      y: Number(attr('y')),
      size: Number(attr('font-size') ?? 12),
      anchor: attr('text-anchor') ?? 'start',
      rotated: (attr('transform') ?? '').startsWith('rotate(-90'),
      text: m[2].replace(/&#\d+;/g, 'x'),
    });
  }
  return out;
}

function viewBox(svg: string): { width: number; height: number } {
  const m = /viewBox="0 0 ([\d.]+) ([\d.]+)"/.exec(svg)!;
  return { width: Number(m[1]), height: Number(m[2]) };
}

function expectInside(svg: string): void {
  const { width, height } = viewBox(svg);
  // Texts placed by a transform alone (the rotated y-axis title) have no x and are not measured here.
  for (const t of texts(svg).filter((t) => Number.isFinite(t.x))) {
    const w = textWidth(t.text, t.size);
    if (t.rotated) {
      // rotate(-90) with text-anchor end: the text runs downward from (x, y) by its width.
      expect(t.y + w, t.text).toBeLessThanOrEqual(height);
      expect(t.x - t.size, t.text).toBeGreaterThanOrEqual(0);
      continue;
    }
    const [from, to] =
      t.anchor === 'end'
        ? [t.x - w, t.x]
        : t.anchor === 'middle'
          ? [t.x - w / 2, t.x + w / 2]
          : [t.x, t.x + w];
    expect(from, t.text).toBeGreaterThanOrEqual(0);
    expect(to, t.text).toBeLessThanOrEqual(width);
    expect(t.y, t.text).toBeLessThanOrEqual(height);
    expect(t.y - t.size, t.text).toBeGreaterThanOrEqual(0);
  }
  for (const m of svg.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/g)) {
    expect(Number(m[1]) + Number(m[3])).toBeLessThanOrEqual(width + 0.1);
    expect(Number(m[2]) + Number(m[4])).toBeLessThanOrEqual(height + 0.1);
  }
}

const n = 38;
const names = Array.from({ length: n }, (_, j) => `ALL_${10000 + j * 37}_B-cell_long_name`);
const base: HeatmapFigure = {
  title: 'Consensus matrix, k = 3 (10 replicates)',
  values: Float64Array.from({ length: n * n }, (_, t) => ((t * 7) % 11) / 10),
  rows: n,
  cols: n,
  rowNames: names,
  colNames: names,
  colTracks: [
    {
      name: 'consensus cluster',
      kind: 'categorical',
      levels: ['1', '2', '3'],
      values: names.map((_, j) => String((j % 3) + 1)),
    },
    {
      name: 'subtype',
      kind: 'categorical',
      levels: ['ALL-B-cell', 'ALL-T-cell', 'AML'],
      values: names.map((_, j) => (j === 5 ? null : ['ALL-B-cell', 'ALL-T-cell', 'AML'][j % 3])),
    },
    { name: 'age', kind: 'numeric', values: names.map((_, j) => j * 1.5) },
  ],
  colTree: {
    merges: Array.from({ length: n - 1 }, (_, t) => ({
      left: t === 0 ? 0 : n + t - 1,
      right: t + 1,
      height: t / n,
    })),
    leafPosition: names.map((_, j) => j),
  },
  scale: { min: 0, max: 1, label: 'consensus' },
  note: 'Cophenetic correlation 0.98 · dispersion 0.91',
  rowKind: 'sample',
  colKind: 'sample',
};

describe('annotated heatmap figures', () => {
  it('keep every label, track, legend and the colour bar inside the viewBox, at print size', () => {
    const svg = heatmapFigureSvg(base);
    expectInside(svg);
    const { width } = viewBox(svg);
    expect(width).toBeGreaterThan(500);
    expect(svg).toMatch(/width="[\d.]+mm"/);
    for (const label of [
      'ALL-T-cell',
      'consensus cluster',
      'subtype',
      'age',
      '(none)',
      names[0],
      'consensus',
    ])
      expect(svg).toContain(label);
    // Every sample named, on both axes.
    expect(texts(svg).filter((t) => t.text === names[7])).toHaveLength(2);
  });

  it('drops names that cannot fit and says how many items there are instead', () => {
    const many = 3000;
    const svg = heatmapFigureSvg({
      ...base,
      title: 'Coefficients',
      values: new Float64Array(3 * many).fill(0.5),
      rows: 3,
      cols: many,
      rowNames: ['c1', 'c2', 'c3'],
      colNames: Array.from({ length: many }, (_, j) => `cell${j}`),
      colTracks: [],
      colTree: undefined,
      note: undefined,
    });
    expectInside(svg);
    expect(svg).not.toContain('cell17<');
    expect(svg).toContain('3000 samples');
    expect(svg).toContain('>c2<');
  });

  it('escapes names', () => {
    const svg = heatmapFigureSvg({ ...base, title: 'a <b> & "c"' });
    expect(svg).toContain('a &#60;b&#62; &#38; &#34;c&#34;');
  });

  it('refuses block means given on another grid than the one it draws', () => {
    const s = 300;
    const { colTracks: _tracks, colTree: _tree, ...untracked } = base;
    const square = {
      ...untracked,
      values: new Float32Array(240 * 240),
      rows: s,
      cols: s,
      rowNames: [],
      colNames: [],
    };
    expect(heatmapFigureSvg({ ...square, meansOfBlocks: { rows: 240, cols: 240 } })).toContain(
      '300 samples in 240',
    );
    expect(() => heatmapFigureSvg({ ...square, meansOfBlocks: { rows: 200, cols: 200 } })).toThrow(
      '200 × 200 block means given for 240 × 240 cells',
    );
  });
});

describe('sweep charts as SVG', () => {
  const spec = {
    kind: 'line' as const,
    title: 'Cophenetic correlation',
    xLabel: 'rank k',
    yLabel: 'cophenetic',
    series: [
      { label: 'data', color: '#123456', points: [2, 3, 4, 5].map((x) => ({ x, y: 1 - x / 20 })) },
      { label: 'row-shuffled baseline', color: '#654321', points: [2, 3, 4, 5].map((x) => ({ x, y: 0.5 })) },
    ],
    markers: [{ x: 5, label: 'k = 5', color: '#f00' }],
  };

  it('has whole-number rank ticks, the end marker inside, and the legend under the plot', () => {
    const svg = chartToSvg(spec);
    const labels = texts(svg).map((t) => t.text);
    expect(labels).toEqual(expect.arrayContaining(['2', '3', '4', '5']));
    expect(labels).not.toContain('2.5');
    expect(labels).not.toContain('3.5');
    expectInside(svg);
    const marker = texts(svg).find((t) => t.text === 'k = 5')!;
    const legend = texts(svg).find((t) => t.text === 'data')!;
    const axisTitle = texts(svg).find((t) => t.text === 'rank k')!;
    expect(legend.y).toBeGreaterThan(axisTitle.y);
    expect(marker.y).toBeLessThan(legend.y);
  });

  it('labels a log axis that spans less than a decade', () => {
    const svg = chartToSvg({
      ...spec,
      logY: true,
      series: [{ label: 'loss', color: '#000', points: [2, 3, 4].map((x) => ({ x, y: 1.2e7 + x * 1e6 })) }],
      markers: [],
    });
    const yLabels = texts(svg).filter((t) => t.anchor === 'end' && /e\+7|000/.test(t.text));
    expect(yLabels.length).toBeGreaterThanOrEqual(2);
  });
});

describe('tick labels', () => {
  it('carry the decimals their step needs', () => {
    expect([0.999, 0.9995, 1].map((v) => tickLabelForStep(v, 0.0005))).toEqual([
      '0.9990',
      '0.9995',
      '1.0000',
    ]);
    expect(tickLabelForStep(2.5e7, 5e6)).toBe('2.5e+7');
    expect(tickLabelForStep(40, 10)).toBe('40');
  });
});
