import { z } from 'zod';
import type { ConsensusReplicateJob, ConsensusReplicateResult } from './consensus-plan';
import type { SweepJob, SweepJobResult } from './types';

/**
 * The job folder of a sweep or a consensus run computed on a batch cluster: the plan is
 * a serialisation of exactly the jobs the local run would plan, dealt out to array tasks; each task
 * runs its jobs with the same job runner and writes one result file per job; the merge feeds the
 * results to the same summary and library code as the local run. Pure: no file system here.
 */

export const CLUSTER_PLAN_FORMAT = 'nmf-studio-cluster-plan';
export const CLUSTER_RESULT_FORMAT = 'nmf-studio-cluster-result';
export const CLUSTER_DATA_FORMAT = 'nmf-studio-matrix';
export const CLUSTER_PLAN_VERSION = 1;

/** File names inside a job folder. */
export const JOB_FOLDER = {
  plan: 'plan.json',
  data: 'data.nmf',
  sweepScript: 'sweep.sbatch',
  consensusScript: 'consensus.sbatch',
  mergeScript: 'merge.sbatch',
  readme: 'README.md',
  results: 'results',
  logs: 'logs',
} as const;

/** The array job's script of a plan: `sweep.sbatch` or `consensus.sbatch`. */
export function arrayScriptName(kind: ClusterPlan['kind']): string {
  return kind === 'consensus' ? JOB_FOLDER.consensusScript : JOB_FOLDER.sweepScript;
}

/** One planned fit: the job as the local planner made it, where it runs, and what it is expected to cost. */
export interface PlannedFit {
  /** The job's id (unique in the plan), e.g. `k5/replicate/2`. */
  id: string;
  /** Array task that runs it (0-based). */
  task: number;
  /** Its result file under `results/`. */
  file: string;
  /** Estimated multiply-adds (iteration budget × work per iteration at its rank). */
  cost: number;
  /** For people reading plan.json; the job below is what runs. */
  rank: number;
  seed: number | null;
  /** The job, serialised verbatim: what `runSweepJob` (or the consensus replicate runner) receives. */
  job: Record<string, unknown> & { id: string };
}

export interface ClusterResources {
  partition: string | null;
  /** SLURM time limit per array task, `D-HH:MM:SS` or `HH:MM:SS`. */
  time: string;
  /** Memory per array task in MiB. */
  memMiB: number;
  /** CPUs per array task: fits of a task run side by side on this many threads. */
  cpus: number;
  /** How the figures above were reached. */
  basis: string;
}

export interface ClusterPlan {
  format: typeof CLUSTER_PLAN_FORMAT;
  version: number;
  /** What the jobs are: sweep jobs (SweepJob) or consensus replicate fits (ConsensusReplicateJob). */
  kind: 'sweep' | 'consensus';
  /** Random id tying result files to this plan (a folder planned twice cannot mix results). */
  planId: string;
  createdAt: string;
  appVersion: string;
  engineVersion: string;
  /** Parameters of the run as the library stores them (SweepParams or ConsensusParams). */
  params: unknown;
  data: {
    file: string;
    /** SHA-256 content hash of the matrix with its names (the library's dataset hash). */
    hash: string;
    rows: number;
    cols: number;
    layout: 'dense' | 'csr';
    nnz: number;
    name: string;
  };
  tasks: number;
  resources: ClusterResources;
  fits: PlannedFit[];
}

const plannedFitSchema = z.object({
  id: z.string().min(1),
  task: z.number().int().min(0),
  file: z.string().regex(/^[A-Za-z0-9._-]+$/),
  cost: z.number().nonnegative(),
  rank: z.number().int().positive(),
  seed: z.number().nullable(),
  job: z.object({ id: z.string().min(1) }).passthrough(),
});

export const clusterPlanSchema = z.object({
  format: z.literal(CLUSTER_PLAN_FORMAT),
  version: z.literal(CLUSTER_PLAN_VERSION),
  kind: z.enum(['sweep', 'consensus']),
  planId: z.string().regex(/^[0-9a-f]{8,64}$/),
  createdAt: z.string(),
  appVersion: z.string(),
  engineVersion: z.string(),
  params: z.unknown(),
  data: z.object({
    file: z.string().regex(/^[A-Za-z0-9._-]+$/),
    hash: z.string().regex(/^[0-9a-f]{64}$/),
    rows: z.number().int().positive(),
    cols: z.number().int().positive(),
    layout: z.enum(['dense', 'csr']),
    nnz: z.number().int().nonnegative(),
    name: z.string(),
  }),
  tasks: z.number().int().positive(),
  resources: z.object({
    partition: z.string().nullable(),
    time: z.string(),
    memMiB: z.number().int().positive(),
    cpus: z.number().int().positive(),
    basis: z.string(),
  }),
  fits: z.array(plannedFitSchema).min(1),
});

