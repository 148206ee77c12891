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
