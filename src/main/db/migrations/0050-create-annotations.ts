import type Database from 'better-sqlite3';

export const version = 50;
export const name = 'create annotations; name runs and components';

/**
 * Annotation tables imported beside a dataset (sample or feature metadata: classes, batches,
 * symbols), one row per imported file, with its provenance (file name, SHA-256 of its bytes, key
 * column, when). `columns` is JSON: the annotation columns aligned with the dataset's own name
 * order (`AnnotationColumn[]` in src/shared/analysis/annotations.ts), so reading never re-matches
 * names. Runs gain a user-given name and names for their components (JSON array, or NULL for
 * c1..ck).
 */
export function up(db: Database.Database): void {
  db.exec(`
    CREATE TABLE annotations (
      id INTEGER PRIMARY KEY,
      dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
      axis TEXT NOT NULL CHECK (axis IN ('samples', 'features')),
      source_name TEXT NOT NULL,
      source_hash TEXT NOT NULL,
      key_column TEXT NOT NULL,
      columns TEXT NOT NULL,
      created_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX annotations_dataset ON annotations(dataset_id);
    ALTER TABLE runs ADD COLUMN name TEXT;
    ALTER TABLE runs ADD COLUMN component_names TEXT;
  `);
}
