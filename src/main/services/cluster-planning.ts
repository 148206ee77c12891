import { randomBytes } from 'node:crypto';
import { ServiceError } from '../../shared/api';
import { planSweep, type SweepJob } from '../../shared/analysis';
import { planConsensusReplicates, type ConsensusReplicateJob } from '../../shared/analysis/consensus-plan';
import {
  CLUSTER_PLAN_FORMAT,
  CLUSTER_PLAN_VERSION,
  JOB_FOLDER,
  arrayScriptName,
  planFits,
  slurmTimeLimit,
  type ClusterPlan,
  type ClusterResources,
} from '../../shared/analysis/cluster-plan';
import {
  ENGINE_VERSION,
  completeRunParams,
  matrixStats,
  consensusParamsSchema,
  sweepParamsSchema,
  type ConsensusParams,
  type RunParams,
  type ConsensusParamsInput,
  type SweepParams,
  type SweepParamsInput,
} from '../../shared/domain';
import type { DataMatrix } from '../../shared/linalg/matrix';
import { contentHash } from './datasets';
import { consensusRunParams } from './consensus';
import { checkParamsAgainstData, fitFactorBytes } from './runs';
import { costSettingsOf, fitWork } from './fit-cost';
import { sweepJobWork, sweepSpecOf, withConsensusReplicates } from './sweeps';
import { APP_VERSION } from './version';
import type { PlannedFolder } from './cluster-folder';
import { datasetHasZeros } from './runs';
import type { ClusterDataSource } from './cluster-data-file';
import { arrayScript, mergeScript, readme } from './cluster-scripts';

/**
 * Planning a job folder: the jobs exactly as the local run plans them, dealt to array tasks by
 * estimated cost, with time and memory per task from the engine's cost model.
 */

export interface ClusterPlanOptions {
  /** Array tasks (at most one per fit). */
  tasks: number;
  partition?: string;
  /** SLURM time limit per task; estimated when absent. */
  time?: string;
  /** Memory per task in MiB; estimated when absent. */
  memMiB?: number;
  /** CPUs per task (fits run side by side on them); default 1. */
  cpus?: number;
}

/** Node.js and the engine before the first fit: a fixed allowance per task on top of data and factors. */
const RUNTIME_OVERHEAD_MIB = 400;

