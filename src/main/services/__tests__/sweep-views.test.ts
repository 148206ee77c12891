import { describe, expect, it } from 'vitest';
import { classAgreement, type AnnotationColumn, type CategoricalAnnotation } from '../../../shared/analysis';
import type {
  ConsensusMapView,
  DatasetAnnotations,
  SweepClassesView,
  SweepDetail,
  SweepSummary,
} from '../../../shared/domain';
import type { Services } from '..';
import { getSweepDetail } from '../sweeps';
import { viewCaches } from '../view-cache';
import { call, servicesInTempFolders, synthesizedDataset } from './harness';

/**
 * What the Sweep screen's calls send at many samples: `sweeps:get` and `sweeps:classes` without
 * any per-sample array, `sweeps:consensus` with the annotation tracks of its shown samples only;
 * and, on small data, the same numbers the screen drew before.
 */
const start = servicesInTempFolders('nmf-sweep-views-');

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Paths of the arrays (plain or typed) of at least `length` entries anywhere in `value`. */
function longArrays(value: unknown, length: number, path = ''): string[] {
  if (ArrayBuffer.isView(value))
    return (value as unknown as ArrayLike<number>).length >= length ? [path] : [];
  if (Array.isArray(value))
    return [
      ...(value.length >= length ? [path] : []),
      ...value.flatMap((v, i) => longArrays(v, length, `${path}[${i}]`)),
    ];
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([key, v]) => longArrays(v, length, path ? `${path}.${key}` : key));
  return [];
}

