import { describe, expect, it } from 'vitest';
import { Rng } from '../../../linalg/random';
import { installNativeKernels } from '../../../../main/native';
import { randomCounts, toCsr } from '../../__tests__/helpers';
import { scalarKernels, selectKernels, type NmfKernels } from '..';
import { loadedNativeKernels, type NativeKernelModule } from '../native';
import { markPreparedCsr } from '../../prepared-csr';

/**
 * The native CSR KL passes compiled per rank (native/src/csr.inl, "Rank-specialised KL passes":
 * k = 1 … 16, each its own straight-line code, the W side optionally with the loss rows) against
 * the scalar reference, bit for bit (Object.is), at every rank 1 … 17 (17: the general pass, the
 * first rank without its own code) on 1, 2 and 3 threads with every call split: count-like rows
 * whose runs per column block end on every remainder of four, an empty row, empty columns, a row
 * denser than a third (the whole-row ratios), stored zeros and −0, a stored NaN, values below
 * EPS32 (in the numerators, not in the loss), factors with zeros, −0, negative entries (ratios
 * below zero, which the sums skip) and a zero row; and factors
 * with an infinity or a NaN, where the passes must fall back to the general ones (they add
 * (+0)·f where the reference skips, the same only for finite f).
 */

const installed = installNativeKernels();
const nativeSkipReason =
  installed.isa === null ? `native kernels not loaded: ${installed.reason ?? 'unknown reason'}` : null;

const m = 23;
// Wide enough for several column blocks at every padded width (8192 columns a block at k ≤ 4,
// 1638 at k = 17).
const n = 8300;

interface Case {
  m: number;
  n: number;
  indptr: Int32Array;
  indices: Int32Array;
  data: Float64Array;
  W: Float64Array;
  Ht: Float64Array;
}

function caseFor(k: number, seed: number): Case {
  const V = randomCounts(m, n, seed, 0.96, 0.0005);
  V.data.fill(0, 0, n); // an empty row
  for (let j = 0; j < n; j += 2) V.data[3 * n + j] = 1 + (j % 5); // denser than n/3
  // Values the loss leaves out (V ≤ EPS32) but the numerators divide.
  for (let i = 4; i < m; i += 5) V.data[i * n + ((i * 37) % n)] = 1e-9;
  const csr = toCsr(V, { storeZero: (i, j) => (i * 13 + j) % 53 === 0 });
  // Half of the stored zeros as −0.
  let zeros = 0;
  for (let p = 0; p < csr.data.length; p++) if (csr.data[p] === 0 && zeros++ % 2 === 0) csr.data[p] = -0;
  const rng = new Rng(seed + 1);
  const factor = (length: number): Float64Array => {
    const out = new Float64Array(length);
    for (let q = 0; q < length; q++) {
      const u = rng.uniform();
      // Zeros, −0 and a few negative entries (whose ratios, when not > 0, the sums skip).
      out[q] = u < 0.08 ? 0 : u < 0.1 ? -0 : u < 0.12 ? -rng.gamma(1) : rng.gamma(1);
    }
    return out;
  };
  const W = factor(m * k);
  const Ht = factor(n * k);
  Ht.fill(0, 5 * k, 6 * k); // (WH)_ij = 0 at column 5: the EPS32 substitution
  return { m, n, indptr: csr.indptr, indices: csr.indices, data: csr.data, W, Ht };
}

/**
 * Runs of every length from 0 to 16 in a thread's rows (so every remainder of the groups of eight
 * and of four, and runs shorter than a group), in the first and in the last column block at every
 * rank (columns below 1000 and from n − 1000: a block is at least 1638 columns wide up to k = 17),
 * an odd number of rows (31), three rows denser than n/3 (two of them adjacent) among sparse ones,
 * empty rows, and groups of eight with subnormal ratios V/WH and ratios just above 1 and 2 beside
 * others: lanes that the vector log takes off its main path (fdlibm's window around powers of two,
 * subnormals), which sends the whole vector through the scalar log. Rows i ≡ 1 (mod 4) have
 * W_i = e_0, so (WH)_ij = Ht_j0 exactly there, and V_ij is chosen for the ratio.
 */
