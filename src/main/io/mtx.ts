import type { DataMatrix } from '../../shared/linalg/matrix';
import { dense } from '../../shared/linalg/matrix';
import { canonicalizeCsr, countEntries, MAX_NNZ } from './assemble';
import type { ImportErrorLocation, NameKind } from './errors';
import { ImportError, importError, ProblemCollector, quoteValue, valueDetail } from './errors';
import { openByteSource } from './source';
import type { ReadProgress } from './types';
import { parseCell } from './values';
import type { MatrixMarketHeader } from './mtx-header';
import { parseBanner, parseSizeLine } from './mtx-header';

export type { MatrixMarketHeader } from './mtx-header';
export { declaredEntries, FREE_DIMENSIONS, parseBanner, sizeLineProblem } from './mtx-header';

export interface MatrixMarketResult {
  matrix: DataMatrix;
  header: MatrixMarketHeader;
  missing: number;
  nnz: number;
}

const SPACE = 32;
const TAB = 9;
const CR = 13;
const LF = 10;
const PERCENT = 37;

/**
 * Coordinate entries kept in memory during the first pass (16 bytes each: row, column, value) so
 * that the file is read and, for .mtx.gz, decompressed only once. Beyond this the file is read a
 * second time instead (see readMatrixMarket). 2²³ entries keep the buffer at 128 MiB: at 2²⁵ a
 * 20-million-entry file imported in 1.6 s instead of 3.0–3.4 s but peaked at 624 MiB of RSS
 * instead of ~345 MiB (for a 229 MiB matrix), and large single-cell tables matter more for memory.
 */
export const BUFFERED_ENTRIES = 1 << 23;

/**
 * Longest line accepted, in bytes (1 MiB). Entry lines take a few dozen bytes and comments rarely
 * more than a few hundred; a longer line (a file without line breaks, a decompression bomb) is
 * refused instead of being gathered in memory.
 */
export const MAX_MTX_LINE = 1 << 20;

/** Values per block while an array file is read (8 MiB of float64). */
const ARRAY_BLOCK = 1 << 20;

/** A value as an `integer` field writes it: digits, with an optional sign. */
const INTEGER_TEXT = /^[+-]?\d+$/;

export interface MatrixMarketOptions {
  /**
   * Store entry (i, j) at (j, i). A function is asked once the size line is read, so that the
   * orientation can depend on the shape without reading the head of the file separately.
   */
  transpose: boolean | ((size: { rows: number; cols: number }) => boolean);
  /** Coordinate entries buffered for a single pass; default BUFFERED_ENTRIES. */
  bufferedEntries?: number;
  /**
   * Names of the stored rows and columns (1-based index − 1) and what they stand for, so that a
   * refusal names the gene and the barcode of a bad entry; asked once the size line is read.
   */
  names?: (size: { rows: number; cols: number }) => EntryNames;
  signal?: AbortSignal;
  onProgress?: (p: ReadProgress) => void;
}

/** Names of a file's stored rows and columns, for refusals (null: the file has none). */
export interface EntryNames {
  rows: string[] | null;
  cols: string[] | null;
  rowKind: NameKind;
  colKind: NameKind;
}

/** An index as written, its digits cut after 20 (the bounds have at most 10). */
function indexText(digits: string): string {
  return digits.length <= 20 ? digits : `${digits.slice(0, 20)}… (${digits.length} digits)`;
}

/**
 * Streams a Matrix Market file into CSR (coordinate) or dense (array) storage.
 *
 * Coordinate files are read once when the declared entries fit BUFFERED_ENTRIES: the pass
 * validates every entry, counts the non-zeros of each row and keeps the entries as coordinates,
 * which are then scattered into the final CSR arrays. Larger files are read twice instead, because
 * CSR needs every row's count before any entry can be placed and the entries are not in row order
 * (10x files are sorted by column): the first pass validates and counts, the second re-reads (and
 * for .gz re-decompresses) the file and scatters straight into the CSR arrays, so memory stays the
 * result itself (12 bytes per entry) instead of 28 (a one-pass in-place permutation of
 * column-sorted 10x files was several times slower). Array files are read once, into a dense
 * matrix. Duplicates are summed, explicit zeros dropped.
 */
