import type { Db } from '../db/connection';

/**
 * Library merge of the records that hang off runs and datasets (migration 0060): projections and
 * cNMF consensus (with its replicate fits and the links to its consensus runs). Called inside the
 * merge's transaction with `incoming` attached, after datasets and runs were copied: `datasetMap`
 * and `runMap` give each incoming id its id here (a run already here, matched as the merge matches
 * runs, maps to that run). A record whose run or dataset did not come across (a deleted run) is
 * left out. A record already here (same links, same creation time and parameters) is not copied
 * again, so merging the same file twice adds nothing the second time.
 */

/** The tables this module merges, for the merge's schema check. */
export const RECORD_TABLES = ['projections', 'consensus', 'consensus_jobs', 'consensus_runs'] as const;

/**
 * Checks the incoming records' blobs against the shapes they claim before anything is copied:
 * a projection's H is rank × (its dataset's samples), a replicate's W (its dataset's features) ×
 * rank. Returns the first problem, or null.
 */
export function incomingRecordProblem(incoming: Db): string | null {
  const projections = incoming
    .prepare(
      `SELECT p.id, p.rank, length(p.h) AS h, d.cols, r.params IS NOT NULL AS has_run,
        json_extract(r.params, '$.rank') AS run_rank
       FROM projections p JOIN datasets d ON d.id = p.dataset_id LEFT JOIN runs r ON r.id = p.run_id`,
    )
    .all() as Array<{
    id: number;
    rank: number;
    h: number;
    cols: number;
    has_run: number;
    run_rank: unknown;
  }>;
  for (const p of projections) {
    if (p.has_run && p.run_rank !== p.rank)
      return `projection ${p.id} has rank ${p.rank}, its run has rank ${String(p.run_rank)}`;
    if (p.h !== p.rank * p.cols * 8)
      return `projection ${p.id}: H has ${p.h} bytes, ${p.rank} × ${p.cols} needs ${p.rank * p.cols * 8}`;
  }
  const replicates = incoming
    .prepare(
      `SELECT j.consensus_id, j.rank, j.replicate, length(j.w) AS w, d.rows
       FROM consensus_jobs j JOIN consensus c ON c.id = j.consensus_id JOIN datasets d ON d.id = c.dataset_id`,
    )
    .all() as Array<{ consensus_id: number; rank: number; replicate: number; w: number; rows: number }>;
  for (const j of replicates) {
    if (j.w !== j.rows * j.rank * 8)
      return `consensus ${j.consensus_id}, rank ${j.rank}, replicate ${j.replicate}: W has ${j.w} bytes, ${j.rows} × ${j.rank} needs ${j.rows * j.rank * 8}`;
  }
  return null;
}

function insertRow(db: Db, table: string, row: Record<string, unknown>): number {
  const columns = Object.keys(row);
  return Number(
    db
      .prepare(
        `INSERT INTO main.${table} (${columns.join(', ')}) VALUES (${columns.map((c) => '@' + c).join(', ')})`,
      )
      .run(row).lastInsertRowid,
  );
}

/** Every `runId` number in a stored JSON value, replaced by its id here (null when it did not come). */
function remapRunIds(value: unknown, runMap: ReadonlyMap<number, number>): unknown {
  if (Array.isArray(value)) return value.map((v) => remapRunIds(v, runMap));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = key === 'runId' && typeof v === 'number' ? (runMap.get(v) ?? null) : remapRunIds(v, runMap);
  }
  return out;
}

/**
 * Copies projections and consensus records from `incoming` (see the module comment).
 *
 * @param addedRuns incoming run ids that were inserted by this merge (not matched to a run already
 *   here): their provenance's consensus id is rewritten to the consensus's id here
 */
export function mergeProjectionsAndConsensus(
  db: Db,
  datasetMap: ReadonlyMap<number, number>,
  runMap: ReadonlyMap<number, number>,
  addedRuns: ReadonlySet<number>,
  endUnfinished: (row: Record<string, unknown>) => void,
): { projectionsAdded: number; consensusAdded: number } {
  let projectionsAdded = 0;
  const projections = db.prepare('SELECT * FROM incoming.projections ORDER BY id').all() as Array<
    Record<string, unknown> & { id: number; run_id: number; dataset_id: number; provenance: string }
  >;
  for (const p of projections) {
    const runId = runMap.get(p.run_id);
    const datasetId = datasetMap.get(p.dataset_id);
    if (runId === undefined || datasetId === undefined) continue;
    const { id: _oldId, ...row } = p;
    row.run_id = runId;
    row.dataset_id = datasetId;
    row.provenance = JSON.stringify(remapRunIds(JSON.parse(p.provenance), runMap));
    const present = db
      .prepare(
        'SELECT 1 FROM main.projections WHERE run_id = ? AND dataset_id = ? AND created_at = ? AND params = ? AND h = ?',
      )
      .get(runId, datasetId, row.created_at, row.params, row.h);
    if (present) continue;
    insertRow(db, 'projections', row);
    projectionsAdded++;
  }

  let consensusAdded = 0;
  const consensus = db.prepare('SELECT * FROM incoming.consensus ORDER BY id').all() as Array<
    Record<string, unknown> & { id: number; dataset_id: number; result: string | null }
  >;
  for (const c of consensus) {
    const datasetId = datasetMap.get(c.dataset_id)!;
    const { id: oldId, ...row } = c;
    row.dataset_id = datasetId;
    endUnfinished(row);
    const existing = db
      .prepare('SELECT id FROM main.consensus WHERE dataset_id = ? AND created_at = ? AND params = ?')
      .get(datasetId, row.created_at, row.params) as { id: number } | undefined;
    if (existing) continue;
    row.result = c.result === null ? null : JSON.stringify(remapRunIds(JSON.parse(c.result), runMap));
    const newId = insertRow(db, 'consensus', row);
    consensusAdded++;
    db.prepare(
      `INSERT INTO main.consensus_jobs (consensus_id, rank, replicate, seed, loss, iterations, w)
       SELECT ?, rank, replicate, seed, loss, iterations, w FROM incoming.consensus_jobs WHERE consensus_id = ?`,
    ).run(newId, oldId);
    const links = db
      .prepare('SELECT rank, run_id FROM incoming.consensus_runs WHERE consensus_id = ?')
      .all(oldId) as Array<{ rank: number; run_id: number }>;
    for (const link of links) {
      const runId = runMap.get(link.run_id);
      if (runId === undefined) continue;
      db.prepare('INSERT INTO main.consensus_runs (consensus_id, rank, run_id) VALUES (?, ?, ?)').run(
        newId,
        link.rank,
        runId,
      );
    }
    // The consensus runs' provenance (those of the links and of rebuilt thresholds) names their
    // consensus: give it the id it has here, by run, so no other run's provenance is touched.
    const named = db
      .prepare("SELECT id FROM incoming.runs WHERE json_extract(provenance, '$.consensus.consensusId') = ?")
      .all(oldId) as Array<{ id: number }>;
    for (const { id: incomingRun } of named) {
      const runId = runMap.get(incomingRun);
      if (runId === undefined || !addedRuns.has(incomingRun)) continue;
      db.prepare(
        "UPDATE main.runs SET provenance = json_set(provenance, '$.consensus.consensusId', ?) WHERE id = ?",
      ).run(newId, runId);
    }
  }
  return { projectionsAdded, consensusAdded };
}
