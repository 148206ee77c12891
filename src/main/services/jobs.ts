import type { JobProgress } from '../../shared/domain';
import type { ServiceContext } from './context';

/**
 * Live jobs (runs and sweeps) with their latest progress, for the Jobs screen and `jobs:list`.
 * Remaining time comes from the iteration rate so far: (maxIter − iteration) · elapsed / iteration.
 * It is an upper bound for fits that converge early.
 */
export class JobRegistry {
  private readonly jobs = new Map<string, JobProgress>();
  private readonly cancellers = new Map<string, () => void>();
  /** First progress seen per job: the rate is measured from there, so set-up time is not counted as iterations. */
  private readonly firstSeen = new Map<string, { iteration: number; elapsedMs: number }>();

  constructor(private readonly ctx: Pick<ServiceContext, 'events'>) {}

  private static key(kind: JobProgress['kind'], id: number): string {
    return `${kind}:${id}`;
  }

  add(kind: JobProgress['kind'], id: number, maxIter: number, cancel: () => void, jobsTotal?: number): void {
    const key = JobRegistry.key(kind, id);
    const progress: JobProgress = {
      kind,
      id,
      state: 'queued',
      iteration: 0,
      maxIter,
      loss: null,
      elapsedMs: 0,
      remainingMs: null,
      ...(jobsTotal !== undefined ? { jobsDone: 0, jobsTotal } : {}),
    };
    this.jobs.set(key, progress);
    this.cancellers.set(key, cancel);
    this.ctx.events.emit('jobs:progress', progress);
  }

  update(kind: JobProgress['kind'], id: number, patch: Partial<JobProgress>): void {
    const key = JobRegistry.key(kind, id);
    const current = this.jobs.get(key);
    if (!current) return;
    const next: JobProgress = { ...current, ...patch };
    if (
      patch.iteration !== undefined &&
      patch.elapsedMs !== undefined &&
      next.iteration > 0 &&
      (next.kind === 'run' || next.kind === 'projection')
    ) {
      next.remainingMs = Math.max(0, ((next.maxIter - next.iteration) * next.elapsedMs) / next.iteration);
    }
    if (next.loss !== null && !Number.isFinite(next.loss)) next.loss = null;
    this.jobs.set(key, next);
    this.ctx.events.emit('jobs:progress', next);
  }

  /** Marks a job finished (done, cancelled, failed) and forgets it. */
  finish(kind: JobProgress['kind'], id: number, state: JobProgress['state']): void {
    const key = JobRegistry.key(kind, id);
    const current = this.jobs.get(key);
    this.jobs.delete(key);
    this.cancellers.delete(key);
    this.firstSeen.delete(key);
    if (current) this.ctx.events.emit('jobs:progress', { ...current, state, remainingMs: 0 });
  }

  cancel(kind: JobProgress['kind'], id: number): boolean {
    const cancel = this.cancellers.get(JobRegistry.key(kind, id));
    cancel?.();
    return cancel !== undefined;
  }

  has(kind: JobProgress['kind'], id: number): boolean {
    return this.jobs.has(JobRegistry.key(kind, id));
  }

  list(): JobProgress[] {
    return [...this.jobs.values()];
  }

  cancelAll(): void {
    for (const cancel of this.cancellers.values()) cancel();
  }
}
