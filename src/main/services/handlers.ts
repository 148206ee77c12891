import { ENGINE_VERSION } from '../../shared/domain';
import type { ServiceContext } from './context';
import type { Handlers } from './dispatch';
import { assignRunModules, compareRuns, datasetPca, synthesizeDataset } from './analysis';
import { engineRate } from './calibrate';
import { estimateConsensus, estimateProjectionMemory } from './job-memory';
import { describeKernels } from '../native';
import {
  cancelImport,
  deleteDatasetById,
  getDatasetDetail,
  getDatasetTruth,
  importUpload,
  inspectUpload,
  withStagedUpload,
  listDatasetSummaries,
  renameDatasetById,
} from './datasets';
import { libraryStats } from './library';
import {
  deleteAnnotationById,
  getDatasetAnnotations,
  listAnnotationHeadings,
  importAnnotationFile,
} from './annotations';
import { runClasses, runEnrichment, runMarkers, sweepClasses, sweepConsensusMap } from './reading';
import { importFactors, importLibrary } from './transfer';
import { offerLibraryCopy } from './export-downloads';
import { cancelDownload, readDownload } from './downloads';
import { offerRunJson } from './run-export';
import { appendUpload, beginUpload, cancelUpload } from './uploads';
import {
  cancelRun,
  deleteRun,
  estimateRun,
  listRunSummaries,
  rerun,
  restoreDeletedRun,
  startRun,
  updateRun,
} from './runs';
import {
  cancelSweep,
  deleteSweepById,
  estimateSweep,
  getSweepView,
  listSweepSummaries,
  resumeSweep,
  startSweep,
} from './sweeps';
import {
  importClusterArchive,
  importConsensusClusterArchive,
  planConsensusArchive,
  planSweepArchive,
} from './cluster';
import { cancelClusterExport, exportClusterJob } from './cluster-export';

import {
  cancelConsensus,
  consensusClustergram,
  deleteConsensusById,
  getConsensusDetail,
  listConsensusSummaries,
  resumeConsensus,
  rethresholdConsensus,
  startConsensus,
} from './consensus';
import {
  deleteProjectionById,
  getProjectionView,
  listProjectionSummaries,
  offerProjectionTable,
  projectDataset,
  beginProjection,
  cancelProjection,
} from './projections';
import { compareActivity } from './activity-compare';
import { currentMemoryBudget, saveMemoryBudget } from './memory-budget';
import { getCoefficientTracks, getRunView, offerRunTable } from './run-view';

