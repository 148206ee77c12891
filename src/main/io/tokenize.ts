import { importError, quoteValue } from './errors';

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
 * Longest record the readers accept, in characters (64 Mi). A record is a physical line, or several
 * when a quoted field holds line breaks. The widest tables in practice (a million cells as columns)
 * have lines of 10–20 MB; beyond the cap a file is refused rather than held in memory, which bounds
 * what a file without line breaks (or with a quote that never closes) can cost.
 */
export const MAX_RECORD_CHARS = 1 << 26;

/** Most fields a record may have (2 Mi): each field becomes a string, about 32 bytes of memory. */
export const MAX_FIELDS = 1 << 21;

/** The state of a record while it is being split: the fields so far and the one being read. */
interface RecordState {
  fields: string[];
  /** Text of the field being read (without its quotes). */
  field: string;
  /** True inside a quoted field, which then continues on the next physical line. */
  inQuotes: boolean;
  /** Where the open quoted field starts: physical line and field position (1-based). */
  quoteLine: number;
  quoteColumn: number;
  /** The first characters of the open quoted field, for messages. */
  quotePreview: string;
  /** Characters of the record so far, line breaks counted. */
  chars: number;
  /**
   * Lines of a quoted field that spans lines, each with its line break: a few thousand pieces,
   * then joined into one string kept in `joined`. Appending to one string per line instead would
   * build a rope of two objects per line (over a gigabyte for 16 million short lines).
   */
  pieces: string[];
  joined: string[];
}

function newRecordState(): RecordState {
  return {
    fields: [],
    field: '',
    inQuotes: false,
    quoteLine: 0,
    quoteColumn: 0,
    quotePreview: '',
    chars: 0,
    pieces: [],
    joined: [],
  };
}

const PIECES_PER_JOIN = 4096;

/** Keeps one line of a quoted field that continues on the next line. */
function spill(st: RecordState, text: string): void {
  st.pieces.push(text);
  if (st.pieces.length === PIECES_PER_JOIN) {
    st.joined.push(st.pieces.join(''));
    st.pieces = [];
  }
}

/** The lines kept by spill, joined, and the state emptied of them. */
function takeSpilled(st: RecordState): string {
  const text = st.joined.join('') + st.pieces.join('');
  st.joined = [];
  st.pieces = [];
  return text;
}

/** Why a record was refused while being split; RecordSplitter turns it into an ImportError. */
class SplitLimit extends Error {
  constructor(
    readonly detail: string,
    readonly column?: number,
  ) {
    super(detail);
  }
}

/**
 * Continues splitting a record with one more physical line (`text`, without its line break).
 * Returns true when the record is complete, false when a quoted field is still open at the end.
 *
 * Quoting follows RFC 4180 §2: a double quote opens a quoted field only as the field's first
 * character (after leading blanks with whitespace delimiters); inside it, `""` is a quote and
 * delimiters and line breaks are text. A quote anywhere else is ordinary text (`5'UTR"` is a name),
 * which is also what R's `read.delim` and pandas do. Text after a closing quote and before the next
 * delimiter is kept, as spreadsheet programs do, rather than refused. Every character is looked at
 * a bounded number of times, so a record costs time linear in its length.
 */
