import { describe, expect, it, vi } from 'vitest';
import * as views from '../../../shared/analysis/run-views';
import { classAgreement, sampleLabels, type CategoricalAnnotation } from '../../../shared/analysis';
import type { DatasetAnnotations, RunClassesView } from '../../../shared/domain';
import { dense } from '../../../shared/linalg/matrix';
import type { Services } from '..';
import { getProjectionView } from '../projections';
import { getCoefficientTracks, getRunView } from '../run-view';
import { getRunDetail } from '../runs';
import {
  KEPT_CONSENSUS_MAPS,
  RecentValues,
  consensusMapKey,
  idPrefix,
  viewCaches,
  type KeptConsensusMap,
} from '../view-cache';
import { call, finishedRun, servicesInTempFolders, storedProjection, synthesizedDataset } from './harness';

// Every summary of H (a run's and a projection's) makes the H map with blockMaxima: counting its
// calls counts the summaries made.
vi.mock('../../../shared/analysis/run-views', async (original) => {
  const actual = await original<typeof views>();
  return { ...actual, blockMaxima: vi.fn(actual.blockMaxima) };
});
const blockMaxima = vi.mocked(views.blockMaxima);
const { blockEdges, coefficientMapBins, dominantComponents } = views;

const start = servicesInTempFolders('nmf-view-cache-');

/** Summarised above this many entries of H (the runs here have k·n = 10 000 and n > 4000). */
const MAX_ENTRIES = 1000;

/** A finished run of rank 2 (2 iterations, seed 1): its id. */
async function doneRun(services: Services, datasetId: number): Promise<number> {
  return (await finishedRun(services, datasetId, { rank: 2, maxIter: 2, seed: 1 })).id;
}

