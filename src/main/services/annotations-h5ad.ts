import type { File as H5File, Group } from 'h5wasm/node';
import { annDataNames } from '../io/anndata';
import {
  isDataset,
  isGroup,
  isHdf5File,
  openHdf5,
  readStrings,
  stringAttr,
  type HdfReadContext,
} from '../io/hdf5';
import { fileSize } from '../io/source';

/**
 * AnnData's `obs` (per cell) and `var` (per gene) dataframes as an annotation table, for datasets
 * imported from an .h5ad: each column of the group becomes a column of a TSV text that goes
 * through the same parser, checks and refusals as a TSV the user writes (`parseAnnotationTable`).
 * Categorical columns (AnnData ≥ 0.8: a group with `codes` and `categories`; code −1 is missing),
 * string and numeric columns are read; others (nested or 2-D) are skipped with their names listed.
 */

export interface H5adAnnotationText {
  /** `obs` or `var`: whichever's index holds the dataset's names for the asked axis. */
  group: 'obs' | 'var';
  text: string;
  skipped: string[];
}

/** Whether the file is HDF5 (an .h5ad is read this way, whatever its name). */
export function isHdf5Path(path: string): Promise<boolean> {
  return isHdf5File(path);
}

function clean(value: string): string {
  return value.replace(/[\t\r\n]/g, ' ');
}

function columnValues(node: Group, which: string, key: string, ctx: HdfReadContext): string[] | null {
  const entry = node.get(key);
  const path = `/${which}/${key}`;
  if (isDataset(entry)) {
    if ((entry.shape ?? []).length !== 1) return null;
    const values = readStrings(entry, ctx, path);
    // Old AnnData (< 0.8): integer codes here, categories in __categories/<key>.
    const legacy = node.get('__categories');
    if (isGroup(legacy) && legacy.keys().includes(key)) {
      const categories = legacy.get(key);
      if (isDataset(categories)) {
        const labels = readStrings(categories, ctx, `${path} categories`);
        return values.map((code) => (Number(code) < 0 ? '' : (labels[Number(code)] ?? '')));
      }
    }
    return values.map((v) => (v === 'NaN' ? '' : v));
  }
  if (isGroup(entry)) {
    const codes = entry.get('codes');
    const categories = entry.get('categories');
    if (isDataset(codes) && isDataset(categories)) {
      const labels = readStrings(categories, ctx, `${path}/categories`);
      return readStrings(codes, ctx, `${path}/codes`).map((code) =>
        Number(code) < 0 ? '' : (labels[Number(code)] ?? ''),
      );
    }
  }
  return null;
}

function groupTable(
  f: H5File,
  which: 'obs' | 'var',
  ctx: HdfReadContext,
): { names: string[]; text: string; skipped: string[] } | null {
  const names = annDataNames(f, which, ctx, []);
  const node = f.get(which);
  if (names === null || !isGroup(node)) return null;
  const index = stringAttr(node, '_index') ?? '_index';
  // AnnData's column order first, then any other column a different writer left unlisted.
  const listed = node.attrs['column-order']?.value;
  const order = Array.isArray(listed) ? listed.map(String) : [];
  const keys = [...order, ...node.keys().filter((k) => !order.includes(k))].filter(
    (k) => k !== index && k !== '__categories',
  );
  const header = [which === 'obs' ? 'obs_names' : 'var_names'];
  const columns: string[][] = [];
  const skipped: string[] = [];
  for (const key of keys) {
    const values = columnValues(node, which, key, ctx);
    if (values === null || values.length !== names.length) skipped.push(key);
    else {
      header.push(clean(key));
      columns.push(values.map(clean));
    }
  }
  const lines = [header.join('\t')];
  names.forEach((name, i) => lines.push([clean(name), ...columns.map((c) => c[i])].join('\t')));
  return { names, text: lines.join('\n') + '\n', skipped };
}

/**
 * The `obs` or `var` table of an .h5ad whose index matches `datasetNames` (the dataset's sample or
 * feature names); obs is tried first, then var (a transposed import swaps them). Null when
 * neither matches; the caller then refuses with the names of `obs`.
 */
export async function h5adAnnotationText(
  path: string,
  displayName: string,
  datasetNames: readonly string[],
): Promise<H5adAnnotationText> {
  const totalBytes = await fileSize(path);
  const f = await openHdf5(path);
  try {
    // The file's size bounds what its datasets may declare (checkDeclaredSize).
    const ctx: HdfReadContext = { file: displayName, totalBytes };
    const wanted = new Set(datasetNames);
    let first: H5adAnnotationText | null = null;
    for (const which of ['obs', 'var'] as const) {
      const table = groupTable(f, which, ctx);
      if (!table) continue;
      const candidate = { group: which, text: table.text, skipped: table.skipped };
      first ??= candidate;
      if (table.names.length === wanted.size && table.names.every((n) => wanted.has(n))) return candidate;
    }
    if (!first) throw new Error(`${displayName} has neither an obs nor a var table with names`);
    return first;
  } finally {
    f.close();
  }
}
