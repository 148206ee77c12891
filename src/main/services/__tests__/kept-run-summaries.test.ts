import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../../shared/api';
import { H_VIEW_MAX_ENTRIES } from '../../../shared/analysis/run-views';
import type {
  CoefficientTracks,
  ProjectionView,
  RunClassesView,
  RunDetail,
  SweepDetail,
  SweepSummary,
} from '../../../shared/domain';
import type { Services } from '..';
import { purgeDeletedRuns } from '../../db/queries/runs';
import { getProjectionView } from '../projections';
import { getRunView } from '../run-view';
import {
  call,
  closeAll,
  finishedRun,
  reopened,
  servicesWithFolders,
  storedProjection,
  synthesizedDataset,
  rowCount,
} from './harness';

/**
 * What `runs:get` and `projections:get` make of a large H, stored in the library (migration 0180,
 * kept-views.ts): read back by the next process on the same library, equal to what was made, read
 * only under the key it was made under, not written by a process that opened the library read-only
 * nor when writing fails, gone with its projection and with its run once purged.
 */
const start = servicesWithFolders('nmf-kept-run-summaries-');

/** The SHA-256 of a value's frame (what the browser transport sends): equal hashes, the same bytes. */
function frameHash(value: unknown): string {
  return createHash('sha256').update(encodeFrame(value)).digest('hex');
}

function storedKey(db: Database.Database, table: 'run_h_summaries' | 'projection_h_summaries', id: number) {
  const owner = table === 'run_h_summaries' ? 'run_id' : 'projection_id';
  return (
    db.prepare(`SELECT summary_key AS key FROM ${table} WHERE ${owner} = ?`).get(id) as
      { key: string } | undefined
  )?.key;
}

/** Every stored H of runs and projections zeroed: a summary made from it now differs from one made before. */
function zeroEveryH(db: Database.Database): void {
  db.exec('UPDATE runs SET h = zeroblob(length(h)) WHERE h IS NOT NULL');
  db.exec('UPDATE projections SET h = zeroblob(length(h))');
}

/** A sample annotation file of one column `kind` (k0…k4), imported. */
async function annotate(services: Services, datasetId: number): Promise<void> {
  const { colNames } = await call<{ colNames: string[] }>(services, 'datasets:get', { id: datasetId });
  const text = 'sample\tkind\n' + colNames.map((name, j) => `${name}\tk${j % 5}`).join('\n');
  await call(services, 'annotations:import', {
    datasetId,
    axis: 'samples',
    file: { fileName: 'kind.tsv', bytes: new TextEncoder().encode(text) },
  });
}

/** A summarised run (10⁵ samples at k = 3) of an annotated dataset, and a summarised projection. */
async function largeRunAndProjection(
  services: Services,
): Promise<{ run: RunDetail; projection: ProjectionView }> {
  const datasetId = await synthesizedDataset(services, 8, 100_000, { features: 5, rank: 3 });
  await annotate(services, datasetId);
  const run = await finishedRun(services, datasetId, { rank: 3, maxIter: 2, seed: 1 });
  expect(run.hSummary).toBeDefined();
  const projection = await storedProjection(services, { features: 6, rank: 3 }, 100_000);
  expect(projection.hSummary).toBeDefined();
  return { run, projection };
}

