import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { plantCellModules } from '../../../shared/analysis/synthetic-cells';
import type { RunDetail } from '../../../shared/domain';
import { writeCellsH5ad } from '../../io/cell-writers';
import { createServices, type Services } from '..';
import { importDatasetFile } from '../datasets';
import { call } from './harness';

/**
 * Slow (a 10⁵-cell `.h5ad`, about a minute on one core): files named `*.slow.test.ts` run with the
 * rest of `npm test`; set NMF_STUDIO_SKIP_SLOW=1 to skip them locally.
 *
 * Generates planted counts with the project's cell generator, imports the `.h5ad` through the
 * services, and fits minibatch KL through the services twice: with a memory budget below V's size
 * (the fit must stream V from a sample-major copy, and the bytes it counted as held must stay
 * within the budget) and with a budget that holds V (in memory). The two results must be the same
 * bits, and the copy must be gone afterwards.
 */
const skip = process.env.NMF_STUDIO_SKIP_SLOW === '1';
const workerPath = join(__dirname, '..', '..', 'workers', 'nmf.worker.ts');
const dir = mkdtempSync(join(tmpdir(), 'nmf-streamed-budget-'));
let services: Services | null = null;

afterAll(async () => {
  await services?.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

async function finished(id: number): Promise<RunDetail> {
  for (;;) {
    const detail = await call<RunDetail>(services!, 'runs:get', { id });
    if (!['queued', 'running'].includes(detail.state)) return detail;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.skipIf(skip)('a 10⁵-cell fit under a memory budget', () => {
  it('streams V within the budget and gives the in-memory fit bit for bit', async () => {
    const cells = 100_000;
    const model = plantCellModules({ features: 300, cells, rank: 5, seed: 11, depth: 120 });
    const file = join(dir, 'cells.h5ad');
    await writeCellsH5ad(file, model);
    const budget = { overrideBytes: 64 * 2 ** 20, settingsDir: join(dir, 'settings') };
    const staging = join(dir, 'staging');
    services = createServices({
      libraryPath: join(dir, 'library.sqlite'),
      workerPath,
      mode: 'cli',
      threads: 1,
      tempDir: staging,
      memoryBudget: budget,
    });
    const { dataset } = await importDatasetFile(services.ctx, file, {
      transpose: false,
      header: true,
      rowNames: true,
      transform: 'none',
    });
    expect([dataset.rows, dataset.cols]).toEqual([300, cells]);
    const matrixBytes = 12 * dataset.nnz + 4 * (dataset.rows + 1);
    expect(matrixBytes).toBeGreaterThan(budget.overrideBytes);

    const params = { rank: 5, loss: 'kl', solver: 'minibatch', batchSize: 2048, maxIter: 3, tol: 0, seed: 4 };
    const estimate = await call<{ basis: string; peakBytes: number; memory?: { mode: string } }>(
      services,
      'runs:estimate',
      { datasetId: dataset.id, params },
    );
    expect(estimate.memory?.mode).toBe('streamed');
    expect(estimate.peakBytes).toBeLessThanOrEqual(budget.overrideBytes);

    // Full-batch MU over the budget is refused, naming the sizes and the way out.
    await expect(
      call(services, 'runs:start', { datasetId: dataset.id, params: { rank: 5, maxIter: 3 } }),
    ).rejects.toThrow(/over the memory budget of 64\.0 MiB.*minibatch/);

    const streamedRun = await call<{ id: number }>(services, 'runs:start', { datasetId: dataset.id, params });
    const streamed = await finished(streamedRun.id);
    expect(streamed.error).toBeNull();
    expect(streamed.state).toBe('done');
    const account = streamed.provenance?.memory;
    expect(account?.mode).toBe('streamed');
    expect(account?.accountedPeakBytes).toBeGreaterThan(0);
    expect(account?.accountedPeakBytes).toBeLessThanOrEqual(budget.overrideBytes);
    // The sample-major copy is gone (the staging folder holds only folders).
    const files = readdirSync(staging, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(files.map((e) => e.name)).toEqual([]);

    budget.overrideBytes = 8 * 2 ** 30;
    const inMemoryRun = await call<{ id: number }>(services, 'runs:start', { datasetId: dataset.id, params });
    const inMemory = await finished(inMemoryRun.id);
    expect(inMemory.provenance?.memory?.mode).toBe('in-memory');
    expect(streamed.W).toEqual(inMemory.W);
    expect(streamed.H).toEqual(inMemory.H);
    expect(streamed.loss).toBe(inMemory.loss);
    expect(streamed.trace).toEqual(inMemory.trace);
  }, 300_000);
});
