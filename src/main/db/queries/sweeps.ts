import type { Db } from '../connection';

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

export function listSweeps(db: Db, datasetId?: number): SweepListRow[] {
  const sql = `SELECT s.*, d.name AS dataset_name FROM sweeps s JOIN datasets d ON d.id = s.dataset_id
    ${datasetId === undefined ? '' : 'WHERE s.dataset_id = ?'} ORDER BY s.created_at DESC, s.id DESC`;
  const statement = db.prepare(sql);
  return (datasetId === undefined ? statement.all() : statement.all(datasetId)) as SweepListRow[];
}

export function getSweepRow(db: Db, id: number): SweepListRow | undefined {
  return db
    .prepare(
      'SELECT s.*, d.name AS dataset_name FROM sweeps s JOIN datasets d ON d.id = s.dataset_id WHERE s.id = ?',
    )
    .get(id) as SweepListRow | undefined;
}

export function insertSweep(
  db: Db,
  row: { dataset_id: number; params: string; jobs_total: number; created_at: string; owner: string | null },
): number {
  return Number(
    db
      .prepare(
        "INSERT INTO sweeps (dataset_id, state, params, jobs_total, created_at, owner) VALUES (@dataset_id, 'queued', @params, @jobs_total, @created_at, @owner)",
      )
      .run(row).lastInsertRowid,
  );
}

/** Ends a queued or running sweep as cancelled, failed or interrupted (never overwrites a final state). */
export function finishSweepWithState(
  db: Db,
  id: number,
  state: 'cancelled' | 'failed' | 'interrupted',
  at: string,
  error: string | null,
): void {
  db.prepare(
    "UPDATE sweeps SET state = ?, finished_at = ?, error = ?, owner = NULL WHERE id = ? AND state IN ('queued', 'running')",
  ).run(state, at, error, id);
}

/**
 * Queues a cancelled, failed or interrupted sweep again for `owner` to compute. False when it is
 * done, or queued or running already (perhaps in another process): nothing changes then.
 */
export function queueSweepForResume(db: Db, id: number, owner: string | null): boolean {
  return (
    db
      .prepare(
        "UPDATE sweeps SET state = 'queued', finished_at = NULL, error = NULL, owner = ? WHERE id = ? AND state IN ('cancelled', 'failed', 'interrupted')",
      )
      .run(owner, id).changes === 1
  );
}

/** Queued → running (idempotent); never revives a sweep that has ended. */
export function markSweepRunning(db: Db, id: number): boolean {
  return (
    db.prepare("UPDATE sweeps SET state = 'running' WHERE id = ? AND state IN ('queued', 'running')").run(id)
      .changes === 1
  );
}

/** Stores one finished job's result and bumps the done count, atomically. */
export function recordSweepJob(db: Db, sweepId: number, jobKey: string, result: Buffer): void {
  db.transaction(() => {
    const inserted = db
      .prepare('INSERT OR IGNORE INTO sweep_jobs (sweep_id, job_key, result) VALUES (?, ?, ?)')
      .run(sweepId, jobKey, result).changes;
    if (inserted) db.prepare('UPDATE sweeps SET jobs_done = jobs_done + 1 WHERE id = ?').run(sweepId);
  })();
}

export function sweepJobResults(db: Db, sweepId: number): Array<{ job_key: string; result: Buffer }> {
  return db.prepare('SELECT job_key, result FROM sweep_jobs WHERE sweep_id = ?').all(sweepId) as Array<{
    job_key: string;
    result: Buffer;
  }>;
}

export function completeSweep(
  db: Db,
  id: number,
  result: string,
  recommended: number | null,
  criterion: string | null,
  at: string,
): boolean {
  // Only a queued or running sweep becomes done: one ended meanwhile keeps its state.
  return (
    db
      .prepare(
        "UPDATE sweeps SET state = 'done', result = ?, recommended = ?, criterion = ?, finished_at = ?, error = NULL, owner = NULL WHERE id = ? AND state IN ('queued', 'running')",
      )
      .run(result, recommended, criterion, at, id).changes === 1
  );
}

export function deleteSweep(db: Db, id: number): number {
  return db.prepare('DELETE FROM sweeps WHERE id = ?').run(id).changes;
}
