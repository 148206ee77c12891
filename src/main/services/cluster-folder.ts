import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ServiceError, decodeFrame } from '../../shared/api';
import {
  CLUSTER_DATA_FORMAT,
  CLUSTER_RESULT_FORMAT,
  JOB_FOLDER,
  clusterPlanSchema,
  type ClusterPlan,
  type ClusterResult,
} from '../../shared/analysis/cluster-plan';
import { consensusParamsSchema, type ConsensusParams, type Transform } from '../../shared/domain';
import type { DataMatrix } from '../../shared/linalg/matrix';
import type { ServiceContext } from './context';
import { contentHash, getDatasetSummary, loadDataset } from './datasets';
import { type ArchiveEntry } from './tar';

/**
 * The files of a cluster job folder (docs/architecture.md, "Sweeps on a cluster"): writing a planned
 * folder, reading and checking plan.json, the data file and the result files, and the atomic writes
 * a task makes on a shared file system. Every problem with a folder is a {@link ClusterFolderError}.
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
export interface DataFile extends ClusterData {
  fileFormat: typeof CLUSTER_DATA_FORMAT;
  version: number;
  hash: string;
}

/** A bad job folder or a result that does not belong: the CLI exits with status 2 and this one line. */
export class ClusterFolderError extends ServiceError {
  constructor(message: string) {
    super('bad_input', message);
  }
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

/** A consensus plan's parameters, checked as the library checks them. */
export function planConsensusParams(dir: string, plan: ClusterPlan): ConsensusParams {
  const parsed = consensusParamsSchema.safeParse(plan.params);
  if (!parsed.success)
    throw new ClusterFolderError(`${join(dir, JOB_FOLDER.plan)}: params: ${parsed.error.issues[0].message}`);
  return parsed.data;
}
