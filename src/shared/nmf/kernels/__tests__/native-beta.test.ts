import { describe, expect, it } from 'vitest';
import { dense, type DataMatrix, type DenseMatrix } from '../../../linalg/matrix';
import { Rng } from '../../../linalg/random';
import { installNativeKernels } from '../../../../main/native';
import { fitNmf } from '../..';
import { randomCounts, toCsr } from '../../__tests__/helpers';
import { scalarKernels, selectKernels, type DataArrays, type NmfKernels } from '..';
import { loadedNativeKernels, nativeKernels } from '../native';

/**
 * The native general-β and Itakura–Saito terms on dense V (native/src/beta.inl) against the
 * scalar reference and the WebAssembly set, bit for bit (Object.is on every entry): the port of
 * fdlibm's pow (scalar and four lanes) against Math.pow, the kernels and the loss sums at 1 to 4
 * threads with every call split, and whole fits. ./conformance.test.ts holds the native set to the reference on its shapes too; here the
 * ranks 1 to 9, more β and every thread count.
 */

const installed = installNativeKernels();
const skipReason =
  installed.isa === null ? `native kernels not loaded: ${installed.reason ?? 'unknown'}` : null;
const module = loadedNativeKernels();
const servesBeta = module !== null && typeof module.betaTerms === 'function';

/** Index of the first entry where a and b differ in bits (−1: none; −2: lengths differ). */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return -2;
  for (let q = 0; q < a.length; q++) if (!Object.is(a[q], b[q])) return q;
  return -1;
}

function expectSameBits(got: ArrayLike<number>, want: ArrayLike<number>, label: string): void {
  const at = firstDifference(got, want);
  expect(at, at >= 0 ? `${label}: entry ${at} is ${got[at]}, the reference ${want[at]}` : label).toBe(-1);
}

/** Factor entries: Gamma(1) with 10 % exact zeros (as MU leaves them). */
function factor(length: number, rng: Rng): Float64Array {
  const out = new Float64Array(length);
  for (let q = 0; q < length; q++) out[q] = rng.uniform() < 0.1 ? 0 : rng.gamma(1);
  return out;
}

/** x[q]^y[q] for every q, by the native port and by Math.pow; the first differing entry's label or null. */
function powMismatch(x: Float64Array, y: Float64Array): string | null {
  const got = new Float64Array(x.length);
  module!.fdlibmPow!(x, y, got);
  for (let q = 0; q < x.length; q++) {
    const want = Math.pow(x[q], y[q]);
    if (!Object.is(got[q], want)) return `pow(${x[q]}, ${y[q]}) = ${got[q]}, Math.pow ${want}`;
  }
  return null;
}

