import type { Dataset, File as H5File, Group } from 'h5wasm/node';
import type { DataMatrix } from '../../shared/linalg/matrix';
import { importError } from './errors';
import type { CompressedSparse, HdfReadContext } from './hdf5';
import {
  checkMatrixShape,
  checkNumericDtype,
  hdf5Failure,
  isDataset,
  isGroup,
  numbersAttr,
  openHdf5,
  readCompressedSparse,
  readDenseDataset,
  readStrings,
  stringAttr,
} from './hdf5';
import { fileSize } from './source';
import type { ReadProgress } from './types';

export interface HdfMatrix {
  matrix: DataMatrix;
  /** Names of the result's rows and columns, or null when the file holds none. */
  rowNames: string[] | null;
  colNames: string[] | null;
  /** True when the result is the transpose of the stored layout. */
  transposed: boolean;
  warnings: string[];
  /** 10x files: what the file says about each feature (ids, symbols, types), see tenXFeatureTable. */
  featureTable?: FeatureTable;
}

/**
 * What a matrix file says about its features beside their names: 10x's `features/id`, `name`,
 * `feature_type` and `genome` (Cell Ranger ≥ 3) or `genes` and `gene_names` (Cell Ranger 2), one
 * value per feature in the file's order, with the HDF5 group they come from.
 */
export interface FeatureTable {
  /** `/matrix/features` or `/GRCh38`. */
  source: string;
  columns: Array<{ name: string; values: string[] }>;
}

interface HdfOptions {
  transpose: boolean;
  signal?: AbortSignal;
  onProgress?: (p: ReadProgress) => void;
}

/** The layout of AnnData's X: dense, or sparse with its encoding. */
export interface AnnDataLayout {
  kind: 'dense' | 'csr' | 'csc';
  /** Stored shape [n_obs, n_vars]. */
  shape: [number, number];
  dtype: string;
  nnz: number | null;
}

/** Inspects /X without reading it. */
export function annDataLayout(f: H5File, file: string): AnnDataLayout {
  const x = f.get('X');
  if (isDataset(x)) {
    const shape = x.shape ?? [];
    if (shape.length !== 2) {
      throw importError(
        { file, datasetPath: '/X' },
        `is ${shape.length}-D (shape [${shape.slice(0, 4).join(', ')}${shape.length > 4 ? ', …' : ''}]); a matrix must be 2-D`,
      );
    }
    checkNumericDtype(x, { file, datasetPath: '/X' });
    checkMatrixShape(shape, { file, datasetPath: '/X' });
    return { kind: 'dense', shape: [shape[0], shape[1]], dtype: String(x.dtype), nnz: null };
  }
  if (!isGroup(x)) throw importError({ file, datasetPath: '/X' }, `is missing: ${withoutX(f)}`);
  const encoding = stringAttr(x, 'encoding-type') ?? stringAttr(x, 'h5sparse_format');
  const kind =
    encoding === 'csr_matrix' || encoding === 'csr'
      ? 'csr'
      : encoding === 'csc_matrix' || encoding === 'csc'
        ? 'csc'
        : null;
  if (kind === null) {
    throw importError(
      { file, datasetPath: '/X', value: encoding ?? '' },
      `has unsupported encoding ${encoding === null ? '(none)' : `"${encoding}"`} (dense, csr_matrix or csc_matrix)`,
    );
  }
  const shape = numbersAttr(x, 'shape') ?? numbersAttr(x, 'h5sparse_shape');
  if (shape === null || shape.length !== 2)
    throw importError({ file, datasetPath: '/X' }, 'has no 2-D shape attribute');
  checkMatrixShape(shape, { file, datasetPath: '/X' });
  const data = x.get('data');
  return {
    kind,
    shape: [shape[0], shape[1]],
    dtype: isDataset(data) ? String(data.dtype) : '?',
    nnz: isDataset(data) ? (data.shape?.[0] ?? 0) : null,
  };
}

/**
 * Names of AnnData's obs or var: the dataframe's index column, named by the group's `_index`
 * attribute (the column itself is often called `_index`). Categorical columns are decoded.
 * Returns null (and a warning) when the names cannot be found.
 */
