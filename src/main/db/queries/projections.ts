import type { Db } from '../connection';

/** A row of `projections`, as stored. */
export interface ProjectionRow {
  id: number;
  run_id: number;
  dataset_id: number;
  params: string;
  rank: number;
  matched: number;
  missing: string;
  dropped: string;
  iterations: number;
  converged: 0 | 1;
  loss: number;
  h: Buffer;
  provenance: string;
  created_at: string;
}

export type ProjectionListRow = Omit<ProjectionRow, 'h'> & { dataset_name: string };

const LIST_COLUMNS = `p.id, p.run_id, p.dataset_id, p.params, p.rank, p.matched, p.missing, p.dropped, p.iterations,
  p.converged, p.loss, p.provenance, p.created_at, d.name AS dataset_name`;

export function insertProjection(db: Db, row: Omit<ProjectionRow, 'id'>): number {
  return Number(
    db
      .prepare(
        `INSERT INTO projections (run_id, dataset_id, params, rank, matched, missing, dropped, iterations, converged,
          loss, h, provenance, created_at)
         VALUES (@run_id, @dataset_id, @params, @rank, @matched, @missing, @dropped, @iterations, @converged,
          @loss, @h, @provenance, @created_at)`,
      )
      .run(row).lastInsertRowid,
  );
}

/** Projections, newest first, optionally of one run and/or onto one dataset. */
export function listProjections(db: Db, filter: { runId?: number; datasetId?: number }): ProjectionListRow[] {
  const where: string[] = [];
  const args: number[] = [];
  if (filter.runId !== undefined) {
    where.push('p.run_id = ?');
    args.push(filter.runId);
  }
  if (filter.datasetId !== undefined) {
    where.push('p.dataset_id = ?');
    args.push(filter.datasetId);
  }
  return db
    .prepare(
      `SELECT ${LIST_COLUMNS} FROM projections p JOIN datasets d ON d.id = p.dataset_id
       ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY p.created_at DESC, p.id DESC`,
    )
    .all(...args) as ProjectionListRow[];
}

export function getProjectionRow(db: Db, id: number): (ProjectionListRow & { h: Buffer }) | undefined {
  return db
    .prepare(
      `SELECT ${LIST_COLUMNS}, p.h FROM projections p JOIN datasets d ON d.id = p.dataset_id WHERE p.id = ?`,
    )
    .get(id) as (ProjectionListRow & { h: Buffer }) | undefined;
}

/** A projection's row without H, and the number of its samples (its dataset's columns). */
export function getProjectionHead(db: Db, id: number): (ProjectionListRow & { samples: number }) | undefined {
  return db
    .prepare(
      `SELECT ${LIST_COLUMNS}, d.cols AS samples FROM projections p JOIN datasets d ON d.id = p.dataset_id WHERE p.id = ?`,
    )
    .get(id) as (ProjectionListRow & { samples: number }) | undefined;
}

export function deleteProjection(db: Db, id: number): number {
  return db.prepare('DELETE FROM projections WHERE id = ?').run(id).changes;
}
