import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { ServiceError, decodeFrame, encodeFrame } from '../../shared/api';
import { planSweep, type SweepJob, type SweepJobResult } from '../../shared/analysis';
import {
  CLUSTER_DATA_FORMAT,
  CLUSTER_PLAN_FORMAT,
  CLUSTER_PLAN_VERSION,
  CLUSTER_RESULT_FORMAT,
  JOB_FOLDER,
  arrayRanges,
  checkResults,
  clusterPlanSchema,
  planFits,
  slurmTimeLimit,
  type ClusterPlan,
  type ClusterResources,
  type ClusterResult,
  type ResultCheck,
  type TaskStamp,
} from '../../shared/analysis/cluster-plan';
import {
  ENGINE_VERSION,
  completeRunParams,
  matrixStats,
  sweepParamsSchema,
  type SweepParams,
  type SweepParamsInput,
  type SweepClusterProvenance,
  type SweepSummary,
  type Transform,
} from '../../shared/domain';
import type { DataMatrix } from '../../shared/linalg/matrix';
import { recordSweepJob, insertSweep } from '../db/queries/sweeps';
import type { JobHandle, WorkerPool } from '../workers/pool';
import type { SweepJobTaskResult } from '../workers/protocol';
import type { ServiceContext } from './context';
import { contentHash, getDatasetSummary, loadDataset, storeDataset } from './datasets';
import { checkParamsAgainstData, fitFactorBytes } from './runs';
import {
  finishSweepFromStoredResults,
  getSweepSummary,
  sweepJobWork,
  sweepSpecOf,
  withConsensusReplicates,
} from './sweeps';
import { createTarGz, readTarGz, type ArchiveEntry } from './tar';
import { APP_VERSION } from './version';

/**
 * Sweeps on a batch cluster (SLURM job arrays): a self-contained job folder is planned here, each
 * array task runs its share of the fits on a compute node (`sweep-task`), and the merge brings the
 * results into the library through the same summary and saving code as a local sweep, so the
 * stored sweep — and the `ranks.json` and `k<rank>/` folders written from it — are the same bits.
 * Job folder layout: docs/architecture.md, "Sweeps on a cluster".
 */

/** A matrix with what the library records about it, as the job folder carries it. */
export interface ClusterData {
  matrix: DataMatrix;
  rowNames: string[];
  colNames: string[];
  name: string;
  sourceName: string;
  format: string;
  /** Already applied to `matrix`. */
  transform: Transform;
  transposed: boolean;
}

/** The data file: the library's own binary frame (NMF1, see shared/api/codec.ts) of the matrix and its names. */
interface DataFile extends ClusterData {
  fileFormat: typeof CLUSTER_DATA_FORMAT;
  version: number;
  hash: string;
}

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

/** A bad job folder or a result that does not belong: the CLI exits with status 2 and this one line. */
export class ClusterFolderError extends ServiceError {
  constructor(message: string) {
    super('bad_input', message);
  }
}

/** Node.js and the engine before the first fit: a fixed allowance per task on top of data and factors. */
const RUNTIME_OVERHEAD_MIB = 400;

