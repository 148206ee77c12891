import type Database from 'better-sqlite3';

export const version = 10;
export const name = 'create datasets';

/** Datasets: metadata in one row, the matrix in chunked little-endian BLOBs (dense values, or CSR parts). */
export function up(db: Database.Database): void {
  db.exec(`
    CREATE TABLE datasets (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      rows INTEGER NOT NULL CHECK (rows > 0),
      cols INTEGER NOT NULL CHECK (cols > 0),
      nnz INTEGER NOT NULL,
      missing INTEGER NOT NULL,
      layout TEXT NOT NULL CHECK (layout IN ('dense', 'csr')),
      hash TEXT NOT NULL UNIQUE,
      format TEXT NOT NULL,
      source_name TEXT NOT NULL,
      transform TEXT NOT NULL CHECK (transform IN ('none', 'sqrt', 'log1p')),
      transposed INTEGER NOT NULL CHECK (transposed IN (0, 1)),
      is_integer INTEGER NOT NULL CHECK (is_integer IN (0, 1)),
      min_value REAL NOT NULL,
      max_value REAL NOT NULL,
      size_bytes INTEGER NOT NULL,
      row_names TEXT NOT NULL,
      col_names TEXT NOT NULL,
      truth TEXT,
      created_at TEXT NOT NULL
    ) STRICT;
    CREATE TABLE dataset_chunks (
      dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
      part TEXT NOT NULL CHECK (part IN ('values', 'indptr', 'indices')),
      seq INTEGER NOT NULL,
      data BLOB NOT NULL,
      PRIMARY KEY (dataset_id, part, seq)
    ) STRICT;
  `);
}
