import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { encodeFrame, type ApiError, type LibraryMergeResult } from '../../../shared/api';
import type { ConsensusMapView, LibraryStats, RunSummary, SweepDetail } from '../../../shared/domain';
import type { Services } from '..';
import { dispatch } from '../dispatch';
import { call, exportedLibrary, servicesWithFolders } from './harness';

const startInFolder = servicesWithFolders('nmf-library-transfer-', { ownTempDir: true });

/** Services on a fresh library, with their own temporary folder so leftovers can be seen. */
function start(): { services: Services; tempDir: string; dir: string } {
  const started = startInFolder();
  return { ...started, tempDir: started.tempDir! };
}

async function refusal(services: Services, channel: string, payload: unknown): Promise<ApiError> {
  const result = await dispatch(services.handlers, channel, payload);
  if (result.ok) throw new Error(`${channel} was expected to fail`);
  return result.error;
}

async function until<T>(probe: () => Promise<T | null>, what: string): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() - started > 60_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const stats = (services: Services): Promise<LibraryStats> => call(services, 'library:stats', {});

/** A library with two datasets, a finished run and a finished sweep. */
async function populated(services: Services): Promise<void> {
  const { dataset } = await call<{ dataset: { id: number } }>(services, 'datasets:synthesize', {
    features: 40,
    samples: 24,
    rank: 3,
    seed: 11,
  });
  await call(services, 'datasets:synthesize', { features: 30, samples: 20, rank: 2, seed: 12 });
  const run = await call<RunSummary>(services, 'runs:start', {
    datasetId: dataset.id,
    params: { rank: 3, maxIter: 200 },
  });
  const sweep = await call<{ id: number }>(services, 'sweeps:start', {
    datasetId: dataset.id,
    params: { fromRank: 2, toRank: 3, replicates: 2, cvFolds: 2, fit: { maxIter: 100 } },
  });
  await until(async () => {
    const r = await call<RunSummary>(services, 'runs:get', { id: run.id });
    return r.state === 'done' ? r : null;
  }, 'the run');
  await until(async () => {
    const s = await call<SweepDetail>(services, 'sweeps:get', { id: sweep.id });
    return s.state === 'done' ? s : null;
  }, 'the sweep');
}

