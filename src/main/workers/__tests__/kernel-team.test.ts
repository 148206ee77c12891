import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dense, type CsrMatrix, type DataMatrix, type DenseMatrix } from '../../../shared/linalg/matrix';
import { Rng } from '../../../shared/linalg/random';
import { fitNmf, type FitOptionsInput, type FitResult } from '../../../shared/nmf';
import { selectKernels } from '../../../shared/nmf/kernels';
import { kernelTeamSize, startKernelTeam, type KernelTeamHandle } from '../kernel-team';
import { JobCancelledError, WorkerPool } from '../pool';
import type { FitTaskResult } from '../protocol';
import { randomCounts, toCsr } from '../../../shared/nmf/__tests__/helpers';

/**
 * One fit split across a kernel team against the same fit on one thread: W and H must be the same
 * bits (the split is by output rows, each summed in the one-thread order). The teams here split
 * every call however small (thresholds 0), so that odd sizes and m or n below the thread count are
 * exercised; the pool tests use the real thresholds.
 */

const here = dirname(fileURLToPath(import.meta.url));
const helperEntry = join(here, '..', 'kernel-helper.worker.ts');
const workerPath = join(here, '..', 'nmf.worker.ts');

/** Non-negative m × n counts on a SharedArrayBuffer, with a share of zeros and optional NaN. */
function sharedData(m: number, n: number, seed: number, zeros: number, nans = 0): DenseMatrix {
  return randomCounts(m, n, seed, zeros, nans, true);
}

/**
 * Sparse counts as CSR on SharedArrayBuffers, with an empty row, a row with every entry stored, a
 * row stored only in its first columns and one only in its last (each in one thread's window).
 */
function sharedCsr(m: number, n: number, seed: number, zeros: number, nans = 0): CsrMatrix {
  const V = sharedData(m, n, seed, zeros, nans);
  const rng = new Rng(seed + 1);
  const row = (i: number): Float64Array => V.data.subarray(i * n, (i + 1) * n);
  if (m > 4) {
    row(0).fill(0);
    row(1).forEach((_, j, r) => (r[j] = 1 + Math.floor(rng.uniform() * 20)));
    row(2).forEach((_, j, r) => (r[j] = j < Math.max(1, n >> 3) ? 1 + Math.floor(rng.uniform() * 9) : 0));
    row(3).forEach(
      (_, j, r) => (r[j] = j >= n - Math.max(1, n >> 3) ? 1 + Math.floor(rng.uniform() * 9) : 0),
    );
  }
  return toCsr(V, { shared: true });
}

function expectSameBits(a: FitResult, b: FitResult): void {
  expect(Buffer.from(a.W.data.buffer).equals(Buffer.from(b.W.data.buffer))).toBe(true);
  expect(Buffer.from(a.H.data.buffer).equals(Buffer.from(b.H.data.buffer))).toBe(true);
  expect(a.loss).toBe(b.loss);
  expect(a.iterations).toBe(b.iterations);
}

/** The fit on the WebAssembly kernels split over `team`, and the most threads any call ran on. */
function withTeam(
  team: KernelTeamHandle,
  V: DataMatrix,
  options: FitOptionsInput,
): { fit: FitResult; threadsUsed: number } {
  const kernels = selectKernels({ backend: 'wasm', team });
  try {
    return { fit: fitNmf(V, options, { kernels }), threadsUsed: kernels.threadsUsed() };
  } finally {
    kernels.release();
  }
}

/** The same fit on the one-thread WebAssembly kernels. */
function oneThread(V: DataMatrix, options: FitOptionsInput): FitResult {
  return fitNmf(V, options, { kernels: selectKernels({ backend: 'wasm' }) });
}

const solvers: Array<[string, (k: number) => FitOptionsInput]> = [
  ['KL MU', (k) => ({ rank: k, beta: 1, solver: 'mu', maxIter: 20, tol: 0, seed: 3 })],
  ['HALS', (k) => ({ rank: k, beta: 2, solver: 'hals', maxIter: 15, tol: 1e-6, seed: 3 })],
  [
    'HALS, shuffled, l1/l2',
    (k) => ({
      rank: k,
      beta: 2,
      solver: 'hals',
      maxIter: 10,
      tol: 0,
      seed: 4,
      shuffle: true,
      l1W: 0.01,
      l2H: 0.02,
    }),
  ],
  ['Frobenius MU', (k) => ({ rank: k, beta: 2, solver: 'mu', maxIter: 10, tol: 0, seed: 3 })],
];

