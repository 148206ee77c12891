import { describe, expect, it } from 'vitest';
import { planSweep } from '../../analysis';
import {
  planConsensusMemory,
  planJobMemory,
  planProjectionMemory,
  planSweepMemory,
  sweepJobBytes,
  sweepSharedBytes,
  WORKER_FIXED_BYTES,
  type PlannedSweepJob,
} from '../job-memory-plan';
import { describeBytes, fitBytes, matrixBytes, type PlannedDataset } from '../memory-plan';

const fullBatch = { solver: 'mu' as const, init: 'random' };
const words = { what: 'sweep', advice: 'Lower the largest rank' };

function denseData(rows: number, cols: number): PlannedDataset {
  return { rows, cols, nnz: rows * cols, layout: 'dense' };
}

function replicate(rank: number, extra: Partial<PlannedSweepJob> = {}): PlannedSweepJob {
  return { rank, kind: 'replicate', baseline: false, cv: null, screen: null, keepFactors: false, ...extra };
}

describe('planJobMemory', () => {
  const data = denseData(100, 50);
  const V = matrixBytes(data);

  it('is in memory up to the byte where the pool’s fits fit, adapted below it, refused below one fit', () => {
    const fits = [1000, 1000, 1000, 1000];
    const full = V + 4000;
    expect(planJobMemory(data, fits, 0, 4, full, words)).toMatchObject({ mode: 'in-memory', parallel: 4 });
    expect(planJobMemory(data, fits, 0, 4, full - 1, words)).toMatchObject({
      mode: 'adapted',
      parallel: 3,
      peakBytes: V + 3000,
    });
    expect(planJobMemory(data, fits, 0, 4, V + 1000, words)).toMatchObject({ mode: 'adapted', parallel: 1 });
    const refused = planJobMemory(data, fits, 0, 4, V + 999, words);
    expect(refused).toMatchObject({ mode: 'refused', parallel: 0, poolParallel: 4 });
    // The message names V's size, the fit's, the budget and what to change.
    expect(refused.reason).toContain(`V takes ${describeBytes(V)}`);
    expect(refused.reason).toContain('largest fit 1000 bytes');
    expect(refused.reason).toContain(`memory budget of ${describeBytes(V + 999)}`);
    expect(refused.reason).toContain('Lower the largest rank');
    expect(refused.reason).toContain('--memory-budget');
  });

  it('counts the largest fits that can run together, never more fits than there are', () => {
    expect(planJobMemory(data, [10, 500, 20], 0, 2, 1e9, words)).toMatchObject({
      peakBytes: V + 520,
      fitBytes: 500,
      poolParallel: 2,
    });
    expect(planJobMemory(data, [10], 0, 8, 1e9, words)).toMatchObject({ poolParallel: 1, peakBytes: V + 10 });
  });

  it('counts a step that runs alone after the fits once, not beside them', () => {
    const plan = planJobMemory(data, [100, 100], 50, 2, 1e9, words, 300);
    expect(plan.peakBytes).toBe(V + 50 + 300);
    // The alone step decides the refusal when it is what does not fit.
    expect(planJobMemory(data, [100, 100], 0, 2, V + 299, words, 300).mode).toBe('refused');
    expect(planJobMemory(data, [100, 100], 0, 2, V + 300, words, 300).mode).toBe('in-memory');
  });
});