/** The one handler per channel, shared by Electron IPC and the browser-mode server. */
export function createHandlers(ctx: ServiceContext): Handlers {
  return {
    'app:info': () => ({
      name: ctx.app.name,
      version: ctx.app.version,
      engineVersion: ENGINE_VERSION,
      kernels: describeKernels(),
      mode: ctx.app.mode === 'electron' ? 'electron' : 'browser',
      libraryPath: ctx.app.libraryPath,
      versions: ctx.app.versions,
    }),
    'library:stats': () => libraryStats(ctx),
    'library:export': () => offerLibraryCopy(ctx),
    'library:merge': ({ file }) =>
      withStagedUpload(ctx, file.fileName, file.bytes, async (path) =>
        importLibrary(ctx, path, { name: file.fileName }),
      ),
    'datasets:list': () => listDatasetSummaries(ctx),
    'datasets:get': ({ id }) => getDatasetDetail(ctx, id),
    'datasets:truth': ({ id }) => getDatasetTruth(ctx, id),
    'datasets:inspect': (request) => inspectUpload(ctx, request),
    'datasets:import': (request) => importUpload(ctx, request),
    'datasets:cancelImport': ({ importId }) => cancelImport(ctx, importId),
    'datasets:rename': ({ id, name }) => renameDatasetById(ctx, id, name),
    'datasets:delete': ({ id }) => deleteDatasetById(ctx, id),
    'datasets:synthesize': (params) => synthesizeDataset(ctx, params),
    'datasets:pca': ({ id, components }) => datasetPca(ctx, id, components),
    'runs:list': (filter) => listRunSummaries(ctx, filter),
    'runs:get': ({ id }) => getRunView(ctx, id),
    'runs:start': ({ datasetId, params }) => startRun(ctx, datasetId, params),
    'runs:estimate': ({ datasetId, params }) => estimateRun(ctx, datasetId, params, engineRate(ctx)),
    'runs:cancel': ({ id }) => cancelRun(ctx, id),
    'runs:rerun': ({ id }) => rerun(ctx, id),
    'runs:update': (request) => updateRun(ctx, request),
    'runs:delete': ({ id }) => deleteRun(ctx, id),
    'runs:restore': ({ id }) => restoreDeletedRun(ctx, id),
    'runs:assign': ({ id, threshold }) => assignRunModules(ctx, id, threshold),
    'runs:importFactors': (request) =>
      withStagedUpload(ctx, request.w.fileName, request.w.bytes, (wPath) =>
        withStagedUpload(ctx, request.h.fileName, request.h.bytes, (hPath) =>
          importFactors(ctx, request.datasetId, {
            wPath,
            hPath,
            wName: request.w.fileName,
            hName: request.h.fileName,
            tool: request.tool,
            params: { loss: request.loss, beta: request.beta },
            notes: request.notes,
          }),
        ),
      ),
    'sweeps:list': ({ datasetId }) => listSweepSummaries(ctx, datasetId),
    'sweeps:get': ({ id }) => getSweepView(ctx, id),
    'sweeps:start': ({ datasetId, params }) => startSweep(ctx, datasetId, params),
    'sweeps:estimate': ({ datasetId, params }) => estimateSweep(ctx, datasetId, params, engineRate(ctx)),
    'sweeps:cancel': ({ id }) => cancelSweep(ctx, id),
    'sweeps:resume': ({ id }) => resumeSweep(ctx, id),
    'sweeps:delete': ({ id }) => deleteSweepById(ctx, id),
    'compare:align': ({ runIds, metric }) => compareRuns(ctx, runIds, metric),
    'compare:activity': ({ items, metric }) => compareActivity(ctx, items, metric),
    'jobs:list': () => ctx.jobs.list(),
    // Answered as `projections:get` answers: a summary of H in place of H above the threshold.
    'projections:start': async ({ runId, datasetId, minShare }) =>
      getProjectionView(ctx, (await projectDataset(ctx, runId, datasetId, { minShare })).id),
    'projections:list': (filter) => listProjectionSummaries(ctx, filter),
    'projections:get': ({ id }) => getProjectionView(ctx, id),
    'projections:delete': ({ id }) => deleteProjectionById(ctx, id),
    'projections:begin': ({ runId, datasetId, minShare }) =>
      beginProjection(ctx, runId, datasetId, { minShare }),
    'projections:cancel': ({ id }) => cancelProjection(ctx, id),
    'consensus:start': ({ datasetId, params }) => startConsensus(ctx, datasetId, params),
    'consensus:list': ({ datasetId }) => listConsensusSummaries(ctx, datasetId),
    'consensus:get': ({ id }) => getConsensusDetail(ctx, id),
    'consensus:cancel': ({ id }) => cancelConsensus(ctx, id),
    'consensus:resume': ({ id }) => resumeConsensus(ctx, id),
    'consensus:delete': ({ id }) => deleteConsensusById(ctx, id),
    'consensus:rethreshold': ({ id, rank, threshold }) => rethresholdConsensus(ctx, id, rank, threshold),
    'consensus:clustergram': ({ id, rank }) => consensusClustergram(ctx, id, rank),
    'sweeps:clusterExport': ({ datasetId, params, exportId, ...options }) =>
      exportClusterJob(ctx, exportId, () =>
        planSweepArchive(ctx, datasetId, params, options, engineRate(ctx)),
      ),
    'sweeps:clusterImport': ({ file }) =>
      withStagedUpload(ctx, file.fileName, file.bytes, async (path) =>
        importClusterArchive(ctx, { fileName: file.fileName, path }),
      ),
    'consensus:clusterExport': ({ datasetId, params, exportId, ...options }) =>
      exportClusterJob(ctx, exportId, () =>
        planConsensusArchive(ctx, datasetId, params, options, engineRate()),
      ),
    'consensus:clusterImport': ({ file }) =>
      withStagedUpload(ctx, file.fileName, file.bytes, async (path) =>
        importConsensusClusterArchive(ctx, { fileName: file.fileName, path }),
      ),
    'annotations:import': ({ datasetId, axis, file }) =>
      withStagedUpload(ctx, file.fileName, file.bytes, (path) =>
        importAnnotationFile(ctx, datasetId, axis, path, file.fileName),
      ),
    'annotations:list': ({ datasetId, axis }) => getDatasetAnnotations(ctx, datasetId, axis),
    'annotations:sets': ({ datasetId }) => listAnnotationHeadings(ctx, datasetId),
    'annotations:delete': ({ id }) => deleteAnnotationById(ctx, id),
    'runs:classes': ({ id }) => runClasses(ctx, id),
    'runs:markers': ({ id, method, top }) => runMarkers(ctx, id, method, top),
    'runs:enrich': ({ id, gmt, method, top }) =>
      withStagedUpload(ctx, gmt.fileName, gmt.bytes, (path) =>
        runEnrichment(ctx, id, path, gmt.fileName, { method, top }),
      ),
    'sweeps:classes': ({ id }) => sweepClasses(ctx, id),
    'sweeps:consensus': ({ id, rank }) => sweepConsensusMap(ctx, id, rank),
    'settings:memoryBudget': () => currentMemoryBudget(ctx),
    'settings:setMemoryBudget': ({ bytes }) => saveMemoryBudget(ctx, bytes),
    'consensus:estimate': ({ datasetId, params }) =>
      estimateConsensus(ctx, datasetId, params, engineRate(ctx)),
    'projections:estimate': ({ runId, datasetId }) => estimateProjectionMemory(ctx, runId, datasetId),
    // Files moved in pieces (downloads.ts, uploads.ts).
    'runs:exportJson': ({ id, threshold }) => offerRunJson(ctx, id, threshold),
    'downloads:read': ({ downloadId }) => readDownload(ctx, downloadId),
    'downloads:cancel': ({ downloadId }) => cancelDownload(ctx, downloadId),
    'uploads:begin': ({ fileName, byteLength }) => beginUpload(ctx, fileName, byteLength),
    'uploads:append': ({ uploadId, offset, bytes }) => appendUpload(ctx, uploadId, offset, bytes),
    'uploads:cancel': ({ uploadId }) => cancelUpload(ctx, uploadId),
    // The cluster export while its job folder is made (cluster-export.ts).
    'cluster:cancelExport': ({ exportId }) => cancelClusterExport(ctx, exportId),
    // The Run screen: H summarised above a size, W and H tables made here (run-view.ts).
    'runs:exportTable': ({ id, which, delimiter }) => offerRunTable(ctx, id, which, delimiter),
    'projections:exportTable': ({ id, delimiter }) => offerProjectionTable(ctx, id, delimiter),
    'runs:coefficientTracks': ({ id }) => getCoefficientTracks(ctx, id),
  };
}
