import { makeFolder } from './make-folder';
import { basename, extname, join } from 'node:path';
import type { DenseMatrix } from '../../shared/linalg/matrix';
import { dense } from '../../shared/linalg/matrix';
import { restoreNeutralised } from '../../shared/export/spreadsheet';
import { transposeDense } from './assemble';
import { readDelimitedMatrix } from './delimited';
import { importError, quoteValue } from './errors';
import { contentLines, detectCsvDelimiter, detectTxtDelimiter, namedDelimiter, readHead } from './sniff';
import type { Delimiter } from './tokenize';
import { splitQuoted } from './tokenize';
import type { TableDelimiter } from './tables';
import { writeMatrixTable } from './tables';
import { decimalPoint } from './values';

/** Factors of V ≈ W·H as `fit` writes them. */
export interface Factors {
  /** W: m × k (features × components). */
  W: DenseMatrix;
  /** H: k × n (components × samples). */
  H: DenseMatrix;
  featureNames: readonly string[];
  sampleNames: readonly string[];
  /** Default c1..cK. */
  componentNames?: readonly string[];
}

/** c1..ck, the component names of W.tsv and H.tsv. */
export function componentNames(k: number): string[] {
  return Array.from({ length: k }, (_, i) => `c${i + 1}`);
}

/**
 * Writes `dir/W.tsv` (header `feature` then component names, one row per feature) and
 * `dir/H.tsv` (header `component` then sample names, one row per component), creating `dir`.
 * Numbers are written as the shortest text that reads back as the same double. With
 * `format: 'csv'` the files are W.csv and H.csv.
 */
export async function writeFactorsTsv(
  dir: string,
  factors: Factors,
  options: { format?: 'tsv' | 'csv' } = {},
): Promise<{ wPath: string; hPath: string }> {
  const { W, H, featureNames, sampleNames } = factors;
  const k = W.cols;
  if (H.rows !== k) throw new RangeError(`W has ${k} components but H has ${H.rows}`);
  const names = factors.componentNames ?? componentNames(k);
  if (names.length !== k) throw new RangeError(`${names.length} component names for ${k} components`);
  const ext = options.format === 'csv' ? 'csv' : 'tsv';
  const delimiter: TableDelimiter = ext === 'csv' ? ',' : '\t';
  await makeFolder(dir);
  const wPath = join(dir, `W.${ext}`);
  const hPath = join(dir, `H.${ext}`);
  await writeMatrixTable(
    wPath,
    { matrix: W, rowNames: featureNames, colNames: names, corner: 'feature' },
    { delimiter },
  );
  await writeMatrixTable(
    hPath,
    { matrix: H, rowNames: names, colNames: sampleNames, corner: 'component' },
    { delimiter },
  );
  return { wPath, hPath };
}

export interface ReadFactorsOptions {
  /** The dataset's feature names: rows or columns matching them mark a W (and fix its order). */
  featureNames?: readonly string[];
  /** The dataset's sample names: rows or columns matching them mark an H. */
  sampleNames?: readonly string[];
  /** Skip detection of which factor the file holds. */
  kind?: 'W' | 'H';
}

export interface ReadFactor {
  kind: 'W' | 'H';
  /** W: m × k (features × components); H: k × n (components × samples). */
  matrix: DenseMatrix;
  /** W: feature names; H: sample names. Null when the file has none. */
  names: string[] | null;
  componentNames: string[];
  /** True when the file held the transpose (cNMF spectra: components × genes; usages: cells × components). */
  transposed: boolean;
  /** How the kind and orientation were decided, for messages. */
  reason: string;
  warnings: string[];
}

function isNumericText(text: string): boolean {
  const t = text.trim();
  return t.length > 0 && Number.isFinite(Number(t)) && !/^0[xbo]/i.test(t);
}

/**
 * Whether a table has a header row and a row-name column, from its first two records: a header
 * has a non-numeric cell after the first, an empty first cell, or one field fewer than the data
 * (R); row names are non-numeric first cells of the data.
 */
export function sniffLayout(records: string[][]): { header: boolean; rowNames: boolean } {
  if (records.length === 0) return { header: false, rowNames: false };
  const [first, second] = records;
  const header =
    first.slice(1).some((f) => !isNumericText(f)) ||
    first[0].trim() === '' ||
    (second !== undefined && first.length === second.length - 1) ||
    (second === undefined && !isNumericText(first[0]));
  const data = header ? records.slice(1) : records;
  // An empty corner over a column as wide as the data labels an index column (pandas writes
  // numeric component labels there, as in cNMF's spectra files).
  const emptyCorner =
    header && first[0].trim() === '' && second !== undefined && first.length === second.length;
  const rowNames =
    emptyCorner ||
    (data.length > 0 ? data.some((r) => !isNumericText(r[0] ?? '')) : !isNumericText(first[0]));
  return { header, rowNames };
}