describe.skipIf(skipReason !== null || !servesBeta)(
  `native general-β terms${skipReason !== null ? ` (${skipReason})` : ''}`,
  () => {
    it("gives Math.pow's bits on the special cases", () => {
      const xs = [
        0,
        -0,
        1.1920928955078125e-7, // EPS32, the clamp of the terms
        5e-324,
        1e-310,
        2.2250738585072014e-308,
        2.225073858507201e-308,
        1e-300,
        0.5,
        1 - 2 ** -53,
        1,
        1 + 2 ** -52,
        1.5,
        2,
        Math.SQRT2,
        1.7320508075688772,
        3,
        10,
        1e300,
        1.7976931348623157e308,
        Infinity,
        -Infinity,
        NaN,
        -1,
        -0.5,
        -2,
        -3.7,
        -1e-310,
      ];
      const ys = [
        -1.5,
        -0.5,
        0.5,
        1.5,
        -2,
        3,
        2,
        -1,
        1,
        0,
        -0,
        -2.5,
        2.5,
        0.25,
        1 / 3,
        -1e-3,
        1023.5,
        1024,
        -1074,
        -1075,
        -1076,
        2 ** 31 + 0.5,
        -(2 ** 31) - 0.5,
        2 ** 53,
        2 ** 64,
        2 ** 65,
        1e300,
        -1e300,
        Infinity,
        -Infinity,
        NaN,
        5,
        -5,
      ];
      // x varying fastest (runs of four equal y: the four-lane path, which hands the special x
      // back to the scalar code), then y varying fastest (the scalar path).
      expect(xs.length % 4).toBe(0);
      const x = new Float64Array(xs.length * ys.length);
      const y = new Float64Array(xs.length * ys.length);
      ys.forEach((b, j) =>
        xs.forEach((a, i) => {
          x[j * xs.length + i] = a;
          y[j * xs.length + i] = b;
        }),
      );
      expect(powMismatch(x, y)).toBeNull();
      xs.forEach((a, i) =>
        ys.forEach((b, j) => {
          x[i * ys.length + j] = a;
          y[i * ys.length + j] = b;
        }),
      );
      expect(powMismatch(x, y)).toBeNull();
    });

    it("gives Math.pow's bits on 10^7 random inputs", () => {
      // Ten batches of 2^20: random bit patterns (every exponent, subnormals, both signs), x uniform
      // on (0, 10) and log-uniform over e^±40 (the terms' range), against the exponents the terms
      // use (β − 1, β − 2, β for β in 0 … 3) and random ones near 1 and far out (the scalar path).
      const size = 1 << 20;
      const x = new Float64Array(size);
      const y = new Float64Array(size);
      const words = new Uint32Array(x.buffer);
      const termExponents = [-1.5, -0.5, 0.5, 1.5, -2.5, 2.5, -0.75, 0.3, -1.7, 1.2];
      const rng = new Rng(20261206);
      for (let batch = 0; batch < 10; batch++) {
        for (let q = 0; q < size; q++) {
          switch (batch % 3) {
            case 0:
              words[2 * q] = Math.floor(rng.uniform() * 2 ** 32);
              words[2 * q + 1] = Math.floor(rng.uniform() * 2 ** 32);
              break;
            case 1:
              x[q] = rng.uniform() * 10;
              break;
            default:
              x[q] = Math.exp((rng.uniform() - 0.5) * 80);
          }
          // Runs of four equal exponents (the four-lane path) in the first five batches.
          y[q] =
            batch < 5
              ? termExponents[(q >> 2) % termExponents.length]
              : batch < 8
                ? (rng.uniform() - 0.5) * 8
                : (rng.uniform() - 0.5) * 2400;
        }
        expect(powMismatch(x, y), `batch ${batch}`).toBeNull();
      }
    }, 60_000);

    // Rank 1 to 9 on shapes whose n is not a multiple of four or sixteen (the vector tails), with
    // zeros, NaN (missing) and an all-zero row in V and exact zeros in the factors.
    const shapes: Array<[number, number, number]> = [
      [1, 1, 1],
      [9, 23, 1],
      [13, 5, 2],
      [17, 37, 3],
      [21, 16, 4],
      [11, 45, 5],
      [6, 19, 6],
      [31, 7, 7],
      [8, 50, 8],
      [27, 33, 9],
    ];
    const betas = [0, 0.5, 1.5, 3, -0.5, 2.5];

    const csrForms = new WeakMap<
      DenseMatrix,
      { indptr: Int32Array; indices: Int32Array; data: Float64Array }
    >();
    /** V's CSR form (kept per V, so a set's CSR handle is made once). */
    function csrOf(V: DenseMatrix): { indptr: Int32Array; indices: Int32Array; data: Float64Array } {
      let form = csrForms.get(V);
      if (form === undefined) {
        const csr = toCsr(V, { storeZero: (i, j) => (i * 5 + j) % 13 === 0 });
        form = { indptr: csr.indptr, indices: csr.indices, data: csr.data };
        csrForms.set(V, form);
      }
      return form;
    }

    function data(m: number, n: number, k: number): { V: DenseMatrix; W: Float64Array; Ht: Float64Array } {
      const V = randomCounts(m, n, m * 31 + n, 0.3, 0.08);
      if (m > 2) V.data.fill(0, n, 2 * n);
      const rng = new Rng(m + n + k);
      return { V, W: factor(m * k, rng), Ht: factor(n * k, rng) };
    }

    /**
     * numW, denW, numHt, denHt of set K on V dense or as CSR (every non-zero stored, NaN included,
     * and a few stored zeros); garbage in the outputs first: they must be overwritten.
     */
    function terms(
      K: NmfKernels,
      V: DenseMatrix,
      layout: 'dense' | 'csr',
      k: number,
      W: Float64Array,
      Ht: Float64Array,
      beta: number,
    ): Float64Array[] {
      const { rows: m, cols: n } = V;
      const arrays: DataArrays =
        layout === 'dense' ? { kind: 'dense', data: V.data } : { kind: 'csr', ...csrOf(V) };
      const out = [m * k, m * k, n * k, n * k].map((length) => new Float64Array(length).fill(7.5));
      const scratch = (): Float64Array => new Float64Array(n).fill(7.5);
      K.betaW(arrays, m, n, k, W, Ht, beta, out[0], out[1], scratch(), scratch(), scratch());
      K.betaH(arrays, m, n, k, W, Ht, beta, out[2], out[3], scratch(), scratch(), scratch());
      return out;
    }

    for (const threads of [1, 2, 3, 4]) {
      it(`gives the reference terms and loss sums on ${threads} thread(s), every call split`, () => {
        const native = selectKernels({ backend: 'native', threads, splitAlways: true });
        const wasm = selectKernels({ backend: 'wasm' });
        for (const [m, n, k] of shapes) {
          const { V, W, Ht } = data(m, n, k);
          for (const beta of betas) {
            const wantCsr = terms(scalarKernels, V, 'csr', k, W, Ht, beta);
            const gotCsr = terms(native, V, 'csr', k, W, Ht, beta);
            ['numW', 'denW', 'numHt', 'denHt'].forEach((name, at) =>
              expectSameBits(
                gotCsr[at],
                wantCsr[at],
                `native CSR ${name}, ${m} × ${n}, k = ${k}, β = ${beta}`,
              ),
            );
            const want = terms(scalarKernels, V, 'dense', k, W, Ht, beta);
            const fromWasm = terms(wasm, V, 'dense', k, W, Ht, beta);
            const got = terms(native, V, 'dense', k, W, Ht, beta);
            const sums = (K: NmfKernels): Float64Array => {
              const out = new Float64Array(3).fill(7.5);
              K.betaLossSums(V.data, m, n, k, W, Ht, beta, out);
              return out;
            };
            want.push(sums(scalarKernels));
            fromWasm.push(sums(wasm));
            got.push(sums(native));
            ['numW', 'denW', 'numHt', 'denHt', 'loss sums'].forEach((name, at) => {
              const label = `${name}, ${m} × ${n}, k = ${k}, β = ${beta}`;
              expectSameBits(fromWasm[at], want[at], `WebAssembly ${label}`);
              expectSameBits(got[at], want[at], `native ${label}`);
            });
          }
        }
        if (threads > 1) expect(native.threadsUsed()).toBe(threads);
      });
    }

    /**
     * A whole MU fit of V with the native set, on 1 and 3 threads with every call split, has the
     * WebAssembly set's W, H and trace; returns the WebAssembly fit.
     */
    function expectFitLikeWasm(V: DataMatrix, rank: number, beta: number, seed: number, maxIter: number) {
      const fit = (kernels: NmfKernels) =>
        fitNmf(
          V,
          { rank, beta, solver: 'mu', init: 'random', seed, maxIter, tol: 0, checkEvery: 5 },
          { kernels },
        );
      const want = fit(selectKernels({ backend: 'wasm' }));
      for (const threads of [1, 3]) {
        const got = fit(selectKernels({ backend: 'native', threads, splitAlways: true }));
        expectSameBits(got.W.data, want.W.data, `W, ${threads} thread(s)`);
        expectSameBits(got.H.data, want.H.data, `H, ${threads} thread(s)`);
        expectSameBits(got.trace.flat(), want.trace.flat(), `trace, ${threads} thread(s)`);
      }
      return want;
    }

    it("fits β = 0.5 on CSR V to the WebAssembly set's W, H and trace, on 1 and 3 threads", () => {
      expectFitLikeWasm(toCsr(randomCounts(71, 53, 9, 0.6, 0.02)), 5, 0.5, 4, 30);
    });

    it('serves the terms itself, and takes them from the wrapped set from a module without them', () => {
      const wasm = selectKernels({ backend: 'wasm' });
      const native = nativeKernels(module!, 1, wasm);
      expect(native.betaW).not.toBe(wasm.betaW);
      const older = nativeKernels({ ...module!, betaTerms: undefined }, 1, wasm);
      expect(older.betaW).toBe(wasm.betaW);
      expect(older.betaH).toBe(wasm.betaH);
      // A module with the dense terms but not the CSR ones: CSR V goes to the wrapped set.
      const denseOnly = nativeKernels({ ...module!, betaTermsCsr: undefined }, 1, wasm);
      const V = randomCounts(7, 9, 3, 0.3, 0.1);
      const { W, Ht } = data(7, 9, 2);
      const want = terms(wasm, V, 'csr', 2, W, Ht, 0.5);
      const got = terms(denseOnly, V, 'csr', 2, W, Ht, 0.5);
      got.forEach((out, at) => expectSameBits(out, want[at], `CSR output ${at}`));
    });

    /** Positive data with 3 % missing entries (IS needs V > 0 where observed). */
    function positive(m: number, n: number, seed: number): DenseMatrix {
      const rng = new Rng(seed);
      const V = dense(m, n);
      for (let q = 0; q < V.data.length; q++) V.data[q] = rng.uniform() < 0.03 ? NaN : 0.5 + rng.gamma(2);
      return V;
    }

    for (const beta of [0, 0.5]) {
      it(`fits β = ${beta} to the WebAssembly set's W, H and trace, on 1 and 3 threads`, () => {
        const want = expectFitLikeWasm(positive(83, 61, 5), 6, beta, 3, 40);
        expect(want.trace.length).toBeGreaterThan(5);
      });
    }
  },
);
