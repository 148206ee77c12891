import type { DataMatrix } from '../../shared/linalg/matrix';
import { RowAccumulator } from './assemble';
import type { ImportErrorLocation, NameKind } from './errors';
import {
  fileLabel,
  importError,
  ImportError,
  NOT_A_NUMBER,
  ProblemCollector,
  quoteValue,
  valueDetail,
} from './errors';
import { checkpoint, openByteSource } from './source';
import type { Delimiter } from './tokenize';
import { RecordSplitter } from './tokenize';
import { isDelimiterRecord } from './sniff';
import { encodingWarnings, TextDecoding } from './text';
import type { ReadProgress } from './types';
import { parseCell, parseDecimalCommaCell } from './values';

export interface DelimitedReadOptions {
  delimiter: Delimiter;
  /** The first line is Excel's delimiter line, which named `delimiter` (see namedDelimiter): left out. */
  delimiterLine?: boolean;
  header: boolean;
  rowNames: boolean;
  /** 'auto' chooses CSR for mostly-zero tables (see SPARSE_DENSITY); 'dense' always dense. */
  layout?: 'auto' | 'dense';
  /**
   * What the header's names stand for, as refusals name them (`column 3 (sample "S2")`); default
   * 'sample'; null names the column without saying what it holds (`column 3 ("c2")`).
   */
  columnKind?: NameKind | null;
  signal?: AbortSignal;
  onProgress?: (progress: ReadProgress) => void;
}

export interface DelimitedTable {
  matrix: DataMatrix;
  /** Names from the first column, or null when `rowNames` is false. */
  rowNames: string[] | null;
  /** Names from the header row, or null when `header` is false. */
  colNames: string[] | null;
  /** The header's first cell when it labels the row-name column (null otherwise). */
  corner: string | null;
  missing: number;
  nnz: number;
  warnings: string[];
}

/**
 * True when the header's last name is `taxonomy` (any case; BIOM tables end so) and the first data
 * row holds text (or nothing) there rather than a number: that column is left out of the matrix.
 */
export function isTaxonomyColumn(
  header: readonly string[] | null,
  firstRow: readonly string[],
  delimiter: Delimiter,
): boolean {
  if (header === null || header.length === 0 || firstRow.length < 2) return false;
  if (header[header.length - 1].trim().toLowerCase() !== 'taxonomy') return false;
  const cell = firstRow[firstRow.length - 1];
  const v = delimiter === ';' ? parseDecimalCommaCell(cell) : parseCell(cell);
  return v === NOT_A_NUMBER || v !== v;
}

/**
 * How many fields at the end of the first data row are empty and not named by the header (0 when
 * none): the header is as long with empty last names there, or (with row names) shorter by those
 * fields. The lines then end with delimiters, as spreadsheet exports write after their last used
 * column, and those fields are no columns. At least one value column is always left (`first`: 1
 * with row names, 0 without).
 */
export function trailingEmptyFields(
  header: readonly string[],
  firstRow: readonly string[],
  first: number,
): number {
  const count = firstRow.length;
  let empty = 0;
  while (count - empty - first > 1 && firstRow[count - empty - 1].trim() === '') empty++;
  if (header.length === count) {
    let unnamed = 0;
    while (unnamed < empty && header[count - unnamed - 1].trim() === '') unnamed++;
    return unnamed;
  }
  const beyond = count - header.length;
  return first === 1 && beyond >= 1 && beyond <= empty ? beyond : 0;
}

/** True for a record of empty fields only: a line of nothing but delimiters (`,,,`). */
export function isEmptyRecord(fields: readonly string[]): boolean {
  for (const field of fields) if (field.trim() !== '') return false;
  return true;
}

/** Delimiters as a delimiter line writes them. */
const DELIMITER_SHOWN: Record<Delimiter, string> = {
  '\t': '<tab>',
  ',': ',',
  ';': ';',
  whitespace: '<space>',
};

function fieldCount(n: number): string {
  return n === 1 ? '1 field' : `${n} fields`;
}

/**
 * Streams a delimited table into a matrix, as stored (rows of the file are rows of the matrix).
 *
 * With a header and row names, the header may either label the row-name column (same field count
 * as the data rows; its first cell may be anything or empty) or omit it (one field fewer, as R's
 * `write.table` writes). Cells: see `parseCell`; with a `;` delimiter a decimal comma is read
 * as a point (`1,5` is 1.5; never with other delimiters). A last column named `taxonomy` holding
 * text (BIOM tables) is left out, with a warning. Refusals name the physical line, the
 * spreadsheet column (the row-name column is column 1, as in the file) and, when there is a header,
 * that column's name (`line 7, column 3 (sample "S2")`). Bad cells and rows of the wrong length do
 * not stop the read: every one is collected (see ProblemCollector) and the refusal lists them all;
 * what cannot be read past (an unclosed quote, a line over the limits, a header that fits no row)
 * still stops it, listed after the problems found before it.
 */