function continueRecord(
  text: string,
  delimiter: Delimiter,
  st: RecordState,
  line: number,
  maxFields = MAX_FIELDS,
): boolean {
  const whitespace = delimiter === 'whitespace';
  const n = text.length;
  let i = 0;
  if (st.inQuotes) {
    st.chars += 1;
  } else if (whitespace) {
    i = skipBlanks(text, 0);
  }
  st.chars += n;
  for (;;) {
    if (!st.inQuotes && i < n && text.charCodeAt(i) === 34) {
      st.inQuotes = true;
      st.quoteLine = line;
      st.quoteColumn = st.fields.length + 1;
      st.quotePreview = text.slice(i + 1, i + 81);
      i++;
    }
    if (st.inQuotes) {
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) {
          spill(st, `${st.field}${text.slice(i)}\n`);
          st.field = '';
          return false;
        }
        st.field += text.slice(i, q);
        if (text.charCodeAt(q + 1) === 34) {
          st.field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          st.inQuotes = false;
          break;
        }
      }
    }
    // Unquoted text (or text trailing a closing quote) up to the next delimiter.
    let j: number;
    if (whitespace) {
      j = i;
      while (j < n) {
        const c = text.charCodeAt(j);
        if (c === 32 || c === 9) break;
        j++;
      }
    } else {
      j = text.indexOf(delimiter, i);
      if (j < 0) j = n;
    }
    const spilled = st.pieces.length > 0 || st.joined.length > 0 ? takeSpilled(st) : '';
    st.fields.push(spilled + (i === j ? st.field : st.field + text.slice(i, j)));
    st.field = '';
    if (st.fields.length > maxFields) {
      throw new SplitLimit(`has more than ${maxFields} fields`, maxFields + 1);
    }
    if (j >= n) return true;
    i = whitespace ? skipBlanks(text, j) : j + 1;
    if (whitespace && i >= n) return true;
  }
}

/** Fields of a line with no quote character: the fast path through `String.prototype.split`. */
function splitPlain(text: string, delimiter: Delimiter, maxFields: number): string[] | null {
  if (delimiter === 'whitespace') {
    const trimmed = text.trim();
    if (trimmed.length === 0) return null;
    return trimmed.split(WHITESPACE_RUN, maxFields + 1);
  }
  if (isBlank(text)) return null;
  return text.split(delimiter, maxFields + 1);
}

/**
 * Splits text into records, one physical line at a time, calling `onRecord(fields, line, lastLine)`
 * for every record that is not blank and not a comment (a line starting with `#`; a BIOM header
 * before the first record is a record, see isBiomHeader). Handles CRLF, a UTF-8 byte-order mark,
 * and RFC 4180 quoting (see continueRecord). `line` is the 1-based physical line where the record
 * starts, `lastLine` the one where it ends (later only when a quoted field holds line breaks).
 *
 * Time is linear in the input: text is searched for line breaks once, a line split across chunks is
 * kept as pieces until its end arrives, and a record whose quoted field spans lines is continued
 * where it stopped instead of being split again. Memory is bounded by MAX_RECORD_CHARS and
 * MAX_FIELDS, checked as text arrives; beyond them the input is refused with an ImportError.
 */
export class RecordSplitter {
  /** Physical lines completed so far. */
  line = 0;
  /** Pieces of the physical line not yet ended by a line break, and their total length. */
  private tail: string[] = [];
  private tailLength = 0;
  /** A record whose quoted field is still open, and the line it started on. */
  private open: RecordState | null = null;
  private openLine = 0;
  private started = false;
  private recorded = false;

  constructor(
    private readonly file: string,
    private readonly delimiter: Delimiter,
    private readonly onRecord: (fields: string[], line: number, lastLine: number) => void,
    /** The caps, lowered only by tests. */
    private readonly limits: { maxRecordChars: number; maxFields: number } = {
      maxRecordChars: MAX_RECORD_CHARS,
      maxFields: MAX_FIELDS,
    },
  ) {}

  private emit(fields: string[], line: number): void {
    this.recorded = true;
    this.onRecord(fields, line, this.line);
  }

  push(input: string): void {
    let text = input;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const nul = text.indexOf('\u0000');
    if (nul >= 0) this.refuseNul(text, nul);
    let pos = 0;
    for (;;) {
      const nl = text.indexOf('\n', pos);
      if (nl < 0) break;
      let lineText: string;
      if (this.tailLength > 0) {
        this.tail.push(text.slice(pos, nl));
        lineText = this.tail.join('');
        this.tail = [];
        this.tailLength = 0;
      } else {
        lineText = text.slice(pos, nl);
      }
      if (lineText.charCodeAt(lineText.length - 1) === 13) lineText = lineText.slice(0, -1);
      this.line += 1;
      this.handleLine(lineText);
      pos = nl + 1;
    }
    if (pos < text.length) {
      this.tail.push(pos === 0 ? text : text.slice(pos));
      this.tailLength += text.length - pos;
      const held = this.tailLength + (this.open?.chars ?? 0);
      if (held > this.limits.maxRecordChars) this.refuseLength(this.line + 1);
    }
  }

