import { describe, expect, it, vi } from 'vitest';
import { decodeFrame } from '../../../shared/api';
import {
  classAgreement,
  columnsAt,
  consensusMap,
  type AnnotationColumn,
  type CategoricalAnnotation,
  type SweepJobResult,
} from '../../../shared/analysis';
import { squareFigureCells } from '../../../shared/analysis/downsample';
import type {
  ConsensusMapView,
  DatasetAnnotations,
  SweepClassesView,
  SweepDetail,
  SweepSummary,
} from '../../../shared/domain';
import type { Services } from '..';
import { sweepJobResults } from '../../db/queries/sweeps';
import { getSweepDetail, getSweepView } from '../sweeps';
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

/** Polls `sweeps:get` until the sweep has ended; its record then. */
async function ended(services: Services, id: number): Promise<SweepDetail> {
  for (;;) {
    const current = await call<SweepDetail>(services, 'sweeps:get', { id });
    if (current.state !== 'running' && current.state !== 'queued') return current;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * `sweeps:consensus` as it was made before maps were kept (the code of that commit, verbatim but for
 * its parameters): every fit's stored result decoded whole, `consensusMap` on every sample's labels,
 * every sample name and annotation read.
 */
function consensusMapAsBefore(services: Services, sweepId: number, rank: number): ConsensusMapView {
  const ctx = services.ctx;
  const sweep = getSweepDetail(ctx, sweepId);
  const byKind: Record<'replicate' | 'consensus', number[][]> = { replicate: [], consensus: [] };
  for (const { job_key, result } of sweepJobResults(ctx.db, sweepId)) {
    if (!job_key.startsWith(`k${rank}/replicate/`) && !job_key.startsWith(`k${rank}/consensus/`)) continue;
    const decoded = decodeFrame(
      new Uint8Array(result.buffer, result.byteOffset, result.byteLength),
    ) as SweepJobResult;
    if (decoded.baseline || decoded.rank !== rank || !decoded.sampleLabels) continue;
    if (decoded.kind !== 'replicate' && decoded.kind !== 'consensus') continue;
    byKind[decoded.kind][decoded.index] = decoded.sampleLabels;
  }
  const independent = byKind.consensus.filter((l) => l !== undefined);
  const kept = independent.length >= 2 ? independent : byKind.replicate.filter((l) => l !== undefined);
  const map = consensusMap(kept, rank);
  const names = JSON.parse(
    (
      ctx.db.prepare('SELECT col_names FROM datasets WHERE id = ?').get(sweep.datasetId) as {
        col_names: string;
      }
    ).col_names,
  ) as string[];
  const metrics = sweep.ranks.find((r) => r.rank === rank);
  const cells = squareFigureCells(map.matrix, map.order.length);
  const annotations = ctx.db
    .prepare("SELECT columns FROM annotations WHERE dataset_id = ? AND axis = 'samples' ORDER BY id")
    .all(sweep.datasetId) as Array<{ columns: string }>;
  const byName = new Map<string, AnnotationColumn>();
  for (const row of annotations)
    for (const column of JSON.parse(row.columns) as AnnotationColumn[]) {
      byName.delete(column.name);
      byName.set(column.name, column);
    }
  return {
    sweepId,
    rank,
    replicates: kept.length,
    order: map.order,
    sampleNames: map.order.map((j) => names[j]),
    matrix: cells.values,
    matrixCells: cells.cells,
    merges: map.tree.merges,
    leaves: map.leaves,
    clusters: map.clusters,
    sampleTracks: columnsAt([...byName.values()], map.order),
    subsample: map.subsample,
    cophenetic: metrics?.cophenetic ?? (kept.length > 1 ? map.cophenetic : null),
    dispersion: metrics?.dispersion ?? (kept.length > 1 ? map.dispersion : null),
  };
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
    // Each sample has a cell of its own: the figure writes its name, which is sent.
    const { colNames } = await call<{ colNames: string[] }>(services, 'datasets:get', { id: datasetId });
    expect(map.sampleNames).toEqual(map.order.map((j) => colNames[j]));
    expect(map).toEqual(consensusMapAsBefore(services, sweep.id, 3));
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
    // No names of samples the figure averages into blocks (it writes none there); all else as before.
    expect(map.sampleNames).toEqual([]);
    expect({ ...map, sampleNames: [] }).toEqual({
      ...consensusMapAsBefore(services, sweep.id, 2),
      sampleNames: [],
    });

    // sweeps:get reads the stored result without its clusters: no text with them is parsed.
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const view = getSweepView(services.ctx, sweep.id);
      expect(view).toEqual(sweep);
      const parsed = parse.mock.calls.map(([text]) => String(text));
      expect(parsed.filter((text) => text.includes('sampleClusters'))).toEqual([]);
      expect(Math.max(...parsed.map((text) => text.length))).toBeLessThan(n);
    } finally {
      parse.mockRestore();
    }
  }, 150_000);

  it("keep an ended sweep's consensus map, its tracks until the annotations change, and remake it when the sweep resumes", async () => {
    const services = start();
    const n = 2300;
    const datasetId = await synthesizedDataset(services, 9, n, { features: 5, rank: 2 });
    await annotate(services, datasetId, 'cells.tsv', 'type', (_, j) => `t${j % 3}`);
    const sweep = await finishedSweep(services, datasetId, {
      fromRank: 2,
      toRank: 2,
      replicates: 3,
      maxIter: 5,
    });
    const first = await call<ConsensusMapView>(services, 'sweeps:consensus', { id: sweep.id, rank: 2 });
    expect(first.replicates).toBe(3);
    const maps = viewCaches(services.ctx).consensusMaps;
    const [key] = maps.keys();
    expect(key).toMatch(new RegExp(`^${sweep.id}\\|`));
    // A copy: the answer given shares the arrays kept.
    const made = structuredClone(first);
    // Answered from what was kept: a mark put there comes back.
    maps.get(key)!.map.cophenetic = 42;
    expect(
      (await call<ConsensusMapView>(services, 'sweeps:consensus', { id: sweep.id, rank: 2 })).cophenetic,
    ).toBe(42);
    maps.get(key)!.map.cophenetic = made.cophenetic;
    // The kept answer is the one made afresh (and the one made before maps were kept, names apart):
    // forgotten here and in the library (migration 0170), which the next call would read.
    maps.delete(key);
    services.ctx.db.prepare('DELETE FROM sweep_consensus_maps WHERE sweep_id = ?').run(sweep.id);
    expect(await call<ConsensusMapView>(services, 'sweeps:consensus', { id: sweep.id, rank: 2 })).toEqual(
      made,
    );
    expect(await call<ConsensusMapView>(services, 'sweeps:consensus', { id: sweep.id, rank: 2 })).toEqual(
      made,
    );
    expect({ ...made, sampleNames: [] }).toEqual({
      ...consensusMapAsBefore(services, sweep.id, 2),
      sampleNames: [],
    });

    // A file imported: the map stays kept (the mark comes back), its tracks are read again.
    maps.get(key)!.map.cophenetic = 42;
    const second = await annotate(services, datasetId, 'phase.tsv', 'phase', (_, j) => `p${j % 5}`);
    const withPhase = await call<ConsensusMapView>(services, 'sweeps:consensus', { id: sweep.id, rank: 2 });
    expect(withPhase.cophenetic).toBe(42);
    expect(withPhase.sampleTracks.map((c) => c.name)).toEqual(['type', 'phase']);
    const annotations = await call<DatasetAnnotations>(services, 'annotations:list', { datasetId });
    expect(withPhase.sampleTracks).toEqual(shownColumns(annotations.samples, made.order));
    await call(services, 'annotations:delete', { id: second });
    expect(
      (await call<ConsensusMapView>(services, 'sweeps:consensus', { id: sweep.id, rank: 2 })).sampleTracks,
    ).toEqual(made.sampleTracks);
    maps.get(key)!.map.cophenetic = made.cophenetic;

    // The sweep as if cancelled before its last replicate (it ends, with a fit fewer): a map of two
    // fits, kept apart from the first, which is marked.
    maps.get(key)!.map.cophenetic = 42;
    const { db } = services.ctx;
    db.prepare("DELETE FROM sweep_jobs WHERE sweep_id = ? AND job_key = 'k2/replicate/2'").run(sweep.id);
    db.prepare(
      "UPDATE sweeps SET state = 'cancelled', finished_at = ?, jobs_done = jobs_done - 1 WHERE id = ?",
    ).run(new Date(Date.parse(sweep.finishedAt!) + 1000).toISOString(), sweep.id);
    const partial = await call<ConsensusMapView>(services, 'sweeps:consensus', { id: sweep.id, rank: 2 });
    expect(partial.replicates).toBe(2);
    expect(maps.keys()).toHaveLength(2);
    // Resumed, it fits the missing replicate and ends again as many fits as first, at another time:
    // the map is made again, not the first one's (marked) answer.
    await call(services, 'sweeps:resume', { id: sweep.id });
    expect((await ended(services, sweep.id)).state).toBe('done');
    const resumed = await call<ConsensusMapView>(services, 'sweeps:consensus', { id: sweep.id, rank: 2 });
    expect(resumed.replicates).toBe(3);
    expect(resumed.cophenetic).not.toBe(42);
    expect({ ...resumed, sampleNames: [] }).toEqual({
      ...consensusMapAsBefore(services, sweep.id, 2),
      sampleNames: [],
    });

    await call(services, 'sweeps:delete', { id: sweep.id });
    expect(maps.keys()).toEqual([]);
  }, 150_000);
});
