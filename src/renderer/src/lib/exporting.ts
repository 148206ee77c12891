/**
 * Text formats of results, built in the renderer from what the API returned (no file paths cross
 * the process boundary). Pure: the screens wrap the strings in Blobs.
 */
import { neutraliseFormula } from '../../../shared/export/spreadsheet';

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

/**
 * A row-major rows × cols matrix as delimited text: a header line (corner label, then the column
 * names), then one line per row (its name, then its values). Lines end with \n.
 */
export function matrixToDelimited(
  values: ArrayLike<number>,
  rows: number,
  cols: number,
  rowNames: readonly string[],
  colNames: readonly string[],
  delimiter: Delimiter,
  corner = '',
): string {
  const field = delimiter === ',' ? csvField : tsvField;
  const lines: string[] = [[corner, ...colNames.slice(0, cols)].map(field).join(delimiter)];
  for (let i = 0; i < rows; i++) {
    const parts = [field(rowNames[i] ?? String(i + 1))];
    for (let j = 0; j < cols; j++) parts.push(formatNumber(values[i * cols + j]));
    lines.push(parts.join(delimiter));
  }
  return lines.join('\n') + '\n';
}

/** Component names as shown everywhere: 1-based. */
export function componentNames(k: number): string[] {
  return Array.from({ length: k }, (_, i) => `C${i + 1}`);
}

/** JSON with typed arrays written as plain number lists (JSON.stringify would give objects). */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) =>
      ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as Float64Array) : v,
    2,
  );
}

/** A file name made only of safe characters. */
export function safeFileName(text: string): string {
  return (
    text
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 120) || 'export'
  );
}
