import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createServices, type Services } from '..';
import { call } from './harness';

/** The minibatch solver through the services: a run's parameters, its fit in a worker, the estimate. */
const workerPath = join(__dirname, '..', '..', 'workers', 'nmf.worker.ts');
const open: Services[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const services of open.splice(0)) await services.close().catch(() => undefined);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function start(): Services {
  const dir = mkdtempSync(join(tmpdir(), 'nmf-minibatch-'));
  dirs.push(dir);
  const services = createServices({
    libraryPath: join(dir, 'library.sqlite'),
    workerPath,
    mode: 'browser',
    threads: 1,
  });
  open.push(services);
  return services;
}

describe('minibatch runs', () => {
  it('records the batch size, counts passes, and estimates passes', async () => {
    const services = start();
    const { dataset } = await call<{ dataset: { id: number } }>(services, 'datasets:synthesize', {
      features: 60,
      samples: 400,
      rank: 3,
      seed: 2,
    });
    const params = { rank: 3, solver: 'minibatch', batchSize: 64, maxIter: 6, tol: 0 };
    const estimate = await call<{ basis: string; suggestion?: unknown }>(services, 'runs:estimate', {
      datasetId: dataset.id,
      params,
    });
    expect(estimate.basis).toContain(
      'at most 6 passes over the data (W updated after each batch of 64 samples)',
    );
    expect(estimate.suggestion).toBeUndefined();
    const run = await call<{ id: number }>(services, 'runs:start', { datasetId: dataset.id, params });
    let detail: { state: string; iterations: number; params: Record<string, unknown>; error: string | null };
    const started = Date.now();
    for (;;) {
      detail = await call(services, 'runs:get', { id: run.id });
      if (!['queued', 'running'].includes(detail.state) || Date.now() - started > 60_000) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(detail.error).toBeNull();
    expect(detail.state).toBe('done');
    expect(detail.iterations).toBe(6);
    expect(detail.params).toMatchObject({ solver: 'minibatch', batchSize: 64, warmup: 0 });
  }, 90_000);
});