/** Where the task is and when it ran: kept with each result, stored as the sweep's provenance. */
export interface TaskStamp {
  task: number;
  host: string;
  startedAt: string;
  finishedAt: string;
  /** SLURM_JOB_ID, SLURM_ARRAY_JOB_ID, SLURM_ARRAY_TASK_ID when run by SLURM. */
  scheduler: Record<string, string>;
}

/** One result file: the job's result with where it came from. */
export interface ClusterResult {
  format: typeof CLUSTER_RESULT_FORMAT;
  version: number;
  planId: string;
  dataHash: string;
  fitId: string;
  stamp: TaskStamp;
  /** A sweep job's result, or a consensus replicate's (by the plan's kind). */
  result: SweepJobResult | ConsensusReplicateResult;
}

/**
 * Deals fits to `tasks` array tasks, balanced by estimated cost: longest processing time first
 * (Graham 1969) — the costliest fit goes to the least-loaded task, ties to the lower task number —
 * so the slowest task, which sets the wall time, is within 4/3 of the best possible split. Every
 * fit lands in exactly one task; the result depends only on the costs, so planning is reproducible.
 *
 * @param costs estimated cost of each fit, in plan order
 * @returns the task of each fit, in plan order
 */
export function splitByCost(costs: readonly number[], tasks: number): number[] {
  if (!Number.isInteger(tasks) || tasks < 1)
    throw new RangeError(`tasks must be a positive integer, got ${tasks}`);
  for (const [i, cost] of costs.entries()) {
    if (!(cost >= 0) || !Number.isFinite(cost))
      throw new RangeError(`cost of fit ${i} must be a finite non-negative number, got ${cost}`);
  }
  const order = costs.map((_, i) => i).sort((a, b) => costs[b] - costs[a] || a - b);
  const load = new Array<number>(tasks).fill(0);
  const assignment = new Array<number>(costs.length);
  for (const fit of order) {
    let lightest = 0;
    for (let t = 1; t < tasks; t++) if (load[t] < load[lightest]) lightest = t;
    assignment[fit] = lightest;
    load[lightest] += costs[fit];
  }
  return assignment;
}

/** A result file name for a job id: `k5/replicate/2` → `k5.replicate.2.result`. */
export function resultFileName(jobId: string): string {
  return `${jobId.replace(/[^A-Za-z0-9_-]+/g, '.')}.result`;
}

/** The seed a job reads from: a sweep job's fit options, or a consensus replicate's own. */
function seedOf(job: SweepJob | ConsensusReplicateJob): number | null {
  return 'fit' in job ? (job.fit.seed ?? null) : job.seed;
}

/** Builds the planned fits; throws when two job ids would share a result file. */
export function planFits(
  jobs: ReadonlyArray<SweepJob | ConsensusReplicateJob>,
  costs: readonly number[],
  tasks: number,
): PlannedFit[] {
  if (jobs.length !== costs.length) throw new RangeError('one cost per job is needed');
  const used = Math.min(tasks, jobs.length);
  const assignment = splitByCost(costs, used);
  const files = new Set<string>();
  return jobs.map((job, i) => {
    const file = resultFileName(job.id);
    if (files.has(file)) throw new RangeError(`two jobs map to the result file ${file}`);
    files.add(file);
    return {
      id: job.id,
      task: assignment[i],
      file,
      cost: costs[i],
      rank: job.rank,
      seed: seedOf(job),
      job: job as unknown as PlannedFit['job'],
    };
  });
}

