import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ServiceError } from '../../shared/api';
import {
  alignComponents,
  assignModules,
  planSweep,
  synthesizeGeneModules,
  toRanksJson,
} from '../../shared/analysis';
import {
  completeRunParams,
  sweepParamsSchema,
  formatLoss,
  lossNames,
  parseLoss,
  type JobProgress,
  type RunDetail,
  type RunParamsInput,
  type SweepParamsInput,
} from '../../shared/domain';
import { dense, type DataMatrix, type DenseMatrix } from '../../shared/linalg/matrix';
import { normalizeFactors } from '../../shared/nmf';
import { neutraliseFormula } from '../../shared/export/spreadsheet';
import { readFactorsTsv, writeFactorsTsv, writeMatrixTsv, type MatrixFormat } from '../io';
import { insertRun } from '../db/queries/runs';
import { insertSweep } from '../db/queries/sweeps';
import {
  deleteDatasetById,
  getDatasetDetail,
  getDatasetSummary,
  importDatasetFile,
  listDatasetSummaries,
  readImportFile,
  storeImported,
  type ImportOptions,
} from '../services/datasets';
import type { Services } from '../services';
import {
  deleteRun,
  executeRun,
  getRunDetail,
  getRunSummary,
  listRunSummaries,
  checkParamsAgainstData,
} from '../services/runs';
import { executeSweep, getSweepDetail, sweepSpecOf, withConsensusReplicates } from '../services/sweeps';
import { exportLibrary, importFactors, importLibrary, importRunFolder } from '../services/transfer';
import { choiceFlag, numberFlag, parse, parseRankRange, requireString, UsageError } from './args';
import { clusterPlanFlags, planSweepCommand, refuseClusterFlagsWithoutPlan } from './cluster-commands';
import { classesForRunsShow } from './reading';

/**
 * The `nmf-studio` commands (CLI.md). Each takes its arguments and an opener for the services
 * (so `--db` and `--no-save` decide which library), prints results on stdout and progress on stderr.
 */

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stderrIsTty: boolean;
}

export type OpenServices = (options: {
  libraryPath?: string;
  inMemory?: boolean;
  threads?: number;
  /** Only reads: the library is opened read-only (nothing written, job states untouched). */
  readOnly?: boolean;
}) => Services;

export const matrixInputOptions = {
  format: { type: 'string' },
  transpose: { type: 'boolean' },
  'no-header': { type: 'boolean' },
  'no-row-names': { type: 'boolean' },
  db: { type: 'string' },
  progress: { type: 'boolean' },
  name: { type: 'string' },
} as const;

export const fitOptions = {
  loss: { type: 'string' },
  solver: { type: 'string' },
  init: { type: 'string' },
  'max-iter': { type: 'string' },
  tol: { type: 'string' },
  seed: { type: 'string' },
  'l1-w': { type: 'string' },
  'l2-w': { type: 'string' },
  'l1-h': { type: 'string' },
  'l2-h': { type: 'string' },
  warmup: { type: 'string' },
  'batch-size': { type: 'string' },
  threads: { type: 'string' },
  'no-save': { type: 'boolean' },
  out: { type: 'string' },
  normalize: { type: 'string' },
} as const;

/** Whether V has an observed zero (implicit in CSR, or stored). */
export function hasZeroEntry(matrix: DataMatrix): boolean {
  if (matrix.kind === 'csr' && matrix.data.length < matrix.rows * matrix.cols) return true;
  return matrix.data.some((v) => v === 0);
}

const formats: readonly MatrixFormat[] = ['tsv', 'csv', 'txt', 'mtx', 'npy', 'h5ad', '10x-h5'];

export function importOptionsOf(values: Record<string, unknown>): ImportOptions {
  return {
    name: typeof values.name === 'string' ? values.name : undefined,
    format: choiceFlag(values, 'format', formats),
    transpose: values.transpose === true,
    header: values['no-header'] !== true,
    rowNames: values['no-row-names'] !== true,
    transform: 'none',
  };
}

