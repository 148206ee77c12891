/**
 * Annotation tables: what is known about each sample (class, batch, patient, age…) or each feature
 * (gene symbol, pathway, chromosome…), read from a TSV/CSV keyed by the dataset's sample or feature
 * names, as R's `pData`/`fData`, AnnData's `obs`/`var` and cellxgene's metadata columns hold it.
 *
 * Pure: takes the file's text, returns columns aligned with the dataset's own name order. Every
 * refusal names the file, line and column (1-based; the key column is column 1, as a spreadsheet
 * shows it) and, for names that do not match, lists them.
 */

export type AnnotationAxis = 'samples' | 'features';

/** A column of categories (text), one entry per dataset name (null = not given). */
export interface CategoricalAnnotation {
  name: string;
  kind: 'categorical';
  /** Categories in order of first appearance. */
  levels: string[];
  values: Array<string | null>;
}

/** A column of numbers, one entry per dataset name (null = not given). */
export interface NumericAnnotation {
  name: string;
  kind: 'numeric';
  values: Array<number | null>;
}

export type AnnotationColumn = CategoricalAnnotation | NumericAnnotation;

export interface ParsedAnnotations {
  /** Header of the key column (e.g. `sample`). */
  keyColumn: string;
  columns: AnnotationColumn[];
  /** Rows of the file (names) read. */
  rows: number;
}

/** A refused annotation table, with where the problem is. */
export class AnnotationError extends Error {
  constructor(
    message: string,
    public readonly location: { file: string; line?: number; column?: number; value?: string },
  ) {
    super(message);
    this.name = 'AnnotationError';
  }
}

/** Text that stands for a missing value, as R and pandas write them. */
const MISSING = new Set(['', 'NA', 'NaN', 'nan', 'N/A', 'NULL', 'null', 'None']);

/** Names listed in a refusal before "… and N more". */
const LISTED_NAMES = 10;

/** Splits one line of a delimited file, honouring double quotes ("a, b" and "" inside quotes). */
export function splitDelimitedLine(line: string, delimiter: string): string[] {
  if (!line.includes('"')) return line.split(delimiter);
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell === '') quoted = true;
    else if (ch === delimiter) {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  cells.push(cell);
  return cells;
}

/** Tab for .tsv/.txt (or when the header has a tab), comma for .csv, else whichever the header has. */
function delimiterOf(fileName: string, header: string): string {
  const lower = fileName.toLowerCase().replace(/\.gz$/, '');
  if (lower.endsWith('.csv')) return header.includes('\t') && !header.includes(',') ? '\t' : ',';
  if (header.includes('\t')) return '\t';
  if (header.includes(',')) return ',';
  return '\t';
}

function listNames(names: readonly string[]): string {
  const shown = names.slice(0, LISTED_NAMES).map((n) => `"${n}"`);
  const more = names.length - shown.length;
  return shown.join(', ') + (more > 0 ? ` and ${more} more` : '');
}

