/**
 * Reduces a row-major matrix to at most `maxRows` × `maxCols` cells for drawing, so a 20 000 × 10
 * loading matrix costs one pass over its entries and a canvas-sized image, not one element per entry.
 * Each output cell aggregates a contiguous block of the (re-ordered) rows and columns. Pure, so the
 * main process makes the same cells the window would (the consensus map's, `sweeps:consensus`).
 */
import { blockEdges } from './run-views';

/** At most this many cells along an axis of an annotated heatmap figure (blocks are averaged beyond). */
export const FIGURE_MAX_CELLS = 240;

export interface Window {
  /** First row (in display order) and one past the last. */
  row0: number;
  row1: number;
  col0: number;
  col1: number;
}

export interface Downsampled {
  rows: number;
  cols: number;
  /** rows × cols, row-major. */
  values: Float32Array;
  /** For each output row, the first display row it covers (length rows + 1; last = window end). */
  rowEdges: Int32Array;
  colEdges: Int32Array;
}

/**
 * @param values m × n row-major
 * @param rowOrder display order of rows (length m); identity when null
 * @param colOrder display order of columns (length n); identity when null
 * @param reduce 'max' keeps a single strong entry visible in a block (the usual need when scanning
 *   loadings for modules); 'mean' shows the block's average
 */
export function downsample(
  values: ArrayLike<number>,
  m: number,
  n: number,
  options: {
    maxRows: number;
    maxCols: number;
    rowOrder?: ArrayLike<number> | null;
    colOrder?: ArrayLike<number> | null;
    window?: Window;
    reduce?: 'max' | 'mean';
  },
): Downsampled {
  const win = options.window ?? { row0: 0, row1: m, col0: 0, col1: n };
  const viewRows = Math.max(0, win.row1 - win.row0);
  const viewCols = Math.max(0, win.col1 - win.col0);
  const rows = Math.max(1, Math.min(viewRows, Math.floor(options.maxRows)));
  const cols = Math.max(1, Math.min(viewCols, Math.floor(options.maxCols)));
  const rowEdges = blockEdges(win.row0, win.row1, rows);
  const colEdges = blockEdges(win.col0, win.col1, cols);
  const out = new Float32Array(rows * cols);
  const reduce = options.reduce ?? 'max';
  const rowOrder = options.rowOrder ?? null;
  const colOrder = options.colOrder ?? null;
  // Source column of each display column in the window, resolved once.
  const sourceCols = new Int32Array(viewCols);
  for (let c = 0; c < viewCols; c++) sourceCols[c] = colOrder ? colOrder[win.col0 + c] : win.col0 + c;
  const sums = new Float64Array(cols);
  const counts = new Int32Array(cols);
  for (let r = 0; r < rows; r++) {
    sums.fill(reduce === 'max' ? -Infinity : 0);
    counts.fill(0);
    for (let dr = rowEdges[r]; dr < rowEdges[r + 1]; dr++) {
      const base = (rowOrder ? rowOrder[dr] : dr) * n;
      for (let c = 0; c < cols; c++) {
        for (let dc = colEdges[c]; dc < colEdges[c + 1]; dc++) {
          const v = values[base + sourceCols[dc - win.col0]];
          if (Number.isNaN(v)) continue;
          if (reduce === 'max') {
            if (v > sums[c]) sums[c] = v;
          } else sums[c] += v;
          counts[c]++;
        }
      }
    }
    for (let c = 0; c < cols; c++) {
      out[r * cols + c] = counts[c] === 0 ? NaN : reduce === 'max' ? sums[c] : sums[c] / counts[c];
    }
  }
  return { rows, cols, values: out, rowEdges, colEdges };
}

/**
 * What an annotated heatmap figure draws of an s × s matrix: the matrix itself up to
 * {@link FIGURE_MAX_CELLS} rows, else the means of its {@link FIGURE_MAX_CELLS}² blocks, as the
 * figure's own `downsample` call makes them (a consensus map of 2000 samples: 16 MB → 230 kB).
 */
export function squareFigureCells(matrix: Float32Array, s: number): { values: Float32Array; cells: number } {
  if (s <= FIGURE_MAX_CELLS) return { values: matrix, cells: s };
  const grid = downsample(matrix, s, s, {
    maxRows: FIGURE_MAX_CELLS,
    maxCols: FIGURE_MAX_CELLS,
    reduce: 'mean',
  });
  return { values: grid.values, cells: FIGURE_MAX_CELLS };
}
