/**
 * Charts described as data (ChartSpec), drawn on screen with chart.js and exported as standalone
 * SVG by `chartToSvg`, so every chart's SVG comes from the same numbers the screen shows.
 */

export interface ChartPoint {
  x: number;
  y: number | null;
}

export interface ChartSeries {
  label: string;
  points: ChartPoint[];
  color: string;
  dashed?: boolean;
}

export interface ChartSpec {
  kind: 'line' | 'bar';
  title: string;
  xLabel: string;
  yLabel: string;
  logY?: boolean;
  series: ChartSeries[];
  /** Bar charts: the label of each x position (points' x are indices into it). */
  categories?: string[];
  /** Vertical reference lines (e.g. the recommended rank or a threshold). */
  markers?: Array<{ x: number; label: string; color: string }>;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A short label for an axis tick. */
export function tickLabel(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e5 || abs < 1e-3) return value.toExponential(1);
  return Number(value.toPrecision(3)).toString();
}

/**
 * A tick label with as many decimals as the tick step needs, so ticks 0.9990, 0.9995, 1.0000 do
 * not all read "1". Falls back to `tickLabel` for very large or small values.
 */
export function tickLabelForStep(value: number, step: number): string {
  const abs = Math.abs(value);
  if (!(step > 0) || abs >= 1e5 || (abs !== 0 && abs < 1e-3)) return tickLabel(value);
  const decimals = Math.max(0, Math.min(8, -Math.floor(Math.log10(step) + 1e-9)));
  return value.toFixed(decimals);
}

/** About `count` round tick values covering [min, max] (1-2-5 steps). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step)
    ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** Whether every x is a whole number (ranks, iterations): the x axis then has whole ticks only. */
export function integerAxis(spec: ChartSpec): boolean {
  return !spec.categories && spec.series.every((s) => s.points.every((p) => Number.isInteger(p.x)));
}

export function chartToSvg(spec: ChartSpec, width = 720, height = 420): string {
  const legendRows = spec.series.length > 1 ? Math.ceil(spec.series.length / 3) : 0;
  const margin = { top: 40, right: 28, bottom: 56 + legendRows * 16, left: 72 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of spec.series)
    for (const p of s.points) {
      xs.push(p.x);
      if (p.y !== null && Number.isFinite(p.y) && (!spec.logY || p.y > 0))
        ys.push(spec.logY ? Math.log10(p.y) : p.y);
    }
  const bar = spec.kind === 'bar';
  let xMin = xs.length ? Math.min(...xs) : 0;
  let xMax = xs.length ? Math.max(...xs) : 1;
  if (bar) {
    xMin -= 0.5;
    xMax += 0.5;
  }
  const integerX = !bar && integerAxis(spec);
  // A few whole-number positions (ranks): pad the axis so the end points and markers are not clipped.
  if (integerX && xMax - xMin <= 30) {
    xMin -= 0.3;
    xMax += 0.3;
  }
  if (xMax === xMin) xMax = xMin + 1;
  let yMin = ys.length ? Math.min(...ys) : 0;
  let yMax = ys.length ? Math.max(...ys) : 1;
  if (bar && !spec.logY) yMin = Math.min(0, yMin);
  if (yMax === yMin) yMax = yMin + 1;
  const sx = (x: number): number => margin.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const sy = (y: number): number => margin.top + plotH - ((y - yMin) / (yMax - yMin)) * plotH;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(spec.title)}</text>`,
    `<line x1="${margin.left}" y1="${margin.top + plotH}" x2="${margin.left + plotW}" y2="${margin.top + plotH}" stroke="#333"/>`,
    `<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${margin.top + plotH}" stroke="#333"/>`,
  );
  const yTicks = niceTicks(yMin, yMax);
  const yStep = yTicks.length > 1 ? yTicks[1] - yTicks[0] : 0;
  for (const t of yTicks) {
    const y = sy(t);
    const label = spec.logY ? tickLabel(10 ** t) : tickLabelForStep(t, yStep);
    out.push(
      `<line x1="${margin.left - 4}" y1="${y.toFixed(1)}" x2="${margin.left + plotW}" y2="${y.toFixed(1)}" stroke="#ddd"/>`,
      `<text x="${margin.left - 8}" y="${(y + 4).toFixed(1)}" text-anchor="end">${escapeXml(label)}</text>`,
    );
  }
  let xTicks = bar || spec.categories ? xs.filter((x, i) => xs.indexOf(x) === i) : niceTicks(xMin, xMax);
  if (integerX) {
    xTicks = xTicks.filter((t) => Number.isInteger(t));
    if (xTicks.length < 2)
      xTicks = Array.from({ length: Math.floor(xMax) - Math.ceil(xMin) + 1 }, (_, i) => Math.ceil(xMin) + i);
  }
  const stride = Math.max(1, Math.ceil(xTicks.length / 12));
  xTicks.forEach((t, i) => {
    if (i % stride !== 0) return;
    const label = spec.categories?.[t] ?? tickLabel(t);
    out.push(
      `<text x="${sx(t).toFixed(1)}" y="${margin.top + plotH + 18}" text-anchor="middle">${escapeXml(label)}</text>`,
    );
  });
  out.push(
    `<text x="${margin.left + plotW / 2}" y="${margin.top + plotH + 40}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`,
    `<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text>`,
  );
  const barGroup = spec.series.length;
  spec.series.forEach((s, index) => {
    if (bar) {
      const slot = plotW / Math.max(1, xMax - xMin) / barGroup;
      for (const p of s.points) {
        if (p.y === null || !Number.isFinite(p.y)) continue;
        const value = spec.logY ? Math.log10(Math.max(p.y, 1e-300)) : p.y;
        const x = sx(p.x - 0.5) + index * slot;
        const top = sy(value);
        const base = sy(Math.max(yMin, 0));
        out.push(
          `<rect x="${x.toFixed(1)}" y="${Math.min(top, base).toFixed(1)}" width="${Math.max(0.5, slot * 0.9).toFixed(1)}" height="${Math.abs(base - top).toFixed(1)}" fill="${escapeXml(s.color)}"/>`,
        );
      }
      return;
    }
    const segments: string[][] = [[]];
    for (const p of s.points) {
      if (p.y === null || !Number.isFinite(p.y) || (spec.logY && p.y <= 0)) {
        segments.push([]);
        continue;
      }
      const value = spec.logY ? Math.log10(p.y) : p.y;
      segments[segments.length - 1].push(`${sx(p.x).toFixed(1)},${sy(value).toFixed(1)}`);
    }
    for (const segment of segments) {
      if (segment.length === 0) continue;
      out.push(
        `<polyline fill="none" stroke="${escapeXml(s.color)}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${segment.join(' ')}"/>`,
      );
    }
  });
  for (const marker of spec.markers ?? []) {
    const px = sx(marker.x);
    const x = px.toFixed(1);
    // Near an edge the label is aligned inward so it stays inside the figure.
    const anchor = px > width - 60 ? 'end' : px < 60 ? 'start' : 'middle';
    out.push(
      `<line x1="${x}" y1="${margin.top}" x2="${x}" y2="${margin.top + plotH}" stroke="${escapeXml(marker.color)}" stroke-dasharray="3 3"/>`,
      `<text x="${x}" y="${margin.top - 4}" text-anchor="${anchor}" fill="${escapeXml(marker.color)}">${escapeXml(marker.label)}</text>`,
    );
  }
  // Legend under the x-axis title, three entries a row: never over the data or the markers.
  if (legendRows > 0) {
    const columnWidth = (width - margin.left - margin.right) / 3;
    spec.series.forEach((s, i) => {
      const y = height - 12 - (legendRows - 1 - Math.floor(i / 3)) * 16;
      const x = margin.left + (i % 3) * columnWidth;
      const label = s.label.length > 40 ? s.label.slice(0, 39) + '…' : s.label;
      out.push(
        `<rect x="${x.toFixed(1)}" y="${y - 9}" width="12" height="10" fill="${escapeXml(s.color)}"/>`,
        `<text x="${(x + 18).toFixed(1)}" y="${y}">${escapeXml(label)}</text>`,
      );
    });
  }
  out.push('</svg>');
  return out.join('\n');
}

