import { describe, expect, it } from 'vitest';
import { averageLinkageOrder, dominantOrder, rowOrder, topOfColumn, transpose } from '../ordering';

describe('dominantOrder', () => {
  it('groups rows by their strongest column, strongest share first', () => {
    // rows: 0 → col 1, 1 → col 0 (weak), 2 → col 0 (strong), 3 → col 1 (strong)
    const w = [0.1, 0.9, 0.6, 0.4, 1, 0, 0, 5];
    expect(Array.from(dominantOrder(w, 4, 2))).toEqual([2, 1, 3, 0]);
  });
});

describe('averageLinkageOrder', () => {
  it('puts rows with the same profile next to each other', () => {
    // Two planted groups interleaved: even rows load on column 0, odd rows on column 1.
    const m = 10;
    const w: number[] = [];
    for (let i = 0; i < m; i++) w.push(i % 2 === 0 ? 1 + i * 0.01 : 0.05, i % 2 === 0 ? 0.05 : 1 + i * 0.01);
    const order = Array.from(averageLinkageOrder(w, m, 2));
    expect(order.slice().sort((a, b) => a - b)).toEqual([...Array(m).keys()]);
    const groups = order.map((i) => i % 2);
    // Exactly one boundary between the two groups.
    let changes = 0;
    for (let i = 1; i < m; i++) if (groups[i] !== groups[i - 1]) changes++;
    expect(changes).toBe(1);
  });

  it('is a permutation for degenerate input (zero rows, ties)', () => {
    const order = Array.from(averageLinkageOrder(new Float64Array(12), 6, 2));
    expect(order.slice().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(averageLinkageOrder([1, 2], 1, 2))).toEqual([0]);
  });
});

describe('rowOrder', () => {
  it('returns null for the fitted order and falls back to dominant above the limit', () => {
    expect(rowOrder([1, 2], 1, 2, 'fitted').order).toBeNull();
    const big = new Float64Array(2500 * 2).map((_, i) => (i * 7919) % 13);
    const result = rowOrder(big, 2500, 2, 'clustered');
    expect(result.used).toBe('dominant');
    expect(result.order?.length).toBe(2500);
    expect(rowOrder([1, 0, 0, 1, 1, 0], 3, 2, 'clustered').used).toBe('clustered');
  });
});

describe('helpers', () => {
  it('transposes and finds the top entries of a column', () => {
    expect(Array.from(transpose([1, 2, 3, 4, 5, 6], 2, 3))).toEqual([1, 4, 2, 5, 3, 6]);
    expect(topOfColumn([1, 9, 5, 2, 3, 7], 3, 2, 1, 2)).toEqual([0, 2]);
  });
});
