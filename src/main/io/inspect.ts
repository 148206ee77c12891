import { basename } from 'node:path';
import { annDataLayout, annDataNames, tenXGroup, tenXShape } from './anndata';
import { sniffLayout } from './factors';
import type { HdfReadContext } from './hdf5';
import { hdf5Failure, isDataset, openHdf5 } from './hdf5';
import { importError, quoteValue } from './errors';
import { declaredEntries, parseBanner, sizeLineProblem } from './mtx';
import { readNpyHeader } from './npy';
import { findTenXCompanions, refuseFolder, resolveFormat } from './read';
import { contentLines, detectDelimiter, isDelimiterRecord, namedDelimiter, readHead } from './sniff';
import { fileSize, openForReading } from './source';
import type { Delimiter } from './tokenize';
import { BIOM_CORNER, RecordSplitter } from './tokenize';
import { decimalPoint } from './values';
import { isEmptyRecord, isTaxonomyColumn, trailingEmptyFields } from './delimited';
import type { InspectOptions, MatrixPreview } from './types';

const BARCODE = /^[ACGTN]{8,}([-_.]\d+)?$|[ACGT]{12,}/;
const ENSEMBL = /^ENS[A-Z]*G\d{6,}(\.\d+)?$/;
const GENE_PREFIX = /^(MT-|mt-|RP[LS]\d|Rp[ls]\d|HLA-|H2-)/;
const COMMON_GENES = new Set(
  'ACTB GAPDH MALAT1 B2M TMSB4X EEF1A1 FTL FTH1 TPT1 CD3E CD4 CD8A CD14 CD19 MS4A1 LYZ NKG7 GNLY PTPRC ALB INS VIM KRT18 KRT8 XIST HBB HBA1 HBA2 TOP2A MKI67 SOX2 PAX6 GFAP OLIG2 TP53 MYC EGFR Actb Gapdh Malat1 B2m Xist Vim Ptprc'.split(
    ' ',
  ),
);

function fraction(names: readonly string[], test: (name: string) => boolean): number {
  if (names.length === 0) return 0;
  return names.filter(test).length / names.length;
}

const looksLikeBarcodes = (names: readonly string[]): boolean =>
  fraction(names, (n) => BARCODE.test(n)) >= 0.5;
const looksLikeGenes = (names: readonly string[]): boolean =>
  fraction(names, (n) => ENSEMBL.test(n) || GENE_PREFIX.test(n) || COMMON_GENES.has(n)) >= 0.5 ||
  (names.length >= 3 && fraction(names, (n) => ENSEMBL.test(n) || COMMON_GENES.has(n)) >= 0.2);

/**
 * Orientation hints from names and shape. `rowNames`/`colNames` are those of the rows and columns
 * the import will produce by default.
 */
function orientationHints(
  rowNames: string[],
  colNames: string[],
  rows: number | null,
  cols: number | null,
): string[] {
  const hints: string[] = [];
  if (looksLikeBarcodes(rowNames)) {
    hints.push(
      'Row names look like cell barcodes: rows are probably cells. NMF Studio expects features × samples (genes × cells), so import with transpose.',
    );
  } else if (looksLikeGenes(colNames)) {
    hints.push(
      'Column names look like genes: rows are probably samples or cells. NMF Studio expects features × samples, so import with transpose.',
    );
  } else if (looksLikeGenes(rowNames)) {
    hints.push('Row names look like genes: rows are features, as NMF Studio expects.');
  } else if (looksLikeBarcodes(colNames)) {
    hints.push('Column names look like cell barcodes: columns are cells, as NMF Studio expects.');
  }
  if (rows !== null && cols !== null && cols >= 1000 && rows * 10 < cols && hints.length === 0) {
    hints.push(
      `There are far more columns (${cols}) than rows (about ${rows}). Expression tables usually have genes as rows; if the rows are samples, import with transpose (spike counts with time bins as columns are fine as they are).`,
    );
  }
  return hints;
}

function valueHints(cells: string[][]): string[] {
  const hints: string[] = [];
  const values = cells
    .flat()
    .filter((c) => c.trim() !== '')
    .map((c) => Number(c.trim()))
    .filter((v) => Number.isFinite(v));
  if (values.some((v) => v < 0)) {
    hints.push(
      'Some values are negative: NMF needs non-negative data (z-scores or log-ratios cannot be factored).',
    );
  }
  return hints;
}

/**
 * A quick look at a matrix file without reading all of it: format, delimiter, whether a header row
 * and row names seem present, the top-left corner as text, the size (rows estimated from the bytes
 * of big text files, exact otherwise) and orientation hints as sentences.
 */
