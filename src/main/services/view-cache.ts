import type { ProjectionHSummary, RunHSummary } from '../../shared/domain';
import type { ServiceContext } from './context';

/**
 * The last few values made for keys, least recently used dropped first. A key must name the
 * content, not only the row: SQLite gives a deleted row's id to the next insert when it was the
 * largest (see matrix-cache.ts), so keys add the row's creation time.
 */
export class RecentValues<V> {
  private readonly entries = new Map<string, V>();

  constructor(readonly capacity: number) {}

  /** The value kept for `key`, now the most recently used; undefined when none is. */
  get(key: string): V | undefined {
    const kept = this.entries.get(key);
    if (kept !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, kept);
    }
    return kept;
  }

  /** Keeps `value` for `key`, dropping the least recently used beyond the capacity. */
  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }

  /** Drops every value whose key starts with `prefix` (a row's id and the separator). */
  dropPrefix(prefix: string): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.entries.delete(key);
  }

  /** Keys kept, least recently used first (for tests and diagnostics). */
  keys(): string[] {
    return [...this.entries.keys()];
  }
}

/**
 * What is kept of a large run: the summaries `runs:get` sends, and its coefficient maps' sample
 * orders (n each, 4 MB at 10⁶ samples, never sent) for the maps' annotation tracks.
 */
export interface KeptRunViews {
  summary: RunHSummary;
  coefficientOrders: { dominant: Int32Array; consensus: Int32Array | null };
}

/**
 * Summaries of large H kept between calls: `runs:get` and `projections:get` of a 10⁶-sample run
 * or projection spend seconds making them (sorts of 10⁶ samples, k passes over H), and a finished
 * run's and a stored projection's factors never change. Four of each: ~1 MB apiece at k = 20, and
 * a run's two sample orders (8 MB at 10⁶ samples).
 */
export interface ViewCaches {
  runs: RecentValues<KeptRunViews>;
  projections: RecentValues<ProjectionHSummary>;
}

/** Summaries kept per context: each library its own (no module state shared between libraries). */
const caches = new WeakMap<ServiceContext, ViewCaches>();

/** The number of summaries of each kind kept. */
export const KEPT_SUMMARIES = 4;

export function viewCaches(ctx: ServiceContext): ViewCaches {
  let kept = caches.get(ctx);
  if (!kept) {
    kept = {
      runs: new RecentValues<KeptRunViews>(KEPT_SUMMARIES),
      projections: new RecentValues<ProjectionHSummary>(KEPT_SUMMARIES),
    };
    caches.set(ctx, kept);
  }
  return kept;
}

/** The key prefix of every summary of row `id` (runs and projections are keyed `id|…`). */
export function idPrefix(id: number): string {
  return `${id}|`;
}

/** Forgets the kept summaries of run `id`, deleted (its id may later be given to another run). */
export function forgetRunSummaries(ctx: ServiceContext, id: number): void {
  caches.get(ctx)?.runs.dropPrefix(idPrefix(id));
}

/** Forgets the kept summary of projection `id`, deleted. */
export function forgetProjectionSummary(ctx: ServiceContext, id: number): void {
  caches.get(ctx)?.projections.dropPrefix(idPrefix(id));
}
