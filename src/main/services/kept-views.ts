import { decodeFrame, encodeFrame } from '../../shared/api';
import type { AnnotationColumn } from '../../shared/analysis';
import type { RunClassesView, SweepClassesView } from '../../shared/domain';
import {
  storeClassAnswerRow,
  storeConsensusMapRow,
  storedClassAnswerRow,
  storedConsensusMapRow,
  type ClassAnswerTable,
} from '../db/queries/kept-views';
import type { ServiceContext } from './context';
import type { KeptConsensusMap } from './view-cache';

/**
 * What the view caches keep (view-cache.ts) written to the library too (migration 0170), so that a
 * new process reads an ended sweep's consensus maps and class answers, and a large run's class
 * answer, instead of making them again (2–4 s each at 10⁶ samples). Values are stored as NMF1
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

/** The answers stored per table. */
interface ClassAnswers {
  sweep_class_answers: SweepClassesView;
  run_class_answers: RunClassesView;
}

/**
 * The `sweeps:classes` or `runs:classes` answer of sweep or run `id` stored under `key`
 * (`sweepClassesKey`, or `runViewsKey` with the annotation files' version); undefined when none is
 * stored under that key or it cannot be read.
 */
export function storedClassAnswer<T extends ClassAnswerTable>(
  ctx: ServiceContext,
  table: T,
  id: number,
  key: string,
): ClassAnswers[T] | undefined {
  try {
    const row = storedClassAnswerRow(ctx.db, table, id);
    return row && row.answer_key === key ? (fromFrame(row.answer) as ClassAnswers[T]) : undefined;
  } catch {
    return undefined;
  }
}

/** Stores the `sweeps:classes` or `runs:classes` answer of sweep or run `id` under `key`. */
export function storeClassAnswer<T extends ClassAnswerTable>(
  ctx: ServiceContext,
  table: T,
  id: number,
  key: string,
  answer: ClassAnswers[T],
): void {
  if (!storesViews(ctx)) return;
  try {
    storeClassAnswerRow(ctx.db, table, id, key, frameBytes(answer));
  } catch {
    // As for the maps: a cache left unwritten.
  }
}
