import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { makeFolder } from '../io/make-folder';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ServiceError, decodeFrame, frameElementSize, reviveFrameJson } from '../../shared/api';
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
import { contentHash } from './datasets';
import { writeDataFile, type ClusterDataSource } from './cluster-data-file';
import type { FolderWriteControl } from './cluster-progress';
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

/**
 * A planned job folder before it is written: the plan, its small files in memory (plan.json first,
 * then the scripts and the README) and the data that becomes data.nmf, written in pieces.
 */
export interface PlannedFolder {
  plan: ClusterPlan;
  files: Array<{ path: string; bytes: Uint8Array; mode?: number }>;
  data: ClusterDataSource;
}

/**
 * Writes a planned folder to disk and returns its files as archive entries read from disk, in the
 * archive's order (plan.json, data.nmf, the scripts, README.md). data.nmf is streamed
 * (`writeDataFile`) and plan.json is written last, so a folder holding a plan is whole. Refuses a
 * folder that already holds a plan (results would mix). Progress: step `data` (data.nmf's arrays),
 * then `files` (the small files' bytes); an aborted `control.signal` stops it between pieces and
 * files, leaving no data.nmf and no plan.json (the caller removes the folder).
 */
export async function writeJobFolder(
  dir: string,
  planned: PlannedFolder,
  control: FolderWriteControl = {},
): Promise<ArchiveEntry[]> {
  if (existsSync(join(dir, JOB_FOLDER.plan)))
    throw new ClusterFolderError(
      `${dir} already holds a planned job (${JOB_FOLDER.plan}): choose another --out`,
    );
  // One level at a time: Node's recursive mkdir never returns where the system answers ENOENT (make-folder.ts).
  await makeFolder(join(dir, JOB_FOLDER.results));
  await makeFolder(join(dir, JOB_FOLDER.logs));
  await writeDataFile(join(dir, JOB_FOLDER.data), planned.data, planned.plan.data.hash, control);
  const [planFile, ...others] = planned.files;
  const filesBytes = planned.files.reduce((sum, file) => sum + file.bytes.length, 0);
  let filesDone = 0;
  control.onProgress?.('files', 0, filesBytes);
  for (const file of [...others, planFile]) {
    control.signal?.throwIfAborted();
    await writeFile(join(dir, file.path), file.bytes, { mode: file.mode ?? 0o644 });
    filesDone += file.bytes.length;
    control.onProgress?.('files', filesDone, filesBytes);
  }
  const listed: Array<{ path: string; mode?: number }> = [planFile, { path: JOB_FOLDER.data }, ...others];
  return listed.map(({ path, mode }) => ({
    path,
    file: join(dir, path),
    ...(mode !== undefined ? { mode } : {}),
  }));
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

/**
 * Reads data.nmf and checks it is the data the plan was made for (by content hash). The arrays are
 * read from the file straight into their final memory ({@link readFrameFile}); with `shared` that
 * memory is a SharedArrayBuffer, so an array task hands the matrix to the pool's workers as it is.
 */
export async function readPlanData(
  dir: string,
  plan: ClusterPlan,
  { shared = false }: { shared?: boolean } = {},
): Promise<ClusterData & { hash: string }> {
  const path = join(dir, plan.data.file);
  if (!existsSync(path)) throw new ClusterFolderError(`${path} is missing: the job folder is incomplete`);
  let file: DataFile;
  try {
    file = readFrameFile(path, shared) as DataFile;
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

/** Reads `buffer.length` bytes of `fd` from `position`, in pieces a single read accepts. */
function readExactly(fd: number, buffer: Uint8Array, position: number): void {
  const piece = 1 << 30;
  for (let done = 0; done < buffer.length;) {
    const read = readSync(fd, buffer, done, Math.min(piece, buffer.length - done), position + done);
    if (read === 0) throw new Error('truncated NMF1 frame');
    done += read;
  }
}

/**
 * Decodes an NMF1 frame (shared/api/codec.ts) from a file without holding the file in memory: the
 * header, the JSON and each array's table entry are read first, then each typed array is read from
 * the file into memory of its own — on a SharedArrayBuffer when `shared`. The data are held once,
 * where reading the file, decoding it and copying it to shared memory held them three times
 * (measured in docs/architecture.md, "Sweeps on a cluster"). The checks are decodeFrame's: magic,
 * lengths and extents within the file, array sizes adding up to no more than the file.
 */
function readFrameFile(path: string, shared: boolean): unknown {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = new Uint8Array(8);
    if (size < 8) throw new Error('not an NMF1 frame');
    readExactly(fd, head, 0);
    if (new TextDecoder().decode(head.subarray(0, 4)) !== 'NMF1') throw new Error('not an NMF1 frame');
    const jsonLength = new DataView(head.buffer).getUint32(4, true);
    if (8 + jsonLength > size) throw new Error('truncated NMF1 frame');
    const json = new Uint8Array(jsonLength);
    readExactly(fd, json, 8);
    const tableStart = (8 + jsonLength + 7) & ~7;
    let total = 0;
    return reviveFrameJson(new TextDecoder().decode(json), ({ name, index }) => {
      const entry = tableStart + index * 8;
      if (entry + 8 > size) throw new Error('truncated NMF1 frame table');
      const extent = new Uint8Array(8);
      readExactly(fd, extent, entry);
      const view = new DataView(extent.buffer);
      const offset = view.getUint32(0, true);
      const byteLength = view.getUint32(4, true);
      if (offset + byteLength > size || byteLength % frameElementSize(name) !== 0)
        throw new Error('bad typed array extent in NMF1 frame');
      total += byteLength;
      if (total > size) throw new Error('typed arrays in NMF1 frame add up to more than the frame');
      const memory = shared ? new SharedArrayBuffer(byteLength) : new ArrayBuffer(byteLength);
      readExactly(fd, new Uint8Array(memory), offset);
      // The name is one of the codec's typed arrays (reviveFrameJson refuses any other).
      const TypedArray = (globalThis as unknown as Record<string, new (buffer: ArrayBufferLike) => unknown>)[
        name
      ];
      return new TypedArray(memory);
    });
  } finally {
    closeSync(fd);
  }
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
