import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ServiceError } from '../../shared/api';
import { enrichMarkers, rankMarkers, type MarkerMethod } from '../../shared/analysis';
import type { RunDetail } from '../../shared/domain';
import { readFactorsTsv } from '../io';
import type { Services } from '../services';
import { importAnnotationFile } from '../services/annotations';
import { readGmtFile, runClasses, runEnrichment, runMarkers } from '../services/reading';
import { choiceFlag, numberFlag, parse, parseId, pathOrId, UsageError } from './args';
import type { CliIo, OpenServices } from './commands';

/**
 * `annotate`, `markers` and `enrich` (CLI.md "Additions"), and the `classes` block of `runs show`.
 */

const markerMethods = ['kim-park', 'zscore'] as const;

function openLibrary(values: Record<string, unknown>, open: OpenServices): Services {
  return open({ libraryPath: typeof values.db === 'string' ? values.db : undefined });
}

/** Service errors a user caused (unknown id, run without factors) exit with status 2. */
function asUsage(error: unknown): never {
  if (error instanceof ServiceError && (error.code === 'not_found' || error.code === 'conflict'))
    throw new UsageError(error.message);
  throw error;
}

export async function annotateCommand(args: string[], io: CliIo, open: OpenServices): Promise<void> {
  const { values, positionals } = parse(args, {
    samples: { type: 'string' },
    features: { type: 'string' },
    db: { type: 'string' },
  });
  if (positionals.length !== 1)
    throw new UsageError('annotate takes one <dataset-id> and --samples FILE or --features FILE');
  const datasetId = parseId(positionals[0], 'annotate', 'datasets list');
  const samples = typeof values.samples === 'string' ? values.samples : undefined;
  const features = typeof values.features === 'string' ? values.features : undefined;
  if ((samples === undefined) === (features === undefined))
    throw new UsageError('annotate needs exactly one of --samples FILE or --features FILE');
  const path = (samples ?? features)!;
  const services = openLibrary(values, open);
  try {
    const set = await importAnnotationFile(
      services.ctx,
      datasetId,
      samples !== undefined ? 'samples' : 'features',
      path,
      path,
    ).catch(asUsage);
    for (const warning of set.warnings ?? []) io.stderr(`warning: ${warning}\n`);
    io.stdout(
      JSON.stringify(
        {
          annotation: set.id,
          dataset: set.datasetId,
          axis: set.axis,
          source: set.sourceName,
          sha256: set.sourceHash,
          key: set.keyColumn,
          columns: set.columns.map((c) =>
            c.kind === 'categorical'
              ? {
                  name: c.name,
                  kind: c.kind,
                  levels: c.levels,
                  missing: c.values.filter((v) => v === null).length,
                }
              : { name: c.name, kind: c.kind, missing: c.values.filter((v) => v === null).length },
          ),
        },
        null,
        2,
      ) + '\n',
    );
  } finally {
    await services.close();
  }
}

/** A run folder written by `fit` or `runs export`: W with its feature names. */
async function folderW(dir: string) {
  if (!existsSync(join(dir, 'W.tsv')))
    throw new UsageError(`${dir} is neither a run id nor a folder with W.tsv (as fit and runs export write)`);
  const factors = await readFactorsTsv(join(dir, 'W.tsv'), { kind: 'W' });
  const featureNames =
    factors.names ?? Array.from({ length: factors.matrix.rows }, (_, i) => `feature${i + 1}`);
  return { W: factors.matrix, featureNames };
}

function markerOptions(values: Record<string, unknown>): { top: number; method: MarkerMethod } {
  return {
    top: numberFlag(values, 'top', { integer: true, min: 1, max: 100_000 }) ?? 50,
    method: choiceFlag(values, 'method', markerMethods) ?? 'kim-park',
  };
}

function componentLabel(q: number, names: readonly string[] | null): string {
  return names?.[q] ?? `c${q + 1}`;
}