/** Fit flags → run parameters (without rank and replicates). */
export function fitParamsOf(values: Record<string, unknown>): Omit<RunParamsInput, 'rank'> {
  const lossText = typeof values.loss === 'string' ? values.loss : 'kl';
  const loss = parseLoss(lossText);
  if (!loss)
    throw new UsageError(
      `--loss must be one of ${lossNames.filter((l) => l !== 'beta').join(', ')} or beta=<b>, got "${lossText}"`,
    );
  const params: Omit<RunParamsInput, 'rank'> = { loss: loss.loss, beta: loss.beta };
  const solver = choiceFlag(values, 'solver', ['mu', 'hals', 'als', 'minibatch'] as const);
  if (solver) params.solver = solver;
  const batchSize = numberFlag(values, 'batch-size', { integer: true, min: 1, max: 100_000_000 });
  if (batchSize !== undefined) {
    if (solver !== 'minibatch') throw new UsageError('--batch-size applies to --solver minibatch only');
    params.batchSize = batchSize;
  }
  const init = choiceFlag(values, 'init', ['random', 'nndsvd', 'nndsvda', 'nndsvdar'] as const);
  if (init) params.init = init;
  const maxIter = numberFlag(values, 'max-iter', { integer: true, min: 1 });
  if (maxIter !== undefined) params.maxIter = maxIter;
  const tol = numberFlag(values, 'tol', { min: 0, max: 1 });
  if (tol !== undefined) params.tol = tol;
  const seed = numberFlag(values, 'seed', { integer: true, min: 0, max: 2 ** 31 - 1 });
  if (seed !== undefined) params.seed = seed;
  for (const [flag, key] of [
    ['l1-w', 'l1W'],
    ['l2-w', 'l2W'],
    ['l1-h', 'l1H'],
    ['l2-h', 'l2H'],
  ] as const) {
    const value = numberFlag(values, flag, { min: 0 });
    if (value !== undefined) params[key] = value;
  }
  const warmup = numberFlag(values, 'warmup', { integer: true, min: 0, max: 100_000 });
  if (warmup !== undefined) params.warmup = warmup;
  return params;
}

export function openFor(values: Record<string, unknown>, open: OpenServices, readOnly = false): Services {
  return open({
    libraryPath: typeof values.db === 'string' ? values.db : undefined,
    inMemory: values['no-save'] === true,
    threads: numberFlag(values, 'threads', { integer: true, min: 1, max: 256 }),
    readOnly,
  });
}

/** Prints job progress to stderr at most once a second, when stderr is a terminal or --progress is given. */
export function followProgress(services: Services, io: CliIo, enabled: boolean, label: string): () => void {
  if (!enabled) return () => undefined;
  let last = 0;
  return services.ctx.events.subscribe((event, payload) => {
    if (event !== 'jobs:progress') return;
    const p = payload as JobProgress;
    const now = Date.now();
    if (now - last < 1000 && p.state === 'running') return;
    last = now;
    const parts = [`${label}: ${p.state}`];
    if (p.jobsTotal !== undefined) parts.push(`jobs ${p.jobsDone ?? 0}/${p.jobsTotal}`);
    parts.push(`iteration ${p.iteration}/${p.maxIter}`);
    if (p.loss !== null) parts.push(`loss ${p.loss.toPrecision(6)}`);
    parts.push(`${(p.elapsedMs / 1000).toFixed(1)} s elapsed`);
    if (p.remainingMs !== null && p.state === 'running')
      parts.push(`~${(p.remainingMs / 1000).toFixed(1)} s left`);
    io.stderr(parts.join(', ') + '\n');
  });
}

/** W.tsv, H.tsv and run.json of a finished run, exactly as CLI.md's `fit` writes them. */
export async function writeRunFolder(
  dir: string,
  run: RunDetail,
  normalize: 'l1' | 'l2' | undefined,
): Promise<void> {
  if (!run.W || !run.H) throw new Error(`run ${run.id} has no factors (state ${run.state})`);
  const k = run.params.rank;
  let W: DenseMatrix = dense(run.rows, k, run.W);
  let H: DenseMatrix = dense(k, run.cols, run.H);
  if (normalize) ({ W, H } = normalizeFactors(W, H, normalize));
  await mkdir(dir, { recursive: true });
  // Names come from the user's files: neutralised against spreadsheet formulas (`runs import` reads them back).
  await writeFactorsTsv(dir, {
    W,
    H,
    featureNames: run.featureNames.map(neutraliseFormula),
    sampleNames: run.sampleNames.map(neutraliseFormula),
  });
  const runJson = {
    params: {
      ...run.params,
      loss: formatLoss(run.params.loss, run.params.beta),
      normalize: normalize ?? 'none',
    },
    iterations: run.iterations,
    converged: run.converged,
    loss: run.loss,
    loglik: run.loglik,
    seconds: run.seconds,
    trace: run.trace,
    run_id: run.id,
    provenance: run.provenance,
  };
  await writeFile(join(dir, 'run.json'), JSON.stringify(runJson, null, 2) + '\n');
}