/** Starts a sweep (no baseline, no folds) and waits for it to finish. */
async function finishedSweep(
  services: Services,
  datasetId: number,
  params: { fromRank: number; toRank: number; replicates: number; maxIter: number },
): Promise<SweepDetail> {
  const { maxIter, ...ranks } = params;
  const sweep = await call<SweepSummary>(services, 'sweeps:start', {
    datasetId,
    params: { ...ranks, cvFolds: 0, baseline: false, fit: { maxIter } },
  });
  for (;;) {
    const current = await call<SweepDetail>(services, 'sweeps:get', { id: sweep.id });
    if (current.state === 'done') return current;
    if (current.state !== 'running' && current.state !== 'queued') throw new Error(`sweep ${current.state}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A sample annotation file of `table`'s columns (a header, then one line per sample name). */
async function annotate(
  services: Services,
  datasetId: number,
  fileName: string,
  header: string,
  line: (name: string, j: number) => string,
): Promise<number> {
  const { colNames } = await call<{ colNames: string[] }>(services, 'datasets:get', { id: datasetId });
  const text = `sample\t${header}\n` + colNames.map((name, j) => `${name}\t${line(name, j)}`).join('\n');
  const set = await call<{ id: number }>(services, 'annotations:import', {
    datasetId,
    axis: 'samples',
    file: { fileName, bytes: bytes(text) },
  });
  return set.id;
}

/** The columns' values at the shown samples, in their order, as the screen drew the tracks from them. */
function shownColumns(columns: readonly AnnotationColumn[], order: readonly number[]): AnnotationColumn[] {
  return columns.map((c) =>
    c.kind === 'categorical'
      ? { name: c.name, kind: c.kind, levels: c.levels, values: order.map((j) => c.values[j]) }
      : { name: c.name, kind: c.kind, values: order.map((j) => c.values[j]) },
  );
}

describe("a sweep's views", () => {
  it('send the criteria without the clusters, the agreements as computed from them, the map with its tracks', async () => {
    const services = start();
    const datasetId = await synthesizedDataset(services, 5, 24, { features: 60, rank: 3 });
    await annotate(
      services,
      datasetId,
      'groups.tsv',
      'group\tdepth',
      (_, j) => `${j < 12 ? 'a' : 'b'}\t${j}`,
    );
    const sweep = await finishedSweep(services, datasetId, {
      fromRank: 2,
      toRank: 3,
      replicates: 4,
      maxIter: 200,
    });

    // sweeps:get: the stored record but each rank's sample clusters.
    const stored = getSweepDetail(services.ctx, sweep.id);
    expect(stored.ranks.every((r) => r.sampleClusters.length === 24)).toBe(true);
    for (const rank of sweep.ranks) expect(Object.keys(rank)).not.toContain('sampleClusters');
    expect(sweep).toEqual({
      ...stored,
      ranks: stored.ranks.map(({ sampleClusters: _clusters, ...rank }) => rank),
    });

    // sweeps:classes: per rank the agreements of the stored clusters with the class column, no clusters.
    const annotations = await call<DatasetAnnotations>(services, 'annotations:list', { datasetId });
    const group = annotations.samples.find((c) => c.name === 'group') as CategoricalAnnotation;
    const classes = await call<SweepClassesView>(services, 'sweeps:classes', { id: sweep.id });
    expect(classes).toEqual({
      sweepId: sweep.id,
      columns: ['group'],
      ranks: stored.ranks.map((r) => ({
        rank: r.rank,
        source: 'consensus',
        agreements: [classAgreement(r.sampleClusters, group, r.rank)],
      })),
    });

    // sweeps:consensus: every sample shown (24 < 2000), with every annotation column in the map's order.
    const map = await call<ConsensusMapView>(services, 'sweeps:consensus', { id: sweep.id, rank: 3 });
    expect(map.subsample).toBeNull();
    expect(map.order).toHaveLength(24);
    expect([map.matrixCells, map.matrix.length]).toEqual([24, 24 * 24]);
    expect(map.sampleTracks).toEqual(shownColumns(annotations.samples, map.order));
    expect(map.sampleTracks.map((c) => c.name)).toEqual(['group', 'depth']);
  }, 150_000);

  it('keep the agreements of a finished sweep until its sample annotations change', async () => {
    const services = start();
    const datasetId = await synthesizedDataset(services, 5, 24, { features: 60, rank: 3 });
    const first = await annotate(services, datasetId, 'groups.tsv', 'group', (_, j) => (j < 12 ? 'a' : 'b'));
    const sweep = await finishedSweep(services, datasetId, {
      fromRank: 2,
      toRank: 3,
      replicates: 2,
      maxIter: 50,
    });
    // A copy: the answer given is the object kept.
    const made = structuredClone(await call<SweepClassesView>(services, 'sweeps:classes', { id: sweep.id }));
    const [key] = viewCaches(services.ctx).sweepClasses.keys();
    expect(key).toMatch(new RegExp(`^${sweep.id}\\|`));
    // Answered from what was kept: a mark put there comes back.
    viewCaches(services.ctx).sweepClasses.get(key)!.ranks[0].agreements[0].ari = 42;
    const again = await call<SweepClassesView>(services, 'sweeps:classes', { id: sweep.id });
    expect(again.ranks[0].agreements[0].ari).toBe(42);
    again.ranks[0].agreements[0].ari = made.ranks[0].agreements[0].ari;

    // Another file: made again, with its column.
    const second = await annotate(services, datasetId, 'cycle.tsv', 'phase', (_, j) => `p${j % 3}`);
    const both = await call<SweepClassesView>(services, 'sweeps:classes', { id: sweep.id });
    expect(both.columns).toEqual(['group', 'phase']);
    expect(both.ranks[0].agreements[0].ari).toBe(made.ranks[0].agreements[0].ari);
    // Deleting it goes back to the files the first answer was made from.
    await call(services, 'annotations:delete', { id: second });
    const one = await call<SweepClassesView>(services, 'sweeps:classes', { id: sweep.id });
    expect(one).toEqual(made);
    await call(services, 'annotations:delete', { id: first });
    expect((await call<SweepClassesView>(services, 'sweeps:classes', { id: sweep.id })).columns).toEqual([]);

    await call(services, 'sweeps:delete', { id: sweep.id });
    expect(viewCaches(services.ctx).sweepClasses.keys()).toEqual([]);
  }, 150_000);

  it('send no per-sample array above the map’s subsample, and the shown samples’ tracks', async () => {
    const services = start();
    const n = 2500;
    const datasetId = await synthesizedDataset(services, 7, n, { features: 5, rank: 2 });
    await annotate(services, datasetId, 'cells.tsv', 'type\tscore', (_, j) => `t${j % 4}\t${(j * 7) % 13}`);
    const sweep = await finishedSweep(services, datasetId, {
      fromRank: 2,
      toRank: 2,
      replicates: 2,
      maxIter: 5,
    });
    expect(longArrays(sweep, n)).toEqual([]);
    const classes = await call<SweepClassesView>(services, 'sweeps:classes', { id: sweep.id });
    expect(classes.ranks.map((r) => r.agreements[0].samples)).toEqual([n]);
    expect(longArrays(classes, n)).toEqual([]);

    const map = await call<ConsensusMapView>(services, 'sweeps:consensus', { id: sweep.id, rank: 2 });
    expect(map.subsample).toEqual({ shown: 2000, of: n });
    // The figure's 240 × 240 cells, not the 2000 × 2000 matrix, and nothing else as long as the samples.
    expect([map.matrixCells, map.matrix.length]).toEqual([240, 240 * 240]);
    expect(longArrays(map, n)).toEqual(['matrix']);
    expect(longArrays(map, 240 * 240 + 1)).toEqual([]);
    const annotations = await call<DatasetAnnotations>(services, 'annotations:list', { datasetId });
    expect(map.sampleTracks).toEqual(shownColumns(annotations.samples, map.order));
    expect(map.sampleTracks.map((c) => c.values.length)).toEqual([2000, 2000]);
  }, 150_000);
});
