import { basename } from 'node:path';

/** Where in the input a problem was found. Positions are 1-based. */
export interface ImportErrorLocation {
  /** Path of the file, as given to the reader. */
  file: string;
  /** Physical line of a text file (comments and header counted). */
  line?: number;
  /** Matrix row for binary and Matrix Market files, as stored in the file. */
  row?: number;
  /**
   * Delimited tables: field position as a spreadsheet shows it (the row-name column is column 1).
   * Other formats: matrix column as stored in the file.
   */
  column?: number;
  /** The offending text or value. */
  value?: string;
  /** HDF5 dataset or group path (`/X/indptr`). */
  datasetPath?: string;
}

/** Every refusal of an input file. The message names the file, the position and the value. */
export class ImportError extends Error {
  override readonly name = 'ImportError';
  readonly file: string;
  readonly line?: number;
  readonly row?: number;
  readonly column?: number;
  readonly value?: string;
  readonly datasetPath?: string;

  constructor(message: string, location: ImportErrorLocation, options?: { cause?: unknown }) {
    super(message, options);
    this.file = location.file;
    if (location.line !== undefined) this.line = location.line;
    if (location.row !== undefined) this.row = location.row;
    if (location.column !== undefined) this.column = location.column;
    if (location.value !== undefined) this.value = location.value;
    if (location.datasetPath !== undefined) this.datasetPath = location.datasetPath;
  }
}

/** `data.tsv` or `data.h5ad/X/indptr`: the file's base name, then the dataset path if any. */
export function fileLabel(location: ImportErrorLocation): string {
  return escapeText(basename(location.file) + (location.datasetPath ?? ''));
}

/**
 * Characters a message must not carry raw: C0 and C1 controls (ESC starts terminal escape
 * sequences, CR and LF would split the one-line refusal), DEL, the Unicode line and paragraph
 * separators and the bidirectional overrides and isolates that reorder what a terminal shows.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Text with unsafe characters written as escapes (`\t`, `\n`, `\r`, `\x1b`, `\u202e`). */
export function escapeText(text: string): string {
  return text.replace(UNSAFE_CHARACTERS, (c) => {
    if (c === '\t') return '\\t';
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * Quotes a value for a message, control characters escaped (escapeText); very long values are cut
 * so the message stays one readable line.
 */
export function quoteValue(value: string): string {
  const head = value.length > 80 ? value.slice(0, 80) : value;
  const escaped = escapeText(head);
  const shown = escaped.length > 40 || value.length > 80 ? `${escaped.slice(0, 37)}...` : escaped;
  return `"${shown}"`;
}

/**
 * Builds `file[/dataset]: line L, row R, column C: detail` with whichever positions are known.
 */
export function importError(location: ImportErrorLocation, detail: string): ImportError {
  const parts: string[] = [];
  if (location.line !== undefined) parts.push(`line ${location.line}`);
  if (location.row !== undefined) parts.push(`row ${location.row}`);
  if (location.column !== undefined) parts.push(`column ${location.column}`);
  const where = parts.length > 0 ? `: ${parts.join(', ')}` : '';
  return new ImportError(`${fileLabel(location)}${where}: ${detail}`, location);
}

/** Codes returned by the cell parsers for refused values (valid values are ≥ 0 or NaN). */
export const NOT_A_NUMBER = -1;
export const NEGATIVE = -2;
export const INFINITE = -3;

/** The error for a refused value, given the code a parser returned. */
export function valueError(location: ImportErrorLocation & { value: string }, code: number): ImportError {
  const quoted = quoteValue(location.value);
  if (code === NEGATIVE) return importError(location, `${quoted} is negative (NMF needs non-negative data)`);
  if (code === INFINITE) return importError(location, `${quoted} is infinite (NMF needs finite values)`);
  return importError(location, `${quoted} is not a number`);
}
