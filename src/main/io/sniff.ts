import { importError, quoteValue } from './errors';
import { openByteSource } from './source';
import { TextDecoding } from './text';
import type { Delimiter } from './tokenize';
import { isBiomHeader, splitQuoted } from './tokenize';
import { decimalPoint } from './values';

/** The beginning of a (possibly gzipped) text file. */
export interface FileHead {
  /** Decoded text of the first bytes, cut at the last complete line unless the file ended. */
  text: string;
  /** True when the whole file fits in `text`. */
  complete: boolean;
  /** Bytes of the file on disk consumed to produce `text` (compressed bytes for .gz). */
  bytesConsumed: number;
  /** Decompressed bytes behind `text`. */
  bytesDecoded: number;
  totalBytes: number;
  compressed: boolean;
}

/** Reads about `maxBytes` of decompressed text from the start of a file, without reading the rest. */
export async function readHead(path: string, maxBytes = 1 << 16): Promise<FileHead> {
  const source = await openByteSource(path);
  const decoder = new TextDecoding();
  const parts: string[] = [];
  let decoded = 0;
  let complete = true;
  try {
    for await (const chunk of source.chunks) {
      const room = maxBytes - decoded;
      const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
      parts.push(decoder.write(piece));
      decoded += piece.length;
      if (decoded >= maxBytes) {
        complete = false;
        break;
      }
    }
  } finally {
    source.close();
  }
  let text = parts.join('');
  if (complete) {
    text += decoder.end();
  } else {
    const lastBreak = text.lastIndexOf('\n');
    if (lastBreak >= 0) text = text.slice(0, lastBreak + 1);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return {
    text,
    complete,
    bytesConsumed: Math.min(source.bytesRead(), source.totalBytes),
    bytesDecoded: decoded,
    totalBytes: source.totalBytes,
    compressed: source.compressed,
  };
}

/**
 * Excel's first line naming the delimiter: `sep=,`, `sep=;` or `sep=` and a tab. Excel writes it
 * (and its users add it) so that a CSV opens with the right delimiter whatever the computer's list
 * separator; pandas and R do not know it, so without this it was read as the header (`sep=` and
 * an empty name) and the real header as a row of data.
 */
export interface DelimiterLine {
  /** The delimiter the line names ('whitespace' for a space); null when the readers have none like it. */
  delimiter: Delimiter | null;
  /** The line as written, without its line end. */
  text: string;
}

const DELIMITER_NAMED: Record<string, Delimiter> = { ',': ',', ';': ';', '\t': '\t', ' ': 'whitespace' };

/** The file's first line when it is a delimiter line (see DelimiterLine), else null. */
export function delimiterLine(text: string): DelimiterLine | null {
  const end = text.indexOf('\n');
  let first = end < 0 ? text : text.slice(0, end);
  if (first.endsWith('\r')) first = first.slice(0, -1);
  if (first.charCodeAt(0) === 0xfeff) first = first.slice(1);
  const match = /^sep=(.)$/is.exec(first);
  if (match === null) return null;
  return { delimiter: DELIMITER_NAMED[match[1]] ?? null, text: first };
}

/**
 * True for the record a delimiter line splits into: `sep=` and an empty field (`sep=` alone when
 * it names a space, which splits as whitespace).
 */
export function isDelimiterRecord(fields: readonly string[]): boolean {
  return (fields.length === 1 || (fields.length === 2 && fields[1] === '')) && /^sep=$/i.test(fields[0]);
}

/**
 * The delimiter a delimited table's head names on a delimiter line, or null without one; a
 * delimiter line naming another character is refused (the table would split wrongly whatever was
 * guessed).
 */
export function namedDelimiter(path: string, head: string): Delimiter | null {
  const named = delimiterLine(head);
  if (named === null) return null;
  if (named.delimiter === null) {
    throw importError(
      { file: path, line: 1, value: named.text },
      `${quoteValue(named.text)} names a delimiter this reader does not take (a comma, semicolon, tab or space)`,
    );
  }
  return named.delimiter;
}

/**
 * Non-blank, non-comment physical lines of a head, without line ends. A BIOM header (`#OTU ID`)
 * before the first such line is kept, as the table readers keep it.
 */
export function contentLines(text: string, limit: number): string[] {
  const lines: string[] = [];
  const all = text.split('\n');
  // Excel's delimiter line is no content (see delimiterLine).
  if (delimiterLine(text) !== null) all.shift();
  for (const raw of all) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim().length === 0) continue;
    if (line.startsWith('#') && (lines.length > 0 || !isBiomHeader(line))) continue;
    lines.push(line);
    if (lines.length >= limit) break;
  }
  return lines;
}

