import type { DenseMatrix } from '../../shared/linalg/matrix';
import { dense } from '../../shared/linalg/matrix';
import { MAX_DENSE_VALUES, MAX_DIMENSION } from './assemble';
import { importError, quoteValue, valueError } from './errors';
import { compressedRefusal, fileSize, openForReading, yieldToEventLoop } from './source';
import type { ReadProgress } from './types';
import { checkValue } from './values';

export interface NpyHeader {
  /** NumPy dtype string as written (`<f8`, `|u1` …). */
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the data. */
  dataOffset: number;
  /** Bytes per element. */
  itemSize: number;
  kind: 'f' | 'i' | 'u' | 'b';
  littleEndian: boolean;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/**
 * Longest header accepted, in bytes: NumPy's own default `max_header_size` (numpy/lib/format.py,
 * `_MAX_HEADER_SIZE = 10000`), beyond which `np.load` refuses a file unless told to trust it.
 * NumPy writes a 2-D numeric array's header in 118 bytes (padded to 64-byte alignment).
 */
export const MAX_NPY_HEADER = 10000;

/**
 * Reads and checks the header of a .npy file (format versions 1, 2 and 3): the header length
 * against MAX_NPY_HEADER and the file size before anything is allocated, then the shape against
 * MAX_DIMENSION and the data bytes the file holds.
 */
export async function readNpyHeader(path: string): Promise<NpyHeader> {
  const file = path;
  const size = await fileSize(path);
  if (size === 0) throw importError({ file }, 'is empty');
  const handle = await openForReading(path);
  let header: NpyHeader;
  try {
    const pre = Buffer.alloc(12);
    const { bytesRead } = await handle.read(pre, 0, 12, 0);
    if (bytesRead >= 2 && pre[0] === 0x1f && pre[1] === 0x8b) throw compressedRefusal(file);
    if (bytesRead < 10 || MAGIC.some((b, i) => pre[i] !== b)) {
      throw importError({ file }, 'is not a NumPy .npy file (no \\x93NUMPY magic)');
    }
    const major = pre[6];
    if (major < 1 || major > 3) throw importError({ file }, `has unsupported .npy format version ${major}`);
    const headerStart = major === 1 ? 10 : 12;
    if (bytesRead < headerStart)
      throw importError({ file }, `is truncated: it ends inside the .npy preamble`);
    const headerLength = major === 1 ? pre.readUInt16LE(8) : pre.readUInt32LE(8);
    if (headerLength > MAX_NPY_HEADER) {
      throw importError(
        { file, value: String(headerLength) },
        `declares a .npy header of ${headerLength} bytes; at most ${MAX_NPY_HEADER} are accepted (NumPy's own limit)`,
      );
    }
    if (headerStart + headerLength > size) {
      throw importError(
        { file, value: String(headerLength) },
        `is truncated: its .npy header of ${headerLength} bytes ends past the end of the file (${size} bytes)`,
      );
    }
    const raw = Buffer.alloc(headerLength);
    await handle.read(raw, 0, headerLength, headerStart);
    const text = raw.toString(major === 3 ? 'utf8' : 'latin1');
    header = parseNpyHeader(file, text, headerStart + headerLength);
  } finally {
    await handle.close();
  }
  const [rows, cols] = header.shape;
  // Floating point is exact here up to 2⁵³ and only ever too large beyond it, never too small.
  const need = header.dataOffset + rows * cols * header.itemSize;
  if (need > size) {
    throw importError(
      { file },
      `is truncated: shape (${rows}, ${cols}) needs ${need} bytes, the file has ${size}`,
    );
  }
  if (need < size) {
    // NumPy writes nothing after the data: more bytes mean a shape that does not describe them
    // (an edited header, or arrays saved one after another into the same file).
    throw importError(
      { file },
      `has ${size - need} bytes after the data: shape (${rows}, ${cols}) needs ${need} bytes, the file has ${size}`,
    );
  }
  if (rows * cols > MAX_DENSE_VALUES) {
    throw importError(
      { file },
      `holds ${rows} × ${cols} values, more than the ${MAX_DENSE_VALUES} a dense matrix can hold`,
    );
  }
  return header;
}

export function parseNpyHeader(file: string, text: string, dataOffset: number): NpyHeader {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw importError(
      { file, value: text.trim() },
      `has an unreadable .npy header ${quoteValue(text.trim())}`,
    );
  }
  const shapeTokens = shapeText
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
  if (shapeTokens.length !== 2) {
    throw importError(
      { file, value: shapeTokens.join(', ') },
      `holds a ${shapeTokens.length}-D array (shape (${quoteValue(shapeTokens.join(', ')).slice(1, -1)})); a matrix must be 2-D`,
    );
  }
  const shape = shapeTokens.map((token) => {
    const n = /^\d{1,16}L?$/.test(token) ? Number(token.replace(/L$/, '')) : NaN;
    if (!Number.isSafeInteger(n)) {
      throw importError({ file, value: token }, `has shape entry ${quoteValue(token)}, not a size`);
    }
    if (n === 0)
      throw importError({ file, value: token }, `holds an empty array (shape (${shapeTokens.join(', ')}))`);
    if (n > MAX_DIMENSION) {
      throw importError(
        { file, value: token },
        `has shape entry ${n}, more than the ${MAX_DIMENSION} rows or columns a matrix may have`,
      );
    }
    return n;
  });
  const match = /^([<>|=])([fiub])(\d+)$/.exec(descr);
  const supported: Record<string, number[]> = { f: [2, 4, 8], i: [1, 2, 4, 8], u: [1, 2, 4, 8], b: [1] };
  if (match === null || !supported[match[2]].includes(Number(match[3]))) {
    throw importError(
      { file, value: descr },
      `has unsupported dtype ${quoteValue(descr)} (float16/32/64, signed or unsigned integers, or bool)`,
    );
  }
  return {
    descr,
    fortranOrder: fortran === 'True',
    shape,
    dataOffset,
    itemSize: Number(match[3]),
    kind: match[2] as NpyHeader['kind'],
    littleEndian: match[1] !== '>',
  };
}