export async function inspectMatrixFile(path: string, options: InspectOptions = {}): Promise<MatrixPreview> {
  const maxRows = options.maxRows ?? 20;
  const maxCols = options.maxCols ?? 20;
  await refuseFolder(path);
  const format = resolveFormat(path, undefined);
  const fileBytes = await fileSize(path);
  const base = {
    fileName: basename(path),
    format,
    fileBytes,
    compressed: false,
    delimiter: null,
    hasHeader: false,
    hasRowNames: false,
    rowNames: [] as string[],
    colNames: [] as string[],
    cells: [] as string[][],
    estimatedRows: null,
    estimatedCols: null,
    rowsExact: false,
    nnz: null,
    dtype: null,
    transposedByDefault: false,
    hints: [] as string[],
  } satisfies MatrixPreview;
  if (format === 'tsv' || format === 'csv' || format === 'txt')
    return inspectDelimited(path, format, base, maxRows, maxCols);
  if (format === 'mtx') return inspectMtx(path, base, maxRows, maxCols);
  if (format === 'npy') return inspectNpy(path, base, maxRows, maxCols);
  return inspectHdf5(path, base, maxRows, maxCols);
}

async function inspectDelimited(
  path: string,
  format: 'tsv' | 'csv' | 'txt',
  base: MatrixPreview,
  maxRows: number,
  maxCols: number,
): Promise<MatrixPreview> {
  if (base.fileBytes === 0) throw importError({ file: path }, 'is empty');
  const head = await readHead(path, 1 << 18);
  const named = namedDelimiter(path, head.text);
  const delimiter: Delimiter = named ?? detectDelimiter(format, contentLines(head.text, 5));
  const records: string[][] = [];
  // Lines of nothing but delimiters are left out, as the reader leaves them out, and so is Excel's
  // delimiter line.
  const splitter = new RecordSplitter(path, delimiter, (fields, line) => {
    if (named !== null && line === 1 && isDelimiterRecord(fields)) return;
    if (!isEmptyRecord(fields)) records.push(fields);
  });
  splitter.push(head.text);
  if (head.complete) splitter.end();
  // Values as the reader sees them (decimal commas of semicolon-separated tables as points).
  const valueRecords = delimiter === ';' ? records.map((r) => r.map(decimalPoint)) : records;
  const layout = sniffLayout(valueRecords.slice(0, 3));
  const { header } = layout;
  // A BIOM header labels the first column as OTU ids, even when the ids are numbers.
  const biom = header && records[0][0] === BIOM_CORNER;
  const rowNames = layout.rowNames || biom;
  const data = header ? records.slice(1) : records;
  const width = data.length > 0 ? data[0].length : (records[0]?.length ?? 0);
  const trailing = header && data.length > 0 ? trailingEmptyFields(records[0], data[0], rowNames ? 1 : 0) : 0;
  const taxonomy =
    trailing === 0 && header && data.length > 0 && isTaxonomyColumn(records[0], data[0], delimiter);
  // Last columns left out of the import: empty ones the header does not name, or text.
  const dropped = trailing > 0 ? trailing : taxonomy ? 1 : 0;
  const cols = Math.max(0, width - (rowNames ? 1 : 0) - dropped);
  let estimatedRows = data.length;
  let exact = head.complete;
  if (!head.complete && splitter.line > 0) {
    // Bytes per line from the head, times the (decompressed) size of the file.
    const decodedTotal = head.compressed ? await gzipDecodedSize(path, head) : base.fileBytes;
    estimatedRows = Math.round((decodedTotal / head.bytesDecoded) * splitter.line) - (header ? 1 : 0);
    exact = false;
  }
  // The header labels the row names when as wide as the data, or when the lines end with delimiters.
  const labelled = records[0]?.length === width || trailing > 0;
  // Names left out with their columns: taxonomy, or the empty names over trailing fields.
  const unnamed = taxonomy ? 1 : trailing > 0 && records[0].length === width ? trailing : 0;
  const colNames = header
    ? records[0].slice(labelled ? (rowNames ? 1 : 0) : 0, unnamed > 0 ? -unnamed : undefined)
    : [];
  const shownRows = records.slice(0, maxRows + (header ? 1 : 0));
  const cells = shownRows.map((r) => r.slice(0, maxCols + (rowNames ? 1 : 0)));
  const names = rowNames ? data.slice(0, maxRows).map((r) => r[0]) : [];
  const hints = [
    ...orientationHints(names, colNames.slice(0, maxCols), estimatedRows, cols),
    ...valueHints(
      (header ? valueRecords.slice(1) : valueRecords)
        .slice(0, maxRows)
        .map((r) => r.slice(rowNames ? 1 : 0, dropped > 0 ? -dropped : undefined)),
    ),
  ];
  if (delimiter === ';') {
    hints.push('Semicolon-separated: decimal commas are read as points (1,5 = 1.5).');
  }
  if (taxonomy) {
    hints.push(
      `The last column, ${records[0][records[0].length - 1]}, holds text: it will be left out of the import.`,
    );
  }
  if (trailing > 0) {
    hints.push(
      trailing === 1
        ? 'The lines end with a delimiter: the empty last column will be left out of the import.'
        : `The lines end with delimiters: the ${trailing} empty last columns will be left out of the import.`,
    );
  }
  if (!header) hints.push('No header row detected: columns will be named sample1, sample2, …');
  if (head.compressed && !exact) hints.push('The row count is estimated from the compressed size.');
  return {
    ...base,
    compressed: head.compressed,
    delimiter: delimiter === 'whitespace' ? ' ' : delimiter,
    hasHeader: header,
    hasRowNames: rowNames,
    rowNames: names,
    colNames: colNames.slice(0, maxCols),
    cells,
    estimatedRows,
    estimatedCols: cols,
    rowsExact: exact,
    hints,
  };
}