/**
 * Fields per line when every line splits on `delimiter` into the same number (> 1) of fields,
 * the first line (a header without a label for the row names, as R writes) possibly one fewer;
 * 0 otherwise.
 */
function evenFieldCount(lines: string[], delimiter: Delimiter): number {
  const counts = lines.map((line) => splitQuoted(line, delimiter)?.length ?? 0);
  if (counts.length === 0) return 0;
  const n = counts.length > 1 ? counts[1] : counts[0];
  if (n <= 1 || !counts.slice(1).every((c) => c === n)) return 0;
  return counts[0] === n || counts[0] === n - 1 ? n : 0;
}

/** Share of the fields that are numbers, decimal commas counting for `;`. */
function numericShare(lines: string[], delimiter: Delimiter): number {
  let fields = 0;
  let numbers = 0;
  for (const line of lines) {
    for (const field of splitQuoted(line, delimiter) ?? []) {
      const text = (delimiter === ';' ? decimalPoint(field) : field).trim();
      fields++;
      if (text.length > 0 && Number.isFinite(Number(text))) numbers++;
    }
  }
  return fields === 0 ? 0 : numbers / fields;
}

/**
 * Semicolon-separated (European spreadsheets' CSV, often with decimal commas): every line splits
 * evenly on `;`, and either not evenly on `,` (decimal commas make comma counts uneven) or, when
 * both do (every cell with a decimal comma), at least as many fields are numbers when split on `;`.
 */
function isSemicolonSeparated(lines: string[]): boolean {
  if (evenFieldCount(lines, ';') === 0) return false;
  return evenFieldCount(lines, ',') === 0 || numericShare(lines, ';') >= numericShare(lines, ',');
}

/** Delimiter of a `.csv` table: semicolon when the lines say so (see isSemicolonSeparated), else comma. */
export function detectCsvDelimiter(lines: string[]): Delimiter {
  return isSemicolonSeparated(lines) ? ';' : ',';
}

/**
 * Delimiter of a `.txt` table: tab when the first lines hold tabs (empty cells then survive),
 * semicolon as for `.csv`, comma when every line splits into the same number (> 1) of
 * comma-separated fields and holds no blanks between fields, otherwise runs of spaces and tabs.
 */
export function detectTxtDelimiter(lines: string[]): Delimiter {
  if (lines.some((line) => line.includes('\t'))) return '\t';
  if (isSemicolonSeparated(lines)) return ';';
  const counts = lines.map((line) => splitQuoted(line, ',')?.length ?? 0);
  const spaced = lines.some((line) => (splitQuoted(line, 'whitespace')?.length ?? 0) > 1);
  if (counts.length > 0 && counts[0] > 1 && counts.every((c) => c === counts[0]) && !spaced) return ',';
  return 'whitespace';
}

/**
 * Delimiter of a table by format: tab for `.tsv`, sniffed from its first content lines otherwise
 * (a delimiter line, see namedDelimiter, is taken first by the callers that read a head).
 */
export function detectDelimiter(format: 'tsv' | 'csv' | 'txt', lines: string[]): Delimiter {
  if (format === 'tsv') return '\t';
  return format === 'csv' ? detectCsvDelimiter(lines) : detectTxtDelimiter(lines);
}