export function annDataNames(
  f: H5File,
  which: 'obs' | 'var',
  ctx: HdfReadContext,
  warnings: string[],
  limit?: number,
  expected?: number,
): string[] | null {
  const node = f.get(which);
  if (!isGroup(node)) {
    warnings.push(
      `${which} ${node === null ? 'is missing' : 'uses a pre-0.7 AnnData layout'}: ${which} names were generated`,
    );
    return null;
  }
  const column = stringAttr(node, '_index') ?? '_index';
  const entry = node.get(column);
  const path = `/${which}/${column}`;
  const what = which === 'obs' ? 'rows (cells)' : 'columns (genes)';
  /** Refuses names whose count differs from X's, before they are read. */
  const checkCount = (ds: Dataset): void => {
    const count = (ds.shape ?? []).reduce((a, b) => a * b, 1);
    if (limit === undefined && expected !== undefined && count !== expected) {
      throw importError(
        { file: ctx.file, datasetPath: `/${which}` },
        `has ${count} names, but X has ${expected} ${what}`,
      );
    }
  };
  if (isDataset(entry)) {
    checkCount(entry);
    return readStrings(entry, ctx, path, { limit });
  }
  if (isGroup(entry)) {
    const codes = entry.get('codes');
    const categories = entry.get('categories');
    if (isDataset(codes) && isDataset(categories)) {
      checkCount(codes);
      const labels = readStrings(categories, ctx, `${path}/categories`);
      return readStrings(codes, ctx, `${path}/codes`, { limit }).map((code) => labels[Number(code)] ?? '');
    }
  }
  warnings.push(`${which} has no index column "${column}": ${which} names were generated`);
  return null;
}

function otherMatrices(f: H5File): string[] {
  const found: string[] = [];
  const layers = f.get('layers');
  if (isGroup(layers)) for (const key of layers.keys()) found.push(`layers/${key}`);
  const raw = f.get('raw');
  if (isGroup(raw) && raw.keys().includes('X')) found.push('raw/X');
  return found;
}

/**
 * Reads AnnData's X. AnnData stores cells × genes (obs × var); the result is genes × cells
 * (transposed) unless `transpose` asks for the stored layout. A warning says which was done.
 */
export async function readH5ad(path: string, options: HdfOptions): Promise<HdfMatrix> {
  const file = path;
  const ctx: HdfReadContext = {
    file,
    signal: options.signal,
    onProgress: options.onProgress,
    totalBytes: await fileSize(path),
  };
  const f = await openHdf5(path);
  try {
    const layout = annDataLayout(f, file);
    const warnings: string[] = [];
    const [nObs, nVars] = layout.shape;
    const obs = annDataNames(f, 'obs', ctx, warnings, undefined, nObs);
    const vars = annDataNames(f, 'var', ctx, warnings, undefined, nVars);
    if (obs !== null && obs.length !== nObs) {
      throw importError(
        { file, datasetPath: '/obs' },
        `has ${obs.length} names, but X has ${nObs} rows (cells)`,
      );
    }
    if (vars !== null && vars.length !== nVars) {
      throw importError(
        { file, datasetPath: '/var' },
        `has ${vars.length} names, but X has ${nVars} columns (genes)`,
      );
    }
    const transposed = !options.transpose;
    let matrix: DataMatrix;
    const x = f.get('X');
    if (layout.kind === 'dense' && isDataset(x)) {
      matrix = await readDenseDataset(x, '/X', transposed, ctx);
    } else {
      const group = x as Group;
      const majorIsRow = layout.kind === 'csr';
      const sparse: CompressedSparse = {
        group,
        path: '/X',
        major: majorIsRow ? nObs : nVars,
        minor: majorIsRow ? nVars : nObs,
        majorIsRow,
      };
      matrix = await readCompressedSparse(sparse, majorIsRow !== transposed, ctx);
    }
    warnings.unshift(
      transposed
        ? `AnnData stores cells × genes: X (${nObs} × ${nVars}) was transposed so that rows are genes (var) and columns cells (obs); pass transpose to keep the stored layout`
        : `X was kept as stored (${nObs} cells × ${nVars} genes): rows are cells (obs), columns genes (var)`,
    );
    const others = otherMatrices(f);
    if (others.length > 0) warnings.push(`read /X; the file also holds ${others.join(', ')} (not read)`);
    if (!valuesAreIntegers(matrix)) {
      warnings.push('X holds non-integer values (normalised data?); KL and Poisson losses assume counts');
    }
    return {
      matrix,
      rowNames: transposed ? vars : obs,
      colNames: transposed ? obs : vars,
      transposed,
      warnings,
    };
  } catch (error) {
    throw hdf5Failure(file, error);
  } finally {
    f.close();
  }
}

