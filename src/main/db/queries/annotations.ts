import type { Db } from '../connection';

/** A row of `annotations`, as stored (`columns` is JSON). */
export interface AnnotationRow {
  id: number;
  dataset_id: number;
  axis: 'samples' | 'features';
  source_name: string;
  source_hash: string;
  key_column: string;
  columns: string;
  created_at: string;
}

export function insertAnnotation(db: Db, row: Omit<AnnotationRow, 'id'>): number {
  const info = db
    .prepare(
      `INSERT INTO annotations (dataset_id, axis, source_name, source_hash, key_column, columns, created_at)
       VALUES (@dataset_id, @axis, @source_name, @source_hash, @key_column, @columns, @created_at)`,
    )
    .run(row);
  return Number(info.lastInsertRowid);
}

/** A dataset's annotation files, oldest first. */
export function listAnnotations(db: Db, datasetId: number): AnnotationRow[] {
  return db
    .prepare('SELECT * FROM annotations WHERE dataset_id = ? ORDER BY id')
    .all(datasetId) as AnnotationRow[];
}

/**
 * What names the current content of a dataset's annotation files of one axis without reading their
 * values: each file's id, creation time and hash, oldest first. A file is never changed in place
 * (import adds one, delete removes one), so the same text means the same columns.
 */
export function annotationFilesVersion(db: Db, datasetId: number, axis: AnnotationRow['axis']): string {
  const rows = db
    .prepare(
      'SELECT id, created_at, source_hash FROM annotations WHERE dataset_id = ? AND axis = ? ORDER BY id',
    )
    .all(datasetId, axis) as Array<Pick<AnnotationRow, 'id' | 'created_at' | 'source_hash'>>;
  return rows.map(annotationFileKey).join(',');
}

/** One stored file's part of {@link annotationFilesVersion}: its id, creation time and hash. */
export function annotationFileKey(row: Pick<AnnotationRow, 'id' | 'created_at' | 'source_hash'>): string {
  return `${row.id}@${row.created_at}#${row.source_hash}`;
}

/** A dataset's annotation files without their columns (the stored JSON of every value), oldest first. */
export function listAnnotationHeads(db: Db, datasetId: number): Array<Omit<AnnotationRow, 'columns'>> {
  return db
    .prepare(
      `SELECT id, dataset_id, axis, source_name, source_hash, key_column, created_at
       FROM annotations WHERE dataset_id = ? ORDER BY id`,
    )
    .all(datasetId) as Array<Omit<AnnotationRow, 'columns'>>;
}

/** The stored columns (JSON) of annotation file `id`. */
export function annotationColumnsText(db: Db, id: number): string | undefined {
  return (
    db.prepare('SELECT columns FROM annotations WHERE id = ?').get(id) as { columns: string } | undefined
  )?.columns;
}

export function getAnnotationRow(db: Db, id: number): AnnotationRow | undefined {
  return db.prepare('SELECT * FROM annotations WHERE id = ?').get(id) as AnnotationRow | undefined;
}

export function deleteAnnotation(db: Db, id: number): boolean {
  return db.prepare('DELETE FROM annotations WHERE id = ?').run(id).changes > 0;
}