describe('run and projection summaries kept in the library', () => {
  it('are read by the next process on the library: the same answers, to the byte, without H', async () => {
    const { services, dir } = start();
    const opened: Services[] = [];
    try {
      const { run, projection } = await largeRunAndProjection(services);
      const runView = await call<RunDetail>(services, 'runs:get', { id: run.id });
      const tracks = await call<CoefficientTracks>(services, 'runs:coefficientTracks', { id: run.id });
      const classes = await call<RunClassesView>(services, 'runs:classes', { id: run.id });
      const projectionView = await call<ProjectionView>(services, 'projections:get', { id: projection.id });
      const { db } = services.ctx;
      // The projection's training run (40 samples) is sent whole: nothing stored of it.
      expect(rowCount(db, 'run_h_summaries')).toBe(1);
      expect(rowCount(db, 'projection_h_summaries')).toBe(1);
      await services.close();

      // A new process with every H zeroed (and the class answer gone, as after an annotation file
      // deleted and imported again): what it answers can only have been read from the library.
      const next = reopened(dir, opened);
      zeroEveryH(next.ctx.db);
      next.ctx.db.exec('DELETE FROM run_class_answers');
      const readRun = await call<RunDetail>(next, 'runs:get', { id: run.id });
      expect(readRun).toEqual(runView);
      expect(frameHash(readRun)).toBe(frameHash(runView));
      const readTracks = await call<CoefficientTracks>(next, 'runs:coefficientTracks', { id: run.id });
      expect(frameHash(readTracks)).toBe(frameHash(tracks));
      const readProjection = await call<ProjectionView>(next, 'projections:get', { id: projection.id });
      expect(readProjection).toEqual(projectionView);
      expect(frameHash(readProjection)).toBe(frameHash(projectionView));
      await next.close();
      opened.splice(0);

      // runs:classes first in a process: made from the stored dominant-component labels, not from H.
      const third = reopened(dir, opened);
      const readClasses = await call<RunClassesView>(third, 'runs:classes', { id: run.id });
      expect(frameHash(readClasses)).toBe(frameHash(classes));
    } finally {
      await closeAll(opened);
    }
  }, 180_000);

  it("are read only under the key they were made under: a resumed sweep's run is summarised again", async () => {
    const { services, dir } = start();
    const opened: Services[] = [];
    try {
      // A sweep's run summarised under a lower threshold (4 500 samples at k = 2, over 4000 shown one by one).
      const maxEntries = 1000;
      const datasetId = await synthesizedDataset(services, 9, 4500, { features: 4, rank: 2 });
      const started = await call<SweepSummary>(services, 'sweeps:start', {
        datasetId,
        params: { fromRank: 2, toRank: 2, replicates: 2, cvFolds: 0, baseline: false, fit: { maxIter: 10 } },
      });
      let sweep: SweepDetail;
      do {
        await new Promise((resolve) => setTimeout(resolve, 50));
        sweep = await call<SweepDetail>(services, 'sweeps:get', { id: started.id });
      } while (sweep.state === 'running' || sweep.state === 'queued');
      expect(sweep.state).toBe('done');
      const runId = sweep.ranks[0].runId!;
      const made = getRunView(services.ctx, runId, maxEntries);
      expect(made.hSummary).toBeDefined();
      const madeKey = storedKey(services.ctx.db, 'run_h_summaries', runId);
      expect(madeKey).toBeDefined();
      await services.close();

      // The next process: read back while the key holds, H zeroed.
      const next = reopened(dir, opened);
      const { db } = next.ctx;
      zeroEveryH(db);
      expect(frameHash(getRunView(next.ctx, runId, maxEntries))).toBe(frameHash(made));
      await next.close();
      opened.splice(0);

      // The sweep ended again (resumed): the stored summaries are not read, they are made from H
      // as it is now and replace the row.
      const third = reopened(dir, opened);
      third.ctx.db
        .prepare('UPDATE sweeps SET finished_at = ? WHERE id = ?')
        .run(new Date(Date.parse(sweep.finishedAt!) + 1000).toISOString(), sweep.id);
      const remade = getRunView(third.ctx, runId, maxEntries);
      expect(remade.hSummary!.range).toEqual({ min: 0, max: 0 });
      expect(remade.hSummary).not.toEqual(made.hSummary);
      expect(rowCount(third.ctx.db, 'run_h_summaries')).toBe(1);
      expect(storedKey(third.ctx.db, 'run_h_summaries', runId)).not.toBe(madeKey);
    } finally {
      await closeAll(opened);
    }
  }, 120_000);

  it("a projection's summary is read only under its key, and goes with the projection; a run's, once purged", async () => {
    const { services, dir } = start();
    const opened: Services[] = [];
    try {
      const { run, projection } = await largeRunAndProjection(services);
      const madeKey = storedKey(services.ctx.db, 'projection_h_summaries', projection.id);
      await services.close();

      const next = reopened(dir, opened);
      const { db } = next.ctx;
      zeroEveryH(db);
      // Under another threshold the key differs: made again from H as it is now, stored in its place.
      const remade = getProjectionView(next.ctx, projection.id, H_VIEW_MAX_ENTRIES - 1);
      expect(remade.hSummary!.range).toEqual({ min: 0, max: 0 });
      expect(storedKey(db, 'projection_h_summaries', projection.id)).not.toBe(madeKey);

      await call(next, 'projections:delete', { id: projection.id });
      expect(rowCount(db, 'projection_h_summaries')).toBe(0);
      // A run deleted for undo keeps its row (the same run may come back); purged, it goes.
      await call(next, 'runs:delete', { id: run.id });
      expect(rowCount(db, 'run_h_summaries')).toBe(1);
      purgeDeletedRuns(db, new Date(Date.now() + 60_000).toISOString());
      expect(rowCount(db, 'run_h_summaries')).toBe(0);
    } finally {
      await closeAll(opened);
    }
  }, 180_000);

  it('are not written by a process that opened the library read-only, nor when writing fails', async () => {
    const { services, dir } = start();
    const opened: Services[] = [];
    try {
      // Writing refused by the library (as a full disk or a busy library would): the answers are
      // given all the same, and nothing is stored.
      const { db } = services.ctx;
      for (const table of ['run_h_summaries', 'projection_h_summaries'])
        db.exec(
          `CREATE TEMP TRIGGER refuse_${table} BEFORE INSERT ON ${table} BEGIN SELECT RAISE(ABORT, 'disk full'); END`,
        );
      const { run, projection } = await largeRunAndProjection(services);
      const runView = await call<RunDetail>(services, 'runs:get', { id: run.id });
      const projectionView = await call<ProjectionView>(services, 'projections:get', { id: projection.id });
      expect(rowCount(db, 'run_h_summaries')).toBe(0);
      expect(rowCount(db, 'projection_h_summaries')).toBe(0);
      await services.close();

      const readOnly = reopened(dir, opened, true);
      expect(await call<RunDetail>(readOnly, 'runs:get', { id: run.id })).toEqual(runView);
      expect(await call<ProjectionView>(readOnly, 'projections:get', { id: projection.id })).toEqual(
        projectionView,
      );
      await closeAll(opened);
      const file = new Database(join(dir, 'library.sqlite'), { readonly: true });
      try {
        expect(rowCount(file, 'run_h_summaries')).toBe(0);
        expect(rowCount(file, 'projection_h_summaries')).toBe(0);
      } finally {
        file.close();
      }
    } finally {
      await closeAll(opened);
    }
  }, 180_000);
});
