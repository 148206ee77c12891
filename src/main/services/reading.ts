import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { FRAME_JSON_OFFSET, ServiceError, frameJsonFields, frameJsonLength } from '../../shared/api';
import {
  GmtError,
  classAgreement,
  columnsAt,
  consensusMapOfShown,
  consensusSubsample,
  enrichMarkers,
  parseGmt,
  planSweep,
  rankMarkers,
  sampleLabels,
  zscoreSpectra,
  type AnnotationColumn,
  type CategoricalAnnotation,
  type MarkerMethod,
  type SweepJobResult,
} from '../../shared/analysis';
import type {
  ClusterAgreement,
  ConsensusMapView,
  EnrichmentView,
  MarkersView,
  RunClassesView,
  RunDetail,
  SweepClassesView,
  SweepDetail,
} from '../../shared/domain';
import { squareFigureCells } from '../../shared/analysis/downsample';
import { H_VIEW_MAX_ENTRIES, summarisesH } from '../../shared/analysis/run-views';
import { dense } from '../../shared/linalg/matrix';
import { labelsFromBlob } from '../db/blobs';
import { sweepJobLabelBlobs, sweepJobResultSlice, sweepRankClusterBlobs } from '../db/queries/sweeps';
import { describeSystemError } from '../io/source';
import { getDatasetAnnotations, sampleAnnotationsVersion } from './annotations';
import type { ServiceContext } from './context';
import { loadDataset } from './datasets';
import { getRunDetail, getRunDetailWithoutH } from './runs';
import {
  keptOrStoredRunViews,
  storeConsensusMap,
  storeValue,
  storedConsensusMap,
  storedValue,
} from './kept-views';
import {
  consensusMapKey,
  keptRunViews,
  runViewsKey,
  sweepClassesKey,
  viewCaches,
  type KeptConsensusMap,
} from './view-cache';
import { getSweepDetail, getSweepSummary, getSweepView, sweepSpecOf } from './sweeps';

/**
 * Reading a run's components against what is known: sample clusters against annotated classes,
 * marker features, gene-set enrichment of the markers, and the consensus map of a sweep's rank.
 */

/** Component names of a run: the user's, or c1..ck. */
export function componentNamesOf(run: Pick<RunDetail, 'componentNames' | 'params'>): string[] {
  return run.componentNames ?? Array.from({ length: run.params.rank }, (_, q) => `c${q + 1}`);
}

function finishedRun(ctx: ServiceContext, runId: number): RunDetail & { W: Float64Array; H: Float64Array } {
  const run = getRunDetail(ctx, runId);
  if (!run.W || !run.H)
    throw new ServiceError('conflict', `run ${runId} has no factors (state: ${run.state})`);
  return run as RunDetail & { W: Float64Array; H: Float64Array };
}

function categorical(columns: readonly AnnotationColumn[]): CategoricalAnnotation[] {
  return columns.filter((c): c is CategoricalAnnotation => c.kind === 'categorical');
}

/**
 * A sweep's run: the sweep's consensus clusters of its samples at the run's rank; otherwise null.
 * Read from the rank's clusters BLOB (`sweep_rank_clusters`, migration 0160) with the ranks'
 * criteria less their clusters (`getSweepView`); a sweep that ended before that version has its
 * clusters in its stored result only, parsed whole as before (`getSweepDetail`).
 */
export function consensusClustersOf(
  ctx: ServiceContext,
  run: Pick<RunDetail, 'id' | 'sweepId' | 'params' | 'cols'>,
): ArrayLike<number> | null {
  if (run.sweepId === null) return null;
  const rank = run.params.rank;
  const view = getSweepView(ctx, run.sweepId);
  const chosen = view.ranks.find((r) => r.runId === run.id) ?? view.ranks.find((r) => r.rank === rank);
  if (!chosen) return null;
  const blob = sweepRankClusterBlobs(ctx.db, run.sweepId, [chosen.rank]).get(chosen.rank);
  let clusters: ArrayLike<number> | undefined;
  if (blob) clusters = labelsFromBlob(blob);
  else {
    const sweep = getSweepDetail(ctx, run.sweepId);
    clusters = (sweep.ranks.find((r) => r.runId === run.id) ?? sweep.ranks.find((r) => r.rank === rank))
      ?.sampleClusters;
  }
  return clusters && clusters.length === run.cols ? clusters : null;
}

