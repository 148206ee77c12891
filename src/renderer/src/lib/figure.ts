import { rgbHex, viridis } from './colormap';
import { blockEdges, downsample, FIGURE_MAX_CELLS, type Downsampled } from './downsample';
import { niceTicks, tickLabel } from './svgchart';

/**
 * Annotated heatmaps as standalone SVG figures for papers — R NMF's `consensusmap`, `coefmap` and
 * `basismap` (aheatmap) laid out the same way: the matrix, its dendrogram above, annotation tracks
 * above (columns) and left (rows), names where they fit, a colour bar and a legend per track on
 * the right. Every element is placed inside the viewBox (computed from the text it holds), and the
 * figure is sized in millimetres for print. The screen shows the same SVG, so what is seen is what
 * is exported. Pure string building: no DOM.
 */

/** A categorical or numeric track along the columns (or rows). */
export type Track =
  | { name: string; kind: 'categorical'; levels: string[]; values: Array<string | null> }
  | { name: string; kind: 'numeric'; values: Array<number | null> };

export interface HeatmapFigure {
  title: string;
  /** Display-ordered matrix, row-major (rows × cols, or the `meansOfBlocks` grid). */
  values: ArrayLike<number>;
  rows: number;
  cols: number;
  /**
   * Set when `values` are already the cells drawn: the means of the blocks `downsample` makes of
   * the rows × cols matrix at {@link FIGURE_MAX_CELLS} (`reduce: 'mean'`), made by the same shared
   * function where the matrix is (the consensus map above 240 samples, `sweeps:consensus`), so the
   * window does not receive the whole matrix. Names, tracks and tree still span rows × cols.
   */
  meansOfBlocks?: { rows: number; cols: number };
  rowNames: readonly string[];
  colNames: readonly string[];
  /** Tracks over the columns (in display order). */
  colTracks?: Track[];
  /** Tracks beside the rows (in display order). */
  rowTracks?: Track[];
  /** A dendrogram over the columns; leaf ids are display positions 0..cols−1 via `leafPosition`. */
  colTree?: {
    merges: ReadonlyArray<{ left: number; right: number; height: number }>;
    leafPosition: readonly number[];
  };
  /** Colour scale: values are mapped between min and max, linearly or (sqrt) by the square root of the fraction. */
  scale: { min: number; max: number; label: string; sqrt?: boolean };
  /** A line under the title (e.g. a subsample note). */
  note?: string;
  rowKind?: string;
  colKind?: string;
  /**
   * Items the columns stand for when the figure comes already binned (a summarised H: `cols` are
   * blocks of samples); the axis is labelled with it. Defaults to `cols`.
   */
  colItems?: number;
}

/** Colour-blind-safe categorical palette (Okabe & Ito 2008), then Tableau's 10 for more levels. */
export const CATEGORY_COLORS = [
  '#E69F00',
  '#56B4E9',
  '#009E73',
  '#F0E442',
  '#0072B2',
  '#D55E00',
  '#CC79A7',
  '#000000',
  '#4E79A7',
  '#F28E2B',
  '#E15759',
  '#76B7B2',
  '#59A14F',
  '#EDC948',
  '#B07AA1',
  '#FF9DA7',
  '#9C755F',
  '#BAB0AC',
];
const MISSING_COLOR = '#DDDDDD';

