/**
 * Importers and exporters of matrices and factors. Plain Node (no Electron): used by the services,
 * the CLI and the workers alike. Nothing here writes during an import.
 */
export { readMatrixFile, formatFromPath } from './read';
export { inspectMatrixFile } from './inspect';
export { ImportError } from './errors';
export type { ImportErrorLocation } from './errors';
export type {
  ImportedMatrix,
  InspectOptions,
  MatrixFormat,
  MatrixPreview,
  ReadOptions,
  ReadProgress,
} from './types';
export { MATRIX_FORMATS } from './types';
export { SPARSE_DENSITY } from './assemble';
export { componentNames, readFactorsTsv, writeFactorsTsv } from './factors';
export type { Factors, ReadFactor, ReadFactorsOptions } from './factors';
export {
  formatNumber,
  formatRow,
  readDelimitedTable,
  writeDelimitedTable,
  writeMatrixTable,
  writeMatrixTsv,
} from './tables';
export type { MatrixTable, TableDelimiter } from './tables';
export type { Delimiter } from './tokenize';