/**
 * Each rank's consensus clusters of a sweep, in the order of its stored ranks: from the ranks'
 * BLOBs (migration 0160) when every rank has one, else parsed from the stored result as before.
 */
function sweepRanksWithClusters(
  ctx: ServiceContext,
  sweepId: number,
): Array<{ rank: number; sampleClusters: ArrayLike<number> }> {
  const view = getSweepView(ctx, sweepId);
  const ranks = view.ranks.map((r) => r.rank);
  const blobs = sweepRankClusterBlobs(ctx.db, sweepId, ranks);
  if (ranks.every((rank) => blobs.has(rank)))
    return ranks.map((rank) => ({ rank, sampleClusters: labelsFromBlob(blobs.get(rank)!) }));
  return getSweepDetail(ctx, sweepId).ranks;
}

/**
 * A run's samples labelled by their dominant component in W·H (a sweep's run takes the sweep's
 * consensus clusters at its rank instead, what Brunet et al. compare with the classes).
 */
function dominantClusters(run: RunDetail & { W: Float64Array; H: Float64Array }): number[] {
  const rank = run.params.rank;
  return sampleLabels(dense(run.rows, rank, run.W), dense(rank, run.cols, run.H));
}

function agreementsOf(clusters: ArrayLike<number>, rank: number, columns: readonly CategoricalAnnotation[]) {
  return columns.map((column) => classAgreement(clusters, column, rank));
}

/**
 * The run's clusters against the dataset's categorical sample classes. The clusters themselves
 * are sent only for a run whose H `runs:get` sends (the window draws its coefficient map with
 * them); a summarised run's map is binned here. A large run whose summaries are kept
 * (view-cache.ts) is read without H and its sample names (160 MB and 10⁶ names at k = 20 × 10⁶
 * samples): its dominant-component clusters were kept with the summaries, and so is this answer
 * once made, until a sample annotation file is imported or deleted.
 */
export function runClasses(
  ctx: ServiceContext,
  runId: number,
  maxEntries = H_VIEW_MAX_ENTRIES,
): RunClassesView {
  const head = getRunDetailWithoutH(ctx, runId);
  const kept = keptRunViews(ctx, head, maxEntries);
  const annotations = sampleAnnotationsVersion(ctx, head.datasetId);
  if (kept?.classes?.annotations === annotations) return { runId, classes: kept.classes.classes };
  // A summarised run's answer is written to the library too (kept-views.ts), under the key of its
  // summaries and the annotation files' version: a new process reads it without H.
  const viewsKey = runViewsKey(ctx, head, maxEntries);
  const storedKey = viewsKey === null ? null : `${viewsKey}|${annotations}`;
  const stored = storedKey === null ? undefined : storedValue(ctx, 'run_class_answers', runId, storedKey);
  if (stored) {
    if (kept) kept.classes = { annotations, classes: stored.classes };
    return { runId, classes: stored.classes };
  }
  // Made without H when the library stores the run's summaries (with its dominant-component labels).
  const views = kept ?? keptOrStoredRunViews(ctx, head, maxEntries);
  const run = views ? head : finishedRun(ctx, runId);
  const columns = categorical(getDatasetAnnotations(ctx, run.datasetId, 'samples').samples);
  let classes: ClusterAgreement | null = null;
  if (columns.length > 0) {
    const rank = run.params.rank;
    const consensus = consensusClustersOf(ctx, run);
    const clusters: ArrayLike<number> =
      consensus ??
      views?.classLabels ??
      dominantClusters(run as RunDetail & { W: Float64Array; H: Float64Array });
    classes = {
      rank,
      clusters: summarisesH(rank, run.cols, maxEntries) ? null : Array.from(clusters),
      source: consensus ? 'consensus' : 'dominant',
      agreements: agreementsOf(clusters, rank, columns),
    };
  }
  if (views) views.classes = { annotations, classes };
  if (storedKey !== null) storeValue(ctx, 'run_class_answers', runId, storedKey, { runId, classes });
  return { runId, classes };
}

