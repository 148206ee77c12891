import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { DataMatrix } from '../../shared/linalg/matrix';
import { openByteSource } from './source';
import type { Delimiter } from './tokenize';
import { TextDecoding } from './text';
import { quoteField, RecordSplitter } from './tokenize';

/** Separator of a written table: TSV or CSV. */
export type TableDelimiter = '\t' | ',';

/** Text sink with backpressure; gzip-compressed when the path ends in `.gz`. */
export class TextSink {
  private readonly out: Writable;
  private readonly file: Writable;
  private pending: string[] = [];
  private pendingLength = 0;

  constructor(path: string) {
    this.file = createWriteStream(path);
    if (path.toLowerCase().endsWith('.gz')) {
      const gzip = createGzip();
      gzip.pipe(this.file);
      this.out = gzip;
    } else {
      this.out = this.file;
    }
  }

  /** Queues text; flushes about every megabyte. */
  async write(text: string): Promise<void> {
    this.pending.push(text);
    this.pendingLength += text.length;
    if (this.pendingLength >= 1 << 20) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.pendingLength = 0;
    if (!this.out.write(text)) await once(this.out, 'drain');
  }

  async close(): Promise<void> {
    await this.flush();
    this.out.end();
    await once(this.file, 'close');
  }
}

/**
 * A number as text: the shortest decimal that reads back as the same double (JavaScript's
 * `String`), so integral counts print as integers and factors round-trip bit for bit. NaN
 * (missing) prints as `NA`, which R, pandas and this package read back as missing.
 */
export function formatNumber(v: number): string {
  if (v !== v) return 'NA';
  return String(v + 0);
}

/** One line of a table, fields quoted where needed (RFC 4180), ending in `\n`. */
export function formatRow(fields: readonly string[], delimiter: TableDelimiter): string {
  return `${fields.map((f) => quoteField(f, delimiter)).join(delimiter)}\n`;
}

/** Writes rows of text fields as a TSV or CSV file (gzipped when the path ends in `.gz`). */
export async function writeDelimitedTable(
  path: string,
  rows: Iterable<readonly string[]>,
  options: { delimiter?: TableDelimiter } = {},
): Promise<void> {
  const delimiter = options.delimiter ?? '\t';
  const sink = new TextSink(path);
  try {
    for (const row of rows) await sink.write(formatRow(row, delimiter));
  } finally {
    await sink.close();
  }
}

export interface MatrixTable {
  /** rows × cols, dense or CSR (zeros are written out). */
  matrix: DataMatrix;
  rowNames: readonly string[];
  colNames: readonly string[];
  /** Header cell above the row names; default `feature`. */
  corner?: string;
}

/**
 * Writes a named matrix as a table: a header of `corner` then the column names, then one line
 * per row with its name first. Used for V.tsv (`synth`) and data exports.
 */
export async function writeMatrixTable(
  path: string,
  table: MatrixTable,
  options: { delimiter?: TableDelimiter } = {},
): Promise<void> {
  const { matrix, rowNames, colNames } = table;
  if (rowNames.length !== matrix.rows || colNames.length !== matrix.cols) {
    throw new RangeError(
      `names (${rowNames.length} rows, ${colNames.length} columns) do not fit a ${matrix.rows} × ${matrix.cols} matrix`,
    );
  }
  const delimiter = options.delimiter ?? '\t';
  const sink = new TextSink(path);
  try {
    await sink.write(formatRow([table.corner ?? 'feature', ...colNames], delimiter));
    const fields = new Array<string>(matrix.cols);
    for (let i = 0; i < matrix.rows; i++) {
      if (matrix.kind === 'dense') {
        const base = i * matrix.cols;
        for (let j = 0; j < matrix.cols; j++) fields[j] = formatNumber(matrix.data[base + j]);
      } else {
        fields.fill('0');
        for (let k = matrix.indptr[i]; k < matrix.indptr[i + 1]; k++) {
          fields[matrix.indices[k]] = formatNumber(matrix.data[k]);
        }
      }
      await sink.write(`${quoteField(rowNames[i], delimiter)}${delimiter}${fields.join(delimiter)}\n`);
    }
  } finally {
    await sink.close();
  }
}

/** writeMatrixTable with tabs (V.tsv). */
export function writeMatrixTsv(path: string, table: MatrixTable): Promise<void> {
  return writeMatrixTable(path, table, { delimiter: '\t' });
}

/**
 * Reads a small delimited table as text fields (every record, header included), with the same
 * rules as the matrix reader: RFC 4180 quotes, CRLF, `#` comment lines (but a leading BIOM
 * `#OTU ID` header) and blank lines skipped, gzip recognised by content. The delimiter defaults
 * to comma for `.csv` files, tab otherwise.
 */
export async function readDelimitedTable(
  path: string,
  options: { delimiter?: Delimiter } = {},
): Promise<string[][]> {
  const delimiter = options.delimiter ?? (/\.csv(\.gz)?$/i.test(path) ? ',' : '\t');
  const records: string[][] = [];
  const splitter = new RecordSplitter(path, delimiter, (fields) => records.push(fields));
  const source = await openByteSource(path);
  const decoder = new TextDecoding();
  try {
    for await (const chunk of source.chunks) splitter.push(decoder.write(chunk));
    splitter.push(decoder.end());
    splitter.end();
  } finally {
    source.close();
  }
  return records;
}