export async function fitCommand(args: string[], io: CliIo, open: OpenServices): Promise<void> {
  const { values, positionals } = parse(args, {
    ...matrixInputOptions,
    ...fitOptions,
    rank: { type: 'string' },
    replicates: { type: 'string' },
    'init-w': { type: 'string' },
    'init-h': { type: 'string' },
  });
  if (positionals.length !== 1) throw new UsageError('fit takes one <matrix> path');
  const rank = numberFlag(values, 'rank', { integer: true, min: 1 });
  if (rank === undefined) throw new UsageError('--rank is required');
  const out = requireString(values, 'out');
  const normalize = choiceFlag(values, 'normalize', ['l1', 'l2'] as const);
  const replicates = numberFlag(values, 'replicates', { integer: true, min: 1, max: 1000 }) ?? 1;
  const hasInitW = typeof values['init-w'] === 'string';
  if (hasInitW !== (typeof values['init-h'] === 'string'))
    throw new UsageError('--init-w and --init-h go together');
  const params = completeRunParams({ ...fitParamsOf(values), rank, replicates });
  const services = openFor(values, open);
  // Workers start while the file is read (each replicate is a job of its own).
  services.ctx.pool.warm(replicates);
  const stop = followProgress(services, io, io.stderrIsTty || values.progress === true, 'fit');
  try {
    // Read and check first, so refused settings add nothing to the library.
    const importOptions = importOptionsOf(values);
    const imported = await readImportFile(positionals[0], importOptions);
    checkParamsAgainstData(params, imported.matrix.rows, imported.matrix.cols, hasZeroEntry(imported.matrix));
    const { dataset } = storeImported(services.ctx, imported, importOptions);
    let start: { W0: DenseMatrix; H0: DenseMatrix } | undefined;
    if (hasInitW) {
      const detail = getDatasetDetail(services.ctx, dataset.id);
      const W0 = await readFactorsTsv(values['init-w'] as string, {
        kind: 'W',
        featureNames: detail.rowNames,
      });
      const H0 = await readFactorsTsv(values['init-h'] as string, {
        kind: 'H',
        sampleNames: detail.colNames,
      });
      if (W0.matrix.rows !== dataset.rows || W0.matrix.cols !== rank) {
        throw new UsageError(
          `--init-w must be ${dataset.rows} × ${rank} (features × rank), got ${W0.matrix.rows} × ${W0.matrix.cols}`,
        );
      }
      if (H0.matrix.rows !== rank || H0.matrix.cols !== dataset.cols) {
        throw new UsageError(
          `--init-h must be ${rank} × ${dataset.cols} (rank × samples), got ${H0.matrix.rows} × ${H0.matrix.cols}`,
        );
      }
      start = { W0: W0.matrix, H0: H0.matrix };
    }
    const id = insertRun(services.ctx.db, {
      dataset_id: dataset.id,
      sweep_id: null,
      params: JSON.stringify(params),
      created_at: services.ctx.now(),
      owner: services.ctx.owner,
    });
    const outcome = await executeRun(services.ctx, id, dataset.id, dataset.hash, params, start);
    const run = getRunDetail(services.ctx, id);
    if (outcome !== 'done') throw new Error(`fit ${outcome}: ${run.error ?? 'no reason recorded'}`);
    await writeRunFolder(out, run, normalize);
    for (const warning of run.provenance?.warnings ?? []) io.stderr(`warning: ${warning}\n`);
  } finally {
    stop();
    await services.close();
  }
}

/**
 * Writes a finished sweep as CLI.md's `ranks.json` and `k<rank>/` folders. Shared by `sweep` and
 * `sweep-merge`, so a sweep merged from cluster results is written with the same bytes.
 */
