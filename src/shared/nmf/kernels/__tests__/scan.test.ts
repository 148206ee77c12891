import { describe, expect, it } from 'vitest';
import { dense, type DenseMatrix } from '../../../linalg/matrix';
import { Rng } from '../../../linalg/random';
import { installNativeKernels } from '../../../../main/native';
import { prepareData, type PreparedData } from '../../data';
import { resolveFitOptions } from '../../options';
import { scalarKernels, selectKernels, type NmfKernels } from '..';
import { SCAN_SUMMARY_LENGTH } from '../scalar/scan';

/**
 * The data scan (`scanDense`, `scanDenseMissing`; native/src/scan.inl) on every backend against
 * the scalar reference, bit for bit, and `prepareData` on each against a plain per-entry loop
 * written here (the scan as it was before it became a kernel): NaN, ±Infinity, negative values,
 * −0, zero rows, rows of one kind only, values whose order of addition matters, and V without
 * any unusual entry. The native scan is one thread whatever the set's count (its sum is one
 * running sum); sets of 1 and 3 threads are compared all the same.
 */

const installed = installNativeKernels();
const nativeSkipReason =
  installed.isa === null ? `native kernels not loaded: ${installed.reason ?? 'unknown reason'}` : null;

interface Backend {
  name: string;
  kernels: () => NmfKernels;
}

const backends: Backend[] = [
  { name: 'scalar', kernels: () => scalarKernels },
  { name: 'wasm', kernels: () => selectKernels({ backend: 'wasm' }) },
  ...(nativeSkipReason === null
    ? [
        { name: 'native, 1 thread', kernels: () => selectKernels({ backend: 'native', threads: 1 }) },
        { name: 'native, 2 threads', kernels: () => selectKernels({ backend: 'native', threads: 2 }) },
        {
          name: 'native, 3 threads split always',
          kernels: () => selectKernels({ backend: 'native', threads: 3, splitAlways: true }),
        },
      ]
    : []),
];

/** The scan before it became a kernel: one running sum and the first of each kind, entry by entry. */
function plainPrepared(V: DenseMatrix): Omit<PreparedData, 'V' | 'missing'> & { missingAt: number[] } {
  const { rows: m, cols: n, data } = V;
  let sum = 0;
  let negative: PreparedData['negative'] = null;
  let infinite: PreparedData['infinite'] = null;
  let zero: PreparedData['zero'] = null;
  const missingAt: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const v = data[i * n + j];
      if (Number.isNaN(v)) {
        missingAt.push(i * n + j);
        continue;
      }
      if (v < 0 && negative === null) negative = { i, j, v };
      if (!Number.isFinite(v)) {
        if (infinite === null) infinite = { i, j, v };
        continue;
      }
      if (v === 0 && zero === null) zero = { i, j };
      sum += v;
    }
  }
  return { m, n, observed: m * n - missingAt.length, sum, negative, infinite, zero, missingAt };
}

/** Matrices that each break one assumption of a fast path. */
function cases(): Array<[string, DenseMatrix]> {
  const rng = new Rng(7);
  const out: Array<[string, DenseMatrix]> = [];
  const make = (name: string, m: number, n: number, fill: (i: number, j: number) => number): void => {
    const data = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) data[i * n + j] = fill(i, j);
    out.push([name, dense(m, n, data)]);
  };
  // Magnitudes spread over 30 orders: any change in the order of addition changes the sum's bits.
  make('positive, order-sensitive', 37, 29, () => rng.uniform() * 10 ** Math.floor(rng.uniform() * 30 - 15));
  make('counts with zeros', 40, 33, () => (rng.uniform() < 0.4 ? 0 : Math.floor(rng.gamma(2) * 50)));
  make('NaN scattered, a zero row', 25, 64, (i) =>
    i === 3 ? 0 : rng.uniform() < 0.15 ? NaN : rng.gamma(1) * 1e3,
  );
  make('negative after NaN and zero', 19, 11, (i, j) =>
    i === 4 && j === 7 ? -2.5 : i === 2 && j === 1 ? NaN : i === 3 && j === 0 ? 0 : rng.uniform(),
  );
  make('−0 only (a zero, not negative)', 6, 5, (i, j) => (i === 1 && j === 2 ? -0 : 1 + rng.uniform()));
  make('+Infinity then −Infinity', 9, 8, (i, j) =>
    i === 5 && j === 2 ? Infinity : i === 6 && j === 1 ? -Infinity : rng.uniform(),
  );
  make('−Infinity first (negative and infinite)', 9, 8, (i, j) =>
    i === 2 && j === 6 ? -Infinity : i === 7 ? Infinity : rng.uniform(),
  );
  make('all NaN', 4, 3, () => NaN);
  make('one column', 30, 1, (i) => (i % 7 === 0 ? NaN : i % 5 === 0 ? 0 : i * 0.37));
  make('one entry', 1, 1, () => 3.25);
  make('empty', 0, 5, () => 1);
  // A sum that overflows to Infinity: the reference keeps adding, so do the others.
  make('overflowing sum', 3, 4, () => 1e308);
  return out;
}

