import { describe, expect, it } from 'vitest';
import type { DatasetSummary, PcaView } from '../../../shared/domain';
import { pca } from '../../../shared/analysis/pca';
import { loadDataset } from '../datasets';
import { call, servicesInTempFolders } from './harness';

const start = servicesInTempFolders('nmf-pca-');

/**
 * `datasets:pca` loads PCA's module (and ml-matrix) when it is asked for, not with the services:
 * the answer is the one `pca` gives on the stored matrix, and a malformed request is still refused
 * by the channel's schema.
 */
describe('datasets:pca, loaded on demand', () => {
  it('answers what pca() gives on the stored matrix, and refuses a bad request by its schema', async () => {
    const services = start();
    const { dataset } = await call<{ dataset: DatasetSummary }>(services, 'datasets:synthesize', {
      features: 60,
      samples: 20,
      rank: 3,
      seed: 5,
    });
    const view = await call<PcaView>(services, 'datasets:pca', { id: dataset.id, components: 4 });
    const expected = pca(loadDataset(services.ctx, dataset.id).matrix, { components: 4 });
    expect(view.datasetId).toBe(dataset.id);
    expect(view.explainedVarianceRatio).toEqual(expected.explainedVarianceRatio);
    expect(view.loadings).toEqual(expected.loadings.data);
    expect(view.featureNames).toHaveLength(60);
    await expect(call(services, 'datasets:pca', { id: dataset.id, components: 0 })).rejects.toThrow(
      /invalid_request/,
    );
  });
});