type ElementReader = (view: DataView, offset: number) => number;

function elementReader(h: NpyHeader): ElementReader {
  const le = h.littleEndian;
  switch (`${h.kind}${h.itemSize}`) {
    case 'f8':
      return (v, o) => v.getFloat64(o, le);
    case 'f4':
      return (v, o) => v.getFloat32(o, le);
    case 'f2':
      return (v, o) => halfToNumber(v.getUint16(o, le));
    case 'i8':
      return (v, o) => Number(v.getBigInt64(o, le));
    case 'i4':
      return (v, o) => v.getInt32(o, le);
    case 'i2':
      return (v, o) => v.getInt16(o, le);
    case 'i1':
      return (v, o) => v.getInt8(o);
    case 'u8':
      return (v, o) => Number(v.getBigUint64(o, le));
    case 'u4':
      return (v, o) => v.getUint32(o, le);
    case 'u2':
      return (v, o) => v.getUint16(o, le);
    default:
      return (v, o) => v.getUint8(o);
  }
}

/** IEEE 754 half precision to double. */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/**
 * Reads a 2-D .npy array into a dense matrix (rows × cols as NumPy's shape, C or Fortran order),
 * in chunks so that progress is reported and cancellation is honoured. `transpose` writes the
 * transpose directly.
 */
export async function readNpy(
  path: string,
  options: { transpose: boolean; signal?: AbortSignal; onProgress?: (p: ReadProgress) => void },
): Promise<{ matrix: DenseMatrix; header: NpyHeader; missing: number; nnz: number }> {
  const file = path;
  const { transpose, signal, onProgress } = options;
  const header = await readNpyHeader(path);
  const [rows, cols] = header.shape;
  const total = rows * cols;
  const totalBytes = await fileSize(path);
  const out = new Float64Array(total);
  const outCols = transpose ? rows : cols;
  const read = elementReader(header);
  const chunkElements = Math.max(1, Math.floor((1 << 20) / header.itemSize));
  const buffer = Buffer.alloc(chunkElements * header.itemSize);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let missing = 0;
  let nnz = 0;
  const handle = await openForReading(path);
  try {
    for (let start = 0; start < total; start += chunkElements) {
      signal?.throwIfAborted();
      const n = Math.min(chunkElements, total - start);
      await handle.read(buffer, 0, n * header.itemSize, header.dataOffset + start * header.itemSize);
      for (let t = 0; t < n; t++) {
        const k = start + t;
        // Position (i, j) of the k-th stored element in NumPy's shape.
        const i = header.fortranOrder ? k % rows : Math.floor(k / cols);
        const j = header.fortranOrder ? Math.floor(k / rows) : k % cols;
        const raw = read(view, t * header.itemSize);
        const v = checkValue(raw);
        if (v < 0) throw valueError({ file, row: i + 1, column: j + 1, value: String(raw) }, v);
        if (v !== 0) {
          if (v === v) nnz++;
          else missing++;
        }
        out[transpose ? j * outCols + i : i * outCols + j] = v;
      }
      onProgress?.({
        bytesRead: header.dataOffset + (start + n) * header.itemSize,
        totalBytes,
        phase: 'reading',
      });
      await yieldToEventLoop();
    }
  } finally {
    await handle.close();
  }
  return { matrix: dense(transpose ? cols : rows, transpose ? rows : cols, out), header, missing, nnz };
}
