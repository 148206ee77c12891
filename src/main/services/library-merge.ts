/**
 * The merge of another library file into this one: the file checked (an NMF Studio library of this
 * version or older, every dataset and run consistent with what it claims), then datasets,
 * annotations, sweeps, runs, projections and consensus records copied in one transaction, each
 * matched to what is already here so that merging the same library twice adds nothing.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ServiceError, type LibraryMergeResult } from '../../shared/api';
import type { DataMatrix } from '../../shared/linalg/matrix';
import {
  closeLibrary,
  ForeignDatabaseError,
  inspectLibraryFile,
  openLibrary,
  type Db,
} from '../db/connection';
import type { Classification } from '../db/identity';
import { NewerDatabaseError } from '../db/migrate';
import { migrations } from '../db/migrations';
import { getDatasetRow, readDatasetMatrix } from '../db/queries/datasets';
import type { ServiceContext } from './context';
import { contentHash } from './datasets';
import { RECORD_TABLES, incomingRecordProblem, mergeProjectionsAndConsensus } from './transfer-records';

/**
 * The tables a merge reads from the other library. Not the views stored by migrations 0170
 * (`sweep_consensus_maps`, `sweep_class_answers`, `run_class_answers`) and 0180
 * (`run_h_summaries`, `projection_h_summaries`): they are caches keyed by the other library's
 * sweep, run and projection ids and annotation file ids, which the merge changes, and they are made
 * again here on the first call (kept-views.ts), so none can be read for another sweep, run or
 * projection.
 */
const MERGED_TABLES = [
  'datasets',
  'dataset_chunks',
  'sweeps',
  'sweep_jobs',
  'sweep_rank_clusters',
  'runs',
  'annotations',
  ...RECORD_TABLES,
] as const;

function columnsOf(db: Db, schema: 'main' | 'incoming', table: string): string[] {
  const rows = db.prepare('SELECT name FROM pragma_table_info(?, ?)').all(table, schema) as Array<{
    name: string;
  }>;
  return rows.map((c) => c.name).sort();
}

/**
 * Refuses, before anything is attached or written, a file that is not an NMF Studio library: not
 * SQLite at all, another program's SQLite database, or one written by a newer version. Messages
 * name the user's file, never the staging copy.
 */
function checkLibraryFile(path: string, name: string): void {
  const notLibrary = (why: string): ServiceError =>
    new ServiceError('bad_input', `${name} is not an NMF Studio library (${why})`, { file: name });
  let verdict: Classification;
  try {
    verdict = inspectLibraryFile(path);
  } catch (error) {
    if (error instanceof ForeignDatabaseError) throw notLibrary(error.reason);
    throw notLibrary('SQLite cannot read it');
  }
  if (verdict.kind === 'empty') throw notLibrary('the file is empty');
  if (verdict.kind === 'foreign') throw notLibrary(verdict.reason);
  if (verdict.kind === 'newer') {
    const latest = Math.max(...migrations.map((m) => m.version));
    throw new ServiceError('bad_input', new NewerDatabaseError(name, verdict.version, latest).message, {
      file: name,
    });
  }
}

/**
 * A job the other library had queued or running is computed by nobody here: it arrives
 * interrupted (resumable, re-runnable), with no owner.
 */
function endUnfinished(row: Record<string, unknown>): void {
  if (row.state === 'queued' || row.state === 'running') {
    row.state = 'interrupted';
    row.error = 'merged from another library before it finished';
  }
  row.owner = null;
}

/**
 * Checks everything a merge would copy against what it claims, before anything is copied: every
 * dataset's chunks against their checksums, its arrays against its shape (CSR structure included)
 * and names, and its recomputed content hash against the stored one (datasets are matched by that
 * hash, so a forged one would attach runs to the wrong data); every run's W, H and trace sizes
 * against its dataset's shape and rank. Throws bad_input naming the file and the first problem.
 */
