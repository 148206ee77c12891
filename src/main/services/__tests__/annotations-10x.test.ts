import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnnotationSet, DatasetSummary } from '../../../shared/domain';
import { dispatch } from '../dispatch';
import { call, servicesInTempFolders } from './harness';

/**
 * A 10x Genomics .h5 (Cell Ranger ≥ 3 layout, made here with h5wasm) keeps its feature ids,
 * symbols, types and genomes as a feature annotation table of the imported dataset, stored with it
 * in one transaction.
 */
const start = servicesInTempFolders('nmf-10x-annotations-');
let dir: string;

const ids = ['ENSG01', 'ENSG02', 'ENSG03', 'ENSG04', 'ENSG05'];
// A repeated symbol (Cell Ranger names features by symbol; the id tells them apart).
const symbols = ['CD3E', 'MS4A1', 'TBCE', 'TBCE', 'CD19'];
const types = [
  'Gene Expression',
  'Gene Expression',
  'Gene Expression',
  'Gene Expression',
  'Antibody Capture',
];
const barcodes = ['AAAC-1', 'AAAG-1', 'AACT-1'];
/** genes × cells. */
const counts = [
  [1, 0, 3],
  [0, 5, 0],
  [2, 0, 0],
  [0, 0, 7],
  [4, 1, 0],
];

/** Writes a 10x .h5: CSC genes × cells under /matrix, as Cell Ranger writes it. */
async function writeTenX(path: string, values: number[][]): Promise<void> {
  const h5 = (await import('h5wasm/node')).default;
  await h5.ready;
  const data: number[] = [];
  const indices: number[] = [];
  const indptr = [0];
  for (let j = 0; j < barcodes.length; j++) {
    for (let i = 0; i < ids.length; i++) {
      if (values[i][j] !== 0) {
        data.push(values[i][j]);
        indices.push(i);
      }
    }
    indptr.push(data.length);
  }
  const file = new h5.File(path, 'w');
  const matrix = file.create_group('matrix');
  matrix.create_dataset({ name: 'data', data: new Int32Array(data) });
  matrix.create_dataset({ name: 'indices', data: new BigInt64Array(indices.map(BigInt)) });
  matrix.create_dataset({ name: 'indptr', data: new BigInt64Array(indptr.map(BigInt)) });
  matrix.create_dataset({ name: 'shape', data: new Int32Array([ids.length, barcodes.length]) });
  matrix.create_dataset({ name: 'barcodes', data: barcodes, dtype: 'S8' });
  const features = matrix.create_group('features');
  features.create_dataset({ name: 'id', data: ids, dtype: 'S8' });
  features.create_dataset({ name: 'name', data: symbols, dtype: 'S8' });
  features.create_dataset({ name: 'feature_type', data: types, dtype: 'S16' });
  features.create_dataset({ name: 'genome', data: ids.map(() => 'GRCh38'), dtype: 'S8' });
  file.close();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nmf-10x-h5-'));
  await writeTenX(join(dir, 'pbmc.h5'), counts);
  const negative = counts.map((row) => row.slice());
  negative[1][1] = -5;
  await writeTenX(join(dir, 'bad.h5'), negative);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const upload = (name: string): { fileName: string; bytes: Uint8Array } => ({
  fileName: name,
  bytes: new Uint8Array(readFileSync(join(dir, name))),
});

describe('10x .h5 feature annotations', () => {
  it('keeps ids, symbols, types and genomes as a feature table with provenance', async () => {
    const services = start();
    const imported = await call<{ dataset: DatasetSummary; warnings: string[] }>(
      services,
      'datasets:import',
      {
        file: upload('pbmc.h5'),
      },
    );
    expect(imported.warnings).toContain(
      'feature annotations kept from matrix/features: gene_id, symbol, feature_type, genome',
    );
    const { sets, features } = await call<{ sets: AnnotationSet[]; features: AnnotationSet['columns'] }>(
      services,
      'annotations:list',
      { datasetId: imported.dataset.id },
    );
    expect(sets).toHaveLength(1);
    expect(sets[0]).toMatchObject({
      axis: 'features',
      sourceName: 'pbmc.h5/matrix/features',
      keyColumn: 'name',
    });
    expect(sets[0].sourceHash).toMatch(/^[0-9a-f]{64}$/);
    expect(features.map((c) => c.name)).toEqual(['gene_id', 'symbol', 'feature_type', 'genome']);
    // Aligned by position with the dataset's rows, repeated symbols included.
    expect(features[0].values).toEqual(ids);
    expect(features[1].values).toEqual(symbols);
    expect(features[2]).toMatchObject({
      kind: 'categorical',
      levels: ['Gene Expression', 'Antibody Capture'],
    });
    const detail = await call<{ rowNames: string[] }>(services, 'datasets:get', { id: imported.dataset.id });
    expect(detail.rowNames).toEqual(symbols);

    // The same file again is the same dataset: no second table.
    const again = await call<{ existing: boolean }>(services, 'datasets:import', { file: upload('pbmc.h5') });
    expect(again.existing).toBe(true);
    const after = await call<{ sets: AnnotationSet[] }>(services, 'annotations:list', {
      datasetId: imported.dataset.id,
    });
    expect(after.sets).toHaveLength(1);
  });

  it('puts the table on the samples axis of a transposed import', async () => {
    const services = start();
    const imported = await call<{ dataset: DatasetSummary }>(services, 'datasets:import', {
      file: upload('pbmc.h5'),
      transpose: true,
    });
    const listed = await call<{ sets: AnnotationSet[]; samples: AnnotationSet['columns'] }>(
      services,
      'annotations:list',
      { datasetId: imported.dataset.id },
    );
    expect(listed.sets[0].axis).toBe('samples');
    expect(listed.samples[1].values).toEqual(symbols);
  });

  it('stores neither dataset nor table when the matrix is refused', async () => {
    const services = start();
    const refused = await dispatch(services.handlers, 'datasets:import', { file: upload('bad.h5') });
    expect(refused.ok).toBe(false);
    const datasets = await call<DatasetSummary[]>(services, 'datasets:list', {});
    expect(datasets).toEqual([]);
    const rows = services.ctx.db.prepare('SELECT COUNT(*) AS n FROM annotations').get() as { n: number };
    expect(rows.n).toBe(0);
  });
});
