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

/** Copies a BLOB into a fresh Float64Array (a Buffer's offset need not be 8-aligned). */
export function float64FromBlob(blob: Buffer | null): Float64Array | null {
  if (blob === null) return null;
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