describe('summaries of H kept between calls', () => {
  it("makes a run's summaries once, answers the same record again, and forgets them when it is deleted", async () => {
    const services = start();
    const id = await doneRun(services, await synthesizedDataset(services, 3, 5000, { features: 5, rank: 2 }));
    blockMaxima.mockClear();
    const first = getRunView(services.ctx, id, MAX_ENTRIES);
    expect(first.hSummary).toBeDefined();
    // Two orders, one map each.
    expect(blockMaxima).toHaveBeenCalledTimes(2);
    const second = getRunView(services.ctx, id, MAX_ENTRIES);
    expect(blockMaxima).toHaveBeenCalledTimes(2);
    expect(second).toEqual(first);
    expect(viewCaches(services.ctx).runs.keys()).toHaveLength(1);

    // A change of name is in the next record; the kept summaries stay valid (H did not change).
    await call(services, 'runs:update', { id, name: 'renamed' });
    const renamed = getRunView(services.ctx, id, MAX_ENTRIES);
    expect(renamed.name).toBe('renamed');
    expect(renamed.hSummary).toEqual(first.hSummary);
    expect(blockMaxima).toHaveBeenCalledTimes(2);

    await call(services, 'runs:delete', { id });
    expect(viewCaches(services.ctx).runs.keys()).toEqual([]);
    await call(services, 'runs:restore', { id });
    // The same run back: its summaries are read from the library (migration 0180), not made again.
    expect(getRunView(services.ctx, id, MAX_ENTRIES).hSummary).toEqual(first.hSummary);
    expect(blockMaxima).toHaveBeenCalledTimes(2);
    // Not stored either: made again.
    await call(services, 'runs:delete', { id });
    await call(services, 'runs:restore', { id });
    services.ctx.db.prepare('DELETE FROM run_h_summaries').run();
    expect(getRunView(services.ctx, id, MAX_ENTRIES).hSummary).toEqual(first.hSummary);
    expect(blockMaxima).toHaveBeenCalledTimes(4);
  }, 60_000);

  it("makes a projection's summary once and forgets it when the projection is deleted", async () => {
    const services = start();
    const { id } = await storedProjection(services, { features: 5, rank: 2 }, 5000);
    blockMaxima.mockClear();
    const first = getProjectionView(services.ctx, id, MAX_ENTRIES);
    expect(first.hSummary).toBeDefined();
    expect(blockMaxima).toHaveBeenCalledTimes(1);
    expect(getProjectionView(services.ctx, id, MAX_ENTRIES)).toEqual(first);
    expect(blockMaxima).toHaveBeenCalledTimes(1);
    expect(viewCaches(services.ctx).projections.keys()).toHaveLength(1);
    await call(services, 'projections:delete', { id });
    expect(viewCaches(services.ctx).projections.keys()).toEqual([]);
  }, 60_000);

  it('does not keep the summaries of a small run (the record carries H)', async () => {
    const services = start();
    const id = await doneRun(services, await synthesizedDataset(services, 3, 50, { features: 5, rank: 2 }));
    blockMaxima.mockClear();
    expect(getRunView(services.ctx, id, MAX_ENTRIES).H).not.toBeNull();
    expect(viewCaches(services.ctx).runs.keys()).toEqual([]);
    expect(blockMaxima).not.toHaveBeenCalled();
  }, 60_000);
});

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('a large run’s coefficient map tracks', () => {
  it('come binned from the kept sample orders: categories of first samples, numbers as block means', async () => {
    const services = start();
    const datasetId = await synthesizedDataset(services, 3, 5000, { features: 5, rank: 2 });
    const id = await doneRun(services, datasetId);
    const detail = await call<{ colNames: string[]; rowNames: string[] }>(services, 'datasets:get', {
      id: datasetId,
    });
    const depth = (j: number): number | null => (j % 7 === 0 ? null : (j * 37) % 101);
    const table =
      'sample\tgroup\tdepth\n' +
      detail.colNames.map((name, j) => `${name}\t${j % 3 === 0 ? 'a' : 'b'}\t${depth(j) ?? ''}`).join('\n');
    await call(services, 'annotations:import', {
      datasetId,
      axis: 'samples',
      file: { fileName: 'cells.tsv', bytes: bytes(table) },
    });
    await call(services, 'annotations:import', {
      datasetId,
      axis: 'features',
      file: {
        fileName: 'genes.tsv',
        bytes: bytes('gene\tsymbol\n' + detail.rowNames.map((g) => `${g}\tS${g}`).join('\n')),
      },
    });

    blockMaxima.mockClear();
    const view = getRunView(services.ctx, id, MAX_ENTRIES);
    const tracks = getCoefficientTracks(services.ctx, id, MAX_ENTRIES)!;
    // The summaries were made once, for runs:get; the tracks read the kept orders.
    expect(blockMaxima).toHaveBeenCalledTimes(2);
    expect(tracks.consensus).toBeNull();

    const run = getRunDetail(services.ctx, id);
    const clusters = dominantComponents(run.W!, run.H!, run.rows, 2, 5000);
    const { order, columns, firstSamples } = coefficientMapBins(run.H!, 2, 5000, clusters);
    expect(view.hSummary!.coefficients.dominant.columns).toBe(columns);
    const edges = blockEdges(0, 5000, columns);
    expect(tracks.dominant.map((t) => [t.name, t.kind])).toEqual([
      ['group', 'categorical'],
      ['depth (block mean)', 'numeric'],
    ]);
    expect(tracks.dominant[0].values).toEqual(Array.from(firstSamples, (j) => (j % 3 === 0 ? 'a' : 'b')));
    const means = Array.from({ length: columns }, (_, c) => {
      const present = Array.from(order.subarray(edges[c], edges[c + 1]), depth).filter(
        (v): v is number => v !== null,
      );
      return present.reduce((a, b) => a + b, 0) / present.length;
    });
    expect(tracks.dominant[1].values).toEqual(means);
    // Not the first samples' values.
    expect(tracks.dominant[1].values).not.toEqual(Array.from(firstSamples, depth));

    // The window of a large run asks for the features' annotations only.
    const features = await call<DatasetAnnotations>(services, 'annotations:list', {
      datasetId,
      axis: 'features',
    });
    expect(features.samples).toEqual([]);
    expect(features.sets.map((set) => set.axis)).toEqual(['features']);
    expect(features.features.map((c) => c.name)).toEqual(['symbol']);
    const both = await call<DatasetAnnotations>(services, 'annotations:list', { datasetId });
    expect(both.samples.map((c) => c.name)).toEqual(['group', 'depth']);
    expect(both.features).toEqual(features.features);
  }, 60_000);

  it('are null for a run sent with H (the window draws its tracks)', async () => {
    const services = start();
    const id = await doneRun(services, await synthesizedDataset(services, 3, 50, { features: 5, rank: 2 }));
    expect(getCoefficientTracks(services.ctx, id, MAX_ENTRIES)).toBeNull();
    expect(await call(services, 'runs:coefficientTracks', { id })).toBeNull();
  }, 60_000);
});

