/**
 * The lines of a Matrix Market file before its entries: the banner and the size line, parsed and
 * checked against what the file can hold. Shared by the reader (mtx.ts) and the preview (inspect.ts).
 */
import { MAX_DENSE_VALUES, MAX_DIMENSION, MAX_NNZ } from './assemble';
import { importError, quoteValue } from './errors';

export interface MatrixMarketHeader {
  layout: 'coordinate' | 'array';
  field: 'real' | 'integer' | 'pattern';
  symmetry: 'general' | 'symmetric';
  rows: number;
  cols: number;
  /** Entries declared on the size line (coordinate), rows·cols or the triangle (array). */
  entries: number;
  /** 1-based line of the size line. */
  sizeLine: number;
}

/** Parses the banner line; refuses complex, hermitian and skew-symmetric matrices. */
export function parseBanner(
  file: string,
  text: string,
): Pick<MatrixMarketHeader, 'layout' | 'field' | 'symmetry'> {
  const tokens = text.trim().toLowerCase().split(/\s+/);
  if (tokens[0] !== '%%matrixmarket' || tokens[1] !== 'matrix' || tokens.length < 5) {
    throw importError(
      { file, line: 1, value: text },
      `${quoteValue(text)} is not a Matrix Market banner (expected "%%MatrixMarket matrix coordinate real general")`,
    );
  }
  const [, , layout, field, symmetry] = tokens;
  if (layout !== 'coordinate' && layout !== 'array') {
    throw importError(
      { file, line: 1, value: layout },
      `unsupported Matrix Market format ${quoteValue(layout)}`,
    );
  }
  const fields: Record<string, MatrixMarketHeader['field']> = {
    real: 'real',
    double: 'real',
    integer: 'integer',
    pattern: 'pattern',
  };
  const kind = fields[field];
  if (kind === undefined) {
    throw importError(
      { file, line: 1, value: field },
      `unsupported Matrix Market field ${quoteValue(field)} (real, integer or pattern)`,
    );
  }
  if (symmetry !== 'general' && symmetry !== 'symmetric') {
    const why = symmetry === 'skew-symmetric' ? ': it implies negative entries' : '';
    throw importError(
      { file, line: 1, value: symmetry },
      `unsupported Matrix Market symmetry ${quoteValue(symmetry)}${why} (general or symmetric)`,
    );
  }
  if (kind === 'pattern' && layout === 'array') {
    throw importError({ file, line: 1 }, 'a pattern matrix must use the coordinate format');
  }
  return { layout, field: kind, symmetry };
}

/**
 * Rows and columns a coordinate file may declare beyond its entries: rows + columns may not exceed
 * FREE_DIMENSIONS + 2 · entries. Every row and column costs memory (its slot in the CSR row
 * pointers, its name) whatever the file holds, so a 70-byte file must not declare 200 million
 * rows; a real matrix has at most a few empty rows or columns per entry (10x raw matrices, with
 * most barcodes empty, have well over one entry per barcode).
 */
export const FREE_DIMENSIONS = 1 << 21;

/**
 * Parses the size line (`line`, 1-based) after `banner`, checked against the bytes of the file
 * (see sizeLineProblem).
 */
export function parseSizeLine(
  file: string,
  line: number,
  b: Pick<MatrixMarketHeader, 'layout' | 'field' | 'symmetry'>,
  text: string,
  fileBytes: number,
  fileCompressed: boolean,
): MatrixMarketHeader {
  const tokens = text.trim().split(/\s+/);
  const want = b.layout === 'coordinate' ? 3 : 2;
  const numbers = tokens.map((t) => (/^\d+$/.test(t) ? Number(t) : NaN));
  if (tokens.length !== want || numbers.some((n) => !Number.isSafeInteger(n))) {
    throw importError(
      { file, line, value: text },
      `${quoteValue(text)} is not a size line (expected ${want === 3 ? 'rows, columns and entries' : 'rows and columns'})`,
    );
  }
  const [rows, cols] = numbers;
  if (b.symmetry === 'symmetric' && rows !== cols) {
    throw importError({ file, line }, `a symmetric matrix must be square, not ${rows} × ${cols}`);
  }
  const entries = declaredEntries(b, rows, cols, numbers[2]);
  const problem = sizeLineProblem(b, rows, cols, entries, fileBytes, fileCompressed);
  if (problem !== null) {
    throw importError({ file, line, value: text.trim() }, `${quoteValue(text.trim())} ${problem}`);
  }
  return { ...b, rows, cols, entries, sizeLine: line };
}

/** Entries a size line declares: its third number (coordinate), else the values an array lists. */
export function declaredEntries(
  b: Pick<MatrixMarketHeader, 'layout' | 'symmetry'>,
  rows: number,
  cols: number,
  third: number | undefined,
): number {
  if (b.layout === 'coordinate') return third ?? 0;
  return b.symmetry === 'symmetric' ? (rows * (rows + 1)) / 2 : rows * cols;
}

/**
 * Why a size line cannot be believed, or null: dimensions beyond MAX_DIMENSION, more entries than
 * the file's bytes can hold (shortest lines: "i j\n" for pattern, "i j v\n", "v\n" in arrays;
 * not checked for .gz files, whose entry count is checked once read), and for coordinate files
 * more rows and columns than FREE_DIMENSIONS + 2 · entries. Shared by the reader and the preview.
 */
export function sizeLineProblem(
  b: Pick<MatrixMarketHeader, 'layout' | 'field'>,
  rows: number,
  cols: number,
  entries: number,
  fileBytes: number,
  compressed: boolean,
): string | null {
  if (rows === 0 || cols === 0) return 'declares an empty matrix';
  if (rows > MAX_DIMENSION || cols > MAX_DIMENSION) {
    return `declares ${rows} × ${cols}: at most ${MAX_DIMENSION} rows or columns are accepted`;
  }
  const shortest = b.layout === 'array' ? 2 : b.field === 'pattern' ? 4 : 6;
  if (!compressed && entries * shortest > fileBytes) {
    return `declares ${entries} ${b.layout === 'array' ? 'values' : 'entries'}, more than the file's ${fileBytes} bytes can hold`;
  }
  if (b.layout === 'coordinate') {
    if (entries > MAX_NNZ) return `declares ${entries} entries, more than ${MAX_NNZ} can be held`;
    if (rows + cols > FREE_DIMENSIONS + 2 * entries) {
      return `declares ${rows} × ${cols} for only ${entries} entries: rows + columns may not exceed ${FREE_DIMENSIONS} + 2 × entries`;
    }
  } else if (rows * cols > MAX_DENSE_VALUES) {
    return `declares ${rows} × ${cols} values, more than the ${MAX_DENSE_VALUES} a dense matrix can hold`;
  }
  return null;
}
