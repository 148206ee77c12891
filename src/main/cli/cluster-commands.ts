import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { ServiceError } from '../../shared/api';
import { arrayScriptName } from '../../shared/analysis/cluster-plan';
import type { ClusterExportPhase } from '../../shared/api/cluster-export';
import type { ClusterPlan } from '../../shared/analysis/cluster-plan';
import { consensusParamsSchema, type ConsensusParams, type SweepParams } from '../../shared/domain';
import { engineRate } from '../services/calibrate';
import {
  clusterDataOfDataset,
  mergeClusterConsensus,
  mergeClusterSweep,
  planClusterConsensus,
  planClusterSweep,
  readPlan,
  runClusterTask,
  writeJobFolder,
  type ClusterData,
  type ClusterDataSource,
  type ClusterPlanOptions,
  type PlannedFolder,
} from '../services/cluster';
import { meteredProgress, type FolderProgressListener } from '../services/cluster-progress';
import { getConsensusDetail } from '../services/consensus';
import { defaultDatasetName, readImportFile, type ImportOptions } from '../services/datasets';
import { getSweepDetail } from '../services/sweeps';
import { choiceFlag, numberFlag, parse, pathOrId, requireString, UsageError } from './args';
import { writeSweepFolder, type CliIo, type OpenServices } from './commands';
import { writeConsensusFolder } from './consensus-commands';
import {
  checkOutFolder,
  consensusLayout,
  CONSENSUS_RANGE_LAYOUT,
  SWEEP_LAYOUT,
  type OutputLayout,
} from './out-folder';

/**
 * The cluster commands (CLI.md "Additions"): `sweep … --plan slurm` and `consensus … --plan slurm`
 * write a job folder, `sweep-task` runs one array task of either kind on a node, `sweep-merge`
 * brings the results into the library and writes what the local `sweep` or `consensus` writes.
 */

/** The `sweep` flags that only `--plan slurm` takes. */
export const clusterPlanFlags = {
  plan: { type: 'string' },
  tasks: { type: 'string' },
  submit: { type: 'boolean' },
  'slurm-partition': { type: 'string' },
  'slurm-time': { type: 'string' },
  'slurm-mem': { type: 'string' },
  'slurm-cpus': { type: 'string' },
} as const;

/** A local sweep given cluster flags: refused, so nobody waits for a sweep they meant to submit. */
export function refuseClusterFlagsWithoutPlan(values: Record<string, unknown>): void {
  const given = Object.keys(clusterPlanFlags).filter((name) => name !== 'plan' && values[name] !== undefined);
  if (given.length > 0) throw new UsageError(`--${given[0]} goes with --plan slurm`);
}

/** `--slurm-mem` as SLURM writes it (4000, 4000M, 4G, 1T) → MiB. */
function memoryFlag(values: Record<string, unknown>): number | undefined {
  const raw = values['slurm-mem'];
  if (raw === undefined) return undefined;
  const match = /^(\d+)([KMGT]?)B?$/i.exec(String(raw).trim());
  if (!match) throw new UsageError(`--slurm-mem must be like 4000M or 16G, got "${String(raw)}"`);
  const value = Number(match[1]);
  const unit = match[2].toUpperCase();
  const mib =
    unit === 'K'
      ? Math.ceil(value / 1024)
      : unit === 'G'
        ? value * 1024
        : unit === 'T'
          ? value * 1024 ** 2
          : value;
  if (mib < 1) throw new UsageError(`--slurm-mem must be at least 1M, got "${String(raw)}"`);
  return mib;
}

/** Whether a program is on the PATH. */
function onPath(program: string): boolean {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .some((dir) => dir !== '' && existsSync(join(dir, program)));
}

/** Runs `sbatch --parsable …` in the job folder and returns the job id. */
function sbatch(dir: string, args: string[], env: NodeJS.ProcessEnv): string {
  const result = spawnSync('sbatch', ['--parsable', ...args], { cwd: dir, env, encoding: 'utf8' });
  if (result.error) throw new Error(`sbatch failed to start: ${result.error.message}`);
  if (result.status !== 0)
    throw new Error(`sbatch ${args.join(' ')} failed (status ${result.status}): ${result.stderr.trim()}`);
  // --parsable prints "jobid" or "jobid;cluster".
  return result.stdout.trim().split(';')[0];
}

