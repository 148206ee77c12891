import { describe, expect, it } from 'vitest';
import {
  FRAME_JSON_OFFSET,
  FrameArrayStandIn,
  decodeFrame,
  encodeFrame,
  frameJsonFields,
  frameJsonLength,
  frameLayout,
} from '../codec';

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

  it('lay out stand-ins where the arrays would be, and refuse a frame past 4 GiB instead of wrapping its offsets', () => {
    const values = new Float64Array([1, 2, 3]);
    const indices = new Int32Array([4, 5, 6]);
    const whole = encodeFrame({ name: 'x', m: { indices, values } });
    const layout = frameLayout({
      name: 'x',
      m: {
        indices: new FrameArrayStandIn('Int32Array', 12),
        values: new FrameArrayStandIn('Float64Array', 24),
      },
    });
    expect(layout.byteLength).toBe(whole.length);
    expect(Buffer.from(layout.head).equals(Buffer.from(whole.subarray(0, layout.head.length)))).toBe(true);
    expect(layout.arrays.map((slot) => slot.offset)).toEqual([layout.head.length, layout.head.length + 16]);
    expect(() => encodeFrame({ a: new FrameArrayStandIn('Uint8Array', 8) })).toThrow(/FrameArrayStandIn/);
    // Past 2³¹ bytes (a 10⁶-cell job folder's data) offsets stay exact: 32-bit alignment arithmetic wrapped them.
    const large = frameLayout({
      a: new FrameArrayStandIn('Float64Array', 2 ** 31 + 8),
      b: new Int32Array(3),
    });
    expect(large.arrays[1].offset).toBe(large.arrays[0].offset + 2 ** 31 + 8);
    expect(large.byteLength).toBe(large.arrays[1].offset + 16);
    const table = new DataView(large.head.buffer, large.head.length - 16);
    expect(table.getUint32(8, true)).toBe(large.arrays[1].offset);
    expect(() =>
      frameLayout({
        a: new FrameArrayStandIn('Float64Array', 2 ** 31),
        b: new FrameArrayStandIn('Float64Array', 2 ** 31),
      }),
    ).toThrow(/at most 4 GiB; typed array 1 would end at byte/);
  });

  it("read a frame's plain fields from its JSON text alone, its arrays left as references", () => {
    const frame = encodeFrame({ rank: 3, labels: [2, 0, 1], H: new Float64Array([1, 2]), loss: NaN });
    const length = frameJsonLength(frame.subarray(0, FRAME_JSON_OFFSET));
    expect(frameJsonFields(frame.subarray(FRAME_JSON_OFFSET, FRAME_JSON_OFFSET + length))).toEqual({
      rank: 3,
      labels: [2, 0, 1],
      H: { $typed: 'Float64Array', i: 0 },
      loss: { $num: 'NaN' },
    });
    expect(() => frameJsonLength(new Uint8Array(8))).toThrow(/not an NMF1 frame/);
  });
});