describe('sweepJobBytes', () => {
  it('adds a copy of V for a baseline fit, a masked copy and the fold assignment for a CV fold', () => {
    const data = denseData(200, 60);
    const plain = sweepJobBytes(data, replicate(5), fullBatch);
    expect(plain).toBe(
      WORKER_FIXED_BYTES + fitBytes(data, { ...fullBatch, rank: 5, parallel: 1 }, false) + 8 * (200 * 5 + 60),
    );
    // Counted twice: the previous job's copy may not be collected yet.
    expect(sweepJobBytes(data, replicate(5, { baseline: true }), fullBatch) - plain).toBe(
      2 * (matrixBytes(data) + 12 * 60),
    );
    const fold = sweepJobBytes(data, replicate(5, { kind: 'fold', cv: { folds: 4 } }), fullBatch);
    // Masked copy (8 bytes an entry), assignment (1 byte an entry), missing lists and scoring (40 a held entry).
    expect(fold - plain).toBe(2 * 8 * 12000 + 12000 + 40 * 3000);
    const kept = sweepJobBytes(data, replicate(5, { keepFactors: true }), fullBatch);
    expect(kept - plain).toBe(8 * 260 * 5);
  });

  it('holds out a sample of entries above 2²³ entries, so a fold of a large sparse V does not grow with m·n', () => {
    const sparse: PlannedDataset = { rows: 20_000, cols: 100_000, nnz: 2e7, layout: 'csr' };
    const fold = sweepJobBytes(sparse, replicate(10, { kind: 'fold', cv: { folds: 5 } }), fullBatch);
    const plain = sweepJobBytes(sparse, replicate(10), fullBatch);
    const held = Math.ceil(2 ** 23 / 5);
    // The masked copy: V's stored entries and the held-out zeros' columns row by row (KL, the default).
    expect(fold - plain).toBe(9 * 2 ** 23 + 8 * held + 2 * (12 * 2e7 + 8 * 20_001 + 4 * held) + 40 * held);
    expect(fold - plain).toBeLessThan(3 * matrixBytes(sparse));
    // General β stores the held-out zeros as NaN entries of the copy.
    const general = sweepJobBytes(sparse, replicate(10, { kind: 'fold', cv: { folds: 5 } }), {
      ...fullBatch,
      beta: 0.5,
    });
    expect(general - plain).toBe(9 * 2 ** 23 + 8 * held + 2 * (12 * (2e7 + held) + 4 * 20_001) + 40 * held);
  });

  it('counts a full CSR fold’s masked copy as V’s stored entries plus the held-out zeros apart (β = 1 and 2)', () => {
    // 1000 × 1000 with 10⁵ stored entries, 3 folds: 333 334 held out per fold, most of them zeros.
    const sparse: PlannedDataset = { rows: 1000, cols: 1000, nnz: 1e5, layout: 'csr' };
    const plain = sweepJobBytes(sparse, replicate(4), fullBatch);
    const held = Math.ceil(1e6 / 3);
    const besidesCopy = 1e6 + 40 * held;
    for (const beta of [undefined, 1, 2]) {
      const fold = sweepJobBytes(sparse, replicate(4, { kind: 'fold', cv: { folds: 3 } }), {
        ...fullBatch,
        beta,
      });
      // V's indptr, indices and values copied; the held-out zeros' row pointers and columns (Int32).
      expect(fold - plain).toBe(2 * (12 * 1e5 + 8 * 1001 + 4 * held) + besidesCopy);
    }
    // β = 1.5: the copy stores every held-out zero, built in JavaScript arrays (36 bytes an entry).
    const general = sweepJobBytes(sparse, replicate(4, { kind: 'fold', cv: { folds: 3 } }), {
      ...fullBatch,
      beta: 1.5,
    });
    expect(general - plain).toBe(2 * (36 * (1e5 + held) + 4 * 1001) + besidesCopy);
  });

  it('gathers results and a consensus matrix on at most 2000 samples', () => {
    const wide = denseData(10, 100_000);
    // And V once more: its chunks as read from the library, until collected.
    expect(sweepSharedBytes(wide, [])).toBe(3 * 8 * 2000 * 2000 + matrixBytes(wide));
  });
});

