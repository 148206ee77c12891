import { describe, expect, it } from 'vitest';
import { Rng } from '../../../linalg/random';
import { installNativeKernels } from '../../../../main/native';
import { randomCounts, toCsr } from '../../__tests__/helpers';
import { dense } from '../../../linalg/matrix';
import { betaDivergence } from '../../divergence';
import { fitNmf } from '../../fit';
import { EPS32, columnSums, scalarKernels, selectKernels, type NmfKernels } from '..';
import { loadedNativeKernels } from '../native';

/**
 * The CSR kernels (KL numerators and loss rows, V·F, Vᵀ·W) of every backend against the scalar reference, bit for
 * bit (Object.is), on sparse data such as count tables give: most rows sparser than a third, so
 * (WH)_ij comes from one dot product per stored entry, summed component by component — the path
 * the dense-ish shapes of conformance.test.ts rarely take — next to a few whole-row rows, empty
 * rows, stored zeros and a stored NaN; ranks on every padded width (1–4, 5–8, 9–12, 13–16, and
 * one past the widths with their own code), shapes wide enough for several column blocks of the
 * native KL passes, and native thread counts 1, 2 and 3 with every call split.
 */

const installed = installNativeKernels();
const nativeSkipReason =
  installed.isa === null ? `native kernels not loaded: ${installed.reason ?? 'unknown reason'}` : null;

/** Shapes [m, n, k, share of zeros]. */
const shapes: [number, number, number, number][] = [
  [53, 211, 3, 0.92],
  [90, 130, 5, 0.85],
  [47, 300, 9, 0.95],
  [31, 97, 13, 0.8],
  [120, 64, 2, 0.9],
  [64, 120, 16, 0.75],
  // Wide enough for the native blocked KL passes to take several column blocks (a block holds
  // 256 KiB of padded Ht: 8192 columns at k ≤ 4, 2048 at k = 13..16, 109 at k = 300).
  [24, 9000, 3, 0.97],
  [29, 2600, 14, 0.93],
  [9, 700, 300, 0.9],
];

function factor(length: number, rng: Rng): Float64Array {
  const out = new Float64Array(length);
  for (let q = 0; q < length; q++) out[q] = rng.uniform() < 0.1 ? 0 : rng.gamma(1);
  return out;
}

function outputs(
  K: NmfKernels,
  m: number,
  n: number,
  k: number,
  zeros: number,
  seed: number,
): Map<string, Float64Array> {
  const V = randomCounts(m, n, seed, zeros, 0.01);
  // An empty row, and a row denser than a third (the whole-row path).
  V.data.fill(0, 0, n);
  for (let j = 0; j < n; j += 2) V.data[3 * n + j] = 1 + (j % 7);
  const csr = toCsr(V, { storeZero: (i, j) => (i * 7 + j) % 29 === 0 });
  const rng = new Rng(seed + 1);
  const W = factor(m * k, rng);
  const Ht = factor(n * k, rng);
  // A factor row of zeros: (WH)_ij = 0 for its entries, so the EPS32 substitution is taken.
  Ht.fill(0, 5 * k, 6 * k);
  const { indptr, indices, data } = csr;
  const out = new Map<string, Float64Array>();
  const run = (name: string, length: number, f: (o: Float64Array, ratio: Float64Array) => void): void => {
    const o = new Float64Array(length).fill(7.5);
    const ratio = new Float64Array(data.length).fill(7.5);
    f(o, ratio);
    out.set(name, o);
  };
  const row = new Float64Array(n);
  run('csrTimes', m * k, (o) => K.csrTimes(indptr, indices, data, m, n, Ht, k, o));
  run('csrTransposeTimes', n * k, (o) => K.csrTransposeTimes(indptr, indices, data, m, n, W, k, o));
  run('klNumWCsr', m * k, (o, r) => K.klNumWCsr(indptr, indices, data, m, n, k, W, Ht, o, row, r));
  run('klNumHCsr', n * k, (o, r) => K.klNumHCsr(indptr, indices, data, m, n, k, W, Ht, o, row, r));
  run('csrRowLosses', 2 * m, (o) => K.csrRowLosses(indptr, indices, data, m, n, k, W, Ht, o));
  return out;
}