/**
 * Decompressed size of a gzip file: the ISIZE trailer (size mod 2³²) when plausible, else the
 * compression ratio seen in the head.
 */
async function gzipDecodedSize(
  path: string,
  head: { bytesDecoded: number; bytesConsumed: number },
): Promise<number> {
  const size = await fileSize(path);
  const handle = await openForReading(path);
  try {
    const tail = Buffer.alloc(4);
    await handle.read(tail, 0, 4, size - 4);
    const isize = tail.readUInt32LE(0);
    if (isize >= head.bytesDecoded && isize >= size) return isize;
  } finally {
    await handle.close();
  }
  return (size * head.bytesDecoded) / Math.max(1, head.bytesConsumed);
}

function grid(rowNames: string[], colNames: string[], value: (i: number, j: number) => string): string[][] {
  const cells = [['', ...colNames]];
  rowNames.forEach((name, i) => cells.push([name, ...colNames.map((_, j) => value(i, j))]));
  return cells;
}

async function inspectMtx(
  path: string,
  base: MatrixPreview,
  maxRows: number,
  maxCols: number,
): Promise<MatrixPreview> {
  if (base.fileBytes === 0) throw importError({ file: path }, 'is empty');
  const head = await readHead(path, 1 << 16);
  const lines = head.text.split('\n').map((l) => l.replace(/\r$/, ''));
  let sizeIndex = 1;
  while (sizeIndex < lines.length && (lines[sizeIndex].startsWith('%') || lines[sizeIndex].trim() === ''))
    sizeIndex++;
  const size = (lines[sizeIndex] ?? '').trim().split(/\s+/).map(Number);
  if (size.length < 2 || size.some((n) => !Number.isInteger(n))) {
    throw importError({ file: path, line: sizeIndex + 1 }, 'has no size line after the banner');
  }
  const [rows, cols, nnz] = size;
  const banner = parseBanner(path, lines[0] ?? '');
  const problem = sizeLineProblem(
    banner,
    rows,
    cols,
    declaredEntries(banner, rows, cols, nnz),
    base.fileBytes,
    head.compressed,
  );
  if (problem !== null) {
    const text = lines[sizeIndex].trim();
    throw importError({ file: path, line: sizeIndex + 1, value: text }, `${quoteValue(text)} ${problem}`);
  }
  const companions = await findTenXCompanions(path);
  const firstNames = async (file: string | null, column: number, limit: number): Promise<string[]> => {
    if (file === null) return [];
    const text = (await readHead(file, 1 << 16)).text;
    return contentLines(text, limit).map((l) => {
      const f = l.split('\t');
      return f[column] !== undefined && f[column] !== '' ? f[column] : f[0];
    });
  };
  const rowNames = await firstNames(companions.features, 1, maxRows);
  const colNames = await firstNames(companions.barcodes, 0, maxCols);
  const shownRows =
    rowNames.length > 0 ? rowNames : Array.from({ length: Math.min(rows, maxRows) }, (_, i) => String(i + 1));
  const shownCols =
    colNames.length > 0 ? colNames : Array.from({ length: Math.min(cols, maxCols) }, (_, j) => String(j + 1));
  // Entries from the head that fall in the corner; others are unknown until the file is read.
  const known = new Map<string, string>();
  for (const line of lines.slice(sizeIndex + 1)) {
    const [i, j, v] = line.trim().split(/\s+/);
    if (Number(i) <= shownRows.length && Number(j) <= shownCols.length)
      known.set(`${Number(i) - 1},${Number(j) - 1}`, v ?? '1');
  }
  const hints = orientationHints(rowNames, colNames, rows, cols);
  if (companions.features !== null) hints.push(`Feature names from ${basename(companions.features)}.`);
  if (companions.barcodes !== null) hints.push(`Column names from ${basename(companions.barcodes)}.`);
  return {
    ...base,
    compressed: head.compressed,
    hasHeader: colNames.length > 0,
    hasRowNames: rowNames.length > 0,
    rowNames,
    colNames,
    cells: grid(shownRows, shownCols, (i, j) => known.get(`${i},${j}`) ?? ''),
    estimatedRows: rows,
    estimatedCols: cols,
    rowsExact: true,
    nnz: nnz ?? rows * cols,
    hints,
  };
}

