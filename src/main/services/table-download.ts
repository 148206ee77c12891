import type { DownloadTicket } from '../../shared/api/transfer';
import { delimitedChunks, EXPORT_CHUNK_VALUES, type Delimiter } from '../../shared/export/delimited';
import type { ServiceContext } from './context';
import { offerDownload, textSource } from './downloads';

/** A row-major matrix with the names of its rows and columns, as a TSV/CSV table writes it. */
export interface NamedTable {
  values: ArrayLike<number>;
  rows: number;
  cols: number;
  rowNames: readonly string[];
  colNames: readonly string[];
  /** The header's first cell, above the row names. */
  corner: string;
}

/**
 * Offers a matrix as TSV or CSV through the download protocol (`downloads:read`, with progress and
 * Cancel): the text `delimitedChunks` makes (the window's former export, names, corner and number
 * formatting alike), written a piece of at most `chunkValues` values at a time, so neither the
 * whole text nor a line of an H of 10⁶ samples is held. The Run screen's W/H tables
 * (`runs:exportTable`) and the projection panel's H (`projections:exportTable`).
 */
export function offerDelimitedTable(
  ctx: ServiceContext,
  fileName: string,
  table: NamedTable,
  delimiter: Delimiter,
  chunkValues = EXPORT_CHUNK_VALUES,
): Promise<DownloadTicket> {
  const { values, rows, cols, rowNames, colNames, corner } = table;
  // delimitedChunks counts the header's column names with the values when it cuts pieces.
  const total = Math.min(colNames.length, cols) + rows * cols;
  let made = 0;
  // Values written so far, for the progress line: each piece holds at most `chunkValues` of them.
  const pieces = (function* counted(): Generator<string> {
    for (const piece of delimitedChunks(
      values,
      rows,
      cols,
      rowNames,
      colNames,
      delimiter,
      corner,
      chunkValues,
    )) {
      made = Math.min(total, made + chunkValues);
      yield piece;
    }
    made = total;
  })();
  return offerDownload(
    ctx,
    textSource(fileName, delimiter === ',' ? 'text/csv' : 'text/tab-separated-values', pieces, () =>
      total === 0 ? 1 : made / total,
    ),
  );
}