/** Array task numbers as SLURM's --array takes them: [0, 2, 3, 4, 7] → "0,2-4,7". */
export function arrayRanges(tasks: readonly number[]): string {
  const sorted = [...new Set(tasks)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** What a check of a job folder's results found. */
export interface ResultCheck {
  /** Planned fits with no result file. */
  missing: string[];
  /** Tasks owning at least one missing or bad fit, ascending. */
  tasksToRerun: number[];
  /** Result files that exist but do not belong (wrong plan, data, fit or shape), with the reason. */
  problems: Array<{ fit: string; file: string; problem: string }>;
}

/**
 * Checks that every planned fit has a result consistent with the plan: same plan id, data hash,
 * job, rank, kind, shape of V, and factor shapes m × k and k × n where factors were kept.
 *
 * @param found decoded result of each fit id present (or the error met reading it)
 */
export function checkResults(
  plan: ClusterPlan,
  found: ReadonlyMap<string, ClusterResult | Error>,
): ResultCheck {
  const missing: string[] = [];
  const problems: ResultCheck['problems'] = [];
  const rerun = new Set<number>();
  for (const fit of plan.fits) {
    const entry = found.get(fit.id);
    if (entry === undefined) {
      missing.push(fit.id);
      rerun.add(fit.task);
      continue;
    }
    const problem = entry instanceof Error ? entry.message : resultProblem(plan, fit, entry);
    if (problem !== null) {
      problems.push({ fit: fit.id, file: fit.file, problem });
      rerun.add(fit.task);
    }
  }
  return { missing, tasksToRerun: [...rerun].sort((a, b) => a - b), problems };
}

function resultProblem(plan: ClusterPlan, fit: PlannedFit, entry: ClusterResult): string | null {
  if (entry.format !== CLUSTER_RESULT_FORMAT) return `not a result file (format ${String(entry.format)})`;
  if (entry.planId !== plan.planId)
    return `belongs to another plan (${entry.planId}, this plan is ${plan.planId})`;
  if (entry.dataHash !== plan.data.hash)
    return `computed on other data (hash ${entry.dataHash.slice(0, 12)}…, the plan's is ${plan.data.hash.slice(0, 12)}…)`;
  if (entry.fitId !== fit.id || entry.result.jobId !== fit.id)
    return `holds fit ${entry.result.jobId}, expected ${fit.id}`;
  return plan.kind === 'consensus'
    ? replicateProblem(
        plan,
        fit.job as unknown as ConsensusReplicateJob,
        entry.result as ConsensusReplicateResult,
      )
    : sweepJobProblem(plan, fit.job as unknown as SweepJob, entry.result as SweepJobResult);
}

function sweepJobProblem(plan: ClusterPlan, job: SweepJob, r: SweepJobResult): string | null {
  if (r.rank !== job.rank || r.kind !== job.kind || r.index !== job.index || r.baseline !== job.baseline)
    return `describes ${r.baseline ? 'baseline ' : ''}k=${r.rank} ${r.kind} ${r.index}, the plan says ${job.baseline ? 'baseline ' : ''}k=${job.rank} ${job.kind} ${job.index}`;
  if (r.rows !== plan.data.rows || r.cols !== plan.data.cols)
    return `V was ${r.rows} × ${r.cols}, the plan's data is ${plan.data.rows} × ${plan.data.cols}`;
  if (r.factors !== null) {
    const { W, H } = r.factors;
    if (W.rows !== plan.data.rows || W.cols !== job.rank || W.data.length !== W.rows * W.cols)
      return `W is ${W.rows} × ${W.cols}, expected ${plan.data.rows} × ${job.rank}`;
    if (H.rows !== job.rank || H.cols !== plan.data.cols || H.data.length !== H.rows * H.cols)
      return `H is ${H.rows} × ${H.cols}, expected ${job.rank} × ${plan.data.cols}`;
    const { trace, traceSeconds } = r.factors;
    // Absent from results of versions before it was recorded; otherwise one time per trace point.
    if (
      traceSeconds !== undefined &&
      (!Array.isArray(traceSeconds) ||
        !Array.isArray(trace) ||
        traceSeconds.length !== trace.length ||
        traceSeconds.some(
          (seconds) => typeof seconds !== 'number' || !(seconds >= 0) || seconds === Infinity,
        ))
    )
      return `its trace times are not ${Array.isArray(trace) ? trace.length : 'as many'} non-negative seconds, one per trace point`;
  } else if (job.keepFactors) {
    return 'W and H are missing although the plan keeps them';
  }
  if (!Number.isFinite(r.loss)) return `loss is ${r.loss}`;
  return null;
}

function replicateProblem(
  plan: ClusterPlan,
  job: ConsensusReplicateJob,
  r: ConsensusReplicateResult,
): string | null {
  if (r.rank !== job.rank || r.replicate !== job.replicate || r.seed !== job.seed)
    return `describes k=${r.rank} replicate ${r.replicate} (seed ${r.seed}), the plan says k=${job.rank} replicate ${job.replicate} (seed ${job.seed})`;
  if (r.rows !== plan.data.rows || r.cols !== plan.data.cols)
    return `V was ${r.rows} × ${r.cols}, the plan's data is ${plan.data.rows} × ${plan.data.cols}`;
  const W = r.W as ConsensusReplicateResult['W'] | undefined;
  if (!W || W.rows !== plan.data.rows || W.cols !== job.rank || W.data.length !== W.rows * W.cols)
    return `W is ${W ? `${W.rows} × ${W.cols}` : 'missing'}, expected ${plan.data.rows} × ${job.rank}`;
  if (!Number.isFinite(r.loss)) return `loss is ${r.loss}`;
  return null;
}

/**
 * A SLURM time limit with a safety margin: `seconds` × 5 + 10 minutes, at least 15 minutes, as
 * `D-HH:MM:SS` or `HH:MM:SS`. A limit hit kills the task, so the margin covers both what the
 * estimate cannot know and what it may get wrong: the estimate is measured on the planning
 * machine and cluster cores differ (× 3), and the cost model it rests on (main/services/
 * fit-cost.ts) came within 0.53–1.45× of the measured time per iteration (÷ 0.53 ≈ × 1.9; the
 * margin was × 3 while the estimate's cold calibration alone made it about 4× too high).
 */
export function slurmTimeLimit(seconds: number): string {
  const total = Math.max(15 * 60, Math.ceil((seconds * 5 + 600) / 60) * 60);
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${days > 0 ? `${days}-` : ''}${pad(hours)}:${pad(minutes)}:00`;
}
