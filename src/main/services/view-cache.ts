import { H_VIEW_MAX_ENTRIES, summarisesH } from '../../shared/analysis/run-views';
import type { AnnotationColumn } from '../../shared/analysis';
import type {
  AnnotationColumnHeading,
  ConsensusMapView,
  ProjectionHSummary,
  RunClassesView,
  RunDetail,
  RunHSummary,
  SweepClassesView,
} from '../../shared/domain';
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

  /** Drops the value kept for `key`, if any. */
  delete(key: string): void {
    this.entries.delete(key);
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
  /**
   * Each sample's cluster by dominant component as `runs:classes` compares it with the classes
   * (shared/analysis `sampleLabels`), so that call reads neither H nor the sample names.
   */
  classLabels: Int32Array;
  /**
   * The run's `runs:classes` answer once made, with the version of the sample annotation files it
   * was made from (`annotationFilesVersion`): agreements of 10⁶ clusters with each class column
   * take seconds, and only an annotation file imported or deleted changes them.
   */
  classes?: { annotations: string; classes: RunClassesView['classes'] };
}

/**
 * Summaries of large H kept between calls: `runs:get` and `projections:get` of a 10⁶-sample run
 * or projection spend seconds making them (sorts of 10⁶ samples, k passes over H), and a finished
 * run's and a stored projection's factors never change. Four of each: ~1 MB apiece at k = 20, and
 * a run's two sample orders (8 MB at 10⁶ samples). Both are also stored in the library under the
 * same keys (kept-views.ts, migration 0180), for the next process.
 */
export interface ViewCaches {
  runs: RecentValues<KeptRunViews>;
  projections: RecentValues<ProjectionHSummary>;
  /**
   * `sweeps:classes` of finished sweeps (a few numbers per rank, class and cluster), keyed by
   * {@link sweepClassesKey}: each answer compares every rank's n consensus clusters with every
   * class column (about a second a rank at 10⁶ samples and two class columns).
   */
  sweepClasses: RecentValues<SweepClassesView>;
  /**
   * The column headings of stored annotation files (`annotations:sets`), keyed by the file's id,
   * creation time and hash (`annotationFileKey`): counting a file's classes parses all its values.
   */
  annotationHeadings: RecentValues<AnnotationColumnHeading[]>;
  /**
   * `sweeps:consensus` maps, keyed by {@link consensusMapKey}: each is remade from every fit's
   * stored sample labels at the rank (a second and more at 10⁶ samples). Each is also stored in the
   * library under that key (kept-views.ts), as are the class answers, for the next process.
   */
  consensusMaps: RecentValues<KeptConsensusMap>;
}

/**
 * What is kept of one rank's consensus map: the map as `sweeps:consensus` sends it but its tracks,
 * and the tracks once made with the version of the sample annotation files they were read from
 * (`annotationFilesVersion`; parsing the annotations of 10⁶ samples takes about half a second).
 * Whatever n, a map holds at most `CONSENSUS_MAX_SAMPLES` (2000) shown samples: their order, leaves,
 * clusters and tree, at most 240 × 240 Float32 cells, their names only up to 240 samples, and one
 * value a shown sample per annotation column — under 1 MB with a few columns.
 */
export interface KeptConsensusMap {
  map: Omit<ConsensusMapView, 'sampleTracks'>;
  tracks?: { annotations: string; columns: AnnotationColumn[] };
}

/** Summaries kept per context: each library its own (no module state shared between libraries). */
const caches = new WeakMap<ServiceContext, ViewCaches>();

/** The number of summaries of each kind kept. */
export const KEPT_SUMMARIES = 4;

/** The number of annotation files whose column headings are kept (a few hundred bytes each). */
export const KEPT_ANNOTATION_HEADINGS = 256;

/** The number of consensus maps kept (a sweep's ranks, or a few sweeps' chosen ranks; see {@link KeptConsensusMap}). */
export const KEPT_CONSENSUS_MAPS = 8;

export function viewCaches(ctx: ServiceContext): ViewCaches {
  let kept = caches.get(ctx);
  if (!kept) {
    kept = {
      runs: new RecentValues<KeptRunViews>(KEPT_SUMMARIES),
      projections: new RecentValues<ProjectionHSummary>(KEPT_SUMMARIES),
      sweepClasses: new RecentValues<SweepClassesView>(KEPT_SUMMARIES),
      annotationHeadings: new RecentValues<AnnotationColumnHeading[]>(KEPT_ANNOTATION_HEADINGS),
      consensusMaps: new RecentValues<KeptConsensusMap>(KEPT_CONSENSUS_MAPS),
    };
    caches.set(ctx, kept);
  }
  return kept;
}

