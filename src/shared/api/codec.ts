/**
 * Binary framing for the browser-mode transport, so large numeric arrays travel as raw bytes rather
 * than JSON number lists (Electron IPC gets the same effect from structured clone).
 *
 * Frame layout (little-endian):
 *   bytes 0..3   ASCII "NMF1"
 *   bytes 4..7   u32 length L of the JSON text
 *   bytes 8..8+L UTF-8 JSON, in which every typed array is replaced by {"$typed": name, "i": index}
 *                and every non-finite number by {"$num": "NaN" | "Infinity" | "-Infinity"}
 *   then, each starting at a multiple of 8, the typed arrays' bytes in index order, preceded by a
 *   table of u32 (offset, byteLength) pairs right after the JSON (padded to 8).
 */

const MAGIC = [0x4e, 0x4d, 0x46, 0x31];

type TypedArrayName =
  | 'Float64Array'
  | 'Float32Array'
  | 'Int32Array'
  | 'Uint32Array'
  | 'Uint8Array'
  | 'Int8Array'
  | 'Uint16Array'
  | 'Int16Array';
type AnyTypedArray =
  Float64Array | Float32Array | Int32Array | Uint32Array | Uint8Array | Int8Array | Uint16Array | Int16Array;

const constructors: Record<
  TypedArrayName,
  { new (buffer: ArrayBuffer): AnyTypedArray; BYTES_PER_ELEMENT: number }
> = {
  Float64Array,
  Float32Array,
  Int32Array,
  Uint32Array,
  Uint8Array,
  Int8Array,
  Uint16Array,
  Int16Array,
};

function typedArrayName(value: unknown): TypedArrayName | null {
  if (!ArrayBuffer.isView(value) || value instanceof DataView) return null;
  const name = value.constructor.name as TypedArrayName;
  return name in constructors ? name : null;
}

/** `n` rounded up to a multiple of 8, in float arithmetic: `& ~7` would wrap past 2³¹ (frames reach 4 GiB). */
const align8 = (n: number): number => Math.ceil(n / 8) * 8;

/**
 * A typed array a frame refers to without holding it: its class and size. Where an array is too
 * large to hold next to its frame (a job folder's data, ~2.4 GB at 10⁶ cells), the frame's head is
 * laid out with this stand-in and the bytes are written at their offset from where they are (the
 * library's chunks) by the caller.
 */
export class FrameArrayStandIn {
  constructor(
    readonly name: TypedArrayName,
    readonly byteLength: number,
  ) {}
}

/** A frame's typed array as laid out: what it is (in memory or a stand-in) and where it starts. */
export interface FrameArraySlot {
  array: AnyTypedArray | FrameArrayStandIn;
  offset: number;
}

/**
 * Where everything of `value`'s frame goes: the head (magic, JSON length, JSON, the table of
 * extents, zero padding up to the first array), each typed array's offset, and the frame's length.
 * The bytes between and after the arrays are zeros. `encodeFrame` fills exactly this layout.
 */
export function frameLayout(value: unknown): {
  head: Uint8Array;
  arrays: FrameArraySlot[];
  byteLength: number;
} {
  const arrays: Array<AnyTypedArray | FrameArrayStandIn> = [];
  const json = JSON.stringify(value, function replacer(this: unknown, key: string, raw: unknown) {
    // JSON.stringify calls toJSON first; typed arrays have none, so `raw` is still the typed array.
    const holder = this as Record<string, unknown>;
    const original = key === '' ? raw : holder[key];
    const name = original instanceof FrameArrayStandIn ? original.name : typedArrayName(original);
    if (name) {
      arrays.push(original as AnyTypedArray | FrameArrayStandIn);
      return { $typed: name, i: arrays.length - 1 };
    }
    if (typeof original === 'number' && !Number.isFinite(original)) return { $num: String(original) };
    return raw;
  });
  const jsonBytes = new TextEncoder().encode(json ?? 'null');
  const tableStart = align8(8 + jsonBytes.length);
  let cursor = align8(tableStart + arrays.length * 8);
  const head = new Uint8Array(cursor);
  head.set(MAGIC, 0);
  const view = new DataView(head.buffer);
  view.setUint32(4, jsonBytes.length, true);
  head.set(jsonBytes, 8);
  const slots: FrameArraySlot[] = arrays.map((array, index) => {
    const offset = cursor;
    // The table holds u32 extents: past 4 GiB, setUint32 would silently wrap them.
    if (offset + array.byteLength > 0xffffffff)
      throw new RangeError(
        `an NMF1 frame addresses at most 4 GiB; typed array ${index} would end at byte ${offset + array.byteLength}`,
      );
    view.setUint32(tableStart + index * 8, offset, true);
    view.setUint32(tableStart + index * 8 + 4, array.byteLength, true);
    cursor = align8(cursor + array.byteLength);
    return { array, offset };
  });
  return { head, arrays: slots, byteLength: cursor };
}

