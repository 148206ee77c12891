import { beforeAll, describe, expect, it } from 'vitest';
import { betaDivergence, fitNmf, type FitOptionsInput, type FitResult } from '../../../shared/nmf';
import { dense } from '../../../shared/linalg/matrix';
import { csrFromDense, transpose } from '../../../shared/linalg/ops';
import { randomizedSvd } from '../../../shared/linalg/svd';
import { prepareData } from '../../../shared/nmf/data';
import { kernelProducts } from '../../../shared/nmf/init';
import {
  loadedNativeKernels,
  selectKernels,
  type KernelBackend,
  type NativeKernelModule,
  type NmfKernels,
} from '../../../shared/nmf/kernels';
import { randomCounts } from '../../../shared/nmf/__tests__/helpers';
import { Rng } from '../../../shared/linalg/random';
import { installNativeKernels } from '..';
import { nativeUnavailable, sameBits } from './helpers';

/**
 * The native dense kernels against the scalar JavaScript ones: the same sums in the same order, so
 * every product and every fit must agree bit for bit, at any thread count. The module is built by
 * `npm run build:native` (part of `npm test`); a machine where it cannot be built (Windows, no C++
 * compiler) skips these with the reason, and NMF_STUDIO_NATIVE=off turns them off on purpose.
 */

const installed = installNativeKernels();
const unavailable = nativeUnavailable(installed);

/** The scalar reference set, and the native set on `threads` threads. */
const scalar = (): NmfKernels => selectKernels({ backend: 'js' });
const nativeOn = (threads: number): NmfKernels => selectKernels({ backend: 'native', threads });

function factor(length: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const out = new Float64Array(length);
  // Some exact zeros, as MU and HALS produce them.
  for (let q = 0; q < length; q++) out[q] = rng.uniform() < 0.1 ? 0 : rng.gamma(1);
  return out;
}

function fitWith(
  backend: KernelBackend,
  threads: number,
  V: Parameters<typeof fitNmf>[0],
  options: FitOptionsInput,
): FitResult {
  return fitNmf(V, options, { kernels: selectKernels({ backend, threads }) });
}