/** A heatmap (already reduced to a drawable grid) as SVG rectangles, with a colour legend. */
export function heatmapToSvg(
  grid: { rows: number; cols: number; values: ArrayLike<number> },
  color: (value: number) => string,
  title: string,
  legend: { min: number; max: number; stops: string[] },
  cell = 6,
): string {
  const margin = { top: 36, left: 20, right: 90, bottom: 20 };
  const width = margin.left + grid.cols * cell + margin.right;
  const height = margin.top + grid.rows * cell + margin.bottom;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12" shape-rendering="crispEdges">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${margin.left}" y="22" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  for (let r = 0; r < grid.rows; r++)
    for (let c = 0; c < grid.cols; c++) {
      const v = grid.values[r * grid.cols + c];
      out.push(
        `<rect x="${margin.left + c * cell}" y="${margin.top + r * cell}" width="${cell}" height="${cell}" fill="${Number.isNaN(v) ? '#cccccc' : color(v)}"/>`,
      );
    }
  const lx = margin.left + grid.cols * cell + 20;
  const lh = Math.max(60, grid.rows * cell);
  out.push('<defs><linearGradient id="legend" x1="0" y1="1" x2="0" y2="0">');
  legend.stops.forEach((stop, i) =>
    out.push(
      `<stop offset="${(i / Math.max(1, legend.stops.length - 1)).toFixed(3)}" stop-color="${stop}"/>`,
    ),
  );
  out.push(
    '</linearGradient></defs>',
    `<rect x="${lx}" y="${margin.top}" width="14" height="${lh}" fill="url(#legend)"/>`,
    `<text x="${lx + 18}" y="${margin.top + 10}">${escapeXml(tickLabel(legend.max))}</text>`,
    `<text x="${lx + 18}" y="${margin.top + lh}">${escapeXml(tickLabel(legend.min))}</text>`,
    '</svg>',
  );
  return out.join('\n');
}
