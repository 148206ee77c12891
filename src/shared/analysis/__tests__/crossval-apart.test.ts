import { describe, expect, it } from 'vitest';
import { dense, type CsrMatrix, type DenseMatrix } from '../../linalg/matrix';
import { Rng } from '../../linalg/random';
import { prepareData, type PreparedData, type UnstoredMissing } from '../../nmf/data';
import { toCsr } from '../../nmf/__tests__/helpers';
import {
  cvFoldsFor,
  heldOutError,
  heldOutTrimmedError,
  makeCvFolds,
  makeSampledCvFolds,
  maskFold,
  maskFoldApart,
  shuffleWithinRows,
  type AnyCvFolds,
} from '../crossval';
import { planSweep } from '../sweep-plan';
import { runSweepJob, screenedFit } from '../sweep-job';
import type { SweepFitOptions, SweepJob } from '../types';

/**
 * A fold's CSR masked copy that stores only V's entries, its held-out zeros passed to the scan as
 * positions (`maskFoldApart`, `prepareData`'s `unstoredMissing`), against the copy that stores
 * every held-out entry as NaN (`maskFold`): the same missing entries, scan and fits.
 */

/** Whether entry t (row-major) of V is held out by `fold`. */
function heldBy(folds: AnyCvFolds, fold: number): (t: number) => boolean {
  if (!('kind' in folds)) return (t) => folds.assignment[t] === fold;
  const mine = new Set<number>();
  folds.positions.forEach((position, s) => {
    if (folds.fold[s] === fold) mine.add(position);
  });
  return (t) => mine.has(t);
}

/** Counts with about `density` of the entries stored, one row empty and one full. */
function randomCounts(m: number, n: number, density: number, seed: number): DenseMatrix {
  const rng = new Rng(seed);
  const data = new Float64Array(m * n);
  for (let t = 0; t < m * n; t++) if (rng.uniform() < density) data[t] = 1 + rng.int(9);
  data.fill(0, 0, n);
  for (let j = 0; j < n; j++) data[(m - 1) * n + j] = 1 + (j % 4);
  return dense(m, n, data);
}

function expectSameScan(got: PreparedData, want: PreparedData): void {
  expect(got.observed).toBe(want.observed);
  expect(Object.is(got.sum, want.sum)).toBe(true);
  expect(got.zero).toEqual(want.zero);
  expect(got.negative).toEqual(want.negative);
  expect(got.infinite).toEqual(want.infinite);
  expect(got.missing === null).toBe(want.missing === null);
  if (got.missing === null || want.missing === null) return;
  expect(got.missing.count).toBe(want.missing.count);
  expect(Array.from(got.missing.rowPtr)).toEqual(Array.from(want.missing.rowPtr));
  expect(Array.from(got.missing.cols)).toEqual(Array.from(want.missing.cols));
  expect(Array.from(got.missing.colPtr)).toEqual(Array.from(want.missing.colPtr));
  expect(Array.from(got.missing.rows)).toEqual(Array.from(want.missing.rows));
}

/** Row-major positions i·n + j (ascending) as the row-by-row lists `prepareData` takes. */
function byRows(positions: readonly number[], m: number, n: number): UnstoredMissing {
  const rowPtr = new Int32Array(m + 1);
  for (const t of positions) rowPtr[Math.floor(t / n) + 1]++;
  for (let i = 0; i < m; i++) rowPtr[i + 1] += rowPtr[i];
  return { rowPtr, cols: Int32Array.from(positions, (t) => t % n) };
}

/** The row-major positions of row-by-row lists (`byRows` undone). */
function positionsOf(unstored: UnstoredMissing, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < unstored.rowPtr.length; i++)
    for (let q = unstored.rowPtr[i]; q < unstored.rowPtr[i + 1]; q++) out.push(i * n + unstored.cols[q]);
  return out;
}

/** V (CSR) with the entries at `positions` (row-major, not stored in V) stored as NaN. */
function withStoredNaN(V: CsrMatrix, positions: readonly number[]): CsrMatrix {
  const n = V.cols;
  const extra = new Set(positions);
  const indptr = [0];
  const indices: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < V.rows; i++) {
    let q = V.indptr[i];
    for (let j = 0; j < n; j++) {
      if (q < V.indptr[i + 1] && V.indices[q] === j) {
        indices.push(j);
        values.push(V.data[q++]);
      } else if (extra.has(i * n + j)) {
        indices.push(j);
        values.push(NaN);
      }
    }
    indptr.push(indices.length);
  }
  return {
    kind: 'csr',
    rows: V.rows,
    cols: n,
    indptr: Int32Array.from(indptr),
    indices: Int32Array.from(indices),
    data: Float64Array.from(values),
  };
}