export function verifyIncomingLibrary(incoming: Db, name: string): void {
  const refuse = (why: string): ServiceError =>
    new ServiceError('bad_input', `${name}: ${why}; nothing was merged`, { file: name });
  const shapes = new Map<number, { rows: number; cols: number }>();
  const ids = incoming.prepare('SELECT id FROM datasets ORDER BY id').all() as Array<{ id: number }>;
  for (const { id } of ids) {
    const row = getDatasetRow(incoming, id)!;
    const label = `dataset ${id} ("${row.name}")`;
    let matrix: DataMatrix;
    try {
      matrix = readDatasetMatrix(incoming, row);
    } catch (error) {
      throw refuse(`${label} cannot be read (${(error as Error).message})`);
    }
    let rowNames: unknown;
    let colNames: unknown;
    try {
      rowNames = JSON.parse(row.row_names);
      colNames = JSON.parse(row.col_names);
    } catch {
      throw refuse(`${label} has unreadable row or column names`);
    }
    if (
      !Array.isArray(rowNames) ||
      !Array.isArray(colNames) ||
      rowNames.length !== row.rows ||
      colNames.length !== row.cols
    )
      throw refuse(`${label} has names that do not match its ${row.rows} × ${row.cols} shape`);
    if (matrix.kind === 'csr') {
      const { indptr, indices, rows, cols } = matrix;
      let ok = indptr[0] === 0 && indptr[rows] === indices.length;
      for (let i = 0; ok && i < rows; i++) ok = indptr[i] <= indptr[i + 1];
      for (let p = 0; ok && p < indices.length; p++) ok = indices[p] >= 0 && indices[p] < cols;
      if (!ok) throw refuse(`${label} has a malformed sparse structure`);
    }
    const hash = contentHash(matrix, rowNames as string[], colNames as string[], row.transform);
    if (hash !== row.hash) throw refuse(`${label} does not match its content hash`);
    shapes.set(id, { rows: row.rows, cols: row.cols });
  }
  const runs = incoming
    .prepare(
      'SELECT id, dataset_id, state, params, length(w) AS w, length(h) AS h, length(trace) AS trace FROM runs',
    )
    .all() as Array<{
    id: number;
    dataset_id: number;
    state: string;
    params: string;
    w: number | null;
    h: number | null;
    trace: number | null;
  }>;
  for (const run of runs) {
    const shape = shapes.get(run.dataset_id);
    if (!shape) throw refuse(`run ${run.id} belongs to no dataset`);
    let rank: unknown;
    try {
      rank = (JSON.parse(run.params) as { rank?: unknown }).rank;
    } catch {
      throw refuse(`run ${run.id} has unreadable parameters`);
    }
    if (
      typeof rank !== 'number' ||
      !Number.isInteger(rank) ||
      rank < 1 ||
      rank > Math.min(shape.rows, shape.cols)
    )
      throw refuse(
        `run ${run.id} has rank ${String(rank)}, impossible for a ${shape.rows} × ${shape.cols} dataset`,
      );
    if (run.state === 'done' && (run.w === null || run.h === null))
      throw refuse(`run ${run.id} is done but has no factors`);
    if (run.w !== null && run.w !== shape.rows * rank * 8)
      throw refuse(
        `run ${run.id}: W has ${run.w} bytes, ${shape.rows} × ${rank} needs ${shape.rows * rank * 8}`,
      );
    if (run.h !== null && run.h !== rank * shape.cols * 8)
      throw refuse(
        `run ${run.id}: H has ${run.h} bytes, ${rank} × ${shape.cols} needs ${rank * shape.cols * 8}`,
      );
    if (run.trace !== null && run.trace % 16 !== 0) throw refuse(`run ${run.id} has a malformed loss trace`);
  }
  const recordProblem = incomingRecordProblem(incoming);
  if (recordProblem !== null) throw refuse(recordProblem);
}

/**
 * Copies the other library's sweeps (with their finished jobs) whose dataset, creation time and
 * parameters match none here, as consensus records are matched: merging the same library twice
 * adds no sweep the second time.
 *
 * @returns every incoming sweep's id here (copied or matched), and the copied ones alone
 */
