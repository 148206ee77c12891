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
import { getSweepRow, listSweeps, type SweepListRow } from '../db/queries/sweeps';
import type { ServiceContext } from './context';

/** What a finished sweep stores in its `result` column. */
export interface StoredSweepResult {
  ranks: SweepRankMetrics[];
  recommendation: SweepDetail['recommendation'];
}

function toSweepSummary(row: SweepListRow): SweepSummary {
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

export function getSweepSummary(ctx: ServiceContext, id: number): SweepSummary {
  const row = getSweepRow(ctx.db, id);
  if (!row) throw new ServiceError('not_found', `sweep ${id} does not exist`);
  return toSweepSummary(row);
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
  const record = getSweepDetail(ctx, id);
  return { ...record, ranks: record.ranks.map(({ sampleClusters: _clusters, ...rank }) => rank) };
}