export async function writeSweepFolder(
  services: Services,
  id: number,
  out: string,
  normalize: 'l1' | 'l2' | undefined,
  outcome: string = 'done',
  warn: (line: string) => void = () => undefined,
): Promise<void> {
  const sweep = getSweepDetail(services.ctx, id);
  if (outcome !== 'done' || !sweep.recommendation)
    throw new Error(`sweep ${outcome}: ${sweep.error ?? 'no reason recorded'}`);
  await mkdir(out, { recursive: true });
  // CLI.md's fields, then what the library adds: the baseline's criteria, the saved run, the reasoning.
  const contract = toRanksJson({ ranks: sweep.ranks, recommendation: sweep.recommendation });
  const ranksJson = {
    ...contract,
    ranks: contract.ranks.map((r, i) => {
      const { baseline, runId } = sweep.ranks[i];
      return {
        ...r,
        baseline: baseline
          ? {
              loss: baseline.loss,
              cv_error: baseline.cvError,
              cophenetic: baseline.cophenetic,
              stability: baseline.stability,
              cv_error_trimmed: baseline.cvErrorTrimmed ?? null,
            }
          : null,
        run_id: runId,
      };
    }),
    reasoning: sweep.recommendation.reasoning,
    sweep_id: id,
  };
  await writeFile(join(out, 'ranks.json'), JSON.stringify(ranksJson, null, 2) + '\n');
  for (const warning of contract.warnings) warn(`warning (${warning.code}): ${warning.message}\n`);
  for (const rank of sweep.ranks) {
    if (rank.runId !== null)
      await writeRunFolder(join(out, `k${rank.rank}`), getRunDetail(services.ctx, rank.runId), normalize);
  }
}

export async function sweepCommand(args: string[], io: CliIo, open: OpenServices): Promise<void> {
  const { values, positionals } = parse(args, {
    ...matrixInputOptions,
    ...fitOptions,
    ranks: { type: 'string' },
    replicates: { type: 'string' },
    'cv-folds': { type: 'string' },
    'no-baseline': { type: 'boolean' },
    ...clusterPlanFlags,
    'consensus-replicates': { type: 'string' },
  });
  if (positionals.length !== 1) throw new UsageError('sweep takes one <matrix> path');
  const [fromRank, toRank] = parseRankRange(requireString(values, 'ranks'));
  const out = requireString(values, 'out');
  const normalize = choiceFlag(values, 'normalize', ['l1', 'l2'] as const);
  const input: SweepParamsInput = {
    fromRank,
    toRank,
    replicates: numberFlag(values, 'replicates', { integer: true, min: 1, max: 200 }),
    cvFolds: numberFlag(values, 'cv-folds', { integer: true, min: 0, max: 20 }),
    baseline: values['no-baseline'] !== true,
    consensusReplicates: numberFlag(values, 'consensus-replicates', { integer: true, min: 0, max: 200 }),
    fit: fitParamsOf(values),
  };
  const parsed = sweepParamsSchema.safeParse(input);
  if (!parsed.success)
    throw new UsageError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  if (parsed.data.cvFolds === 1) throw new UsageError('--cv-folds must be 0 (none) or at least 2, got 1');
  if (values.plan !== undefined)
    return planSweepCommand(positionals[0], parsed.data, values, importOptionsOf(values), io);
  refuseClusterFlagsWithoutPlan(values);
  const services = openFor(values, open);
  // Workers start while the file is read.
  services.ctx.pool.warm();
  const stop = followProgress(services, io, io.stderrIsTty || values.progress === true, 'sweep');
  try {
    const importOptions = importOptionsOf(values);
    const imported = await readImportFile(positionals[0], importOptions);
    checkParamsAgainstData(
      completeRunParams({ ...parsed.data.fit, rank: toRank }),
      imported.matrix.rows,
      imported.matrix.cols,
      hasZeroEntry(imported.matrix),
    );
    const { dataset } = storeImported(services.ctx, imported, importOptions);
    const params = withConsensusReplicates(getDatasetSummary(services.ctx, dataset.id), parsed.data);
    const jobs = planSweep(sweepSpecOf(params));
    const id = insertSweep(services.ctx.db, {
      dataset_id: dataset.id,
      params: JSON.stringify(params),
      jobs_total: jobs.length,
      created_at: services.ctx.now(),
      owner: services.ctx.owner,
    });
    const outcome = await executeSweep(services.ctx, id);
    await writeSweepFolder(services, id, out, normalize, outcome, io.stderr);
  } finally {
    stop();
    await services.close();
  }
}