/** `--time` as SLURM accepts it: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS. */
const SLURM_TIME = /^(\d+|\d+:\d{2}|\d+:\d{2}:\d{2}|\d+-\d+|\d+-\d+:\d{2}|\d+-\d+:\d{2}:\d{2})$/;
/** Partition names: letters, digits, `_`, `-`, `.`, and commas between several. */
const SLURM_PARTITION = /^[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*$/;

/**
 * What planning needs of the data: its shape, stored entries, size as held, whether it has zeros,
 * and its content hash — from the matrix in memory, or from what the library recorded of a
 * dataset (nothing of its matrix is read here).
 */
function describeData(data: ClusterDataSource): {
  shape: { rows: number; cols: number; nnz: number; layout: DataMatrix['kind'] };
  sizeBytes: number;
  hasZeros: boolean;
  hash: string;
} {
  if ('library' in data) {
    const { dataset } = data.library;
    return {
      shape: { rows: dataset.rows, cols: dataset.cols, nnz: dataset.nnz, layout: dataset.layout },
      sizeBytes: dataset.sizeBytes,
      hasZeros: datasetHasZeros(dataset),
      hash: dataset.hash,
    };
  }
  const { matrix } = data;
  const { nnz } = matrixStats(matrix);
  const sizeBytes =
    matrix.kind === 'dense'
      ? matrix.data.byteLength
      : matrix.data.byteLength + matrix.indices.byteLength + matrix.indptr.byteLength;
  return {
    shape: { rows: matrix.rows, cols: matrix.cols, nnz, layout: matrix.kind },
    sizeBytes,
    hasZeros: matrix.kind === 'csr' ? nnz < matrix.rows * matrix.cols : matrix.data.some((v) => v === 0),
    hash: contentHash(matrix, data.rowNames, data.colNames, data.transform),
  };
}

/** The longest partition list taken (the request schema's bound; SLURM's names are short). */
const MAX_PARTITION_CHARS = 200;

/** Refuses task counts, CPUs, time limits, partitions and memory SLURM would not take. */
function checkPlanOptions(options: ClusterPlanOptions): void {
  if (!Number.isInteger(options.tasks) || options.tasks < 1 || options.tasks > 10000)
    throw new ServiceError('bad_input', `tasks must be a whole number in 1..10000, got ${options.tasks}`);
  const cpus = options.cpus ?? 1;
  if (!Number.isInteger(cpus) || cpus < 1 || cpus > 256)
    throw new ServiceError('bad_input', `CPUs per task must be a whole number in 1..256, got ${cpus}`);
  if (options.time !== undefined && !SLURM_TIME.test(options.time))
    throw new ServiceError(
      'bad_input',
      `time limit must be minutes, HH:MM:SS or D-HH:MM:SS as SLURM takes it, got "${options.time}"`,
    );
  if (
    options.partition !== undefined &&
    (options.partition.length > MAX_PARTITION_CHARS || !SLURM_PARTITION.test(options.partition))
  ) {
    throw new ServiceError(
      'bad_input',
      `partition must be a SLURM partition name of at most ${MAX_PARTITION_CHARS} characters, got "${options.partition.slice(0, 40)}${options.partition.length > 40 ? '…' : ''}"`,
    );
  }
  if (options.memMiB !== undefined && (!Number.isInteger(options.memMiB) || options.memMiB < 1))
    throw new ServiceError('bad_input', `memory must be a whole number of MiB, got ${options.memMiB}`);
}

function zodProblems(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): ServiceError {
  return new ServiceError('bad_input', issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
}

/**
 * The data described for the cost model, once the fit at the largest rank (`largest`) and the plan
 * options are checked against it (the same refusals as a local job's, before any file).
 */
function checkedData(
  data: ClusterDataSource,
  largest: RunParams,
  options: ClusterPlanOptions,
): ReturnType<typeof describeData> {
  const described = describeData(data);
  checkParamsAgainstData(largest, described.shape.rows, described.shape.cols, described.hasZeros);
  checkPlanOptions(options);
  return described;
}

/**
 * Plans a sweep for a cluster: the jobs exactly as the local sweep plans them, dealt to array tasks
 * by estimated cost, with SLURM scripts whose time and memory come from the engine's cost model.
 *
 * @param rate multiply-adds per second of this machine (`engineRate`), standing in for a node's core
 * @param data the matrix in memory, or a library dataset (read in pieces when data.nmf is written)
 * @returns the plan, its small files (plan.json, sweep.sbatch, merge.sbatch, README.md) and the data
 * for data.nmf, to write with `writeJobFolder`
 */
export function planClusterSweep(
  data: ClusterDataSource,
  input: SweepParamsInput,
  options: ClusterPlanOptions,
  rate: number,
  now: string,
): PlannedFolder {
  const parsed = sweepParamsSchema.safeParse(input);
  if (!parsed.success) throw zodProblems(parsed.error.issues);
  const checkedParams = parsed.data;
  const described = checkedData(
    data,
    completeRunParams({ ...checkedParams.fit, rank: checkedParams.toRank }),
    options,
  );
  const { shape } = described;
  // The same decision a local sweep makes (stored in the plan, so the merge re-plans the same jobs).
  const params = withConsensusReplicates(shape, checkedParams);
  const jobs = planSweep(sweepSpecOf(params));
  const costs = jobs.map((job) => sweepJobWork(shape, job, params.fit.maxIter));
  return assemblePlan('sweep', data, params, params.toRank, jobs, costs, options, rate, described, now);
}

/**
 * Plans a consensus run for a cluster: every replicate fit of every rank, as the local consensus
 * plans them, dealt to array tasks by estimated cost (a fit's iteration budget times its work per
 * iteration at its rank). The merge builds each rank from the replicates as the local run does.
 *
 * @param rate multiply-adds per second of this machine (`engineRate`), standing in for a node's core
 * @param data the matrix in memory, or a library dataset (read in pieces when data.nmf is written)
 * @returns the plan, its small files (plan.json, consensus.sbatch, merge.sbatch, README.md) and the
 * data for data.nmf, to write with `writeJobFolder`
 */
export function planClusterConsensus(
  data: ClusterDataSource,
  input: ConsensusParamsInput,
  options: ClusterPlanOptions,
  rate: number,
  now: string,
): PlannedFolder {
  const parsed = consensusParamsSchema.safeParse(input);
  if (!parsed.success) throw zodProblems(parsed.error.issues);
  const params = parsed.data;
  const described = checkedData(data, consensusRunParams(params, params.toRank), options);
  const { shape } = described;
  const jobs = planConsensusReplicates(params);
  const costs = jobs.map((job) => fitWork(shape, job.rank, costSettingsOf(params.fit), params.fit.maxIter));
  return assemblePlan('consensus', data, params, params.toRank, jobs, costs, options, rate, described, now);
}

/** The plan, plan.json, the scripts and the README of a planned run of either kind. */
function assemblePlan(
  kind: ClusterPlan['kind'],
  data: ClusterDataSource,
  params: SweepParams | ConsensusParams,
  toRank: number,
  jobs: ReadonlyArray<SweepJob | ConsensusReplicateJob>,
  costs: number[],
  options: ClusterPlanOptions,
  rate: number,
  { shape, sizeBytes, hash }: ReturnType<typeof describeData>,
  now: string,
): PlannedFolder {
  const cpus = options.cpus ?? 1;
  const fits = planFits(jobs, costs, options.tasks);
  const tasks = Math.min(options.tasks, jobs.length);
  const resources = estimateResources(fits, tasks, cpus, rate, sizeBytes, shape, toRank, options);
  const plan: ClusterPlan = {
    format: CLUSTER_PLAN_FORMAT,
    version: CLUSTER_PLAN_VERSION,
    kind,
    planId: randomBytes(8).toString('hex'),
    createdAt: now,
    appVersion: APP_VERSION,
    engineVersion: ENGINE_VERSION,
    params,
    data: { file: JOB_FOLDER.data, hash, ...shape, name: data.name },
    tasks,
    resources,
    fits,
  };
  // The jobs must survive plan.json unchanged: the task runs what the file says.
  for (const fit of fits) {
    const problem = jsonProblem(fit.job, 'job');
    if (problem !== null) throw new Error(`job ${fit.id} cannot be written to plan.json: ${problem}`);
  }
  const files: PlannedFolder['files'] = [
    { path: JOB_FOLDER.plan, bytes: utf8(JSON.stringify(plan, null, 1) + '\n') },
    { path: arrayScriptName(kind), bytes: utf8(arrayScript(plan)), mode: 0o755 },
    { path: JOB_FOLDER.mergeScript, bytes: utf8(mergeScript(plan)), mode: 0o755 },
    { path: JOB_FOLDER.readme, bytes: utf8(readme(plan)) },
  ];
  return { plan, files, data };
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/**
 * Why `value` would not come back from JSON as it is (a non-finite number becomes null, a typed
 * array an object, a class instance a plain object), or null when it would. Keys holding
 * `undefined` are dropped by JSON, which the jobs' readers treat as absent.
 */
export function jsonProblem(value: unknown, path: string): string | null {
  if (value === null || typeof value === 'string' || typeof value === 'boolean' || value === undefined)
    return null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : `${path} is ${value}`;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      if (item === undefined) return `${path}[${i}] is undefined`;
      const problem = jsonProblem(item, `${path}[${i}]`);
      if (problem !== null) return problem;
    }
    return null;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, item] of Object.entries(value)) {
      const problem = jsonProblem(item, `${path}.${key}`);
      if (problem !== null) return problem;
    }
    return null;
  }
  return `${path} is a ${typeof value === 'object' ? (value as object).constructor.name : typeof value}`;
}