describe('a CSR fold masked with its held-out zeros apart', () => {
  it('stores exactly V’s entries, the held-out ones NaN, and lists exactly the held-out zeros (full and sampled folds)', () => {
    const V = toCsr(randomCounts(23, 17, 0.2, 3), { storeZero: (i, j) => (i * 17 + j) % 29 === 0 });
    const m = V.rows;
    const n = V.cols;
    const foldings: AnyCvFolds[] = [
      makeCvFolds(m, n, 3, 5),
      makeCvFolds(m, n, 4, 6, 0.1),
      makeSampledCvFolds(m, n, 3, 7, 200),
      cvFoldsFor(m, n, 3, 8, 150),
    ];
    for (const folds of foldings) {
      for (let fold = 0; fold < folds.folds; fold++) {
        const held = heldBy(folds, fold);
        const { V: masked, unstoredMissing } = maskFoldApart(V, folds, fold);
        if (masked.kind !== 'csr') throw new Error('CSR expected');
        expect(Array.from(masked.indptr)).toEqual(Array.from(V.indptr));
        expect(Array.from(masked.indices)).toEqual(Array.from(V.indices));
        const wantZeros: number[] = [];
        for (let i = 0; i < m; i++) {
          let q = V.indptr[i];
          for (let j = 0; j < n; j++) {
            const t = i * n + j;
            if (q < V.indptr[i + 1] && V.indices[q] === j) {
              const v = masked.data[q];
              if (held(t)) expect(v).toBeNaN();
              else expect(Object.is(v, V.data[q])).toBe(true);
              q++;
            } else if (held(t)) wantZeros.push(t);
          }
        }
        expect(wantZeros.length).toBeGreaterThan(0);
        expect(unstoredMissing.rowPtr.length).toBe(m + 1);
        expect(positionsOf(unstoredMissing, n)).toEqual(wantZeros);
        // The old copy with those zeros stored as NaN is the same matrix.
        expect(withStoredNaN(masked, wantZeros)).toEqual(maskFold(V, folds, fold));
      }
    }
  });

  it('leaves dense V as maskFold masks it', () => {
    const V = randomCounts(12, 9, 0.4, 4);
    const folds = makeCvFolds(12, 9, 3, 1);
    const { V: masked, unstoredMissing } = maskFoldApart(V, folds, 2);
    expect(masked).toEqual(maskFold(V, folds, 2));
    expect(unstoredMissing.cols.length).toBe(0);
  });
});

describe('prepareData with unstored missing entries', () => {
  it('scans as the copy with those entries stored as NaN does (random CSR, whole rows and row ends held out)', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const rng = new Rng(seed);
      const m = 1 + rng.int(9);
      const n = 1 + rng.int(9);
      const values = new Float64Array(m * n);
      for (let t = 0; t < m * n; t++) {
        const u = rng.uniform();
        values[t] = u < 0.5 ? 0 : u < 0.55 ? NaN : u < 0.58 ? -1 : u < 0.6 ? Infinity : 1 + rng.int(5);
      }
      const V = toCsr(dense(m, n, values), { storeZero: () => rng.uniform() < 0.1 });
      const wholeRow = rng.int(m);
      const chance = rng.uniform();
      const unstored: number[] = [];
      for (let i = 0; i < m; i++) {
        let q = V.indptr[i];
        for (let j = 0; j < n; j++) {
          if (q < V.indptr[i + 1] && V.indices[q] === j) {
            q++;
            continue;
          }
          // Every unstored entry of one row, the last column of every row, and others at random.
          if (i === wholeRow || j === n - 1 || rng.uniform() < chance) unstored.push(i * n + j);
        }
      }
      const got = prepareData(V, undefined, byRows(unstored, m, n));
      const want = prepareData(withStoredNaN(V, unstored));
      expectSameScan(got, want);
    }
  });

  it('never reports a held-out zero as the first observed zero', () => {
    // Row 0 stores columns 2 and 4: its unstored 0, 1 and 3 are held out, so the first observed
    // zero is (1, 0), unless (1, 0) is held out too.
    const V = toCsr(dense(2, 5, Float64Array.from([0, 0, 1, 0, 2, 0, 3, 0, 0, 4])));
    const at = (positions: number[]): UnstoredMissing => byRows(positions, 2, 5);
    expect(prepareData(V, undefined, at([0, 1, 3])).zero).toEqual({ i: 1, j: 0 });
    expect(prepareData(V, undefined, at([0, 1, 3, 5])).zero).toEqual({ i: 1, j: 2 });
    expect(prepareData(V, undefined, at([0, 1, 3, 5, 7, 8])).zero).toBeNull();
    expect(prepareData(V, undefined, at([0, 1, 3, 5, 7, 8])).observed).toBe(4);
  });

  it('refuses columns out of order, stored or beyond V, bad row pointers, or dense V', () => {
    const V = toCsr(dense(2, 3, Float64Array.from([0, 1, 0, 2, 0, 0])));
    const lists = (rowPtr: number[], cols: number[]): UnstoredMissing => ({
      rowPtr: Int32Array.from(rowPtr),
      cols: Int32Array.from(cols),
    });
    expect(prepareData(V, undefined, lists([0, 2, 3], [0, 2, 2])).observed).toBe(3);
    expect(() => prepareData(V, undefined, lists([0, 2, 2], [2, 0]))).toThrow(RangeError);
    expect(() => prepareData(V, undefined, lists([0, 2, 2], [2, 2]))).toThrow(RangeError);
    expect(() => prepareData(V, undefined, lists([0, 1, 1], [1]))).toThrow(RangeError);
    expect(() => prepareData(V, undefined, lists([0, 0, 1], [3]))).toThrow(RangeError);
    expect(() => prepareData(V, undefined, lists([0, 0, 1], [-1]))).toThrow(RangeError);
    expect(() => prepareData(V, undefined, lists([0, 1], [0]))).toThrow(RangeError);
    expect(() => prepareData(V, undefined, lists([0, 1, 1], [0, 2]))).toThrow(RangeError);
    expect(() => prepareData(V, undefined, lists([0, 2, 1], [0, 2]))).toThrow(RangeError);
    expect(() => prepareData(dense(1, 1, Float64Array.of(1)), undefined, lists([0, 1], [0]))).toThrow(
      RangeError,
    );
  });
});