export async function synthCommand(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, {
    features: { type: 'string' },
    samples: { type: 'string' },
    rank: { type: 'string' },
    moonlighting: { type: 'string' },
    depth: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
  });
  if (positionals.length)
    throw new UsageError(`synth takes no positional arguments, got "${positionals[0]}"`);
  const features = numberFlag(values, 'features', { integer: true, min: 2 });
  const samples = numberFlag(values, 'samples', { integer: true, min: 2 });
  const rank = numberFlag(values, 'rank', { integer: true, min: 1 });
  if (features === undefined || samples === undefined || rank === undefined)
    throw new UsageError('--features, --samples and --rank are required');
  if (rank > Math.min(features, samples))
    throw new UsageError(`--rank ${rank} exceeds min(features, samples) = ${Math.min(features, samples)}`);
  const moonlighting = numberFlag(values, 'moonlighting', { min: 0, max: 1 }) ?? 0.05;
  if (moonlighting > 0 && rank < 2)
    throw new UsageError('moonlighting features need --rank of at least 2 (or --moonlighting 0)');
  const depth = numberFlag(values, 'depth', { min: Number.MIN_VALUE });
  const seed = numberFlag(values, 'seed', { integer: true, min: 0, max: 2 ** 31 - 1 }) ?? 0;
  const out = requireString(values, 'out');
  const synthetic = synthesizeGeneModules({ features, samples, rank, moonlighting, depth, seed });
  await mkdir(out, { recursive: true });
  await writeMatrixTsv(join(out, 'V.tsv'), {
    matrix: synthetic.V,
    rowNames: synthetic.featureNames,
    colNames: synthetic.sampleNames,
    corner: 'gene',
  });
  const rowsOf = (m: DenseMatrix): number[][] =>
    Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  const truth = {
    generator: 'nmf-studio synth (gene modules with moonlighting genes)',
    seed,
    N: features,
    M: samples,
    R: rank,
    depth: synthetic.truth.depth,
    moonlight_frac: moonlighting,
    genes: synthetic.featureNames,
    conditions: synthetic.sampleNames,
    module: synthetic.truth.module,
    moonlighting: synthetic.truth.moonlighting.map((m) => ({
      feature: m.feature,
      gene: m.feature,
      index: m.index,
      modules: m.modules,
    })),
    W: rowsOf(synthetic.truth.W),
    H: rowsOf(synthetic.truth.H),
  };
  await writeFile(join(out, 'truth.json'), JSON.stringify(truth) + '\n');
}

/** A run given as a folder written by `fit` (W.tsv) or as a library run id. */
async function loadRunW(
  ref: string,
  values: Record<string, unknown>,
  open: OpenServices,
): Promise<{ W: DenseMatrix; featureNames: string[] }> {
  if (/^\d+$/.test(ref)) {
    const services = openFor(values, open, true);
    try {
      const run = getRunDetail(services.ctx, Number(ref));
      if (!run.W) throw new UsageError(`run ${ref} has no factors (state ${run.state})`);
      return { W: dense(run.rows, run.params.rank, run.W), featureNames: run.featureNames };
    } catch (error) {
      if (error instanceof ServiceError && error.code === 'not_found') throw new UsageError(error.message);
      throw error;
    } finally {
      await services.close();
    }
  }
  const factors = await readFactorsTsv(join(ref, 'W.tsv'), { kind: 'W' });
  return {
    W: factors.matrix,
    featureNames: factors.names ?? Array.from({ length: factors.matrix.rows }, (_, i) => `feature${i + 1}`),
  };
}

export async function assignCommand(args: string[], io: CliIo, open: OpenServices): Promise<void> {
  const { values, positionals } = parse(args, { threshold: { type: 'string' }, db: { type: 'string' } });
  if (positionals.length !== 1) throw new UsageError('assign takes one <run-dir|run-id>');
  const threshold = numberFlag(values, 'threshold', { min: 0, max: 1 });
  const { W, featureNames } = await loadRunW(positionals[0], values, open);
  const assignment = assignModules(W, threshold === undefined ? {} : { threshold });
  const modules: Record<string, number[]> = {};
  featureNames.forEach((name, i) => (modules[name] = assignment.modules[i]));
  io.stdout(
    JSON.stringify(
      {
        modules,
        moonlighting: assignment.moonlighting.map((i) => featureNames[i]),
        threshold: assignment.threshold,
        default_threshold: assignment.defaultThreshold,
        multi_module: assignment.multiModule.map((i) => featureNames[i]),
      },
      null,
      2,
    ) + '\n',
  );
}