/** Encodes any JSON-like value with typed arrays and non-finite numbers into one binary frame. */
export function encodeFrame(value: unknown): Uint8Array {
  const { head, arrays, byteLength } = frameLayout(value);
  const frame = new Uint8Array(byteLength);
  frame.set(head, 0);
  for (const { array, offset } of arrays) {
    if (array instanceof FrameArrayStandIn)
      throw new TypeError('encodeFrame needs every typed array in memory (a FrameArrayStandIn was given)');
    frame.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), offset);
  }
  return frame;
}

/** Where a frame's typed array `index` lies, as its table says. */
export interface FrameArrayRef {
  name: TypedArrayName;
  index: number;
}

/**
 * Parses a frame's JSON text, handing every typed-array reference to `resolve` and turning
 * `$num` markers back into numbers. A reference must name a known typed array and a non-negative
 * integer index, and each index may be referenced once: a repeated reference would make the
 * decoder produce the same bytes many times over (memory amplification).
 */
export function reviveFrameJson(json: string, resolve: (ref: FrameArrayRef) => unknown): unknown {
  const seen = new Set<number>();
  return JSON.parse(json, (_key, raw: unknown) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
    const record = raw as Record<string, unknown>;
    if (typeof record.$num === 'string' && Object.keys(record).length === 1) {
      return Number(record.$num);
    }
    if (
      typeof record.$typed === 'string' &&
      typeof record.i === 'number' &&
      Object.keys(record).length === 2
    ) {
      if (!Object.prototype.hasOwnProperty.call(constructors, record.$typed))
        throw new Error(`unknown typed array ${record.$typed}`);
      const index = record.i;
      if (!Number.isSafeInteger(index) || index < 0) throw new Error(`bad typed array index ${index}`);
      if (seen.has(index)) throw new Error(`typed array ${index} referenced more than once`);
      seen.add(index);
      return resolve({ name: record.$typed as TypedArrayName, index });
    }
    return raw;
  }) as unknown;
}

/** Bytes per element of a typed array named in a frame. */
export function frameElementSize(name: TypedArrayName): number {
  return constructors[name].BYTES_PER_ELEMENT;
}

/** A fresh typed array of `name` over a copy of `bytes` (copied so it is 8-aligned and owned). */
export function typedArrayFromBytes(name: TypedArrayName, bytes: Uint8Array): AnyTypedArray {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new constructors[name](copy.buffer);
}

export type { AnyTypedArray, TypedArrayName };

/** Bytes of a frame before its JSON text: the magic and the text's u32 length. */
export const FRAME_JSON_OFFSET = 8;

/** The length of a frame's JSON text, read from the frame's first {@link FRAME_JSON_OFFSET} bytes. */
export function frameJsonLength(start: Uint8Array): number {
  if (start.length < FRAME_JSON_OFFSET || MAGIC.some((b, i) => start[i] !== b))
    throw new Error('not an NMF1 frame');
  return new DataView(start.buffer, start.byteOffset, start.byteLength).getUint32(4, true);
}

/**
 * A frame's JSON text parsed as it is, for reading the plain fields of a stored frame without its
 * typed arrays (which are not read): each typed array is left as its `{"$typed", "i"}` reference and
 * each non-finite number as `{"$num"}`. No reviver: `JSON.parse` calls one for every value, 0.4 s
 * and more for a job result's 10⁶ sample labels where the parse alone takes a few ms.
 */
export function frameJsonFields(json: Uint8Array): unknown {
  return JSON.parse(new TextDecoder().decode(json)) as unknown;
}

/**
 * Decodes a frame made by `encodeFrame`. Throws on a malformed frame (the boundary then answers
 * 400): bad magic, a JSON length or table beyond the body, an array extent beyond the body, a
 * repeated reference, or arrays whose sizes add up to more than the body itself (so decoding never
 * holds more than the body and one copy of its arrays).
 */
export function decodeFrame(bytes: Uint8Array): unknown {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error('not an NMF1 frame');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLength = view.getUint32(4, true);
  if (8 + jsonLength > bytes.length) throw new Error('truncated NMF1 frame');
  const json = new TextDecoder().decode(bytes.subarray(8, 8 + jsonLength));
  const tableStart = align8(8 + jsonLength);
  let total = 0;
  return reviveFrameJson(json, ({ name, index }) => {
    const entry = tableStart + index * 8;
    if (entry + 8 > bytes.length) throw new Error('truncated NMF1 frame table');
    const offset = view.getUint32(entry, true);
    const byteLength = view.getUint32(entry + 4, true);
    if (offset + byteLength > bytes.length || byteLength % frameElementSize(name) !== 0) {
      throw new Error('bad typed array extent in NMF1 frame');
    }
    total += byteLength;
    if (total > bytes.length) throw new Error('typed arrays in NMF1 frame add up to more than the frame');
    return typedArrayFromBytes(name, bytes.subarray(offset, offset + byteLength));
  });
}