function mergeSweeps(
  db: Db,
  datasetMap: ReadonlyMap<number, number>,
): { sweepMap: Map<number, number>; addedSweeps: Map<number, number> } {
  const sweepMap = new Map<number, number>();
  const addedSweeps = new Map<number, number>();
  const sweeps = db.prepare('SELECT * FROM incoming.sweeps ORDER BY id').all() as Array<
    Record<string, unknown> & { id: number; dataset_id: number }
  >;
  for (const s of sweeps) {
    const { id: _oldId, ...row } = s;
    row.dataset_id = datasetMap.get(s.dataset_id)!;
    endUnfinished(row);
    const existing = db
      .prepare('SELECT id FROM main.sweeps WHERE dataset_id = ? AND created_at = ? AND params = ?')
      .get(row.dataset_id, row.created_at, row.params) as { id: number } | undefined;
    if (existing) {
      sweepMap.set(s.id, existing.id);
      continue;
    }
    const columns = Object.keys(row);
    const newId = Number(
      db
        .prepare(
          `INSERT INTO main.sweeps (${columns.join(', ')}) VALUES (${columns.map((c) => '@' + c).join(', ')})`,
        )
        .run(row).lastInsertRowid,
    );
    db.prepare(
      'INSERT INTO main.sweep_jobs (sweep_id, job_key, result, sample_labels) SELECT ?, job_key, result, sample_labels FROM incoming.sweep_jobs WHERE sweep_id = ?',
    ).run(newId, s.id);
    db.prepare(
      'INSERT INTO main.sweep_rank_clusters (sweep_id, rank, clusters) SELECT ?, rank, clusters FROM incoming.sweep_rank_clusters WHERE sweep_id = ?',
    ).run(newId, s.id);
    sweepMap.set(s.id, newId);
    addedSweeps.set(s.id, newId);
  }
  return { sweepMap, addedSweeps };
}

export interface LibraryMergeOptions {
  /** The name shown in messages (the user's file name when the file was uploaded). Default: the path. */
  name?: string;
}

/**
 * Merges another library file into this one, in one transaction. Datasets are matched by content
 * hash (present ones are not copied twice); runs and sweeps are copied with their ids remapped. The
 * other file is first copied and brought to this version's schema (it is never modified); a file
 * that is not an NMF Studio library, or is one from a newer version, is refused and nothing changes.
 */
