import { describe, expect, it } from 'vitest';
import type { Services } from '..';
import { call, servicesWithFolders } from './harness';

/** The minibatch solver through the services: a run's parameters, its fit in a worker, the estimate. */
const startInFolder = servicesWithFolders('nmf-minibatch-', { threads: 1 });
const start = (): Services => startInFolder().services;

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