/** `--tasks` and the `--slurm-*` flags as plan options; refuses `--submit` without sbatch. */
function planOptionsOf(values: Record<string, unknown>): ClusterPlanOptions {
  const scheduler = choiceFlag(values, 'plan', ['slurm'] as const);
  if (scheduler === undefined) throw new UsageError('--plan must be slurm');
  const options: ClusterPlanOptions = {
    tasks: numberFlag(values, 'tasks', { integer: true, min: 1, max: 10000 }) ?? 1,
    cpus: numberFlag(values, 'slurm-cpus', { integer: true, min: 1, max: 256 }),
    time: typeof values['slurm-time'] === 'string' ? values['slurm-time'] : undefined,
    partition: typeof values['slurm-partition'] === 'string' ? values['slurm-partition'] : undefined,
    memMiB: memoryFlag(values),
  };
  if (values.submit === true && !onPath('sbatch'))
    throw new UsageError(
      '--submit needs sbatch on the PATH (run it on the cluster login node, or submit by hand)',
    );
  return options;
}

/** A matrix file as job-folder data (nothing goes into the library). */
async function clusterDataOfFile(matrixPath: string, importOptions: ImportOptions): Promise<ClusterData> {
  const imported = await readImportFile(matrixPath, importOptions);
  const name = importOptions.name ?? defaultDatasetName(imported.displayName);
  return {
    matrix: imported.matrix,
    rowNames: imported.rowNames,
    colNames: imported.colNames,
    name,
    sourceName: imported.displayName,
    format: imported.format,
    transform: importOptions.transform,
    transposed: imported.transposed,
  };
}

/** A size as the progress lines give it: decimal kB below a megabyte, else MB, one decimal ("1083.4 MB"). */
function decimalSize(bytes: number): string {
  return bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} kB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

/**
 * The folder's steps as stderr lines, at most one a second per step and each step's start and end
 * (CLI.md: progress on stderr when it is a terminal or `--progress` is given; stdout keeps only
 * the result): `plan: writing data.nmf 41% (1083.4 MB of 2630.2 MB), 12.0 s elapsed, ~17.3 s left`.
 */
function planProgressLines(io: CliIo): FolderProgressListener {
  const step: Record<ClusterExportPhase, string> = {
    data: 'writing data.nmf',
    files: 'writing the scripts, README.md and plan.json',
    archive: 'packing the archive',
  };
  return meteredProgress(
    ({ phase, doneBytes, totalBytes, elapsedMs, remainingMs }) => {
      const percent = totalBytes === 0 ? 100 : Math.floor((100 * doneBytes) / totalBytes);
      const parts = [
        `plan: ${step[phase]} ${percent}% (${decimalSize(doneBytes)} of ${decimalSize(totalBytes)})`,
        `${(elapsedMs / 1000).toFixed(1)} s elapsed`,
      ];
      if (remainingMs !== null && doneBytes < totalBytes)
        parts.push(`~${(remainingMs / 1000).toFixed(1)} s left`);
      io.stderr(parts.join(', ') + '\n');
    },
    { intervalMs: 1000 },
  );
}

