import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { MAX_DIMENSION, transposeMatrix } from './assemble';
import { read10xH5, readH5ad } from './anndata';
import { readDelimitedMatrix } from './delimited';
import { importError, quoteValue } from './errors';
import type { EntryNames } from './mtx';
import { readMatrixMarket } from './mtx';
import { readNpy } from './npy';
import { contentLines, detectDelimiter, namedDelimiter, readHead } from './sniff';
import { fileSize, openByteSource } from './source';
import { TextDecoding } from './text';
import type { Delimiter } from './tokenize';
import type { DataMatrix } from '../../shared/linalg/matrix';
import type { ImportedMatrix, MatrixFormat, ReadOptions } from './types';
import { MATRIX_FORMATS } from './types';

const EXTENSIONS: Record<string, MatrixFormat> = {
  tsv: 'tsv',
  tab: 'tsv',
  csv: 'csv',
  txt: 'txt',
  mtx: 'mtx',
  npy: 'npy',
  h5ad: 'h5ad',
  h5: '10x-h5',
  hdf5: '10x-h5',
};

/** Format from the file name: `.tsv .csv .txt .mtx` (each optionally `.gz`), `.npy`, `.h5ad`, `.h5`. */
export function formatFromPath(path: string): MatrixFormat | null {
  const name = basename(path).toLowerCase().replace(/\.gz$/, '');
  const dot = name.lastIndexOf('.');
  if (dot < 0) return null;
  return EXTENSIONS[name.slice(dot + 1)] ?? null;
}

export function resolveFormat(path: string, format: MatrixFormat | undefined): MatrixFormat {
  if (format !== undefined) {
    if (!MATRIX_FORMATS.includes(format)) {
      throw importError(
        { file: path, value: String(format) },
        `unknown format ${quoteValue(String(format))}`,
      );
    }
    return format;
  }
  const detected = formatFromPath(path);
  if (detected === null) {
    throw importError(
      { file: path },
      `has an unrecognised extension; use .tsv, .csv, .txt, .mtx (optionally .gz), .npy, .h5ad or .h5, or give the format`,
    );
  }
  return detected;
}

/**
 * Delimiter for a delimited format: the one a first line `sep=…` names (Excel's delimiter line,
 * see namedDelimiter), else tab for `.tsv`; `.csv` and `.txt` files are sniffed from their first
 * lines (see detectCsvDelimiter, detectTxtDelimiter).
 */
export async function delimiterFor(
  path: string,
  format: 'tsv' | 'csv' | 'txt',
): Promise<{ delimiter: Delimiter; delimiterLine: boolean }> {
  const head = await readHead(path, 1 << 16);
  const named = namedDelimiter(path, head.text);
  if (named !== null) return { delimiter: named, delimiterLine: true };
  return { delimiter: detectDelimiter(format, contentLines(head.text, 5)), delimiterLine: false };
}

/**
 * Refuses a folder given as the matrix, naming the matrix file inside it when there is one (a 10x
 * `filtered_feature_bc_matrix/` folder is the usual case). Without this a folder was refused for
 * its name: "has an unrecognised extension".
 */
export async function refuseFolder(path: string): Promise<void> {
  let folder: boolean;
  try {
    folder = (await stat(path)).isDirectory();
  } catch {
    return; // A missing path is refused where it is read, with the system's reason.
  }
  if (!folder) return;
  const entries = await readdir(path).catch(() => [] as string[]);
  const matrix = entries.filter((name) => /matrix\.mtx(\.gz)?$/i.test(name)).sort()[0];
  throw importError(
    { file: path },
    matrix === undefined
      ? 'is a folder, not a matrix file'
      : `is a folder: give the matrix file in it, ${matrix} (its features and barcodes files are read beside it)`,
  );
}

/** `prefix` + numbers 1..n. */
export function generatedNames(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
}

function duplicateWarning(names: string[], what: string): string | null {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) repeated.add(name);
    else seen.add(name);
  }
  if (repeated.size === 0) return null;
  const examples = [...repeated]
    .slice(0, 3)
    .map((n) => `"${n}"`)
    .join(', ');
  return `${repeated.size} ${what} names occur more than once (${examples}${repeated.size > 3 ? ', …' : ''})`;
}

