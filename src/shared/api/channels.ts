import { z } from 'zod';
import { StagedFile } from './staged';
import { madeOnFirstUse } from './made-on-first-use';
import { channelNames } from './names';
import { TRANSFER_ID_PATTERN, type DownloadPiece, type DownloadTicket } from './transfer';
import type { ClusterExportProgress } from './cluster-export';
import { MIN_MEMORY_BUDGET, type MemoryBudgetView } from '../domain/memory-plan';
import {
  consensusParamsSchema,
  type ConsensusClustergram,
  type ConsensusDetail,
  type ConsensusSummary,
  type ProjectionView,
  type ProjectionSummary,
} from '../domain';
import {
  lossNames,
  RUN_DEFAULTS,
  runParamsSchema,
  solverNames,
  sweepParamsSchema,
  synthParamsSchema,
  transforms,
  type AnnotationSet,
  type AnnotationSetHeading,
  type CoefficientTracks,
  type AppInfo,
  type AssignmentView,
  type ComparisonView,
  type ActivityComparisonView,
  type ConsensusMapView,
  type DatasetAnnotations,
  type EnrichmentView,
  type MarkersView,
  type RunClassesView,
  type SweepClassesView,
  type DatasetDetail,
  type DatasetSummary,
  type DatasetTruth,
  type ImportProgress,
  type JobProgress,
  type LibraryStats,
  type PcaView,
  type RunDetail,
  type RunEstimate,
  type RunState,
  type RunSummary,
  type SweepDetail,
  type SweepSummary,
} from '../domain';

/**
 * The one API contract between the renderer and the main process. Channel names are
 * `domain:verb`. Both transports (Electron IPC and browser-mode HTTP + server-sent events) are built
 * from this map, and every request is validated against its schema before a handler sees it.
 */

const id = z.number().int().positive();
const byId = z.object({ id }).strict();
const empty = z.object({}).strict();

const importOptions = {
  name: z.string().trim().min(1).max(200).optional(),
  format: z.enum(['tsv', 'csv', 'txt', 'mtx', 'npy', 'h5ad', '10x-h5']).optional(),
  transpose: z.boolean().default(false),
  header: z.boolean().default(true),
  rowNames: z.boolean().default(true),
  transform: z.enum(transforms).default('none'),
};

const transferId = z.string().regex(TRANSFER_ID_PATTERN, 'a transfer id');
/** A file sent before in pieces with `uploads:begin` / `uploads:append`. */
const uploadRef = z.object({ uploadId: transferId }).strict();

/** The name of a file the user picked, never a path. */
const pickedFileName = z
  .string()
  .min(1)
  .max(255)
  .refine((n) => !/[\\/]/.test(n), 'a file name, not a path');

/** A file the user picked or dropped, sent as bytes (the renderer never names paths on disk). */
const upload = z
  .object({
    fileName: pickedFileName,
    // In memory (small uploads), streamed to a staging file by the browser-mode server, or sent
    // before in pieces (`uploads:append`, services/uploads.ts) and named by its upload id.
    bytes: z.union([z.instanceof(Uint8Array), z.instanceof(StagedFile), uploadRef]),
  })
  .strict();