function suite(name: string, kernelsOf: () => NmfKernels): void {
  describe(name, () => {
    for (const [m, n, k, zeros] of shapes) {
      it(`${m} × ${n}, k = ${k}, ${Math.round((1 - zeros) * 100)} % stored: the scalar reference's bits`, () => {
        const seed = m * 31 + n * 7 + k;
        const want = outputs(scalarKernels, m, n, k, zeros, seed);
        const got = outputs(kernelsOf(), m, n, k, zeros, seed);
        for (const [kernel, values] of want) {
          const mine = got.get(kernel)!;
          const at = values.findIndex((x, q) => !Object.is(x, mine[q]));
          expect(at, `${kernel}: entry ${at} is ${mine[at]}, the reference ${values[at]}`).toBe(-1);
        }
      });
    }
  });
}

suite('WebAssembly', () => selectKernels({ backend: 'wasm' }));

describe.skipIf(nativeSkipReason !== null)(
  `native CSR kernels${nativeSkipReason ? ` (${nativeSkipReason})` : ''}`,
  () => {
    suite('one thread', () => selectKernels({ backend: 'native', threads: 1 }));
    suite('two threads, every call split', () =>
      selectKernels({ backend: 'native', threads: 2, splitAlways: true }),
    );
    suite('three threads, every call split', () =>
      selectKernels({ backend: 'native', threads: 3, splitAlways: true }),
    );

    it('checks a prepared V once: a handle refuses a bad structure and stands only for its own arrays', () => {
      const module = loadedNativeKernels()!;
      const data = Float64Array.of(1, 2);
      const F = new Float64Array(6);
      const out = new Float64Array(6);
      expect(() => module.csrHandle!(Int32Array.of(0, 2), Int32Array.of(2, 1), data, 1, 3)).toThrow(
        /csrHandle: indices of row 0 are not sorted columns in \[0, n\)/,
      );
      expect(() => module.csrHandle!(Int32Array.of(0, 2), Int32Array.of(0, 3), data, 1, 3)).toThrow(/row 0/);
      const indptr = Int32Array.of(0, 2);
      const indices = Int32Array.of(0, 2);
      const handle = module.csrHandle!(indptr, indices, data, 1, 3);
      module.csrKl!(0, handle, indices, data, 1, 3, 2, F, F, out, new Float64Array(2), 1);
      // Other arrays than the handle's, or another shape, are refused.
      expect(() =>
        module.csrKl!(1, handle, Int32Array.of(0, 7), data, 1, 3, 2, F, F, out, new Float64Array(2), 1),
      ).toThrow(/other arrays or another shape/);
      expect(() => module.csrLosses!(handle, indices, data, 1, 4, 2, F, F, out, 1)).toThrow(/other arrays/);
      // indptr is checked on every call.
      indptr[1] = 5;
      expect(() => module.csrProduct!(0, handle, indices, data, 1, 3, F, 2, out, 1)).toThrow(
        /exceeds the stored entries/,
      );
    });

    it('refuses CSR arrays that would index outside the outputs', () => {
      const module = loadedNativeKernels()!;
      const out = new Float64Array(4);
      const F = new Float64Array(6);
      const data = Float64Array.of(1, 2);
      // A column index past n, then columns out of order in a row.
      expect(() =>
        module.csrProduct!(1, Int32Array.of(0, 2), Int32Array.of(0, 3), data, 1, 3, F, 2, out, 1),
      ).toThrow(/not sorted columns in \[0, n\)/);
      expect(() =>
        module.csrProduct!(0, Int32Array.of(0, 2), Int32Array.of(2, 1), data, 1, 3, F, 2, out, 1),
      ).toThrow(/row 0/);
      // indptr pointing past the stored entries.
      expect(() =>
        module.csrKl!(0, Int32Array.of(0, 5), Int32Array.of(0, 1), data, 1, 3, 2, F, F, out, data, 1),
      ).toThrow(/exceeds the stored entries/);
      expect(() =>
        module.csrLosses!(Int32Array.of(0, 2), Int32Array.of(1, 7), data, 1, 3, 2, F, F, out, 1),
      ).toThrow(/csrLosses: indices of row 0/);
      // sums shorter than 2m.
      expect(() =>
        module.csrLosses!(
          Int32Array.of(0, 2),
          Int32Array.of(0, 1),
          data,
          1,
          3,
          2,
          F,
          F,
          out.subarray(0, 1),
          1,
        ),
      ).toThrow(/csrLosses: array lengths/);
    });
  },
);

/**
 * The CSR KL loss is summed row by row (`csrRowLosses`, each row's entries in stored order), then
 * the rows in row order: the grouping that lets the native kernels split rows over threads. Every
 * backend and thread count gives the bits of that formula, and on these shapes one running sum
 * over all entries (the grouping before rows were split) gives other bits, so a backend or a
 * caller that drifted back to it fails here.
 */