/** `--time` as SLURM accepts it: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS. */
const SLURM_TIME = /^(\d+|\d+:\d{2}|\d+:\d{2}:\d{2}|\d+-\d+|\d+-\d+:\d{2}|\d+-\d+:\d{2}:\d{2})$/;
/** Partition names: letters, digits, `_`, `-`, `.`, and commas between several. */
const SLURM_PARTITION = /^[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*$/;

function dataStats(matrix: DataMatrix): { nnz: number; sizeBytes: number } {
  const stats = matrixStats(matrix);
  const sizeBytes =
    matrix.kind === 'dense'
      ? matrix.data.byteLength
      : matrix.data.byteLength + matrix.indices.byteLength + matrix.indptr.byteLength;
  return { nnz: stats.nnz, sizeBytes };
}

/**
 * Plans a sweep for a cluster: the jobs exactly as the local sweep plans them, dealt to array tasks
 * by estimated cost, with SLURM scripts whose time and memory come from the engine's cost model.
 *
 * @param rate multiply-adds per second of this machine (`engineRate`), standing in for a node's core
 * @returns the folder's files (plan.json, data.nmf, sweep.sbatch, merge.sbatch, README.md) and the plan
 */
export function planClusterSweep(
  data: ClusterData,
  input: SweepParamsInput,
  options: ClusterPlanOptions,
  rate: number,
  now: string,
): { plan: ClusterPlan; files: ArchiveEntry[] } {
  const parsed = sweepParamsSchema.safeParse(input);
  if (!parsed.success)
    throw new ServiceError(
      'bad_input',
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    );
  const checkedParams = parsed.data;
  if (checkedParams.cvFolds === 1)
    throw new ServiceError('bad_input', 'cross-validation needs at least 2 folds (or 0 for none), got 1');
  const { matrix } = data;
  const { nnz, sizeBytes } = dataStats(matrix);
  checkParamsAgainstData(
    completeRunParams({ ...checkedParams.fit, rank: checkedParams.toRank }),
    matrix.rows,
    matrix.cols,
    matrix.kind === 'csr' ? nnz < matrix.rows * matrix.cols : matrix.data.some((v) => v === 0),
  );
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
  if (options.partition !== undefined && !SLURM_PARTITION.test(options.partition))
    throw new ServiceError(
      'bad_input',
      `partition must be a SLURM partition name, got "${options.partition}"`,
    );
  if (options.memMiB !== undefined && (!Number.isInteger(options.memMiB) || options.memMiB < 1))
    throw new ServiceError('bad_input', `memory must be a whole number of MiB, got ${options.memMiB}`);

  const hash = contentHash(matrix, data.rowNames, data.colNames, data.transform);
  const shape = { rows: matrix.rows, cols: matrix.cols, nnz, layout: matrix.kind };
  // The same decision a local sweep makes (stored in the plan, so the merge re-plans the same jobs).
  const params = withConsensusReplicates(shape, checkedParams);
  const jobs = planSweep(sweepSpecOf(params));
  const costs = jobs.map((job) => sweepJobWork(shape, job, params.fit.maxIter));
  const fits = planFits(jobs, costs, options.tasks);
  const tasks = Math.min(options.tasks, jobs.length);
  const resources = estimateResources(fits, tasks, cpus, rate, sizeBytes, shape, params.toRank, options);
  const plan: ClusterPlan = {
    format: CLUSTER_PLAN_FORMAT,
    version: CLUSTER_PLAN_VERSION,
    kind: 'sweep',
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
  const dataFile: DataFile = {
    ...data,
    fileFormat: CLUSTER_DATA_FORMAT,
    version: CLUSTER_PLAN_VERSION,
    hash,
  };
  const files: ArchiveEntry[] = [
    { path: JOB_FOLDER.plan, bytes: utf8(JSON.stringify(plan, null, 1) + '\n') },
    { path: JOB_FOLDER.data, bytes: encodeFrame(dataFile) },
    { path: JOB_FOLDER.sweepScript, bytes: utf8(sweepScript(plan)), mode: 0o755 },
    { path: JOB_FOLDER.mergeScript, bytes: utf8(mergeScript(plan)), mode: 0o755 },
    { path: JOB_FOLDER.readme, bytes: utf8(readme(plan)) },
  ];
  return { plan, files };
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

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

function sbatchHeader(plan: ClusterPlan, lines: string[]): string {
  const r = plan.resources;
  return [
    '#!/bin/bash',
    ...lines,
    `#SBATCH --cpus-per-task=${r.cpus}`,
    ...(r.partition ? [`#SBATCH --partition=${r.partition}`] : []),
  ].join('\n');
}

/**
 * The array job. Only this file (and merge.sbatch) is SLURM's: another array scheduler needs the
 * same command with its own directives and task variable (docs/architecture.md).
 */
function sweepScript(plan: ClusterPlan): string {
  const r = plan.resources;
  return `${sbatchHeader(plan, [
    `# NMF Studio sweep of ${plan.data.name} (${plan.data.rows} × ${plan.data.cols}): ${plan.fits.length} fits in ${plan.tasks} array tasks, plan ${plan.planId}.`,
    '# Submit from this folder: sbatch sweep.sbatch (see README.md). Resources: ' + r.basis + '.',
    '#SBATCH --job-name=nmf-sweep',
    `#SBATCH --array=0-${plan.tasks - 1}`,
    `#SBATCH --time=${r.time}`,
    `#SBATCH --mem=${r.memMiB}M`,
    '#SBATCH --output=logs/task-%a.out',
    '#SBATCH --open-mode=append',
    '#SBATCH --requeue',
  ])}
set -euo pipefail
DIR="\${SLURM_SUBMIT_DIR:-$(pwd)}"
if [ ! -f "$DIR/${JOB_FOLDER.plan}" ]; then
  echo "submit sweep.sbatch from its job folder (no ${JOB_FOLDER.plan} in $DIR)" >&2
  exit 2
fi
# The command that runs nmf-studio on the nodes; set NMF_STUDIO before sbatch to change it.
NMF_STUDIO="\${NMF_STUDIO:-nmf-studio}"
$NMF_STUDIO sweep-task "$DIR" --task "$SLURM_ARRAY_TASK_ID" --threads ${r.cpus} --progress
`;
}

function mergeScript(plan: ClusterPlan): string {
  return `${sbatchHeader(plan, [
    `# Checks and merges the results of plan ${plan.planId} once the array has ended (any outcome),`,
    '# writing ranks.json and k<rank>/ to merged/. It keeps no library on the cluster: bring the',
    '# folder home and import it (sweep-merge DIR, or "Import cluster results…" in the app).',
    '# Submit after the array: sbatch --dependency=afterany:<array job id> merge.sbatch',
    '#SBATCH --job-name=nmf-sweep-merge',
    `#SBATCH --time=${slurmTimeLimit(60)}`,
    `#SBATCH --mem=${plan.resources.memMiB}M`,
    '#SBATCH --output=logs/merge.out',
  ])}
set -euo pipefail
DIR="\${SLURM_SUBMIT_DIR:-$(pwd)}"
NMF_STUDIO="\${NMF_STUDIO:-nmf-studio}"
$NMF_STUDIO sweep-merge "$DIR" --no-save --out "$DIR/merged"
`;
}

function readme(plan: ClusterPlan): string {
  return `# NMF Studio sweep for a SLURM cluster

${plan.fits.length} fits of ${plan.data.name} (${plan.data.rows} × ${plan.data.cols}, ranks ${(plan.params as SweepParams).fromRank}–${(plan.params as SweepParams).toRank}) in ${plan.tasks} array tasks.
Each task: ${plan.resources.cpus} CPU(s), ${plan.resources.memMiB} MiB, time limit ${plan.resources.time}${plan.resources.partition ? `, partition ${plan.resources.partition}` : ''}.
(${plan.resources.basis}.)

## On the cluster's login node

Copy this folder to the cluster (e.g. \`scp -r\` or \`rsync -a\`), make \`nmf-studio\` (version ${plan.appVersion})
available on the nodes (\`npm install -g\` it, or \`export NMF_STUDIO="node /path/to/nmf-studio/bin/nmf-studio.js"\`),
then, in this folder, type:

    jobid=$(sbatch --parsable sweep.sbatch)
    sbatch --dependency=afterany:$jobid merge.sbatch

The first submits the array (task i runs \`nmf-studio sweep-task . --task i\`); the second checks and
merges the results when the array has ended. Logs go to \`logs/\`, one result file per fit to \`results/\`.
A task that is requeued or resubmitted skips the fits it already finished.

## Back home

Bring the whole folder back and merge it into your library:

    nmf-studio sweep-merge <this folder> --out <output folder>

or, in the app, "Import cluster results…" on the New sweep screen (as a .tar.gz of the folder).
If fits are missing, the merge lists them and prints the \`sbatch --array=…\` command that reruns
just their tasks.

Files: \`plan.json\` (every fit: rank, replicate or fold, seed, options; the data's SHA-256),
\`data.nmf\` (the matrix and its names in NMF Studio's binary frame), \`sweep.sbatch\`, \`merge.sbatch\`.
`;
}

/** Writes a planned folder to disk; refuses a folder that already holds a plan (results would mix). */
export async function writeJobFolder(dir: string, files: readonly ArchiveEntry[]): Promise<void> {
  if (existsSync(join(dir, JOB_FOLDER.plan)))
    throw new ClusterFolderError(
      `${dir} already holds a planned job (${JOB_FOLDER.plan}): choose another --out`,
    );
  await mkdir(join(dir, JOB_FOLDER.results), { recursive: true });
  await mkdir(join(dir, JOB_FOLDER.logs), { recursive: true });
  for (const file of files) {
    await writeFile(join(dir, file.path), file.bytes, { mode: file.mode ?? 0o644 });
  }
}

/** A library dataset as job-folder data. */
export function clusterDataOfDataset(ctx: ServiceContext, datasetId: number): ClusterData {
  const summary = getDatasetSummary(ctx, datasetId);
  const { matrix, rowNames, colNames } = loadDataset(ctx, datasetId);
  return {
    matrix,
    rowNames,
    colNames,
    name: summary.name,
    sourceName: summary.sourceName,
    format: summary.format,
    transform: summary.transform,
    transposed: summary.transposed,
  };
}

/** Reads and validates plan.json. */
export async function readPlan(dir: string): Promise<ClusterPlan> {
  const path = join(dir, JOB_FOLDER.plan);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new ClusterFolderError(`${path} is missing: ${dir} is not a job folder planned by nmf-studio`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ClusterFolderError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = clusterPlanSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ClusterFolderError(`${path}: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
  }
  const plan = parsed.data as ClusterPlan;
  const ids = new Set(plan.fits.map((f) => f.id));
  if (ids.size !== plan.fits.length) throw new ClusterFolderError(`${path}: two fits share an id`);
  for (const fit of plan.fits) {
    if (fit.task >= plan.tasks)
      throw new ClusterFolderError(`${path}: fit ${fit.id} is in task ${fit.task} of ${plan.tasks}`);
    if (fit.job.id !== fit.id) throw new ClusterFolderError(`${path}: fit ${fit.id} holds job ${fit.job.id}`);
  }
  return plan;
}

/** Reads data.nmf and checks it is the data the plan was made for (by content hash). */
export async function readPlanData(dir: string, plan: ClusterPlan): Promise<ClusterData & { hash: string }> {
  const path = join(dir, plan.data.file);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    throw new ClusterFolderError(`${path} is missing: the job folder is incomplete`);
  }
  let file: DataFile;
  try {
    file = decodeFrame(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as DataFile;
  } catch (error) {
    throw new ClusterFolderError(`${path} is not an NMF Studio data file: ${(error as Error).message}`);
  }
  if (file === null || typeof file !== 'object' || file.fileFormat !== CLUSTER_DATA_FORMAT)
    throw new ClusterFolderError(`${path} is not an NMF Studio data file`);
  const hash = contentHash(file.matrix, file.rowNames, file.colNames, file.transform);
  if (hash !== plan.data.hash)
    throw new ClusterFolderError(
      `data hash mismatch: ${path} hashes to ${hash.slice(0, 16)}…, ${JOB_FOLDER.plan} expects ${plan.data.hash.slice(0, 16)}… (the data file was changed or belongs to another plan)`,
    );
  return { ...file, hash };
}

/** A copy of the matrix on shared memory, so the pool's workers read it without copying. */
function sharedCopy(matrix: DataMatrix): DataMatrix {
  const share = <T extends Float64Array | Int32Array>(array: T): T => {
    const out = new (array.constructor as { new (b: SharedArrayBuffer): T })(
      new SharedArrayBuffer(array.byteLength),
    );
    out.set(array);
    return out;
  };
  return matrix.kind === 'dense'
    ? { ...matrix, data: share(matrix.data) }
    : { ...matrix, data: share(matrix.data), indices: share(matrix.indices), indptr: share(matrix.indptr) };
}

function decodeResult(bytes: Uint8Array): ClusterResult {
  const decoded = decodeFrame(bytes) as ClusterResult;
  if (decoded === null || typeof decoded !== 'object' || decoded.format !== CLUSTER_RESULT_FORMAT)
    throw new Error('not an NMF Studio result file');
  return decoded;
}

/** Result files present for the plan's fits (a file that cannot be read is reported as its error). */
export async function readResults(
  dir: string,
  plan: ClusterPlan,
): Promise<Map<string, ClusterResult | Error>> {
  const folder = join(dir, JOB_FOLDER.results);
  const present = new Set(existsSync(folder) ? await readdir(folder) : []);
  const found = new Map<string, ClusterResult | Error>();
  for (const fit of plan.fits) {
    if (!present.has(fit.file)) continue;
    try {
      const bytes = await readFile(join(folder, fit.file));
      found.set(fit.id, decodeResult(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)));
    } catch (error) {
      found.set(fit.id, new Error(`unreadable: ${(error as Error).message}`));
    }
  }
  return found;
}

/**
 * Writes a file so that readers see either nothing or all of it: the bytes go to a temporary file
 * beside the target (same directory, so the same file system), are flushed to disk, and the file is
 * renamed over the target — rename is atomic on POSIX file systems, NFS and Lustre included.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temporary = `${path}.${hostname()}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temporary, 'w', 0o644);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

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
  if (plan.kind !== 'sweep')
    throw new ClusterFolderError(
      `${join(dir, JOB_FOLDER.plan)} plans a ${plan.kind} run; this version runs sweep plans`,
    );
  if (!Number.isInteger(task) || task < 0 || task >= plan.tasks)
    throw new ClusterFolderError(`--task must be in 0..${plan.tasks - 1} for this plan, got ${task}`);
  const data = await readPlanData(dir, plan);
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
  const matrix = sharedCopy(data.matrix);
  const handles: JobHandle[] = [];
  let finished = 0;
  try {
    await Promise.all(
      pending.map(async (fit) => {
        const handle = pool.submit({ kind: 'sweep-job', matrix, job: fit.job as unknown as SweepJob });
        handles.push(handle);
        const { result } = (await handle.promise) as SweepJobTaskResult;
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
        log(
          `task ${task}: ${fit.id} done (${finished}/${pending.length}, ${result.iterations} iterations, ${result.seconds.toFixed(2)} s)`,
        );
      }),
    );
  } catch (error) {
    for (const handle of handles) handle.cancel();
    throw error;
  }
  return { task, fits: mine.length, skipped, ran: pending.length };
}

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

/** Largest archive the app unpacks (the data file dominates; 4 GiB covers a 1M-cell sparse matrix). */
const MAX_ARCHIVE_BYTES = 4 * 2 ** 30;

/** The job folder of a library dataset's sweep as a .tar.gz, for the app's "Run on a cluster…". */
export function exportClusterArchive(
  ctx: ServiceContext,
  datasetId: number,
  params: SweepParamsInput,
  options: ClusterPlanOptions,
  rate: number,
): { fileName: string; bytes: Uint8Array; fits: number; tasks: number } {
  const data = clusterDataOfDataset(ctx, datasetId);
  const { plan, files } = planClusterSweep(data, params, options, rate, ctx.now());
  const top = `nmf-sweep-${safeName(data.name)}-${plan.planId.slice(0, 6)}`;
  const entries: ArchiveEntry[] = [
    ...files.map((f) => ({ ...f, path: `${top}/${f.path}` })),
    // Empty folders do not survive every unpacker; a placeholder keeps results/ and logs/.
    { path: `${top}/${JOB_FOLDER.results}/.keep`, bytes: new Uint8Array(0) },
    { path: `${top}/${JOB_FOLDER.logs}/.keep`, bytes: new Uint8Array(0) },
  ];
  return {
    fileName: `${top}.tar.gz`,
    bytes: createTarGz(entries, Date.parse(plan.createdAt) / 1000),
    fits: plan.fits.length,
    tasks: plan.tasks,
  };
}

function safeName(name: string): string {
  return (
    name
      .replace(/[^A-Za-z0-9_-]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40) || 'data'
  );
}

/**
 * Merges a finished job folder uploaded as a .tar.gz (or .tar): unpacked into a private temporary
 * folder (one top folder is stripped), merged as `sweep-merge` does, cleaned up.
 */
export async function importClusterArchive(
  ctx: ServiceContext,
  file: { fileName: string; bytes: Uint8Array },
): Promise<SweepSummary> {
  let entries: ArchiveEntry[];
  try {
    entries = readTarGz(file.bytes, MAX_ARCHIVE_BYTES);
  } catch (error) {
    throw new ServiceError(
      'bad_input',
      `${file.fileName} is not a readable .tar.gz of a job folder: ${(error as Error).message}`,
    );
  }
  const planEntry = entries.find((e) => e.path === JOB_FOLDER.plan || /^[^/]+\/plan\.json$/.test(e.path));
  if (!planEntry)
    throw new ServiceError('bad_input', `${file.fileName} holds no ${JOB_FOLDER.plan}: not a job folder`);
  const prefix = planEntry.path.slice(0, planEntry.path.length - JOB_FOLDER.plan.length);
  const staged = await mkdtemp(join(ctx.app.tempDir, 'nmf-cluster-'));
  try {
    const dir = join(staged, 'folder');
    for (const entry of entries) {
      if (!entry.path.startsWith(prefix)) continue;
      const target = join(dir, entry.path.slice(prefix.length));
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, entry.bytes);
    }
    return await mergeClusterSweep(ctx, dir);
  } catch (error) {
    if (error instanceof ClusterFolderError) {
      // Paths inside the staging folder mean nothing to the user: name the archive instead.
      throw new ServiceError('bad_input', error.message.split(join(staged, 'folder')).join(file.fileName));
    }
    throw error;
  } finally {
    await rm(staged, { recursive: true, force: true });
  }
}