/** The SLURM options of a job folder (sweeps and consensus runs alike). */
const clusterJobOptions = {
  tasks: z.number().int().min(1).max(10_000),
  cpus: z.number().int().min(1).max(256).optional(),
  // Bounded before the pattern: a name of any length matched it (10⁶ characters went into sbatch).
  partition: z
    .string()
    .max(200)
    .regex(/^[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*$/, 'a SLURM partition name')
    .optional(),
  time: z.string().max(32).optional(),
  memMiB: z.number().int().min(1).max(100_000_000).optional(),
};

export const runFilterSchema = z
  .object({
    datasetId: id.optional(),
    text: z.string().max(200).optional(),
    loss: z.enum(lossNames).optional(),
    solver: z.enum(solverNames).optional(),
    rank: z.number().int().positive().optional(),
    state: z.enum(['queued', 'running', 'done', 'cancelled', 'failed', 'interrupted']).optional(),
    tag: z.string().max(100).optional(),
    since: z.string().max(40).optional(),
    until: z.string().max(40).optional(),
    includeSweeps: z.boolean().default(false),
    limit: z.number().int().min(1).max(10_000).default(500),
  })
  .strict();

const buildRequestSchemas = () => ({
  'app:info': empty,
  'library:stats': empty,
  /** A consistent copy of the whole library, as the bytes of one SQLite file. */
  'library:export': empty,
  /** Another NMF Studio library file merged into this one (datasets matched by content hash). */
  'library:merge': z.object({ file: upload }).strict(),
  'datasets:list': empty,
  'datasets:get': byId,
  'datasets:truth': byId,
  'datasets:inspect': z
    .object({ file: upload, maxRows: z.number().int().min(1).max(200).default(20) })
    .strict(),
  'datasets:import': z
    .object({ file: upload, importId: z.string().min(1).max(64).optional(), ...importOptions })
    .strict(),
  'datasets:cancelImport': z.object({ importId: z.string().min(1).max(64) }).strict(),
  'datasets:rename': z.object({ id, name: z.string().trim().min(1).max(200) }).strict(),
  'datasets:delete': byId,
  'datasets:synthesize': synthParamsSchema,
  'datasets:pca': z.object({ id, components: z.number().int().min(1).max(50).default(10) }).strict(),
  'runs:list': runFilterSchema,
  'runs:get': byId,
  'runs:start': z.object({ datasetId: id, params: runParamsSchema }).strict(),
  'runs:estimate': z.object({ datasetId: id, params: runParamsSchema }).strict(),
  'runs:cancel': byId,
  'runs:rerun': byId,
  'runs:update': z
    .object({
      id,
      notes: z.string().max(20_000).optional(),
      tags: z.array(z.string().trim().min(1).max(100)).max(50).optional(),
      /** An empty name clears it. */
      name: z
        .string()
        .trim()
        .max(200)
        .transform((v) => (v === '' ? null : v))
        .optional(),
      componentNames: z.array(z.string().trim().min(1).max(100)).max(1000).nullable().optional(),
    })
    .strict(),
  'runs:delete': byId,
  'runs:restore': byId,
  'runs:assign': z.object({ id, threshold: z.number().min(0).max(1).optional() }).strict(),
  /** Factors computed by another tool (scikit-learn or R W/H tables, cNMF spectra/usages), stored as a run of a dataset. */
  'runs:importFactors': z
    .object({
      datasetId: id,
      w: upload,
      h: upload,
      tool: z.string().trim().min(1).max(100).default('another tool'),
      loss: z.enum(lossNames).default(RUN_DEFAULTS.loss),
      beta: z.number().min(0).max(10).default(RUN_DEFAULTS.beta),
      notes: z.string().max(20_000).optional(),
    })
    .strict(),
  'sweeps:list': z.object({ datasetId: id.optional() }).strict(),
  'sweeps:get': byId,
  'sweeps:start': z.object({ datasetId: id, params: sweepParamsSchema }).strict(),
  'sweeps:estimate': z.object({ datasetId: id, params: sweepParamsSchema }).strict(),
  'sweeps:cancel': byId,
  'sweeps:resume': byId,
  'sweeps:delete': byId,
  'compare:align': z
    .object({
      runIds: z.array(id).min(2).max(12),
      metric: z.enum(['cosine', 'pearson']).default('cosine'),
    })
    .strict(),
  'jobs:list': empty,
  /** Component activities of runs and projections side by side (shares of each sample's total). */
  'compare:activity': z
    .object({
      items: z
        .array(z.object({ kind: z.enum(['run', 'projection']), id }).strict())
        .min(2)
        .max(12),
      metric: z.enum(['cosine', 'pearson']).default('cosine'),
    })
    .strict(),
  /** New samples (a stored dataset) projected onto a finished run: W held, H fitted; stored. */
  'projections:start': z
    .object({ runId: id, datasetId: id, minShare: z.number().min(0).max(1).optional() })
    .strict(),
  'projections:list': z.object({ runId: id.optional(), datasetId: id.optional() }).strict(),
  'projections:get': byId,
  'projections:delete': byId,
  /** The same as `projections:start`, answered at once with the job's id; the outcome arrives as `jobs:progress` events. */
  'projections:begin': z
    .object({ runId: id, datasetId: id, minShare: z.number().min(0).max(1).optional() })
    .strict(),
  /** Cancels a projection job of this process: nothing of it is stored. */
  'projections:cancel': byId,
  /** cNMF consensus (Kotliar et al. 2019) over one rank or a range. */
  'consensus:start': z.object({ datasetId: id, params: consensusParamsSchema }).strict(),
  'consensus:list': z.object({ datasetId: id.optional() }).strict(),
  'consensus:get': byId,
  'consensus:cancel': byId,
  'consensus:resume': byId,
  'consensus:delete': byId,
  /** Rebuilds one rank at another density threshold (a new consensus run). */
  'consensus:rethreshold': z
    .object({ id, rank: z.number().int().min(1), threshold: z.number().positive().max(10) })
    .strict(),
  'consensus:clustergram': z.object({ id, rank: z.number().int().min(1) }).strict(),
  /** A sweep planned as a SLURM job folder, returned as a .tar.gz to save (the renderer names no paths). */
  'sweeps:clusterExport': z
    .object({
      datasetId: id,
      params: sweepParamsSchema,
      ...clusterJobOptions,
      exportId: transferId.optional(),
    })
    .strict(),
  /** A finished job folder (.tar.gz of it) merged into the library as a sweep. */
  'sweeps:clusterImport': z.object({ file: upload }).strict(),
  /** A consensus run planned as a SLURM job folder, returned as a .tar.gz to save. */
  'consensus:clusterExport': z
    .object({
      datasetId: id,
      params: consensusParamsSchema,
      ...clusterJobOptions,
      exportId: transferId.optional(),
    })
    .strict(),
  /** A finished consensus job folder (.tar.gz of it) merged into the library as a consensus run. */
  'consensus:clusterImport': z.object({ file: upload }).strict(),
  // Reading components: annotations, known classes, markers, enrichment, consensus maps.
  /** A TSV/CSV of sample (or feature) annotations keyed by the dataset's names. */
  'annotations:import': z
    .object({ datasetId: id, axis: z.enum(['samples', 'features']), file: upload })
    .strict(),
  /** With `axis`, only that axis's annotations (the other's are neither read nor sent). */
  'annotations:list': z.object({ datasetId: id, axis: z.enum(['samples', 'features']).optional() }).strict(),
  /** The annotation files without their values (what the Dataset screen lists). */
  'annotations:sets': z.object({ datasetId: id }).strict(),
  'annotations:delete': byId,
  'runs:classes': byId,
  'runs:markers': z
    .object({
      id,
      method: z.enum(['kim-park', 'zscore']).default('kim-park'),
      top: z.number().int().min(1).max(100_000).default(50),
    })
    .strict(),
  /** Enrichment of each component's markers in the sets of a GMT file the user gives (nothing is fetched). */
  'runs:enrich': z
    .object({
      id,
      gmt: upload,
      method: z.enum(['kim-park', 'zscore']).default('kim-park'),
      top: z.number().int().min(1).max(100_000).default(50),
    })
    .strict(),
  'sweeps:classes': byId,
  'sweeps:consensus': z.object({ id, rank: z.number().int().min(1).max(1000) }).strict(),
  /** This machine's memory budget for fits (memory-budget.ts), and where it comes from. */
  'settings:memoryBudget': empty,
  /** Saves this machine's memory budget in bytes (null: back to the default, half the physical memory). */
  'settings:setMemoryBudget': z
    .object({
      bytes: z
        .number()
        .int()
        .min(MIN_MEMORY_BUDGET)
        .max(2 ** 52)
        .nullable(),
    })
    .strict(),
  /** Time and memory forecast of a consensus under this machine's memory budget (job-memory-plan.ts). */
  'consensus:estimate': z.object({ datasetId: id, params: consensusParamsSchema }).strict(),
  /** Memory plan of a projection before it starts: in memory or refused, with why. */
  'projections:estimate': z.object({ runId: id, datasetId: id }).strict(),
  // Files moved in pieces (services/downloads.ts, services/uploads.ts; shared/api/transfer.ts).
  /** A run's "JSON with provenance", made in the main process from the library's W and H, to download. */
  'runs:exportJson': z.object({ id, threshold: z.number().min(0).max(1).optional() }).strict(),
  /** The next piece (≤ 4 MiB) of a file the main process offered (a DownloadTicket). */
  'downloads:read': z.object({ downloadId: transferId }).strict(),
  'downloads:cancel': z.object({ downloadId: transferId }).strict(),
  /** Starts a file sent in pieces; the id then stands for its bytes in any `file` of a request. */
  'uploads:begin': z
    .object({
      fileName: pickedFileName,
      byteLength: z
        .number()
        .int()
        .min(0)
        .max(2 ** 42),
    })
    .strict(),
  'uploads:append': z
    .object({
      uploadId: transferId,
      offset: z
        .number()
        .int()
        .min(0)
        .max(2 ** 42),
      bytes: z.union([
        z.instanceof(Uint8Array).refine((b) => b.byteLength <= 16 << 20, 'at most 16 MiB a piece'),
        z.instanceof(StagedFile).refine((b) => b.byteLength <= 16 << 20, 'at most 16 MiB a piece'),
      ]),
    })
    .strict(),
  'uploads:cancel': z.object({ uploadId: transferId }).strict(),
  // The cluster export while its job folder is made (services/cluster-export.ts; shared/api/cluster-export.ts).
  /** Stops the export named by the `exportId` its request carried; unknown or finished ids are no error. */
  'cluster:cancelExport': z.object({ exportId: transferId }).strict(),
  /** A run's W or H as TSV/CSV, made in the main process from the library's factors, to download. */
  'runs:exportTable': z.object({ id, which: z.enum(['W', 'H']), delimiter: z.enum(['\t', ',']) }).strict(),
  /** A projection's H as TSV or CSV, made in the main process and read through `downloads:read`. */
  'projections:exportTable': z.object({ id, delimiter: z.enum(['\t', ',']) }).strict(),
  /** A large run's sample annotation tracks over its binned coefficient maps; null for a run sent with H. */
  'runs:coefficientTracks': byId,
});

type RequestSchemas = ReturnType<typeof buildRequestSchemas>;

/**
 * Each channel's request schema, built at the first request (see made-on-first-use.ts): the
 * command line calls the services directly and never builds them.
 */
export const requestSchemas: RequestSchemas = madeOnFirstUse(channelNames, buildRequestSchemas);

/** What each channel answers with (inside a Result). */
export interface ResponseMap {
  'app:info': AppInfo;
  'library:stats': LibraryStats;
  'library:export': LibraryFile;
  'library:merge': LibraryMergeResult;
  'datasets:list': DatasetSummary[];
  'datasets:get': DatasetDetail;
  'datasets:truth': DatasetTruth | null;
  'datasets:inspect': FilePreview;
  'datasets:import': { dataset: DatasetSummary; existing: boolean; warnings: string[] };
  'datasets:cancelImport': { cancelled: boolean };
  'datasets:rename': DatasetSummary;
  'datasets:delete': { deleted: number; runsDeleted: number };
  'datasets:synthesize': { dataset: DatasetSummary; existing: boolean };
  'datasets:pca': PcaView;
  'runs:list': RunSummary[];
  'runs:get': RunDetail;
  'runs:start': RunSummary;
  'runs:estimate': RunEstimate;
  'runs:cancel': { state: RunState };
  'runs:rerun': RunSummary;
  'runs:update': RunSummary;
  'runs:delete': { deleted: number };
  'runs:restore': RunSummary;
  'runs:assign': AssignmentView;
  'runs:importFactors': RunSummary;
  'sweeps:list': SweepSummary[];
  'sweeps:get': SweepDetail;
  'sweeps:start': SweepSummary;
  'sweeps:estimate': RunEstimate;
  'sweeps:cancel': { state: RunState };
  'sweeps:resume': SweepSummary;
  'sweeps:delete': { deleted: number };
  'compare:align': ComparisonView;
  'compare:activity': ActivityComparisonView;
  'jobs:list': JobProgress[];
  'projections:start': ProjectionView;
  'projections:list': ProjectionSummary[];
  'projections:get': ProjectionView;
  'projections:delete': { deleted: number };
  'projections:begin': { jobId: number };
  'projections:cancel': { state: 'cancelled' };
  'consensus:start': ConsensusSummary;
  'consensus:list': ConsensusSummary[];
  'consensus:get': ConsensusDetail;
  'consensus:cancel': { state: RunState };
  'consensus:resume': ConsensusSummary;
  'consensus:delete': { deleted: number };
  'consensus:rethreshold': ConsensusDetail;
  'consensus:clustergram': ConsensusClustergram;
  'sweeps:clusterExport': ClusterJobArchive;
  'sweeps:clusterImport': SweepSummary;
  'consensus:clusterExport': ClusterJobArchive;
  'consensus:clusterImport': ConsensusSummary;
  'annotations:import': AnnotationSet;
  'annotations:list': DatasetAnnotations;
  'annotations:sets': AnnotationSetHeading[];
  'annotations:delete': { deleted: number };
  'runs:classes': RunClassesView;
  'runs:markers': MarkersView;
  'runs:enrich': EnrichmentView;
  'sweeps:classes': SweepClassesView;
  'sweeps:consensus': ConsensusMapView;
  'settings:memoryBudget': MemoryBudgetView;
  'settings:setMemoryBudget': MemoryBudgetView;
  'consensus:estimate': RunEstimate;
  'projections:estimate': { peakBytes: number; memory: NonNullable<RunEstimate['memory']> };
  'runs:exportJson': DownloadTicket;
  'downloads:read': DownloadPiece;
  'downloads:cancel': { cancelled: boolean };
  'uploads:begin': { uploadId: string };
  'uploads:append': { received: number };
  'uploads:cancel': { cancelled: boolean };
  'cluster:cancelExport': { cancelled: boolean };
  'runs:exportTable': DownloadTicket;
  'projections:exportTable': DownloadTicket;
  'runs:coefficientTracks': CoefficientTracks | null;
}

/** A sweep's or consensus run's cluster job folder as one archive, saved by the renderer under `fileName`. */
export interface ClusterJobArchive {
  /** `nmf-sweep-<dataset>-<plan>.tar.gz` or `nmf-consensus-…` */
  fileName: string;
  /** Read in pieces with `downloads:read` (never one byte array across the boundary). */
  download: DownloadTicket;
  byteLength: number;
  fits: number;
  tasks: number;
}

/** A look at a file before importing it. */
export interface FilePreview {
  fileName: string;
  format: string;
  delimiter: string | null;
  hasHeader: boolean;
  hasRowNames: boolean;
  /** The first rows and columns, as text. */
  cells: string[][];
  estimatedRows: number | null;
  estimatedCols: number | null;
  /** Human-readable hints, e.g. that rows look like samples and a transpose may be wanted. */
  hints: string[];
  /**
   * Whether the import turns the stored layout unless asked to keep it (AnnData stores cells ×
   * genes and is imported as genes × cells; `transpose` then keeps the stored layout). `cells` is
   * always the stored layout.
   */
  transposedByDefault: boolean;
}

/** A copy of the whole library, to be saved by the renderer under `fileName`. */
export interface LibraryFile {
  /** `nmf-studio-library-YYYY-MM-DD.sqlite` */
  fileName: string;
  /** Read in pieces with `downloads:read` (a library holding 10⁶ cells is gigabytes). */
  download: DownloadTicket;
  byteLength: number;
}

/** What merging another library added to this one. */
export interface LibraryMergeResult {
  /** Datasets copied in. */
  datasetsAdded: number;
  /** Datasets already here (same content hash): their runs and sweeps were attached to these. */
  datasetsExisting: number;
  runsAdded: number;
  sweepsAdded: number;
  /** Projections and consensus records copied in (with their run and dataset links remapped). */
  projectionsAdded: number;
  consensusAdded: number;
}

/** Events pushed from main to every window. */
export interface EventMap {
  'jobs:progress': JobProgress;
  'datasets:importProgress': ImportProgress;
  /** Something in the library changed (a run finished, a dataset was added…): lists should refresh. */
  'library:changed': { what: 'datasets' | 'runs' | 'sweeps'; id: number | null };
  /** A step of a cluster export whose request carried an `exportId` (shared/api/cluster-export.ts). */
  'cluster:exportProgress': ClusterExportProgress;
}

export type { DownloadPiece, DownloadTicket, UploadRef } from './transfer';
export type { ClusterExportPhase, ClusterExportProgress } from './cluster-export';

export type Channel = keyof typeof requestSchemas;
export type EventName = keyof EventMap;
/** What a caller passes (defaults may be omitted). */
export type RequestOf<C extends Channel> = z.input<(typeof requestSchemas)[C]>;
/** What a handler receives (validated, defaults filled). */
export type ParsedRequestOf<C extends Channel> = z.output<(typeof requestSchemas)[C]>;
export type ResponseOf<C extends Channel> = ResponseMap[C];

export { channelNames, eventNames } from './names';

export function isChannel(name: string): name is Channel {
  return Object.prototype.hasOwnProperty.call(requestSchemas, name);
}

// Compile-time check that every channel has a response type and vice versa.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _channelsMatch: Exact<Channel, keyof ResponseMap> = true;
void _channelsMatch;