/**
 * Time and memory per array task from the cost model the local estimate uses: a task's fits run
 * side by side on its CPUs, so its time is its cost over `rate` × min(cpus, fits); memory is the
 * data, plus W, H and their temporaries for each fit running at once at the top rank, plus the
 * runtime's own allowance, with 50 % headroom.
 */
function estimateResources(
  fits: ClusterPlan['fits'],
  tasks: number,
  cpus: number,
  rate: number,
  sizeBytes: number,
  shape: { rows: number; cols: number },
  toRank: number,
  options: ClusterPlanOptions,
): ClusterResources {
  const load = new Array<number>(tasks).fill(0);
  const count = new Array<number>(tasks).fill(0);
  for (const fit of fits) {
    load[fit.task] += fit.cost;
    count[fit.task]++;
  }
  let worstSeconds = 0;
  for (let t = 0; t < tasks; t++)
    worstSeconds = Math.max(worstSeconds, load[t] / rate / Math.min(cpus, count[t]));
  const parallel = Math.min(cpus, Math.max(...count));
  const bytes = sizeBytes * 2 + parallel * fitFactorBytes(shape, toRank);
  const estimatedMiB = Math.ceil((bytes * 1.5) / 2 ** 20) + RUNTIME_OVERHEAD_MIB;
  const total = load.reduce((s, x) => s + x, 0);
  return {
    partition: options.partition ?? null,
    time: options.time ?? slurmTimeLimit(worstSeconds),
    memMiB: options.memMiB ?? estimatedMiB,
    cpus,
    basis:
      `${fits.length} fits in ${tasks} tasks; at most ${(total / 1e9).toFixed(2)} G multiply-adds in all, ` +
      `${(Math.max(...load) / 1e9).toFixed(2)} G in the largest task, ≈ ${Math.ceil(worstSeconds)} s at ` +
      `${(rate / 1e6).toFixed(0)} M multiply-adds/s per core (measured on the planning machine)` +
      (options.time ? '; time limit as given' : '; time limit = 3 × that + 10 min, at least 15 min') +
      (options.memMiB
        ? '; memory as given'
        : `; memory = 1.5 × (data twice + ${parallel} fit(s) at k = ${toRank}) + ${RUNTIME_OVERHEAD_MIB} MiB`),
  };
}