async function sniffTable(
  path: string,
): Promise<{ delimiter: Delimiter; delimiterLine: boolean; records: string[][] }> {
  const head = await readHead(path, 1 << 16);
  const lines = contentLines(head.text, 5);
  const named = namedDelimiter(path, head.text);
  const delimiter: Delimiter =
    named ??
    (extname(path.replace(/\.gz$/i, '')).toLowerCase() === '.csv'
      ? detectCsvDelimiter(lines)
      : detectTxtDelimiter(lines));
  const records = lines.slice(0, 3).map((line) => {
    const fields = splitQuoted(line, delimiter) ?? [line];
    return delimiter === ';' ? fields.map(decimalPoint) : fields;
  });
  return { delimiter, delimiterLine: named !== null, records };
}

interface Orientation {
  kind: 'W' | 'H';
  transposed: boolean;
  reason: string;
}

function matchFraction(names: readonly string[] | null, reference: ReadonlySet<string>): number {
  if (names === null || names.length === 0 || reference.size === 0) return 0;
  let hits = 0;
  for (const name of names) if (reference.has(name)) hits++;
  return hits / names.length;
}

function decideOrientation(
  path: string,
  rows: number,
  cols: number,
  rowNames: string[] | null,
  colNames: string[] | null,
  corner: string | null,
  options: ReadFactorsOptions,
): Orientation {
  const allowed = (kind: 'W' | 'H'): boolean => options.kind === undefined || options.kind === kind;
  // 1. Names shared with the dataset.
  const candidates: (Orientation & { score: number })[] = [];
  if (options.featureNames && allowed('W')) {
    const set = new Set(options.featureNames);
    candidates.push({
      kind: 'W',
      transposed: false,
      score: matchFraction(rowNames, set),
      reason: 'row names match the features',
    });
    candidates.push({
      kind: 'W',
      transposed: true,
      score: matchFraction(colNames, set),
      reason: 'column names match the features',
    });
  }
  if (options.sampleNames && allowed('H')) {
    const set = new Set(options.sampleNames);
    candidates.push({
      kind: 'H',
      transposed: false,
      score: matchFraction(colNames, set),
      reason: 'column names match the samples',
    });
    candidates.push({
      kind: 'H',
      transposed: true,
      score: matchFraction(rowNames, set),
      reason: 'row names match the samples',
    });
  }
  const best = candidates.sort((a, b) => b.score - a.score)[0];
  if (best !== undefined && best.score >= 0.5) return best;
  // 2. The header cell `fit` writes.
  const label = (corner ?? '').trim().toLowerCase();
  if (label === 'feature' && allowed('W'))
    return { kind: 'W', transposed: false, reason: 'header starts with "feature"' };
  if (label === 'component' && allowed('H'))
    return { kind: 'H', transposed: false, reason: 'header starts with "component"' };
  // 3. File names of cNMF and of W/H files.
  const name = basename(path).toLowerCase();
  if (name.includes('spectra') && allowed('W')) {
    return { kind: 'W', transposed: true, reason: 'cNMF spectra file (components × genes)' };
  }
  if (name.includes('usage') && allowed('H')) {
    return { kind: 'H', transposed: true, reason: 'cNMF usage file (cells × components)' };
  }
  const byName = /^([wh])(?![a-z])/.exec(name)?.[1];
  // 4. Shape: components are the short dimension.
  const kind = options.kind ?? (byName === 'w' ? 'W' : byName === 'h' ? 'H' : rows >= cols ? 'W' : 'H');
  const expected = kind === 'W' ? options.featureNames?.length : options.sampleNames?.length;
  if (expected !== undefined && expected !== rows && expected === cols) {
    return {
      kind,
      transposed: kind === 'W',
      reason: `its ${cols} columns match the dataset's ${kind === 'W' ? 'features' : 'samples'}`,
    };
  }
  const tall = rows >= cols;
  return {
    kind,
    transposed: kind === 'W' ? !tall : tall,
    reason: `${byName !== undefined || options.kind ? `read as ${kind}` : 'shape'}; components taken as the shorter dimension`,
  };
}

/**
 * Reads a W or H factor: files written by `fit` (W.tsv, H.tsv), scikit-learn / R matrices saved as
 * text with or without names, cNMF spectra (components × genes) and usages (cells × components).
 * Which factor, and whether it is stored transposed, is decided by (1) names shared with the
 * dataset's features or samples when given, (2) the header cell `feature` / `component`, (3) the
 * file name (`spectra`, `usage`, `W…`, `H…`), (4) the shape (components are the short side).
 * When the file's names are a permutation of the dataset's, rows (W) or columns (H) are put in the
 * dataset's order. Values must be non-negative.
 */
