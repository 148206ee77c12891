import { join } from 'node:path';
import { ServiceError, encodeFrame } from '../../shared/api';
import { planSweep, type SweepJobResult } from '../../shared/analysis';
import {
  JOB_FOLDER,
  arrayRanges,
  arrayScriptName,
  checkResults,
  type ClusterPlan,
  type ClusterResult,
  type ResultCheck,
} from '../../shared/analysis/cluster-plan';
import type { ConsensusReplicateResult } from '../../shared/analysis/consensus-plan';
import { planConsensusReplicates } from '../../shared/analysis/consensus-plan';
import {
  sweepParamsSchema,
  type ConsensusSummary,
  type SweepClusterProvenance,
  type SweepParams,
  type SweepSummary,
} from '../../shared/domain';
import { insertConsensus, queueConsensusForResume } from '../db/queries/consensus';
import { recordSweepJob, insertSweep } from '../db/queries/sweeps';
import type { ServiceContext } from './context';
import { executeConsensus, getConsensusSummary, recordConsensusReplicate } from './consensus';
import { storeDataset } from './datasets';
import { requireOwner } from './runs';
import { finishSweepFromStoredResults, getSweepSummary, sweepSpecOf } from './sweeps';
import { APP_VERSION } from './version';
import {
  ClusterFolderError,
  planConsensusParams,
  readPlan,
  readPlanData,
  readResults,
} from './cluster-folder';

/**
 * Merging a finished job folder into the library through the local run's own summary and saving
 * code, with the cluster provenance (which tasks, hosts, times).
 */

/**
 * What `sweep-merge` and the app say about a folder that cannot be merged yet, in one line (its
 * sentences joined by spaces): the command line prints one line per refusal, escaping line breaks,
 * so sentences joined by line breaks reached the terminal as a literal `\n`.
 */
export function describeIncomplete(plan: ClusterPlan, check: ResultCheck): string {
  const lines: string[] = [];
  if (check.missing.length > 0)
    lines.push(
      `${check.missing.length} of ${plan.fits.length} planned fits have no result: ${check.missing.join(', ')}.`,
    );
  for (const p of check.problems) lines.push(`results/${p.file} (${p.fit}): ${p.problem}.`);
  lines.push(
    `Rerun just the tasks concerned, from the job folder: sbatch --array=${arrayRanges(check.tasksToRerun)} ${arrayScriptName(plan.kind)}`,
  );
  return lines.join(' ');
}

function provenanceOf(plan: ClusterPlan, results: ClusterResult[], now: string): SweepClusterProvenance {
  const byTask = new Map<number, SweepClusterProvenance['tasks'][number]>();
  for (const r of results) {
    const s = r.stamp;
    let entry = byTask.get(s.task);
    if (!entry) {
      entry = {
        task: s.task,
        hosts: [],
        startedAt: s.startedAt,
        finishedAt: s.finishedAt,
        fits: 0,
        scheduler: [],
      };
      byTask.set(s.task, entry);
    }
    entry.fits++;
    if (!entry.hosts.includes(s.host)) entry.hosts.push(s.host);
    if (s.startedAt < entry.startedAt) entry.startedAt = s.startedAt;
    if (s.finishedAt > entry.finishedAt) entry.finishedAt = s.finishedAt;
    if (!entry.scheduler.some((x) => JSON.stringify(x) === JSON.stringify(s.scheduler)))
      entry.scheduler.push(s.scheduler);
  }
  return {
    planId: plan.planId,
    plannedAt: plan.createdAt,
    plannedWith: `NMF Studio ${plan.appVersion} (engine ${plan.engineVersion})`,
    mergedAt: now,
    tasks: [...byTask.values()].sort((a, b) => a.task - b.task),
  };
}

/**
 * The sweep parameters as the plan's jobs ran them: a plan written before sweeps passed `warmupTol`
 * to their jobs (no job's fit carries it) ran fixed warm-ups, whatever its parameters say, so its
 * `warmupTol` is recorded as 0 (as migration 0140 records it for sweeps in a library) and the
 * jobs planned again from it are the plan's.
 */
