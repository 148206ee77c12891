import { describe, expect, it } from 'vitest';
import { Rng } from '../../linalg/random';
import { decodeFrame, encodeFrame } from '../codec';

/**
 * The frame decoder faces untrusted bytes (browser-mode requests). Whatever it is given, it must
 * either decode or throw an Error, and never hold more array bytes than the frame itself: a frame
 * whose JSON refers to one array many times used to decode into one copy per reference (a 1 MiB
 * request reached +480 MB). Seeded random frames — valid ones mutated, forged tables, and pure
 * noise — keep this checked without depending on luck; each case is small, so time and memory
 * stay bounded.
 */

/** Bytes held by every typed array reachable from a decoded value. */
function arrayBytes(value: unknown, seen = new Set<unknown>()): number {
  if (value === null || typeof value !== 'object' || seen.has(value)) return 0;
  seen.add(value);
  if (ArrayBuffer.isView(value)) return value.byteLength;
  let total = 0;
  for (const child of Object.values(value as Record<string, unknown>)) total += arrayBytes(child, seen);
  return total;
}

function randomValue(rng: Rng, depth = 0): unknown {
  const pick = rng.int(depth > 2 ? 4 : 7);
  switch (pick) {
    case 0:
      return rng.uniform() * 1e6 - 5e5;
    case 1:
      return ['NaN', 'x', 'µ', ''][rng.int(4)];
    case 2:
      return Float64Array.from({ length: rng.int(20) }, () => rng.normal());
    case 3:
      return Uint8Array.from({ length: rng.int(40) }, () => rng.int(256));
    case 4:
      return [randomValue(rng, depth + 1), randomValue(rng, depth + 1)];
    case 5:
      return {
        a: randomValue(rng, depth + 1),
        b: Int32Array.from({ length: rng.int(10) }, () => rng.int(1000)),
      };
    default:
      return { nested: randomValue(rng, depth + 1), n: Infinity };
  }
}

/** Decodes, checking the two properties; returns whether it decoded. */
function check(bytes: Uint8Array): boolean {
  let decoded: unknown;
  try {
    decoded = decodeFrame(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return false;
  }
  expect(arrayBytes(decoded)).toBeLessThanOrEqual(bytes.length);
  return true;
}

/** A frame whose JSON is `json` and whose table lists `entries` (offset, length), over `payload` bytes. */
function forge(json: string, entries: Array<[number, number]>, payloadBytes: number): Uint8Array {
  const jsonBytes = new TextEncoder().encode(json);
  const tableStart = (8 + jsonBytes.length + 7) & ~7;
  const size = tableStart + entries.length * 8 + payloadBytes;
  const frame = new Uint8Array(size);
  frame.set([0x4e, 0x4d, 0x46, 0x31]);
  const view = new DataView(frame.buffer);
  view.setUint32(4, jsonBytes.length, true);
  frame.set(jsonBytes, 8);
  entries.forEach(([offset, length], i) => {
    view.setUint32(tableStart + i * 8, offset, true);
    view.setUint32(tableStart + i * 8 + 4, length, true);
  });
  return frame;
}

describe('frame decoder under random and hostile input', () => {
  it('round-trips random values and survives every mutation of them (seeded)', () => {
    for (const seed of [1, 2, 3]) {
      const rng = new Rng(seed);
      for (let n = 0; n < 400; n++) {
        const value = randomValue(rng);
        const frame = encodeFrame(value);
        expect(check(frame)).toBe(true);
        const mutated = frame.slice();
        for (let flips = 1 + rng.int(6); flips > 0; flips--) mutated[rng.int(mutated.length)] = rng.int(256);
        check(mutated);
        check(frame.subarray(0, rng.int(frame.length)));
      }
    }
  });

  it('refuses noise with a valid magic and random lengths', () => {
    const rng = new Rng(42);
    for (let n = 0; n < 2000; n++) {
      const bytes = Uint8Array.from({ length: 8 + rng.int(200) }, () => rng.int(256));
      bytes.set([0x4e, 0x4d, 0x46, 0x31]);
      check(bytes);
    }
  });

  it('refuses a reference repeated to multiply one array', () => {
    const refs = Array.from({ length: 480 }, () => '{"$typed":"Uint8Array","i":0}').join(',');
    const frame = forge(`[${refs}]`, [[4096, 1 << 20]], (1 << 20) + 4096);
    expect(() => decodeFrame(frame)).toThrow(/referenced more than once/);
  });

  it('refuses distinct references whose arrays add up to more than the frame', () => {
    // 64 table entries all pointing at the same 64 KiB: each in range, together 64 times the body.
    const count = 64;
    const refs = Array.from({ length: count }, (_, i) => `{"$typed":"Uint8Array","i":${i}}`).join(',');
    const payload = 65_536;
    const frameSize = forge(`[${refs}]`, [], 0).length + count * 8;
    const frame = forge(
      `[${refs}]`,
      Array.from({ length: count }, (): [number, number] => [frameSize, payload]),
      payload,
    );
    expect(() => decodeFrame(frame)).toThrow(/add up to more than the frame/);
  });

  it('refuses extents past the body, unknown array types and negative or fractional indices', () => {
    expect(() => decodeFrame(forge('{"$typed":"Uint8Array","i":0}', [[16, 1000]], 8))).toThrow(/extent/);
    expect(() => decodeFrame(forge('{"$typed":"BigInt64Array","i":0}', [[16, 8]], 8))).toThrow(
      /unknown typed array/,
    );
    expect(() => decodeFrame(forge('{"$typed":"Uint8Array","i":-1}', [[16, 8]], 8))).toThrow(
      /bad typed array index/,
    );
    expect(() => decodeFrame(forge('{"$typed":"Uint8Array","i":0.5}', [[16, 8]], 8))).toThrow(
      /bad typed array index/,
    );
    expect(() => decodeFrame(forge('{"$typed":"constructor","i":0}', [[16, 8]], 8))).toThrow(
      /unknown typed array/,
    );
  });
});
