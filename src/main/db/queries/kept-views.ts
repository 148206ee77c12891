import type { Db } from '../connection';

/**
 * The rows of migration 0170: what the reading calls made for an ended sweep or a large run, each
 * with the key it was made under (services/view-cache.ts). Readers compare the key; these functions
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

/** Where an answer about one row (a sweep or a run) is stored. */
export type ClassAnswerTable = 'sweep_class_answers' | 'run_class_answers';

const ownerColumn: Record<ClassAnswerTable, string> = {
  sweep_class_answers: 'sweep_id',
  run_class_answers: 'run_id',
};

/** The stored class answer of sweep or run `id`, whatever its key; undefined when none is. */
export function storedClassAnswerRow(
  db: Db,
  table: ClassAnswerTable,
  id: number,
): { answer_key: string; answer: Buffer } | undefined {
  return db.prepare(`SELECT answer_key, answer FROM ${table} WHERE ${ownerColumn[table]} = ?`).get(id) as
    { answer_key: string; answer: Buffer } | undefined;
}

/** Stores the class answer of sweep or run `id`, replacing what was stored for it. */
export function storeClassAnswerRow(
  db: Db,
  table: ClassAnswerTable,
  id: number,
  answerKey: string,
  answer: Buffer,
): void {
  db.prepare(
    `INSERT OR REPLACE INTO ${table} (${ownerColumn[table]}, answer_key, answer) VALUES (?, ?, ?)`,
  ).run(id, answerKey, answer);
}
