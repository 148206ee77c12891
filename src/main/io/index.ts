export { readMatrixFile, formatFromPath } from './read';
export { ImportError } from './errors';
export type { ImportErrorLocation } from './errors';
export type {
  ImportedMatrix,
  MatrixFormat,
  MatrixPreview,
  ReadOptions,
  ReadProgress,
  InspectOptions,
} from './types';
export { MATRIX_FORMATS } from './types';
export { SPARSE_DENSITY } from './assemble';