/** Writes the planned folder, with `--submit` hands it to sbatch, and prints what was planned. */
async function writePlannedFolder(
  dir: string,
  planned: PlannedFolder,
  values: Record<string, unknown>,
  io: CliIo,
): Promise<void> {
  const { plan } = planned;
  const showProgress = io.stderrIsTty || values.progress === true;
  await writeJobFolder(dir, planned, showProgress ? { onProgress: planProgressLines(io) } : {});
  const script = arrayScriptName(plan.kind);
  let submitted: { array_job: string; merge_job: string } | null = null;
  if (values.submit === true) {
    // The nodes run the same nmf-studio as this command unless NMF_STUDIO says otherwise.
    const env = {
      ...process.env,
      NMF_STUDIO: process.env.NMF_STUDIO ?? `${process.execPath} ${process.argv[1]}`,
    };
    const arrayJob = sbatch(dir, [script], env);
    const mergeJob = sbatch(dir, [`--dependency=afterany:${arrayJob}`, 'merge.sbatch'], env);
    submitted = { array_job: arrayJob, merge_job: mergeJob };
  }
  io.stdout(
    JSON.stringify(
      {
        dir,
        plan_id: plan.planId,
        fits: plan.fits.length,
        tasks: plan.tasks,
        data_hash: plan.data.hash,
        resources: plan.resources,
        submitted,
        next: submitted
          ? `when job ${submitted.merge_job} has run: nmf-studio sweep-merge ${dir} --out <folder>`
          : `cd ${dir} && jobid=$(sbatch --parsable ${script}) && sbatch --dependency=afterany:$jobid merge.sbatch`,
      },
      null,
      2,
    ) + '\n',
  );
}

/** A matrix file, or a library dataset named by its id (a number that is not a file here). */
export type PlanSource = { matrixPath: string; importOptions: ImportOptions } | { datasetId: number };

/**
 * `<matrix|dataset-id>` as a source (`pathOrId`): an existing file stays a file even when its name
 * is a number; `command` names the command in the refusal of a bad id.
 */
export function planSourceOf(positional: string, importOptions: ImportOptions, command: string): PlanSource {
  const source = pathOrId(positional, command, 'datasets list');
  return 'id' in source ? { datasetId: source.id } : { matrixPath: positional, importOptions };
}

/**
 * Plans a job folder from a matrix file (read here; nothing goes into the library) or a library
 * dataset (opened read-only; data.nmf is written from its chunks while the library is open, never
 * loading the matrix), writes it, and with `--submit` hands it to sbatch.
 */
async function planFolderCommand(
  source: PlanSource,
  plan: (data: ClusterDataSource, options: ClusterPlanOptions) => PlannedFolder,
  values: Record<string, unknown>,
  io: CliIo,
  open: OpenServices,
): Promise<void> {
  const options = planOptionsOf(values);
  const dir = resolve(requireString(values, 'out'));
  if (!('datasetId' in source)) {
    const data = await clusterDataOfFile(source.matrixPath, source.importOptions);
    return writePlannedFolder(dir, plan(data, options), values, io);
  }
  const services = open({
    libraryPath: typeof values.db === 'string' ? values.db : undefined,
    threads: 1,
    readOnly: true,
  });
  try {
    let data: ClusterDataSource;
    try {
      data = clusterDataOfDataset(services.ctx, source.datasetId);
    } catch (error) {
      if (error instanceof ServiceError && error.code === 'not_found') throw new UsageError(error.message);
      throw error;
    }
    await writePlannedFolder(dir, plan(data, options), values, io);
  } finally {
    await services.close();
  }
}

/**
 * `sweep <matrix|dataset-id> … --plan slurm --out DIR`: plans the sweep as a job folder (a matrix
 * file goes nowhere near the library; a dataset id is read from it), and with `--submit` hands it
 * to sbatch.
 */
export async function planSweepCommand(
  source: PlanSource,
  params: SweepParams,
  values: Record<string, unknown>,
  io: CliIo,
  open: OpenServices,
): Promise<void> {
  return planFolderCommand(
    source,
    (data, options) => planClusterSweep(data, params, options, engineRate(), new Date().toISOString()),
    values,
    io,
    open,
  );
}

/**
 * `consensus <matrix|dataset-id> … --plan slurm --out DIR`: plans the consensus run's replicate fits
 * as a job folder (a matrix file goes nowhere near the library; a dataset id is read from it), and
 * with `--submit` hands it to sbatch. `sweep-task` runs its tasks and `sweep-merge` merges it.
 */
export async function planConsensusCommand(
  source: PlanSource,
  params: ConsensusParams,
  values: Record<string, unknown>,
  io: CliIo,
  open: OpenServices,
): Promise<void> {
  return planFolderCommand(
    source,
    (data, options) => planClusterConsensus(data, params, options, engineRate(), new Date().toISOString()),
    values,
    io,
    open,
  );
}

