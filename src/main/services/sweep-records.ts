/**
 * Reading stored sweeps: their summaries (list and one) and their detail, with the per-rank
 * criteria and the recommendation stored when the sweep finished.
 */
import { ServiceError } from '../../shared/api';
import type {
  SweepClusterProvenance,
  SweepDetail,
  SweepParams,
  SweepRankMetrics,
  SweepRecord,
  SweepSummary,
} from '../../shared/domain';
import {
  getSweepHead,
  getSweepRow,
  listSweeps,
  sweepResultWithoutClusters,
  type SweepHeadRow,
} from '../db/queries/sweeps';
import type { ServiceContext } from './context';

/** What a finished sweep stores in its `result` column. */
export interface StoredSweepResult {
  ranks: SweepRankMetrics[];
  recommendation: SweepDetail['recommendation'];
}

function toSweepSummary(row: SweepHeadRow): SweepSummary {
  return {
    id: row.id,
    datasetId: row.dataset_id,
    datasetName: row.dataset_name,
    state: row.state,
    params: JSON.parse(row.params) as SweepParams,
    jobsDone: row.jobs_done,
    jobsTotal: row.jobs_total,
    recommended: row.recommended,
    criterion: row.criterion,
    error: row.error,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
  };
}

/** A sweep's summary, read without its stored result (see `getSweepHead`). */
export function getSweepSummary(ctx: ServiceContext, id: number): SweepSummary {
  return toSweepSummary(sweepHead(ctx, id));
}

function sweepHead(ctx: ServiceContext, id: number): SweepHeadRow {
  const row = getSweepHead(ctx.db, id);
  if (!row) throw new ServiceError('not_found', `sweep ${id} does not exist`);
  return row;
}

export function listSweepSummaries(ctx: ServiceContext, datasetId?: number): SweepSummary[] {
  return listSweeps(ctx.db, datasetId).map(toSweepSummary);
}

/** A sweep as stored, each rank with its n consensus clusters (the CLI, analyses, a sweep's runs). */
export function getSweepDetail(ctx: ServiceContext, id: number): SweepRecord {
  const row = getSweepRow(ctx.db, id);
  if (!row) throw new ServiceError('not_found', `sweep ${id} does not exist`);
  const stored = row.result
    ? (JSON.parse(row.result) as StoredSweepResult)
    : { ranks: [], recommendation: null };
  const { cluster } = row;
  return {
    ...toSweepSummary(row),
    ranks: stored.ranks,
    recommendation: stored.recommendation,
    cluster: cluster ? (JSON.parse(cluster) as SweepClusterProvenance) : null,
  };
}

/**
 * A sweep as `sweeps:get` sends it: the stored record without each rank's n consensus clusters,
 * which the window does not draw (the consensus map and class tables have channels of their own).
 */
export function getSweepView(ctx: ServiceContext, id: number): SweepDetail {
  const row = sweepHead(ctx, id);
  const params = JSON.parse(row.params) as SweepParams;
  // The stored result less its clusters, cut out by SQLite: parsing them here cost ~50 ms a rank
  // at 10⁶ samples for numbers then dropped. A rank beyond the sweep's range (none is stored) would
  // still be stripped below.
  const text = sweepResultWithoutClusters(ctx.db, id, params.toRank - params.fromRank + 1);
  const stored = text ? (JSON.parse(text) as StoredSweepResult) : { ranks: [], recommendation: null };
  const { cluster } = row;
  return {
    ...toSweepSummary(row),
    ranks: stored.ranks.map(({ sampleClusters: _clusters, ...rank }) => rank),
    recommendation: stored.recommendation,
    cluster: cluster ? (JSON.parse(cluster) as SweepClusterProvenance) : null,
  };
}
