import { describe, expect, it } from 'vitest';
import { dense, type DenseMatrix } from '../../linalg/matrix';
import { csrFromDense, matmul } from '../../linalg/ops';
import { logGamma } from '../../linalg/random';
import {
  FitCancelledError,
  FitSettingsError,
  fitNmf,
  fitReplicates,
  initialize,
  normalizeFactors,
  poissonLogLikelihood,
  resolveFitOptions,
  type FitOptionsInput,
} from '../index';
import { planted, relDiff } from './helpers';

const { V } = planted(30, 20, 3, 17, { poisson: 3 });

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(FitSettingsError);
    return (error as Error).message;
  }
  throw new Error('expected a FitSettingsError');
}

/** What `f` throws; fails the test when it returns. */
function thrownBy(f: () => unknown): unknown {
  try {
    f();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

describe('resolveFitOptions', () => {
  it('fills in the defaults', () => {
    expect(resolveFitOptions({ rank: 3 })).toEqual({
      rank: 3,
      beta: 1,
      solver: 'mu',
      init: 'nndsvda',
      maxIter: 500,
      tol: 1e-4,
      seed: 0,
      l1W: 0,
      l2W: 0,
      l1H: 0,
      l2H: 0,
      shuffle: false,
      checkEvery: 10,
      warmup: 0,
      warmupTol: 0,
      loglik: true,
    });
    expect(resolveFitOptions({ rank: 3, beta: 2 }).solver).toBe('hals');
    expect(resolveFitOptions({ rank: 3, beta: 2, solver: 'mu' }).solver).toBe('mu');
  });

  it('names the offending value', () => {
    const wide = dense(60, 80);
    wide.data.fill(1);
    expect(errorOf(() => resolveFitOptions({ rank: 70 }, wide))).toBe('rank 70 exceeds min(m, n) = 60');
    expect(errorOf(() => resolveFitOptions({ rank: 0 }))).toBe('rank 0 must be a positive integer');
    expect(errorOf(() => resolveFitOptions({ rank: 2.5 }))).toBe('rank 2.5 must be a positive integer');
    const withZero = dense(10, 10, new Float64Array(100).fill(1));
    withZero.data[3 * 10 + 7] = 0;
    expect(errorOf(() => resolveFitOptions({ rank: 2, beta: 0 }, withZero))).toBe(
      'β = 0 needs V without zeros: V[3, 7] = 0',
    );
    expect(errorOf(() => resolveFitOptions({ rank: 2, beta: 0 }, csrFromDense(withZero)))).toBe(
      'β = 0 needs V without zeros: V[3, 7] = 0',
    );
    const negative = dense(20, 10, new Float64Array(200).fill(1));
    negative.data[12 * 10 + 4] = -1;
    expect(errorOf(() => resolveFitOptions({ rank: 2 }, negative))).toBe('V[12, 4] = -1 is negative');
    const infinite = dense(20, 10, new Float64Array(200).fill(1));
    infinite.data[2 * 10 + 3] = Infinity;
    expect(errorOf(() => resolveFitOptions({ rank: 2 }, csrFromDense(infinite)))).toBe(
      'V[2, 3] = Infinity is not finite (only NaN, a missing value, is allowed)',
    );
    const missing = dense(20, 10, new Float64Array(200).fill(1));
    missing.data[5] = NaN;
    expect(resolveFitOptions({ rank: 2 }, missing).rank).toBe(2);
    expect(errorOf(() => resolveFitOptions({ rank: 2, beta: 1, solver: 'hals' }))).toBe(
      'solver hals needs β = 2 (Frobenius), got β = 1',
    );
    expect(errorOf(() => resolveFitOptions({ rank: 2, beta: -1 }))).toBe(
      'β = -1 must be a finite number ≥ 0',
    );
    expect(errorOf(() => resolveFitOptions({ rank: 2, init: 'custom' }))).toBe(
      'init custom needs W0 and H0 (missing W0)',
    );
    const W0 = dense(30, 3, new Float64Array(90).fill(1));
    expect(errorOf(() => resolveFitOptions({ rank: 2, init: 'custom', W0 }))).toBe(
      'init custom needs W0 and H0 (missing H0)',
    );
    const H0 = dense(2, 20, new Float64Array(40).fill(1));
    expect(errorOf(() => resolveFitOptions({ rank: 2, init: 'custom', W0, H0 }, V))).toBe(
      'W0 is 30 × 3, expected 30 × 2',
    );
    const W0ok = dense(30, 2, new Float64Array(60).fill(1));
    const H0bad = dense(2, 19, new Float64Array(38).fill(1));
    expect(errorOf(() => resolveFitOptions({ rank: 2, init: 'custom', W0: W0ok, H0: H0bad }, V))).toBe(
      'H0 is 2 × 19, expected 2 × 20',
    );
    const H0neg = dense(2, 20, new Float64Array(40).fill(1));
    H0neg.data[20 + 4] = -2;
    expect(errorOf(() => resolveFitOptions({ rank: 2, init: 'custom', W0: W0ok, H0: H0neg }, V))).toBe(
      'H0[1, 4] = -2 is negative',
    );
    expect(errorOf(() => resolveFitOptions({ rank: 2, maxIter: -1 }))).toBe(
      'maxIter -1 must be an integer ≥ 0',
    );
    expect(errorOf(() => resolveFitOptions({ rank: 2, tol: NaN }))).toBe(
      'tol NaN must be a finite number ≥ 0',
    );
    expect(errorOf(() => resolveFitOptions({ rank: 2, l1H: -0.1 }))).toBe(
      'l1H -0.1 must be a finite number ≥ 0',
    );
    expect(errorOf(() => resolveFitOptions({ rank: 2, checkEvery: 0 }))).toBe(
      'checkEvery 0 must be a positive integer',
    );
    expect(errorOf(() => resolveFitOptions({ rank: 2, solver: 'anls' } as unknown as FitOptionsInput))).toBe(
      "unknown solver 'anls' (use mu, hals, als or minibatch)",
    );
    expect(errorOf(() => resolveFitOptions({ rank: 2, beta: 1, solver: 'als' }))).toBe(
      'solver als needs β = 2 (Frobenius), got β = 1',
    );
    expect(errorOf(() => fitNmf(negative, { rank: 2 }))).toBe('V[12, 4] = -1 is negative');
  });
});

describe('fitNmf behaviour', () => {
  it('is deterministic: same data, options and seed give bit-identical factors', () => {
    for (const options of [
      { rank: 3, beta: 1, init: 'random' as const, seed: 4 },
      { rank: 3, beta: 2, shuffle: true, seed: 4 },
      { rank: 3, beta: 0.5, init: 'nndsvdar' as const, seed: 4 },
    ]) {
      const a = fitNmf(V, { ...options, maxIter: 60 });
      const b = fitNmf(V, { ...options, maxIter: 60 });
      expect(b.W.data).toEqual(a.W.data);
      expect(b.H.data).toEqual(a.H.data);
      expect(b.trace).toEqual(a.trace);
      const c = fitNmf(V, { ...options, seed: 5, maxIter: 60 });
      expect(relDiff(c.W.data, a.W.data)).toBeGreaterThan(0);
    }
  });

  it('does not modify W0, H0 or V', () => {
    const start = initialize(V, 3, 'random', 1);
    const copies = [
      Float64Array.from(start.W.data),
      Float64Array.from(start.H.data),
      Float64Array.from(V.data),
    ];
    fitNmf(V, { rank: 3, init: 'custom', W0: start.W, H0: start.H, maxIter: 20 });
    expect(start.W.data).toEqual(copies[0]);
    expect(start.H.data).toEqual(copies[1]);
    expect(V.data).toEqual(copies[2]);
  });

  it('checks isCancelled every iteration and reports progress', () => {
    const seen: number[] = [];
    let calls = 0;
    const run = () =>
      fitNmf(
        V,
        { rank: 3, maxIter: 100, tol: 0 },
        { isCancelled: () => ++calls > 7, onProgress: (p) => seen.push(p.iteration) },
      );
    expect(run).toThrow(FitCancelledError);
    // One check before the start is built, then one before each iteration.
    expect(calls).toBe(8);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    calls = 0;
    const cancelled = thrownBy(run);
    expect(cancelled).toBeInstanceOf(FitCancelledError);
    expect((cancelled as FitCancelledError).iteration).toBe(6);
    expect((cancelled as Error).message).toBe('fit cancelled at iteration 6');
  });

  it('fills the result: trace, loss, loglik, options without W0/H0', () => {
    const fit = fitNmf(V, { rank: 3, maxIter: 35, tol: 0 });
    expect(fit.iterations).toBe(35);
    expect(fit.trace.map(([it]) => it)).toEqual([0, 10, 20, 30, 35]);
    expect(fit.loss).toBe(fit.trace[4][1]);
    expect(fit.options).not.toHaveProperty('W0');
    expect(fit.options.init).toBe('nndsvda');
    expect(fit.seconds).toBeGreaterThanOrEqual(0);
    // loglik as a plain sum, Σ V log(WH) − WH − log V!
    const P = matmul(fit.W, fit.H);
    let ref = 0;
    for (let q = 0; q < P.data.length; q++) {
      const v = V.data[q];
      ref += (v > 0 ? v * Math.log(P.data[q]) : 0) - P.data[q] - logGamma(v + 1);
    }
    expect(fit.loglik).not.toBeNull();
    expect(Math.abs((fit.loglik as number) - ref)).toBeLessThan(1e-10 * Math.abs(ref));
    expect(Math.abs(poissonLogLikelihood(csrFromDense(V), fit.W, fit.H) - ref)).toBeLessThan(
      1e-10 * Math.abs(ref),
    );
    expect(fitNmf(V, { rank: 3, beta: 2, maxIter: 5 }).loglik).toBeNull();
  });

  it('fitReplicates runs seeds seed, seed+1, … and keeps the lowest loss', () => {
    const { best, replicates } = fitReplicates(V, { rank: 3, init: 'random', seed: 10, maxIter: 30 }, 3);
    expect(replicates.map((r) => r.options.seed)).toEqual([10, 11, 12]);
    const single = fitNmf(V, { rank: 3, init: 'random', seed: 11, maxIter: 30 });
    expect(replicates[1].W.data).toEqual(single.W.data);
    expect(best.loss).toBe(Math.min(...replicates.map((r) => r.loss)));
    expect(replicates).toContain(best);
  });

  it('maxIter 0 returns the start', () => {
    const start = initialize(V, 3, 'nndsvda', 0);
    const fit = fitNmf(V, { rank: 3, maxIter: 0 });
    expect(fit.W.data).toEqual(start.W.data);
    expect(fit.H.data).toEqual(start.H.data);
    expect(fit.iterations).toBe(0);
  });
});

describe('normalizeFactors', () => {
  const fit = fitNmf(V, { rank: 3, maxIter: 30 });
  const product = (W: DenseMatrix, H: DenseMatrix) => matmul(W, H).data;
  for (const norm of ['l1', 'l2'] as const) {
    it(`gives W unit ${norm} columns and leaves W·H unchanged`, () => {
      const out = normalizeFactors(fit.W, fit.H, norm);
      for (let t = 0; t < 3; t++) {
        let s = 0;
        for (let i = 0; i < 30; i++) {
          const w = out.W.data[i * 3 + t];
          s += norm === 'l1' ? w : w * w;
        }
        expect(Math.abs(s - 1)).toBeLessThan(1e-12);
        expect(out.scales[t]).toBeGreaterThan(0);
      }
      expect(relDiff(product(out.W, out.H), product(fit.W, fit.H))).toBeLessThan(1e-14);
    });
  }
  it('leaves an all-zero component as it is', () => {
    const W = dense(2, 2, Float64Array.from([1, 0, 3, 0]));
    const H = dense(2, 2, Float64Array.from([1, 2, 5, 6]));
    const out = normalizeFactors(W, H, 'l1');
    expect(Array.from(out.scales)).toEqual([4, 0]);
    expect(Array.from(out.W.data)).toEqual([0.25, 0, 0.75, 0]);
    expect(Array.from(out.H.data)).toEqual([4, 8, 5, 6]);
  });
});