describe.skipIf(unavailable !== null)('native dense kernels', () => {
  let native: NativeKernelModule;
  beforeAll(() => {
    // Where the platform should build them, a missing module is a failure, not a skip.
    expect(installed.reason).toBeUndefined();
    native = loadedNativeKernels()!;
  });

  it('load, report their instruction set and are chosen by default', () => {
    expect(['avx512vl', 'avx2', 'baseline']).toContain(native.isa());
    expect(selectKernels().backend).toBe('native');
    expect(selectKernels({ backend: 'wasm' }).backend).toBe('wasm');
  });

  // k across the 4- and 8-wide blocks and their remainders; n across the 16- and 4-wide column
  // blocks; m across the 4-row blocks; a single row and a single column.
  const shapes: Array<[number, number, number]> = [
    [37, 53, 5],
    [100, 61, 8],
    [9, 7, 1],
    [64, 130, 13],
    [33, 17, 16],
    [1, 40, 3],
    [42, 1, 2],
    [21, 35, 9],
  ];
  for (const [m, n, k] of shapes) {
    for (const [zeros, nans] of [
      [0, 0],
      [0.4, 0.05],
    ]) {
      it(`give the scalar kernels' bits: ${m} × ${n}, k = ${k}, ${zeros * 100}% zeros, ${nans * 100}% NaN`, () => {
        const V = randomCounts(m, n, m * 7 + n + k, zeros, nans).data;
        const W = factor(m * k, 2);
        const Ht = factor(n * k, 3);
        const row = new Float64Array(n);
        const K = scalar();
        const want = {
          klW: new Float64Array(m * k),
          klH: new Float64Array(n * k),
          times: new Float64Array(m * k),
          transposeTimes: new Float64Array(n * k),
        };
        K.klNumWDense(V, m, n, k, W, Ht, want.klW, row);
        K.klNumHDense(V, m, n, k, W, Ht, want.klH, row);
        K.denseTimes(V, m, n, Ht, k, want.times);
        K.denseTransposeTimes(V, m, n, W, k, want.transposeTimes);
        for (const threads of [1, 2, 3]) {
          const N = nativeOn(threads);
          // Garbage in the outputs: every kernel must overwrite, not add.
          const got = {
            klW: new Float64Array(m * k).fill(7),
            klH: new Float64Array(n * k).fill(7),
            times: new Float64Array(m * k).fill(7),
            transposeTimes: new Float64Array(n * k).fill(7),
          };
          N.klNumWDense(V, m, n, k, W, Ht, got.klW, row);
          N.klNumHDense(V, m, n, k, W, Ht, got.klH, row);
          N.denseTimes(V, m, n, Ht, k, got.times);
          N.denseTransposeTimes(V, m, n, W, k, got.transposeTimes);
          for (const key of Object.keys(want) as Array<keyof typeof want>) {
            expect(sameBits(got[key], want[key]), `${key}, ${threads} thread(s)`).toBe(true);
          }
        }
      });
    }
  }

  it('split large calls across threads with the one-thread bits, also on a SharedArrayBuffer', () => {
    const [m, n, k] = [300, 257, 8];
    const V = randomCounts(m, n, 5, 0.2, 0, true).data;
    const W = factor(m * k, 6);
    const Ht = factor(n * k, 7);
    const one = new Float64Array(n * k);
    native.product(1, true, V, m, n, k, W, Ht, one, 1);
    const N = nativeOn(2);
    expect(N.threadsUsed()).toBe(1);
    const two = new Float64Array(n * k);
    N.klNumHDense(V, m, n, k, W, Ht, two, new Float64Array(n));
    expect(N.threadsUsed()).toBe(2);
    expect(sameBits(two, one)).toBe(true);
  });

  const fits: Array<[string, FitOptionsInput]> = [
    ['KL multiplicative updates', { rank: 6, beta: 1, solver: 'mu', maxIter: 30, tol: 0, seed: 3 }],
    ['Frobenius HALS', { rank: 6, beta: 2, solver: 'hals', maxIter: 30, tol: 0, seed: 3 }],
    ['Frobenius ALS', { rank: 6, beta: 2, solver: 'als', maxIter: 15, tol: 0, seed: 3 }],
    ['Frobenius multiplicative updates', { rank: 6, beta: 2, solver: 'mu', maxIter: 30, tol: 0, seed: 3 }],
    ['KL with a HALS warm-up', { rank: 5, beta: 1, solver: 'mu', maxIter: 40, warmup: 10, tol: 0, seed: 4 }],
  ];
  for (const [name, options] of fits) {
    it(`fit ${name} bit for bit as the scalar and WebAssembly kernels, on 1 and 2 threads`, () => {
      const V = randomCounts(120, 90, 11, 0.3);
      const js = fitWith('js', 1, V, options);
      const wasm = fitWith('wasm', 1, V, options);
      const one = fitWith('native', 1, V, options);
      const two = fitWith('native', 2, V, options);
      for (const fit of [wasm, one, two]) {
        expect(sameBits(fit.W.data, js.W.data)).toBe(true);
        expect(sameBits(fit.H.data, js.H.data)).toBe(true);
        expect(fit.loss).toBe(js.loss);
      }
    });
  }

  it('sum the KL and Frobenius losses with the bits of the JavaScript loops (fdlibm log), at any thread count', () => {
    const [m, n, k] = [64, 70, 3];
    for (const beta of [1, 2] as const) {
      // Row 0 of W is zero (WH = 0 → EPS32); row 1 is huge, so that for KL some ratios V/WH fall
      // below 2^-1022 (fdlibm's subnormal branch; smaller for Frobenius, whose squares would
      // overflow); row 2 of V equals WH exactly (log 1 = 0) or to within 2^-20 (the small-|f|
      // branch); row 3 spans 1e-300 to 1e14.
      const huge = beta === 1 ? 1e151 : 1e50;
      const rng = new Rng(21);
      const W = new Float64Array(m * k);
      const H = new Float64Array(k * n);
      for (let q = 0; q < W.length; q++) W[q] = rng.uniform() < 0.2 ? 0 : rng.gamma(1);
      for (let t = 0; t < k; t++) {
        W[t] = 0;
        W[k + t] = huge;
      }
      for (let t = 0; t < k; t++)
        for (let j = 0; j < n; j++) H[t * n + j] = rng.gamma(1) * (j % 2 === 0 ? 1 : huge);
      const V = randomCounts(m, n, 22, 0.3, 0.05).data;
      for (let j = 0; j < n; j++) {
        V[n + j] = 2e-7 * (1 + j);
        let wh = 0;
        for (let t = 0; t < k; t++) wh += W[2 * k + t] * H[t * n + j];
        V[2 * n + j] = j % 3 === 0 ? wh : wh * (1 + (j % 7) * 1e-7);
        V[3 * n + j] = j % 5 === 0 ? 1e-300 : 1e12 * (j + 1);
      }
      const data = dense(m, n, V);
      const Wm = dense(m, k, W);
      const Hm = dense(k, n, H);
      const Ht = transpose(Hm).data;
      const want = betaDivergence(data, Wm, Hm, beta, scalar());
      expect(Number.isFinite(want), `β = ${beta}`).toBe(true);
      const one = new Float64Array(2 * m);
      native.losses(beta, V, m, n, k, W, Ht, one, 1);
      for (const threads of [1, 2, 3]) {
        expect(
          Object.is(betaDivergence(data, Wm, Hm, beta, nativeOn(threads)), want),
          `β = ${beta}, ${threads} thread(s)`,
        ).toBe(true);
        // This size stays on one thread inside betaDivergence: split the rows directly as well.
        const split = new Float64Array(2 * m);
        native.losses(beta, V, m, n, k, W, Ht, split, threads);
        expect(sameBits(split, one), `β = ${beta}, ${threads} thread(s)`).toBe(true);
      }
    }
  });

  it("run HALS's Gram matrices, the k × k products and coordinate-descent sweeps with the scalar bits, split by rows", () => {
    const [rows, k] = [3001, 9];
    const F0 = factor(rows * k, 31);
    const B = factor(rows * k, 32);
    const other = factor(500 * k, 33);
    // Component 3 unused by the other factor: its Hessian G₃₃ is 0, which the sweep must skip.
    for (let i = 0; i < 500; i++) other[i * k + 3] = 0;
    const order = Int32Array.from([4, 0, 8, 2, 6, 1, 7, 3, 5]);
    const K = scalar();
    const G = new Float64Array(k * k);
    K.gram(other, 500, k, G);
    const F = F0.slice();
    const violation = K.cdSweep(F, rows, k, G, B, order);
    const AG = new Float64Array(rows * k);
    K.timesSmall(F0, rows, k, G, AG);
    const N1 = nativeOn(1);
    const Gn = new Float64Array(k * k).fill(3);
    N1.gram(other, 500, k, Gn);
    expect(sameBits(Gn, G)).toBe(true);
    const AGn = new Float64Array(rows * k).fill(3);
    N1.timesSmall(F0, rows, k, G, AGn);
    expect(sameBits(AGn, AG)).toBe(true);
    for (const threads of [1, 2, 3]) {
      const N = nativeOn(threads);
      const Fn = F0.slice();
      expect(Object.is(N.cdSweep(Fn, rows, k, G, B, order), violation), `${threads} thread(s)`).toBe(true);
      expect(sameBits(Fn, F), `${threads} thread(s)`).toBe(true);
      expect(N.threadsUsed()).toBe(threads);
    }
  });

  it('refuse arrays that do not match the sizes, naming the argument', () => {
    const V = new Float64Array(12);
    const W = new Float64Array(6);
    const Ht = new Float64Array(8);
    expect(() => native.product(0, true, V, 3, 5, 2, W, Ht, new Float64Array(6), 1)).toThrow(/lengths/);
    expect(() =>
      native.product(0, true, [] as unknown as Float64Array, 3, 4, 2, W, Ht, new Float64Array(6), 1),
    ).toThrow(/V must be a Float64Array/);
    expect(() => native.product(0, true, V, 3, 4, 2.5, W, Ht, new Float64Array(6), 1)).toThrow(/k must be/);
    expect(() => native.product(2 as 0, true, V, 3, 4, 2, W, Ht, new Float64Array(6), 1)).toThrow(
      /side must be 0 or 1/,
    );
    expect(() => native.losses(5 as 1, V, 3, 4, 2, W, Ht, new Float64Array(6), 1)).toThrow(/kind must be 1/);
    expect(() => native.losses(1, V, 3, 4, 2, W, Ht, new Float64Array(5), 1)).toThrow(/lengths/);
    expect(() => native.gram(W, 3, 3, new Float64Array(9))).toThrow(/lengths/);
    expect(() => native.timesSmall(W, 3, 2, new Float64Array(3), new Float64Array(6))).toThrow(/lengths/);
    const order = Int32Array.from([0, 2]);
    expect(() => native.cdSweep(W, 3, 2, new Float64Array(4), W, order, 1)).toThrow(/outside 0..k-1/);
    expect(() => native.cdSweep(W, 3, 2, new Float64Array(4), W, new Float64Array(2) as never, 1)).toThrow(
      /order must be an Int32Array/,
    );
    expect(() => (native.gram as unknown as (...args: unknown[]) => void)(W, 3)).toThrow(
      /gram: expected \(A, rows, k, out\)/,
    );
    // Sizes whose product would wrap around are refused before any length is compared.
    expect(() => native.product(0, true, V, 2 ** 40, 2 ** 40, 2, W, Ht, new Float64Array(6), 1)).toThrow(
      /too large/,
    );
  });
});

