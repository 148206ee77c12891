import type { Db } from '../connection';
import {
  finishJobWithState,
  getJobRow,
  insertJobRow,
  listJobRows,
  markJobRunning,
  queueJobForResume,
} from './job-records';

/** A row of `consensus`, as stored. */
export interface ConsensusRow {
  id: number;
  dataset_id: number;
  state: 'queued' | 'running' | 'done' | 'cancelled' | 'failed' | 'interrupted';
  params: string;
  jobs_total: number;
  jobs_done: number;
  result: string | null;
  error: string | null;
  created_at: string;
  finished_at: string | null;
  /** The process computing a queued or running consensus (library_owners.id). */
  owner: string | null;
  /** Cluster provenance (JSON) of a consensus merged from a job folder; NULL otherwise. */
  cluster?: string | null;
}

export type ConsensusListRow = ConsensusRow & { dataset_name: string };

/** One finished replicate fit of a consensus. */
export interface ConsensusJobRow {
  rank: number;
  replicate: number;
  seed: number;
  loss: number;
  iterations: number;
  w: Buffer;
}

export function listConsensus(db: Db, datasetId?: number): ConsensusListRow[] {
  return listJobRows<ConsensusListRow>(db, 'consensus', datasetId);
}

export function getConsensusRow(db: Db, id: number): ConsensusListRow | undefined {
  return getJobRow<ConsensusListRow>(db, 'consensus', id);
}

export function insertConsensus(db: Db, row: Parameters<typeof insertJobRow>[2]): number {
  return insertJobRow(db, 'consensus', row);
}

/**
 * Queues a cancelled, failed or interrupted consensus again for `owner` to compute. False when it is
 * in any other state (done, or queued or running elsewhere): a finished job never changes state again.
 */
export function queueConsensusForResume(db: Db, id: number, owner: string): boolean {
  return queueJobForResume(db, 'consensus', id, owner);
}

/** A queued consensus starts running; false when it ended meanwhile. */
export function markConsensusRunning(db: Db, id: number): boolean {
  return markJobRunning(db, 'consensus', id);
}

/** Ends a queued or running consensus as cancelled, failed or interrupted (never overwrites a final state). */
export function finishConsensusWithState(
  db: Db,
  id: number,
  state: 'cancelled' | 'failed' | 'interrupted',
  at: string,
  error: string | null,
): void {
  finishJobWithState(db, 'consensus', id, state, at, error);
}

/** Stores one finished replicate fit and bumps the done count, atomically. */
export function recordConsensusJob(db: Db, consensusId: number, job: ConsensusJobRow): void {
  db.transaction(() => {
    const inserted = db
      .prepare(
        `INSERT OR IGNORE INTO consensus_jobs (consensus_id, rank, replicate, seed, loss, iterations, w)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(consensusId, job.rank, job.replicate, job.seed, job.loss, job.iterations, job.w).changes;
    if (inserted) db.prepare('UPDATE consensus SET jobs_done = jobs_done + 1 WHERE id = ?').run(consensusId);
  })();
}

/** Finished replicate fits, by rank then replicate. */
export function consensusJobs(db: Db, consensusId: number, rank?: number): ConsensusJobRow[] {
  const sql = `SELECT rank, replicate, seed, loss, iterations, w FROM consensus_jobs WHERE consensus_id = ?
    ${rank === undefined ? '' : 'AND rank = ?'} ORDER BY rank, replicate`;
  const statement = db.prepare(sql);
  return (
    rank === undefined ? statement.all(consensusId) : statement.all(consensusId, rank)
  ) as ConsensusJobRow[];
}

/** Which finished replicates exist: "rank:replicate" keys. */
export function consensusJobKeys(db: Db, consensusId: number): Set<string> {
  const rows = db
    .prepare('SELECT rank, replicate FROM consensus_jobs WHERE consensus_id = ?')
    .all(consensusId) as Array<{ rank: number; replicate: number }>;
  return new Set(rows.map((r) => `${r.rank}:${r.replicate}`));
}

/** Replaces a finished consensus's result (a rank rebuilt at another density threshold). */
export function replaceConsensusResult(db: Db, id: number, result: string): void {
  db.prepare("UPDATE consensus SET result = ? WHERE id = ? AND state = 'done'").run(result, id);
}

export function completeConsensus(db: Db, id: number, result: string, at: string): void {
  db.prepare(
    "UPDATE consensus SET state = 'done', result = ?, finished_at = ?, error = NULL, owner = NULL WHERE id = ? AND state IN ('queued', 'running')",
  ).run(result, at, id);
}

/** Links the consensus run of one rank (replacing an earlier one). */
export function linkConsensusRun(db: Db, consensusId: number, rank: number, runId: number): void {
  db.prepare('INSERT OR REPLACE INTO consensus_runs (consensus_id, rank, run_id) VALUES (?, ?, ?)').run(
    consensusId,
    rank,
    runId,
  );
}

export function deleteConsensus(db: Db, id: number): number {
  return db.prepare('DELETE FROM consensus WHERE id = ?').run(id).changes;
}