export async function readMatrixMarket(
  path: string,
  options: MatrixMarketOptions,
): Promise<MatrixMarketResult> {
  const file = path;
  const { signal, onProgress } = options;
  const bufferLimit = options.bufferedEntries ?? BUFFERED_ENTRIES;
  // Settled by startEntries once the size line is read.
  let transpose = options.transpose === true;
  let line = 0;
  let banner: Pick<MatrixMarketHeader, 'layout' | 'field' | 'symmetry'> | null = null;
  let header: MatrixMarketHeader | null = null;

  // Coordinate storage: per-row counts in the first pass, then the CSR arrays.
  let counting = true;
  let indptr: Int32Array<ArrayBufferLike> = new Int32Array(0);
  let next = new Int32Array(0);
  let indices: Int32Array<ArrayBufferLike> = new Int32Array(0);
  let data: Float64Array<ArrayBufferLike> = new Float64Array(0);
  let read = 0;
  // Entries kept by a single-pass read (null when the file is read twice).
  let cooRows: Int32Array | null = null;
  let cooCols = new Int32Array(0);
  let cooData = new Float64Array(0);
  let buffered = 0;
  // Array storage: values in file order (column by column), in blocks allocated as values arrive,
  // so that memory follows the values present, not the size line.
  const arrayBlocks: Float64Array[] = [];
  let arrayPos = 0;
  // The file being read, for checks of the size line against the bytes present.
  let fileBytes = 0;
  let fileCompressed = false;
  let arrayRow = 0;
  let arrayCol = 0;
  // Entry lines that cannot be stored (a bad value, an index out of range) are collected, not
  // thrown, so that the refusal lists them all; see ProblemCollector.
  const problems = new ProblemCollector(file);
  let entryNames: EntryNames | null = null;
  /** Where stored entry (i, j) (1-based) of `line` is, with its row and column names if known. */
  const entryPlace = (i: number, j: number, value: string): ImportErrorLocation => {
    const place: ImportErrorLocation = { file, line, row: i, column: j, value };
    const names = entryNames;
    if (names !== null) {
      const rowName = names.rows?.[i - 1];
      const colName = names.cols?.[j - 1];
      if (rowName !== undefined) {
        place.rowName = rowName;
        place.rowKind = names.rowKind;
      }
      if (colName !== undefined) {
        place.columnName = colName;
        place.columnKind = names.colKind;
      }
    }
    return place;
  };

  const startEntries = (h: MatrixMarketHeader): void => {
    const t = options.transpose;
    transpose = typeof t === 'function' ? t({ rows: h.rows, cols: h.cols }) : t;
    entryNames = options.names?.({ rows: h.rows, cols: h.cols }) ?? null;
    if (h.layout === 'coordinate' && counting) {
      indptr = new Int32Array(new SharedArrayBuffer(4 * ((transpose ? h.cols : h.rows) + 1)));
      if (h.entries <= bufferLimit) {
        // Grown as entries arrive (see growBuffer): a size line is a claim, the entries are the data.
        const initial = Math.min(h.entries, 1 << 16);
        cooRows = new Int32Array(initial);
        cooCols = new Int32Array(initial);
        cooData = new Float64Array(initial);
      }
    }
  };

  /** Doubles the single-pass entry buffer, up to the declared entries. */
  const growBuffer = (declared: number): void => {
    const old = cooRows as Int32Array;
    const capacity = Math.min(declared, Math.max(1024, old.length * 2));
    const rowsBuf = new Int32Array(capacity);
    rowsBuf.set(old);
    cooRows = rowsBuf;
    const colsBuf = new Int32Array(capacity);
    colsBuf.set(cooCols);
    cooCols = colsBuf;
    const dataBuf = new Float64Array(capacity);
    dataBuf.set(cooData);
    cooData = dataBuf;
  };

  /** Refusal of the token at [from, to) of the current line. */
  const tokenError = (buf: Buffer, from: number, what: string): ImportError => {
    let to = from;
    while (to < buf.length && buf[to] !== SPACE && buf[to] !== TAB && buf[to] !== CR && buf[to] !== LF) to++;
    const token = buf.toString('latin1', from, to);
    if (token.length === 0) return importError({ file, line }, `expected ${what}, found the end of the line`);
    return importError({ file, line, value: token }, `${quoteValue(token)} is not ${what}`);
  };

  /** Parses entries in buf[start, end), where end is just past a line break (or the buffer end). */
  const parseEntries = (buf: Buffer, start: number, end: number): void => {
    const h = header as MatrixMarketHeader;
    const pattern = h.field === 'pattern';
    const coordinate = h.layout === 'coordinate';
    const symmetric = h.symmetry === 'symmetric';
    let p = start;
    /** Records a problem of the current line and moves past it. */
    const skipLine = (): void => {
      while (p < end && buf[p] !== LF) p++;
      p++;
    };
    while (p < end) {
      line++;
      while (p < end && (buf[p] === SPACE || buf[p] === TAB)) p++;
      if (p >= end || buf[p] === LF || buf[p] === CR || buf[p] === PERCENT) {
        while (p < end && buf[p] !== LF) p++;
        p++;
        continue;
      }
      let i = 0;
      let j = 0;
      if (coordinate) {
        const rowStart = p;
        while (p < end && buf[p] >= 48 && buf[p] <= 57) i = i * 10 + (buf[p++] - 48);
        const rowEnd = p;
        if (p === rowStart || (p < end && buf[p] !== SPACE && buf[p] !== TAB)) {
          problems.addError(tokenError(buf, rowStart, 'a row index'));
          skipLine();
          continue;
        }
        while (p < end && (buf[p] === SPACE || buf[p] === TAB)) p++;
        const colStart = p;
        while (p < end && buf[p] >= 48 && buf[p] <= 57) j = j * 10 + (buf[p++] - 48);
        const after = p < end ? buf[p] : LF;
        if (p === colStart || (after !== SPACE && after !== TAB && after !== CR && after !== LF)) {
          problems.addError(tokenError(buf, colStart, 'a column index'));
          skipLine();
          continue;
        }
        // Indices are quoted as written: one of twenty digits is not exact as a number.
        if (i < 1 || i > h.rows) {
          const text = indexText(buf.toString('latin1', rowStart, rowEnd));
          problems.add(
            { file, line, value: text },
            () => `row index ${text} is outside 1..${h.rows} (line ${h.sizeLine})`,
          );
          skipLine();
          continue;
        }
        if (j < 1 || j > h.cols) {
          const text = indexText(buf.toString('latin1', colStart, p));
          problems.add(
            { file, line, value: text },
            () => `column index ${text} is outside 1..${h.cols} (line ${h.sizeLine})`,
          );
          skipLine();
          continue;
        }
        while (p < end && (buf[p] === SPACE || buf[p] === TAB)) p++;
        // A real or integer entry holds a value after its indices; without one (a line cut short,
        // a value left out) it is refused, not read as a missing value.
        if (!pattern && (p >= end || buf[p] === CR || buf[p] === LF)) {
          problems.add(
            entryPlace(i, j, ''),
            () =>
              `has no value: the banner declares ${h.field} values, so an entry holds row, column and value`,
          );
          skipLine();
          continue;
        }
      }
      let v = 1;
      if (!pattern) {
        const q = p;
        let digits = 0;
        v = 0;
        while (p < end && buf[p] >= 48 && buf[p] <= 57) {
          v = v * 10 + (buf[p++] - 48);
          digits++;
        }
        const c = p < end ? buf[p] : LF;
        // Integers of up to 15 digits are exact in this loop; anything else goes through parseCell.
        if (digits === 0 || digits > 15 || !(c === SPACE || c === TAB || c === CR || c === LF)) {
          while (p < end && buf[p] !== SPACE && buf[p] !== TAB && buf[p] !== CR && buf[p] !== LF) p++;
          const text = buf.toString('latin1', q, p);
          v = parseCell(text);
          // An `integer` field holds whole numbers written as digits (the Matrix Market format's
          // definition; scipy's reader refuses anything else): `1.5`, `1e3`, `2.0` or `NaN` there
          // mean the banner is wrong about the data, so the count model's assumptions would be too.
          if (h.field === 'integer' && !(v < 0) && !INTEGER_TEXT.test(text)) {
            const where = coordinate ? entryPlace(i, j, text) : entryPlace(arrayRow + 1, arrayCol + 1, text);
            problems.add(
              where,
              () => `${quoteValue(text)} is not a whole number: the banner declares integer values`,
            );
            v = 0;
          } else if (v < 0) {
            const code = v;
            const where = coordinate ? entryPlace(i, j, text) : entryPlace(arrayRow + 1, arrayCol + 1, text);
            problems.add(where, () => valueDetail(text, code));
            // Stored as zero: the read goes on only to find further problems, and is refused.
            v = 0;
          }
        }
      }
      while (p < end && (buf[p] === SPACE || buf[p] === TAB || buf[p] === CR)) p++;
      if (p < end && buf[p] !== LF) {
        problems.add({ file, line }, () => 'has more fields than an entry holds');
        skipLine();
        continue;
      }
      p++;
      if (coordinate) {
        read++;
        if (read > h.entries) {
          throw importError(
            { file, line },
            `more entries than the ${h.entries} declared on line ${h.sizeLine}`,
          );
        }
        if (v !== 0) {
          const r = transpose ? j - 1 : i - 1;
          const cIdx = transpose ? i - 1 : j - 1;
          const mirrored = symmetric && i !== j;
          if (counting) {
            indptr[r + 1]++;
            if (mirrored) indptr[cIdx + 1]++;
            if (cooRows !== null) {
              if (buffered === cooRows.length) growBuffer(h.entries);
              cooRows[buffered] = r;
              cooCols[buffered] = cIdx;
              cooData[buffered++] = v;
            }
          } else {
            let d = next[r]++;
            indices[d] = cIdx;
            data[d] = v;
            if (mirrored) {
              d = next[cIdx]++;
              indices[d] = r;
              data[d] = v;
            }
          }
        }
      } else {
        if (arrayPos >= h.entries) {
          throw importError(
            { file, line },
            `more values than the ${h.entries} of a ${h.rows} × ${h.cols} matrix`,
          );
        }
        // Array files list values column by column (only the lower triangle when symmetric).
        const slot = arrayPos % ARRAY_BLOCK;
        if (slot === 0) arrayBlocks.push(new Float64Array(Math.min(ARRAY_BLOCK, h.entries - arrayPos)));
        arrayBlocks[arrayBlocks.length - 1][slot] = v;
        arrayPos++;
        arrayRow++;
        if (arrayRow >= h.rows) {
          arrayCol++;
          arrayRow = symmetric ? arrayCol : 0;
        }
      }
    }
  };

  /** Handles the lines before the entries (banner, comments, size line) in buf[start, end). */
  const parsePreamble = (buf: Buffer, start: number, end: number): number => {
    let p = start;
    while (p < end && header === null) {
      let nl = buf.indexOf(LF, p);
      if (nl < 0 || nl >= end) nl = end;
      const text = buf.toString('utf8', p, nl).replace(/\r$/, '');
      line++;
      p = nl + 1;
      if (banner === null) {
        banner = parseBanner(file, text.replace(/^\uFEFF/, ''));
        continue;
      }
      if (text.startsWith('%') || text.trim().length === 0) continue;
      header = parseSizeLine(file, line, banner, text, fileBytes, fileCompressed);
      startEntries(header);
    }
    return p;
  };

  const consume = (buf: Buffer, end: number): void => {
    let p = 0;
    if (header === null) p = parsePreamble(buf, 0, end);
    if (header !== null && p < end) parseEntries(buf, p, end);
  };
  /**
   * One pass over the file; progress spans [from, from + share) of the file size. A file read in
   * a single pass (array, or coordinate entries buffered) covers the whole range.
   */
  const runPass = async (from: number, coordinateShare: number): Promise<number> => {
    const source = await openByteSource(path);
    const report = (): void => {
      signal?.throwIfAborted();
      const b = banner as MatrixMarketHeader | null;
      const single = b !== null && (b.layout === 'array' || (cooRows as Int32Array | null) !== null);
      const share = single ? 1 : coordinateShare;
      onProgress?.({
        bytesRead: Math.round(
          source.totalBytes * (from + (share * source.bytesRead()) / Math.max(1, source.totalBytes)),
        ),
        totalBytes: source.totalBytes,
        phase: 'reading',
      });
    };
    fileBytes = source.totalBytes;
    fileCompressed = source.compressed;
    let leftover: Buffer | null = null;
    try {
      report();
      for await (const chunk of source.chunks) {
        const buf: Buffer = leftover === null ? chunk : Buffer.concat([leftover, chunk]);
        const lastBreak = buf.lastIndexOf(LF);
        if (lastBreak < 0) {
          if (buf.length > MAX_MTX_LINE) {
            throw importError(
              { file, line: line + 1 },
              `is longer than ${MAX_MTX_LINE} bytes (no line break): not a Matrix Market file`,
            );
          }
          leftover = buf;
          continue;
        }
        consume(buf, lastBreak + 1);
        leftover = lastBreak + 1 < buf.length ? Buffer.from(buf.subarray(lastBreak + 1)) : null;
        report();
      }
      if (leftover !== null && leftover.length > 0) {
        const last = Buffer.concat([leftover, Buffer.from('\n')]);
        consume(last, last.length);
      }
    } finally {
      source.close();
    }
    return source.totalBytes;
  };

  let totalBytes: number;
  try {
    totalBytes = await runPass(0, 0.5);
  } catch (error) {
    // A refusal that stops the read comes after the problems already found, in the same list.
    if (error instanceof ImportError && problems.count > 0) {
      problems.addError(error);
      throw problems.refusal();
    }
    throw error;
  }
  problems.throwIfAny();
  const h = header as MatrixMarketHeader | null;
  if (banner === null) throw importError({ file }, 'is empty');
  if (h === null) throw importError({ file }, 'has no size line after the banner');
  const rows = transpose ? h.cols : h.rows;
  const cols = transpose ? h.rows : h.cols;
  if (h.layout === 'array') {
    onProgress?.({ bytesRead: totalBytes, totalBytes, phase: 'assembling' });
    if (arrayPos < h.entries) {
      throw importError(
        { file },
        `has ${arrayPos} values, but line ${h.sizeLine} declares a ${h.rows} × ${h.cols} matrix`,
      );
    }
    const matrix = dense(rows, cols, arrayValues(h, transpose, arrayBlocks));
    return { matrix, header: h, ...countEntries(matrix) };
  }
  if (read < h.entries) {
    throw importError({ file }, `has ${read} entries, but line ${h.sizeLine} declares ${h.entries}`);
  }
  // Row counts become offsets; the buffered entries, or the second pass, fill each row from its offset on.
  for (let r = 0; r < rows; r++) indptr[r + 1] += indptr[r];
  const stored = indptr[rows];
  if (stored > MAX_NNZ) {
    throw importError(
      { file, line: h.sizeLine },
      `has ${stored} non-zero entries, more than ${MAX_NNZ} can be held`,
    );
  }
  // Shared memory, as the HDF5 readers' output is: `fit FILE` hands these very arrays to the fit
  // instead of reading the stored copy back beside them (cli/common.ts leaseImported).
  indices = new Int32Array(new SharedArrayBuffer(4 * stored));
  data = new Float64Array(new SharedArrayBuffer(8 * stored));
  next = indptr.slice(0, rows);
  const coo = cooRows as Int32Array | null;
  if (coo !== null) {
    const symmetric = h.symmetry === 'symmetric';
    for (let k = 0; k < buffered; k++) {
      const r = coo[k];
      const c = cooCols[k];
      const v = cooData[k];
      let d = next[r]++;
      indices[d] = c;
      data[d] = v;
      if (symmetric && r !== c) {
        d = next[c]++;
        indices[d] = r;
        data[d] = v;
      }
    }
    cooRows = null;
    cooCols = new Int32Array(0);
    cooData = new Float64Array(0);
  } else {
    counting = false;
    line = 0;
    read = 0;
    banner = null;
    header = null;
    totalBytes = await runPass(0.5, 0.5);
  }
  onProgress?.({ bytesRead: totalBytes, totalBytes, phase: 'assembling' });
  const matrix = canonicalizeCsr({ kind: 'csr', rows, cols, indptr, indices, data });
  return { matrix, header: h, ...countEntries(matrix) };
}

/**
 * The dense matrix of an array file from its values in file order (column by column; the lower
 * triangle only when symmetric), stored transposed when asked. Blocks are dropped as they are
 * placed.
 */
function arrayValues(h: MatrixMarketHeader, transpose: boolean, blocks: Float64Array[]): Float64Array {
  const out = new Float64Array(h.rows * h.cols);
  const cols = transpose ? h.rows : h.cols;
  const symmetric = h.symmetry === 'symmetric';
  let r = 0;
  let c = 0;
  for (let b = 0; b < blocks.length; b++) {
    const block = blocks[b];
    for (let t = 0; t < block.length; t++) {
      const v = block[t];
      if (transpose) out[c * cols + r] = v;
      else out[r * cols + c] = v;
      if (symmetric && r !== c) {
        if (transpose) out[r * cols + c] = v;
        else out[c * cols + r] = v;
      }
      r++;
      if (r >= h.rows) {
        c++;
        r = symmetric ? c : 0;
      }
    }
    blocks[b] = new Float64Array(0);
  }
  return out;
}
