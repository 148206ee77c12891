import { describe, expect, it } from 'vitest';
import { blockEdges, downsample, range } from '../downsample';

describe('downsample', () => {
  // 4 × 3 matrix, row-major.
  const values = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);

  it('keeps the matrix when it already fits', () => {
    const grid = downsample(values, 4, 3, { maxRows: 10, maxCols: 10 });
    expect([grid.rows, grid.cols]).toEqual([4, 3]);
    expect(Array.from(grid.values)).toEqual(Array.from(values));
  });

  it('takes the maximum of each block of rows', () => {
    const grid = downsample(values, 4, 3, { maxRows: 2, maxCols: 3 });
    expect(Array.from(grid.values)).toEqual([4, 5, 6, 10, 11, 12]);
    expect(Array.from(grid.rowEdges)).toEqual([0, 2, 4]);
  });

  it('averages when asked', () => {
    const grid = downsample(values, 4, 3, { maxRows: 1, maxCols: 1, reduce: 'mean' });
    expect(grid.values[0]).toBeCloseTo(6.5);
  });

  it('follows the row and column order and the zoom window', () => {
    const grid = downsample(values, 4, 3, {
      maxRows: 10,
      maxCols: 10,
      rowOrder: [3, 2, 1, 0],
      colOrder: [2, 1, 0],
      window: { row0: 1, row1: 3, col0: 0, col1: 2 },
    });
    expect([grid.rows, grid.cols]).toEqual([2, 2]);
    expect(Array.from(grid.values)).toEqual([9, 8, 6, 5]);
  });

  it('skips NaN and marks all-missing blocks', () => {
    const grid = downsample(Float64Array.from([NaN, 2, NaN, NaN]), 2, 2, { maxRows: 1, maxCols: 2 });
    expect(grid.values[0]).toBeNaN();
    expect(grid.values[1]).toBe(2);
  });

  it('reduces a 20000 × 10 loading matrix to the canvas size', () => {
    const m = 20000;
    const big = new Float64Array(m * 10);
    big[12345 * 10 + 7] = 99;
    const grid = downsample(big, m, 10, { maxRows: 500, maxCols: 400 });
    expect([grid.rows, grid.cols]).toEqual([500, 10]);
    // The single strong entry survives the reduction in the block that covers row 12345.
    const block = Array.from(grid.rowEdges).findIndex(
      (edge, i) => edge <= 12345 && grid.rowEdges[i + 1] > 12345,
    );
    expect(grid.values[block * 10 + 7]).toBe(99);
  });

  it('splits ranges into even blocks and finds finite ranges', () => {
    expect(Array.from(blockEdges(0, 10, 3))).toEqual([0, 3, 6, 10]);
    expect(range([3, NaN, -1, Infinity])).toEqual({ min: -1, max: 3 });
    expect(range([NaN])).toEqual({ min: 0, max: 0 });
  });
});