for (const threads of [2, 3]) {
  describe(`a ${threads}-thread kernel team`, () => {
    let team: KernelTeamHandle;
    beforeAll(async () => {
      team = await startKernelTeam(threads, helperEntry, { minDenseWork: 0, minSweepWork: 0, minCsrWork: 0 });
    });
    afterAll(async () => {
      await team.close();
    });

    // Odd sizes, m or n below or at the thread count, k around the 2-, 4- and 8-wide blocks.
    const shapes: Array<[number, number, number]> = [
      [61, 37, 8],
      [40, 33, 3],
      [1, 50, 1],
      [45, 1, 1],
      [2, 2, 2],
      [3, 70, 3],
      [80, 2, 2],
      [131, 97, 10],
    ];
    for (const [m, n, k] of shapes) {
      for (const [name, optionsOf] of solvers) {
        it(`${name}, ${m} × ${n}, k = ${k}: the same bits as one thread`, () => {
          const V = sharedData(m, n, m * 1000 + n + k, 0.3);
          const options = optionsOf(k);
          const one = oneThread(V, options);
          const split = withTeam(team, V, options);
          expect(split.threadsUsed).toBe(threads);
          expectSameBits(split.fit, one);
        });
      }
    }

    it('gives the same bits with missing values (dense), and a second V is handed over', () => {
      for (const seed of [1, 2]) {
        const V = sharedData(53, 47, seed, 0.2, 0.05);
        for (const [, optionsOf] of solvers) {
          const options = optionsOf(4);
          expectSameBits(withTeam(team, V, options).fit, oneThread(V, options));
        }
      }
    });

    const csrShapes: Array<[number, number, number, number]> = [
      [61, 37, 8, 0.7],
      [40, 300, 3, 0.9],
      [131, 97, 10, 0.5],
      [3, 70, 3, 0.6],
      [80, 2, 2, 0.3],
      [1, 50, 1, 0.5],
      [200, 150, 5, 0.97],
    ];
    for (const [m, n, k, zeros] of csrShapes) {
      it(`KL MU on shared CSR, ${m} × ${n}, k = ${k}: the same bits as one thread`, () => {
        const options: FitOptionsInput = { rank: k, beta: 1, solver: 'mu', maxIter: 15, tol: 0, seed: 5 };
        for (const nans of [0, 0.05]) {
          const V = sharedCsr(m, n, m * 31 + n + k, zeros, nans);
          const one = oneThread(V, options);
          const split = withTeam(team, V, options);
          expect(split.threadsUsed).toBe(threads);
          expectSameBits(split.fit, one);
        }
      });
    }

    it('switches between dense and CSR V without mixing them up', () => {
      const D = sharedData(45, 38, 21, 0.4);
      const C = sharedCsr(45, 38, 22, 0.8);
      const options: FitOptionsInput = { rank: 4, beta: 1, solver: 'mu', maxIter: 8, tol: 0, seed: 2 };
      for (const V of [C, D, C, toCsr(D, { shared: true }), D])
        expectSameBits(withTeam(team, V, options).fit, oneThread(V, options));
    });

    it('leaves CSR data and V outside a SharedArrayBuffer on one thread, with the same result', () => {
      const V = sharedData(50, 40, 9, 0.5);
      const plain = dense(50, 40, Float64Array.from(V.data));
      const shared = toCsr(V, { shared: true });
      // One array of three outside a SharedArrayBuffer is enough to stay on one thread.
      const mixed: CsrMatrix = { ...shared, indices: Int32Array.from(shared.indices) };
      for (const data of [toCsr(V), mixed, plain]) {
        const options: FitOptionsInput = { rank: 3, beta: 1, solver: 'mu', maxIter: 10, tol: 0, seed: 1 };
        const split = withTeam(team, data, options);
        // The HALS sweeps do not involve V, but KL MU calls only V kernels: nothing was split.
        expect(split.threadsUsed).toBe(1);
        expectSameBits(split.fit, oneThread(data, options));
      }
    });
  });
}

describe('when the worker starts a kernel team', () => {
  const coresBefore = process.env.NMF_STUDIO_CORES;
  beforeAll(() => {
    process.env.NMF_STUDIO_CORES = '2';
  });
  afterAll(() => {
    if (coresBefore === undefined) delete process.env.NMF_STUDIO_CORES;
    else process.env.NMF_STUDIO_CORES = coresBefore;
  });
  // m·n·k and nnz·k above the real thresholds.
  const denseShared = sharedData(300, 250, 31, 0.3);
  const csrShared = sharedCsr(600, 900, 32, 0.9);

  it('not for dense data when the native kernels are loaded: they split those calls themselves', () => {
    expect(kernelTeamSize(denseShared, 8, 2, true)).toBe(1);
    expect(kernelTeamSize(denseShared, 8, 2, false)).toBe(2);
  });

  it('for CSR data with or without the native kernels (they do not serve CSR)', () => {
    expect(kernelTeamSize(csrShared, 8, 2, true)).toBe(2);
    expect(kernelTeamSize(csrShared, 8, 2, false)).toBe(2);
  });

  it('not for one thread, small data or data outside a SharedArrayBuffer', () => {
    expect(kernelTeamSize(denseShared, 8, 1, false)).toBe(1);
    expect(kernelTeamSize(sharedData(20, 10, 33, 0.3), 2, 2, false)).toBe(1);
    expect(kernelTeamSize(dense(300, 250, Float64Array.from(denseShared.data)), 8, 2, false)).toBe(1);
  });
});

