import { labelsToBlob } from '../blobs';
import type { Db } from '../connection';
import {
  finishJobWithState,
  getJobRow,
  insertJobRow,
  markJobRunning,
  queueJobForResume,
} from './job-records';

/** A row of `sweeps`, as stored. */
export interface SweepRow {
  id: number;
  dataset_id: number;
  state: 'queued' | 'running' | 'done' | 'cancelled' | 'failed' | 'interrupted';
  params: string;
  jobs_total: number;
  jobs_done: number;
  result: string | null;
  recommended: number | null;
  criterion: string | null;
  error: string | null;
  created_at: string;
  finished_at: string | null;
  /** Cluster provenance (JSON) of a sweep merged from a job folder (migration 0070). */
  cluster: string | null;
  /** The process computing a queued or running sweep (library_owners.id). */
  owner: string | null;
}

export type SweepListRow = SweepRow & { dataset_name: string };

/** A sweep's row without its `result`, whose ranks' consensus clusters are ~18 MB of text at nine ranks of 10⁶ samples. */
export type SweepHeadRow = Omit<SweepListRow, 'result'>;

/** The columns of a {@link SweepHeadRow}: every column of `sweeps` but `result`, and the dataset's name. */
const SWEEP_HEAD_COLUMNS = `j.id, j.dataset_id, j.state, j.params, j.jobs_total, j.jobs_done, j.recommended,
  j.criterion, j.error, j.created_at, j.finished_at, j.cluster, j.owner, d.name AS dataset_name`;

/** Every sweep (or one dataset's), newest first, without their results (see {@link SweepHeadRow}). */
export function listSweeps(db: Db, datasetId?: number): SweepHeadRow[] {
  const statement = db.prepare(
    `SELECT ${SWEEP_HEAD_COLUMNS} FROM sweeps j JOIN datasets d ON d.id = j.dataset_id
     ${datasetId === undefined ? '' : 'WHERE j.dataset_id = ?'} ORDER BY j.created_at DESC, j.id DESC`,
  );
  return (datasetId === undefined ? statement.all() : statement.all(datasetId)) as SweepHeadRow[];
}

export function getSweepRow(db: Db, id: number): SweepListRow | undefined {
  return getJobRow<SweepListRow>(db, 'sweeps', id);
}

/** One sweep's row with its dataset's name, but not its `result` (see {@link SweepHeadRow}). */
export function getSweepHead(db: Db, id: number): SweepHeadRow | undefined {
  return db
    .prepare(
      `SELECT ${SWEEP_HEAD_COLUMNS} FROM sweeps j JOIN datasets d ON d.id = j.dataset_id WHERE j.id = ?`,
    )
    .get(id) as SweepHeadRow | undefined;
}

/**
 * A sweep's stored `result` as JSON text without the `sampleClusters` of its first `rankCount`
 * ranks (n numbers each); null when it has no result yet. SQLite's `json_remove` cuts them out
 * (~25 ms for the 4 MB of two ranks of 10⁶ samples, where reading the text into JavaScript and
 * parsing it took 90–170 ms); the stored text is not changed.
 */
export function sweepResultWithoutClusters(db: Db, id: number, rankCount: number): string | null {
  const paths = Array.from({ length: rankCount }, (_, i) => `$.ranks[${i}].sampleClusters`);
  const row = db
    .prepare(`SELECT json_remove(result${', ?'.repeat(rankCount)}) AS result FROM sweeps WHERE id = ?`)
    .get(...paths, id) as { result: string | null } | undefined;
  return row?.result ?? null;
}

export function insertSweep(db: Db, row: Parameters<typeof insertJobRow>[2]): number {
  return insertJobRow(db, 'sweeps', row);
}

/** Ends a queued or running sweep as cancelled, failed or interrupted (never overwrites a final state). */
export function finishSweepWithState(
  db: Db,
  id: number,
  state: 'cancelled' | 'failed' | 'interrupted',
  at: string,
  error: string | null,
): void {
  finishJobWithState(db, 'sweeps', id, state, at, error);
}

/**
 * Queues a cancelled, failed or interrupted sweep again for `owner` to compute. False when it is
 * done, or queued or running already (perhaps in another process): nothing changes then.
 */
