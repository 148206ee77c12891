import { describe, expect, it } from 'vitest';
import { colorTable, rgbHex, valueToIndex, viridis } from '../colormap';

describe('viridis', () => {
  // Anchor colours of matplotlib's viridis table at t = 0, 0.25, 0.5, 0.75, 1.
  const anchors: Array<[number, [number, number, number]]> = [
    [0, [68, 1, 84]],
    [0.25, [59, 82, 139]],
    [0.5, [33, 145, 140]],
    [0.75, [94, 201, 98]],
    [1, [253, 231, 37]],
  ];
  it.each(anchors)('matches the published table at t = %f', (t, expected) => {
    const got = viridis(t);
    for (let c = 0; c < 3; c++) expect(Math.abs(got[c] - expected[c])).toBeLessThanOrEqual(8);
  });

  it('gets brighter monotonically (perceptual lightness proxy)', () => {
    let previous = -1;
    for (let i = 0; i <= 20; i++) {
      const [r, g, b] = viridis(i / 20);
      const luma = 0.2126 * r + 0.7152 * g + 0.0722 * b;
      expect(luma).toBeGreaterThan(previous);
      previous = luma;
    }
  });

  it('clamps out-of-range and NaN input', () => {
    expect(viridis(-3)).toEqual(viridis(0));
    expect(viridis(7)).toEqual(viridis(1));
    expect(viridis(NaN)).toEqual(viridis(0));
  });

  it('builds an opaque lookup table and hex strings', () => {
    const table = colorTable(16);
    expect(table.length).toBe(64);
    expect(table[3]).toBe(255);
    expect(rgbHex([253, 231, 37])).toBe('#fde725');
  });

  it('maps values to table indices, sqrt spreading the low end', () => {
    expect(valueToIndex(0, 0, 10, 256)).toBe(0);
    expect(valueToIndex(10, 0, 10, 256)).toBe(255);
    expect(valueToIndex(5, 0, 10, 256)).toBe(128);
    expect(valueToIndex(1, 0, 100, 256, 'sqrt')).toBe(25);
    expect(valueToIndex(NaN, 0, 1, 256)).toBe(0);
    expect(valueToIndex(3, 3, 3, 256)).toBe(0);
  });
});