describe('library export and merge through the services', () => {
  it('exports the library as bytes and merges them into another library, matching datasets by hash on a second merge', async () => {
    const source = start();
    await populated(source.services);
    const before = await stats(source.services);
    expect(before).toEqual(expect.objectContaining({ datasets: 2, runs: 1, sweeps: 1 }));

    const file = await exportedLibrary(source.services);
    expect(file.fileName).toMatch(/^nmf-studio-library-\d{4}-\d{2}-\d{2}\.sqlite$/);
    expect(file.bytes).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(file.bytes.subarray(0, 16)).toString('latin1')).toBe('SQLite format 3\0');
    // The temporary copy is gone.
    expect(readdirSync(source.services.ctx.app.tempDir)).toEqual([]);

    const target = start();
    await call(target.services, 'datasets:synthesize', { features: 25, samples: 15, rank: 2, seed: 99 });
    const changed: string[] = [];
    target.services.ctx.events.subscribe((event, payload) => {
      if (event === 'library:changed') changed.push((payload as { what: string }).what);
    });

    const merged = await call<LibraryMergeResult>(target.services, 'library:merge', {
      file: { fileName: file.fileName, bytes: file.bytes },
    });
    // The sweep's saved best fits (one per rank) come along with the standalone run.
    const sweepRuns = (
      source.services.ctx.db.prepare('SELECT COUNT(*) AS n FROM runs WHERE sweep_id IS NOT NULL').get() as {
        n: number;
      }
    ).n;
    expect(merged).toEqual({
      datasetsAdded: 2,
      datasetsExisting: 0,
      runsAdded: 1 + sweepRuns,
      sweepsAdded: 1,
      projectionsAdded: 0,
      consensusAdded: 0,
    });
    expect(changed).toEqual(expect.arrayContaining(['datasets', 'runs', 'sweeps']));
    expect(readdirSync(target.services.ctx.app.tempDir)).toEqual([]);

    const after = await stats(target.services);
    expect(after).toEqual(expect.objectContaining({ datasets: 3, runs: 1, sweeps: 1 }));
    const names = (await call<Array<{ name: string }>>(target.services, 'datasets:list', {})).map(
      (d) => d.name,
    );
    const sourceNames = (await call<Array<{ name: string }>>(source.services, 'datasets:list', {})).map(
      (d) => d.name,
    );
    expect(names).toEqual(expect.arrayContaining(sourceNames));
    // The merged run reads back whole, with its factors, on the new dataset id.
    const [run] = await call<RunSummary[]>(target.services, 'runs:list', {});
    const detail = await call<{ state: string; W: Float64Array; datasetName: string }>(
      target.services,
      'runs:get',
      { id: run.id },
    );
    expect(detail.state).toBe('done');
    expect(detail.W.length).toBe(40 * 3);
    const [sweep] = await call<Array<{ id: number }>>(target.services, 'sweeps:list', {});
    const sweepDetail = await call<SweepDetail>(target.services, 'sweeps:get', { id: sweep.id });
    for (const rank of sweepDetail.ranks) {
      const fit = await call<{ sweepId: number }>(target.services, 'runs:get', { id: rank.runId });
      expect(fit.sweepId).toBe(sweep.id);
    }

    // Merging the same file again adds no dataset twice: both are matched by their content hash.
    const again = await call<LibraryMergeResult>(target.services, 'library:merge', {
      file: { fileName: file.fileName, bytes: file.bytes },
    });
    expect(again.datasetsAdded).toBe(0);
    expect(again.datasetsExisting).toBe(2);
    expect((await stats(target.services)).datasets).toBe(3);
  });

  it('adds nothing on a second merge of the same library: sweeps, their jobs and their runs are matched', async () => {
    const source = start();
    await populated(source.services);
    const file = await exportedLibrary(source.services);
    const target = start();
    const merge = (): Promise<LibraryMergeResult> =>
      call<LibraryMergeResult>(target.services, 'library:merge', {
        file: { fileName: file.fileName, bytes: file.bytes },
      });
    const count = (sql: string): number => (target.services.ctx.db.prepare(sql).get() as { n: number }).n;
    const first = await merge();
    expect(first.sweepsAdded).toBe(1);
    const sweepJobs = count('SELECT COUNT(*) AS n FROM sweep_jobs');
    const runs = count('SELECT COUNT(*) AS n FROM runs');
    expect(sweepJobs).toBeGreaterThan(0);
    // The sample label BLOBs beside the stored JSON (migration 0160) come with the sweep, byte for byte.
    const labelBlobs = (db: typeof source.services.ctx.db): unknown[] =>
      db
        .prepare(
          `SELECT job_key AS key, sample_labels AS blob FROM sweep_jobs WHERE sample_labels IS NOT NULL
           UNION ALL SELECT rank, clusters FROM sweep_rank_clusters ORDER BY key`,
        )
        .all();
    expect(labelBlobs(source.services.ctx.db).length).toBeGreaterThan(0);
    expect(labelBlobs(target.services.ctx.db)).toEqual(labelBlobs(source.services.ctx.db));

    const second = await merge();
    expect(second).toEqual({
      datasetsAdded: 0,
      datasetsExisting: 2,
      runsAdded: 0,
      sweepsAdded: 0,
      projectionsAdded: 0,
      consensusAdded: 0,
    });
    expect(count('SELECT COUNT(*) AS n FROM sweeps')).toBe(1);
    expect(count('SELECT COUNT(*) AS n FROM sweep_jobs')).toBe(sweepJobs);
    expect(count('SELECT COUNT(*) AS n FROM runs')).toBe(runs);
    // The sweep's summary still names its own runs.
    const [sweep] = await call<Array<{ id: number }>>(target.services, 'sweeps:list', {});
    const detail = await call<SweepDetail>(target.services, 'sweeps:get', { id: sweep.id });
    for (const rank of detail.ranks) {
      const fit = await call<{ sweepId: number }>(target.services, 'runs:get', { id: rank.runId });
      expect(fit.sweepId).toBe(sweep.id);
    }
  });

  it("copies no stored view: a merged sweep's map is made under its new id, the library's own stay its own", async () => {
    const source = start();
    await populated(source.services);
    const [sourceSweep] = await call<Array<{ id: number }>>(source.services, 'sweeps:list', {});
    const sourceMap = await call<ConsensusMapView>(source.services, 'sweeps:consensus', {
      id: sourceSweep.id,
      rank: 2,
    });
    await call(source.services, 'sweeps:classes', { id: sourceSweep.id });
    // Summaries of H stored for every run and for a projection (migration 0180; rows as a large
    // run's and projection's would be: the merge does not read their content).
    const sourceDb = source.services.ctx.db;
    const [sourceRun] = sourceDb
      .prepare('SELECT id, dataset_id FROM runs WHERE sweep_id IS NULL')
      .all() as Array<{
      id: number;
      dataset_id: number;
    }>;
    const sourceProjection = await call<{ id: number }>(source.services, 'projections:start', {
      runId: sourceRun.id,
      datasetId: sourceRun.dataset_id,
    });
    const summaryFrame = (id: number): Buffer =>
      Buffer.from(encodeFrame({ id, map: new Float32Array([id]) }));
    const storeSummaries = (db: typeof sourceDb, runIds: number[], projectionIds: number[]): void => {
      for (const id of runIds)
        db.prepare('INSERT INTO run_h_summaries (run_id, summary_key, summary) VALUES (?, ?, ?)').run(
          id,
          `${id}|run`,
          summaryFrame(id),
        );
      for (const id of projectionIds)
        db.prepare(
          'INSERT INTO projection_h_summaries (projection_id, summary_key, summary) VALUES (?, ?, ?)',
        ).run(id, `${id}|projection`, summaryFrame(id));
    };
    const sourceRunIds = (sourceDb.prepare('SELECT id FROM runs').all() as Array<{ id: number }>).map(
      (r) => r.id,
    );
    storeSummaries(sourceDb, sourceRunIds, [sourceProjection.id]);
    const storedViews = (db: typeof source.services.ctx.db): unknown[] =>
      db
        .prepare(
          `SELECT 'map' AS kind, sweep_id AS id, rank, map_key AS key, map AS value FROM sweep_consensus_maps
           UNION ALL SELECT 'classes', sweep_id, NULL, answer_key, answer FROM sweep_class_answers
           UNION ALL SELECT 'run', run_id, NULL, summary_key, summary FROM run_h_summaries
           UNION ALL SELECT 'projection', projection_id, NULL, summary_key, summary FROM projection_h_summaries
           ORDER BY 1, 2, 3`,
        )
        .all();
    expect(storedViews(sourceDb)).toHaveLength(2 + sourceRunIds.length + 1);
    const file = await exportedLibrary(source.services);

    // The library merged into holds a sweep of its own (the same id as the source's), its map stored.
    const target = start();
    const { dataset } = await call<{ dataset: { id: number } }>(target.services, 'datasets:synthesize', {
      features: 25,
      samples: 30,
      rank: 2,
      seed: 99,
    });
    const own = await call<{ id: number }>(target.services, 'sweeps:start', {
      datasetId: dataset.id,
      params: { fromRank: 2, toRank: 2, replicates: 2, cvFolds: 0, baseline: false, fit: { maxIter: 20 } },
    });
    expect(own.id).toBe(sourceSweep.id);
    await until(async () => {
      const s = await call<SweepDetail>(target.services, 'sweeps:get', { id: own.id });
      return s.state === 'done' ? s : null;
    }, 'the sweep');
    const ownMap = await call<ConsensusMapView>(target.services, 'sweeps:consensus', { id: own.id, rank: 2 });
    // The library's own run stored summaries too, under an id a source run has.
    const [ownRun] = target.services.ctx.db.prepare('SELECT id FROM runs').all() as Array<{ id: number }>;
    expect(sourceRunIds).toContain(ownRun.id);
    storeSummaries(target.services.ctx.db, [ownRun.id], []);
    const before = storedViews(target.services.ctx.db);
    expect(before).toHaveLength(2);

    const merged = await call<LibraryMergeResult>(target.services, 'library:merge', {
      file: { fileName: file.fileName, bytes: file.bytes },
    });
    expect(merged.sweepsAdded).toBe(1);
    expect(storedViews(target.services.ctx.db)).toEqual(before);
    const mergedId = own.id + 1;
    expect(
      await call<ConsensusMapView>(target.services, 'sweeps:consensus', { id: mergedId, rank: 2 }),
    ).toEqual({
      ...sourceMap,
      sweepId: mergedId,
    });
    expect(
      await call<ConsensusMapView>(target.services, 'sweeps:consensus', { id: own.id, rank: 2 }),
    ).toEqual(ownMap);
  });

  it('refuses files that are not an NMF Studio library, naming them, and leaves the library as it was', async () => {
    const { services, dir } = start();
    await call(services, 'datasets:synthesize', { features: 20, samples: 10, rank: 2, seed: 5 });
    const before = await stats(services);
    const counts = (): unknown =>
      ['datasets', 'dataset_chunks', 'runs', 'sweeps', 'sweep_jobs'].map(
        (table) => (services.ctx.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n,
      );
    const countsBefore = counts();

    // Not SQLite at all.
    const text = await refusal(services, 'library:merge', {
      file: { fileName: 'notes.sqlite', bytes: new TextEncoder().encode('gene\tsample\n'.repeat(400)) },
    });
    expect(text.code).toBe('bad_input');
    expect(text.message).toBe('notes.sqlite is not an NMF Studio library (not an SQLite database)');
    expect(text.location?.file).toBe('notes.sqlite');

    // An empty file (SQLite would take it for an empty database).
    const empty = await refusal(services, 'library:merge', {
      file: { fileName: 'empty.db', bytes: new Uint8Array(0) },
    });
    expect(empty.message).toBe('empty.db is not an NMF Studio library (the file is empty)');

    // SQLite, but some other program's database.
    const otherPath = join(dir, 'other.db');
    const other = new Database(otherPath);
    other.exec(
      "CREATE TABLE datasets (id INTEGER PRIMARY KEY, title TEXT); INSERT INTO datasets VALUES (1, 'x')",
    );
    other.close();
    const foreign = await refusal(services, 'library:merge', {
      file: { fileName: 'other.db', bytes: readFileSync(otherPath) },
    });
    expect(foreign.message).toMatch(/^other\.db is not an NMF Studio library/);

    // Our schema version on someone else's tables.
    const taggedPath = join(dir, 'tagged.db');
    const tagged = new Database(taggedPath);
    tagged.exec('CREATE TABLE datasets (id INTEGER PRIMARY KEY, title TEXT)');
    tagged.pragma(`user_version = ${services.ctx.db.pragma('user_version', { simple: true }) as number}`);
    tagged.close();
    const mismatched = await refusal(services, 'library:merge', {
      file: { fileName: 'tagged.db', bytes: readFileSync(taggedPath) },
    });
    expect(mismatched.message).toBe(
      `tagged.db is not an NMF Studio library (its schema version ${services.ctx.db.pragma('user_version', { simple: true }) as number} is not one NMF Studio ever wrote without its application id)`,
    );

    // A library written by a newer NMF Studio.
    const exported = await exportedLibrary(services);
    const newerPath = join(dir, 'newer.sqlite');
    writeFileSync(newerPath, exported.bytes);
    const newer = new Database(newerPath);
    newer.pragma('user_version = 9990');
    newer.close();
    const future = await refusal(services, 'library:merge', {
      file: { fileName: 'from-the-future.sqlite', bytes: readFileSync(newerPath) },
    });
    expect(future.code).toBe('bad_input');
    expect(future.message).toMatch(/^from-the-future\.sqlite was written by a newer NMF Studio/);
    expect(future.message).not.toContain(dir);

    expect(await stats(services)).toEqual(
      expect.objectContaining({ datasets: before.datasets, runs: before.runs, sweeps: before.sweeps }),
    );
    expect(counts()).toEqual(countsBefore);
    expect(services.ctx.db.prepare('PRAGMA database_list').all()).toHaveLength(1);
  });
});