  /** Flushes a last line without a line break; refuses a quote left open at the end. */
  end(): void {
    if (this.tailLength > 0) {
      let last = this.tail.join('');
      this.tail = [];
      this.tailLength = 0;
      if (last.charCodeAt(last.length - 1) === 13) last = last.slice(0, -1);
      this.line += 1;
      this.handleLine(last);
    }
    const open = this.open;
    if (open !== null) {
      throw importError(
        { file: this.file, line: open.quoteLine, column: open.quoteColumn },
        `the quoted field ${quoteValue(open.quotePreview)} opened here is never closed` +
          ' (a quote opens a field only as its first character; double it to write one inside quotes)',
      );
    }
  }

  /**
   * No text table holds a NUL character: it comes from a binary file, from UTF-16 text without a
   * byte-order mark (every other byte NUL), or from a download cut short whose missing end was
   * filled with zeros. Taken as text it would become names and "not a number" cells, or one line
   * without end; refused at its line instead.
   */
  private refuseNul(text: string, at: number): never {
    let line = this.line + 1;
    for (let nl = text.indexOf('\n'); nl >= 0 && nl < at; nl = text.indexOf('\n', nl + 1)) line++;
    throw importError(
      { file: this.file, line },
      'holds a NUL character: not a text table (a binary file, UTF-16 text without a byte-order mark, or a download cut short and padded with zeros?)',
    );
  }

  private refuseLength(line: number): never {
    const open = this.open;
    if (open !== null) {
      throw importError(
        { file: this.file, line: open.quoteLine, column: open.quoteColumn },
        `the quoted field ${quoteValue(open.quotePreview)} opened here is still open after ` +
          `${this.limits.maxRecordChars} characters (line ${line}): a stray quote?`,
      );
    }
    throw importError(
      { file: this.file, line },
      `is longer than ${this.limits.maxRecordChars} characters (no line break): not a delimited table`,
    );
  }

  private split(text: string, state: RecordState, line: number): boolean {
    try {
      return continueRecord(text, this.delimiter, state, line, this.limits.maxFields);
    } catch (error) {
      if (error instanceof SplitLimit) {
        throw importError(
          { file: this.file, line: this.openLine || line, column: error.column },
          error.detail,
        );
      }
      throw error;
    }
  }

  private handleLine(text: string): void {
    const open = this.open;
    if (open !== null) {
      if (open.chars + text.length + 1 > this.limits.maxRecordChars) this.refuseLength(this.line);
      if (!this.split(text, open, this.line)) return;
      this.open = null;
      this.emit(open.fields, this.openLine);
      this.openLine = 0;
      return;
    }
    if (text.length === 0) return;
    if (text.charCodeAt(0) === 35 && (this.recorded || !isBiomHeader(text, this.delimiter))) return;
    if (text.length > this.limits.maxRecordChars) this.refuseLength(this.line);
    if (text.indexOf('"') < 0) {
      const fields = splitPlain(text, this.delimiter, this.limits.maxFields);
      if (fields === null) return;
      if (fields.length > this.limits.maxFields) {
        throw importError(
          { file: this.file, line: this.line, column: this.limits.maxFields + 1 },
          `has more than ${this.limits.maxFields} fields`,
        );
      }
      this.emit(fields, this.line);
      return;
    }
    const state = newRecordState();
    if (!this.split(text, state, this.line)) {
      this.open = state;
      this.openLine = this.line;
      return;
    }
    this.emit(state.fields, this.line);
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
 * Splits one record with RFC 4180 quoting (see continueRecord). Returns null when a quoted field is
 * still open at the end (the record continues on the next line).
 */
export function splitQuoted(text: string, delimiter: Delimiter): string[] | null {
  const state = newRecordState();
  try {
    return continueRecord(text, delimiter, state, 1) ? state.fields : null;
  } catch (error) {
    if (error instanceof SplitLimit) return null;
    throw error;
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
