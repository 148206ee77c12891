import type { Db } from '../connection';

/**
 * The rows of migrations 0170 and 0180: what the reading calls made for an ended sweep, a large run
 * or a large projection, each with the key it was made under (services/view-cache.ts). Readers compare the key; these functions
 * neither check nor decode.
 */

/** A stored consensus map row: the map's frame and, once read, its tracks' frame and version. */
export interface StoredConsensusMapRow {
  map_key: string;
  map: Buffer;
  tracks_version: string | null;
  tracks: Buffer | null;
}

/** The stored consensus map of a sweep's rank, whatever its key; undefined when none is. */
export function storedConsensusMapRow(
  db: Db,
  sweepId: number,
  rank: number,
): StoredConsensusMapRow | undefined {
  return db
    .prepare(
      'SELECT map_key, map, tracks_version, tracks FROM sweep_consensus_maps WHERE sweep_id = ? AND rank = ?',
    )
    .get(sweepId, rank) as StoredConsensusMapRow | undefined;
}

/** Stores a sweep's rank's consensus map, replacing what was stored for that rank. */
export function storeConsensusMapRow(
  db: Db,
  sweepId: number,
  rank: number,
  row: StoredConsensusMapRow,
): void {
  db.prepare(
    `INSERT OR REPLACE INTO sweep_consensus_maps (sweep_id, rank, map_key, map, tracks_version, tracks)
     VALUES (?, ?, ?, ?, ?, ?)`,
  ).run(sweepId, rank, row.map_key, row.map, row.tracks_version, row.tracks);
}

/**
 * Where a value about one row (a sweep, a run or a projection) is stored, one row per owner: the
 * class answers (0170) and the summaries of a large H (0180).
 */
export type KeptValueTable =
  'sweep_class_answers' | 'run_class_answers' | 'run_h_summaries' | 'projection_h_summaries';

/** Each table's owner, key and value columns. */
const columnsOf: Record<KeptValueTable, { owner: string; key: string; value: string }> = {
  sweep_class_answers: { owner: 'sweep_id', key: 'answer_key', value: 'answer' },
  run_class_answers: { owner: 'run_id', key: 'answer_key', value: 'answer' },
  run_h_summaries: { owner: 'run_id', key: 'summary_key', value: 'summary' },
  projection_h_summaries: { owner: 'projection_id', key: 'summary_key', value: 'summary' },
};

/** The value stored for row `id` in `table`, whatever its key; undefined when none is. */
export function storedValueRow(
  db: Db,
  table: KeptValueTable,
  id: number,
): { key: string; value: Buffer } | undefined {
  const { owner, key, value } = columnsOf[table];
  return db.prepare(`SELECT ${key} AS key, ${value} AS value FROM ${table} WHERE ${owner} = ?`).get(id) as
    { key: string; value: Buffer } | undefined;
}

/** Stores the value of row `id` in `table` under `key`, replacing what was stored for it. */
export function storeValueRow(db: Db, table: KeptValueTable, id: number, key: string, value: Buffer): void {
  const columns = columnsOf[table];
  db.prepare(
    `INSERT OR REPLACE INTO ${table} (${columns.owner}, ${columns.key}, ${columns.value}) VALUES (?, ?, ?)`,
  ).run(id, key, value);
}
