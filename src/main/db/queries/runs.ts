import type { Db } from '../connection';

/** A row of `runs`, as stored. */
export interface RunRow {
  id: number;
  dataset_id: number;
  sweep_id: number | null;
  state: 'queued' | 'running' | 'done' | 'cancelled' | 'failed' | 'interrupted';
  params: string;
  iterations: number | null;
  converged: 0 | 1 | null;
  loss: number | null;
  loglik: number | null;
  seconds: number | null;
  error: string | null;
  notes: string;
  tags: string;
  trace: Buffer | null;
  w: Buffer | null;
  h: Buffer | null;
  provenance: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  deleted_at: string | null;
  /** The process computing a queued or running run (library_owners.id); null once it has ended. */
  owner: string | null;
  /** The user's name for the run (migration 0050). */
  name: string | null;
  /** JSON array of component names, or NULL for c1..ck (migration 0050). */
  component_names: string | null;
}

/** Listing columns: no BLOBs. */
export type RunListRow = Omit<RunRow, 'trace' | 'w' | 'h' | 'provenance' | 'owner'> & {
  dataset_name: string;
};

const listColumns = `r.id, r.dataset_id, r.sweep_id, r.state, r.params, r.iterations, r.converged, r.loss, r.loglik,
  r.seconds, r.error, r.notes, r.tags, r.created_at, r.started_at, r.finished_at, r.deleted_at, r.name, r.component_names, d.name AS dataset_name`;

export interface RunQuery {
  datasetId?: number;
  text?: string;
  loss?: string;
  solver?: string;
  rank?: number;
  state?: string;
  tag?: string;
  since?: string;
  until?: string;
  includeSweeps: boolean;
  limit: number;
}

