import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from '../codec';

describe('binary frames', () => {
  it('round-trip typed arrays bit for bit, nested anywhere, with non-finite numbers', () => {
    const W = new Float64Array([0, 1.5, -0, Number.MIN_VALUE, 1e308, NaN]);
    const value = {
      ok: true,
      value: {
        W,
        nested: [{ idx: new Int32Array([1, -2, 3]) }],
        bytes: new Uint8Array([255, 0, 7]),
        loss: NaN,
        big: Infinity,
        text: 'µ',
      },
    };
    const decoded = decodeFrame(encodeFrame(value)) as typeof value;
    expect(decoded.value.W).toBeInstanceOf(Float64Array);
    expect(new Uint8Array(decoded.value.W.buffer)).toEqual(new Uint8Array(W.buffer));
    expect(Array.from(decoded.value.nested[0].idx)).toEqual([1, -2, 3]);
    expect(Array.from(decoded.value.bytes)).toEqual([255, 0, 7]);
    expect(decoded.value.loss).toBeNaN();
    expect(decoded.value.big).toBe(Infinity);
    expect(decoded.value.text).toBe('µ');
  });

  it('carry arrays as raw bytes, not JSON numbers', () => {
    const frame = encodeFrame({ W: new Float64Array(10_000).fill(1 / 3) });
    expect(frame.byteLength).toBeLessThan(80_000 + 200);
  });

  it('keep subarray views to their own extent', () => {
    const whole = new Float64Array([1, 2, 3, 4]);
    const decoded = decodeFrame(encodeFrame({ part: whole.subarray(1, 3) })) as { part: Float64Array };
    expect(Array.from(decoded.part)).toEqual([2, 3]);
  });

  it('refuse malformed frames', () => {
    expect(() => decodeFrame(new Uint8Array([1, 2, 3]))).toThrow(/not an NMF1 frame/);
    const frame = encodeFrame({ a: new Float64Array(4) });
    expect(() => decodeFrame(frame.subarray(0, frame.length - 16))).toThrow(
      /bad typed array extent|truncated/,
    );
  });
});