export function categoryColor(index: number): string {
  return index < 0 ? MISSING_COLOR : CATEGORY_COLORS[index % CATEGORY_COLORS.length];
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Width of a text run in the figure's sans-serif font, generously estimated (0.62 em per character). */
export function textWidth(text: string, size: number): number {
  return text.length * size * 0.62;
}

function trackColor(track: Track, index: number, extent: { min: number; max: number }): string {
  if (track.kind === 'categorical') {
    const value = track.values[index];
    return value === null ? MISSING_COLOR : categoryColor(track.levels.indexOf(value));
  }
  const value = track.values[index];
  if (value === null) return MISSING_COLOR;
  const t = extent.max > extent.min ? (value - extent.min) / (extent.max - extent.min) : 0.5;
  // Greys for numeric tracks, so they are not confused with the matrix's colour scale.
  const g = Math.round(235 - 200 * t);
  return `rgb(${g},${g},${g})`;
}

function numericExtent(track: Track): { min: number; max: number } {
  if (track.kind !== 'numeric') return { min: 0, max: 1 };
  let min = Infinity;
  let max = -Infinity;
  for (const v of track.values)
    if (v !== null) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
  return Number.isFinite(min) ? { min, max } : { min: 0, max: 1 };
}

const FONT = 'font-family="Helvetica, Arial, sans-serif"';
/** At most this many cells along an axis are drawn (blocks of rows/columns are averaged beyond). */
const MAX_CELLS = FIGURE_MAX_CELLS;

/**
 * The cells of the figure's matrix: `downsample`'s block means, or those given already made
 * (`meansOfBlocks`), with the same blocks.
 */
function figureCells(figure: HeatmapFigure): Downsampled {
  const { rows, cols, meansOfBlocks } = figure;
  if (!meansOfBlocks)
    return downsample(figure.values, rows, cols, { maxRows: MAX_CELLS, maxCols: MAX_CELLS, reduce: 'mean' });
  const cells = { rows: Math.min(rows, MAX_CELLS), cols: Math.min(cols, MAX_CELLS) };
  if (meansOfBlocks.rows !== cells.rows || meansOfBlocks.cols !== cells.cols)
    throw new RangeError(
      `${meansOfBlocks.rows} × ${meansOfBlocks.cols} block means given for ${cells.rows} × ${cells.cols} cells`,
    );
  return {
    ...cells,
    values: Float32Array.from(figure.values),
    rowEdges: blockEdges(0, rows, cells.rows),
    colEdges: blockEdges(0, cols, cells.cols),
  };
}

/**
 * What a binned axis shows: "100000 samples in 240 columns, each the mean of 416–417", or null
 * when every item has its own cell.
 *
 * @param items items along the axis
 * @param cells cells drawn along it (blocks of nearly equal size, downsample.ts `blockEdges`)
 */
export function binningNote(items: number, cells: number, kind: string, cellWord: string): string | null {
  if (cells >= items || cells <= 0) return null;
  const small = Math.floor(items / cells);
  const large = Math.ceil(items / cells);
  const size = small === large ? `${small}` : `${small}–${large}`;
  return `${items} ${kind}s in ${cells} ${cellWord}, each the mean of ${size}`;
}

/**
 * The figure as SVG text. Sizes are in px of the viewBox; `width`/`height` attributes give the
 * print size at 96 px per inch (a 700 px wide figure prints 185 mm wide).
 */
export function heatmapFigureSvg(figure: HeatmapFigure): string {
  const { rows, cols } = figure;
  const grid = figureCells(figure);
  const colTracks = figure.colTracks ?? [];
  const rowTracks = figure.rowTracks ?? [];
  const fullRows = grid.rows === rows;
  const fullCols = grid.cols === cols;
  // A binned axis is said so under the title, with its counts: a cell is then a block's mean.
  const binned = [
    binningNote(rows, grid.rows, figure.rowKind ?? 'row', 'rows'),
    binningNote(cols, grid.cols, figure.colKind ?? 'column', 'columns'),
  ].filter((text): text is string => text !== null);
  if (binned.length > 0) {
    figure = { ...figure, note: [figure.note, ...binned].filter(Boolean).join('; ') };
  }
  const bodyTarget = 520;
  const cellW = Math.min(28, bodyTarget / grid.cols);
  const cellH = Math.min(28, (cols === rows ? bodyTarget : 420) / grid.rows);
  const bodyW = cellW * grid.cols;
  const bodyH = cellH * grid.rows;
  const rowFont = Math.min(10, cellH * 0.85);
  const colFont = Math.min(10, cellW * 0.85);
  // Names are drawn only when every row (column) has its own cell, the text is legible, and names were given.
  const showRowNames = fullRows && rowFont >= 5 && figure.rowNames.length === rows;
  const showColNames = fullCols && colFont >= 5 && figure.colNames.length === cols;
  const fraction = (v: number): number => {
    const { min, max, sqrt } = figure.scale;
    const t = max > min ? Math.min(1, Math.max(0, (v - min) / (max - min))) : 0.5;
    return sqrt ? Math.sqrt(t) : t;
  };
  const margin = 14;
  const titleSize = 14;
  const trackSize = 12;
  const labelSize = 10;

  const trackNameWidth = Math.max(0, ...colTracks.map((t) => textWidth(t.name, labelSize))) + 6;
  const rowNameWidth = showRowNames
    ? Math.max(0, ...figure.rowNames.map((n) => textWidth(n, rowFont))) + 4
    : textWidth(figure.rowKind ?? '', labelSize) + 8;
  const colNameHeight = showColNames
    ? Math.max(0, ...figure.colNames.map((n) => textWidth(n, colFont))) + 4
    : labelSize + 8;
  const rowTrackW = rowTracks.length * (trackSize + 2);
  const left = margin + Math.max(rowNameWidth, colTracks.length ? trackNameWidth : 0) + rowTrackW;
  let top = margin + titleSize + 6;
  const noteY = top + 4;
  if (figure.note) top += labelSize + 6;
  const treeH = figure.colTree ? 56 : 0;
  const treeTop = top;
  top += treeH;
  const tracksTop = top;
  top += colTracks.length * (trackSize + 2) + (colTracks.length ? 4 : 0);
  const bodyTop = top;
  const bodyLeft = left;

  // Right-hand legends: colour bar, then one block per track.
  const legendLeft = bodyLeft + bodyW + 18;
  const legendParts: string[] = [];
  let legendY = bodyTop;
  let legendWidth = 0;
  const barH = Math.max(80, Math.min(160, bodyH));
  {
    const stops = Array.from(
      { length: 9 },
      (_, i) => `<stop offset="${(i / 8).toFixed(3)}" stop-color="${rgbHex(viridis(1 - i / 8))}"/>`,
    );
    legendParts.push(
      `<defs><linearGradient id="bar" x1="0" y1="0" x2="0" y2="1">${stops.join('')}</linearGradient></defs>`,
      `<text x="${legendLeft}" y="${legendY + labelSize}" font-size="${labelSize}" font-weight="bold">${escapeXml(figure.scale.label)}</text>`,
    );
    legendWidth = Math.max(legendWidth, textWidth(figure.scale.label, labelSize));
    legendY += labelSize + 6;
    legendParts.push(
      `<rect x="${legendLeft}" y="${legendY}" width="12" height="${barH}" fill="url(#bar)" stroke="#444" stroke-width="0.5"/>`,
    );
    const { min, max } = figure.scale;
    const ticks = max > min ? niceTicks(min, max, 4).filter((t) => t >= min && t <= max) : [min];
    for (const t of ticks) {
      const y = legendY + barH - (max > min ? fraction(t) * barH : 0);
      const label = tickLabel(t);
      legendParts.push(
        `<line x1="${legendLeft + 12}" x2="${legendLeft + 15}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#444"/>`,
        `<text x="${legendLeft + 18}" y="${(y + 3).toFixed(1)}" font-size="9">${label}</text>`,
      );
      legendWidth = Math.max(legendWidth, 18 + textWidth(label, 9));
    }
    legendY += barH + 14;
  }
  for (const track of [...colTracks, ...rowTracks]) {
    legendParts.push(
      `<text x="${legendLeft}" y="${legendY + labelSize}" font-size="${labelSize}" font-weight="bold">${escapeXml(track.name)}</text>`,
    );
    legendWidth = Math.max(legendWidth, textWidth(track.name, labelSize));
    legendY += labelSize + 4;
    if (track.kind === 'categorical') {
      const levels = [...track.levels, ...(track.values.some((v) => v === null) ? ['(none)'] : [])];
      levels.forEach((level, i) => {
        const color = i < track.levels.length ? categoryColor(i) : MISSING_COLOR;
        legendParts.push(
          `<rect x="${legendLeft}" y="${legendY}" width="10" height="10" fill="${color}" stroke="#444" stroke-width="0.3"/>`,
          `<text x="${legendLeft + 14}" y="${legendY + 9}" font-size="9">${escapeXml(level)}</text>`,
        );
        legendWidth = Math.max(legendWidth, 14 + textWidth(level, 9));
        legendY += 13;
      });
    } else {
      const extent = numericExtent(track);
      for (const [t, label] of [
        [1, tickLabel(extent.max)],
        [0, tickLabel(extent.min)],
      ] as const) {
        legendParts.push(
          `<rect x="${legendLeft}" y="${legendY}" width="10" height="10" fill="${trackColor({ ...track, values: [t === 1 ? extent.max : extent.min] }, 0, extent)}" stroke="#444" stroke-width="0.3"/>`,
          `<text x="${legendLeft + 14}" y="${legendY + 9}" font-size="9">${label}</text>`,
        );
        legendWidth = Math.max(legendWidth, 14 + textWidth(label, 9));
        legendY += 13;
      }
    }
    legendY += 8;
  }

  const width = Math.ceil(
    Math.max(
      legendLeft + legendWidth + margin,
      margin * 2 + textWidth(figure.title, titleSize),
      figure.note ? margin * 2 + textWidth(figure.note, labelSize) : 0,
    ),
  );
  const height = Math.ceil(Math.max(bodyTop + bodyH + colNameHeight + margin, legendY + margin));

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${((width / 96) * 25.4).toFixed(1)}mm" height="${((height / 96) * 25.4).toFixed(1)}mm" viewBox="0 0 ${width} ${height}" ${FONT}>`,
    `<title>${escapeXml(figure.title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${margin}" y="${margin + titleSize - 2}" font-size="${titleSize}" font-weight="bold">${escapeXml(figure.title)}</text>`,
  );
  if (figure.note)
    parts.push(
      `<text x="${margin}" y="${noteY + labelSize}" font-size="${labelSize}" fill="#444">${escapeXml(figure.note)}</text>`,
    );

  // Dendrogram over the columns: leaves at their display positions, heights scaled to treeH.
  if (figure.colTree && figure.colTree.merges.length > 0) {
    const { merges, leafPosition } = figure.colTree;
    const n = leafPosition.length;
    const maxHeight = Math.max(...merges.map((m) => m.height), 1e-12);
    const xOf = new Float64Array(n + merges.length);
    const yOf = new Float64Array(n + merges.length);
    const colScale = bodyW / cols;
    for (let leaf = 0; leaf < n; leaf++) {
      xOf[leaf] = bodyLeft + (leafPosition[leaf] + 0.5) * colScale;
      yOf[leaf] = treeTop + treeH - 2;
    }
    const paths: string[] = [];
    merges.forEach((m, t) => {
      const y = treeTop + 2 + (1 - m.height / maxHeight) * (treeH - 6);
      const xl = xOf[m.left];
      const xr = xOf[m.right];
      paths.push(
        `M${xl.toFixed(1)} ${yOf[m.left].toFixed(1)}V${y.toFixed(1)}H${xr.toFixed(1)}V${yOf[m.right].toFixed(1)}`,
      );
      xOf[n + t] = (xl + xr) / 2;
      yOf[n + t] = y;
    });
    parts.push(`<path d="${paths.join('')}" fill="none" stroke="#333" stroke-width="0.6"/>`);
  }

  // Column tracks, with their names to the left.
  const colEdges = grid.colEdges;
  colTracks.forEach((track, t) => {
    const y = tracksTop + t * (trackSize + 2);
    const extent = numericExtent(track);
    parts.push(
      `<text x="${bodyLeft - rowTrackW - 4}" y="${y + trackSize - 2}" font-size="${labelSize}" text-anchor="end">${escapeXml(track.name)}</text>`,
    );
    for (let c = 0; c < grid.cols; c++) {
      // A downsampled block shows its first member's category.
      const index = colEdges[c];
      parts.push(
        `<rect x="${(bodyLeft + c * cellW).toFixed(2)}" y="${y}" width="${(cellW + 0.05).toFixed(2)}" height="${trackSize}" fill="${trackColor(track, index, extent)}"/>`,
      );
    }
  });
  // Row tracks, left of the body.
  rowTracks.forEach((track, t) => {
    const x = bodyLeft - rowTrackW + t * (trackSize + 2);
    const extent = numericExtent(track);
    for (let r = 0; r < grid.rows; r++) {
      parts.push(
        `<rect x="${x}" y="${(bodyTop + r * cellH).toFixed(2)}" width="${trackSize}" height="${(cellH + 0.05).toFixed(2)}" fill="${trackColor(track, grid.rowEdges[r], extent)}"/>`,
      );
    }
  });

  // The matrix.
  for (let r = 0; r < grid.rows; r++) {
    for (let c = 0; c < grid.cols; c++) {
      const v = grid.values[r * grid.cols + c];
      const color = Number.isNaN(v) ? MISSING_COLOR : rgbHex(viridis(fraction(v)));
      parts.push(
        `<rect x="${(bodyLeft + c * cellW).toFixed(2)}" y="${(bodyTop + r * cellH).toFixed(2)}" width="${(cellW + 0.05).toFixed(2)}" height="${(cellH + 0.05).toFixed(2)}" fill="${color}"/>`,
      );
    }
  }
  parts.push(
    `<rect x="${bodyLeft}" y="${bodyTop}" width="${bodyW.toFixed(2)}" height="${bodyH.toFixed(2)}" fill="none" stroke="#444" stroke-width="0.5"/>`,
  );

  // Names, or the axis kinds when they do not fit.
  if (showRowNames) {
    figure.rowNames.forEach((name, r) =>
      parts.push(
        `<text x="${bodyLeft - rowTrackW - 3}" y="${(bodyTop + (r + 0.5) * cellH + rowFont * 0.35).toFixed(2)}" font-size="${rowFont.toFixed(1)}" text-anchor="end">${escapeXml(name)}</text>`,
      ),
    );
  } else if (figure.rowKind) {
    parts.push(
      `<text x="${bodyLeft - rowTrackW - 4}" y="${bodyTop + bodyH / 2}" font-size="${labelSize}" text-anchor="end">${escapeXml(`${rows} ${figure.rowKind}s`)}</text>`,
    );
  }
  if (showColNames) {
    figure.colNames.forEach((name, c) => {
      const x = bodyLeft + (c + 0.5) * cellW + colFont * 0.35;
      const y = bodyTop + bodyH + 3;
      parts.push(
        `<text x="${x.toFixed(2)}" y="${y.toFixed(2)}" font-size="${colFont.toFixed(1)}" text-anchor="end" transform="rotate(-90 ${x.toFixed(2)} ${y.toFixed(2)})">${escapeXml(name)}</text>`,
      );
    });
  } else if (figure.colKind) {
    parts.push(
      `<text x="${bodyLeft + bodyW / 2}" y="${bodyTop + bodyH + labelSize + 4}" font-size="${labelSize}" text-anchor="middle">${escapeXml(`${figure.colItems ?? cols} ${figure.colKind}s`)}</text>`,
    );
  }
  parts.push(...legendParts, '</svg>');
  return parts.join('\n');
}

/**
 * A PNG of an SVG figure at `dpi` (default 300, print resolution), drawn by the browser. Returns a
 * data URL.
 */
export async function svgToPngDataUrl(svg: string, dpi = 300): Promise<string> {
  const match = /viewBox="0 0 (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)"/.exec(svg);
  const width = match ? Number(match[1]) : 800;
  const height = match ? Number(match[2]) : 600;
  const scale = dpi / 96;
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    await new Promise<void>((resolve, reject) => {
      image.onload = () => resolve();
      image.onerror = () => reject(new Error('the figure could not be drawn as PNG'));
      image.src = url;
    });
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas');
    ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
    return canvas.toDataURL('image/png');
  } finally {
    URL.revokeObjectURL(url);
  }
}