function valuesAreIntegers(matrix: DataMatrix): boolean {
  const values = matrix.data;
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    if (v === v && v !== Math.floor(v)) return false;
  }
  return true;
}

/**
 * Why a file has no /X, from what it holds instead: an AnnData file written with `X = None` (its
 * matrices in layers, which are not read), a 10x file under another extension, or neither.
 */
function withoutX(f: H5File): string {
  const layers = f.get('layers');
  const layerNames = isGroup(layers) ? layers.keys() : [];
  if (layerNames.length > 0) {
    const shown = layerNames.slice(0, 3).map((name) => `layers/${name}`);
    return `an AnnData file without X (written with X = None?); its ${shown.join(', ')}${layerNames.length > 3 ? ', …' : ''} are not read: store the matrix to factor as X`;
  }
  if (isGroup(f.get('matrix')))
    return 'not an AnnData file: it holds /matrix, as 10x Genomics HDF5 files do (import it as .h5, or with format 10x-h5)';
  return 'not an AnnData file';
}

/** The group holding a 10x matrix: /matrix (Cell Ranger ≥ 3) or /<genome> (Cell Ranger 2). */
export function tenXGroup(f: H5File, file: string): { group: Group; path: string; v3: boolean } {
  const matrix = f.get('matrix');
  if (isGroup(matrix)) return { group: matrix, path: '/matrix', v3: true };
  for (const key of f.keys()) {
    const candidate = f.get(key);
    // Cell Ranger 2 names the group after the genome; recognise it by its members.
    if (isGroup(candidate) && ['indptr', 'shape', 'barcodes'].every((k) => candidate.keys().includes(k))) {
      return { group: candidate, path: `/${key}`, v3: false };
    }
  }
  throw importError(
    { file, datasetPath: '/matrix' },
    f.get('X') === null || f.get('X') === undefined
      ? 'is missing: not a 10x Genomics HDF5 file'
      : 'is missing: not a 10x Genomics HDF5 file: it holds /X, as AnnData files do (import it as .h5ad, or with format h5ad)',
  );
}

/** Stored shape [genes, cells] of a 10x matrix. */
export function tenXShape(group: Group, path: string, file: string): [number, number] {
  const shapeDs = group.get('shape');
  if (!isDataset(shapeDs)) throw importError({ file, datasetPath: `${path}/shape` }, 'is missing');
  const declared = shapeDs.shape ?? [];
  if (declared.length !== 1 || declared[0] !== 2)
    throw importError({ file, datasetPath: `${path}/shape` }, 'does not hold two dimensions');
  const value = shapeDs.value;
  const shape =
    value instanceof BigInt64Array || value instanceof BigUint64Array
      ? Array.from(value, Number)
      : ArrayBuffer.isView(value)
        ? Array.from(value as unknown as ArrayLike<number>)
        : [];
  if (shape.length !== 2)
    throw importError({ file, datasetPath: `${path}/shape` }, 'does not hold two dimensions');
  checkMatrixShape(shape, { file, datasetPath: `${path}/shape` });
  return [shape[0], shape[1]];
}

