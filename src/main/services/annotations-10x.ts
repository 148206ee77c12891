import { createHash } from 'node:crypto';
import { annotationColumn } from '../../shared/analysis';
import { insertAnnotation } from '../db/queries/annotations';
import type { FeatureTable } from '../io/anndata';
import type { ServiceContext } from './context';

/**
 * The feature table a 10x .h5 carries (`features/id`, `name`, `feature_type`, `genome`) kept as an
 * annotation table of the dataset imported from it, as an .h5ad's `var` columns are when given to
 * `annotate`: the symbols stay at hand when the dataset's names are ids, and the ids when they are
 * symbols (Cell Ranger names features by symbol, which repeats; the id does not).
 *
 * Values are aligned by position (the file's feature order is the dataset's row order), not by name,
 * so repeated symbols do not matter. Provenance: the source is the file and its HDF5 group
 * (`pbmc.h5/matrix/features`), the hash is SHA-256 of the table as stored (each column's name and
 * values), so the same table read again has the same hash.
 *
 * Called inside the transaction that stores the dataset, so that the two are stored together or
 * not at all.
 *
 * @returns the annotation's id
 */
export function storeFeatureTable(
  ctx: ServiceContext,
  datasetId: number,
  table: FeatureTable & { axis: 'features' | 'samples' },
  displayName: string,
): number {
  const columns = table.columns.map((column) => annotationColumn(column.name, column.values));
  const hash = createHash('sha256');
  for (const column of table.columns) {
    hash.update(column.name).update('\0');
    for (const value of column.values) hash.update(value).update('\n');
  }
  return insertAnnotation(ctx.db, {
    dataset_id: datasetId,
    axis: table.axis,
    source_name: `${displayName}${table.source}`,
    source_hash: hash.digest('hex'),
    key_column: 'name',
    columns: JSON.stringify(columns),
    created_at: ctx.now(),
  });
}
