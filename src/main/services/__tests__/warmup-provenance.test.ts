import { describe, expect, it } from 'vitest';
import { RUN_FIT_DEFAULTS } from '../../../shared/domain';
import { finishedRun, servicesInTempFolders, synthesizedDataset } from './harness';

/**
 * A run by multiplicative updates warms up until HALS settles by default; its parameters cannot
 * say how long that took, so the run's provenance does (the Run screen's hand-over mark reads it).
 */
describe('a run warmed up until HALS settles', () => {
  const start = servicesInTempFolders('nmf-warmup-provenance-');

  it('records the warm-up length in its provenance, and none for a fixed warm-up', async () => {
    const services = start();
    const datasetId = await synthesizedDataset(services, 7, 40);
    const settled = await finishedRun(services, datasetId, { rank: 3, maxIter: 600, seed: 1 });
    expect(settled.params.warmupTol).toBe(RUN_FIT_DEFAULTS.warmupTol);
    const length = settled.provenance?.warmupIterations;
    expect(length).toBeGreaterThanOrEqual(RUN_FIT_DEFAULTS.warmup);
    expect(length).toBeLessThanOrEqual(300);
    expect(((length ?? 0) - RUN_FIT_DEFAULTS.warmup) % 10).toBe(0);
    const fixed = await finishedRun(services, datasetId, { rank: 3, maxIter: 600, seed: 1, warmupTol: 0 });
    expect(fixed.params.warmupTol).toBe(0);
    expect(fixed.provenance?.warmupIterations).toBeUndefined();
  });
});