async function inspectNpy(
  path: string,
  base: MatrixPreview,
  maxRows: number,
  maxCols: number,
): Promise<MatrixPreview> {
  const header = await readNpyHeader(path);
  const [rows, cols] = header.shape;
  const r = Math.min(rows, maxRows);
  const c = Math.min(cols, maxCols);
  const values: string[][] = Array.from({ length: r }, () => new Array<string>(c).fill(''));
  const handle = await openForReading(path);
  try {
    // One read per shown row (C order) or column (Fortran order).
    const outer = header.fortranOrder ? c : r;
    const inner = header.fortranOrder ? r : c;
    const buf = Buffer.alloc(inner * header.itemSize);
    for (let a = 0; a < outer; a++) {
      const first = header.fortranOrder ? a * rows : a * cols;
      await handle.read(buf, 0, buf.length, header.dataOffset + first * header.itemSize);
      const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
      for (let b = 0; b < inner; b++) {
        const text = npyElementText(view, b * header.itemSize, header);
        if (header.fortranOrder) values[b][a] = text;
        else values[a][b] = text;
      }
    }
  } finally {
    await handle.close();
  }
  const names = (n: number, p: string): string[] => Array.from({ length: n }, (_, i) => `${p}${i + 1}`);
  return {
    ...base,
    cells: grid(names(r, 'row'), names(c, 'col'), (i, j) => values[i][j]),
    estimatedRows: rows,
    estimatedCols: cols,
    rowsExact: true,
    dtype: header.descr,
    hints: [...orientationHints([], [], rows, cols), ...valueHints(values)],
  };
}

function npyElementText(
  view: DataView,
  offset: number,
  h: { kind: string; itemSize: number; littleEndian: boolean },
): string {
  const le = h.littleEndian;
  switch (`${h.kind}${h.itemSize}`) {
    case 'f8':
      return String(view.getFloat64(offset, le));
    case 'f4':
      return String(view.getFloat32(offset, le));
    case 'i8':
      return String(view.getBigInt64(offset, le));
    case 'u8':
      return String(view.getBigUint64(offset, le));
    case 'i4':
      return String(view.getInt32(offset, le));
    case 'u4':
      return String(view.getUint32(offset, le));
    case 'i2':
      return String(view.getInt16(offset, le));
    case 'u2':
      return String(view.getUint16(offset, le));
    case 'i1':
      return String(view.getInt8(offset));
    case 'f2':
      return `0x${view.getUint16(offset, le).toString(16)}`;
    default:
      return String(view.getUint8(offset));
  }
}