/** Feature names (gene symbols, else ids) and barcodes of a 10x matrix group. */
export function tenXNames(
  group: Group,
  path: string,
  v3: boolean,
  ctx: HdfReadContext,
  warnings: string[],
): { features: string[] | null; barcodes: string[] | null } {
  const pick = (candidates: string[]): { names: string[]; path: string } | null => {
    for (const name of candidates) {
      const ds = group.get(name);
      if (isDataset(ds)) return { names: readStrings(ds, ctx, `${path}/${name}`), path: `${path}/${name}` };
    }
    return null;
  };
  const features = v3 ? pick(['features/name', 'features/id']) : pick(['gene_names', 'genes']);
  const barcodes = pick(['barcodes']);
  if (features === null) warnings.push('no feature names in the file: names were generated');
  if (barcodes === null) warnings.push('no barcodes in the file: names were generated');
  if (v3) {
    const types = group.get('features/feature_type');
    if (isDataset(types)) {
      const counts = new Map<string, number>();
      for (const t of readStrings(types, ctx, `${path}/features/feature_type`))
        counts.set(t, (counts.get(t) ?? 0) + 1);
      if (counts.size > 1) {
        const list = [...counts].map(([t, n]) => `${n} ${t}`).join(', ');
        warnings.push(`features mix several types (${list}); all were read`);
      }
    }
  }
  return { features: features?.names ?? null, barcodes: barcodes?.names ?? null };
}

/**
 * The feature table of a 10x group: the columns the file holds among `gene_id` (`features/id` or
 * `genes`), `symbol` (`features/name` or `gene_names`), `feature_type` and `genome`, each with one
 * value per feature (a column of another length is left out). Null when there is none.
 */
export function tenXFeatureTable(
  group: Group,
  path: string,
  v3: boolean,
  features: number,
  ctx: HdfReadContext,
): FeatureTable | null {
  const sources: Array<[string, string]> = v3
    ? [
        ['gene_id', 'features/id'],
        ['symbol', 'features/name'],
        ['feature_type', 'features/feature_type'],
        ['genome', 'features/genome'],
      ]
    : [
        ['gene_id', 'genes'],
        ['symbol', 'gene_names'],
      ];
  const columns: FeatureTable['columns'] = [];
  for (const [name, key] of sources) {
    const ds = group.get(key);
    if (!isDataset(ds) || (ds.shape ?? []).length !== 1) continue;
    const values = readStrings(ds, ctx, `${path}/${key}`);
    if (values.length === features) columns.push({ name, values });
  }
  return columns.length === 0 ? null : { source: v3 ? `${path}/features` : path, columns };
}

/**
 * Reads a 10x Genomics .h5 matrix (CSC genes × cells). The result is genes × cells, or cells ×
 * genes with `transpose`. Feature names are gene symbols (`features/name`), else ids.
 */
export async function read10xH5(path: string, options: HdfOptions): Promise<HdfMatrix> {
  const file = path;
  const ctx: HdfReadContext = {
    file,
    signal: options.signal,
    onProgress: options.onProgress,
    totalBytes: await fileSize(path),
  };
  const f = await openHdf5(path);
  try {
    const warnings: string[] = [];
    const { group, path: groupPath, v3 } = tenXGroup(f, file);
    const [genes, cells] = tenXShape(group, groupPath, file);
    const { features, barcodes } = tenXNames(group, groupPath, v3, ctx, warnings);
    if (features !== null && features.length !== genes) {
      throw importError(
        { file, datasetPath: `${groupPath}/features` },
        `has ${features.length} names, but the shape has ${genes} features`,
      );
    }
    if (barcodes !== null && barcodes.length !== cells) {
      throw importError(
        { file, datasetPath: `${groupPath}/barcodes` },
        `has ${barcodes.length} names, but the shape has ${cells} barcodes`,
      );
    }
    const sparse: CompressedSparse = {
      group,
      path: groupPath,
      major: cells,
      minor: genes,
      majorIsRow: false,
    };
    const matrix = await readCompressedSparse(sparse, options.transpose, ctx);
    const featureTable = tenXFeatureTable(group, groupPath, v3, genes, ctx);
    return {
      matrix,
      rowNames: options.transpose ? barcodes : features,
      colNames: options.transpose ? features : barcodes,
      transposed: options.transpose,
      warnings,
      ...(featureTable === null ? {} : { featureTable }),
    };
  } catch (error) {
    throw hdf5Failure(file, error);
  } finally {
    f.close();
  }
}
