import type { FilePreview } from '../../shared/api/channels';
import type { DataMatrix } from '../../shared/linalg/matrix';
import type { FeatureTable } from './anndata';

/** File formats the importer understands. */
export type MatrixFormat = 'tsv' | 'csv' | 'txt' | 'mtx' | 'npy' | 'h5ad' | '10x-h5';

export const MATRIX_FORMATS: readonly MatrixFormat[] = ['tsv', 'csv', 'txt', 'mtx', 'npy', 'h5ad', '10x-h5'];

/** Progress of a read: bytes of the file on disk consumed so far (compressed bytes for .gz). */
export interface ReadProgress {
  bytesRead: number;
  totalBytes: number;
  /** `reading` while the file is consumed, `assembling` while the final matrix is built, `done`. */
  phase: string;
}

export interface ReadOptions {
  /** Overrides detection by extension. */
  format?: MatrixFormat;
  /**
   * Swap rows and columns of what the reader returns by default. Every reader returns features ×
   * samples by its format's convention (AnnData's cells × genes `X` comes back genes × cells), so
   * `transpose: true` is for files laid out samples × features (or to undo that convention).
   */
  transpose?: boolean;
  /** Delimited tables: the first non-comment line holds column names. Default true. */
  header?: boolean;
  /** Delimited tables: the first field of each row is its name. Default true. */
  rowNames?: boolean;
  /** Aborting rejects the read with the signal's reason (an `AbortError` by default). */
  signal?: AbortSignal;
  onProgress?: (progress: ReadProgress) => void;
}

/** The result of a successful import. */
export interface ImportedMatrix {
  /** V: features × samples (rows × columns after any transpose). */
  matrix: DataMatrix;
  /** One name per row of `matrix` (generated as feature1… when the file has none). */
  rowNames: string[];
  /** One name per column of `matrix` (generated as sample1… when the file has none). */
  colNames: string[];
  format: MatrixFormat;
  /** True when `matrix` is the transpose of the layout stored in the file. */
  transposed: boolean;
  /** Number of missing entries (NaN). */
  missing: number;
  /** Number of entries that are neither zero nor missing. */
  nnz: number;
  /** Things the user should know (e.g. an automatic transpose, duplicate names). */
  warnings: string[];
  /**
   * What the file says about its features beyond their names (10x .h5: ids, symbols, types), one
   * value per row of `matrix`, or per column when the file was read transposed (`axis`).
   */
  featureTable?: FeatureTable & { axis: 'features' | 'samples' };
}

export interface InspectOptions {
  /** Data rows to show, default 20. */
  maxRows?: number;
  /** Data columns to show, default 20. */
  maxCols?: number;
}

/**
 * A quick look at a file. `cells` is the top-left corner as text, as a spreadsheet would show it:
 * for delimited tables the raw first lines (header row and row-name column included when present);
 * for the other formats a synthesised grid whose first row holds column names and whose first
 * column holds row names. Rows and columns are those of the file as stored (before the format's
 * default orientation is applied, see `transposedByDefault`).
 */
export interface MatrixPreview extends FilePreview {
  format: MatrixFormat;
  compressed: boolean;
  fileBytes: number;
  /** Names of the first rows and columns, as detected (empty when the file has none). */
  rowNames: string[];
  colNames: string[];
  /** True when estimatedRows was counted, not extrapolated from the bytes seen. */
  rowsExact: boolean;
  /** Stored entries of sparse formats (mtx, sparse h5ad, 10x). */
  nnz: number | null;
  /** Element type of binary formats (`<f8`, `float32` …). */
  dtype: string | null;
  /** readMatrixFile returns the transpose of the stored layout unless asked otherwise (AnnData). */
  transposedByDefault: boolean;
}