async function inspectHdf5(
  path: string,
  base: MatrixPreview,
  maxRows: number,
  maxCols: number,
): Promise<MatrixPreview> {
  const f = await openHdf5(path);
  const ctx: HdfReadContext = { file: path, totalBytes: base.fileBytes };
  const warnings: string[] = [];
  try {
    if (base.format === 'h5ad') {
      const layout = annDataLayout(f, path);
      const [nObs, nVars] = layout.shape;
      const r = Math.min(nObs, maxRows);
      const c = Math.min(nVars, maxCols);
      // Never more names than X has rows or columns, whatever the names dataset holds.
      const obs = (annDataNames(f, 'obs', ctx, warnings, r) ?? []).slice(0, r);
      const vars = (annDataNames(f, 'var', ctx, warnings, c) ?? []).slice(0, c);
      const corner = readCorner(f, '/X', layout.kind, r, c);
      const rowLabels = obs.length > 0 ? obs : Array.from({ length: r }, (_, i) => `obs${i + 1}`);
      const colLabels = vars.length > 0 ? vars : Array.from({ length: c }, (_, j) => `var${j + 1}`);
      return {
        ...base,
        hasHeader: vars.length > 0,
        hasRowNames: obs.length > 0,
        rowNames: obs,
        colNames: vars,
        cells: grid(rowLabels, colLabels, (i, j) => corner[i][j]),
        estimatedRows: nObs,
        estimatedCols: nVars,
        rowsExact: true,
        nnz: layout.nnz,
        dtype: layout.dtype,
        transposedByDefault: true,
        hints: [
          `AnnData stores cells × genes (${nObs} × ${nVars}); it will be imported transposed, as genes × cells.`,
          ...valueHints(corner),
          ...warnings,
        ],
      };
    }
    const { group, path: groupPath, v3 } = tenXGroup(f, path);
    const [genes, cells] = tenXShape(group, groupPath, path);
    const names = (candidates: string[], limit: number): string[] => {
      for (const name of candidates) {
        const ds = group.get(name);
        if (isDataset(ds)) {
          const value = ds.slice([[0, Math.min(limit, ds.shape?.[0] ?? 0)]]);
          return Array.isArray(value) ? value.map(String) : [];
        }
      }
      return [];
    };
    const r = Math.min(genes, maxRows);
    const c = Math.min(cells, maxCols);
    const features = names(v3 ? ['features/name', 'features/id'] : ['gene_names', 'genes'], r);
    const barcodes = names(['barcodes'], c);
    const corner = readCorner(f, groupPath, 'csc', r, c);
    const data = group.get('data');
    return {
      ...base,
      hasHeader: barcodes.length > 0,
      hasRowNames: features.length > 0,
      rowNames: features,
      colNames: barcodes,
      cells: grid(
        features.length > 0 ? features : Array.from({ length: r }, (_, i) => `feature${i + 1}`),
        barcodes.length > 0 ? barcodes : Array.from({ length: c }, (_, j) => `barcode${j + 1}`),
        (i, j) => corner[i][j],
      ),
      estimatedRows: genes,
      estimatedCols: cells,
      rowsExact: true,
      nnz: isDataset(data) ? (data.shape?.[0] ?? null) : null,
      dtype: isDataset(data) ? String(data.dtype) : null,
      hints: [`10x matrix: genes × cells (${genes} × ${cells}), as NMF Studio expects.`],
    };
  } catch (error) {
    throw hdf5Failure(path, error);
  } finally {
    f.close();
  }
}

/** Top-left r × c values of a dense or compressed matrix stored at `path`, as text. */
function readCorner(
  f: Awaited<ReturnType<typeof openHdf5>>,
  path: string,
  kind: 'dense' | 'csr' | 'csc',
  r: number,
  c: number,
): string[][] {
  const out: string[][] = Array.from({ length: r }, () => new Array<string>(c).fill('0'));
  if (r === 0 || c === 0) return out;
  if (kind === 'dense') {
    const ds = f.get(path);
    if (!isDataset(ds)) return out;
    // Only the corner is read, whatever the declared shape.
    const value = ds.slice([
      [0, r],
      [0, c],
    ]);
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      const arr = value as unknown as ArrayLike<number | bigint>;
      for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[i][j] = String(arr[i * c + j]);
    }
    return out;
  }
  const indptrDs = f.get(`${path}/indptr`);
  const indicesDs = f.get(`${path}/indices`);
  const dataDs = f.get(`${path}/data`);
  if (!isDataset(indptrDs) || !isDataset(indicesDs) || !isDataset(dataDs)) return out;
  const majors = kind === 'csr' ? r : c;
  const ptr = Array.from(indptrDs.slice([[0, majors + 1]]) as unknown as ArrayLike<number | bigint>, Number);
  // The entries of the first rows or columns, at most 2²⁰ of them whatever indptr claims.
  const end = Math.min(Number(ptr[majors] ?? 0), 1 << 20);
  if (!(end > 0)) return out;
  if (end === 0) return out;
  const idx = Array.from(indicesDs.slice([[0, end]]) as unknown as ArrayLike<number | bigint>, Number);
  const val = Array.from(dataDs.slice([[0, end]]) as unknown as ArrayLike<number | bigint>, (v) => String(v));
  for (let a = 0; a < majors; a++) {
    for (let k = ptr[a]; k < Math.min(ptr[a + 1], end); k++) {
      const b = idx[k];
      const [i, j] = kind === 'csr' ? [a, b] : [b, a];
      if (i < r && j < c) out[i][j] = val[k];
    }
  }
  return out;
}
