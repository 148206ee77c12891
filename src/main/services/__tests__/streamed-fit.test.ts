import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { plantCellModules, sampleCellMatrix } from '../../../shared/analysis/synthetic-cells';
import type { CsrMatrix } from '../../../shared/linalg/matrix';
import { planFitMemory } from '../../../shared/domain/memory-plan';
import { MemoryAccount } from '../../../shared/nmf/batch-source';
import { prepareData } from '../../../shared/nmf/data';
import { fitNmf } from '../../../shared/nmf';
import { inMemoryBatches } from '../../../shared/nmf/minibatch';
import { fitStreamed } from '../../../shared/nmf/streamed';
import { FitCancelledError, type FitOptionsInput } from '../../../shared/nmf/types';
import type { Services } from '..';
import { servicesWithFolders } from './harness';
import { loadDataset, storeDataset } from '../datasets';
import { openSampleFile } from '../sample-file';
import { SampleStreamCancelledError, writeSampleFile } from '../sample-stream';

/**
 * Streamed minibatch fits (V read batch by batch from a sample-major copy on disk) against the
 * in-memory minibatch fit: the same batches, the same scan of V, the same bits, on data made to
 * break the copy (empty rows and samples, a batch with no entries, missing values, samples whose
 * entries straddle the write buffers), over several seeds and starts.
 */
const start = servicesWithFolders('nmf-streamed-', { threads: 1 });

/** Planted counts with awkward structure: an empty gene, an empty run of samples (a whole empty batch), NaNs. */
function awkwardCounts(seed: number, withMissing: boolean): CsrMatrix {
  const model = plantCellModules({ features: 40, cells: 300, rank: 3, seed, depth: 60 });
  const { V } = sampleCellMatrix(model);
  const indptr = [0];
  const indices: number[] = [];
  const data: number[] = [];
  for (let i = 0; i < V.rows; i++) {
    for (let p = V.indptr[i]; p < V.indptr[i + 1]; p++) {
      const j = V.indices[p];
      if (i === 7) continue; // an empty feature
      if (j >= 64 && j < 96) continue; // samples 64..95: with batches of 32, a batch with nothing stored
      indices.push(j);
      data.push(withMissing && (i * 31 + j) % 97 === 0 ? NaN : V.data[p]);
    }
    indptr.push(indices.length);
  }
  return {
    kind: 'csr',
    rows: V.rows,
    cols: V.cols,
    indptr: Int32Array.from(indptr),
    indices: Int32Array.from(indices),
    data: Float64Array.from(data),
  };
}

function store(services: Services, V: CsrMatrix, name: string): number {
  const rowNames = Array.from({ length: V.rows }, (_, i) => `g${i}`);
  const colNames = Array.from({ length: V.cols }, (_, j) => `c${j}`);
  return storeDataset(services.ctx, V, rowNames, colNames, {
    name,
    sourceName: name,
    format: 'mtx',
    transform: 'none',
    transposed: false,
  }).dataset.id;
}

async function copyOf(services: Services, dir: string, id: number, batchSize: number, bufferBytes: number) {
  const row = services.ctx.db
    .prepare('SELECT id, name, rows, cols, nnz, layout FROM datasets WHERE id = ?')
    .get(id) as {
    id: number;
    name: string;
    rows: number;
    cols: number;
    nnz: number;
    layout: 'csr';
  };
  return writeSampleFile(services.ctx.db, row, { dir, batchSize, bufferBytes });
}

