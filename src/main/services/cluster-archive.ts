import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ServiceError } from '../../shared/api';
import { JOB_FOLDER } from '../../shared/analysis/cluster-plan';
import type {
  ConsensusParamsInput,
  ConsensusSummary,
  SweepParamsInput,
  SweepSummary,
} from '../../shared/domain';
import type { ServiceContext } from './context';
import { extractTarGz, writeTarGzFile, type ArchiveEntry } from './tar';
import { ClusterFolderError, writeJobFolder, type PlannedFolder } from './cluster-folder';
import { clusterDataOfDataset } from './cluster-data-file';
import type { FolderWriteControl } from './cluster-progress';
import { planClusterConsensus, planClusterSweep, type ClusterPlanOptions } from './cluster-planning';
import { mergeClusterConsensus, mergeClusterSweep } from './cluster-merge';

/**
 * The app's side of cluster runs: a job folder exported as one .tar.gz ("Run on a cluster…"; offered
 * in pieces by export-downloads.ts) and a finished folder uploaded as one and merged ("Import
 * cluster results…").
 */

/** Largest archive the app unpacks (the data file dominates; 4 GiB covers a 1M-cell sparse matrix). */
const MAX_ARCHIVE_BYTES = 4 * 2 ** 30;

/** A planned job folder to archive under one top folder that names the kind, the data and the plan. */
export interface PlannedArchive {
  fileName: string;
  /** The archive's top folder. */
  top: string;
  folder: PlannedFolder;
  mtimeSeconds: number;
  fits: number;
  tasks: number;
}

/** The job folder of a library dataset's sweep, to archive for the app's "Run on a cluster…". */
export function planSweepArchive(
  ctx: ServiceContext,
  datasetId: number,
  params: SweepParamsInput,
  options: ClusterPlanOptions,
  rate: number,
): PlannedArchive {
  const data = clusterDataOfDataset(ctx, datasetId);
  return archiveOf(data.name, planClusterSweep(data, params, options, rate, ctx.now()));
}

/** The job folder of a library dataset's consensus run, to archive for the app's "Run on a cluster…". */
export function planConsensusArchive(
  ctx: ServiceContext,
  datasetId: number,
  params: ConsensusParamsInput,
  options: ClusterPlanOptions,
  rate: number,
): PlannedArchive {
  const data = clusterDataOfDataset(ctx, datasetId);
  return archiveOf(data.name, planClusterConsensus(data, params, options, rate, ctx.now()));
}

function archiveOf(dataName: string, folder: PlannedFolder): PlannedArchive {
  const { plan } = folder;
  const top = `nmf-${plan.kind}-${safeName(dataName)}-${plan.planId.slice(0, 6)}`;
  return {
    fileName: `${top}.tar.gz`,
    top,
    folder,
    mtimeSeconds: Date.parse(plan.createdAt) / 1000,
    fits: plan.fits.length,
    tasks: plan.tasks,
  };
}

/**
 * Writes the planned folder under `dir/<top>` (data.nmf streamed from the library) and archives it
 * to `path` through a gzip stream, each file read from disk in pieces; the unpacked folder is
 * removed once archived. Returns the archive's size. Empty folders do not survive every unpacker,
 * so results/ and logs/ carry an empty `.keep`. Progress: steps `data` and `files`
 * (`writeJobFolder`), then `archive` (the tar stream's bytes); an aborted `control.signal` stops it
 * between pieces, the folder is removed, and the partial archive at `path` is the caller's to remove.
 */
export async function writeClusterArchive(
  planned: PlannedArchive,
  dir: string,
  path: string,
  control: FolderWriteControl = {},
): Promise<number> {
  const folder = join(dir, planned.top);
  try {
    const files = await writeJobFolder(folder, planned.folder, control);
    const entries: ArchiveEntry[] = [
      ...files.map((entry) => ({ ...entry, path: `${planned.top}/${entry.path}` })),
      { path: `${planned.top}/${JOB_FOLDER.results}/.keep`, bytes: new Uint8Array(0) },
      { path: `${planned.top}/${JOB_FOLDER.logs}/.keep`, bytes: new Uint8Array(0) },
    ];
    const { signal, onProgress } = control;
    return await writeTarGzFile(entries, planned.mtimeSeconds, path, {
      signal,
      onProgress: onProgress && ((done, total) => onProgress('archive', done, total)),
    });
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

function safeName(name: string): string {
  return (
    name
      .replace(/[^A-Za-z0-9_-]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40) || 'data'
  );
}

/** An uploaded archive: its bytes, or the staged file (read from disk in pieces while unpacked). */
export type ArchiveUpload = { fileName: string; bytes: Uint8Array } | { fileName: string; path: string };

/**
 * Merges a finished job folder uploaded as a .tar.gz (or .tar): unpacked into a private temporary
 * folder (one top folder is stripped), merged as `sweep-merge` does, cleaned up.
 */
export async function importClusterArchive(ctx: ServiceContext, file: ArchiveUpload): Promise<SweepSummary> {
  return mergeArchive(ctx, file, mergeClusterSweep);
}

/** Merges a finished consensus job folder uploaded as a .tar.gz (or .tar), as `sweep-merge` does. */
export async function importConsensusClusterArchive(
  ctx: ServiceContext,
  file: ArchiveUpload,
): Promise<ConsensusSummary> {
  return mergeArchive(ctx, file, mergeClusterConsensus);
}

async function mergeArchive<T>(
  ctx: ServiceContext,
  file: ArchiveUpload,
  merge: (ctx: ServiceContext, dir: string) => Promise<T>,
): Promise<T> {
  // Unpacked straight to disk (extractTarGz streams; the unpacked tar is never held in memory),
  // then the folder holding plan.json, at the top or under one top folder, is merged.
  const staged = await mkdtemp(join(ctx.app.tempDir, 'nmf-cluster-'));
  const unpacked = join(staged, 'folder');
  let dir = unpacked;
  try {
    let paths: string[];
    try {
      paths = await extractTarGz(
        'path' in file ? { path: file.path } : file.bytes,
        MAX_ARCHIVE_BYTES,
        unpacked,
      );
    } catch (error) {
      throw new ServiceError(
        'bad_input',
        `${file.fileName} is not a readable .tar.gz of a job folder: ${(error as Error).message}`,
      );
    }
    const planPath = paths.find((p) => p === JOB_FOLDER.plan || /^[^/]+\/plan\.json$/.test(p));
    if (!planPath)
      throw new ServiceError('bad_input', `${file.fileName} holds no ${JOB_FOLDER.plan}: not a job folder`);
    const prefix = planPath.slice(0, planPath.length - JOB_FOLDER.plan.length);
    if (prefix !== '') dir = join(unpacked, prefix.slice(0, -1));
    return await merge(ctx, dir);
  } catch (error) {
    if (error instanceof ClusterFolderError) {
      // Paths inside the staging folder mean nothing to the user: name the archive instead.
      throw new ServiceError('bad_input', error.message.split(dir).join(file.fileName));
    }
    throw error;
  } finally {
    await rm(staged, { recursive: true, force: true });
  }
}