export function queueSweepForResume(db: Db, id: number, owner: string | null): boolean {
  return queueJobForResume(db, 'sweeps', id, owner);
}

/** Queued → running (idempotent); never revives a sweep that has ended. */
export function markSweepRunning(db: Db, id: number): boolean {
  return markJobRunning(db, 'sweeps', id);
}

/**
 * Stores one finished job's result and bumps the done count, atomically.
 * @param sampleLabels the result's `sampleLabels` (stored again as a BLOB, `labelsToBlob`), or null when it has none
 */
export function recordSweepJob(
  db: Db,
  sweepId: number,
  jobKey: string,
  result: Buffer,
  sampleLabels: ArrayLike<number> | null,
): void {
  const labels = sampleLabels === null ? null : labelsToBlob(sampleLabels);
  db.transaction(() => {
    const inserted = db
      .prepare(
        'INSERT OR IGNORE INTO sweep_jobs (sweep_id, job_key, result, sample_labels) VALUES (?, ?, ?, ?)',
      )
      .run(sweepId, jobKey, result, labels).changes;
    if (inserted) db.prepare('UPDATE sweeps SET jobs_done = jobs_done + 1 WHERE id = ?').run(sweepId);
  })();
}

/**
 * Every stored job result of a sweep, in job-key order (the primary key's order, which the lookup
 * by sweep gave before it was spelled out): the summary adds consensus fits in this order, and
 * `sweepJobResultsOfRanks` returns a rank's results in the same relative order.
 */
export function sweepJobResults(db: Db, sweepId: number): Array<{ job_key: string; result: Buffer }> {
  return db
    .prepare('SELECT job_key, result FROM sweep_jobs WHERE sweep_id = ? ORDER BY job_key')
    .all(sweepId) as Array<{
    job_key: string;
    result: Buffer;
  }>;
}

/**
 * The stored job results of some ranks of a sweep (data and baseline: keys `k<rank>/…` and
 * `baseline/k<rank>/…`), in job-key order like {@link sweepJobResults}: what a rank's criteria
 * are computed from while the sweep runs, without reading and decoding every other rank's
 * factors each time a rank completes.
 */
export function sweepJobResultsOfRanks(
  db: Db,
  sweepId: number,
  ranks: readonly number[],
): Array<{ job_key: string; result: Buffer }> {
  const prefixes = ranks.flatMap((rank) => [`k${rank}/`, `baseline/k${rank}/`]);
  if (prefixes.length === 0) return [];
  const keys = keyPrefixes(prefixes);
  return db
    .prepare(`SELECT job_key, result FROM sweep_jobs WHERE sweep_id = ? AND ${keys.sql} ORDER BY job_key`)
    .all(sweepId, ...keys.params) as Array<{ job_key: string; result: Buffer }>;
}

/** An SQL condition on `job_key` starting with one of `prefixes` (not empty), and its parameters. */
function keyPrefixes(prefixes: readonly string[]): { sql: string; params: Array<string | number> } {
  return {
    sql: `(${prefixes.map(() => 'substr(job_key, 1, ?) = ?').join(' OR ')})`,
    params: prefixes.flatMap((prefix) => [prefix.length, prefix]),
  };
}

/**
 * The sample labels BLOB (`labelsToBlob`, migration 0160) of each stored job result of a sweep whose
 * key starts with one of `prefixes`, keyed by job and in key order; null for a result stored before
 * that version (its labels are in its frame's JSON only) or one without labels.
 */
export function sweepJobLabelBlobs(
  db: Db,
  sweepId: number,
  prefixes: readonly string[],
): Array<{ job_key: string; sample_labels: Buffer | null }> {
  if (prefixes.length === 0) return [];
  const keys = keyPrefixes(prefixes);
  return db
    .prepare(
      `SELECT job_key, sample_labels FROM sweep_jobs WHERE sweep_id = ? AND ${keys.sql} ORDER BY job_key`,
    )
    .all(sweepId, ...keys.params) as Array<{
    job_key: string;
    sample_labels: Buffer | null;
  }>;
}

