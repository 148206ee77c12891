import {
  RUN_DEFAULTS,
  initNames,
  lossNames,
  parseLoss,
  solverNames,
  type JobProgress,
  type RunParamsInput,
} from '../../shared/domain';
import type { MatrixFormat } from '../io';
import type { Services } from '../services';
import type { ImportOptions } from '../services/datasets';
import type { ServiceContext } from '../services/context';
import { readImportFile, storeImported } from '../services/datasets';
import { checkParamsAgainstData, datasetMatrixKey, matrixHasZeros } from '../services/runs';
import type { MatrixLease } from '../services/matrix-cache';
import type { DataMatrix } from '../../shared/linalg/matrix';
import type { DatasetSummary, RunParams } from '../../shared/domain';
import { choiceFlag, numberFlag, UsageError } from './args';

/**
 * What every `nmf-studio` command shares: the terminal it writes to, the opener of the services
 * (so `--db` and `--no-save` decide which library), the matrix and fit flags and their reading,
 * and progress on stderr.
 */

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stderrIsTty: boolean;
}

export type OpenServices = (options: {
  libraryPath?: string;
  /** `--no-save`: a library of the command's own, removed when it ends (temporary-library.ts). */
  noSave?: boolean;
  /** A library in memory, for a command that stores nothing at all (`sweep-task`). */
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
  'warmup-tol': { type: 'string' },
  'batch-size': { type: 'string' },
  threads: { type: 'string' },
  'no-save': { type: 'boolean' },
  out: { type: 'string' },
  normalize: { type: 'string' },
} as const;

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

/** `--loss` values as CLI.md spells them: the named losses, or beta=<b>. */
export const lossChoices = `one of ${lossNames.filter((l) => l !== 'beta').join(', ')} or beta=<b>`;

/** Fit flags → run parameters (without rank and replicates). */
export function fitParamsOf(values: Record<string, unknown>): Omit<RunParamsInput, 'rank'> {
  const lossText = typeof values.loss === 'string' ? values.loss : RUN_DEFAULTS.loss;
  const loss = parseLoss(lossText);
  if (!loss) throw new UsageError(`--loss must be ${lossChoices}, got "${lossText}"`);
  const params: Omit<RunParamsInput, 'rank'> = { loss: loss.loss, beta: loss.beta };
  const solver = choiceFlag(values, 'solver', solverNames);
  if (solver) params.solver = solver;
  const batchSize = numberFlag(values, 'batch-size', { integer: true, min: 1, max: 100_000_000 });
  if (batchSize !== undefined) {
    if (solver !== 'minibatch') throw new UsageError('--batch-size applies to --solver minibatch only');
    params.batchSize = batchSize;
  }
  const init = choiceFlag(values, 'init', initNames);
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
  const warmupTol = numberFlag(values, 'warmup-tol', { min: 0, max: 0.5 });
  if (warmupTol !== undefined) params.warmupTol = warmupTol;
  return params;
}

export function openFor(values: Record<string, unknown>, open: OpenServices, readOnly = false): Services {
  return open({
    libraryPath: typeof values.db === 'string' ? values.db : undefined,
    noSave: values['no-save'] === true,
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

/**
 * Reads the matrix file a fitting command names and stores it as a dataset, after checking the fit's
 * settings against it (rank, zeros for the loss), so refused settings add nothing to the library.
 */
export async function importForFit(
  ctx: ServiceContext,
  path: string,
  values: Record<string, unknown>,
  params: RunParams,
  checkShape?: (shape: { rows: number; cols: number; nnz: number; layout: 'dense' | 'csr' }) => void,
  /** Reads what else the command needs of the matrix (a fit's starting factors), before it is stored. */
  beforeStore?: (names: { rowNames: string[]; colNames: string[] }) => Promise<void>,
  /** Given the matrix as stored, e.g. to hand it to the fit (`leaseImported`). */
  afterStore?: (dataset: DatasetSummary, matrix: DataMatrix) => void,
): Promise<DatasetSummary> {
  const importOptions = importOptionsOf(values);
  const imported = await readImportFile(path, importOptions);
  checkParamsAgainstData(params, imported.matrix.rows, imported.matrix.cols, matrixHasZeros(imported.matrix));
  // E.g. the job's memory plan: refused before anything is stored.
  const { matrix } = imported;
  checkShape?.({
    rows: matrix.rows,
    cols: matrix.cols,
    nnz: matrix.kind === 'csr' ? matrix.data.length : matrix.rows * matrix.cols,
    layout: matrix.kind,
  });
  await beforeStore?.({ rowNames: imported.rowNames, colNames: imported.colNames });
  const { dataset } = storeImported(ctx, imported, importOptions);
  afterStore?.(dataset, imported.matrix);
  return dataset;
}

/**
 * The matrix a command has just imported, held in the context's matrix cache as the dataset's
 * matrix, so the fit that follows leases these arrays instead of reading the stored copy back.
 * Without it, that copy (2.6 GB at 10⁶ cells) is read while the imported one still waits for the
 * garbage collector, and the command peaked at 1.7 × V there (README, "A fit of a file without a
 * library at 10⁶ cells"). Only arrays in shared memory whole (the output of the HDF5 readers,
 * hdf5.ts, and of the Matrix Market reader, mtx.ts) can go to the pool's workers as they are; any
 * other matrix is left to be read back as before (null).
 * The stored chunks are these arrays' bytes (the content hash was taken of them), so the fit sees
 * the same numbers either way. Release the lease once the fit has its own.
 */
export function leaseImported(
  ctx: ServiceContext,
  dataset: DatasetSummary,
  matrix: DataMatrix,
): MatrixLease | null {
  const arrays = matrix.kind === 'csr' ? [matrix.indptr, matrix.indices, matrix.data] : [matrix.data];
  const shared = arrays.every(
    (array) =>
      array.buffer instanceof SharedArrayBuffer &&
      array.byteOffset === 0 &&
      array.byteLength === array.buffer.byteLength,
  );
  if (!shared || matrix.rows !== dataset.rows || matrix.cols !== dataset.cols) return null;
  return ctx.matrices.acquire(datasetMatrixKey(dataset.id, dataset.hash), () => matrix);
}
