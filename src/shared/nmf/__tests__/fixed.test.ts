import { describe, expect, it } from 'vitest';
import { dense, type DenseMatrix } from '../../linalg/matrix';
import { Rng } from '../../linalg/random';
import { FitSettingsError, fitNmf, type FitOptionsInput, type Solver } from '../index';
import { selectKernels, type KernelBackend } from '../kernels';
import { denseFromJson, oracleDatasets, randomCounts, relDiff, toCsr } from './helpers';
import fixture from './fixtures/sklearn-projection.json';

/**
 * Fits with one factor held (`FitOptions.fixed`) against scikit-learn 1.2.1's
 * `non_negative_factorization(update_H=False)` (scripts/oracle/make-projection-fixtures.py), and the
 * engine's own promises: the held factor never changes, missing entries have no influence, CSR gives
 * the dense fit, and every kernel backend gives the same bits.
 */
const datasets = oracleDatasets(fixture);
const heldW = denseFromJson(fixture.W);
const heldH = denseFromJson(fixture.H);
const k = fixture.rank;

function sameBits(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let q = 0; q < a.length; q++) if (!Object.is(a[q], b[q])) return false;
  return true;
}

describe('one-sided fits agree with scikit-learn 1.2.1 (update_H=False)', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const fixed = c.fixed as 'W' | 'H';
      const fit = fitNmf(datasets[c.data], {
        rank: k,
        beta: c.beta,
        solver: (c.solver === 'cd' ? 'hals' : 'mu') as Solver,
        fixed,
        ...(fixed === 'W' ? { W0: heldW } : { H0: heldH }),
        maxIter: c.iters,
        tol: c.tol,
      });
      const fitted = fixed === 'W' ? fit.H : fit.W;
      expect(Math.abs(fit.loss - c.loss)).toBeLessThan(1e-8 * Math.abs(c.loss));
      expect(relDiff(fitted.data, c.fitted)).toBeLessThan(c.solver === 'cd' ? 1e-6 : 1e-8);
      expect(fit.iterations).toBe(c.nIter);
      expect(sameBits((fixed === 'W' ? fit.W : fit.H).data, (fixed === 'W' ? heldW : heldH).data)).toBe(true);
      expect(fit.options.init).toBe('custom');
      expect(fit.options.fixed).toBe(fixed);
    });
  }
});

