import { describe, expect, it } from 'vitest';
import { Rng } from '../../../shared/linalg/random';
import { scalarKernels, selectKernels } from '../../../shared/nmf/kernels';
import { installNativeKernels } from '..';
import { nativeUnavailable, sameBits } from './helpers';

/**
 * The dense loss kernels' logarithms (native/src/losses.inl: fdlibm's log on four lanes, and on
 * eight in the AVX-512 build, `logMain8`) against the scalar reference (JavaScript's Math.log),
 * bit for bit, through every kind of `rowLosses` that takes a logarithm: 1 (KL), 3 (KL and the
 * Poisson log-likelihood) and 4 (the log-likelihood alone).
 *
 * With k = 1 and W = 1 every row of WH is Ht's column exactly, so the arguments of the logarithms
 * are chosen value by value: WH (kinds 3 and 4) and V / WH (kind 1) on fdlibm's main path, in its
 * |x/2^k − 1| < 2^−20 window (taken lane by lane by the scalar fdlibmLog), exact powers of two,
 * subnormal, zero and −0 (−Infinity), negative (NaN), infinite, NaN; V with zeros, −0, NaN, values
 * in (0, EPS32], non-integers, counts below and above 171 (log Γ's running sums and its Lanczos
 * branch) and above the memo's 65 536. Each special value is put at every position of a
 * sixteen-entry group in turn (the eight-lane loop takes sixteen entries a step, then eight and
 * four, then one at a time), on row lengths that leave every tail, on one, two and three threads
 * with every call split. A general rank (k = 5, random factors) covers the products of WH.
 */
const installed = installNativeKernels();
const unavailable = nativeUnavailable(installed);

/** Values of WH that take fdlibm's other paths, or sit at the edges of its main one. */
const SPECIAL_WH = [
  1 + 2 ** -30, // |f| < 2^-20: the scalar path
  1 - 2 ** -40,
  2 + 2 ** -25,
  0.5,
  4,
  1,
  2 ** -1030, // subnormal
  5e-324,
  0, // log 0 = −Infinity (and EPS32 in the KL ratio)
  -0,
  -3, // NaN
  Infinity,
  NaN,
  Math.SQRT2, // the reduction's boundaries
  Math.SQRT1_2,
  1e300,
  1e-300,
  2 ** 1023,
];

/** Values of V: every case the kinds treat apart. */
const SPECIAL_V = [
  0,
  -0,
  NaN,
  5e-324,
  1e-8,
  1.1920928955078125e-7,
  2e-7,
  0.5,
  3,
  170,
  171,
  172,
  1000.5,
  18221,
  70000,
  1e6,
];

/**
 * One matrix: m rows of length n, row i's entry j a product of a special WH and a special V placed
 * so that each special value meets every lane position, with plain values elsewhere; also rows
 * chosen so that V / WH hits the scalar path, overflows and underflows.
 */
function planted(m: number, n: number, seed: number): { V: Float64Array; W: Float64Array; Ht: Float64Array } {
  const rng = new Rng(seed);
  const V = new Float64Array(m * n);
  const W = new Float64Array(m).fill(1);
  const Ht = new Float64Array(n);
  for (let j = 0; j < n; j++) Ht[j] = 0.25 + 3 * rng.uniform();
  // One special WH column at position seed mod n (every lane position over the seeds).
  Ht[seed % n] = SPECIAL_WH[seed % SPECIAL_WH.length];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) V[i * n + j] = Math.floor(rng.uniform() * 40);
    // A special V somewhere in the row, moving with the row.
    V[i * n + ((i * 5 + seed) % n)] = SPECIAL_V[(i + seed) % SPECIAL_V.length];
    const j = (i * 3 + seed) % n;
    switch (i % 4) {
      case 0:
        V[i * n + j] = Ht[j] * (1 + 2 ** -35); // V / WH within 2^-20 of 1
        break;
      case 1:
        V[i * n + j] = 2 * Ht[j]; // V / WH an exact power of two
        break;
      case 2:
        V[i * n + j] = 1e-6; // tiny V / WH where WH is large
        W[i] = 1e303; // every WH of the row huge: subnormal ratios, overflowing logs of WH stay finite
        break;
      default:
        V[i * n + j] = 1e300; // V / WH overflows to Infinity where WH is small
    }
  }
  return { V, W, Ht };
}

