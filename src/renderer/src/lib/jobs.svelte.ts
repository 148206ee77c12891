import type { JobProgress } from '../../../shared/domain';
import { api, call } from './api';

/**
 * Live state of every job, fed by `jobs:list` and `jobs:progress` events. Each job keeps the loss
 * trace seen so far so its curve can be drawn while it runs.
 */

export interface LiveJob {
  key: string;
  progress: JobProgress;
  /** Runs: [iteration, loss] pairs. Sweeps: [elapsed seconds, fits done]. */
  trace: Array<[number, number]>;
  /** Bumped on every update so views can react without deep comparison. */
  version: number;
}

export const jobs: { map: Record<string, LiveJob>; error: string | null } = $state({ map: {}, error: null });

export function jobKey(kind: JobProgress['kind'], id: number): string {
  return `${kind}:${id}`;
}

const active = new Set(['queued', 'running']);

export function isActive(job: LiveJob): boolean {
  return active.has(job.progress.state);
}

function ingest(progress: JobProgress): void {
  const key = jobKey(progress.kind, progress.id);
  const existing = jobs.map[key];
  const trace = existing ? existing.trace : [];
  const last = trace[trace.length - 1];
  let next = trace;
  if (progress.kind !== 'run' && progress.kind !== 'projection') {
    // A sweep's (or consensus's) fits run in parallel and their progress events interleave, so a single loss
    // curve would mix fits: its trace is fits finished against elapsed seconds instead.
    const done = progress.jobsDone ?? 0;
    if (!last || done !== last[1]) next = [...trace, [progress.elapsedMs / 1000, done]];
  } else {
    if (last && progress.iteration < last[0]) next = [];
    const fresh = !last || progress.iteration !== last[0] || next !== trace;
    if (progress.loss !== null && Number.isFinite(progress.loss) && fresh)
      next = [...next, [progress.iteration, progress.loss]];
  }
  jobs.map[key] = { key, progress, trace: next, version: (existing?.version ?? 0) + 1 };
}

export async function refreshJobs(): Promise<void> {
  const result = await call('jobs:list', {});
  if (!result.ok) {
    jobs.error = result.error.message;
    return;
  }
  jobs.error = null;
  for (const progress of result.value) ingest(progress);
}

api.on('jobs:progress', ingest);
void refreshJobs();

export function activeCount(): number {
  return Object.values(jobs.map).filter(isActive).length;
}
