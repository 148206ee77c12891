import { decodeFrame, encodeFrame } from '../../shared/api';
import type { AnnotationColumn } from '../../shared/analysis';
import type { ProjectionHSummary, RunClassesView, SweepClassesView } from '../../shared/domain';
import {
  storeConsensusMapRow,
  storeValueRow,
  storedConsensusMapRow,
  storedValueRow,
  type KeptValueTable,
} from '../db/queries/kept-views';
import type { ServiceContext } from './context';
import { runViewsKey, viewCaches, type KeptConsensusMap, type KeptRunViews } from './view-cache';

/**
 * What the view caches keep (view-cache.ts) written to the library too (migrations 0170 and 0180),
 * so that a new process reads an ended sweep's consensus maps and class answers, a large run's
 * summaries of H and class answer, and a large projection's summary of H, instead of making them
 * again (2–4 s each at 10⁶ samples, 6–21 s for a run's summaries). Values are stored as NMF1
 * frames (shared/api/codec.ts: typed arrays as their bytes, the rest as JSON, non-finite numbers
 * marked), so what is read back is the value that was stored, bit for bit. Each row holds the key
 * it was made under and is read only under the same key. These are caches: a library open
 * read-only is not written, a failed write leaves the call's answer as it is, and a row that
 * cannot be read is made again.
 */

/** Whether this process writes to the library: not when it opened it read-only. */
function storesViews(ctx: ServiceContext): boolean {
  return ctx.owner !== null && !ctx.db.readonly;
}

function frameBytes(value: unknown): Buffer {
  const frame = encodeFrame(value);
  return Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
}

function fromFrame(blob: Buffer): unknown {
  return decodeFrame(new Uint8Array(blob.buffer, blob.byteOffset, blob.byteLength));
}

/**
 * The consensus map of a sweep's rank stored under `key` (`consensusMapKey`), with its tracks when
 * they were stored; undefined when none is stored under that key or it cannot be read.
 */
export function storedConsensusMap(
  ctx: ServiceContext,
  sweepId: number,
  rank: number,
  key: string,
): KeptConsensusMap | undefined {
  try {
    const row = storedConsensusMapRow(ctx.db, sweepId, rank);
    if (!row || row.map_key !== key) return undefined;
    const kept: KeptConsensusMap = { map: fromFrame(row.map) as KeptConsensusMap['map'] };
    if (row.tracks !== null && row.tracks_version !== null)
      kept.tracks = { annotations: row.tracks_version, columns: fromFrame(row.tracks) as AnnotationColumn[] };
    return kept;
  } catch {
    // Unreadable (a damaged row): made again, and the row replaced.
    return undefined;
  }
}

/** Stores the consensus map of a sweep's rank under `key`, with its tracks when it has them. */
export function storeConsensusMap(
  ctx: ServiceContext,
  sweepId: number,
  rank: number,
  key: string,
  kept: KeptConsensusMap,
): void {
  if (!storesViews(ctx)) return;
  try {
    storeConsensusMapRow(ctx.db, sweepId, rank, {
      map_key: key,
      map: frameBytes(kept.map),
      tracks_version: kept.tracks?.annotations ?? null,
      tracks: kept.tracks ? frameBytes(kept.tracks.columns) : null,
    });
  } catch {
    // The library busy, full or read-only on disk: the answer is sent all the same, made again next time.
  }
}

/**
 * What a run's row in `run_h_summaries` holds: what the process keeps of a summarised run
 * (view-cache.ts `KeptRunViews`) but its class answer, stored on its own (`run_class_answers`, under
 * the annotation files' version too).
 */
export type StoredRunViews = Omit<KeptRunViews, 'classes' | 'classLabels'> & {
  /** The labels (0…k−1) in the narrowest array that holds them: 1 byte a sample up to k = 256. */
  classLabels: Uint8Array | Uint16Array | Int32Array;
};

/**
 * Labels 0…k−1 in the narrowest typed array that holds them: at 10⁶ samples 1 MB rather than 4 for
 * k ≤ 256 (of a stored run's ~12 MB at k = 3), the same values.
 */
function narrowLabels(labels: Int32Array, k: number): StoredRunViews['classLabels'] {
  if (k <= 256) return Uint8Array.from(labels);
  if (k <= 65_536) return Uint16Array.from(labels);
  return labels;
}

/** The values stored per table. */
interface KeptValues {
  sweep_class_answers: SweepClassesView;
  run_class_answers: RunClassesView;
  run_h_summaries: StoredRunViews;
  projection_h_summaries: ProjectionHSummary;
}

/**
 * The value of sweep, run or projection `id` stored in `table` under `key`: a `sweeps:classes` or
 * `runs:classes` answer (`sweepClassesKey`, or `runViewsKey` with the annotation files' version), a
 * run's summaries (`runViewsKey`) or a projection's (`projectionSummaryKey`); undefined when none is
 * stored under that key or it cannot be read.
 */
export function storedValue<T extends KeptValueTable>(
  ctx: ServiceContext,
  table: T,
  id: number,
  key: string,
): KeptValues[T] | undefined {
  try {
    const row = storedValueRow(ctx.db, table, id);
    return row && row.key === key ? (fromFrame(row.value) as KeptValues[T]) : undefined;
  } catch {
    return undefined;
  }
}

/** Stores the value of sweep, run or projection `id` in `table` under `key`. */
export function storeValue<T extends KeptValueTable>(
  ctx: ServiceContext,
  table: T,
  id: number,
  key: string,
  value: KeptValues[T],
): void {
  if (!storesViews(ctx)) return;
  try {
    storeValueRow(ctx.db, table, id, key, frameBytes(value));
  } catch {
    // As for the maps: a cache left unwritten.
  }
}

/**
 * What is kept of run `head` (view-cache.ts `runViewsKey`): the process's own, else what the library
 * stores under the same key (then kept by the process too); undefined when neither is, or the run
 * is not one whose summaries are kept.
 */
export function keptOrStoredRunViews(
  ctx: ServiceContext,
  head: Parameters<typeof runViewsKey>[1],
  maxEntries: number,
): KeptRunViews | undefined {
  const key = runViewsKey(ctx, head, maxEntries);
  if (key === null) return undefined;
  const caches = viewCaches(ctx);
  const kept = caches.runs.get(key);
  if (kept) return kept;
  const stored = storedValue(ctx, 'run_h_summaries', head.id, key);
  if (!stored) return undefined;
  const { classLabels, ...rest } = stored;
  const views: KeptRunViews = {
    ...rest,
    classLabels: classLabels instanceof Int32Array ? classLabels : Int32Array.from(classLabels),
  };
  caches.runs.set(key, views);
  return views;
}

/**
 * Keeps the summaries `views` just made of run `head` for the next calls of this process and
 * stores them in the library for the next process (not their class answer, stored apart).
 */
export function keepAndStoreRunViews(
  ctx: ServiceContext,
  head: Parameters<typeof runViewsKey>[1],
  views: KeptRunViews,
  maxEntries: number,
): void {
  const key = runViewsKey(ctx, head, maxEntries);
  if (key === null) return;
  viewCaches(ctx).runs.set(key, views);
  const { summary, coefficientOrders, classLabels } = views;
  storeValue(ctx, 'run_h_summaries', head.id, key, {
    summary,
    coefficientOrders,
    classLabels: narrowLabels(classLabels, head.params.rank),
  });
}