/** Random non-negative factors of rank k with some exact zeros and −0, and integer V with zeros. */
function general(
  m: number,
  n: number,
  k: number,
  seed: number,
): { V: Float64Array; W: Float64Array; Ht: Float64Array } {
  const rng = new Rng(seed);
  const factor = (length: number): Float64Array =>
    Float64Array.from({ length }, () => {
      const u = rng.uniform();
      return u < 0.1 ? 0 : u < 0.12 ? -0 : rng.uniform() * 3;
    });
  const W = factor(m * k);
  const Ht = factor(n * k);
  const V = Float64Array.from({ length: m * n }, () => {
    const u = rng.uniform();
    return u < 0.3 ? 0 : u < 0.32 ? NaN : Math.floor(rng.uniform() * 300);
  });
  return { V, W, Ht };
}

/** The sums of kinds 1, 3 and 4 on one problem with one kernel set (each output starts as garbage). */
function lossSums(
  K: typeof scalarKernels,
  p: { V: Float64Array; W: Float64Array; Ht: Float64Array },
  m: number,
  n: number,
  k: number,
): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  for (const kind of [1, 3, 4] as const) {
    const sums = new Float64Array((kind === 1 ? 2 : 3) * m).fill(7.5);
    K.rowLosses(kind, p.V, m, n, k, p.W, p.Ht, sums);
    out.set(`kind ${kind}`, sums);
  }
  return out;
}

describe.skipIf(unavailable !== null)(
  `native logarithms on lanes${unavailable ? ` (${unavailable})` : ''}`,
  () => {
    // Row lengths: below one group, every tail after groups of 16, 8 and 4, and a long row.
    const lengths = [1, 3, 4, 7, 8, 9, 12, 15, 16, 17, 20, 23, 24, 31, 32, 33, 45, 67];

    it('KL, KL with log-likelihood and log-likelihood rows on special values: the scalar bits on 1, 2 and 3 threads', () => {
      const m = 12;
      let checked = 0;
      for (const n of lengths) {
        for (let seed = 0; seed < 2 * 16; seed++) {
          const p = planted(m, n, seed + 97 * n);
          const want = lossSums(scalarKernels, p, m, n, 1);
          for (const threads of [1, 2, 3]) {
            const native = selectKernels({ backend: 'native', threads, splitAlways: threads > 1 });
            const got = lossSums(native, p, m, n, 1);
            for (const [name, values] of want) {
              expect(
                sameBits(got.get(name)!, values),
                `${name}, n = ${n}, seed ${seed}, ${threads} thread(s)`,
              ).toBe(true);
              checked++;
            }
          }
        }
      }
      expect(checked).toBe(lengths.length * 32 * 3 * 3);
    });

    it('every special WH at every position of a row of 40 (all three kinds, one thread)', () => {
      const n = 40;
      const m = SPECIAL_V.length;
      const native = selectKernels({ backend: 'native', threads: 1 });
      for (const wh of SPECIAL_WH) {
        for (let at = 0; at < n; at++) {
          const Ht = Float64Array.from({ length: n }, (_, j) => (j === at ? wh : 1.75));
          // Each row a different special V at the same place, counts elsewhere.
          const V = Float64Array.from({ length: m * n }, (_, q) =>
            q % n === at ? SPECIAL_V[Math.floor(q / n)] : 1 + (q % 7),
          );
          const p = { V, W: new Float64Array(m).fill(1), Ht };
          const want = lossSums(scalarKernels, p, m, n, 1);
          const got = lossSums(native, p, m, n, 1);
          for (const [name, values] of want) {
            expect(sameBits(got.get(name)!, values), `${name}, WH ${wh} at ${at}`).toBe(true);
          }
        }
      }
    });

    it('general factors (k = 5, zeros, −0, NaN in V): the scalar bits on 1 and 3 threads', () => {
      for (const [m, n] of [
        [29, 67],
        [8, 16],
        [13, 33],
      ] as const) {
        const p = general(m, n, 5, m * 31 + n);
        const want = lossSums(scalarKernels, p, m, n, 5);
        for (const threads of [1, 3]) {
          const native = selectKernels({ backend: 'native', threads, splitAlways: threads > 1 });
          const got = lossSums(native, p, m, n, 5);
          for (const [name, values] of want) {
            expect(sameBits(got.get(name)!, values), `${name}, ${m} × ${n}, ${threads} thread(s)`).toBe(true);
          }
        }
      }
    });
  },
);
