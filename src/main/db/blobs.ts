import { endianness } from 'node:os';

/**
 * Typed arrays ⇄ BLOBs. BLOBs are little-endian; every platform NMF Studio ships for is
 * little-endian, so the bytes are copied as they are (checked once here).
 */
if (endianness() !== 'LE')
  throw new Error('NMF Studio stores matrices little-endian and needs a little-endian CPU');

export function toBlob(array: Float64Array | Int32Array): Buffer {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}

/**
 * A BLOB's doubles. better-sqlite3 gives each BLOB read an ArrayBuffer of its own (offset 0, no
 * other Buffer in it): that one is read in place, so a run's H read back from the library is not
 * held twice (160 MB each at 10⁶ samples and k = 20). Any other Buffer (a slice of a larger one,
 * whose offset need not be 8-aligned) is copied into a fresh Float64Array.
 */
export function float64FromBlob(blob: Buffer | null): Float64Array | null {
  if (blob === null) return null;
  if (blob.byteOffset === 0 && blob.byteLength === blob.buffer.byteLength && blob.byteLength % 8 === 0)
    return new Float64Array(blob.buffer, 0, blob.byteLength / 8);
  const out = new Float64Array(blob.byteLength / 8);
  new Uint8Array(out.buffer).set(blob);
  return out;
}

/** Packs [iteration, loss] pairs as a Float64 BLOB of 2·n values. */
export function traceToBlob(trace: ReadonlyArray<readonly [number, number]>): Buffer {
  const flat = new Float64Array(trace.length * 2);
  trace.forEach(([iteration, loss], i) => {
    flat[2 * i] = iteration;
    flat[2 * i + 1] = loss;
  });
  return toBlob(flat);
}

export function traceFromBlob(blob: Buffer | null): Array<[number, number]> {
  const flat = float64FromBlob(blob);
  if (!flat) return [];
  const out: Array<[number, number]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}

/**
 * Sample labels (a fit's cluster of each sample, or a rank's consensus clusters: integers 0..k−1)
 * as a compact BLOB: a 4-byte head whose first byte is the bytes per label — 1 (Uint8) when every
 * label is at most 255, so up to rank 256; 2 (Uint16) up to 65 535; 4 (Int32) otherwise — then
 * the labels little-endian. The head keeps the labels 4-byte aligned in the BLOB, so a BLOB read
 * on its own is viewed in place. One byte a label where JSON text spends two or more, and a
 * reader takes the labels it needs by index instead of parsing all n (10⁶ at the largest).
 */
export type LabelArray = Uint8Array | Uint16Array | Int32Array;

/** Bytes before the labels in a labels BLOB (see {@link labelsToBlob}). */
const LABELS_HEAD_BYTES = 4;

export function labelsToBlob(labels: ArrayLike<number>): Buffer {
  let min = 0;
  let max = 0;
  for (let j = 0; j < labels.length; j++) {
    const label = labels[j];
    if (!Number.isInteger(label)) throw new RangeError(`sample label ${label} at ${j} is not an integer`);
    if (label < min) min = label;
    if (label > max) max = label;
  }
  if (min < -0x80000000 || max > 0x7fffffff)
    throw new RangeError(`sample labels ${min}..${max} exceed Int32`);
  const width = min < 0 ? 4 : max <= 0xff ? 1 : max <= 0xffff ? 2 : 4;
  const body =
    width === 1 ? Uint8Array.from(labels) : width === 2 ? Uint16Array.from(labels) : Int32Array.from(labels);
  const blob = Buffer.alloc(LABELS_HEAD_BYTES + body.byteLength);
  blob[0] = width;
  blob.set(new Uint8Array(body.buffer, body.byteOffset, body.byteLength), LABELS_HEAD_BYTES);
  return blob;
}

/** The labels of a BLOB made by {@link labelsToBlob}, viewed in place when aligned (else copied). */
export function labelsFromBlob(blob: Buffer): LabelArray {
  if (blob.byteLength < LABELS_HEAD_BYTES) throw new RangeError('sample labels BLOB shorter than its head');
  const width = blob[0];
  if (width !== 1 && width !== 2 && width !== 4)
    throw new RangeError(`sample labels BLOB of ${width} bytes a label`);
  const bodyBytes = blob.byteLength - LABELS_HEAD_BYTES;
  if (bodyBytes % width !== 0) throw new RangeError('sample labels BLOB cut inside a label');
  return labelView(blob, width, bodyBytes / width);
}

function labelView(blob: Buffer, width: number, count: number): LabelArray {
  const start = blob.byteOffset + LABELS_HEAD_BYTES;
  const Kind = width === 1 ? Uint8Array : width === 2 ? Uint16Array : Int32Array;
  if (start % width === 0) return new Kind(blob.buffer as ArrayBuffer, start, count);
  // A Buffer from Node's shared pool need not start aligned: copy the labels out.
  const copy = new Kind(count);
  new Uint8Array(copy.buffer).set(blob.subarray(LABELS_HEAD_BYTES));
  return copy;
}
