import type { ClusterExportPhase, ClusterExportProgress } from '../../shared/api/cluster-export';

/**
 * Progress and cancellation while a job folder is made (docs/architecture.md, "Sweeps on a
 * cluster"): the writers (data.nmf, the small files, the .tar.gz) tell a listener how many bytes of
 * each step are done, at the step's start, after each piece and at its end, and check a signal
 * between pieces. `meteredProgress` turns those calls into a few reports a second with the time
 * left, for the window's `cluster:exportProgress` events and the command line's stderr lines.
 */

/** Bytes of a step done of its total: called at the step's start (0), after each piece, and at its end. */
export type FolderProgressListener = (
  phase: ClusterExportPhase,
  doneBytes: number,
  totalBytes: number,
) => void;

/** What a job folder's writers take besides their data: a signal checked between pieces, and a listener. */
export interface FolderWriteControl {
  /** Aborted: the writer stops before its next piece and throws the signal's reason. */
  signal?: AbortSignal;
  onProgress?: FolderProgressListener;
}

/** Least time between two reports of one step (the worker protocol's progress throttle). */
export const PROGRESS_INTERVAL_MS = 250;
/** A step's rate is taken as known (and a time left given) once it has run this long. */
export const RATE_KNOWN_AFTER_MS = 1000;

/**
 * A listener that reports each step's start and end, and in between at most one call per
 * `intervalMs`, with the step's elapsed time and the time it still needs at its rate so far:
 * (total − done) × elapsed / done, once the step has run `RATE_KNOWN_AFTER_MS` (null before; the
 * first pieces of a step include opening files and warming caches). A repeated call with nothing new
 * is dropped, so the reports of a step are strictly increasing in bytes.
 */
export function meteredProgress(
  report: (progress: Omit<ClusterExportProgress, 'exportId'>) => void,
  {
    intervalMs = PROGRESS_INTERVAL_MS,
    now = () => performance.now(),
  }: { intervalMs?: number; now?: () => number } = {},
): FolderProgressListener {
  let phase: ClusterExportPhase | null = null;
  let phaseStarted = 0;
  let lastReported = 0;
  let lastDone = -1;
  return (next, doneBytes, totalBytes) => {
    const time = now();
    const started = next !== phase;
    if (started) {
      phase = next;
      phaseStarted = time;
      lastDone = -1;
    } else if (doneBytes <= lastDone) return;
    const finished = doneBytes >= totalBytes;
    if (!started && !finished && time - lastReported < intervalMs) return;
    lastReported = time;
    lastDone = doneBytes;
    const elapsedMs = time - phaseStarted;
    const remainingMs = finished
      ? 0
      : doneBytes > 0 && elapsedMs >= RATE_KNOWN_AFTER_MS
        ? ((totalBytes - doneBytes) * elapsedMs) / doneBytes
        : null;
    report({ phase: next, doneBytes, totalBytes, elapsedMs, remainingMs });
  };
}