export async function alignCommand(args: string[], io: CliIo, open: OpenServices): Promise<void> {
  const { values, positionals } = parse(args, { metric: { type: 'string' }, db: { type: 'string' } });
  if (positionals.length !== 2) throw new UsageError('align takes two <run-dir|run-id> arguments');
  const metric = choiceFlag(values, 'metric', ['cosine', 'pearson'] as const) ?? 'cosine';
  const a = await loadRunW(positionals[0], values, open);
  const b = await loadRunW(positionals[1], values, open);
  let WA = a.W;
  let WB = b.W;
  if (a.featureNames.join('\u0000') !== b.featureNames.join('\u0000')) {
    // Different feature sets: compare on the features both share, in A's order.
    const inB = new Map(b.featureNames.map((n, i) => [n, i]));
    const shared = a.featureNames
      .map((n, i) => [i, inB.get(n)] as const)
      .filter((p): p is readonly [number, number] => p[1] !== undefined);
    if (shared.length === 0) throw new UsageError('the two runs share no feature names');
    WA = dense(shared.length, a.W.cols);
    WB = dense(shared.length, b.W.cols);
    shared.forEach(([i, j], row) => {
      WA.data.set(a.W.data.subarray(i * a.W.cols, (i + 1) * a.W.cols), row * a.W.cols);
      WB.data.set(b.W.data.subarray(j * b.W.cols, (j + 1) * b.W.cols), row * b.W.cols);
    });
  }
  const alignment = alignComponents(WA, WB, metric);
  io.stdout(
    JSON.stringify(
      {
        metric,
        similarity: alignment.similarity,
        matches: alignment.matches,
        unmatched_a: alignment.unmatchedA,
        unmatched_b: alignment.unmatchedB,
      },
      null,
      2,
    ) + '\n',
  );
}

export async function importCommand(args: string[], io: CliIo, open: OpenServices): Promise<void> {
  const { values, positionals } = parse(args, { ...matrixInputOptions, transform: { type: 'string' } });
  if (positionals.length !== 1) throw new UsageError('import takes one <matrix> path');
  const options = importOptionsOf(values);
  options.transform = choiceFlag(values, 'transform', ['none', 'sqrt', 'log1p'] as const) ?? 'none';
  const services = openFor(values, open);
  try {
    const { dataset, existing, warnings } = await importDatasetFile(services.ctx, positionals[0], options, {
      onProgress:
        io.stderrIsTty || values.progress === true
          ? (p) =>
              io.stderr(
                `import: ${p.phase} ${((100 * p.bytesRead) / Math.max(1, p.totalBytes)).toFixed(0)}%\n`,
              )
          : undefined,
    });
    for (const warning of warnings) io.stderr(`warning: ${warning}\n`);
    io.stdout(
      JSON.stringify({
        dataset: dataset.id,
        rows: dataset.rows,
        cols: dataset.cols,
        nnz: dataset.nnz,
        hash: dataset.hash,
        existing,
      }) + '\n',
    );
  } finally {
    await services.close();
  }
}

function idArgument(positionals: string[], what: string): number {
  const text = positionals[1];
  if (text === undefined || !/^\d+$/.test(text))
    throw new UsageError(`${what} needs a numeric id, got "${text ?? ''}"`);
  return Number(text);
}

function notFoundAsUsage<T>(action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (error instanceof ServiceError && error.code === 'not_found') throw new UsageError(error.message);
    throw error;
  }
}

export async function libraryCommand(args: string[], io: CliIo, open: OpenServices): Promise<void> {
  const { values, positionals } = parse(args, { db: { type: 'string' } });
  const [verb, file] = positionals;
  if ((verb !== 'export' && verb !== 'import') || !file || positionals.length !== 2) {
    throw new UsageError(
      'library takes export FILE (a copy of the whole library) or import FILE (merge another library into this one)',
    );
  }
  const services = openFor(values, open, verb === 'export');
  try {
    const result = verb === 'export' ? exportLibrary(services.ctx, file) : importLibrary(services.ctx, file);
    io.stdout(JSON.stringify(result) + '\n');
  } catch (error) {
    if (error instanceof ServiceError && (error.code === 'conflict' || error.code === 'not_found'))
      throw new UsageError(error.message);
    throw error;
  } finally {
    await services.close();
  }
}

