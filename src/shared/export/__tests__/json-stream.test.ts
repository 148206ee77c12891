import { describe, expect, it } from 'vitest';
import { countTypedValues, jsonPieces, jsonText } from '../json-stream';
import { Rng } from '../../linalg/random';

/** The JSON exports' text before they were streamed (renderer `toJson`): typed arrays as lists. */
function stringified(value: unknown, indent: number): string | undefined {
  return JSON.stringify(
    value,
    (_key, v: unknown) =>
      ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as Float64Array) : v,
    indent,
  );
}

const awkwardNumbers = [
  0,
  -0,
  1,
  -1.5,
  1e-300,
  5e-324,
  1.7976931348623157e308,
  NaN,
  Infinity,
  -Infinity,
  0.1 + 0.2,
];
const awkwardStrings = [
  '',
  'plain',
  'quote " and \\ backslash',
  'line\nbreak\ttab',
  'ünï\u2028cødé',
  '\u0000\u001f',
  '😀',
  '\ud800',
];

/** A random document: nested objects and arrays, typed arrays, numbers and strings that JSON treats specially. */
function randomValue(rng: Rng, depth: number): unknown {
  const pick = Math.floor(rng.uniform() * (depth > 3 ? 6 : 11));
  switch (pick) {
    case 0:
      return awkwardNumbers[Math.floor(rng.uniform() * awkwardNumbers.length)];
    case 1:
      return awkwardStrings[Math.floor(rng.uniform() * awkwardStrings.length)];
    case 2:
      return rng.uniform() < 0.5;
    case 3:
      return null;
    case 4:
      return rng.uniform() * 1000 - 500;
    case 5:
      return [undefined, () => 1, Symbol('s')][Math.floor(rng.uniform() * 3)];
    case 6: {
      const length = Math.floor(rng.uniform() * 40);
      const kinds = [Float64Array, Float32Array, Int32Array, Uint8Array] as const;
      const Kind = kinds[Math.floor(rng.uniform() * kinds.length)]!;
      const array = new Kind(length);
      for (let i = 0; i < length; i++)
        array[i] =
          rng.uniform() < 0.1 ? awkwardNumbers[i % awkwardNumbers.length]! : (rng.uniform() - 0.3) * 1e3;
      return array;
    }
    case 7:
      return new Date(Date.UTC(2026, 0, 1) + Math.floor(rng.uniform() * 1e9));
    case 8:
    case 9: {
      const length = Math.floor(rng.uniform() * 5);
      return Array.from({ length }, () => randomValue(rng, depth + 1));
    }
    default: {
      const object: Record<string, unknown> = {};
      const members = Math.floor(rng.uniform() * 5);
      for (let i = 0; i < members; i++) {
        const key =
          rng.uniform() < 0.2
            ? String(Math.floor(rng.uniform() * 20))
            : `k${Math.floor(rng.uniform() * 1e6)}`;
        object[key] = randomValue(rng, depth + 1);
      }
      return object;
    }
  }
}

describe('jsonPieces', () => {
  it('gives JSON.stringify’s text, typed arrays as lists, on random documents (seeds 1–300, indents 0, 2, 4)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rng = new Rng(seed);
      const value = { document: randomValue(rng, 0), more: [randomValue(rng, 1), randomValue(rng, 1)] };
      for (const indent of [0, 2, 4]) {
        const expected = stringified(value, indent);
        for (const pieceChars of [1, 7, 1 << 20]) {
          const pieces = [...jsonPieces(value, { indent, pieceChars })];
          expect(pieces.join(''), `seed ${seed}, indent ${indent}, pieces of ${pieceChars}`).toBe(expected);
        }
      }
    }
  });

  it('gives the same text for top-level values and what JSON.stringify leaves out', () => {
    for (const value of [
      1,
      'x',
      null,
      true,
      NaN,
      [],
      {},
      [undefined],
      { a: undefined },
      new Float64Array(0),
      { toJSON: () => 3 },
    ]) {
      expect(jsonText(value), JSON.stringify(value)).toBe(stringified(value, 2));
    }
    expect([...jsonPieces(undefined)]).toEqual([]);
    expect([...jsonPieces(() => 1)]).toEqual([]);
  });

  it('throws as JSON.stringify does on cycles and bigints', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => jsonText(cyclic)).toThrow(TypeError);
    expect(() => jsonText({ n: 1n })).toThrow(TypeError);
    expect(() => jsonText(new BigInt64Array(2))).toThrow(TypeError);
  });

  it('keeps every piece bounded whatever the size of a typed array, and counts the numbers written', () => {
    const values = new Float64Array(200_000).map((_, i) => i / 7);
    const counts: number[] = [];
    let longest = 0;
    let text = '';
    for (const piece of jsonPieces(
      { H: values },
      { pieceChars: 10_000, onTypedValues: (n) => counts.push(n) },
    )) {
      longest = Math.max(longest, piece.length);
      text += piece;
    }
    expect(text).toBe(stringified({ H: values }, 2));
    // A piece ends at the first number after the bound: at most one number's line longer than it.
    expect(longest).toBeLessThan(10_000 + 40);
    expect(counts.length).toBeGreaterThan(100);
    expect(counts.at(-1)).toBe(200_000);
    expect(countTypedValues({ a: values, b: [new Int32Array(3)], c: 'x' })).toBe(200_003);
  });
});
