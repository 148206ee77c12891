import { ServiceError } from '../../shared/api';
import type { ClusterJobArchive } from '../../shared/api/channels';
import type { PlannedArchive } from './cluster-archive';
import { meteredProgress, PROGRESS_INTERVAL_MS } from './cluster-progress';
import type { ServiceContext } from './context';
import { offerClusterArchive } from './export-downloads';

/**
 * The app's "Save job folder (.tar.gz)" as long work (docs/architecture.md, "Sweeps on a cluster"):
 * making a 10⁶-cell job folder and its archive takes minutes (data.nmf of 2.6 GB written from the
 * library's chunks, then packed through gzip), so it reports its steps and can be stopped, as an
 * import does (`datasets:import` with an `importId`, `datasets:importProgress`,
 * `datasets:cancelImport`). The window names the export by a random `exportId` of its own choosing
 * in `sweeps:clusterExport` / `consensus:clusterExport`; the steps reach it as
 * `cluster:exportProgress` events under that id, and `cluster:cancelExport` stops it between
 * pieces: its temporary folder and partial archive are removed, and the library is only read, so
 * it is unchanged. Once the archive is offered, the export is a download (`downloads:cancel`).
 */

/** A cancel that arrived before its export (a window's two requests may overtake each other over HTTP). */
const REMEMBERED_CANCELS = 64;

interface ExportRegistry {
  running: Map<string, AbortController>;
  /** Ids cancelled while unknown, most recent last: an export arriving under one stops at once. */
  cancelledEarly: string[];
}

const registries = new WeakMap<ServiceContext, ExportRegistry>();

function registry(ctx: ServiceContext): ExportRegistry {
  let found = registries.get(ctx);
  if (!found) registries.set(ctx, (found = { running: new Map(), cancelledEarly: [] }));
  return found;
}

function cancelledError(): ServiceError {
  return new ServiceError('cancelled', 'the job folder was cancelled; nothing of it was kept');
}

/**
 * Plans (`plan`: planSweepArchive or planConsensusArchive) and makes a job folder's archive and
 * offers it as a download (`offerClusterArchive`). With an `exportId`, its steps are reported as
 * `cluster:exportProgress` events (at most one per `progressIntervalMs` a step, and each step's
 * start and end) and `cancelClusterExport` stops it: the request then fails with `cancelled`, after
 * everything it wrote has been removed.
 */
export async function exportClusterJob(
  ctx: ServiceContext,
  exportId: string | undefined,
  plan: () => PlannedArchive,
  { progressIntervalMs = PROGRESS_INTERVAL_MS }: { progressIntervalMs?: number } = {},
): Promise<ClusterJobArchive> {
  if (exportId === undefined) return offerClusterArchive(ctx, plan());
  const { running, cancelledEarly } = registry(ctx);
  if (running.has(exportId)) throw new ServiceError('conflict', 'an export with this id is already running');
  const early = cancelledEarly.indexOf(exportId);
  if (early >= 0) {
    cancelledEarly.splice(early, 1);
    throw cancelledError();
  }
  const controller = new AbortController();
  running.set(exportId, controller);
  try {
    const onProgress = meteredProgress(
      (progress) => ctx.events.emit('cluster:exportProgress', { exportId, ...progress }),
      { intervalMs: progressIntervalMs },
    );
    return await offerClusterArchive(ctx, plan(), { signal: controller.signal, onProgress });
  } catch (error) {
    // Whatever stopped it once cancelled (the signal's reason, a stream's AbortError) is the cancel.
    if (controller.signal.aborted) throw cancelledError();
    throw error;
  } finally {
    running.delete(exportId);
  }
}

/**
 * Stops the export running under `exportId` (it removes what it wrote and fails with `cancelled`).
 * An id not running — finished, refused, or not arrived yet — is no error: it is remembered (the
 * last REMEMBERED_CANCELS), so an export arriving under it later stops before it starts.
 */
export function cancelClusterExport(ctx: ServiceContext, exportId: string): { cancelled: boolean } {
  const { running, cancelledEarly } = registry(ctx);
  const controller = running.get(exportId);
  if (controller) {
    controller.abort(cancelledError());
    return { cancelled: true };
  }
  if (!cancelledEarly.includes(exportId)) {
    cancelledEarly.push(exportId);
    if (cancelledEarly.length > REMEMBERED_CANCELS) cancelledEarly.shift();
  }
  return { cancelled: false };
}

/** Stops every export of a context (the desktop window closed, or the services are closing). */
export function cancelAllClusterExports(ctx: ServiceContext): void {
  for (const controller of registry(ctx).running.values()) controller.abort(cancelledError());
}

/** How many exports a context is making (for tests and the documentation's claims). */
export function runningClusterExportCount(ctx: ServiceContext): number {
  return registry(ctx).running.size;
}