function structuredCase(k: number, seed: number): Case {
  const rows = 31;
  const cols = n;
  const denseRows = new Set([5, 6, 20]);
  const rng = new Rng(seed);
  const Ht = new Float64Array(cols * k);
  for (let j = 0; j < cols; j++) {
    Ht[j * k] = j % 10 === 0 ? 2 ** 1010 : 1 + (j % 5);
    for (let t = 1; t < k; t++) Ht[j * k + t] = rng.gamma(1);
  }
  const W = new Float64Array(rows * k);
  for (let i = 0; i < rows; i++)
    for (let t = 0; t < k; t++) W[i * k + t] = i % 4 === 1 ? (t === 0 ? 1 : 0) : rng.gamma(1);
  const indptr = [0];
  const indices: number[] = [];
  const data: number[] = [];
  // Ratios in fdlibm's window |x/2^k − 1| < 2^−20 (whose log takes another polynomial than the
  // main path), and 3 (on the main path). Exact: Ht_j0 ≤ 5 times each is a double. Where Ht_j0 is
  // 2^1010, V = 2^−22 (above EPS32): the ratio 2^−1032 is subnormal, which the main path gets wrong.
  const nearPowersOfTwo = [1 + 2 ** -25, 2 * (1 + 2 ** -25), 3];
  const store = (i: number, j: number, e: number): void => {
    indices.push(j);
    const exact = j % 10 === 0 ? 2 ** -22 : Ht[j * k] * nearPowersOfTwo[e % 3];
    data.push(i % 4 === 1 ? exact : 1 + Math.floor(rng.gamma(2) * 10));
  };
  for (let i = 0; i < rows; i++) {
    if (denseRows.has(i)) {
      for (let j = 0; j < cols; j += 2) store(i, j, j);
    } else if (i % 7 !== 3) {
      const first = i % 17;
      const last = (3 * i + 5) % 17;
      for (let e = 0; e < first; e++) store(i, 7 + 31 * e, e);
      for (let e = 0; e < last; e++) store(i, cols - 1000 + 53 * e, e);
    }
    indptr.push(indices.length);
  }
  return {
    m: rows,
    n: cols,
    indptr: Int32Array.from(indptr),
    indices: Int32Array.from(indices),
    data: Float64Array.from(data),
    W,
    Ht,
  };
}

function outputs(K: NmfKernels, k: number, c: Case): Map<string, Float64Array> {
  const { m, n, indptr, indices, data, W, Ht } = c;
  const out = new Map<string, Float64Array>();
  const row = new Float64Array(n);
  const ratio = (): Float64Array => new Float64Array(data.length).fill(7.5);
  const numW = new Float64Array(m * k).fill(7.5);
  K.klNumWCsr(indptr, indices, data, m, n, k, W, Ht, numW, row, ratio());
  out.set('klNumWCsr', numW);
  const numHt = new Float64Array(n * k).fill(7.5);
  K.klNumHCsr(indptr, indices, data, m, n, k, W, Ht, numHt, row, ratio());
  out.set('klNumHCsr', numHt);
  const sums = new Float64Array(2 * m).fill(7.5);
  K.csrRowLosses(indptr, indices, data, m, n, k, W, Ht, sums);
  out.set('csrRowLosses', sums);
  return out;
}

function expectSameBits(want: Map<string, Float64Array>, got: Map<string, Float64Array>): void {
  for (const [kernel, values] of want) {
    const mine = got.get(kernel)!;
    const at = values.findIndex((x, q) => !Object.is(x, mine[q]));
    expect(at, `${kernel}: entry ${at} is ${mine[at]}, the reference ${values[at]}`).toBe(-1);
  }
}

/**
 * The W side with the loss rows in one pass (`csrKlLoss`) against the reference's two calls
 * (`want`: `outputs(scalarKernels, …)`), bit for bit.
 */
function expectKlLossBits(
  module: NativeKernelModule,
  c: Case,
  k: number,
  want: Map<string, Float64Array>,
  threads: number,
): void {
  const numW = new Float64Array(c.m * k).fill(7.5);
  const sums = new Float64Array(2 * c.m).fill(7.5);
  module.csrKlLoss!(c.indptr, c.indices, c.data, c.m, c.n, k, c.W, c.Ht, numW, sums, threads);
  expectSameBits(
    new Map([
      ['klNumWCsr', want.get('klNumWCsr')!],
      ['csrRowLosses', want.get('csrRowLosses')!],
    ]),
    new Map([
      ['klNumWCsr', numW],
      ['csrRowLosses', sums],
    ]),
  );
}

const ranks = Array.from({ length: 17 }, (_, t) => t + 1);