/**
 * Each rank's consensus clusters against the dataset's categorical sample classes: the agreements
 * only (the clusters, n a rank, are drawn by no screen). A finished sweep's answer is kept
 * (view-cache.ts) until a sample annotation file is imported or deleted.
 */
export function sweepClasses(ctx: ServiceContext, sweepId: number): SweepClassesView {
  const summary = getSweepSummary(ctx, sweepId);
  const key = sweepClassesKey(summary, sampleAnnotationsVersion(ctx, summary.datasetId));
  const kept = key === null ? undefined : viewCaches(ctx).sweepClasses.get(key);
  if (kept) return kept;
  const stored = key === null ? undefined : storedValue(ctx, 'sweep_class_answers', sweepId, key);
  if (stored && key !== null) {
    viewCaches(ctx).sweepClasses.set(key, stored);
    return stored;
  }
  const columns = categorical(getDatasetAnnotations(ctx, summary.datasetId, 'samples').samples);
  const view: SweepClassesView = {
    sweepId,
    columns: columns.map((c) => c.name),
    ranks:
      columns.length === 0
        ? []
        : sweepRanksWithClusters(ctx, sweepId)
            .filter((r) => r.sampleClusters.length === columns[0].values.length)
            .map((r) => ({
              rank: r.rank,
              source: 'consensus' as const,
              agreements: agreementsOf(r.sampleClusters, r.rank, columns),
            })),
  };
  if (key !== null) {
    viewCaches(ctx).sweepClasses.set(key, view);
    storeValue(ctx, 'sweep_class_answers', sweepId, key, view);
  }
  return view;
}

/** Ranked markers of a run's components (`top` per component). */
export function runMarkers(
  ctx: ServiceContext,
  runId: number,
  method: MarkerMethod,
  top: number,
): MarkersView {
  const run = finishedRun(ctx, runId);
  const rank = run.params.rank;
  if (rank < 2)
    throw new ServiceError('bad_input', `run ${runId} has one component: markers need at least two`);
  const W = dense(run.rows, rank, run.W);
  let zscores;
  if (method === 'zscore') {
    const data = loadDataset(ctx, run.datasetId);
    try {
      zscores = zscoreSpectra(data.matrix, dense(rank, run.cols, run.H));
    } catch (error) {
      throw new ServiceError('bad_input', `run ${runId}: ${(error as Error).message}`);
    }
  }
  const table = rankMarkers(W, method, top, zscores);
  const names = componentNamesOf(run);
  return {
    runId,
    method,
    threshold: table.threshold,
    components: table.components.map((c) => ({
      component: c.component,
      name: names[c.component],
      features: c.features.map((f) => ({ ...f, feature: run.featureNames[f.index] })),
    })),
  };
}

/** Reads a GMT file (optionally gzip), refusing a bad one with its line. */
export async function readGmtFile(path: string, displayName: string) {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ServiceError(
      code === 'ENOENT' ? 'not_found' : 'bad_input',
      `${displayName}: cannot be read (${describeSystemError(error)})`,
      {
        file: displayName,
      },
    );
  }
  try {
    const raw = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
    return parseGmt(new TextDecoder('utf-8').decode(raw), displayName);
  } catch (error) {
    if (error instanceof GmtError) throw new ServiceError('bad_input', error.message, error.location);
    throw new ServiceError('bad_input', `${displayName}: ${(error as Error).message}`, { file: displayName });
  }
}

/**
 * Hypergeometric enrichment of each component's top markers in the sets of a GMT file, against the
 * dataset's features; BH q-values over the sets tested for that component.
 */
export async function runEnrichment(
  ctx: ServiceContext,
  runId: number,
  gmtPath: string,
  gmtName: string,
  options: { top: number; method: MarkerMethod },
): Promise<EnrichmentView> {
  const sets = await readGmtFile(gmtPath, gmtName);
  const markers = runMarkers(ctx, runId, options.method, options.top);
  const run = getRunDetail(ctx, runId);
  let setsTested = 0;
  const components = markers.components.map((c) => {
    // Kim–Park: the features extractFeatures keeps; if none pass, the top-ranked candidates.
    const chosen =
      options.method === 'kim-park' && c.features.some((f) => f.selected)
        ? c.features.filter((f) => f.selected)
        : c.features;
    const result = enrichMarkers(
      chosen.map((f) => f.feature),
      run.featureNames,
      sets,
    );
    setsTested = result.tested;
    return { component: c.component, name: c.name, markers: chosen.length, sets: result.sets };
  });
  return {
    runId,
    method: options.method,
    top: options.top,
    gmtName,
    universe: run.featureNames.length,
    setsTested,
    components,
  };
}