export async function markersCommand(args: string[], io: CliIo, open: OpenServices): Promise<void> {
  const { values, positionals } = parse(args, {
    top: { type: 'string' },
    method: { type: 'string' },
    db: { type: 'string' },
  });
  if (positionals.length !== 1) throw new UsageError('markers takes one <run-dir|run-id>');
  const { top, method } = markerOptions(values);
  const ref = positionals[0];
  const source = pathOrId(ref, 'markers', 'runs list', { idOverPath: true });
  let view: { threshold: number | null; components: Array<{ component: string; features: object[] }> };
  if ('id' in source) {
    const services = openLibrary(values, open);
    try {
      const markers = (() => {
        try {
          return runMarkers(services.ctx, source.id, method, top);
        } catch (error) {
          return asUsage(error);
        }
      })();
      view = {
        threshold: markers.threshold,
        components: markers.components.map((c) => ({
          component: c.name,
          features: c.features.map((f) => ({
            feature: f.feature,
            score: f.score,
            loading: f.loading,
            selected: f.selected,
          })),
        })),
      };
    } finally {
      await services.close();
    }
  } else {
    if (method === 'zscore')
      throw new UsageError(
        '--method zscore needs the data the run was fitted on: give the run id from the library',
      );
    const { W, featureNames } = await folderW(ref);
    if (W.cols < 2) throw new UsageError(`${ref} has one component: markers need at least two`);
    const table = rankMarkers(W, method, top);
    view = {
      threshold: table.threshold,
      components: table.components.map((c) => ({
        component: componentLabel(c.component, null),
        features: c.features.map((f) => ({
          feature: featureNames[f.index],
          score: f.score,
          loading: f.loading,
          selected: f.selected,
        })),
      })),
    };
  }
  io.stdout(JSON.stringify({ method, top, ...view }, null, 2) + '\n');
}

export async function enrichCommand(args: string[], io: CliIo, open: OpenServices): Promise<void> {
  const { values, positionals } = parse(args, {
    gmt: { type: 'string' },
    top: { type: 'string' },
    method: { type: 'string' },
    db: { type: 'string' },
  });
  if (positionals.length !== 1) throw new UsageError('enrich takes one <run-dir|run-id> and --gmt FILE');
  if (typeof values.gmt !== 'string')
    throw new UsageError('enrich needs --gmt FILE (gene sets in GMT format)');
  const gmt = values.gmt;
  const { top, method } = markerOptions(values);
  const ref = positionals[0];
  const source = pathOrId(ref, 'enrich', 'runs list', { idOverPath: true });
  const shape = (
    components: Array<{
      name: string;
      markers: number;
      sets: Array<{ name: string; overlap: number; size: number; p: number; q: number; genes: string[] }>;
    }>,
  ) =>
    components.map((c) => ({
      component: c.name,
      markers: c.markers,
      sets: c.sets.map((s) => ({
        name: s.name,
        overlap: s.overlap,
        size: s.size,
        p: s.p,
        q: s.q,
        genes: s.genes,
      })),
    }));
  let out: object;
  if ('id' in source) {
    const services = openLibrary(values, open);
    try {
      const view = await runEnrichment(services.ctx, source.id, gmt, gmt, { top, method }).catch(asUsage);
      out = {
        method,
        top,
        universe: view.universe,
        sets_tested: view.setsTested,
        components: shape(view.components),
      };
    } finally {
      await services.close();
    }
  } else {
    if (method === 'zscore')
      throw new UsageError(
        '--method zscore needs the data the run was fitted on: give the run id from the library',
      );
    const sets = await readGmtFile(gmt, gmt).catch(asUsage);
    const { W, featureNames } = await folderW(ref);
    if (W.cols < 2) throw new UsageError(`${ref} has one component: markers need at least two`);
    const table = rankMarkers(W, method, top);
    let tested = 0;
    const components = table.components.map((c) => {
      const chosen = c.features.some((f) => f.selected) ? c.features.filter((f) => f.selected) : c.features;
      const result = enrichMarkers(
        chosen.map((f) => featureNames[f.index]),
        featureNames,
        sets,
      );
      tested = result.tested;
      return { name: componentLabel(c.component, null), markers: chosen.length, sets: result.sets };
    });
    out = { method, top, universe: featureNames.length, sets_tested: tested, components: shape(components) };
  }
  io.stdout(JSON.stringify(out, null, 2) + '\n');
}

/**
 * `runs show`'s `classes` block: per categorical sample annotation, the ARI and purity of the run's
 * sample clusters (CLI.md). Undefined when the dataset has no categorical sample annotation or the
 * run has no factors.
 */
export function classesForRunsShow(
  services: Services,
  run: RunDetail,
): Record<string, { ari: number; purity: number; samples: number; clusters_from: string }> | undefined {
  if (!run.W || !run.H) return undefined;
  const view = runClasses(services.ctx, run.id);
  if (!view.classes) return undefined;
  const out: Record<string, { ari: number; purity: number; samples: number; clusters_from: string }> = {};
  for (const a of view.classes.agreements)
    out[a.column] = { ari: a.ari, purity: a.purity, samples: a.samples, clusters_from: view.classes.source };
  return out;
}