describe.skipIf(unavailable !== null)('the NNDSVD start on the fast kernels', () => {
  // The randomized SVD behind the NNDSVD starts multiplies by V and Vᵀ through the solvers' kernels
  // (`kernelProducts`); they skip the entries the plain products skip and sum in the same order, so
  // the start keeps the bits of the plain-JavaScript SVD on every backend and thread count.
  const m = 300;
  const n = 120;
  const rng = new Rng(41);
  const values = new Float64Array(m * n);
  for (let q = 0; q < values.length; q++) {
    const u = rng.uniform();
    values[q] = u < 0.3 ? 0 : u < 0.33 ? NaN : rng.gamma(2);
  }
  const Vd = dense(m, n, values);
  const Vc = csrFromDense(Vd);
  for (const [label, V] of [
    ['dense', Vd],
    ['CSR', Vc],
  ] as const) {
    const plain = randomizedSvd(V, 6, { seed: 9 });
    for (const [backend, threads] of [
      ['js', 1],
      ['wasm', 1],
      ['native', 1],
      ['native', 2],
    ] as const) {
      it(`${label} V, ${backend} kernels on ${threads} thread(s): the plain products' bits`, () => {
        const kernels = selectKernels({ backend, threads });
        const fast = randomizedSvd(V, 6, { seed: 9, products: kernelProducts(prepareData(V), kernels) });
        expect(sameBits(fast.U, plain.U)).toBe(true);
        expect(sameBits(fast.S, plain.S)).toBe(true);
        expect(sameBits(fast.V, plain.V)).toBe(true);
      });
    }
  }
});
