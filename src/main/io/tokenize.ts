import { importError } from './errors';

/** Field separator of a delimited table: a character, or runs of spaces and tabs. */
export type Delimiter = '\t' | ',' | ';' | 'whitespace';

const WHITESPACE_RUN = /[ \t]+/;

/** First cell of the header of a BIOM table written as TSV (`biom convert --to-tsv`, QIIME). */
export const BIOM_CORNER = '#OTU ID';

/**
 * True for a BIOM header line: `#OTU ID`, then the delimiter (any of tab, comma and semicolon when
 * none is given) or nothing. Before the first record such a line is the header, not a `#` comment.
 * Never with whitespace delimiters, which would split `#OTU ID` in two.
 */
export function isBiomHeader(text: string, delimiter?: Delimiter): boolean {
  if (!text.startsWith(BIOM_CORNER) || delimiter === 'whitespace') return false;
  if (text.length === BIOM_CORNER.length) return true;
  const next = text[BIOM_CORNER.length];
  return delimiter === undefined ? next === '\t' || next === ',' || next === ';' : next === delimiter;
}

/**
 * Splits text into records, one physical line at a time, calling `onRecord(fields, line)` for every
 * record that is not blank and not a comment (a line starting with `#`; a BIOM header before the
 * first record is a record, see isBiomHeader). Handles CRLF, a UTF-8 byte-order mark, and RFC 4180
 * quoting: quoted fields may contain the delimiter, doubled quotes and line breaks. `line` is the
 * 1-based physical line where the record starts.
 *
 * Lines without a quote character take a fast path through `String.prototype.split`.
 */
export class RecordSplitter {
  /** Physical lines completed so far. */
  line = 0;
  private pending = '';
  /** Text of a record whose quoted field is still open, and the line it started on. */
  private openRecord: string | null = null;
  private openLine = 0;
  private started = false;
  private recorded = false;

  constructor(
    private readonly file: string,
    private readonly delimiter: Delimiter,
    private readonly onRecord: (fields: string[], line: number) => void,
  ) {}

  private emit(fields: string[], line: number): void {
    this.recorded = true;
    this.onRecord(fields, line);
  }

  push(text: string): void {
    let chunk = this.pending.length > 0 ? this.pending + text : text;
    if (!this.started && chunk.length > 0) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    let pos = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', pos);
      if (nl < 0) break;
      const end = nl > pos && chunk.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      this.line += 1;
      this.handleLine(chunk.slice(pos, end));
      pos = nl + 1;
    }
    this.pending = chunk.slice(pos);
  }

  /** Flushes a last line without a line break; refuses a quote left open at the end. */
  end(): void {
    if (this.pending.length > 0) {
      let last = this.pending;
      if (last.charCodeAt(last.length - 1) === 13) last = last.slice(0, -1);
      this.pending = '';
      this.line += 1;
      this.handleLine(last);
    }
    if (this.openRecord !== null) {
      throw importError(
        { file: this.file, line: this.openLine },
        'a quoted field opened on this line is never closed',
      );
    }
  }

  private handleLine(text: string): void {
    if (this.openRecord !== null) {
      const record = `${this.openRecord}\n${text}`;
      const fields = splitQuoted(record, this.delimiter);
      if (fields === null) {
        this.openRecord = record;
        return;
      }
      this.openRecord = null;
      this.emit(fields, this.openLine);
      return;
    }
    if (text.length === 0) return;
    if (text.charCodeAt(0) === 35 && (this.recorded || !isBiomHeader(text, this.delimiter))) return;
    if (text.indexOf('"') < 0) {
      if (this.delimiter === 'whitespace') {
        const trimmed = text.trim();
        if (trimmed.length === 0) return;
        this.emit(trimmed.split(WHITESPACE_RUN), this.line);
      } else {
        if (isBlank(text)) return;
        this.emit(text.split(this.delimiter), this.line);
      }
      return;
    }
    const fields = splitQuoted(text, this.delimiter);
    if (fields === null) {
      this.openRecord = text;
      this.openLine = this.line;
      return;
    }
    this.emit(fields, this.line);
  }
}

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}

/**
 * Splits one record with RFC 4180 quoting. Returns null when a quoted field is still open at the
 * end (the record continues on the next line). Text after a closing quote and before the next
 * delimiter is kept, as spreadsheet programs do, rather than refused.
 */
export function splitQuoted(text: string, delimiter: Delimiter): string[] | null {
  const fields: string[] = [];
  const whitespace = delimiter === 'whitespace';
  const sep = whitespace ? -1 : delimiter.charCodeAt(0);
  const n = text.length;
  let i = 0;
  if (whitespace) i = skipBlanks(text, i);
  for (;;) {
    let field = '';
    if (i < n && text.charCodeAt(i) === 34) {
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) return null;
        field += text.slice(i, q);
        if (text.charCodeAt(q + 1) === 34) {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
    }
    // Unquoted text (or text trailing a closing quote) up to the next delimiter.
    let j = i;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (whitespace ? c === 32 || c === 9 : c === sep) break;
      j++;
    }
    field += text.slice(i, j);
    fields.push(field);
    if (j >= n) return fields;
    i = whitespace ? skipBlanks(text, j) : j + 1;
    if (whitespace && i >= n) return fields;
  }
}

function skipBlanks(text: string, from: number): number {
  let i = from;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9) break;
    i++;
  }
  return i;
}

/** Quotes a field for writing when it holds the delimiter, a quote, a line break or edge blanks. */
export function quoteField(field: string, delimiter: '\t' | ','): string {
  if (
    field.includes(delimiter) ||
    field.includes('"') ||
    field.includes('\n') ||
    field.includes('\r') ||
    (field.length > 0 && (field.trim() !== field || field.charCodeAt(0) === 35))
  ) {
    return `"${field.replace(/"/g, '""')}"`;
  }
  return field;
}