/** `sweep-task DIR --task I [--threads T]`: runs one array task's fits; never opens a library file. */
export async function sweepTaskCommand(args: string[], io: CliIo, open: OpenServices): Promise<void> {
  const { values, positionals } = parse(args, {
    task: { type: 'string' },
    threads: { type: 'string' },
    progress: { type: 'boolean' },
  });
  if (positionals.length !== 1) throw new UsageError('sweep-task takes one job folder DIR');
  const task = numberFlag(values, 'task', { integer: true, min: 0 });
  if (task === undefined) throw new UsageError('--task is required (the array task number, from 0)');
  const threads = numberFlag(values, 'threads', { integer: true, min: 1, max: 256 }) ?? 1;
  const log =
    io.stderrIsTty || values.progress === true ? (line: string) => io.stderr(`${line}\n`) : () => undefined;
  // An in-memory library: the task only needs the worker pool (SQLite on a shared file system is unsafe).
  const services = open({ inMemory: true, threads });
  try {
    const report = await runClusterTask(services.ctx.pool, resolve(positionals[0]), task, log);
    io.stdout(JSON.stringify(report) + '\n');
  } finally {
    await services.close();
  }
}

/**
 * The layout `sweep-merge --out` writes for a plan: a sweep's, or a consensus's over its ranks
 * (a plan whose consensus settings do not parse is refused by the merge itself, after this).
 */
function mergedLayout(plan: ClusterPlan): OutputLayout {
  if (plan.kind === 'sweep') return SWEEP_LAYOUT;
  const params = consensusParamsSchema.safeParse(plan.params);
  return params.success ? consensusLayout(params.data.fromRank, params.data.toRank) : CONSENSUS_RANGE_LAYOUT;
}

/** `sweep-merge DIR [--db FILE] [--no-save] [--out OUT]`: checks, stores in the library, writes ranks.json and k<rank>/. */
export async function sweepMergeCommand(args: string[], io: CliIo, open: OpenServices): Promise<void> {
  const { values, positionals } = parse(args, {
    db: { type: 'string' },
    'no-save': { type: 'boolean' },
    out: { type: 'string' },
    normalize: { type: 'string' },
  });
  if (positionals.length !== 1) throw new UsageError('sweep-merge takes one job folder DIR');
  const normalize = choiceFlag(values, 'normalize', ['l1', 'l2'] as const);
  const plan = await readPlan(resolve(positionals[0]));
  // --out is checked before the merge stores anything, for the layout this plan's results take.
  if (typeof values.out === 'string') checkOutFolder(values.out, mergedLayout(plan));
  const services = open({
    libraryPath: typeof values.db === 'string' ? values.db : undefined,
    noSave: values['no-save'] === true,
    threads: 1,
  });
  try {
    const dir = resolve(positionals[0]);
    if (plan.kind === 'consensus') {
      const merged = await mergeClusterConsensus(services.ctx, dir);
      if (typeof values.out === 'string')
        await writeConsensusFolder(services, merged.id, values.out, normalize, io);
      const detail = getConsensusDetail(services.ctx, merged.id);
      io.stdout(
        JSON.stringify(
          {
            consensus_id: detail.id,
            dataset_id: detail.datasetId,
            ranks: detail.ranks.map((entry) => ({
              rank: entry.rank,
              run_id: entry.runId,
              error: entry.error,
            })),
            fits: detail.jobsTotal,
            cluster: detail.cluster ?? null,
          },
          null,
          2,
        ) + '\n',
      );
      return;
    }
    const summary = await mergeClusterSweep(services.ctx, dir);
    if (typeof values.out === 'string') await writeSweepFolder(services, summary.id, values.out, normalize);
    const detail = getSweepDetail(services.ctx, summary.id);
    io.stdout(
      JSON.stringify(
        {
          sweep_id: summary.id,
          dataset_id: summary.datasetId,
          recommended: summary.recommended,
          criterion: summary.criterion,
          fits: summary.jobsTotal,
          cluster: detail.cluster ?? null,
        },
        null,
        2,
      ) + '\n',
    );
  } finally {
    await services.close();
  }
}