describe('streamed minibatch fits', () => {
  it('reads the batches, scan and sums the in-memory source cuts from V, bit for bit', async () => {
    const { services, dir } = start();
    for (const withMissing of [false, true]) {
      const id = store(services, awkwardCounts(3, withMissing), `v${withMissing}`);
      const V = loadDataset(services.ctx, id).matrix;
      const data = prepareData(V);
      // A tiny buffer: every batch is written in many pieces.
      const copy = await copyOf(services, dir, id, 32, 1);
      expect(copy.checks).toEqual({ negative: data.negative, infinite: data.infinite, zero: data.zero });
      const source = openSampleFile(copy.spec);
      const reference = inMemoryBatches(data, 32);
      expect([source.observed, source.sum]).toEqual([reference.observed, reference.sum]);
      for (let j0 = 0; j0 < V.cols; j0 += 32) {
        const j1 = Math.min(j0 + 32, V.cols);
        const a = source.batch(j0, j1);
        const b = reference.batch(j0, j1);
        expect(a.V).toEqual(b.V);
        expect(a.sum).toBe(b.sum);
        expect(a.observed).toBe(b.observed);
        expect(a.missing).toEqual(b.missing);
      }
      expect(() => source.batch(5, 37)).toThrow(/not one of the file's batches/);
      source.close();
      rmSync(copy.spec.path);
    }
  });

  it('gives the in-memory fit bit for bit: starts, β, missing values, schedules, fresh restarts, seeds', async () => {
    const { services, dir } = start();
    // maxIter 8 below: the refined schedule's 5 online passes (several H steps per batch), 3
    // polish passes and the final H solve; the scikit-learn schedule's 8 online passes.
    const cases: Array<{ seed: number; missing: boolean; options: Partial<FitOptionsInput> }> = [
      { seed: 1, missing: false, options: { init: 'random', beta: 1 } },
      { seed: 2, missing: false, options: { init: 'nndsvda', beta: 1 } },
      { seed: 3, missing: true, options: { init: 'nndsvd', beta: 1 } },
      { seed: 4, missing: true, options: { init: 'random', beta: 2, l1W: 0.01, l2H: 0.02 } },
      { seed: 5, missing: false, options: { init: 'nndsvdar', beta: 1.5, freshRestarts: true } },
      { seed: 6, missing: false, options: { init: 'random', beta: 1, batchSize: 300 } },
      { seed: 7, missing: true, options: { init: 'random', beta: 1, schedule: 'sklearn' } },
      {
        seed: 8,
        missing: false,
        options: { init: 'nndsvda', beta: 0.5, schedule: 'sklearn', freshRestarts: true },
      },
      // The polish stopped by full-batch MU's rule (checked every 2 passes, a loose tol).
      {
        seed: 9,
        missing: true,
        options: { init: 'random', beta: 1, onlinePasses: 2, checkEvery: 2, tol: 0.05, l1W: 0.01 },
      },
    ];
    for (const c of cases) {
      const id = store(services, awkwardCounts(c.seed, c.missing), `case${c.seed}`);
      const V = loadDataset(services.ctx, id).matrix;
      const options: FitOptionsInput = {
        rank: 3,
        solver: 'minibatch',
        batchSize: 32,
        maxIter: 8,
        tol: 1e-6,
        seed: c.seed,
        ...c.options,
      };
      const inMemory = fitNmf(V, options);
      const copy = await copyOf(services, dir, id, options.batchSize ?? 32, 4096);
      const source = openSampleFile(copy.spec);
      const memory = new MemoryAccount();
      const streamed = fitStreamed(source, options, copy.checks, {}, memory);
      source.close();
      expect(streamed.W.data).toEqual(inMemory.W.data);
      expect(streamed.H.data).toEqual(inMemory.H.data);
      expect(streamed.loss).toBe(inMemory.loss);
      expect(streamed.loglik).toBe(inMemory.loglik);
      expect(streamed.trace).toEqual(inMemory.trace);
      expect(streamed.iterations).toBe(inMemory.iterations);
      // The case meant to stop its polish by MU's rule does stop before maxIter.
      if (c.options.checkEvery === 2)
        expect([inMemory.converged, inMemory.iterations < 8]).toEqual([true, true]);
      // The account holds the fit's arrays, and never V's stored entries (12 bytes each).
      expect(memory.peakBytes).toBeGreaterThan(8 * (V.rows + V.cols) * 3);
      expect(memory.snapshot()).not.toHaveProperty('V');
    }
  });

  it('stops the copy when cancelled and leaves no file behind', async () => {
    const { services, dir } = start();
    const model = plantCellModules({ features: 50, cells: 30_000, rank: 3, seed: 9, depth: 100 });
    const id = store(services, sampleCellMatrix(model).V, 'big');
    const row = services.ctx.db
      .prepare('SELECT id, name, rows, cols, nnz, layout FROM datasets WHERE id = ?')
      .get(id) as {
      id: number;
      name: string;
      rows: number;
      cols: number;
      nnz: number;
      layout: 'csr';
    };
    expect(row.nnz).toBeGreaterThan(2 ** 19);
    const copies = join(dir, 'copies');
    rmSync(copies, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(copies);
    let calls = 0;
    await expect(
      writeSampleFile(services.ctx.db, row, {
        dir: copies,
        batchSize: 1024,
        bufferBytes: 1 << 20,
        isCancelled: () => ++calls >= 2,
      }),
    ).rejects.toBeInstanceOf(SampleStreamCancelledError);
    expect(readdirSync(copies)).toEqual([]);
    // The copy's buffers as the plan sizes them under the smallest budget hold within it.
    const plan = planFitMemory(
      row,
      { rank: 3, solver: 'minibatch', init: 'random', batchSize: 1024, parallel: 1 },
      64 * 2 ** 20,
    );
    const fromPlan = await writeSampleFile(services.ctx.db, row, {
      dir: copies,
      batchSize: 1024,
      bufferBytes: plan.copyBufferBytes,
    });
    expect(fromPlan.peakBytes).toBeLessThanOrEqual(64 * 2 ** 20);
    rmSync(fromPlan.spec.path);
    // A fit reading a finished copy stops at the next batch when cancelled.
    const copy = await writeSampleFile(services.ctx.db, row, {
      dir: copies,
      batchSize: 1024,
      bufferBytes: 1 << 20,
    });
    expect(existsSync(copy.spec.path)).toBe(true);
    const source = openSampleFile(copy.spec);
    let asked = 0;
    expect(() =>
      fitStreamed(
        source,
        { rank: 3, solver: 'minibatch', init: 'random', maxIter: 5, batchSize: 1024 },
        copy.checks,
        {
          isCancelled: () => ++asked > 3,
        },
      ),
    ).toThrow(FitCancelledError);
    source.close();
  });
});