function plannedWithFixedWarmups(params: SweepParams, fits: ClusterPlan['fits']): SweepParams {
  const carries = (job: Record<string, unknown>): boolean =>
    typeof job.fit === 'object' && job.fit !== null && 'warmupTol' in job.fit;
  if ((params.fit.warmupTol ?? 0) === 0 || fits.some((f) => carries(f.job))) return params;
  return { ...params, fit: { ...params.fit, warmupTol: 0 } };
}

/**
 * Merges a finished job folder into the library: every planned fit must have a consistent result
 * (else a bad_input error lists the missing ones and the command that reruns their tasks, and
 * nothing is stored). Then, in one transaction: the dataset (found by content hash or added), the
 * sweep with every job result, and — through the local sweep's own finishing code — the summary and
 * each rank's best replicate as a run, plus the cluster provenance. A plan merged before returns
 * the sweep it made.
 */
export async function mergeClusterSweep(ctx: ServiceContext, dir: string): Promise<SweepSummary> {
  const plan = await readPlan(dir);
  if (plan.kind !== 'sweep')
    throw new ClusterFolderError(
      `${join(dir, JOB_FOLDER.plan)} plans a ${plan.kind} run, not a sweep: merge it as a consensus run`,
    );
  const data = await readPlanData(dir, plan);
  const paramsCheck = sweepParamsSchema.safeParse(plan.params);
  if (!paramsCheck.success)
    throw new ClusterFolderError(
      `${join(dir, JOB_FOLDER.plan)}: params: ${paramsCheck.error.issues[0].message}`,
    );
  const params = plannedWithFixedWarmups(paramsCheck.data, plan.fits);
  const replanned = planSweep(sweepSpecOf(params));
  const same =
    replanned.length === plan.fits.length &&
    replanned.every(
      (job, i) => JSON.stringify(JSON.parse(JSON.stringify(job))) === JSON.stringify(plan.fits[i].job),
    );
  if (!same)
    throw new ClusterFolderError(
      `the jobs in ${join(dir, JOB_FOLDER.plan)} differ from what this version plans for the same parameters (planned with NMF Studio ${plan.appVersion}, this is ${APP_VERSION}): merge with the version that planned it`,
    );
  // Merging the same folder again (the cluster's merge job ran, then the user imports at home into
  // the same library) gives the sweep already stored rather than a duplicate.
  const already = ctx.db
    .prepare("SELECT id FROM sweeps WHERE cluster IS NOT NULL AND json_extract(cluster, '$.planId') = ?")
    .get(plan.planId) as { id: number } | undefined;
  if (already) return getSweepSummary(ctx, already.id);
  const found = await readResults(dir, plan);
  const check = checkResults(plan, found);
  if (check.missing.length > 0 || check.problems.length > 0)
    throw new ClusterFolderError(describeIncomplete(plan, check));
  const results = plan.fits.map((fit) => found.get(fit.id) as ClusterResult);
  const now = ctx.now();
  const id = ctx.db.transaction(() => {
    const { dataset } = storeDataset(ctx, data.matrix, data.rowNames, data.colNames, {
      name: data.name,
      sourceName: data.sourceName,
      format: data.format,
      transform: data.transform,
      transposed: data.transposed,
      alreadyTransformed: true,
    });
    if (dataset.hash !== plan.data.hash) throw new Error('the stored dataset does not hash as the plan says');
    const sweepId = insertSweep(ctx.db, {
      dataset_id: dataset.id,
      params: JSON.stringify(params),
      jobs_total: plan.fits.length,
      created_at: now,
      // Stored and finished in this one transaction: no process computes it.
      owner: null,
    });
    for (const r of results) {
      const result = r.result as SweepJobResult;
      recordSweepJob(ctx.db, sweepId, r.fitId, Buffer.from(encodeFrame(result)), result.sampleLabels);
    }
    finishSweepFromStoredResults(ctx, sweepId, dataset.hash);
    ctx.db
      .prepare('UPDATE sweeps SET cluster = ? WHERE id = ?')
      .run(JSON.stringify(provenanceOf(plan, results, now)), sweepId);
    return sweepId;
  })();
  ctx.events.emit('library:changed', { what: 'sweeps', id });
  return getSweepSummary(ctx, id);
}