describe('planSweepMemory', () => {
  it('plans the jobs planSweep makes: adapted to one fit at a time, then refused, as the budget shrinks', () => {
    const data = denseData(2000, 500);
    const jobs = planSweep({ fromRank: 2, toRank: 6, replicates: 2, cvFolds: 3, baseline: true });
    const generous = planSweepMemory(data, jobs, fullBatch, 2, 8 * 2 ** 30);
    expect(generous.mode).toBe('in-memory');
    expect(generous.parallel).toBe(2);
    // The largest job is a baseline fold at k = 6: V shuffled, then masked.
    const largest = Math.max(...jobs.map((job) => sweepJobBytes(data, job, fullBatch)));
    expect(generous.fitBytes).toBe(largest);
    const oneAtATime = generous.matrixBytes + generous.sharedBytes + largest;
    expect(planSweepMemory(data, jobs, fullBatch, 2, oneAtATime)).toMatchObject({
      mode: 'adapted',
      parallel: 1,
    });
    const refused = planSweepMemory(data, jobs, fullBatch, 2, oneAtATime - 1);
    expect(refused.mode).toBe('refused');
    expect(refused.reason).toContain('drop the shuffled baseline or the CV folds');
  });
});

describe('planConsensusMemory', () => {
  it('plans a minibatch sweep with the batch size its fits use: the asked one, else the fit’s default 128', () => {
    const cells: PlannedDataset = { rows: 2000, cols: 100_000, nnz: 2.2e7, layout: 'csr' };
    const jobs = [replicate(20), replicate(20)];
    const plan = (batchSize?: number) =>
      planSweepMemory(cells, jobs, { solver: 'minibatch', init: 'random', batchSize }, 2, 2 ** 40);
    const asWritten = (batchSize?: number) =>
      fitBytes(cells, { solver: 'minibatch', init: 'random', rank: 20, parallel: 1, batchSize }, false);
    expect(plan().peakBytes).toBe(plan(128).peakBytes);
    expect(plan(1024).peakBytes).toBeGreaterThan(plan(128).peakBytes);
    // A batch of 1024 cells holds ~8× the entries of one of 128 (b × 220 stored, 1.5× margin).
    expect(asWritten()).toBe(asWritten(128));
    expect(asWritten(1024) - asWritten(128)).toBeGreaterThan(20 * 1.5 * 220 * (1024 - 128));
  });

  it('counts every replicate fit at its rank and the build of the largest rank alone', () => {
    const data = denseData(1000, 300);
    const consensus = { fromRank: 3, toRank: 5, replicates: 50, fit: fullBatch };
    const plan = planConsensusMemory(data, consensus, 2, 8 * 2 ** 30);
    const fit = fitBytes(data, { ...fullBatch, rank: 5, parallel: 1 }, false);
    const fitAt5 = WORKER_FIXED_BYTES + fit + 8 * 1000 * 5;
    const build = WORKER_FIXED_BYTES + 3 * 8 * 50 * 1000 * 5 + fit;
    expect(plan.peakBytes).toBe(2 * matrixBytes(data) + Math.max(2 * fitAt5, build));
    expect(planConsensusMemory(data, consensus, 2, 2 * matrixBytes(data) + build - 1).mode).toBe('refused');
  });
});

describe('planProjectionMemory', () => {
  it('is one fit: in memory or refused, never adapted', () => {
    const data: PlannedDataset = { rows: 2000, cols: 100_000, nnz: 2e7, layout: 'csr' };
    const plan = planProjectionMemory(data, 2000, 10, 8 * 2 ** 30);
    expect(plan).toMatchObject({ mode: 'in-memory', parallel: 1 });
    // V and its chunks as read, and the matched rows twice (the service's selection and the worker's copy).
    expect(plan.peakBytes).toBe(
      WORKER_FIXED_BYTES +
        4 * matrixBytes(data) +
        fitBytes(data, { ...fullBatch, rank: 10, parallel: 1 }, false),
    );
    const refused = planProjectionMemory(data, 2000, 10, plan.peakBytes - 1);
    expect(refused.mode).toBe('refused');
    expect(refused.reason).toContain('Project fewer samples at a time');
  });
});
