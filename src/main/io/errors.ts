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
  /** Name of the row (from the file's row names or a names file), when the file has names. */
  rowName?: string;
  /** Name of the column (from the file's header or a names file), when the file has names. */
  columnName?: string;
  /** What rows / columns hold, for the message: `feature "TP53"`, `sample "S2"`. */
  rowKind?: NameKind;
  columnKind?: NameKind;
}

/** What a row or column of the input stands for, as the message names it. */
export type NameKind = 'feature' | 'sample';

/** One refused place of an input, without the file name (the refusal names the file once). */
export interface ImportProblem {
  /** `line 7, column 3 (sample "S2"): "abc" is not a number`. */
  message: string;
  location: ImportErrorLocation;
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
  readonly rowName?: string;
  readonly columnName?: string;
  /**
   * Every problem found, in file order, when the reader went on past the first (at most
   * MAX_LISTED_PROBLEMS; `problemCount` counts them all). Empty for a refusal that stops the read.
   */
  readonly problems: ImportProblem[];
  readonly problemCount: number;

  constructor(
    message: string,
    location: ImportErrorLocation,
    options?: { cause?: unknown; problems?: ImportProblem[]; problemCount?: number },
  ) {
    super(message, options);
    this.problems = options?.problems ?? [];
    this.problemCount = options?.problemCount ?? this.problems.length;
    this.file = location.file;
    if (location.rowName !== undefined) this.rowName = location.rowName;
    if (location.columnName !== undefined) this.columnName = location.columnName;
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
 * `line L, row R (feature "g"), column C (sample "s")` with whichever positions are known; empty
 * when none is. Columns are counted as in the file (a spreadsheet's numbering, the row-name column
 * included), so the name from the header says which sample that is without counting.
 */
export function describePlace(location: ImportErrorLocation): string {
  const parts: string[] = [];
  const named = (kind: NameKind | undefined, name: string | undefined): string =>
    name === undefined ? '' : ` (${kind === undefined ? '' : `${kind} `}${quoteValue(name)})`;
  if (location.line !== undefined) parts.push(`line ${location.line}`);
  if (location.row !== undefined)
    parts.push(`row ${location.row}${named(location.rowKind, location.rowName)}`);
  if (location.column !== undefined) {
    parts.push(`column ${location.column}${named(location.columnKind, location.columnName)}`);
  }
  return parts.join(', ');
}

/**
 * Builds `file[/dataset]: line L, row R, column C (sample "s"): detail` with whichever positions
 * are known.
 */
export function importError(location: ImportErrorLocation, detail: string): ImportError {
  const place = describePlace(location);
  const where = place.length > 0 ? `: ${place}` : '';
  return new ImportError(`${fileLabel(location)}${where}: ${detail}`, location);
}

/** Problems listed in a refusal; the rest are counted (`and 312 more`). */
export const MAX_LISTED_PROBLEMS = 20;

/**
 * Collects the problems of one read so that a refusal lists them all (the first
 * MAX_LISTED_PROBLEMS, and how many more) instead of stopping at the first: a researcher fixes the
 * file once, not once per bad cell. Only the listed problems are built (a message, a location);
 * the rest cost one increment, so a file of nothing but text is still refused in linear time.
 */
export class ProblemCollector {
  readonly listed: ImportProblem[] = [];
  count = 0;

  constructor(readonly file: string) {}

  /** Records a problem at `location`; `detail` is called only while the list has room. */
  add(location: ImportErrorLocation, detail: () => string): void {
    this.count += 1;
    if (this.listed.length >= MAX_LISTED_PROBLEMS) return;
    const place = describePlace(location);
    const text = detail();
    this.listed.push({ message: place.length > 0 ? `${place}: ${text}` : text, location });
  }

  /** Records a problem whose message (without the file) names its place itself. */
  addMessage(location: ImportErrorLocation, message: () => string): void {
    this.count += 1;
    if (this.listed.length < MAX_LISTED_PROBLEMS) this.listed.push({ message: message(), location });
  }

  /** Records a refusal built elsewhere (by importError), its file name left out of the list. */
  addError(error: ImportError): void {
    this.count += 1;
    if (this.listed.length >= MAX_LISTED_PROBLEMS) return;
    const prefix = `${fileLabel({ file: error.file, ...(error.datasetPath !== undefined ? { datasetPath: error.datasetPath } : {}) })}: `;
    const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
    this.listed.push({ message, location: locationOf(error) });
  }

  /** Throws the refusal when anything was collected. */
  throwIfAny(): void {
    if (this.count > 0) throw this.refusal();
  }

  /**
   * One problem: its own message, as a single refusal would read. Several: `file: N problems
   * (nothing was imported); the first: …`, with every listed problem in `problems`.
   */
  refusal(): ImportError {
    const first = this.listed[0];
    const label = fileLabel({ file: this.file, ...pick(first.location) });
    const message =
      this.count === 1
        ? `${label}: ${first.message}`
        : `${label}: ${this.count} problems (nothing was imported); the first: ${first.message}`;
    return new ImportError(message, first.location, { problems: this.listed, problemCount: this.count });
  }
}

function pick(location: ImportErrorLocation): { datasetPath?: string } {
  return location.datasetPath === undefined ? {} : { datasetPath: location.datasetPath };
}

/** The location fields of a refusal. */
export function locationOf(error: ImportError): ImportErrorLocation {
  const location: ImportErrorLocation = { file: error.file };
  if (error.line !== undefined) location.line = error.line;
  if (error.row !== undefined) location.row = error.row;
  if (error.column !== undefined) location.column = error.column;
  if (error.value !== undefined) location.value = error.value;
  if (error.datasetPath !== undefined) location.datasetPath = error.datasetPath;
  if (error.rowName !== undefined) location.rowName = error.rowName;
  if (error.columnName !== undefined) location.columnName = error.columnName;
  return location;
}

/** The message of a refused value, given the code a parser returned (no place, no file). */
export function valueDetail(value: string, code: number): string {
  const quoted = quoteValue(value);
  if (code === NEGATIVE) return `${quoted} is negative (NMF needs non-negative data)`;
  if (code === INFINITE) return `${quoted} is infinite (NMF needs finite values)`;
  return `${quoted} is not a number`;
}

/** Codes returned by the cell parsers for refused values (valid values are ≥ 0 or NaN). */
export const NOT_A_NUMBER = -1;
export const NEGATIVE = -2;
export const INFINITE = -3;

/** The error for a refused value, given the code a parser returned. */
export function valueError(location: ImportErrorLocation & { value: string }, code: number): ImportError {
  return importError(location, valueDetail(location.value, code));
}