describe('one-sided fits', () => {
  const cases: Array<{ name: string; options: Partial<FitOptionsInput> }> = [
    { name: 'KL mu', options: { beta: 1, solver: 'mu' } },
    { name: 'Frobenius hals', options: { beta: 2, solver: 'hals' } },
    { name: 'Frobenius mu', options: { beta: 2, solver: 'mu' } },
    { name: 'β = 0.5 mu', options: { beta: 0.5, solver: 'mu' } },
    { name: 'KL mu with HALS warm-up', options: { beta: 1, solver: 'mu', warmup: 10 } },
  ];

  for (const { name, options } of cases) {
    for (const fixed of ['W', 'H'] as const) {
      it(`${name}, ${fixed} fixed: the held factor never changes (dense, CSR, missing values)`, () => {
        const V = randomCounts(23, 17, 5, 0.3, 0.05);
        const rng = new Rng(9);
        const W0 = dense(
          23,
          3,
          Float64Array.from({ length: 69 }, () => rng.gamma(1)),
        );
        const H0 = dense(
          3,
          17,
          Float64Array.from({ length: 51 }, () => rng.gamma(1)),
        );
        const wCopy = Float64Array.from(W0.data);
        const hCopy = Float64Array.from(H0.data);
        const base = { rank: 3, ...options, fixed, W0, H0, maxIter: 40, tol: 0 };
        const fromDense = fitNmf(V, base);
        const fromCsr = fitNmf(toCsr(V, { storeZero: (i, j) => (i + j) % 5 === 0 }), base);
        // Inputs untouched, the held factor returned bit for bit, the free one moved.
        expect(sameBits(W0.data, wCopy)).toBe(true);
        expect(sameBits(H0.data, hCopy)).toBe(true);
        const held = fixed === 'W' ? fromDense.W : fromDense.H;
        const free = fixed === 'W' ? fromDense.H : fromDense.W;
        expect(sameBits(held.data, fixed === 'W' ? wCopy : hCopy)).toBe(true);
        expect(sameBits(free.data, fixed === 'W' ? hCopy : wCopy)).toBe(false);
        for (const x of free.data) expect(x).toBeGreaterThanOrEqual(0);
        // CSR gives the dense fit to rounding (as for full fits: the loss sums in another order).
        expect(relDiff(fromCsr.W.data, fromDense.W.data)).toBeLessThan(1e-11);
        expect(relDiff(fromCsr.H.data, fromDense.H.data)).toBeLessThan(1e-11);
        expect(Math.abs(fromCsr.loss - fromDense.loss)).toBeLessThan(1e-9 * fromDense.loss);
      });
    }
  }

  for (const backend of ['js', 'wasm'] as const satisfies readonly KernelBackend[]) {
    it(`${backend} kernels give the bits of the default backend`, () => {
      const V = randomCounts(31, 26, 12, 0.25, 0.04);
      const rng = new Rng(3);
      const W0 = dense(
        31,
        4,
        Float64Array.from({ length: 124 }, () => rng.gamma(1)),
      );
      for (const options of [
        { beta: 1, solver: 'mu' as const },
        { beta: 2, solver: 'hals' as const },
        { beta: 1.5, solver: 'mu' as const },
      ]) {
        const run = { rank: 4, ...options, fixed: 'W' as const, W0, maxIter: 30, tol: 0 };
        const reference = fitNmf(V, run);
        const other = fitNmf(V, run, { kernels: selectKernels({ backend }) });
        expect(sameBits(other.H.data, reference.H.data)).toBe(true);
        expect(other.loss).toBe(reference.loss);
      }
    });
  }

  it('missing entries have no influence: H equals fits on the observed blocks alone', () => {
    // With W held, the columns of H are independent problems. Rows 0–4 of columns 0–3 are missing:
    // those columns must come out as a fit of rows 5.. (with W's rows 5..), the others as a fit of
    // the complete columns.
    const m = 20;
    const n = 9;
    const V = randomCounts(m, n, 21, 0.2);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 4; j++) V.data[i * n + j] = NaN;
    const rng = new Rng(4);
    const W0 = dense(
      m,
      3,
      Float64Array.from({ length: m * 3 }, () => 0.1 + rng.gamma(1)),
    );
    const block = (rows: number[], cols: number[]): DenseMatrix =>
      dense(
        rows.length,
        cols.length,
        Float64Array.from(rows.flatMap((i) => cols.map((j) => V.data[i * n + j]))),
      );
    const wRows = (rows: number[]): DenseMatrix =>
      dense(rows.length, 3, Float64Array.from(rows.flatMap((i) => [0, 1, 2].map((t) => W0.data[i * 3 + t]))));
    const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, q) => a + q);
    for (const options of [
      { beta: 1, solver: 'mu' as const },
      { beta: 2, solver: 'hals' as const },
      { beta: 2, solver: 'mu' as const },
      { beta: 0.5, solver: 'mu' as const },
    ]) {
      // A common start for the free factor (the default start depends on mean(V)).
      const start = (cols: number): DenseMatrix => dense(3, cols, new Float64Array(3 * cols).fill(0.7));
      const run = { rank: 3, ...options, fixed: 'W' as const, maxIter: 50, tol: 0 };
      const whole = fitNmf(V, { ...run, W0, H0: start(n) });
      const hidden = fitNmf(block(range(5, m), range(0, 4)), {
        ...run,
        W0: wRows(range(5, m)),
        H0: start(4),
      });
      const complete = fitNmf(block(range(0, m), range(4, n)), { ...run, W0, H0: start(n - 4) });
      for (let t = 0; t < 3; t++) {
        for (let j = 0; j < n; j++) {
          const expected = j < 4 ? hidden.H.data[t * 4 + j] : complete.H.data[t * (n - 4) + j - 4];
          expect(Math.abs(whole.H.data[t * n + j] - expected)).toBeLessThanOrEqual(1e-10 * (1 + expected));
        }
      }
    }
  });

  it('projects a single sample onto more components than samples (the rank limit is for two-sided fits)', () => {
    const rng = new Rng(6);
    const W0 = dense(
      12,
      3,
      Float64Array.from({ length: 36 }, () => rng.gamma(1)),
    );
    const h = [0.5, 0, 2];
    const column = Float64Array.from({ length: 12 }, (_, i) =>
      h.reduce((s, x, t) => s + x * W0.data[i * 3 + t], 0),
    );
    const fit = fitNmf(dense(12, 1, column), {
      rank: 3,
      beta: 2,
      solver: 'hals',
      fixed: 'W',
      W0,
      maxIter: 500,
      tol: 0,
    });
    for (let t = 0; t < 3; t++) expect(fit.H.data[t]).toBeCloseTo(h[t], 8);
    expect(() => fitNmf(dense(12, 1, column), { rank: 3 })).toThrow('rank 3 exceeds min(m, n) = 1');
  });

  it('refuses a fixed factor that is missing or the wrong shape, naming it', () => {
    const V = randomCounts(10, 8, 1, 0.1);
    expect(() => fitNmf(V, { rank: 2, fixed: 'W' })).toThrow(
      new FitSettingsError('fixed W needs W0, the factor to hold'),
    );
    expect(() => fitNmf(V, { rank: 2, fixed: 'H', H0: dense(2, 7) })).toThrow('H0 is 2 × 7, expected 2 × 8');
    expect(() => fitNmf(V, { rank: 2, fixed: 'X' as 'W', W0: dense(10, 2) })).toThrow(
      "fixed 'X' must be W or H",
    );
  });
});