/**
 * Merges a finished consensus job folder into the library: every planned replicate must have a
 * consistent result (else a bad_input error lists the missing ones and the command that reruns
 * their tasks, and nothing is stored). Then, in one transaction, the dataset (found by content hash
 * or added), the consensus with every replicate's W and the cluster provenance; then the local
 * consensus's own code builds each rank from those replicates (consensus W, H refitted, stored as
 * runs), exactly as after the last replicate of a local run. A plan merged before returns the
 * consensus it made (finishing it first if that was interrupted).
 */
export async function mergeClusterConsensus(ctx: ServiceContext, dir: string): Promise<ConsensusSummary> {
  const plan = await readPlan(dir);
  if (plan.kind !== 'consensus')
    throw new ClusterFolderError(
      `${join(dir, JOB_FOLDER.plan)} plans a ${plan.kind} run, not a consensus run: merge it as a sweep`,
    );
  const data = await readPlanData(dir, plan);
  const params = planConsensusParams(dir, plan);
  const replanned = planConsensusReplicates(params);
  const same =
    replanned.length === plan.fits.length &&
    replanned.every((job, i) => JSON.stringify(job) === JSON.stringify(plan.fits[i].job));
  if (!same)
    throw new ClusterFolderError(
      `the replicate fits in ${join(dir, JOB_FOLDER.plan)} differ from what this version plans for the same parameters (planned with NMF Studio ${plan.appVersion}, this is ${APP_VERSION}): merge with the version that planned it`,
    );
  const already = ctx.db
    .prepare("SELECT id FROM consensus WHERE cluster IS NOT NULL AND json_extract(cluster, '$.planId') = ?")
    .get(plan.planId) as { id: number } | undefined;
  let id: number;
  if (already) {
    id = already.id;
    if (getConsensusSummary(ctx, id).state === 'done') return getConsensusSummary(ctx, id);
    // Stored, but building the ranks was cut short: the replicates are in, so only the build runs.
    if (!queueConsensusForResume(ctx.db, id, requireOwner(ctx)))
      throw new ServiceError(
        'conflict',
        `consensus ${id}, merged from this folder, is ${getConsensusSummary(ctx, id).state}: wait until it is built`,
      );
  } else {
    const found = await readResults(dir, plan);
    const check = checkResults(plan, found);
    if (check.missing.length > 0 || check.problems.length > 0)
      throw new ClusterFolderError(describeIncomplete(plan, check));
    const results = plan.fits.map((fit) => found.get(fit.id) as ClusterResult);
    const now = ctx.now();
    id = ctx.db.transaction(() => {
      const { dataset } = storeDataset(ctx, data.matrix, data.rowNames, data.colNames, {
        name: data.name,
        sourceName: data.sourceName,
        format: data.format,
        transform: data.transform,
        transposed: data.transposed,
        alreadyTransformed: true,
      });
      if (dataset.hash !== plan.data.hash)
        throw new Error('the stored dataset does not hash as the plan says');
      const consensusId = insertConsensus(ctx.db, {
        dataset_id: dataset.id,
        params: JSON.stringify(params),
        jobs_total: plan.fits.length,
        created_at: now,
        owner: requireOwner(ctx),
      });
      for (const r of results)
        recordConsensusReplicate(ctx, consensusId, r.result as ConsensusReplicateResult);
      ctx.db
        .prepare('UPDATE consensus SET cluster = ? WHERE id = ?')
        .run(JSON.stringify(provenanceOf(plan, results, now)), consensusId);
      return consensusId;
    })();
    ctx.events.emit('library:changed', { what: 'runs', id: null });
  }
  const outcome = await executeConsensus(ctx, id);
  const summary = getConsensusSummary(ctx, id);
  if (outcome !== 'done')
    throw new Error(
      `building the consensus from the merged replicates ${outcome}: ${summary.error ?? 'no reason recorded'}`,
    );
  return summary;
}