export async function datasetsCommand(args: string[], io: CliIo, open: OpenServices): Promise<void> {
  const { values, positionals } = parse(args, { db: { type: 'string' } });
  const verb = positionals[0];
  const services = openFor(values, open, verb === 'list' || verb === 'show');
  try {
    if (verb === 'list') {
      io.stdout(JSON.stringify(listDatasetSummaries(services.ctx), null, 2) + '\n');
    } else if (verb === 'show') {
      const id = idArgument(positionals, 'datasets show');
      const detail = notFoundAsUsage(() => getDatasetDetail(services.ctx, id));
      io.stdout(JSON.stringify({ ...detail, preview: undefined }, null, 2) + '\n');
    } else if (verb === 'delete') {
      const id = idArgument(positionals, 'datasets delete');
      io.stdout(JSON.stringify(notFoundAsUsage(() => deleteDatasetById(services.ctx, id))) + '\n');
    } else {
      throw new UsageError(`datasets takes list, show <id> or delete <id>, got "${verb ?? ''}"`);
    }
  } finally {
    await services.close();
  }
}

export async function runsCommand(args: string[], io: CliIo, open: OpenServices): Promise<void> {
  const { values, positionals } = parse(args, {
    db: { type: 'string' },
    out: { type: 'string' },
    normalize: { type: 'string' },
    dataset: { type: 'string' },
    w: { type: 'string' },
    h: { type: 'string' },
    tool: { type: 'string' },
    loss: { type: 'string' },
  });
  const verb = positionals[0];
  const services = openFor(values, open, verb === 'list' || verb === 'show' || verb === 'export');
  try {
    if (verb === 'list') {
      io.stdout(
        JSON.stringify(listRunSummaries(services.ctx, { includeSweeps: true, limit: 10_000 }), null, 2) +
          '\n',
      );
    } else if (verb === 'show') {
      const id = idArgument(positionals, 'runs show');
      const run = notFoundAsUsage(() => getRunDetail(services.ctx, id));
      const classes = classesForRunsShow(services, run);
      io.stdout(
        JSON.stringify(
          { ...run, W: undefined, H: undefined, featureNames: undefined, sampleNames: undefined, classes },
          null,
          2,
        ) + '\n',
      );
    } else if (verb === 'export') {
      const id = idArgument(positionals, 'runs export');
      const out = requireString(values, 'out');
      const run = notFoundAsUsage(() => getRunDetail(services.ctx, id));
      await writeRunFolder(out, run, choiceFlag(values, 'normalize', ['l1', 'l2'] as const));
      io.stdout(JSON.stringify({ run: id, out }) + '\n');
    } else if (verb === 'delete') {
      const id = idArgument(positionals, 'runs delete');
      notFoundAsUsage(() => getRunSummary(services.ctx, id));
      io.stdout(JSON.stringify(notFoundAsUsage(() => deleteRun(services.ctx, id))) + '\n');
    } else if (verb === 'import') {
      // A folder written by `fit` or `runs export`, or W and H from another tool (--w, --h).
      const datasetId = numberFlag(values, 'dataset', { integer: true, min: 1 });
      if (datasetId === undefined)
        throw new UsageError('runs import needs --dataset ID (the dataset the factors belong to)');
      notFoundAsUsage(() => getDatasetDetail(services.ctx, datasetId));
      let run;
      if (typeof values.w === 'string' || typeof values.h === 'string') {
        const loss = parseLoss(typeof values.loss === 'string' ? values.loss : 'kl');
        if (!loss)
          throw new UsageError(`--loss must be kl, frobenius, is or beta=<b>, got "${String(values.loss)}"`);
        run = await importFactors(services.ctx, datasetId, {
          wPath: requireString(values, 'w'),
          hPath: requireString(values, 'h'),
          tool: typeof values.tool === 'string' ? values.tool : 'another tool',
          params: { loss: loss.loss, beta: loss.beta },
        });
      } else {
        if (positionals.length !== 2)
          throw new UsageError(
            'runs import takes a run folder (W.tsv, H.tsv, run.json) or --w W.tsv --h H.tsv',
          );
        run = await importRunFolder(services.ctx, datasetId, positionals[1]);
      }
      io.stdout(JSON.stringify({ run: run.id, rank: run.params.rank, loss: run.loss }) + '\n');
    } else {
      throw new UsageError(
        `runs takes list, show <id>, export <id> --out DIR, import DIR|--w W --h H --dataset ID, or delete <id>, got "${verb ?? ''}"`,
      );
    }
  } finally {
    await services.close();
  }
}