export async function readDelimitedMatrix(
  path: string,
  options: DelimitedReadOptions,
): Promise<DelimitedTable> {
  const { header: wantHeader, rowNames: wantRowNames, signal, onProgress } = options;
  const file = path;
  const names: string[] = [];
  let header: string[] | null = null;
  let headerLine = 0;
  let colNames: string[] | null = null;
  let corner: string | null = null;
  let acc: RowAccumulator | null = null;
  let expected = -1;
  let referenceLine = 0;
  const first = wantRowNames ? 1 : 0;
  let missing = 0;
  let nnz = 0;
  const warnings: string[] = [];
  const decimalComma = options.delimiter === ';';
  // Fields read as values: [first, last); a dropped taxonomy column lies beyond `last`.
  let last = 0;
  /**
   * Fields at the end of the first data line that are empty and not named by the header (see
   * trailingEmptyFields): the lines end with delimiters. They are left out; a line may then also
   * omit them, and one holding a value there is refused, since the value belongs to no column.
   */
  let trailing = 0;
  /** Lines of nothing but delimiters, left out (spreadsheets' formatted but empty rows). */
  let emptyLines = 0;
  let firstEmptyLine = 0;
  const problems = new ProblemCollector(file);
  const columnKind = options.columnKind === undefined ? 'sample' : options.columnKind;
  /** Where field `f` (0-based) of `line` is, with its header name when there is one. */
  const cellPlace = (line: number, f: number, value?: string): ImportErrorLocation => {
    const place: ImportErrorLocation = { file, line, column: f + 1 };
    if (value !== undefined) place.value = value;
    const names = colNames as string[] | null;
    const name = names === null ? undefined : names[f - first];
    if (name !== undefined) {
      place.columnName = name;
      if (columnKind !== null) place.columnKind = columnKind;
    }
    return place;
  };

  const begin = (fields: string[], line: number): RowAccumulator => {
    const count = fields.length;
    expected = count;
    last = count;
    referenceLine = line;
    if (header !== null) {
      const h = header.length;
      trailing = trailingEmptyFields(header, fields, first);
      if (h === count) {
        colNames = header.slice(first);
        if (wantRowNames) corner = header[0];
        referenceLine = headerLine;
      } else if (trailing > 0) {
        // The header labels the row-name column and the data lines end with delimiters (as
        // spreadsheet exports write), rather than R's header without that label.
        colNames = [...header.slice(1), ...new Array<string>(trailing).fill('')];
        corner = header[0];
      } else if (wantRowNames && h === count - 1) {
        colNames = header.slice();
      } else {
        throw new ImportError(
          `${fileLabel({ file })}: line ${line} has ${fieldCount(count)}, expected ${h} (like line ${headerLine})`,
          { file, line },
        );
      }
      if (trailing > 0) {
        last = count - trailing;
        colNames = colNames.slice(0, -trailing);
        warnings.push(
          trailing === 1
            ? `left out column ${count}: it has no name in the header and is empty on line ${line}, the lines ending with a delimiter`
            : `left out columns ${last + 1}–${count}: they have no name in the header and are empty on line ${line}, the lines ending with delimiters`,
        );
      } else if (isTaxonomyColumn(header, fields, options.delimiter)) {
        last = count - 1;
        colNames = colNames.slice(0, -1);
        warnings.push(
          `left out the last column, ${quoteValue(header[h - 1])} (column ${count}): it holds text, not values`,
        );
      }
    }
    const cols = last - first;
    if (cols <= 0) {
      throw importError(
        { file, line },
        `no numeric columns: the line has ${fieldCount(count)}, all taken by row names`,
      );
    }
    return new RowAccumulator(cols);
  };

  const onRecord = (fields: string[], line: number, lastLine: number): void => {
    if (lastLine > line) refuseSwallowedLines(fields, line, lastLine);
    // Excel's delimiter line (`sep=;`, see namedDelimiter): the delimiter was taken from it.
    if (options.delimiterLine === true && line === 1 && isDelimiterRecord(fields)) {
      warnings.push(
        `line 1 is Excel's delimiter line (sep=${DELIMITER_SHOWN[options.delimiter]}): the table was read with that delimiter, and the line left out`,
      );
      return;
    }
    // Only a line whose first field is empty can be all empty: the check costs nothing otherwise.
    if (fields[0].trim() === '' && fields.length > 1 && isEmptyRecord(fields)) {
      if (emptyLines++ === 0) firstEmptyLine = line;
      return;
    }
    if (acc === null) {
      if (wantHeader && header === null) {
        header = fields;
        headerLine = line;
        return;
      }
      acc = begin(fields, line);
    }
    if (trailing > 0 && fields.length >= last && fields.length <= expected) {
      const at = fields.findIndex((field, f) => f >= last && field.trim() !== '');
      if (at >= 0) {
        const extra = fields[at];
        problems.addMessage(
          { file, line, column: at + 1, value: extra },
          () =>
            `line ${line}, column ${at + 1}: ${quoteValue(extra)} lies beyond the named columns (the header, line ${headerLine}, names ${last - first}; the first data line ends with empty fields there)`,
        );
        return;
      }
    } else if (fields.length !== expected) {
      // A record running over several lines is a quoted field holding line breaks, usually a stray quote.
      const span =
        lastLine > line ? `; a quoted field runs from line ${line} to line ${lastLine}: a stray quote?` : '';
      const count = fields.length;
      const where =
        count > expected
          ? `: column ${expected + 1}, ${quoteValue(fields[expected])}, is one too many`
          : `: column ${count + 1} is missing`;
      problems.addMessage(
        count > expected
          ? { file, line, column: expected + 1, value: fields[expected] }
          : { file, line, column: count + 1 },
        () =>
          `line ${line} has ${fieldCount(count)}, expected ${expected} (like line ${referenceLine})${where}${span}`,
      );
      return;
    }
    if (wantRowNames) names.push(fields[0]);
    const block = acc.block;
    let o = acc.offset;
    for (let f = first; f < last; f++, o++) {
      const text = fields[f];
      const v = decimalComma ? parseDecimalCommaCell(text) : parseCell(text);
      if (v < 0) {
        problems.add(cellPlace(line, f, text), () => valueDetail(text, v));
        block[o] = 0;
        continue;
      }
      block[o] = v;
      if (v !== 0) {
        if (v === v) nnz++;
        else missing++;
      }
    }
    acc.endRow();
  };

  /**
   * A quoted field may hold line breaks (RFC 4180), but one holding line breaks and delimiters has
   * swallowed whole rows: a stray quote (`"5'UTR`) closed by another quote lines later. Taking it
   * as one name would silently drop those rows, so it is refused.
   */
  const refuseSwallowedLines = (fields: string[], line: number, lastLine: number): void => {
    const sep = options.delimiter === 'whitespace' ? /[ \t]/ : options.delimiter;
    const at = fields.findIndex(
      (f) => f.includes('\n') && (typeof sep === 'string' ? f.includes(sep) : sep.test(f)),
    );
    if (at < 0) return;
    throw importError(
      { file, line, column: at + 1, value: fields[at] },
      `the quoted field ${quoteValue(fields[at])} runs from line ${line} to line ${lastLine} over delimiters: a stray quote? (a quote opens a field only as its first character)`,
    );
  };

  const source = await openByteSource(path);
  const splitter = new RecordSplitter(file, options.delimiter, onRecord);
  const decoder = new TextDecoding();
  try {
    checkpoint(source, signal, onProgress);
    for await (const chunk of source.chunks) {
      splitter.push(decoder.write(chunk));
      checkpoint(source, signal, onProgress);
    }
    splitter.push(decoder.end());
    splitter.end();
  } catch (error) {
    // A refusal that stops the read comes after the problems already found, in the same list.
    if (error instanceof ImportError && problems.count > 0) {
      problems.addError(error);
      throw problems.refusal();
    }
    throw error;
  } finally {
    source.close();
  }
  problems.throwIfAny();
  warnings.push(...encodingWarnings(decoder));
  if (emptyLines > 0) {
    warnings.push(
      `left out ${emptyLines === 1 ? `line ${firstEmptyLine}, which holds` : `${emptyLines} lines from line ${firstEmptyLine} on, which hold`} nothing but delimiters`,
    );
  }

  const accumulator = acc as RowAccumulator | null;
  if (accumulator === null) {
    if (header === null) throw importError({ file }, 'is empty (no data lines)');
    throw importError({ file, line: headerLine }, 'has a header but no data rows');
  }
  onProgress?.({ bytesRead: source.totalBytes, totalBytes: source.totalBytes, phase: 'assembling' });
  const matrix = accumulator.finish(options.layout ?? 'auto');
  return {
    matrix,
    rowNames: wantRowNames ? names : null,
    colNames,
    corner,
    missing,
    nnz,
    warnings,
  };
}
