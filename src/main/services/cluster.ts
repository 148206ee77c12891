/**
 * Sweeps and consensus runs on a batch cluster (SLURM job arrays): a self-contained job folder is
 * planned (cluster-planning.ts, its scripts in cluster-scripts.ts), each array task runs its share
 * of the fits on a compute node (`sweep-task`, cluster-task.ts), and the merge (cluster-merge.ts)
 * brings the results into the library through the same summary and saving code as a local run, so
 * what is stored — and the files written from it — are the same bits. The folder's files are read
 * and written in cluster-folder.ts (data.nmf in pieces by cluster-data-file.ts); the app's .tar.gz
 * export and import are in cluster-archive.ts.
 * Job folder layout: docs/architecture.md, "Sweeps on a cluster".
 */
export {
  ClusterFolderError,
  planConsensusParams,
  readPlan,
  readPlanData,
  readResults,
  writeFileAtomic,
  writeJobFolder,
  type ClusterData,
  type PlannedFolder,
} from './cluster-folder';
export {
  clusterDataOfDataset,
  writeDataFile,
  type ClusterDataSource,
  type LibraryClusterData,
} from './cluster-data-file';
export {
  jsonProblem,
  planClusterConsensus,
  planClusterSweep,
  type ClusterPlanOptions,
} from './cluster-planning';
export { runClusterTask, type TaskReport } from './cluster-task';
export { describeIncomplete, mergeClusterConsensus, mergeClusterSweep } from './cluster-merge';
export {
  importClusterArchive,
  importConsensusClusterArchive,
  planConsensusArchive,
  planSweepArchive,
  writeClusterArchive,
  type PlannedArchive,
} from './cluster-archive';
