import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../../shared/api';
import {
  classAgreement,
  consensusMap,
  type CategoricalAnnotation,
  type SweepJobResult,
} from '../../../shared/analysis';
import { squareFigureCells } from '../../../shared/analysis/downsample';
import type {
  ConsensusMapView,
  DatasetAnnotations,
  RunClassesView,
  SweepClassesView,
  SweepDetail,
  SweepSummary,
} from '../../../shared/domain';
import type { Services } from '..';
import { labelsFromBlob } from '../../db/blobs';
import { getSweepDetail } from '../sweeps';
import { forgetSweepViews } from '../view-cache';
import { call, servicesInTempFolders, synthesizedDataset } from './harness';

/**
 * A sweep's sample labels stored as BLOBs beside their JSON (migration 0160): the consensus map,
 * `sweeps:classes` and `runs:classes` read them and answer what the labels themselves give, and a
 * sweep stored before (no BLOBs) is answered the same from its JSON.
 */
const start = servicesInTempFolders('nmf-label-blobs-');

const n = 2300;
const ranks = [2, 3];

async function finishedSweep(services: Services, datasetId: number): Promise<SweepDetail> {
  const sweep = await call<SweepSummary>(services, 'sweeps:start', {
    datasetId,
    params: {
      fromRank: 2,
      toRank: 3,
      replicates: 2,
      consensusReplicates: 3,
      cvFolds: 0,
      baseline: false,
      fit: { maxIter: 30 },
    },
  });
  for (;;) {
    const current = await call<SweepDetail>(services, 'sweeps:get', { id: sweep.id });
    if (current.state === 'done') return current;
    if (current.state !== 'running' && current.state !== 'queued') throw new Error(`sweep ${current.state}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Every stored job result of the sweep, decoded whole from its frame. */
function storedResults(services: Services, sweepId: number): Array<{ key: string; result: SweepJobResult }> {
  const rows = services.ctx.db
    .prepare('SELECT job_key, result FROM sweep_jobs WHERE sweep_id = ? ORDER BY job_key')
    .all(sweepId) as Array<{ job_key: string; result: Buffer }>;
  return rows.map(({ job_key, result }) => ({
    key: job_key,
    result: decodeFrame(
      new Uint8Array(result.buffer, result.byteOffset, result.byteLength),
    ) as SweepJobResult,
  }));
}

/**
 * The map's numbers made from the fits' labels themselves (every frame decoded whole, every
 * sample's labels given to `consensusMap`): the rank's consensus fits in index order.
 */
function mapFromLabels(services: Services, sweepId: number, rank: number) {
  const fits = storedResults(services, sweepId)
    .map((r) => r.result)
    .filter((r) => !r.baseline && r.rank === rank && r.kind === 'consensus' && r.sampleLabels)
    .sort((a, b) => a.index - b.index)
    .map((r) => r.sampleLabels!);
  expect(fits).toHaveLength(3);
  expect(fits[0]).toHaveLength(n);
  const map = consensusMap(fits, rank);
  const cells = squareFigureCells(map.matrix, map.order.length);
  return {
    replicates: fits.length,
    order: map.order,
    leaves: map.leaves,
    clusters: map.clusters,
    merges: map.tree.merges,
    matrix: cells.values,
    matrixCells: cells.cells,
    subsample: map.subsample,
  };
}

/**
 * Forgets what the process and the library keep of the sweep's views (view-cache.ts, migration
 * 0170), so that the next calls make them again from the stored labels.
 */
function forgetKeptViews(services: Services, sweepId: number): void {
  forgetSweepViews(services.ctx, sweepId);
  for (const table of ['sweep_consensus_maps', 'sweep_class_answers'])
    services.ctx.db.prepare(`DELETE FROM ${table} WHERE sweep_id = ?`).run(sweepId);
}

/** What the three calls answer for the sweep and its runs. */
async function answers(services: Services, sweep: SweepDetail) {
  const maps: ConsensusMapView[] = [];
  for (const rank of ranks)
    maps.push(await call<ConsensusMapView>(services, 'sweeps:consensus', { id: sweep.id, rank }));
  const classes = await call<SweepClassesView>(services, 'sweeps:classes', { id: sweep.id });
  const runClasses: RunClassesView[] = [];
  for (const r of sweep.ranks)
    runClasses.push(await call<RunClassesView>(services, 'runs:classes', { id: r.runId }));
  return { maps, classes, runClasses };
}

describe('sample labels stored as BLOBs', () => {
  it('give the consensus map, sweeps:classes and runs:classes the labels give, as a sweep stored before does from its JSON', async () => {
    const services = start();
    const datasetId = await synthesizedDataset(services, 4, n, { features: 20, rank: 3 });
    const { colNames } = await call<{ colNames: string[] }>(services, 'datasets:get', { id: datasetId });
    const text =
      'sample\ttype\tbatch\n' + colNames.map((name, j) => `${name}\tt${j % 3}\tb${(j * 7) % 4}`).join('\n');
    await call(services, 'annotations:import', {
      datasetId,
      axis: 'samples',
      file: { fileName: 'cells.tsv', bytes: new TextEncoder().encode(text) },
    });
    const sweep = await finishedSweep(services, datasetId);
    const db = services.ctx.db;

    // Each fit's BLOB holds its frame's labels, one byte each; each rank's its stored clusters.
    const blobs = new Map(
      (
        db
          .prepare('SELECT job_key, sample_labels FROM sweep_jobs WHERE sweep_id = ?')
          .all(sweep.id) as Array<{
          job_key: string;
          sample_labels: Buffer | null;
        }>
      ).map((r) => [r.job_key, r.sample_labels]),
    );
    const results = storedResults(services, sweep.id);
    expect(results).toHaveLength(ranks.length * 5);
    for (const { key, result } of results) {
      expect(result.sampleLabels).toHaveLength(n);
      const blob = blobs.get(key)!;
      expect(blob.byteLength).toBe(4 + n);
      expect(Array.from(labelsFromBlob(blob))).toEqual(result.sampleLabels);
    }
    const stored = getSweepDetail(services.ctx, sweep.id);
    const clusterRows = db
      .prepare('SELECT rank, clusters FROM sweep_rank_clusters WHERE sweep_id = ? ORDER BY rank')
      .all(sweep.id) as Array<{ rank: number; clusters: Buffer }>;
    expect(clusterRows.map((r) => r.rank)).toEqual(ranks);
    for (const [i, row] of clusterRows.entries())
      expect(Array.from(labelsFromBlob(row.clusters))).toEqual(stored.ranks[i].sampleClusters);

    // The answers, against what the labels and clusters themselves give.
    const annotations = await call<DatasetAnnotations>(services, 'annotations:list', { datasetId });
    const columns = annotations.samples as CategoricalAnnotation[];
    const fromBlobs = await answers(services, sweep);
    for (const [i, rank] of ranks.entries()) {
      const map = fromBlobs.maps[i];
      expect(map.subsample).toEqual({ shown: 2000, of: n });
      const { matrix, ...expected } = mapFromLabels(services, sweep.id, rank);
      expect({ ...map, matrix: Array.from(map.matrix) }).toMatchObject({
        ...expected,
        matrix: Array.from(matrix),
      });
    }
    expect(fromBlobs.classes).toEqual({
      sweepId: sweep.id,
      columns: ['type', 'batch'],
      ranks: stored.ranks.map((r) => ({
        rank: r.rank,
        source: 'consensus',
        agreements: columns.map((c) => classAgreement(r.sampleClusters, c, r.rank)),
      })),
    });
    expect(fromBlobs.runClasses).toEqual(
      stored.ranks.map((r) => ({
        runId: r.runId,
        classes: {
          rank: r.rank,
          clusters: r.sampleClusters,
          source: 'consensus',
          agreements: columns.map((c) => classAgreement(r.sampleClusters, c, r.rank)),
        },
      })),
    );

    // A sweep stored partly before migration 0160 and resumed after: some fits with a BLOB, some without.
    db.prepare(
      "UPDATE sweep_jobs SET sample_labels = NULL WHERE sweep_id = ? AND job_key IN ('k2/consensus/1', 'k3/consensus/0', 'k3/consensus/2')",
    ).run(sweep.id);
    forgetKeptViews(services, sweep.id);
    expect((await answers(services, sweep)).maps).toEqual(fromBlobs.maps);

    // A sweep stored before migration 0160: its rows as that version left them, no BLOB.
    db.prepare('UPDATE sweep_jobs SET sample_labels = NULL WHERE sweep_id = ?').run(sweep.id);
    db.prepare('DELETE FROM sweep_rank_clusters WHERE sweep_id = ?').run(sweep.id);
    forgetKeptViews(services, sweep.id);
    expect(await answers(services, sweep)).toEqual(fromBlobs);
  });
});
