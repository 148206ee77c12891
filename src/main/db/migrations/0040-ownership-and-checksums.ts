import { crc32 } from 'node:zlib';
import type Database from 'better-sqlite3';
import { LIBRARY_APPLICATION_ID } from '../identity';

export const version = 40;
export const name = 'ownership and checksums';

/**
 * - `application_id` marks the file as an NMF Studio library, so a later open can tell ours from
 *   another program's SQLite file before writing anything (sqlite.org/fileformat.html, offset 68).
 * - `library_owners`: one row per process that computes with this library (pid, host, heartbeat).
 *   `runs.owner` and `sweeps.owner` name the process computing a queued or running job; only that
 *   process, or one that finds it dead, may end the job as interrupted.
 * - `dataset_chunks.checksum`: CRC-32 (zlib) of each stored chunk, computed here for the chunks
 *   already stored and checked on every read, so a damaged chunk is reported, never used.
 */
export function up(db: Database.Database): void {
  db.pragma(`application_id = ${LIBRARY_APPLICATION_ID}`);
  db.exec(`
    CREATE TABLE library_owners (
      id TEXT PRIMARY KEY,
      pid INTEGER NOT NULL,
      host TEXT NOT NULL,
      started_at TEXT NOT NULL,
      heartbeat_at TEXT NOT NULL
    ) STRICT;
    ALTER TABLE runs ADD COLUMN owner TEXT;
    ALTER TABLE sweeps ADD COLUMN owner TEXT;
    ALTER TABLE dataset_chunks ADD COLUMN checksum INTEGER;
  `);
  const update = db.prepare(
    'UPDATE dataset_chunks SET checksum = ? WHERE dataset_id = ? AND part = ? AND seq = ?',
  );
  const chunks = db.prepare('SELECT dataset_id, part, seq FROM dataset_chunks').all() as Array<{
    dataset_id: number;
    part: string;
    seq: number;
  }>;
  const read = db.prepare('SELECT data FROM dataset_chunks WHERE dataset_id = ? AND part = ? AND seq = ?');
  // One chunk in memory at a time (chunks are up to 8 MiB; a library may hold gigabytes).
  for (const chunk of chunks) {
    const { data } = read.get(chunk.dataset_id, chunk.part, chunk.seq) as { data: Buffer };
    update.run(crc32(data), chunk.dataset_id, chunk.part, chunk.seq);
  }
}
