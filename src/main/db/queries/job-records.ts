import type { Db } from '../connection';

/**
 * Jobs made of many fits, each with a state, a count of finished fits and an owner: sweeps and
 * consensus runs. Their rows share these columns and life cycle (queued → running → done, or
 * cancelled / failed / interrupted and queued again on resume), so the statements are written once
 * here; sweeps.ts and consensus.ts name them for their table.
 */
export type JobTable = 'sweeps' | 'consensus';

/** The states a job ends in other than done. */
export type EndedJobState = 'cancelled' | 'failed' | 'interrupted';

/** Every job of the table (or of one dataset), newest first, with its dataset's name. */
export function listJobRows<Row>(db: Db, table: JobTable, datasetId?: number): Row[] {
  const statement = db.prepare(
    `SELECT j.*, d.name AS dataset_name FROM ${table} j JOIN datasets d ON d.id = j.dataset_id
     ${datasetId === undefined ? '' : 'WHERE j.dataset_id = ?'} ORDER BY j.created_at DESC, j.id DESC`,
  );
  return (datasetId === undefined ? statement.all() : statement.all(datasetId)) as Row[];
}

/** One job with its dataset's name. */
export function getJobRow<Row>(db: Db, table: JobTable, id: number): Row | undefined {
  return db
    .prepare(
      `SELECT j.*, d.name AS dataset_name FROM ${table} j JOIN datasets d ON d.id = j.dataset_id WHERE j.id = ?`,
    )
    .get(id) as Row | undefined;
}

/** Inserts a queued job and returns its id. */
export function insertJobRow(
  db: Db,
  table: JobTable,
  row: { dataset_id: number; params: string; jobs_total: number; created_at: string; owner: string | null },
): number {
  return Number(
    db
      .prepare(
        `INSERT INTO ${table} (dataset_id, state, params, jobs_total, created_at, owner) VALUES (@dataset_id, 'queued', @params, @jobs_total, @created_at, @owner)`,
      )
      .run(row).lastInsertRowid,
  );
}

/**
 * Queues a cancelled, failed or interrupted job again for `owner` to compute. False when it is
 * done, or queued or running already (perhaps in another process): nothing changes then.
 */
export function queueJobForResume(db: Db, table: JobTable, id: number, owner: string | null): boolean {
  return (
    db
      .prepare(
        `UPDATE ${table} SET state = 'queued', finished_at = NULL, error = NULL, owner = ? WHERE id = ? AND state IN ('cancelled', 'failed', 'interrupted')`,
      )
      .run(owner, id).changes === 1
  );
}

/** Queued → running (idempotent); false when the job ended meanwhile (never revives it). */
export function markJobRunning(db: Db, table: JobTable, id: number): boolean {
  return (
    db
      .prepare(`UPDATE ${table} SET state = 'running' WHERE id = ? AND state IN ('queued', 'running')`)
      .run(id).changes === 1
  );
}

/** Ends a queued or running job as cancelled, failed or interrupted (never overwrites a final state). */
export function finishJobWithState(
  db: Db,
  table: JobTable,
  id: number,
  state: EndedJobState,
  at: string,
  error: string | null,
): void {
  db.prepare(
    `UPDATE ${table} SET state = ?, finished_at = ?, error = ?, owner = NULL WHERE id = ? AND state IN ('queued', 'running')`,
  ).run(state, at, error, id);
}