/** Runs not deleted, newest first, filtered. Text matches the dataset name, notes and tags. */
export function listRuns(db: Db, query: RunQuery): RunListRow[] {
  const where: string[] = ['r.deleted_at IS NULL'];
  const args: Record<string, unknown> = { limit: query.limit };
  if (query.datasetId !== undefined) {
    where.push('r.dataset_id = @datasetId');
    args.datasetId = query.datasetId;
  }
  if (!query.includeSweeps) where.push('r.sweep_id IS NULL');
  if (query.text) {
    where.push(
      "(d.name LIKE @text ESCAPE '\\' OR r.name LIKE @text ESCAPE '\\' OR r.notes LIKE @text ESCAPE '\\' OR r.tags LIKE @text ESCAPE '\\')",
    );
    args.text = `%${query.text.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
  }
  // Equality and range filters: the condition applies when the query has a value for the key.
  const conditions: Array<[keyof RunQuery, string]> = [
    ['loss', "json_extract(r.params, '$.loss') = @loss"],
    ['solver', "json_extract(r.params, '$.solver') = @solver"],
    ['rank', "json_extract(r.params, '$.rank') = @rank"],
    ['state', 'r.state = @state'],
    ['tag', 'EXISTS (SELECT 1 FROM json_each(r.tags) WHERE json_each.value = @tag)'],
    ['since', 'r.created_at >= @since'],
    ['until', 'r.created_at <= @until'],
  ];
  for (const [key, condition] of conditions) {
    const value = query[key];
    if (value === undefined || value === '') continue;
    where.push(condition);
    args[key] = value;
  }
  return db
    .prepare(
      `SELECT ${listColumns} FROM runs r JOIN datasets d ON d.id = r.dataset_id
       WHERE ${where.join(' AND ')} ORDER BY r.created_at DESC, r.id DESC LIMIT @limit`,
    )
    .all(args) as RunListRow[];
}

export function getRunListRow(db: Db, id: number): RunListRow | undefined {
  return db
    .prepare(`SELECT ${listColumns} FROM runs r JOIN datasets d ON d.id = r.dataset_id WHERE r.id = ?`)
    .get(id) as RunListRow | undefined;
}

export function getRunRow(db: Db, id: number): (RunRow & { dataset_name: string }) | undefined {
  return db
    .prepare(
      'SELECT r.*, d.name AS dataset_name FROM runs r JOIN datasets d ON d.id = r.dataset_id WHERE r.id = ?',
    )
    .get(id) as (RunRow & { dataset_name: string }) | undefined;
}

/**
 * A run's row without H (the largest column: k × n doubles, 160 MB at k = 20 × 10⁶ samples), for
 * the Run screen of a large run whose summaries of H are already made (services/run-view.ts).
 */
export function getRunRowWithoutH(
  db: Db,
  id: number,
): (Omit<RunRow, 'h'> & { dataset_name: string }) | undefined {
  return db
    .prepare(
      `SELECT ${listColumns}, r.trace, r.w, r.provenance, r.owner FROM runs r JOIN datasets d ON d.id = r.dataset_id WHERE r.id = ?`,
    )
    .get(id) as (Omit<RunRow, 'h'> & { dataset_name: string }) | undefined;
}

export function insertRun(
  db: Db,
  row: {
    dataset_id: number;
    sweep_id: number | null;
    params: string;
    created_at: string;
    state?: RunRow['state'];
    /** The process that will compute it (ServiceContext.owner); null only for a run stored finished. */
    owner: string | null;
  },
): number {
  const info = db
    .prepare(
      'INSERT INTO runs (dataset_id, sweep_id, state, params, created_at, owner) VALUES (@dataset_id, @sweep_id, @state, @params, @created_at, @owner)',
    )
    .run({ state: 'queued', ...row });
  return Number(info.lastInsertRowid);
}

export function markRunStarted(db: Db, id: number, at: string): void {
  db.prepare(
    "UPDATE runs SET state = 'running', started_at = ?, error = NULL WHERE id = ? AND state IN ('queued', 'running')",
  ).run(at, id);
}

/**
 * Writes a finished run's results and marks it done, in one statement (never half-written), only
 * if it is still queued or running: a run that was cancelled, failed or interrupted meanwhile
 * keeps that state (a finished run never changes state again). Returns whether it was written.
 */
export function completeRun(
  db: Db,
  id: number,
  result: {
    iterations: number;
    converged: boolean;
    loss: number;
    loglik: number | null;
    seconds: number;
    trace: Buffer;
    w: Buffer;
    h: Buffer;
    provenance: string;
    finished_at: string;
  },
): boolean {
  return (
    db
      .prepare(
        `UPDATE runs SET state = 'done', iterations = @iterations, converged = @converged, loss = @loss, loglik = @loglik,
       seconds = @seconds, trace = @trace, w = @w, h = @h, provenance = @provenance, finished_at = @finished_at, error = NULL,
       owner = NULL
     WHERE id = @id AND state IN ('queued', 'running')`,
      )
      .run({ ...result, converged: result.converged ? 1 : 0, id }).changes === 1
  );
}

export function finishRunWithState(
  db: Db,
  id: number,
  state: 'cancelled' | 'failed' | 'interrupted',
  at: string,
  error: string | null,
  iterations: number | null = null,
): void {
  db.prepare(
    "UPDATE runs SET state = ?, finished_at = ?, error = ?, iterations = COALESCE(?, iterations), owner = NULL WHERE id = ? AND state IN ('queued', 'running')",
  ).run(state, at, error, iterations, id);
}

/** The owner of a run, for deciding who may end it (undefined: no such run). */
export function runOwner(db: Db, id: number): { state: RunRow['state']; owner: string | null } | undefined {
  return db.prepare('SELECT state, owner FROM runs WHERE id = ?').get(id) as
    { state: RunRow['state']; owner: string | null } | undefined;
}

export function updateRunNotes(
  db: Db,
  id: number,
  notes: string | undefined,
  tags: string[] | undefined,
): boolean {
  return (
    db
      .prepare(
        'UPDATE runs SET notes = COALESCE(?, notes), tags = COALESCE(?, tags) WHERE id = ? AND deleted_at IS NULL',
      )
      .run(notes ?? null, tags ? JSON.stringify(tags) : null, id).changes === 1
  );
}

export function softDeleteRun(db: Db, id: number, at: string): boolean {
  return (
    db.prepare('UPDATE runs SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL').run(at, id).changes === 1
  );
}

export function restoreRun(db: Db, id: number): boolean {
  return (
    db.prepare('UPDATE runs SET deleted_at = NULL WHERE id = ? AND deleted_at IS NOT NULL').run(id)
      .changes === 1
  );
}

/** Removes runs deleted before `before` for good. */
export function purgeDeletedRuns(db: Db, before: string): number {
  return db.prepare('DELETE FROM runs WHERE deleted_at IS NOT NULL AND deleted_at < ?').run(before).changes;
}

/** Sets a run's name and component names (undefined leaves one as it is; null clears it). */
export function updateRunNames(
  db: Db,
  id: number,
  name: string | null | undefined,
  componentNames: string[] | null | undefined,
): boolean {
  const row = db
    .prepare('SELECT name, component_names FROM runs WHERE id = ? AND deleted_at IS NULL')
    .get(id) as { name: string | null; component_names: string | null } | undefined;
  if (!row) return false;
  db.prepare('UPDATE runs SET name = ?, component_names = ? WHERE id = ?').run(
    name === undefined ? row.name : name,
    componentNames === undefined
      ? row.component_names
      : componentNames === null
        ? null
        : JSON.stringify(componentNames),
    id,
  );
  return true;
}

/** The newest ended runs' dataset, settings and iterations (of the kept replicate), at most `limit`. */
export function doneRunIterations(
  db: Db,
  limit: number,
): Array<{ dataset_id: number; params: string; iterations: number }> {
  return db
    .prepare(
      "SELECT dataset_id, params, iterations FROM runs WHERE state = 'done' AND iterations IS NOT NULL ORDER BY id DESC LIMIT ?",
    )
    .all(limit) as Array<{ dataset_id: number; params: string; iterations: number }>;
}
