/**
 * Text formats of results, built in the renderer from what the API returned (no file paths cross
 * the process boundary). Pure: the screens wrap the strings (or, for matrices, the pieces) in Blobs.
 * A run's JSON is made by the main process instead (services/run-export.ts, shared/export/json-stream.ts).
 */
import type { Delimiter } from '../../../shared/export/delimited';

export type { Delimiter };

// The delimited-text writer is shared with the main process, which makes the Run screen's W and H
// tables (services/run-view.ts `offerRunTable`); the window keeps using it for its other tables.
export {
  csvField,
  delimitedChunks,
  EXPORT_CHUNK_VALUES,
  formatNumber,
  tsvField,
} from '../../../shared/export/delimited';
import { delimitedChunks } from '../../../shared/export/delimited';

/** The whole text of {@link delimitedChunks} as one string (small matrices, tests). */
export function matrixToDelimited(
  values: ArrayLike<number>,
  rows: number,
  cols: number,
  rowNames: readonly string[],
  colNames: readonly string[],
  delimiter: Delimiter,
  corner = '',
): string {
  let text = '';
  for (const piece of delimitedChunks(values, rows, cols, rowNames, colNames, delimiter, corner))
    text += piece;
  return text;
}

/** Component names as shown everywhere: 1-based. */
export function componentNames(k: number): string[] {
  return Array.from({ length: k }, (_, i) => `C${i + 1}`);
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
