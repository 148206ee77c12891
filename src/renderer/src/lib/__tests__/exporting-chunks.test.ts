import { describe, expect, it } from 'vitest';
import { delimitedChunks, formatNumber, matrixToDelimited, tsvField, csvField } from '../exporting';

/** The text as it was built before it came in pieces: every line whole, joined. */
function wholeText(
  values: Float64Array,
  rows: number,
  cols: number,
  rowNames: string[],
  colNames: string[],
  delimiter: '\t' | ',',
  corner: string,
): string {
  const field = delimiter === ',' ? csvField : tsvField;
  const lines = [[corner, ...colNames].map(field).join(delimiter)];
  for (let i = 0; i < rows; i++)
    lines.push(
      [field(rowNames[i]), ...Array.from(values.subarray(i * cols, (i + 1) * cols), formatNumber)].join(
        delimiter,
      ),
    );
  return lines.join('\n') + '\n';
}

describe('delimitedChunks', () => {
  it('gives, in pieces of at most the chunk size, exactly the whole text, for every chunk size and shape', () => {
    for (const [rows, cols] of [
      [1, 1],
      [3, 7],
      [7, 3],
      [2, 64],
    ]) {
      const values = Float64Array.from({ length: rows * cols }, (_, t) => (t % 5 === 0 ? NaN : t / 7));
      const rowNames = Array.from({ length: rows }, (_, i) => (i === 0 ? '=cmd' : `r,${i}`));
      const colNames = Array.from({ length: cols }, (_, j) => `c"${j}`);
      for (const delimiter of ['\t', ','] as const) {
        const expected = wholeText(values, rows, cols, rowNames, colNames, delimiter, 'component');
        for (const chunk of [1, 2, 5, 64, 1 << 16]) {
          const pieces = [
            ...delimitedChunks(values, rows, cols, rowNames, colNames, delimiter, 'component', chunk),
          ];
          expect(pieces.join('')).toBe(expected);
          // Bounded pieces: a piece never carries more than `chunk` values or names (plus its row names).
          const fields = pieces.map((piece) => piece.split(/[\t,\n]/).length);
          expect(Math.max(...fields)).toBeLessThanOrEqual(2 * chunk + 2 * rows + 4);
          if (chunk < rows * cols) expect(pieces.length).toBeGreaterThan(1);
        }
        expect(matrixToDelimited(values, rows, cols, rowNames, colNames, delimiter, 'component')).toBe(
          expected,
        );
      }
    }
  });
});