describe('runs:classes', () => {
  it('of a large run: the agreements of its dominant clusters, not the clusters; kept with the summaries', async () => {
    const services = start();
    const datasetId = await synthesizedDataset(services, 8, 100_000, { features: 5, rank: 3 });
    const run = await finishedRun(services, datasetId, { rank: 3, maxIter: 2, seed: 1 });
    viewCaches(services.ctx).runs.dropPrefix('');
    const detail = await call<{ colNames: string[] }>(services, 'datasets:get', { id: datasetId });
    const typeFile = await call<{ id: number }>(services, 'annotations:import', {
      datasetId: datasetId,
      axis: 'samples',
      file: {
        fileName: 'cells.tsv',
        bytes: bytes('sample\ttype\n' + detail.colNames.map((name, j) => `${name}\tt${j % 5}`).join('\n')),
      },
    });
    const fromH = await call<RunClassesView>(services, 'runs:classes', { id: run.id });
    // The window draws a summarised run's coefficient map from hSummary: no n clusters are sent.
    expect(fromH.classes!.clusters).toBeNull();
    const stored = getRunDetail(services.ctx, run.id);
    const column = (
      await call<DatasetAnnotations>(services, 'annotations:list', { datasetId, axis: 'samples' })
    ).samples[0] as CategoricalAnnotation;
    const labels = sampleLabels(dense(stored.rows, 3, stored.W!), dense(3, stored.cols, stored.H!));
    expect(fromH.classes!.agreements).toEqual([classAgreement(labels, column, 3)]);

    await call(services, 'runs:get', { id: run.id });
    const [key] = viewCaches(services.ctx).runs.keys();
    expect(await call<RunClassesView>(services, 'runs:classes', { id: run.id })).toEqual(fromH);
    const kept = viewCaches(services.ctx).runs.get(key)!;
    expect(kept.classes?.classes).toEqual(fromH.classes);
    // The answer is the kept one; made again from the kept clusters once the annotations change.
    kept.classLabels.fill(0);
    expect(await call<RunClassesView>(services, 'runs:classes', { id: run.id })).toEqual(fromH);
    await call(services, 'annotations:delete', { id: typeFile.id });
    expect((await call<RunClassesView>(services, 'runs:classes', { id: run.id })).classes).toBeNull();
    await call(services, 'annotations:import', {
      datasetId: datasetId,
      axis: 'samples',
      file: {
        fileName: 'cells.tsv',
        bytes: bytes('sample\ttype\n' + detail.colNames.map((name, j) => `${name}\tt${j % 5}`).join('\n')),
      },
    });
    const fromKept = await call<RunClassesView>(services, 'runs:classes', { id: run.id });
    expect(fromKept.classes!.agreements[0].counts.every((row) => row.slice(1).every((c) => c === 0))).toBe(
      true,
    );
  }, 120_000);

  it('of a run sent with H: its clusters and their agreements, as before', async () => {
    const services = start();
    const datasetId = await synthesizedDataset(services, 3, 50, { features: 5, rank: 2 });
    const id = await doneRun(services, datasetId);
    const detail = await call<{ colNames: string[] }>(services, 'datasets:get', { id: datasetId });
    await call(services, 'annotations:import', {
      datasetId,
      axis: 'samples',
      file: {
        fileName: 'cells.tsv',
        bytes: bytes('sample\ttype\n' + detail.colNames.map((name, j) => `${name}\tt${j % 3}`).join('\n')),
      },
    });
    const run = getRunDetail(services.ctx, id);
    const labels = sampleLabels(dense(run.rows, 2, run.W!), dense(2, run.cols, run.H!));
    const column = (await call<DatasetAnnotations>(services, 'annotations:list', { datasetId }))
      .samples[0] as CategoricalAnnotation;
    expect(await call<RunClassesView>(services, 'runs:classes', { id })).toEqual({
      runId: id,
      classes: {
        rank: 2,
        clusters: labels,
        source: 'dominant',
        agreements: [classAgreement(labels, column, 2)],
      },
    });
  }, 60_000);
});

describe('RecentValues', () => {
  it('keeps the most recently used values up to its capacity', () => {
    const kept = new RecentValues<number>(2);
    kept.set('1|a', 1);
    kept.set('2|a', 2);
    expect(kept.get('1|a')).toBe(1);
    kept.set('3|a', 3);
    // 2 was the least recently used.
    expect(kept.keys()).toEqual(['1|a', '3|a']);
    expect(kept.get('2|a')).toBeUndefined();
    kept.set('13|a', 13);
    kept.dropPrefix('1|');
    expect(kept.keys()).toEqual(['3|a', '13|a']);
    kept.delete('3|');
    kept.delete('3|a');
    expect(kept.keys()).toEqual(['13|a']);
  });
});

describe('the key of a kept consensus map', () => {
  const ended = {
    id: 7,
    state: 'done',
    createdAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:10:00.000Z',
    jobsDone: 12,
  };

  it('is none while the sweep is queued or running (its fits are still coming)', () => {
    expect(consensusMapKey({ ...ended, state: 'running', finishedAt: null }, 3)).toBeNull();
    expect(consensusMapKey({ ...ended, state: 'queued', finishedAt: null }, 3)).toBeNull();
    expect(consensusMapKey({ ...ended, state: 'cancelled' }, 3)).not.toBeNull();
  });

  it('names the sweep as it ended and the rank: another end, fit count, creation or rank is another key', () => {
    const key = consensusMapKey(ended, 3)!;
    expect(key.startsWith(idPrefix(7))).toBe(true);
    const others = [
      consensusMapKey(ended, 4),
      consensusMapKey({ ...ended, finishedAt: '2026-01-01T00:20:00.000Z' }, 3),
      consensusMapKey({ ...ended, jobsDone: 11 }, 3),
      consensusMapKey({ ...ended, createdAt: '2026-01-02T00:00:00.000Z' }, 3),
    ];
    expect(new Set([key, ...others]).size).toBe(5);
  });

  it('keeps at most KEPT_CONSENSUS_MAPS maps per library', () => {
    const services = start();
    const maps = viewCaches(services.ctx).consensusMaps;
    for (let rank = 2; rank < 2 + KEPT_CONSENSUS_MAPS + 3; rank++)
      maps.set(consensusMapKey(ended, rank)!, {} as KeptConsensusMap);
    expect(maps.keys()).toHaveLength(KEPT_CONSENSUS_MAPS);
    expect(maps.get(consensusMapKey(ended, 2)!)).toBeUndefined();
  });
});