/** The key prefix of every summary of row `id` (runs and projections are keyed `id|…`). */
export function idPrefix(id: number): string {
  return `${id}|`;
}

/**
 * The key under which a run's summaries are kept, or null when they are not to be kept: a run that
 * is not summarised (not done, or H small enough to send), or a sweep's run while its sweep is
 * unfinished (its consensus clusters, one of the summaries' inputs, may still come). The run's
 * creation time tells a run from a later one given its id; the sweep's end time, a sweep resumed.
 */
export function runViewsKey(
  ctx: ServiceContext,
  head: Pick<RunDetail, 'id' | 'state' | 'W' | 'params' | 'cols' | 'sweepId' | 'createdAt'>,
  maxEntries = H_VIEW_MAX_ENTRIES,
): string | null {
  if (head.state !== 'done' || !head.W || !summarisesH(head.params.rank, head.cols, maxEntries)) return null;
  let sweepEnd = '';
  if (head.sweepId !== null) {
    const sweep = ctx.db.prepare('SELECT finished_at FROM sweeps WHERE id = ?').get(head.sweepId) as
      { finished_at: string | null } | undefined;
    if (!sweep?.finished_at) return null;
    sweepEnd = sweep.finished_at;
  }
  return `${idPrefix(head.id)}${head.createdAt}|${sweepEnd}|${maxEntries}`;
}

/** What is kept of run `head` (see {@link runViewsKey}), if anything. */
export function keptRunViews(
  ctx: ServiceContext,
  head: Parameters<typeof runViewsKey>[1],
  maxEntries = H_VIEW_MAX_ENTRIES,
): KeptRunViews | undefined {
  const key = runViewsKey(ctx, head, maxEntries);
  return key === null ? undefined : caches.get(ctx)?.runs.get(key);
}

/**
 * The key under which a summarised projection's summary is kept and stored: a stored projection
 * never changes, and its creation time tells it from a later one given its id.
 */
export function projectionSummaryKey(id: number, createdAt: string, maxEntries = H_VIEW_MAX_ENTRIES): string {
  return `${idPrefix(id)}${createdAt}|${maxEntries}`;
}

/** Forgets the kept summaries of run `id`, deleted (its id may later be given to another run). */
export function forgetRunSummaries(ctx: ServiceContext, id: number): void {
  caches.get(ctx)?.runs.dropPrefix(idPrefix(id));
}

/** Forgets the kept summary of projection `id`, deleted. */
export function forgetProjectionSummary(ctx: ServiceContext, id: number): void {
  caches.get(ctx)?.projections.dropPrefix(idPrefix(id));
}

/**
 * The key of a finished sweep's `sweeps:classes`: its id, its end time (a sweep resumed ends again;
 * a deleted sweep's id given to a later one ends at another time) and the version of its dataset's
 * sample annotation files (`annotationFilesVersion`). Null for an unfinished sweep, not kept.
 */
export function sweepClassesKey(
  sweep: { id: number; state: string; finishedAt: string | null },
  annotations: string,
): string | null {
  return sweep.state === 'done' && sweep.finishedAt
    ? `${idPrefix(sweep.id)}${sweep.finishedAt}|${annotations}`
    : null;
}

/**
 * The key of one rank's consensus map of a sweep that has ended (done, cancelled, failed or
 * interrupted): its id, creation time (a deleted sweep's id given to a later one), end time and
 * finished jobs (a sweep resumed is queued again with no end time, and ends again at another time
 * with more fits), and the rank. Null while it is queued or running: its fits are still coming.
 */
export function consensusMapKey(
  sweep: { id: number; state: string; createdAt: string; finishedAt: string | null; jobsDone: number },
  rank: number,
): string | null {
  return sweep.state !== 'queued' && sweep.state !== 'running' && sweep.finishedAt
    ? `${idPrefix(sweep.id)}${sweep.createdAt}|${sweep.finishedAt}|${sweep.jobsDone}|${rank}`
    : null;
}

/** Forgets what is kept of sweep `id`, deleted. */
export function forgetSweepViews(ctx: ServiceContext, id: number): void {
  const kept = caches.get(ctx);
  kept?.sweepClasses.dropPrefix(idPrefix(id));
  kept?.consensusMaps.dropPrefix(idPrefix(id));
}
