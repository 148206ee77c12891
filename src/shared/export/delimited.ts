/**
 * Matrices as delimited text (TSV, CSV) in pieces of bounded size: the Run screen's W and H tables,
 * made in the main process (services/run-view.ts) and, for smaller tables, in the window
 * (renderer lib/exporting.ts). Pure.
 */
import { neutraliseFormula } from './spreadsheet';

export type Delimiter = '\t' | ',';

/**
 * One CSV field per RFC 4180: quoted when it holds a comma, quote or line break; a leading
 * `= + - @` (or tab, CR) is neutralised first so spreadsheets do not run it as a formula.
 */
export function csvField(text: string): string {
  const safe = neutraliseFormula(text);
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** One TSV field: tabs and line breaks cannot be quoted in TSV, so they become spaces; formulas neutralised. */
export function tsvField(text: string): string {
  return neutraliseFormula(text).replace(/[\t\r\n]+/g, ' ');
}

/** Shortest text that reads back to the same double; NaN as the empty field. */
export function formatNumber(value: number): string {
  return Number.isNaN(value) ? '' : String(value);
}

/** Values per piece of {@link delimitedChunks}: ~1–2 MB of text, whatever the matrix's shape. */
export const EXPORT_CHUNK_VALUES = 1 << 16;

/**
 * A row-major rows × cols matrix as delimited text in pieces of at most `chunkValues` values: a
 * header line (corner label, then the column names), then one line per row (its name, then its
 * values); lines end with \n. The pieces concatenate to the whole text; the main process hands them
 * out through `downloads:read` (services/run-view.ts) and the window appends them to a Blob one at
 * a time, so no string of the whole export — nor an array of one string per value of a 20 × 10⁶
 * H's row — is ever held.
 */
export function* delimitedChunks(
  values: ArrayLike<number>,
  rows: number,
  cols: number,
  rowNames: readonly string[],
  colNames: readonly string[],
  delimiter: Delimiter,
  corner = '',
  chunkValues = EXPORT_CHUNK_VALUES,
): Generator<string> {
  const field = delimiter === ',' ? csvField : tsvField;
  const names = colNames.slice(0, cols);
  let piece = field(corner);
  let count = 0;
  for (const name of names) {
    piece += delimiter + field(name);
    if (++count >= chunkValues) {
      yield piece;
      piece = '';
      count = 0;
    }
  }
  piece += '\n';
  for (let i = 0; i < rows; i++) {
    piece += field(rowNames[i] ?? String(i + 1));
    const base = i * cols;
    for (let j = 0; j < cols; j++) {
      piece += delimiter + formatNumber(values[base + j]);
      if (++count >= chunkValues) {
        yield piece;
        piece = '';
        count = 0;
      }
    }
    piece += '\n';
  }
  yield piece;
}