/** A stored sweep job result's fields the consensus map reads (its frame's JSON, arrays not read). */
type JobLabels = Pick<SweepJobResult, 'rank' | 'kind' | 'index' | 'baseline' | 'sampleLabels'>;

/**
 * A stored job result's fields the consensus map reads, from its frame's JSON alone (SQLite
 * `substr`: the W and H after it stay in SQLite), parsed without the frame's reviver. How results
 * stored before migration 0160 give their labels.
 */
function jobLabelsFromJson(ctx: ServiceContext, sweepId: number, jobKey: string): JobLabels {
  const start = sweepJobResultSlice(ctx.db, sweepId, jobKey, 0, FRAME_JSON_OFFSET);
  if (!start) throw new Error(`sweep ${sweepId}: job ${jobKey}: no stored result`);
  const length = frameJsonLength(start);
  const json = sweepJobResultSlice(ctx.db, sweepId, jobKey, FRAME_JSON_OFFSET, length);
  if (!json || json.length !== length) throw new Error(`sweep ${sweepId}: job ${jobKey}: truncated result`);
  return frameJsonFields(json) as JobLabels;
}

/**
 * Each fit's sample labels at `rank`, picked at the map's shown samples as each is read: the fits
 * the sweep's consensus criteria come from (summarizeSweep), its independent consensus fits where it
 * has at least two at this rank, otherwise its replicates. A result stored since migration 0160 has
 * its labels in a BLOB beside it (one byte a label), whose shown samples are indexed in place, and
 * what job it is comes from the sweep's plan (the job key is the planned job's id); an older
 * result's labels are read from its frame's JSON, all n parsed, one fit at a time. The BLOBs of the
 * rank's fits are read together (n bytes each: 12 MB for 12 fits at 10⁶ samples), each fit's
 * shown labels picked from its own.
 */
function shownLabelings(
  ctx: ServiceContext,
  sweep: Pick<SweepDetail, 'id' | 'params'>,
  rank: number,
): { labelings: number[][]; subsample: number[] | null; n: number } {
  const byKind: Record<'replicate' | 'consensus', number[][]> = { replicate: [], consensus: [] };
  let n = -1;
  let subsample: number[] | null = null;
  const take = (kind: 'replicate' | 'consensus', index: number, labels: ArrayLike<number>) => {
    if (n < 0) {
      n = labels.length;
      subsample = consensusSubsample(n);
    } else if (labels.length !== n) {
      throw new RangeError(`labelings differ in length: ${labels.length} vs ${n}`);
    }
    byKind[kind][index] = subsample ? subsample.map((j) => labels[j]) : Array.from(labels);
  };
  const planned = new Map(planSweep(sweepSpecOf(sweep.params)).map((job) => [job.id, job]));
  const stored = sweepJobLabelBlobs(ctx.db, sweep.id, [`k${rank}/replicate/`, `k${rank}/consensus/`]);
  for (const { job_key, sample_labels } of stored) {
    const job = planned.get(job_key);
    const fit: JobLabels | undefined =
      sample_labels !== null && job
        ? { rank: job.rank, kind: job.kind, index: job.index, baseline: job.baseline, sampleLabels: null }
        : jobLabelsFromJson(ctx, sweep.id, job_key);
    if (fit.baseline || fit.rank !== rank) continue;
    if (fit.kind !== 'replicate' && fit.kind !== 'consensus') continue;
    const labels = sample_labels !== null && job ? labelsFromBlob(sample_labels) : fit.sampleLabels;
    if (labels) take(fit.kind, fit.index, labels);
  }
  const independent = byKind.consensus.filter((l) => l !== undefined);
  const labelings = independent.length >= 2 ? independent : byKind.replicate.filter((l) => l !== undefined);
  return { labelings, subsample, n };
}