export async function readFactorsTsv(path: string, options: ReadFactorsOptions = {}): Promise<ReadFactor> {
  const { delimiter, delimiterLine, records } = await sniffTable(path);
  if (records.length === 0) throw importError({ file: path }, 'is empty');
  const layout = sniffLayout(records);
  // The header names components or samples (the orientation is decided below, after the read).
  const table = await readDelimitedMatrix(path, {
    delimiter,
    delimiterLine,
    ...layout,
    layout: 'dense',
    columnKind: null,
  });
  const matrix = table.matrix as DenseMatrix;
  const orientation = decideOrientation(
    path,
    matrix.rows,
    matrix.cols,
    table.rowNames,
    table.colNames,
    table.corner,
    options,
  );
  const warnings: string[] = [];
  const stored = orientation.transposed ? transposeDense(matrix) : matrix;
  const fileRows = orientation.transposed ? table.colNames : table.rowNames;
  const fileCols = orientation.transposed ? table.rowNames : table.colNames;
  let names = orientation.kind === 'W' ? fileRows : fileCols;
  let components =
    (orientation.kind === 'W' ? fileCols : fileRows) ??
    componentNames(orientation.kind === 'W' ? stored.cols : stored.rows);
  components = components.slice();
  let result = stored;
  const reference = orientation.kind === 'W' ? options.featureNames : options.sampleNames;
  const what = orientation.kind === 'W' ? 'features' : 'samples';
  const count = orientation.kind === 'W' ? stored.rows : stored.cols;
  if (reference !== undefined) {
    if (reference.length !== count) {
      throw importError(
        { file: path },
        `holds ${count} ${what}, but the dataset has ${reference.length} (read as ${orientation.kind}: ${orientation.reason})`,
      );
    }
    if (names !== null) {
      // Tables NMF Studio exported carry the quote that neutralises spreadsheet formulas
      // (`'=HYPERLINK(…)`): such a name matches the dataset's without it.
      const referenceSet = new Set(reference);
      const matchable = names.map((name) => (referenceSet.has(name) ? name : restoreNeutralised(name)));
      const order = permutationTo(matchable, reference);
      if (order === null) {
        const mismatch = nameMismatch(matchable, reference);
        // Names that are partly the dataset's cannot be placed: keeping the file's order would
        // pair rows with the wrong features. Names that are none of the dataset's (an index
        // written by NumPy or pandas) leave the order as the only link, kept with a warning.
        if (mismatch !== null) {
          throw importError(
            { file: path },
            `the ${what.slice(0, -1)} names do not match the dataset's (read as ${orientation.kind}: ${orientation.reason}): ${mismatch}`,
          );
        }
        warnings.push(`the ${what.slice(0, -1)} names differ from the dataset's; the file's order was kept`);
      } else if (order.some((from, to) => from !== to)) {
        result = orientation.kind === 'W' ? takeRows(stored, order) : takeCols(stored, order);
        names = reference.slice();
        warnings.push(`${what} were reordered to match the dataset`);
      }
    }
  }
  return {
    kind: orientation.kind,
    matrix: result,
    names,
    componentNames: components,
    transposed: orientation.transposed,
    reason: orientation.reason,
    warnings,
  };
}

/** Up to three names, quoted, and an ellipsis for more. */
function someNames(names: readonly string[]): string {
  const shown = names.slice(0, 3).map((n) => quoteValue(n));
  return `${shown.join(', ')}${names.length > 3 ? ', …' : ''}`;
}

/**
 * What keeps `names` from being a permutation of `reference` when some of them are reference
 * names: those that are not, those listed twice, those of the reference left out. Null when none
 * of `names` is a reference name.
 */
function nameMismatch(names: readonly string[], reference: readonly string[]): string | null {
  const known = new Set(reference);
  const seen = new Set<string>();
  const unknown: string[] = [];
  const repeated: string[] = [];
  for (const name of names) {
    if (!known.has(name)) unknown.push(name);
    else if (seen.has(name)) repeated.push(name);
    seen.add(name);
  }
  if (unknown.length === names.length) return null;
  const missing = reference.filter((name) => !seen.has(name));
  const parts: string[] = [];
  if (unknown.length > 0) parts.push(`${unknown.length} not in the dataset (${someNames(unknown)})`);
  if (repeated.length > 0) parts.push(`${repeated.length} listed twice (${someNames(repeated)})`);
  if (missing.length > 0) parts.push(`${missing.length} of the dataset's missing (${someNames(missing)})`);
  return parts.join('; ');
}

/** For each reference name, the index of the same name in `names`; null unless a permutation. */
function permutationTo(names: readonly string[], reference: readonly string[]): number[] | null {
  if (names.length !== reference.length) return null;
  const where = new Map<string, number>();
  names.forEach((name, i) => where.set(name, i));
  if (where.size !== names.length) return null;
  const order: number[] = [];
  for (const name of reference) {
    const i = where.get(name);
    if (i === undefined) return null;
    order.push(i);
  }
  return order;
}

function takeRows(m: DenseMatrix, order: number[]): DenseMatrix {
  const out = new Float64Array(m.rows * m.cols);
  order.forEach((from, to) => out.set(m.data.subarray(from * m.cols, (from + 1) * m.cols), to * m.cols));
  return dense(m.rows, m.cols, out);
}

function takeCols(m: DenseMatrix, order: number[]): DenseMatrix {
  const out = new Float64Array(m.rows * m.cols);
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < m.cols; j++) out[i * m.cols + j] = m.data[i * m.cols + order[j]];
  }
  return dense(m.rows, m.cols, out);
}