describe('kernel teams in the worker pool', () => {
  let pool: WorkerPool;
  const coresBefore = process.env.NMF_STUDIO_CORES;
  beforeAll(() => {
    // The worker caps a fit's threads by the machine's cores; on a one-core runner that would turn
    // "2 threads" into 1 and the comparison below into one fit against itself. The worker reads
    // this when it fits, so the split happens (and can fail) on any machine.
    process.env.NMF_STUDIO_CORES = '2';
    pool = new WorkerPool({ workerPath, size: 1 });
  });
  afterAll(async () => {
    await pool.close();
    if (coresBefore === undefined) delete process.env.NMF_STUDIO_CORES;
    else process.env.NMF_STUDIO_CORES = coresBefore;
  });

  // Large enough for the real threshold (m·n·k ≥ 2^19) so that the worker starts a team.
  const V = sharedData(300, 250, 11, 0.3);

  it('a fit asked to use 2 threads gives the bits of the 1-thread fit', async () => {
    const options: FitOptionsInput = { rank: 8, beta: 1, solver: 'mu', maxIter: 30, tol: 0, seed: 2 };
    const one = (await pool.submit({ kind: 'fit', matrix: V, options, replicates: 1 })
      .promise) as FitTaskResult;
    const two = (await pool.submit({ kind: 'fit', matrix: V, options, replicates: 1, threads: 2 })
      .promise) as FitTaskResult;
    expect(one.threads).toBe(1);
    expect(two.threads).toBe(2);
    expectSameBits(two.best, one.best);
    const hals: FitOptionsInput = { rank: 8, beta: 2, solver: 'hals', maxIter: 30, tol: 0, seed: 2 };
    const oneH = (await pool.submit({ kind: 'fit', matrix: V, options: hals, replicates: 1 })
      .promise) as FitTaskResult;
    const twoH = (await pool.submit({ kind: 'fit', matrix: V, options: hals, replicates: 1, threads: 2 })
      .promise) as FitTaskResult;
    expect(twoH.threads).toBe(2);
    expectSameBits(twoH.best, oneH.best);
  });

  it('a large sparse KL fit asked to use 2 threads gives the bits of the 1-thread fit', async () => {
    // nnz·k ≈ 4·10⁵, above the real threshold (2^18).
    const S = sharedCsr(600, 900, 13, 0.9);
    const options: FitOptionsInput = { rank: 8, beta: 1, solver: 'mu', maxIter: 10, tol: 0, seed: 2 };
    const one = (await pool.submit({ kind: 'fit', matrix: S, options, replicates: 1 })
      .promise) as FitTaskResult;
    const two = (await pool.submit({ kind: 'fit', matrix: S, options, replicates: 1, threads: 2 })
      .promise) as FitTaskResult;
    expect(one.threads).toBe(1);
    expect(two.threads).toBe(2);
    expectSameBits(two.best, one.best);
  });

  it('cancels a 2-thread fit mid-way, and the worker serves the next job', async () => {
    const big = sharedData(1200, 600, 12, 0.3);
    const options: FitOptionsInput = { rank: 8, beta: 1, solver: 'mu', maxIter: 100_000, tol: 0, seed: 1 };
    let iterations = 0;
    const handle = pool.submit(
      { kind: 'fit', matrix: big, options, replicates: 1, threads: 2 },
      (progress) => {
        iterations = progress.iteration;
        if (progress.iteration > 0) handle.cancel();
      },
    );
    await expect(handle.promise).rejects.toBeInstanceOf(JobCancelledError);
    expect(iterations).toBeGreaterThan(0);
    expect(iterations).toBeLessThan(100_000);
    const small: FitOptionsInput = { rank: 2, beta: 1, solver: 'mu', maxIter: 5, tol: 0, seed: 1 };
    const after = (await pool.submit({ kind: 'fit', matrix: V, options: small, replicates: 1, threads: 2 })
      .promise) as FitTaskResult;
    expect(after.best.iterations).toBe(5);
  });
});