describe('a fold job on CSR V', () => {
  /** The sweep's fold jobs with these fit settings, on a tiny screen. */
  function foldJobs(fit: SweepFitOptions, rank: number): SweepJob[] {
    return planSweep({
      fromRank: rank,
      toRank: rank,
      replicates: 1,
      cvFolds: 3,
      cvScreenIterations: 20,
      consensusReplicates: 0,
      baseline: true,
      fit,
    }).filter((job) => job.kind === 'fold');
  }

  const settings: Array<[string, SweepFitOptions]> = [
    [
      'KL, multiplicative updates after the HALS warm-up',
      { beta: 1, warmup: 10, maxIter: 80, tol: 1e-6, seed: 2 },
    ],
    ['Frobenius, HALS', { beta: 2, solver: 'hals', maxIter: 60, tol: 1e-6, seed: 3 }],
    ['Frobenius, multiplicative updates', { beta: 2, solver: 'mu', maxIter: 60, tol: 1e-6, seed: 4 }],
    ['KL, minibatch', { beta: 1, solver: 'minibatch', batchSize: 16, maxIter: 30, tol: 0, seed: 5 }],
  ];
  for (const [name, fit] of settings) {
    it(`keeps every bit of the fit on the copy storing the held-out zeros as NaN (${name})`, () => {
      const V = toCsr(randomCounts(40, 30, 0.25, 9));
      for (const job of foldJobs(fit, 3)) {
        const got = runSweepJob(V, { ...job, keepFactors: true });
        // As the fold job ran before its held-out zeros were kept apart: the old masked copy, one
        // scan of it, the same screen (baseline jobs fit the row-shuffled V).
        const data = job.baseline ? shuffleWithinRows(V, job.shuffleSeed) : V;
        const folds = cvFoldsFor(V.rows, V.cols, job.cv!.folds, job.cv!.seed, undefined, job.cv!.holdout);
        const old = maskFold(data, folds, job.index);
        const want = screenedFit(old, { ...job, fit: { ...job.fit, loglik: false } }, {});
        const bits = (x: Float64Array): number[] =>
          Array.from(new Uint32Array(x.buffer, x.byteOffset, 2 * x.length));
        expect(bits(got.factors!.W.data)).toEqual(bits(want.W.data));
        expect(bits(got.factors!.H.data)).toEqual(bits(want.H.data));
        expect(got.factors!.trace).toEqual(want.trace);
        expect(Object.is(got.loss, want.loss)).toBe(true);
        expect(got.iterations).toBe(want.iterations);
        const beta = want.options.beta;
        expect(
          Object.is(got.heldOutError, heldOutError(data, want.W, want.H, folds, job.index, beta).error),
        ).toBe(true);
        expect(
          Object.is(
            got.heldOutErrorTrimmed,
            heldOutTrimmedError(data, want.W, want.H, folds, job.index, beta),
          ),
        ).toBe(true);
        let missing = 0;
        for (const v of old.data) if (v !== v) missing++;
        expect(got.observed).toBe(V.rows * V.cols - missing);
      }
    });
  }
});
