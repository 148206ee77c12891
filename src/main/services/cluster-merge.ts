import { join } from 'node:path';
import { encodeFrame } from '../../shared/api';
import { planSweep, type SweepJobResult } from '../../shared/analysis';
import {
  JOB_FOLDER,
  arrayRanges,
  checkResults,
  type ClusterPlan,
  type ClusterResult,
  type ResultCheck,
} from '../../shared/analysis/cluster-plan';
import { sweepParamsSchema, type SweepClusterProvenance, type SweepSummary } from '../../shared/domain';
import { recordSweepJob, insertSweep } from '../db/queries/sweeps';
import type { ServiceContext } from './context';
import { storeDataset } from './datasets';
import { finishSweepFromStoredResults, getSweepSummary, sweepSpecOf } from './sweeps';
import { APP_VERSION } from './version';
import { ClusterFolderError, readPlan, readPlanData, readResults } from './cluster-folder';

/**
 * Merging a finished job folder into the library through the local run's own summary and saving
 * code, with the cluster provenance (which tasks, hosts, times).
 */

/** What `sweep-merge` and the app say about a folder that cannot be merged yet. */
export function describeIncomplete(plan: ClusterPlan, check: ResultCheck): string {
  const lines: string[] = [];
  if (check.missing.length > 0)
    lines.push(
      `${check.missing.length} of ${plan.fits.length} planned fits have no result: ${check.missing.join(', ')}.`,
    );
  for (const p of check.problems) lines.push(`results/${p.file} (${p.fit}): ${p.problem}.`);
  lines.push(
    `Rerun just the tasks concerned, from the job folder: sbatch --array=${arrayRanges(check.tasksToRerun)} ${JOB_FOLDER.sweepScript}`,
  );
  return lines.join('\n');
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
      `${join(dir, JOB_FOLDER.plan)} plans a ${plan.kind} run; this version merges sweep plans`,
    );
  const data = await readPlanData(dir, plan);
  const paramsCheck = sweepParamsSchema.safeParse(plan.params);
  if (!paramsCheck.success)
    throw new ClusterFolderError(
      `${join(dir, JOB_FOLDER.plan)}: params: ${paramsCheck.error.issues[0].message}`,
    );
  const params = paramsCheck.data;
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
    for (const r of results)
      recordSweepJob(ctx.db, sweepId, r.fitId, Buffer.from(encodeFrame(r.result as SweepJobResult)));
    finishSweepFromStoredResults(ctx, sweepId, dataset.hash);
    ctx.db
      .prepare('UPDATE sweeps SET cluster = ? WHERE id = ?')
      .run(JSON.stringify(provenanceOf(plan, results, now)), sweepId);
    return sweepId;
  })();
  ctx.events.emit('library:changed', { what: 'sweeps', id });
  return getSweepSummary(ctx, id);
}
