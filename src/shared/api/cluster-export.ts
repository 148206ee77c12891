/**
 * The app's cluster export while its job folder is made (services/cluster-export.ts): the steps it
 * reports to the window as `cluster:exportProgress` events, keyed by the id the window chose for the
 * export (the `exportId` of `sweeps:clusterExport` / `consensus:clusterExport`, which
 * `cluster:cancelExport` names to stop it). Kept out of channels.ts so the renderer can import
 * them without zod.
 */

/**
 * The steps of making a job folder, in order: data.nmf written from the library's chunks, the small
 * files (the scripts, README.md, plan.json last), the folder packed as a .tar.gz.
 */
export const CLUSTER_EXPORT_PHASES = ['data', 'files', 'archive'] as const;
export type ClusterExportPhase = (typeof CLUSTER_EXPORT_PHASES)[number];

/** How far one step of a cluster export is (throttled: a few a second, plus each step's start and end). */
export interface ClusterExportProgress {
  exportId: string;
  phase: ClusterExportPhase;
  /** Bytes of this step done so far, of `totalBytes` (the data file's arrays; the files; the tar stream). */
  doneBytes: number;
  totalBytes: number;
  /** Time spent in this step so far. */
  elapsedMs: number;
  /** Time this step still needs at its rate so far; null until the rate is known (0 once done). */
  remainingMs: number | null;
}