describe.skipIf(nativeSkipReason !== null)(
  `native CSR KL passes per rank${nativeSkipReason ? ` (${nativeSkipReason})` : ''}`,
  () => {
    for (const threads of [1, 2, 3]) {
      it(`k = 1 … 17 on ${threads} thread(s): the scalar reference's bits`, () => {
        const native = selectKernels({ backend: 'native', threads, splitAlways: threads > 1 });
        for (const k of ranks) {
          const c = caseFor(k, 100 * threads + k);
          expectSameBits(outputs(scalarKernels, k, c), outputs(native, k, c));
        }
      });
    }

    it('takes runs of every length, dense and empty rows among sparse ones, and log lanes off the main path', () => {
      const module = loadedNativeKernels()!;
      for (const threads of [1, 2, 3]) {
        const native = selectKernels({ backend: 'native', threads, splitAlways: threads > 1 });
        for (const k of ranks) {
          const c = structuredCase(k, 700 + 10 * threads + k);
          const want = outputs(scalarKernels, k, c);
          expectSameBits(want, outputs(native, k, c));
          // The W side with the loss rows in one pass (csrKlLoss), which the above does not call.
          expectKlLossBits(module, c, k, want, threads);
        }
      }
    });

    it('reads the W-side numerator with the loss rows (csrKlLoss), the bits of the two calls', () => {
      const module = loadedNativeKernels()!;
      for (const k of [1, 2, 5, 10, 16, 17]) {
        for (const infinite of [false, true]) {
          const c = caseFor(k, 300 + k);
          // An infinity in Ht: the general passes, one after the other.
          if (infinite) c.Ht[c.indices[c.data.findIndex((v) => v === 0)] * k] = Infinity;
          const want = outputs(scalarKernels, k, c);
          expectKlLossBits(module, c, k, want, 3);
        }
      }
    });

    it("keeps the numerator read with a prepared V's loss for the next numerator call on the same bits of W and Ht only", () => {
      const module = loadedNativeKernels()!;
      const original = module.csrKl!;
      let wSideCalls = 0;
      // The module with csrKl's W-side calls counted (its own properties are read-only).
      const countedKl: NativeKernelModule['csrKl'] = (side, ...rest) => {
        if (side === 0) wSideCalls++;
        original.call(module, side, ...rest);
      };
      const counted = Object.create(module, { csrKl: { value: countedKl } }) as NativeKernelModule;
      for (const k of [2, 6, 16, 17]) {
        const c = caseFor(k, 500 + k);
        markPreparedCsr(c.indptr);
        const native = selectKernels({ backend: 'native', threads: 2, splitAlways: true, native: counted });
        const { indptr, indices, data, W, Ht } = c;
        const row = new Float64Array(n);
        const ratio = new Float64Array(data.length);
        const sums = new Float64Array(2 * m);
        const numW = new Float64Array(m * k);
        wSideCalls = 0;
        native.csrRowLosses(indptr, indices, data, m, n, k, W, Ht, sums);
        native.klNumWCsr(indptr, indices, data, m, n, k, W, Ht, numW, row, ratio);
        // Taken from the loss pass up to k = 16 (the ranks with their own passes).
        expect(wSideCalls).toBe(k <= 16 ? 0 : 1);
        expectSameBits(
          new Map([['klNumWCsr', outputs(scalarKernels, k, c).get('klNumWCsr')!]]),
          new Map([['klNumWCsr', numW]]),
        );
        // Once only, and never for other bits of W (a write between the loss and the numerator).
        native.klNumWCsr(indptr, indices, data, m, n, k, W, Ht, numW, row, ratio);
        expect(wSideCalls).toBe(k <= 16 ? 1 : 2);
        native.csrRowLosses(indptr, indices, data, m, n, k, W, Ht, sums);
        W[3] = W[3] === 0 ? -0 : W[3] * 1.5;
        Ht[7 * k] = Ht[7 * k] === 0 ? -0 : Ht[7 * k] * 1.5;
        native.klNumWCsr(indptr, indices, data, m, n, k, W, Ht, numW, row, ratio);
        expect(wSideCalls).toBe(k <= 16 ? 2 : 3);
        expectSameBits(
          new Map([['klNumWCsr', outputs(scalarKernels, k, c).get('klNumWCsr')!]]),
          new Map([['klNumWCsr', numW]]),
        );
      }
    });

    it('falls back where a factor is not finite: an infinity in Ht, a NaN in W', () => {
      const native = selectKernels({ backend: 'native', threads: 2, splitAlways: true });
      for (const k of [1, 4, 6, 10, 16]) {
        const c = caseFor(k, 7 * k);
        // Ht_j infinite at a column where some rows store a zero (which the reference skips).
        const column = c.indices[c.data.findIndex((v, p) => v === 0 && p >= c.indptr[5])];
        c.Ht[column * k] = Infinity;
        expectSameBits(outputs(scalarKernels, k, c), outputs(native, k, c));
        c.Ht[column * k] = 1;
        c.W[6 * k + (k - 1)] = NaN;
        expectSameBits(outputs(scalarKernels, k, c), outputs(native, k, c));
      }
    });
  },
);
