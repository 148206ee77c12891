import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../../shared/api';
import type {
  ConsensusMapView,
  RunClassesView,
  SweepClassesView,
  SweepDetail,
  SweepSummary,
} from '../../../shared/domain';
import type { Services } from '..';
import {
  call,
  closeAll,
  finishedRun,
  reopened,
  rowCount,
  servicesWithFolders,
  synthesizedDataset,
} from './harness';

/**
 * What `sweeps:consensus`, `sweeps:classes` and `runs:classes` made, stored in the library
 * (migration 0170, kept-views.ts): read back by the next process on the same library, equal to
 * what was made, read only under the key it was made under, not written by a process that opened
 * the library read-only, gone with its sweep.
 */
const start = servicesWithFolders('nmf-kept-views-');

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Waits for sweep `id` to end, and gives its state. */
async function ended(services: Services, id: number): Promise<SweepDetail> {
  for (;;) {
    const current = await call<SweepDetail>(services, 'sweeps:get', { id });
    if (current.state !== 'running' && current.state !== 'queued') return current;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A finished sweep of `datasetId` (no folds, no baseline). */
async function finishedSweep(
  services: Services,
  datasetId: number,
  params: { fromRank: number; toRank: number; replicates: number; consensusReplicates?: number },
): Promise<SweepDetail> {
  const sweep = await call<SweepSummary>(services, 'sweeps:start', {
    datasetId,
    params: { ...params, cvFolds: 0, baseline: false, fit: { maxIter: 10 } },
  });
  const done = await ended(services, sweep.id);
  expect(done.state).toBe('done');
  return done;
}

/** A finished sweep of rank 2 (3 replicates) of 9 × 300 counts whose samples have a `type` column. */
async function typedSweep(services: Services): Promise<SweepDetail> {
  const datasetId = await synthesizedDataset(services, 9, 300, { features: 5, rank: 2 });
  await annotate(services, datasetId, 'type', (j) => `t${j % 3}`);
  return finishedSweep(services, datasetId, { fromRank: 2, toRank: 2, replicates: 3 });
}

/** A sample annotation file of one column, imported: its id. */
async function annotate(
  services: Services,
  datasetId: number,
  column: string,
  value: (j: number) => string,
): Promise<number> {
  const { colNames } = await call<{ colNames: string[] }>(services, 'datasets:get', { id: datasetId });
  const text = `sample\t${column}\n` + colNames.map((name, j) => `${name}\t${value(j)}`).join('\n');
  const file = await call<{ id: number }>(services, 'annotations:import', {
    datasetId,
    axis: 'samples',
    file: { fileName: `${column}.tsv`, bytes: bytes(text) },
  });
  return file.id;
}

/**
 * Every sample annotation file's stored values replaced in place, keeping the file's id, time and
 * hash (which the product never does: a file is imported or deleted whole). An answer made from the
 * annotations now differs from one made before; an answer read from the library does not.
 */
function rewriteAnnotationValuesInPlace(db: Database.Database): void {
  const rows = db.prepare("SELECT id, columns FROM annotations WHERE axis = 'samples'").all() as Array<{
    id: number;
    columns: string;
  }>;
  for (const row of rows) {
    const columns = JSON.parse(row.columns) as Array<{ values: unknown[] }>;
    for (const column of columns) column.values.reverse();
    db.prepare('UPDATE annotations SET columns = ? WHERE id = ?').run(JSON.stringify(columns), row.id);
  }
}

describe('views kept in the library', () => {
  it('are read by the next process on the library: the same maps and class answers, to the byte, made from nothing else', async () => {
    const { services, dir } = start();
    const opened: Services[] = [];
    try {
      const n = 2300;
      const datasetId = await synthesizedDataset(services, 4, n, { features: 20, rank: 3 });
      await annotate(services, datasetId, 'type', (j) => `t${j % 3}`);
      const sweep = await finishedSweep(services, datasetId, {
        fromRank: 2,
        toRank: 3,
        replicates: 2,
        consensusReplicates: 3,
      });
      // A run summarised by runs:get (10⁵ samples at k = 3): its runs:classes is kept.
      const largeId = await synthesizedDataset(services, 8, 100_000, { features: 5, rank: 3 });
      await annotate(services, largeId, 'kind', (j) => `k${j % 5}`);
      const run = await finishedRun(services, largeId, { rank: 3, maxIter: 2, seed: 1 });

      const maps: ConsensusMapView[] = [];
      for (const rank of [2, 3])
        maps.push(await call<ConsensusMapView>(services, 'sweeps:consensus', { id: sweep.id, rank }));
      expect(maps[0].subsample).toEqual({ shown: 2000, of: n });
      const classes = await call<SweepClassesView>(services, 'sweeps:classes', { id: sweep.id });
      const runClasses = await call<RunClassesView>(services, 'runs:classes', { id: run.id });
      expect(runClasses.classes!.clusters).toBeNull();
      const { db } = services.ctx;
      expect(rowCount(db, 'sweep_consensus_maps')).toBe(2);
      expect(rowCount(db, 'sweep_class_answers')).toBe(1);
      expect(rowCount(db, 'run_class_answers')).toBe(1);
      await services.close();

      // A new process: the fits, the clusters and H gone, the annotation values changed in place —
      // what it answers can only have been read from the library.
      const next = reopened(dir, opened);
      const nextDb = next.ctx.db;
      nextDb.prepare('DELETE FROM sweep_jobs WHERE sweep_id = ?').run(sweep.id);
      nextDb.prepare('DELETE FROM sweep_rank_clusters WHERE sweep_id = ?').run(sweep.id);
      nextDb.prepare('UPDATE runs SET h = zeroblob(length(h)) WHERE id = ?').run(run.id);
      rewriteAnnotationValuesInPlace(nextDb);
      for (const [i, rank] of [2, 3].entries()) {
        const read = await call<ConsensusMapView>(next, 'sweeps:consensus', { id: sweep.id, rank });
        expect(read).toEqual(maps[i]);
        expect(encodeFrame(read)).toEqual(encodeFrame(maps[i]));
      }
      const readClasses = await call<SweepClassesView>(next, 'sweeps:classes', { id: sweep.id });
      expect(readClasses).toEqual(classes);
      expect(encodeFrame(readClasses)).toEqual(encodeFrame(classes));
      const readRunClasses = await call<RunClassesView>(next, 'runs:classes', { id: run.id });
      expect(readRunClasses).toEqual(runClasses);
      expect(encodeFrame(readRunClasses)).toEqual(encodeFrame(runClasses));

      // A file imported: the map is still the stored one (its fits are gone), its tracks are read
      // again over its order and stored with the new version, read so by the process after.
      await annotate(next, datasetId, 'phase', (j) => `p${j % 5}`);
      const withPhase = await call<ConsensusMapView>(next, 'sweeps:consensus', { id: sweep.id, rank: 3 });
      expect({ ...withPhase, sampleTracks: [] }).toEqual({ ...maps[1], sampleTracks: [] });
      expect(withPhase.sampleTracks.map((c) => c.name)).toEqual(['type', 'phase']);
      // The class answers stored under the previous version are not read: made again, with the file.
      expect((await call<SweepClassesView>(next, 'sweeps:classes', { id: sweep.id })).columns).toEqual([
        'type',
        'phase',
      ]);
      await annotate(next, largeId, 'phase', (j) => `p${j % 5}`);
      expect(
        (await call<RunClassesView>(next, 'runs:classes', { id: run.id })).classes!.agreements,
      ).toHaveLength(2);
      await next.close();
      opened.splice(0);
      const third = reopened(dir, opened);
      rewriteAnnotationValuesInPlace(third.ctx.db);
      expect(await call<ConsensusMapView>(third, 'sweeps:consensus', { id: sweep.id, rank: 3 })).toEqual(
        withPhase,
      );
    } finally {
      await closeAll(opened);
    }
  }, 180_000);

  it("are read only under the key they were made under: a resumed sweep's map is made again", async () => {
    const { services, dir } = start();
    const opened: Services[] = [];
    try {
      const sweep = await typedSweep(services);
      const full = await call<ConsensusMapView>(services, 'sweeps:consensus', { id: sweep.id, rank: 2 });
      expect(full.replicates).toBe(3);
      // The sweep as if cancelled before its last replicate: a map of two fits, stored in place of
      // the first.
      const { db } = services.ctx;
      db.prepare("DELETE FROM sweep_jobs WHERE sweep_id = ? AND job_key = 'k2/replicate/2'").run(sweep.id);
      db.prepare(
        "UPDATE sweeps SET state = 'cancelled', finished_at = ?, jobs_done = jobs_done - 1 WHERE id = ?",
      ).run(new Date(Date.parse(sweep.finishedAt!) + 1000).toISOString(), sweep.id);
      const partial = await call<ConsensusMapView>(services, 'sweeps:consensus', { id: sweep.id, rank: 2 });
      expect(partial.replicates).toBe(2);
      const partialKey = (
        db.prepare('SELECT map_key FROM sweep_consensus_maps WHERE sweep_id = ?').get(sweep.id) as {
          map_key: string;
        }
      ).map_key;
      await services.close();

      // Resumed in the next process, it fits the missing replicate and ends again: the stored map of
      // two fits is not read, a map of three is made and stored under the new key.
      const next = reopened(dir, opened);
      await call(next, 'sweeps:resume', { id: sweep.id });
      expect((await ended(next, sweep.id)).state).toBe('done');
      const resumed = await call<ConsensusMapView>(next, 'sweeps:consensus', { id: sweep.id, rank: 2 });
      expect(resumed.replicates).toBe(3);
      const stored = next.ctx.db
        .prepare('SELECT map_key FROM sweep_consensus_maps WHERE sweep_id = ?')
        .all(sweep.id) as Array<{ map_key: string }>;
      expect(stored).toHaveLength(1);
      expect(stored[0].map_key).not.toBe(partialKey);

      // Deleting the sweep deletes what was stored of it.
      await call(next, 'sweeps:classes', { id: sweep.id });
      expect(rowCount(next.ctx.db, 'sweep_class_answers')).toBe(1);
      await call(next, 'sweeps:delete', { id: sweep.id });
      expect(rowCount(next.ctx.db, 'sweep_consensus_maps')).toBe(0);
      expect(rowCount(next.ctx.db, 'sweep_class_answers')).toBe(0);
    } finally {
      await closeAll(opened);
    }
  }, 120_000);

  it('are not written by a process that opened the library read-only, nor when writing fails', async () => {
    const { services, dir } = start();
    const opened: Services[] = [];
    try {
      const sweep = await typedSweep(services);
      // Writing refused by the library (as a full disk or a busy library would): the answers are
      // given all the same, and nothing is stored.
      const { db } = services.ctx;
      for (const table of ['sweep_consensus_maps', 'sweep_class_answers'])
        db.exec(
          `CREATE TEMP TRIGGER refuse_${table} BEFORE INSERT ON ${table} BEGIN SELECT RAISE(ABORT, 'disk full'); END`,
        );
      const made = await call<ConsensusMapView>(services, 'sweeps:consensus', { id: sweep.id, rank: 2 });
      const classes = await call<SweepClassesView>(services, 'sweeps:classes', { id: sweep.id });
      expect(rowCount(db, 'sweep_consensus_maps')).toBe(0);
      expect(rowCount(db, 'sweep_class_answers')).toBe(0);
      await services.close();

      const readOnly = reopened(dir, opened, true);
      expect(await call<ConsensusMapView>(readOnly, 'sweeps:consensus', { id: sweep.id, rank: 2 })).toEqual(
        made,
      );
      expect(await call<SweepClassesView>(readOnly, 'sweeps:classes', { id: sweep.id })).toEqual(classes);
      await closeAll(opened);
      const file = new Database(join(dir, 'library.sqlite'), { readonly: true });
      try {
        expect(rowCount(file, 'sweep_consensus_maps')).toBe(0);
        expect(rowCount(file, 'sweep_class_answers')).toBe(0);
      } finally {
        file.close();
      }
    } finally {
      await closeAll(opened);
    }
  }, 120_000);
});