/** Bytes `from` … `from + length` (at most) of one stored job result, or null when that job has none. */
export function sweepJobResultSlice(
  db: Db,
  sweepId: number,
  jobKey: string,
  from: number,
  length: number,
): Buffer | null {
  const row = db
    .prepare('SELECT substr(result, ?, ?) AS bytes FROM sweep_jobs WHERE sweep_id = ? AND job_key = ?')
    .get(from + 1, length, sweepId, jobKey) as { bytes: Buffer } | undefined;
  return row ? row.bytes : null;
}

/**
 * Stores an ended sweep's summary and `fitIterations` (JSON: each group's iterations against its
 * budgets, services/sweep-history.ts).
 */
export function completeSweep(
  db: Db,
  id: number,
  result: string,
  recommended: number | null,
  criterion: string | null,
  at: string,
  fitIterations: string,
): boolean {
  // Only a queued or running sweep becomes done: one ended meanwhile keeps its state.
  return (
    db
      .prepare(
        "UPDATE sweeps SET state = 'done', result = ?, recommended = ?, criterion = ?, finished_at = ?, fit_iterations = ?, error = NULL, owner = NULL WHERE id = ? AND state IN ('queued', 'running')",
      )
      .run(result, recommended, criterion, at, fitIterations, id).changes === 1
  );
}

/**
 * Stores a sweep's consensus clusters of each rank as BLOBs (`labelsToBlob`), in place of any
 * stored before (a resumed sweep ends again). Call with `completeSweep`, in its transaction: the
 * same clusters are in the stored result's `ranks[i].sampleClusters`.
 */
export function storeSweepRankClusters(
  db: Db,
  sweepId: number,
  ranks: ReadonlyArray<{ rank: number; sampleClusters: ArrayLike<number> }>,
): void {
  db.prepare('DELETE FROM sweep_rank_clusters WHERE sweep_id = ?').run(sweepId);
  const insert = db.prepare('INSERT INTO sweep_rank_clusters (sweep_id, rank, clusters) VALUES (?, ?, ?)');
  for (const { rank, sampleClusters } of ranks) insert.run(sweepId, rank, labelsToBlob(sampleClusters));
}

/**
 * A sweep's stored consensus clusters BLOB of each rank asked for, keyed by rank; a rank is missing
 * when its sweep ended before migration 0160 (its clusters are in the result's JSON only) or
 * has not ended.
 */
export function sweepRankClusterBlobs(
  db: Db,
  sweepId: number,
  ranks: readonly number[],
): Map<number, Buffer> {
  const statement = db.prepare('SELECT clusters FROM sweep_rank_clusters WHERE sweep_id = ? AND rank = ?');
  const found = new Map<number, Buffer>();
  for (const rank of ranks) {
    const row = statement.get(sweepId, rank) as { clusters: Buffer } | undefined;
    if (row) found.set(rank, row.clusters);
  }
  return found;
}

/** The newest ended sweeps that stored their fits' iterations (`fit_iterations`), at most `limit`. */
export function doneSweepIterationRecords(
  db: Db,
  limit: number,
): Array<{ id: number; dataset_id: number; params: string; iterations: string }> {
  return db
    .prepare(
      "SELECT id, dataset_id, params, fit_iterations AS iterations FROM sweeps WHERE state = 'done' AND fit_iterations IS NOT NULL ORDER BY id DESC LIMIT ?",
    )
    .all(limit) as Array<{ id: number; dataset_id: number; params: string; iterations: string }>;
}

export function deleteSweep(db: Db, id: number): number {
  return db.prepare('DELETE FROM sweeps WHERE id = ?').run(id).changes;
}

/** One stored job result of a sweep, or null when that job has none yet. */
export function sweepJobResult(db: Db, sweepId: number, jobKey: string): Buffer | null {
  const row = db
    .prepare('SELECT result FROM sweep_jobs WHERE sweep_id = ? AND job_key = ?')
    .get(sweepId, jobKey) as { result: Buffer } | undefined;
  return row ? row.result : null;
}

/** Replaces a stored job result (completed later, e.g. a replicate's deferred statistics); false when none is stored. */
export function replaceSweepJobResult(db: Db, sweepId: number, jobKey: string, result: Buffer): boolean {
  return (
    db
      .prepare('UPDATE sweep_jobs SET result = ? WHERE sweep_id = ? AND job_key = ?')
      .run(result, sweepId, jobKey).changes > 0
  );
}