function parseNumber(text: string): number | null {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/**
 * Reads an annotation table and aligns it with the dataset's names.
 *
 * Layout: a header row; the first column holds the sample (or feature) names, every other column
 * is an annotation. A column is numeric when every given value is a number, categorical otherwise.
 * Refused: an empty file or one without annotation columns, ragged rows, a name given twice, and
 * names that do not match the dataset's — in either direction, all of them listed (up to ten,
 * then a count) — since a silently partial match would put the wrong class on a sample.
 *
 * @param text the file's text (already decompressed)
 * @param fileName shown in messages and used to choose the delimiter
 * @param names the dataset's sample (or feature) names, in its order
 * @param axis what the names are, for messages
 */
export function parseAnnotationTable(
  text: string,
  fileName: string,
  names: readonly string[],
  axis: AnnotationAxis,
): ParsedAnnotations {
  const singular = axis === 'samples' ? 'sample' : 'feature';
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  // No text table holds a NUL: a binary file, UTF-16 without a byte-order mark, a zero-padded download.
  const nul = lines.findIndex((line) => line.includes('\u0000'));
  if (nul >= 0) {
    throw new AnnotationError(
      `${fileName} line ${nul + 1} holds a NUL character: not a text table (a binary file, UTF-16 text without a byte-order mark, or a download cut short and padded with zeros?)`,
      { file: fileName, line: nul + 1 },
    );
  }
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0) throw new AnnotationError(`${fileName} is empty`, { file: fileName });
  const delimiter = delimiterOf(fileName, lines[0]);
  const header = splitDelimitedLine(lines[0], delimiter).map((h) => h.trim());
  if (header.length < 2) {
    throw new AnnotationError(
      `${fileName} line 1 has one column: an annotation table needs the ${singular} names in column 1 and at least one annotation column after it (tab- or comma-separated)`,
      { file: fileName, line: 1 },
    );
  }
  const seenHeader = new Map<string, number>();
  header.forEach((h, c) => {
    if (c > 0 && h === '') {
      throw new AnnotationError(`${fileName} line 1, column ${c + 1}: the column has no name`, {
        file: fileName,
        line: 1,
        column: c + 1,
      });
    }
    const earlier = seenHeader.get(h);
    if (earlier !== undefined && c > 0) {
      throw new AnnotationError(
        `${fileName} line 1: column name "${h}" appears twice (columns ${earlier + 1} and ${c + 1})`,
        { file: fileName, line: 1, column: c + 1, value: h },
      );
    }
    seenHeader.set(h, c);
  });
  if (lines.length === 1)
    throw new AnnotationError(`${fileName} has a header but no rows`, { file: fileName, line: 1 });

  const index = new Map<string, number>();
  names.forEach((name, i) => index.set(name, i));
  const cellsOf = new Array<string[] | null>(names.length).fill(null);
  const lineOf = new Int32Array(names.length);
  const unknown: string[] = [];
  for (let l = 1; l < lines.length; l++) {
    const line = lines[l];
    if (line.trim() === '') continue;
    const cells = splitDelimitedLine(line, delimiter).map((c) => c.trim());
    if (cells.length !== header.length) {
      throw new AnnotationError(
        `${fileName} line ${l + 1} has ${cells.length} columns where the header has ${header.length}`,
        { file: fileName, line: l + 1, column: Math.min(cells.length, header.length) + 1 },
      );
    }
    const key = cells[0];
    const at = index.get(key);
    if (at === undefined) {
      unknown.push(key);
      continue;
    }
    if (cellsOf[at] !== null) {
      throw new AnnotationError(
        `${fileName} line ${l + 1}: ${singular} "${key}" is listed twice (lines ${lineOf[at]} and ${l + 1})`,
        { file: fileName, line: l + 1, column: 1, value: key },
      );
    }
    cellsOf[at] = cells;
    lineOf[at] = l + 1;
  }
  const absent = names.filter((_, i) => cellsOf[i] === null);
  if (unknown.length > 0 || absent.length > 0) {
    const parts: string[] = [];
    if (unknown.length > 0)
      parts.push(
        `${unknown.length} name(s) in the file are not ${singular}s of the dataset: ${listNames(unknown)}`,
      );
    if (absent.length > 0)
      parts.push(
        `${absent.length} ${singular}(s) of the dataset are missing from the file: ${listNames(absent)}`,
      );
    throw new AnnotationError(
      `${fileName}: the ${singular} names do not match the dataset's (column 1 must hold them exactly). ${parts.join('; ')}`,
      { file: fileName, column: 1, value: unknown[0] ?? absent[0] },
    );
  }

  const columns: AnnotationColumn[] = [];
  for (let c = 1; c < header.length; c++) {
    columns.push(
      annotationColumn(
        header[c],
        cellsOf.map((cells) => cells![c]),
      ),
    );
  }
  return { keyColumn: header[0], columns, rows: names.length };
}

/**
 * A column from its text cells (one per dataset name, in its order): numeric when every given
 * value is a number, categorical otherwise; `NA`, empty and the like are missing (null).
 */
export function annotationColumn(name: string, raw: readonly string[]): AnnotationColumn {
  const given = raw.filter((v) => !MISSING.has(v));
  const numbers = given.map(parseNumber);
  if (given.length > 0 && numbers.every((v) => v !== null)) {
    return { name, kind: 'numeric', values: raw.map((v) => (MISSING.has(v) ? null : parseNumber(v))) };
  }
  const levels: string[] = [];
  const seen = new Set<string>();
  const values = raw.map((v) => {
    if (MISSING.has(v)) return null;
    if (!seen.has(v)) {
      seen.add(v);
      levels.push(v);
    }
    return v;
  });
  return { name, kind: 'categorical', levels, values };
}

/** Integer codes of a categorical column (index into `levels`, −1 where not given). */
export function categoryCodes(column: CategoricalAnnotation): number[] {
  const code = new Map(column.levels.map((level, i) => [level, i]));
  return column.values.map((v) => (v === null ? -1 : code.get(v)!));
}

/**
 * The columns over the samples (or features) at `order` only, in that order: a map that shows a
 * subsample gets its tracks without every sample's values. A categorical column keeps all its
 * levels, so each category keeps the colour the whole column gives it.
 */
export function columnsAt(
  columns: readonly AnnotationColumn[],
  order: readonly number[],
): AnnotationColumn[] {
  return columns.map((column): AnnotationColumn =>
    column.kind === 'categorical'
      ? {
          name: column.name,
          kind: 'categorical',
          levels: column.levels,
          values: order.map((j) => column.values[j]),
        }
      : { name: column.name, kind: 'numeric', values: order.map((j) => column.values[j]) },
  );
}