describe('the CSR KL loss', () => {
  const sets: [string, () => NmfKernels][] = [
    ['scalar', () => scalarKernels],
    ['WebAssembly', () => selectKernels({ backend: 'wasm' })],
  ];
  if (nativeSkipReason === null) {
    for (const threads of [1, 2, 3]) {
      sets.push([
        `native, ${threads} thread(s)`,
        () => selectKernels({ backend: 'native', threads, splitAlways: true }),
      ]);
    }
  }
  it('is Σ over rows, in row order, of the row sums, on every backend and thread count', () => {
    let runningSumDiffers = 0;
    for (const [m, n, k, zeros] of shapes) {
      const seed = m * 17 + n + k;
      const Vd = randomCounts(m, n, seed, zeros, 0);
      const V = toCsr(Vd, { storeZero: (i, j) => (i + 3 * j) % 31 === 0 });
      const rng = new Rng(seed + 2);
      const W = factor(m * k, rng);
      const Ht = factor(n * k, rng);
      const H = new Float64Array(k * n);
      for (let j = 0; j < n; j++) for (let t = 0; t < k; t++) H[t * n + j] = Ht[j * k + t];
      const sums = new Float64Array(2 * m);
      scalarKernels.csrRowLosses(V.indptr, V.indices, V.data, m, n, k, W, Ht, sums);
      let a = 0;
      let b = 0;
      for (let i = 0; i < m; i++) {
        a += sums[2 * i];
        b += sums[2 * i + 1];
      }
      const wSum = new Float64Array(k);
      const hSum = new Float64Array(k);
      columnSums(W, m, k, wSum);
      columnSums(Ht, n, k, hSum);
      let sumWH = 0;
      for (let t = 0; t < k; t++) sumWH += wSum[t] * hSum[t];
      const want = a + (sumWH - b);
      // One running sum over every stored entry in storage order.
      let runningA = 0;
      let runningB = 0;
      for (let p = 0; p < V.data.length; p++) {
        const v = V.data[p];
        if (!(v > EPS32)) continue;
        const i = V.indptr.findIndex((start, r) => r < m && p >= start && p < V.indptr[r + 1]);
        let wh = 0;
        for (let t = 0; t < k; t++) wh += W[i * k + t] * Ht[V.indices[p] * k + t];
        runningA += v * Math.log(v / (wh === 0 ? EPS32 : wh));
        runningB += v;
      }
      if (!Object.is(runningA + (sumWH - runningB), want)) runningSumDiffers++;
      for (const [name, kernelsOf] of sets) {
        const got = betaDivergence(V, dense(m, k, W), dense(k, n, H), 1, kernelsOf());
        expect(Object.is(got, want), `${name}, ${m} × ${n}, k = ${k}: ${got}, want ${want}`).toBe(true);
      }
    }
    expect(runningSumDiffers).toBeGreaterThan(0);
  });
});

/**
 * A fit on a prepared CSR V: the native kernels check V's structure once (a handle, reused by
 * every later call of the fit) and run the column-blocked KL passes; the fit keeps the bits of the
 * scalar kernels' fit at every thread count. 40 × 5000 at k = 6 takes two column blocks.
 */
describe.skipIf(nativeSkipReason !== null)('a KL MU fit on a prepared CSR V', () => {
  const csr = toCsr(randomCounts(40, 5000, 17, 0.94, 0.002), { storeZero: (i, j) => (i + j) % 37 === 0 });
  const fit = (kernels: NmfKernels) =>
    fitNmf(
      csr,
      { rank: 6, beta: 1, solver: 'mu', init: 'random', seed: 4, maxIter: 12, tol: 0, checkEvery: 4 },
      {
        kernels,
      },
    );
  const want = fit(scalarKernels);
  for (const threads of [1, 2, 3]) {
    it(`native kernels on ${threads} thread(s): the scalar fit's factors and losses`, () => {
      const got = fit(selectKernels({ backend: 'native', threads, splitAlways: true }));
      const differs = (a: Float64Array, b: Float64Array): number =>
        a.findIndex((x, q) => !Object.is(x, b[q]));
      expect(differs(got.W.data, want.W.data), 'W').toBe(-1);
      expect(differs(got.H.data, want.H.data), 'H').toBe(-1);
      expect(got.trace).toEqual(want.trace);
    });
  }
});