/** Longest line of a names file (10x features/barcodes) accepted, in characters. */
const MAX_NAME_LINE = 1 << 20;

/**
 * Lines of a names file (optionally gzipped), blank trailing lines dropped. Read line by line: at
 * most MAX_DIMENSION lines of at most MAX_NAME_LINE characters, so a file without line breaks or a
 * decompression bomb is refused instead of being gathered into one string.
 */
export async function readTextLines(path: string): Promise<string[]> {
  const source = await openByteSource(path);
  const decoder = new TextDecoding();
  const lines: string[] = [];
  let tail = '';
  const take = (text: string, final: boolean): void => {
    let pos = 0;
    for (;;) {
      const nl = text.indexOf('\n', pos);
      if (nl < 0) break;
      const line = pos === 0 ? tail + text.slice(0, nl) : text.slice(pos, nl);
      if (pos === 0) tail = '';
      lines.push(line.endsWith('\r') ? line.slice(0, -1) : line);
      pos = nl + 1;
    }
    tail = pos === 0 ? tail + text : text.slice(pos);
    if (final && tail.length > 0) lines.push(tail.endsWith('\r') ? tail.slice(0, -1) : tail);
    if (tail.length > MAX_NAME_LINE) {
      throw importError(
        { file: path, line: lines.length + 1 },
        `is longer than ${MAX_NAME_LINE} characters (no line break)`,
      );
    }
    if (lines.length > MAX_DIMENSION) {
      throw importError(
        { file: path },
        `has more than ${MAX_DIMENSION} lines, more names than a matrix may have`,
      );
    }
  };
  try {
    for await (const chunk of source.chunks) take(decoder.write(chunk), false);
    take(decoder.end(), true);
  } finally {
    source.close();
  }
  if (lines.length > 0) lines[0] = lines[0].replace(/^\uFEFF/, '');
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** 10x companion files of `[prefix]matrix.mtx[.gz]`: `[prefix]features.tsv` (or genes.tsv) and barcodes. */
export async function findTenXCompanions(
  path: string,
): Promise<{ features: string | null; barcodes: string | null }> {
  const name = basename(path);
  const match = /^(.*)matrix\.mtx(\.gz)?$/i.exec(name);
  if (match === null) return { features: null, barcodes: null };
  const prefix = match[1];
  let entries: string[];
  try {
    entries = await readdir(dirname(path));
  } catch {
    return { features: null, barcodes: null };
  }
  const find = (stems: string[]): string | null => {
    for (const stem of stems) {
      for (const candidate of [`${prefix}${stem}.tsv`, `${prefix}${stem}.tsv.gz`]) {
        if (entries.includes(candidate)) return join(dirname(path), candidate);
      }
    }
    return null;
  };
  return { features: find(['features', 'genes']), barcodes: find(['barcodes']) };
}

/** Names from a 10x features/genes file: the symbol (second column) when present, else the id. */
function featureNamesFrom(lines: string[]): string[] {
  return lines.map((line) => {
    const fields = line.split('\t');
    return fields.length > 1 && fields[1].length > 0 ? fields[1] : fields[0];
  });
}

/**
 * Warnings for rows and columns without a single non-zero value (zeros and missing values only):
 * NMF gives them zero loadings, and a sample without counts gets an arbitrary component in the
 * consensus, so a researcher usually filters them out first. A matrix without any non-zero value
 * has nothing to factor at all.
 */
function zeroWarnings(matrix: DataMatrix, nnz: number, rowNames: string[], colNames: string[]): string[] {
  if (nnz === 0) return ['every value is zero or missing: there is nothing to factor'];
  const rowHit = new Uint8Array(matrix.rows);
  const colHit = new Uint8Array(matrix.cols);
  if (matrix.kind === 'dense') {
    for (let i = 0; i < matrix.rows; i++) {
      const base = i * matrix.cols;
      for (let j = 0; j < matrix.cols; j++) {
        // NaN (missing) compares false, as zero does.
        if (matrix.data[base + j] > 0) {
          rowHit[i] = 1;
          colHit[j] = 1;
        }
      }
    }
  } else {
    for (let i = 0; i < matrix.rows; i++) {
      for (let k = matrix.indptr[i]; k < matrix.indptr[i + 1]; k++) {
        if (matrix.data[k] > 0) {
          rowHit[i] = 1;
          colHit[matrix.indices[k]] = 1;
        }
      }
    }
  }
  const warnings: string[] = [];
  for (const [hit, names, one, many] of [
    [rowHit, rowNames, 'row (feature) holds', 'rows (features) hold'],
    [colHit, colNames, 'column (sample) holds', 'columns (samples) hold'],
  ] as const) {
    const empty: string[] = [];
    let count = 0;
    for (let k = 0; k < hit.length; k++) {
      if (hit[k] === 1) continue;
      count++;
      if (empty.length < 3) empty.push(quoteValue(names[k]));
    }
    if (count > 0) {
      warnings.push(
        `${count} ${count === 1 ? one : many} no non-zero value (${empty.join(', ')}${count > 3 ? ', …' : ''}): NMF gives ${count === 1 ? 'it' : 'them'} zero loadings`,
      );
    }
  }
  return warnings;
}

/**
 * Reads a matrix file into V (features × samples).
 *
 * Format: from `options.format`, else the extension (`.tsv .csv .txt .mtx`, each optionally
 * `.gz`; `.npy`; `.h5ad`; `.h5` as 10x). Gzip is recognised by content, whatever the name.
 *
 * Orientation: each format's reader returns features × samples by its convention — tables and
 * .npy as stored; Matrix Market as stored (10x writes genes × cells), or transposed when its
 * companion files show it is cells × genes; 10x .h5 as genes × cells; AnnData transposed from
 * its stored cells × genes. `transpose: true` swaps rows and columns of that result, so the same
 * option means the same thing for every format: "my file is the other way round". The result's
 * `transposed` tells whether it differs from the stored layout, and `warnings` says so whenever a
 * reader transposed on its own.
 *
 * Layout: CSR for sparse sources (coordinate .mtx, sparse AnnData, 10x) and for delimited tables
 * with fewer than 30 % stored entries (SPARSE_DENSITY); dense otherwise. A sparse source is never
 * expanded to dense.
 *
 * Refusals are `ImportError`s naming file, line / row, column and value. Cancelling through
 * `signal` rejects with the signal's reason. Nothing is written anywhere.
 */
export async function readMatrixFile(path: string, options: ReadOptions = {}): Promise<ImportedMatrix> {
  await refuseFolder(path);
  const format = resolveFormat(path, options.format);
  const flip = options.transpose === true;
  const { signal, onProgress } = options;
  signal?.throwIfAborted();
  const totalBytes = await fileSize(path);
  const warnings: string[] = [];
  let result: Omit<ImportedMatrix, 'warnings' | 'format' | 'rowNames' | 'colNames'> & {
    rowNames: string[] | null;
    colNames: string[] | null;
  };

  if (format === 'tsv' || format === 'csv' || format === 'txt') {
    if (totalBytes === 0) throw importError({ file: path }, 'is empty');
    const { delimiter, delimiterLine } = await delimiterFor(path, format);
    const table = await readDelimitedMatrix(path, {
      delimiter,
      delimiterLine,
      header: options.header ?? true,
      rowNames: options.rowNames ?? true,
      columnKind: flip ? 'feature' : 'sample',
      signal,
      onProgress,
    });
    warnings.push(...table.warnings);
    const matrix = flip ? transposeMatrix(table.matrix) : table.matrix;
    result = {
      matrix,
      rowNames: flip ? table.colNames : table.rowNames,
      colNames: flip ? table.rowNames : table.colNames,
      transposed: flip,
      missing: table.missing,
      nnz: table.nnz,
    };
    if (delimiter === ';') {
      warnings.push('read as semicolon-separated, decimal commas as points (1,5 = 1.5)');
    } else if (format === 'txt' && delimiter !== '\t') {
      warnings.push(`read as ${delimiter === ',' ? 'comma' : 'whitespace'}-separated`);
    }
  } else if (format === 'mtx') {
    const companions = await findTenXCompanions(path);
    const features =
      companions.features === null ? null : featureNamesFrom(await readTextLines(companions.features));
    const barcodes =
      companions.barcodes === null
        ? null
        : (await readTextLines(companions.barcodes)).map((l) => l.split('\t')[0]);
    // Orientation is decided from the size line, as the reader reaches it, so that the file is
    // read once and the matrix built once.
    let cellsByGenes = false;
    const orient = (size: { rows: number; cols: number }): boolean => {
      if (features !== null && features.length !== size.rows && features.length === size.cols) {
        if (barcodes === null || barcodes.length === size.rows) cellsByGenes = true;
      }
      return cellsByGenes !== flip;
    };
    // Refusals name an entry's gene and barcode: the features file names the stored rows, or the
    // stored columns of a cells × genes file (orient has decided which by the time this is asked).
    const names = (): EntryNames => {
      const rowsAreSamples = cellsByGenes !== flip;
      return {
        rows: cellsByGenes ? barcodes : features,
        cols: cellsByGenes ? features : barcodes,
        rowKind: rowsAreSamples ? 'sample' : 'feature',
        colKind: rowsAreSamples ? 'feature' : 'sample',
      };
    };
    const mm = await readMatrixMarket(path, { transpose: orient, names, signal, onProgress });
    const storedTranspose = cellsByGenes !== flip;
    const h = mm.header;
    let featureRows = features;
    let barcodeCols = barcodes;
    const storedRows = cellsByGenes ? h.cols : h.rows;
    const storedCols = cellsByGenes ? h.rows : h.cols;
    if (featureRows !== null && featureRows.length !== storedRows) {
      throw importError(
        { file: companions.features ?? path },
        `has ${featureRows.length} names, expected ${storedRows} (the rows of ${basename(path)})`,
      );
    }
    if (barcodeCols !== null && barcodeCols.length !== storedCols) {
      throw importError(
        { file: companions.barcodes ?? path },
        `has ${barcodeCols.length} names, expected ${storedCols} (the columns of ${basename(path)})`,
      );
    }
    if (cellsByGenes) {
      warnings.push(
        `${basename(path)} is cells × genes (its ${h.rows} rows match the barcodes): it was transposed so that rows are genes`,
      );
    }
    if (features !== null) warnings.push(`feature names from ${basename(companions.features ?? '')}`);
    if (flip) [featureRows, barcodeCols] = [barcodeCols, featureRows];
    result = {
      matrix: mm.matrix,
      rowNames: featureRows,
      colNames: barcodeCols,
      transposed: storedTranspose,
      missing: mm.missing,
      nnz: mm.nnz,
    };
  } else if (format === 'npy') {
    const npy = await readNpy(path, { transpose: flip, signal, onProgress });
    result = {
      matrix: npy.matrix,
      rowNames: null,
      colNames: null,
      transposed: flip,
      missing: npy.missing,
      nnz: npy.nnz,
    };
  } else {
    const hdf =
      format === 'h5ad'
        ? await readH5ad(path, { transpose: flip, signal, onProgress })
        : await read10xH5(path, { transpose: flip, signal, onProgress });
    warnings.push(...hdf.warnings);
    let missing = 0;
    let nnz = 0;
    for (let k = 0; k < hdf.matrix.data.length; k++) {
      const v = hdf.matrix.data[k];
      if (v !== v) missing++;
      else if (v !== 0) nnz++;
    }
    const { featureTable, ...read } = hdf;
    result = {
      ...read,
      missing,
      nnz,
      ...(featureTable === undefined
        ? {}
        : { featureTable: { ...featureTable, axis: flip ? ('samples' as const) : ('features' as const) } }),
    };
  }

  const { matrix } = result;
  const rowNames = result.rowNames ?? generatedNames('feature', matrix.rows);
  const colNames = result.colNames ?? generatedNames('sample', matrix.cols);
  for (const [names, what] of [
    [rowNames, 'row'],
    [colNames, 'column'],
  ] as const) {
    const warning = duplicateWarning(names, what);
    if (warning !== null) warnings.push(warning);
    // An empty name cannot be looked up by annotations, markers or exported tables.
    let empty = 0;
    for (const name of names) if (name.trim() === '') empty++;
    if (empty > 0) warnings.push(`${empty} ${what} ${empty === 1 ? 'name is' : 'names are'} empty`);
  }
  if (result.missing > 0) warnings.push(`${result.missing} missing values (empty, NA or NaN)`);
  warnings.push(...zeroWarnings(matrix, result.nnz, rowNames, colNames));
  onProgress?.({ bytesRead: totalBytes, totalBytes, phase: 'done' });
  return { ...result, rowNames, colNames, format, warnings };
}
