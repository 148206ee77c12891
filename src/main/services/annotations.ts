import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { ServiceError } from '../../shared/api';
import {
  AnnotationError,
  parseAnnotationTable,
  type AnnotationAxis,
  type AnnotationColumn,
} from '../../shared/analysis';
import {
  ANNOTATION_LEVELS_LISTED,
  type AnnotationColumnHeading,
  type AnnotationSet,
  type AnnotationSetHeading,
  type DatasetAnnotations,
} from '../../shared/domain';
import {
  annotationColumnsText,
  annotationFileKey,
  annotationFilesVersion,
  deleteAnnotation,
  getAnnotationRow,
  insertAnnotation,
  listAnnotationHeads,
  listAnnotations,
  type AnnotationRow,
} from '../db/queries/annotations';
import { describeSystemError } from '../io/source';
import { encodingWarnings, TextDecoding } from '../io/text';
import type { ServiceContext } from './context';
import { viewCaches } from './view-cache';
import { h5adAnnotationText, isHdf5Path } from './annotations-h5ad';

/**
 * Sample and feature annotations of a dataset (classes, batches, symbols): a TSV/CSV keyed by the
 * dataset's names, checked against them in full before anything is stored, and kept with the file's
 * name and hash.
 */

/** Annotation files larger than this are refused (a metadata table, not a matrix). */
const MAX_ANNOTATION_BYTES = 256 * 1024 * 1024;

/** An annotation file's provenance fields, as both its full view and its headings carry them. */
function annotationProvenance(
  row: Omit<AnnotationRow, 'columns' | 'created_at'>,
): Omit<AnnotationSet, 'columns' | 'createdAt'> {
  return {
    id: row.id,
    datasetId: row.dataset_id,
    axis: row.axis,
    sourceName: row.source_name,
    sourceHash: row.source_hash,
    keyColumn: row.key_column,
  };
}

function toAnnotationSet(row: AnnotationRow): AnnotationSet {
  return {
    ...annotationProvenance(row),
    columns: JSON.parse(row.columns) as AnnotationColumn[],
    createdAt: row.created_at,
  };
}

function datasetNames(ctx: ServiceContext, datasetId: number): { rowNames: string[]; colNames: string[] } {
  const row = ctx.db.prepare('SELECT row_names, col_names FROM datasets WHERE id = ?').get(datasetId) as
    { row_names: string; col_names: string } | undefined;
  if (!row) throw new ServiceError('not_found', `dataset ${datasetId} does not exist`);
  return { rowNames: JSON.parse(row.row_names) as string[], colNames: JSON.parse(row.col_names) as string[] };
}

/** Merged columns of one axis: a later file's column replaces an earlier one of the same name. */
function mergeColumns(sets: readonly AnnotationSet[], axis: AnnotationAxis): AnnotationColumn[] {
  const byName = new Map<string, AnnotationColumn>();
  for (const set of sets) {
    if (set.axis !== axis) continue;
    for (const column of set.columns) {
      byName.delete(column.name);
      byName.set(column.name, column);
    }
  }
  return [...byName.values()];
}

/**
 * A dataset's annotation files and their merged columns; with `axis`, only that axis's (the other
 * axis's files are not read: the Run screen of a 10⁶-sample run asks for the features only, its
 * sample tracks come binned from `runs:coefficientTracks`).
 */
export function getDatasetAnnotations(
  ctx: ServiceContext,
  datasetId: number,
  axis?: AnnotationAxis,
): DatasetAnnotations {
  if (!ctx.db.prepare('SELECT 1 FROM datasets WHERE id = ?').get(datasetId))
    throw new ServiceError('not_found', `dataset ${datasetId} does not exist`);
  const sets = listAnnotations(ctx.db, datasetId)
    .filter((row) => axis === undefined || row.axis === axis)
    .map(toAnnotationSet);
  return {
    datasetId,
    sets,
    samples: mergeColumns(sets, 'samples'),
    features: mergeColumns(sets, 'features'),
  };
}

/**
 * The version of a dataset's sample annotation files (`annotationFilesVersion`), which names what
 * the class agreements kept in view-cache.ts were made from; read without any column's values.
 */
export function sampleAnnotationsVersion(ctx: ServiceContext, datasetId: number): string {
  return annotationFilesVersion(ctx.db, datasetId, 'samples');
}

/** An annotation column's heading: its name, kind and, for classes, their number and the first few. */
function columnHeading(column: AnnotationColumn): AnnotationColumnHeading {
  return {
    name: column.name,
    kind: column.kind,
    levelCount: column.kind === 'categorical' ? column.levels.length : null,
    firstLevels: column.kind === 'categorical' ? column.levels.slice(0, ANNOTATION_LEVELS_LISTED) : [],
  };
}

