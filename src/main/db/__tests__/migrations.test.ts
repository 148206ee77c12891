import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openLibrary } from '../connection';
import { migrate, NewerDatabaseError, schemaVersion, type Migration } from '../migrate';
import { migrations } from '../migrations';

const latest = Math.max(...migrations.map((m) => m.version));
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nmf-db-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Applies the migrations up to `version` to `db` (a library at `path`, where it keeps its backup). */
function migrateTo(db: Database.Database, version: number, path = ':memory:'): void {
  migrate(
    db,
    migrations.filter((m) => m.version <= version),
    path,
  );
}

/** One small dense dataset (id 1 in a new library), for the tables that refer to datasets. */
function insertDataset(db: Database.Database): void {
  db.prepare(
    `INSERT INTO datasets (name, rows, cols, nnz, missing, layout, hash, format, source_name, transform, transposed,
      is_integer, min_value, max_value, size_bytes, row_names, col_names, created_at)
     VALUES ('d', 2, 2, 4, 0, 'dense', 'h', 'tsv', 'd.tsv', 'none', 0, 1, 0, 3, 32, '[]', '[]', 'now')`,
  ).run();
}

/** Applies the migrations up to and including `version` on a fresh in-memory database. */
function upTo(version: number): Database.Database {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrateTo(db, version);
  return db;
}

function tables(db: Database.Database): string[] {
  return (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{
      name: string;
    }>
  ).map((r) => r.name);
}