/**
 * The consensus map of one rank of a sweep without its tracks, remade from the sample labels its
 * stored fits carry (nothing extra is stored for it).
 */
function makeConsensusMap(ctx: ServiceContext, sweep: SweepDetail, rank: number): KeptConsensusMap['map'] {
  const { labelings, subsample, n } = shownLabelings(ctx, sweep, rank);
  if (labelings.length === 0)
    throw new ServiceError('conflict', `sweep ${sweep.id} has no finished replicate at k = ${rank} yet`);
  const map = consensusMapOfShown(labelings, subsample, n, rank);
  const s = map.order.length;
  const metrics = sweep.ranks.find((r) => r.rank === rank);
  // Above 240 shown samples the figure draws block means: made here, by the window's function.
  const cells = squareFigureCells(map.matrix, s);
  return {
    sweepId: sweep.id,
    rank,
    replicates: labelings.length,
    order: map.order,
    // The figure writes names only when each sample has a cell of its own: not of block means.
    sampleNames: cells.cells < s ? [] : sampleNamesAt(ctx, sweep.datasetId, map.order),
    matrix: cells.values,
    matrixCells: cells.cells,
    merges: map.tree.merges,
    leaves: map.leaves,
    clusters: map.clusters,
    subsample: map.subsample,
    cophenetic: metrics?.cophenetic ?? (labelings.length > 1 ? map.cophenetic : null),
    dispersion: metrics?.dispersion ?? (labelings.length > 1 ? map.dispersion : null),
  };
}

/** The dataset's sample names at `order` (indices into its samples). */
function sampleNamesAt(ctx: ServiceContext, datasetId: number, order: readonly number[]): string[] {
  const row = ctx.db.prepare('SELECT col_names FROM datasets WHERE id = ?').get(datasetId) as {
    col_names: string;
  };
  const names = JSON.parse(row.col_names) as string[];
  return order.map((j) => names[j]);
}

/**
 * The consensus map of one rank of a sweep, with the sample annotation columns at its shown samples
 * (`sampleTracks`). A sweep that has ended keeps its maps (view-cache.ts `consensusMaps`, keyed by
 * its end time and finished fits) and each map its tracks until a sample annotation file is
 * imported or deleted; a running sweep's map is made at every call.
 */
export function sweepConsensusMap(ctx: ServiceContext, sweepId: number, rank: number): ConsensusMapView {
  const summary = getSweepSummary(ctx, sweepId);
  if (rank < summary.params.fromRank || rank > summary.params.toRank)
    throw new ServiceError(
      'not_found',
      `sweep ${sweepId} covers ranks ${summary.params.fromRank}..${summary.params.toRank}, not ${rank}`,
    );
  const key = consensusMapKey(summary, rank);
  let kept = key === null ? undefined : viewCaches(ctx).consensusMaps.get(key);
  // What is made here is written to the library (kept-views.ts), read back by the next process.
  let made = false;
  if (!kept && key !== null) {
    kept = storedConsensusMap(ctx, sweepId, rank, key);
    if (kept) viewCaches(ctx).consensusMaps.set(key, kept);
  }
  if (!kept) {
    kept = { map: makeConsensusMap(ctx, getSweepView(ctx, sweepId), rank) };
    made = true;
    if (key !== null) viewCaches(ctx).consensusMaps.set(key, kept);
  }
  const annotations = sampleAnnotationsVersion(ctx, summary.datasetId);
  if (kept.tracks?.annotations !== annotations) {
    const columns = getDatasetAnnotations(ctx, summary.datasetId, 'samples').samples;
    kept.tracks = { annotations, columns: columnsAt(columns, kept.map.order) };
    made = true;
  }
  if (made && key !== null) storeConsensusMap(ctx, sweepId, rank, key, kept);
  const { map } = kept;
  return {
    sweepId: map.sweepId,
    rank: map.rank,
    replicates: map.replicates,
    order: map.order,
    sampleNames: map.sampleNames,
    matrix: map.matrix,
    matrixCells: map.matrixCells,
    merges: map.merges,
    leaves: map.leaves,
    clusters: map.clusters,
    sampleTracks: kept.tracks.columns,
    subsample: map.subsample,
    cophenetic: map.cophenetic,
    dispersion: map.dispersion,
  };
}