/**
 * A dataset's annotation files without their values (`annotations:sets`), oldest first. Each file's
 * column headings are made once (view-cache.ts `annotationHeadings`): counting the classes parses
 * the file's stored values (tens of MB at 10⁶ samples), and a stored file never changes, so later
 * calls read only the files' provenance.
 */
export function listAnnotationHeadings(ctx: ServiceContext, datasetId: number): AnnotationSetHeading[] {
  if (!ctx.db.prepare('SELECT 1 FROM datasets WHERE id = ?').get(datasetId))
    throw new ServiceError('not_found', `dataset ${datasetId} does not exist`);
  const kept = viewCaches(ctx).annotationHeadings;
  return listAnnotationHeads(ctx.db, datasetId).map((row) => {
    const key = annotationFileKey(row);
    let columns = kept.get(key);
    if (!columns) {
      const text = annotationColumnsText(ctx.db, row.id);
      // Deleted since the list was read (by another process): no columns to show, none to keep.
      columns = text === undefined ? [] : (JSON.parse(text) as AnnotationColumn[]).map(columnHeading);
      if (text !== undefined) kept.set(key, columns);
    }
    // Field order as the answer has always had it: createdAt before the headings.
    return { ...annotationProvenance(row), createdAt: row.created_at, columns };
  });
}

/**
 * Reads an annotation file (TSV/CSV, optionally gzip) and stores it beside the dataset.
 *
 * @param displayName the user's file name, used in messages and kept as provenance
 */
export async function importAnnotationFile(
  ctx: ServiceContext,
  datasetId: number,
  axis: AnnotationAxis,
  path: string,
  displayName: string,
): Promise<AnnotationSet> {
  const names = datasetNames(ctx, datasetId);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ServiceError(
      code === 'ENOENT' ? 'not_found' : 'bad_input',
      `${displayName}: cannot be read (${describeSystemError(error)})`,
      { file: displayName },
    );
  }
  const sourceHash = createHash('sha256').update(bytes).digest('hex');
  const axisNames = axis === 'samples' ? names.colNames : names.rowNames;
  const warnings: string[] = [];
  let text: string;
  if (await isHdf5Path(path)) {
    // An .h5ad: its obs (or var) dataframe, whichever is indexed by these names.
    try {
      const table = await h5adAnnotationText(path, displayName, axisNames);
      text = table.text;
      if (table.skipped.length)
        warnings.push(
          `${table.group} columns left out (not one value per name): ${table.skipped.join(', ')}`,
        );
    } catch (error) {
      throw new ServiceError('bad_input', (error as Error).message, { file: displayName });
    }
  } else
    try {
      const raw =
        bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b
          ? gunzipSync(bytes, { maxOutputLength: MAX_ANNOTATION_BYTES })
          : bytes;
      if (raw.length > MAX_ANNOTATION_BYTES)
        throw new Error(`larger than ${MAX_ANNOTATION_BYTES / 2 ** 20} MiB`);
      // As the matrix readers decode text (TextDecoding): UTF-8, UTF-16 with its byte-order mark,
      // or Windows-1252 when the start is not UTF-8; lone-CR line ends become LF.
      const decoding = new TextDecoding();
      text = decoding.write(raw) + decoding.end();
      warnings.push(...encodingWarnings(decoding));
    } catch (error) {
      throw new ServiceError(
        'bad_input',
        `${displayName} cannot be read as text: ${(error as Error).message}`,
        {
          file: displayName,
        },
      );
    }
  let parsed;
  try {
    parsed = parseAnnotationTable(text, displayName, axisNames, axis);
  } catch (error) {
    if (error instanceof AnnotationError) throw new ServiceError('bad_input', error.message, error.location);
    throw error;
  }
  const id = insertAnnotation(ctx.db, {
    dataset_id: datasetId,
    axis,
    source_name: displayName,
    source_hash: sourceHash,
    key_column: parsed.keyColumn,
    columns: JSON.stringify(parsed.columns),
    created_at: ctx.now(),
  });
  ctx.events.emit('library:changed', { what: 'datasets', id: datasetId });
  return { ...toAnnotationSet(getAnnotationRow(ctx.db, id)!), warnings };
}

export function deleteAnnotationById(ctx: ServiceContext, id: number): { deleted: number } {
  const row = getAnnotationRow(ctx.db, id);
  if (!row || !deleteAnnotation(ctx.db, id))
    throw new ServiceError('not_found', `annotation ${id} does not exist`);
  viewCaches(ctx).annotationHeadings.delete(annotationFileKey(row));
  ctx.events.emit('library:changed', { what: 'datasets', id: row.dataset_id });
  return { deleted: 1 };
}
