/**
 * Perceptually uniform colour scale for heatmaps. Viridis (van der Walt & Smith, matplotlib) is
 * computed from a degree-6 polynomial fit of the published table (per channel, t in [0, 1]); the
 * fit stays within about 1% of the table, well under what the eye can tell apart.
 */

const coefficients: ReadonlyArray<readonly [number, number, number]> = [
  [0.2777273272234177, 0.005407344544966578, 0.3340998053353061],
  [0.1050930431085774, 1.404613529898575, 1.384590162594685],
  [-0.3308618287255563, 0.214847559468213, 0.09509516302823659],
  [-4.634230498983486, -5.799100973351585, -19.33244095627987],
  [6.228269936347081, 14.17993336680509, 56.69055260068105],
  [4.776384997670288, -13.74514537774601, -65.35303263337234],
  [-5.435455855934631, 4.645852612178535, 26.3124352495832],
];

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/** Viridis at t ∈ [0, 1] as 0–255 RGB. Values outside are clamped; NaN maps to t = 0. */
export function viridis(t: number): [number, number, number] {
  const x = Number.isNaN(t) ? 0 : clamp01(t);
  const out: [number, number, number] = [0, 0, 0];
  for (let channel = 0; channel < 3; channel++) {
    // Horner's scheme from the highest coefficient down.
    let value = coefficients[6][channel];
    for (let power = 5; power >= 0; power--) value = value * x + coefficients[power][channel];
    out[channel] = Math.round(clamp01(value) * 255);
  }
  return out;
}

/** 256 RGBA entries (Uint8ClampedArray of 1024), so a pixel's colour is one table lookup. */
export function colorTable(size = 256): Uint8ClampedArray {
  const table = new Uint8ClampedArray(size * 4);
  for (let i = 0; i < size; i++) {
    const [r, g, b] = viridis(i / (size - 1));
    table[i * 4] = r;
    table[i * 4 + 1] = g;
    table[i * 4 + 2] = b;
    table[i * 4 + 3] = 255;
  }
  return table;
}

export function rgbHex([r, g, b]: [number, number, number]): string {
  return '#' + [r, g, b].map((c) => c.toString(16).padStart(2, '0')).join('');
}

/**
 * Maps a value to a table index. `scale: 'sqrt'` spreads the low end, useful for loadings where a
 * few large weights would otherwise leave everything else dark.
 */
export function valueToIndex(
  value: number,
  min: number,
  max: number,
  size: number,
  scale: 'linear' | 'sqrt' = 'linear',
): number {
  if (!Number.isFinite(value)) return 0;
  const span = max - min;
  let t = span > 0 ? (value - min) / span : 0;
  t = clamp01(t);
  if (scale === 'sqrt') t = Math.sqrt(t);
  return Math.min(size - 1, Math.floor(t * size));
}