export function importLibrary(
  ctx: ServiceContext,
  path: string,
  options: LibraryMergeOptions = {},
): LibraryMergeResult {
  const name = options.name ?? path;
  if (!existsSync(path)) throw new ServiceError('not_found', `${name} does not exist`);
  if (!statSync(path).isFile())
    throw new ServiceError('bad_input', `${name} is not an NMF Studio library: it is a folder`);
  const dir = mkdtempSync(join(ctx.app.tempDir, 'nmf-merge-'));
  const staged = join(dir, 'incoming.sqlite');
  try {
    copyFileSync(path, staged);
    checkLibraryFile(staged, name);
    try {
      const incoming = openLibrary(staged);
      try {
        verifyIncomingLibrary(incoming, name);
      } finally {
        closeLibrary(incoming);
      }
    } catch (error) {
      if (error instanceof ServiceError) throw error;
      const message = (error as Error).message.split(staged).join(name);
      throw new ServiceError('bad_input', `${name}: ${message}`, { file: name });
    }
    const db = ctx.db;
    db.prepare('ATTACH DATABASE ? AS incoming').run(staged);
    try {
      for (const table of MERGED_TABLES) {
        const theirs = columnsOf(db, 'incoming', table);
        const ours = columnsOf(db, 'main', table);
        if (theirs.join(',') !== ours.join(','))
          throw new ServiceError(
            'bad_input',
            `${name} is not an NMF Studio library (its ${table} table is not ours)`,
            { file: name },
          );
      }
      const result = db.transaction((): LibraryMergeResult => {
        const datasetMap = new Map<number, number>();
        let datasetsAdded = 0;
        let datasetsExisting = 0;
        const datasets = db.prepare('SELECT * FROM incoming.datasets').all() as Array<
          Record<string, unknown> & { id: number; hash: string }
        >;
        for (const d of datasets) {
          const existing = db.prepare('SELECT id FROM main.datasets WHERE hash = ?').get(d.hash) as
            { id: number } | undefined;
          if (existing) {
            datasetMap.set(d.id, existing.id);
            datasetsExisting++;
            continue;
          }
          const { id: _oldId, ...row } = d;
          const columns = Object.keys(row);
          const info = db
            .prepare(
              `INSERT INTO main.datasets (${columns.join(', ')}) VALUES (${columns.map((c) => '@' + c).join(', ')})`,
            )
            .run(row);
          const newId = Number(info.lastInsertRowid);
          db.prepare(
            'INSERT INTO main.dataset_chunks (dataset_id, part, seq, data, checksum) SELECT ?, part, seq, data, checksum FROM incoming.dataset_chunks WHERE dataset_id = ?',
          ).run(newId, d.id);
          datasetMap.set(d.id, newId);
          datasetsAdded++;
        }
        // Annotation files travel with their dataset (the same file is not attached twice).
        const annotations = db.prepare('SELECT * FROM incoming.annotations ORDER BY id').all() as Array<
          Record<string, unknown> & { id: number; dataset_id: number; axis: string; source_hash: string }
        >;
        for (const a of annotations) {
          const { id: _oldId, ...row } = a;
          row.dataset_id = datasetMap.get(a.dataset_id)!;
          const present = db
            .prepare('SELECT 1 FROM main.annotations WHERE dataset_id = ? AND axis = ? AND source_hash = ?')
            .get(row.dataset_id, a.axis, a.source_hash);
          if (present) continue;
          const columns = Object.keys(row);
          db.prepare(
            `INSERT INTO main.annotations (${columns.join(', ')}) VALUES (${columns.map((c) => '@' + c).join(', ')})`,
          ).run(row);
        }
        const { sweepMap, addedSweeps } = mergeSweeps(db, datasetMap);
        let runsAdded = 0;
        const runMap = new Map<number, number>();
        const addedRuns = new Set<number>();
        const runs = db.prepare('SELECT * FROM incoming.runs WHERE deleted_at IS NULL').all() as Array<
          Record<string, unknown> & { id: number; dataset_id: number; sweep_id: number | null }
        >;
        for (const r of runs) {
          const { id: _oldId, ...row } = r;
          row.dataset_id = datasetMap.get(r.dataset_id)!;
          row.sweep_id = r.sweep_id === null ? null : (sweepMap.get(r.sweep_id) ?? null);
          endUnfinished(row);
          const duplicate = db
            .prepare(
              'SELECT id FROM main.runs WHERE dataset_id = ? AND created_at = ? AND params = ? AND state = ? AND sweep_id IS ?',
            )
            .get(row.dataset_id, row.created_at, row.params, row.state, row.sweep_id) as
            { id: number } | undefined;
          // A sweep's runs are matched only when the sweep itself was (a sweep copied now brings its own).
          const matchable = r.sweep_id === null || (row.sweep_id !== null && !addedSweeps.has(r.sweep_id));
          if (duplicate && matchable) {
            runMap.set(r.id, duplicate.id);
            continue;
          }
          const columns = Object.keys(row);
          const info = db
            .prepare(
              `INSERT INTO main.runs (${columns.join(', ')}) VALUES (${columns.map((c) => '@' + c).join(', ')})`,
            )
            .run(row);
          runMap.set(r.id, Number(info.lastInsertRowid));
          addedRuns.add(r.id);
          runsAdded++;
        }
        // Sweep summaries name their runs by id: rewrite those ids to the new ones.
        for (const newId of addedSweeps.values()) {
          const row = db.prepare('SELECT result FROM main.sweeps WHERE id = ?').get(newId) as {
            result: string | null;
          };
          if (!row.result) continue;
          const stored = JSON.parse(row.result) as { ranks: Array<{ rank: number; runId: number | null }> };
          for (const rank of stored.ranks) {
            const run = db
              .prepare(
                "SELECT id FROM main.runs WHERE sweep_id = ? AND json_extract(params, '$.rank') = ? ORDER BY id LIMIT 1",
              )
              .get(newId, rank.rank) as { id: number } | undefined;
            rank.runId = run?.id ?? null;
          }
          db.prepare('UPDATE main.sweeps SET result = ? WHERE id = ?').run(JSON.stringify(stored), newId);
        }
        const records = mergeProjectionsAndConsensus(db, datasetMap, runMap, addedRuns, endUnfinished);
        return { datasetsAdded, datasetsExisting, runsAdded, sweepsAdded: addedSweeps.size, ...records };
      })();
      ctx.events.emit('library:changed', { what: 'datasets', id: null });
      ctx.events.emit('library:changed', { what: 'runs', id: null });
      ctx.events.emit('library:changed', { what: 'sweeps', id: null });
      return result;
    } finally {
      db.prepare('DETACH DATABASE incoming').run();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
