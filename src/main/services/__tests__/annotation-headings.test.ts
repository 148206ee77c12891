import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../../shared/api/codec';
import {
  ANNOTATION_LEVELS_LISTED,
  type AnnotationSet,
  type AnnotationSetHeading,
} from '../../../shared/domain';
import { viewCaches } from '../view-cache';
import { call, servicesInTempFolders, synthesizedDataset } from './harness';

/**
 * `annotations:sets`: what the Dataset screen lists of a dataset's annotation files — provenance,
 * column names and kinds, the number of classes and the first few — without one value per sample,
 * so the list stays small however many samples the dataset has.
 */
const start = servicesInTempFolders('nmf-annotation-headings-');

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('annotation headings', () => {
  it('list each file with its columns, classes counted and the first six named, and no values', async () => {
    const services = start();
    const datasetId = await synthesizedDataset(services, 5, 20_000, { features: 6, rank: 2 });
    const { colNames } = await call<{ colNames: string[] }>(services, 'datasets:get', { id: datasetId });
    // A class per sample (20 000 levels), a ten-level class, and a number.
    const table =
      'sample\tbarcode\tcluster\tdepth\n' +
      colNames.map((s, j) => `${s}\tbc${j}\tc${j % 10}\t${j}`).join('\n');
    const set = await call<AnnotationSet>(services, 'annotations:import', {
      datasetId,
      axis: 'samples',
      file: { fileName: 'cells.tsv', bytes: bytes(table) },
    });

    const headings = await call<AnnotationSetHeading[]>(services, 'annotations:sets', { datasetId });
    const { columns, warnings: _importWarnings, ...provenance } = set;
    expect(headings).toHaveLength(1);
    const { columns: headed, ...headedProvenance } = headings[0];
    expect(headedProvenance).toEqual(provenance);
    expect(headed).toEqual([
      {
        name: 'barcode',
        kind: 'categorical',
        levelCount: 20_000,
        firstLevels: ['bc0', 'bc1', 'bc2', 'bc3', 'bc4', 'bc5'],
      },
      {
        name: 'cluster',
        kind: 'categorical',
        levelCount: 10,
        firstLevels: ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'],
      },
      { name: 'depth', kind: 'numeric', levelCount: null, firstLevels: [] },
    ]);
    expect(headed[0].firstLevels).toHaveLength(ANNOTATION_LEVELS_LISTED);
    expect(columns.every((c) => c.values.length === colNames.length)).toBe(true);

    // The whole list against the values it leaves out: 60 000 entries (and 20 000 levels) there.
    const listed = await call<unknown>(services, 'annotations:list', { datasetId });
    expect(encodeFrame({ ok: true, value: headings }).byteLength).toBeLessThan(2_000);
    expect(encodeFrame({ ok: true, value: listed }).byteLength).toBeGreaterThan(500_000);
  });

  it('count a file’s classes once, and list files imported and deleted since', async () => {
    const services = start();
    const datasetId = await synthesizedDataset(services, 5, 300, { features: 6, rank: 2 });
    const { colNames } = await call<{ colNames: string[] }>(services, 'datasets:get', { id: datasetId });
    const file = (name: string, column: string, value: (j: number) => string) => ({
      datasetId,
      axis: 'samples',
      file: {
        fileName: name,
        bytes: bytes(`sample\t${column}\n` + colNames.map((s, j) => `${s}\t${value(j)}`).join('\n')),
      },
    });
    const first = await call<AnnotationSet>(
      services,
      'annotations:import',
      file('a.tsv', 'type', (j) => `t${j % 4}`),
    );
    const [heading] = await call<AnnotationSetHeading[]>(services, 'annotations:sets', { datasetId });
    // The same fields in the same order as the file's record, its columns last (the answer's bytes as before).
    const { columns: _values, warnings: _warnings, ...provenance } = first;
    expect(Object.keys(heading)).toEqual([...Object.keys(provenance), 'columns']);
    expect(heading.columns[0].levelCount).toBe(4);

    // Kept: a mark put on the kept heading comes back, so the stored values were not read again.
    const kept = viewCaches(services.ctx).annotationHeadings;
    const [key] = kept.keys();
    kept.get(key)![0].levelCount = -1;
    const again = await call<AnnotationSetHeading[]>(services, 'annotations:sets', { datasetId });
    expect(again.map((h) => h.columns[0].levelCount)).toEqual([-1]);

    // A file imported since is counted; a deleted one is gone, and so is what was kept of it.
    await call(
      services,
      'annotations:import',
      file('b.tsv', 'batch', (j) => `b${j % 3}`),
    );
    const both = await call<AnnotationSetHeading[]>(services, 'annotations:sets', { datasetId });
    expect(both.map((h) => [h.sourceName, h.columns[0].name, h.columns[0].levelCount])).toEqual([
      ['a.tsv', 'type', -1],
      ['b.tsv', 'batch', 3],
    ]);
    await call(services, 'annotations:delete', { id: first.id });
    expect(kept.keys()).not.toContain(key);
    const left = await call<AnnotationSetHeading[]>(services, 'annotations:sets', { datasetId });
    expect(left.map((h) => h.sourceName)).toEqual(['b.tsv']);
  });

  it('refuse a dataset that does not exist', async () => {
    const services = start();
    await expect(call(services, 'annotations:sets', { datasetId: 999 })).rejects.toThrow(/not_found/);
  });
});