describe('the data scan', () => {
  it.skipIf(nativeSkipReason !== null)('loads the native kernels', () => {
    expect(installed.isa).not.toBeNull();
  });

  for (const backend of backends) {
    it(`gives the scalar reference's bits: ${backend.name}`, () => {
      const kernels = backend.kernels();
      for (const [name, V] of cases()) {
        const { rows: m, cols: n, data } = V;
        const expected = new Float64Array(SCAN_SUMMARY_LENGTH);
        const actual = new Float64Array(SCAN_SUMMARY_LENGTH).fill(12345);
        scalarKernels.scanDense(data, m, n, expected);
        kernels.scanDense(data, m, n, actual);
        for (let q = 0; q < SCAN_SUMMARY_LENGTH; q++) {
          expect(
            Object.is(actual[q], expected[q]),
            `${name}: summary[${q}] ${actual[q]} ≠ ${expected[q]}`,
          ).toBe(true);
        }
        const count = expected[1];
        const rowPtr = new Int32Array(m + 1).fill(-9);
        const cols = new Int32Array(count).fill(-9);
        kernels.scanDenseMissing(data, m, n, rowPtr, cols);
        const refPtr = new Int32Array(m + 1);
        const refCols = new Int32Array(count);
        scalarKernels.scanDenseMissing(data, m, n, refPtr, refCols);
        expect(Array.from(rowPtr), name).toEqual(Array.from(refPtr));
        expect(Array.from(cols), name).toEqual(Array.from(refCols));
      }
    });

    it(`prepares data as the per-entry loop does: ${backend.name}`, () => {
      const kernels = backend.kernels();
      for (const [name, V] of cases()) {
        const got = prepareData(V, kernels);
        const want = plainPrepared(V);
        expect(Object.is(got.sum, want.sum), `${name}: sum ${got.sum} ≠ ${want.sum}`).toBe(true);
        expect(got.observed, name).toBe(want.observed);
        expect(got.negative, name).toEqual(want.negative);
        expect(got.infinite, name).toEqual(want.infinite);
        expect(got.zero, name).toEqual(want.zero);
        const missing = got.missing;
        if (want.missingAt.length === 0) {
          expect(missing, name).toBeNull();
          continue;
        }
        expect(missing?.count, name).toBe(want.missingAt.length);
        // Both indexes list exactly the NaN positions, rows and columns increasing.
        const byRow: number[] = [];
        const byColumn: number[] = [];
        for (let i = 0; i < V.rows; i++)
          for (let q = missing!.rowPtr[i]; q < missing!.rowPtr[i + 1]; q++)
            byRow.push(i * V.cols + missing!.cols[q]);
        for (let j = 0; j < V.cols; j++)
          for (let q = missing!.colPtr[j]; q < missing!.colPtr[j + 1]; q++)
            byColumn.push(missing!.rows[q] * V.cols + j);
        expect(byRow, name).toEqual(want.missingAt);
        expect(
          byColumn.sort((a, b) => a - b),
          name,
        ).toEqual(want.missingAt);
        for (let j = 0; j < V.cols; j++)
          for (let q = missing!.colPtr[j] + 1; q < missing!.colPtr[j + 1]; q++)
            expect(missing!.rows[q], name).toBeGreaterThan(missing!.rows[q - 1]);
      }
    });
  }

  it.skipIf(nativeSkipReason !== null)(
    'names the first bad entry in the fit settings error (native scan)',
    () => {
      const V = dense(20, 10, new Float64Array(200).fill(1));
      V.data[3 * 10 + 9] = NaN;
      V.data[12 * 10 + 4] = -1;
      V.data[15 * 10 + 2] = -3;
      expect(() => resolveFitOptions({ rank: 2 }, V)).toThrow('V[12, 4] = -1 is negative');
      V.data[12 * 10 + 4] = 1;
      V.data[15 * 10 + 2] = 1;
      V.data[8 * 10 + 6] = -Infinity;
      expect(() => resolveFitOptions({ rank: 2 }, V)).toThrow('V[8, 6] = -Infinity is negative');
      V.data[8 * 10 + 6] = Infinity;
      expect(() => resolveFitOptions({ rank: 2 }, V)).toThrow(
        'V[8, 6] = Infinity is not finite (only NaN, a missing value, is allowed)',
      );
      V.data[8 * 10 + 6] = 1;
      V.data[17 * 10 + 0] = 0;
      expect(() => resolveFitOptions({ rank: 2, beta: 0 }, V)).toThrow(
        'β = 0 needs V without zeros: V[17, 0] = 0',
      );
    },
  );

  it.skipIf(nativeSkipReason !== null)('refuses missing-entry arrays too short for V', () => {
    const kernels = selectKernels({ backend: 'native' });
    const V = new Float64Array([NaN, 1, NaN, NaN]);
    expect(() => kernels.scanDenseMissing(V, 2, 2, new Int32Array(3), new Int32Array(2))).toThrow(
      /more missing entries than cols has room for/,
    );
    expect(() => scalarKernels.scanDenseMissing(V, 2, 2, new Int32Array(3), new Int32Array(2))).toThrow(
      /too short/,
    );
  });
});