describe('migrations', () => {
  it('are numbered in multiples of 10, in increasing order, without duplicates', () => {
    // Numbers are reserved per change, so one may land before a lower one: gaps are allowed.
    const versions = migrations.map((m) => m.version);
    for (const [i, v] of versions.entries()) {
      expect(v % 10).toBe(0);
      if (i > 0) expect(v).toBeGreaterThan(versions[i - 1]);
    }
  });

  it('0010 creates datasets and their chunks, STRICT, with the layout check', () => {
    const db = upTo(10);
    expect(tables(db)).toEqual(['dataset_chunks', 'datasets']);
    expect(schemaVersion(db)).toBe(10);
    const insert = (layout: string): void => {
      db.prepare(
        `INSERT INTO datasets (name, rows, cols, nnz, missing, layout, hash, format, source_name, transform, transposed,
          is_integer, min_value, max_value, size_bytes, row_names, col_names, created_at)
         VALUES ('d', 2, 2, 4, 0, ?, ?, 'tsv', 'd.tsv', 'none', 0, 1, 0, 3, 32, '[]', '[]', 'now')`,
      ).run(layout, layout + 'hash');
    };
    insert('dense');
    expect(() => insert('coo')).toThrow(/CHECK constraint failed/);
    expect(() =>
      db.prepare("INSERT INTO dataset_chunks VALUES (1, 'values', 0, 'not a blob')").run(),
    ).toThrow(/cannot store TEXT value in BLOB column/);
  });

  it('0020 creates sweeps and their job results, cascading from datasets', () => {
    const db = upTo(20);
    expect(tables(db)).toEqual(['dataset_chunks', 'datasets', 'sweep_jobs', 'sweeps']);
    expect(() =>
      db
        .prepare(
          "INSERT INTO sweeps (dataset_id, state, params, jobs_total, created_at) VALUES (99, 'queued', '{}', 1, 'now')",
        )
        .run(),
    ).toThrow(/FOREIGN KEY constraint failed/);
  });

  it('0030 creates runs with states checked and foreign keys to datasets and sweeps', () => {
    const db = upTo(30);
    expect(tables(db)).toContain('runs');
    expect(schemaVersion(db)).toBe(30);
    const columns = (db.prepare('PRAGMA table_info(runs)').all() as Array<{ name: string }>).map(
      (c) => c.name,
    );
    expect(columns).toEqual(
      expect.arrayContaining(['w', 'h', 'trace', 'provenance', 'deleted_at', 'sweep_id', 'tags', 'notes']),
    );
    expect(() =>
      db
        .prepare("INSERT INTO runs (dataset_id, state, params, created_at) VALUES (1, 'queued', '{}', 'now')")
        .run(),
    ).toThrow(/FOREIGN KEY/);
  });

  it('0050 creates annotations (cascading with their dataset) and run and component names', () => {
    const db = upTo(50);
    expect(tables(db)).toContain('annotations');
    insertDataset(db);
    const insert = (axis: string): void => {
      db.prepare(
        `INSERT INTO annotations (dataset_id, axis, source_name, source_hash, key_column, columns, created_at)
         VALUES (1, ?, 'a.tsv', 'x', 'sample', '[]', 'now')`,
      ).run(axis);
    };
    insert('samples');
    expect(() => insert('cells')).toThrow(/CHECK constraint failed/);
    const runColumns = (
      db.prepare("SELECT name FROM pragma_table_info('runs')").all() as Array<{ name: string }>
    ).map((r) => r.name);
    expect(runColumns).toEqual(expect.arrayContaining(['name', 'component_names']));
    db.prepare('DELETE FROM datasets WHERE id = 1').run();
    expect((db.prepare('SELECT COUNT(*) AS n FROM annotations').get() as { n: number }).n).toBe(0);
  });

  it('0070 adds the cluster provenance of merged sweeps, empty for existing ones', () => {
    const db = upTo(30);
    insertDataset(db);
    db.prepare(
      "INSERT INTO sweeps (dataset_id, state, params, jobs_total, created_at) VALUES (1, 'done', '{}', 1, 'now')",
    ).run();
    migrateTo(db, 70);
    expect(schemaVersion(db)).toBe(70);
    expect(db.prepare('SELECT cluster FROM sweeps').get()).toEqual({ cluster: null });
    db.prepare('UPDATE sweeps SET cluster = \'{"planId":"x"}\'').run();
    expect(db.prepare('SELECT cluster FROM sweeps').get()).toEqual({ cluster: '{"planId":"x"}' });
  });

  it('0090 adds the cluster provenance of merged consensus runs, empty for existing ones', () => {
    const db = upTo(70);
    insertDataset(db);
    db.prepare(
      "INSERT INTO consensus (dataset_id, state, params, jobs_total, created_at) VALUES (1, 'done', '{}', 2, 'now')",
    ).run();
    migrateTo(db, 90);
    expect(schemaVersion(db)).toBe(90);
    expect(db.prepare('SELECT cluster FROM consensus').get()).toEqual({ cluster: null });
    db.prepare('UPDATE consensus SET cluster = \'{"planId":"x"}\'').run();
    expect(db.prepare('SELECT cluster FROM consensus').get()).toEqual({ cluster: '{"planId":"x"}' });
  });

  it('0140 records the fixed warm-up every stored sweep and its saved runs ran', () => {
    const db = upTo(90);
    insertDataset(db);
    const sweep = (params: object): void => {
      db.prepare(
        "INSERT INTO sweeps (dataset_id, state, params, jobs_total, created_at) VALUES (1, 'done', ?, 1, 'now')",
      ).run(JSON.stringify(params));
    };
    sweep({ fit: { warmup: 200, warmupTol: 0.001 } });
    sweep({ fit: { warmup: 200 } });
    const run = (sweepId: number | null): void => {
      db.prepare(
        "INSERT INTO runs (dataset_id, sweep_id, state, params, created_at) VALUES (1, ?, 'done', ?, 'now')",
      ).run(sweepId, JSON.stringify({ warmup: 200, warmupTol: 0.001 }));
    };
    run(1);
    run(null);
    migrateTo(db, 140);
    const params = (table: string): unknown[] =>
      (db.prepare(`SELECT params FROM ${table} ORDER BY id`).all() as Array<{ params: string }>).map((r) =>
        JSON.parse(r.params),
      );
    expect(params('sweeps')).toEqual([{ fit: { warmup: 200, warmupTol: 0 } }, { fit: { warmup: 200 } }]);
    // A run of its own did settle: only runs a sweep saved change.
    expect(params('runs')).toEqual([
      { warmup: 200, warmupTol: 0 },
      { warmup: 200, warmupTol: 0.001 },
    ]);
  });

  it('0160 adds sample label BLOBs beside the JSON: a job result stored before keeps its bytes and has none', () => {
    const db = upTo(150);
    insertDataset(db);
    db.prepare(
      "INSERT INTO sweeps (dataset_id, state, params, jobs_total, result, created_at) VALUES (1, 'done', '{}', 1, ?, 'now')",
    ).run('{"ranks":[{"rank":2,"sampleClusters":[0,1,1]}],"recommendation":null}');
    const result = Buffer.from('a stored frame, its JSON holding sampleLabels');
    db.prepare("INSERT INTO sweep_jobs (sweep_id, job_key, result) VALUES (1, 'k2/replicate/0', ?)").run(
      result,
    );
    migrateTo(db, 160);
    expect(db.prepare('SELECT result, sample_labels FROM sweep_jobs').get()).toEqual({
      result,
      sample_labels: null,
    });
    expect(tables(db)).toContain('sweep_rank_clusters');
    expect(db.prepare('SELECT count(*) AS n FROM sweep_rank_clusters').get()).toEqual({ n: 0 });
    db.prepare(
      "INSERT INTO sweep_rank_clusters (sweep_id, rank, clusters) VALUES (1, 2, x'01000000000101')",
    ).run();
    expect(() =>
      db
        .prepare("INSERT INTO sweep_rank_clusters (sweep_id, rank, clusters) VALUES (7, 2, x'01000000')")
        .run(),
    ).toThrow(/FOREIGN KEY constraint failed/);
    db.prepare('DELETE FROM sweeps').run();
    expect(db.prepare('SELECT count(*) AS n FROM sweep_rank_clusters').get()).toEqual({ n: 0 });
  });

  it('0170 adds the kept views of sweeps and runs, empty, gone with their sweep or run', () => {
    const db = upTo(160);
    insertDataset(db);
    db.prepare(
      "INSERT INTO sweeps (dataset_id, state, params, jobs_total, result, created_at) VALUES (1, 'done', '{}', 1, NULL, 'now')",
    ).run();
    db.prepare(
      "INSERT INTO runs (dataset_id, sweep_id, state, params, created_at) VALUES (1, 1, 'done', '{}', 'now')",
    ).run();
    migrateTo(db, 170);
    for (const table of ['sweep_consensus_maps', 'sweep_class_answers', 'run_class_answers']) {
      expect(tables(db)).toContain(table);
      expect(db.prepare(`SELECT count(*) AS n FROM ${table}`).get()).toEqual({ n: 0 });
    }
    const insertMap = db.prepare(
      'INSERT INTO sweep_consensus_maps (sweep_id, rank, map_key, map, tracks_version, tracks) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const frame = Buffer.from('NMF1');
    insertMap.run(1, 2, '1|now|then|4|2', frame, null, null);
    insertMap.run(1, 3, '1|now|then|4|3', frame, '1@now#h', frame);
    // Tracks come with the version they were read at, or not at all.
    expect(() => insertMap.run(1, 4, 'k', frame, '1@now#h', null)).toThrow(/CHECK constraint failed/);
    expect(() => insertMap.run(1, 5, 'k', frame, null, frame)).toThrow(/CHECK constraint failed/);
    expect(() => insertMap.run(7, 2, 'k', frame, null, null)).toThrow(/FOREIGN KEY constraint failed/);
    db.prepare("INSERT INTO sweep_class_answers (sweep_id, answer_key, answer) VALUES (1, 'k', ?)").run(
      frame,
    );
    db.prepare("INSERT INTO run_class_answers (run_id, answer_key, answer) VALUES (1, 'k', ?)").run(frame);
    expect(() =>
      db.prepare("INSERT INTO run_class_answers (run_id, answer_key, answer) VALUES (9, 'k', ?)").run(frame),
    ).toThrow(/FOREIGN KEY constraint failed/);
    // A run purged (deleted for good) takes its answer along; a sweep deleted, its maps and answer.
    db.prepare('DELETE FROM runs').run();
    expect(db.prepare('SELECT count(*) AS n FROM run_class_answers').get()).toEqual({ n: 0 });
    db.prepare('DELETE FROM sweeps').run();
    expect(db.prepare('SELECT count(*) AS n FROM sweep_consensus_maps').get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT count(*) AS n FROM sweep_class_answers').get()).toEqual({ n: 0 });
  });

  it('0180 adds the kept summaries of runs and projections, empty, gone with their run or projection', () => {
    const db = upTo(170);
    insertDataset(db);
    const insertRun = db.prepare(
      "INSERT INTO runs (dataset_id, state, params, created_at) VALUES (1, 'done', '{}', 'now')",
    );
    insertRun.run();
    insertRun.run();
    const insertProjection = db.prepare(
      `INSERT INTO projections (run_id, dataset_id, params, rank, matched, missing, dropped, iterations,
         converged, loss, h, provenance, created_at) VALUES (?, 1, '{}', 2, 3, '[]', '[]', 1, 1, 0, x'00', '{}', 'now')`,
    );
    insertProjection.run(1);
    insertProjection.run(2);
    migrateTo(db, 180);
    const counted = (table: string): unknown => db.prepare(`SELECT count(*) AS n FROM ${table}`).get();
    for (const table of ['run_h_summaries', 'projection_h_summaries']) {
      expect(tables(db)).toContain(table);
      expect(counted(table)).toEqual({ n: 0 });
    }
    const frame = Buffer.from('NMF1');
    const insertRunSummary = db.prepare(
      'INSERT INTO run_h_summaries (run_id, summary_key, summary) VALUES (?, ?, ?)',
    );
    const insertProjectionSummary = db.prepare(
      'INSERT INTO projection_h_summaries (projection_id, summary_key, summary) VALUES (?, ?, ?)',
    );
    for (const id of [1, 2]) {
      insertRunSummary.run(id, `${id}|now||262144`, frame);
      insertProjectionSummary.run(id, `${id}|now|262144`, frame);
    }
    expect(() => insertRunSummary.run(9, 'k', frame)).toThrow(/FOREIGN KEY constraint failed/);
    expect(() => insertProjectionSummary.run(9, 'k', frame)).toThrow(/FOREIGN KEY constraint failed/);
    // One row a run or projection.
    expect(() => insertRunSummary.run(1, 'k', frame)).toThrow(/UNIQUE constraint failed/);
    // A projection deleted takes its summary along; a run purged, its own and its projections'.
    db.prepare('DELETE FROM projections WHERE id = 2').run();
    expect(db.prepare('SELECT projection_id FROM projection_h_summaries').all()).toEqual([
      { projection_id: 1 },
    ]);
    db.prepare('DELETE FROM runs WHERE id = 1').run();
    expect(db.prepare('SELECT run_id FROM run_h_summaries').all()).toEqual([{ run_id: 2 }]);
    expect(counted('projection_h_summaries')).toEqual({ n: 0 });
  });

  it('run all pending migrations in one transaction: a failing one leaves the database as it was', () => {
    const db = new Database(':memory:');
    const broken: Migration[] = [
      ...migrations,
      {
        version: 1000,
        name: 'broken',
        up: (d) => d.exec('CREATE TABLE half (x INTEGER); SELECT * FROM no_such_table;'),
      },
    ];
    expect(() => migrate(db, broken, ':memory:')).toThrow(/no such table/);
    expect(schemaVersion(db)).toBe(0);
    expect(tables(db)).toEqual([]);
  });

  it('refuse a database written by a newer version, with a message that says so', () => {
    const dir = tempDir();
    const path = join(dir, 'library.sqlite');
    openLibrary(path).close();
    const db = new Database(path);
    db.pragma('user_version = 9990');
    db.close();
    expect(() => openLibrary(path)).toThrow(NewerDatabaseError);
    expect(() => openLibrary(path)).toThrow(
      new RegExp(
        `written by a newer NMF Studio \\(schema version 9990; this version understands up to ${latest}\\)`,
      ),
    );
  });

  it('back up an existing library before migrating it, and not a new one', () => {
    const dir = tempDir();
    const path = join(dir, 'library.sqlite');
    const old = new Database(path);
    migrateTo(old, 10, path);
    old.close();
    const db = openLibrary(path);
    expect(schemaVersion(db)).toBe(latest);
    db.close();
    expect(existsSync(`${path}.backup-v10`)).toBe(true);
    const fresh = join(dir, 'fresh.sqlite');
    openLibrary(fresh).close();
    expect(existsSync(`${fresh}.backup-v0`)).toBe(false);
  });

  it('open the library in WAL mode with foreign keys on', () => {
    const dir = tempDir();
    const db = openLibrary(join(dir, 'library.sqlite'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });
});
