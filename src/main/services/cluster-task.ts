import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { encodeFrame } from '../../shared/api';
import { type SweepJob } from '../../shared/analysis';
import type { ConsensusReplicateJob } from '../../shared/analysis/consensus-plan';
import {
  CLUSTER_PLAN_VERSION,
  CLUSTER_RESULT_FORMAT,
  JOB_FOLDER,
  checkResults,
  type ClusterResult,
  type TaskStamp,
} from '../../shared/analysis/cluster-plan';
import type { JobHandle, WorkerPool } from '../workers/pool';
import type { SweepJobTaskResult } from '../workers/protocol';
import { submitConsensusReplicate } from './consensus';
import {
  ClusterFolderError,
  planConsensusParams,
  readPlan,
  readPlanData,
  readResults,
  writeFileAtomic,
} from './cluster-folder';

/**
 * One array task on a compute node (`sweep-task`): runs its share of the plan's fits with the same
 * job runner as the local run and writes each result atomically under results/. Never opens a library.
 */

/** Where a task runs, from the scheduler's environment. */
function schedulerFacts(): Record<string, string> {
  const facts: Record<string, string> = {};
  for (const name of [
    'SLURM_JOB_ID',
    'SLURM_ARRAY_JOB_ID',
    'SLURM_ARRAY_TASK_ID',
    'SLURM_CLUSTER_NAME',
    'SLURM_JOB_PARTITION',
  ]) {
    const value = process.env[name];
    if (value) facts[name] = value;
  }
  return facts;
}

export interface TaskReport {
  task: number;
  fits: number;
  skipped: number;
  ran: number;
}

/**
 * Runs array task `task` of a job folder: checks the data against the plan's hash, skips fits whose
 * result file is already there and valid (a requeued or resubmitted task resumes), runs the rest on
 * the pool with the same job runner as the local sweep, and writes each result atomically under
 * results/ as soon as it is done. Never opens a library.
 */
export async function runClusterTask(
  pool: WorkerPool,
  dir: string,
  task: number,
  log: (line: string) => void,
): Promise<TaskReport> {
  const plan = await readPlan(dir);
  const consensusParams = plan.kind === 'consensus' ? planConsensusParams(dir, plan) : null;
  if (!Number.isInteger(task) || task < 0 || task >= plan.tasks)
    throw new ClusterFolderError(`--task must be in 0..${plan.tasks - 1} for this plan, got ${task}`);
  // Read straight into shared memory: the pool's workers use it as it is.
  const data = await readPlanData(dir, plan, { shared: true });
  const mine = plan.fits.filter((fit) => fit.task === task);
  const existing = await readResults(dir, plan);
  const done = checkResults(plan, existing);
  const unfinished = new Set([...done.missing, ...done.problems.map((p) => p.fit)]);
  const pending = mine.filter((fit) => unfinished.has(fit.id));
  const skipped = mine.length - pending.length;
  const host = hostname();
  const startedAt = new Date().toISOString();
  log(
    `task ${task} on ${host}: ${mine.length} fit(s), ${skipped} already done, ${pending.length} to run on ${pool.size} thread(s)`,
  );
  await mkdir(join(dir, JOB_FOLDER.results), { recursive: true });
  const { matrix } = data;
  const handles: JobHandle[] = [];
  let finished = 0;
  try {
    await Promise.all(
      pending.map(async (fit) => {
        let result: ClusterResult['result'];
        let done: string;
        if (consensusParams) {
          // The local consensus's own replicate runner (services/consensus.ts).
          const job = fit.job as unknown as ConsensusReplicateJob;
          const started = Date.now();
          const submitted = submitConsensusReplicate(pool, matrix, consensusParams, job);
          handles.push(submitted.handle);
          result = await submitted.result;
          done = `${result.iterations} iterations, ${((Date.now() - started) / 1000).toFixed(2)} s`;
        } else {
          const handle = pool.submit({ kind: 'sweep-job', matrix, job: fit.job as unknown as SweepJob });
          handles.push(handle);
          const sweepResult = ((await handle.promise) as SweepJobTaskResult).result;
          result = sweepResult;
          done = `${sweepResult.iterations} iterations, ${sweepResult.seconds.toFixed(2)} s`;
        }
        const stamp: TaskStamp = {
          task,
          host,
          startedAt,
          finishedAt: new Date().toISOString(),
          scheduler: schedulerFacts(),
        };
        const envelope: ClusterResult = {
          format: CLUSTER_RESULT_FORMAT,
          version: CLUSTER_PLAN_VERSION,
          planId: plan.planId,
          dataHash: plan.data.hash,
          fitId: fit.id,
          stamp,
          result,
        };
        await writeFileAtomic(join(dir, JOB_FOLDER.results, fit.file), encodeFrame(envelope));
        finished++;
        log(`task ${task}: ${fit.id} done (${finished}/${pending.length}, ${done})`);
      }),
    );
  } catch (error) {
    for (const handle of handles) handle.cancel();
    throw error;
  }
  return { task, fits: mine.length, skipped, ran: pending.length };
}
