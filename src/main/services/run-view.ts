import { ServiceError } from '../../shared/api';
import { sampleLabels } from '../../shared/analysis/consensus';
import { dense } from '../../shared/linalg/matrix';
import type { DownloadTicket } from '../../shared/api/transfer';
import {
  ACTIVATION_BINS,
  activationEnvelopes,
  blockMaxima,
  blockTracks,
  coefficientMapBins,
  countsPerComponent,
  dominantComponents,
  dominantSampleOrder,
  finiteRange,
  H_VIEW_MAX_ENTRIES,
  summarisesH,
} from '../../shared/analysis/run-views';
import type {
  CoefficientTracks,
  ProjectionHSummary,
  RunCoefficientBins,
  RunDetail,
  RunHOrderView,
  RunHSummary,
} from '../../shared/domain';
import type { Delimiter } from '../../shared/export/delimited';
import type { ServiceContext } from './context';
import { getDatasetAnnotations } from './annotations';
import { consensusClustersOf } from './reading';
import { getRunDetail, getRunDetailWithoutH } from './runs';
import { offerDelimitedTable } from './table-download';
import { keepAndStoreRunViews, keptOrStoredRunViews } from './kept-views';
import type { KeptRunViews } from './view-cache';

/**
 * The Run screen's record (`runs:get`). Up to {@link H_VIEW_MAX_ENTRIES} entries of H it is the
 * stored run as is; above, H (k × n: 160 MB at k = 20 × 10⁶ samples, which the window then held,
 * transposed and scanned per view) stays here and the record carries what the screen draws of it
 * instead (`hSummary`, shared/analysis/run-views.ts): a few MB whatever n is. The summaries are
 * kept (view-cache.ts) and stored in the library (kept-views.ts, migration 0180): a finished run's
 * W and H never change, so the next `runs:get` of the run, in this process or the next, reads
 * neither H nor the sample names and sorts nothing.
 */
export function getRunView(ctx: ServiceContext, id: number, maxEntries = H_VIEW_MAX_ENTRIES): RunDetail {
  const head = getRunDetailWithoutH(ctx, id);
  const views = keptOrStoredRunViews(ctx, head, maxEntries);
  if (views) return { ...head, H: null, sampleNames: [], hSummary: views.summary };
  const run = getRunDetail(ctx, id);
  const made = keptRunView(run, () => consensusClustersOf(ctx, run), maxEntries);
  if (made.kept) keepAndStoreRunViews(ctx, head, made.kept, maxEntries);
  return made.record;
}

/**
 * The sample annotation tracks of a large run's binned coefficient map (`runs:coefficientTracks`),
 * one value per block (`blockTracks`: categories of the blocks' first samples, numbers as the
 * blocks' means), for the dominant-component grouping and the consensus one; read from the
 * annotations as they are now, over the sample orders kept with the run's summaries (made first
 * when they are not kept). Null for a run whose H is sent: the window draws its tracks itself.
 */
export function getCoefficientTracks(
  ctx: ServiceContext,
  id: number,
  maxEntries = H_VIEW_MAX_ENTRIES,
): CoefficientTracks | null {
  const head = getRunDetailWithoutH(ctx, id);
  if (head.state !== 'done' || !head.W || !summarisesH(head.params.rank, head.cols, maxEntries)) return null;
  let views = keptOrStoredRunViews(ctx, head, maxEntries);
  if (!views) {
    const run = getRunDetail(ctx, id);
    views = keptRunView(run, () => consensusClustersOf(ctx, run), maxEntries).kept ?? undefined;
    if (!views) return null;
    keepAndStoreRunViews(ctx, head, views, maxEntries);
  }
  const columns = getDatasetAnnotations(ctx, head.datasetId).samples;
  const { coefficients } = views.summary;
  const { dominant, consensus } = views.coefficientOrders;
  return {
    dominant: blockTracks(columns, dominant, coefficients.dominant.columns),
    consensus:
      consensus && coefficients.consensus
        ? blockTracks(columns, consensus, coefficients.consensus.columns)
        : null,
  };
}

/**
 * The record `runs:get` answers with for a stored run (see {@link getRunView}): the run itself,
 * or, once H has more than `maxEntries` entries (and more samples than the activation chart draws
 * one by one), the run with H and the n sample names left out (no summarised view names single
 * samples) and `hSummary` in their place.
 * @param consensus the sweep's consensus clusters of the run's samples, or null (asked only when summarising)
 */
export function runView(
  run: RunDetail,
  consensus: () => ArrayLike<number> | null,
  maxEntries = H_VIEW_MAX_ENTRIES,
): RunDetail {
  return keptRunView(run, consensus, maxEntries).record;
}

/** {@link runView}, and what is kept of a summarised run (null when the run is sent whole). */
function keptRunView(
  run: RunDetail,
  consensus: () => ArrayLike<number> | null,
  maxEntries: number,
): { record: RunDetail; kept: KeptRunViews | null } {
  const k = run.params.rank;
  if (!run.W || !run.H || !summarisesH(k, run.cols, maxEntries)) return { record: run, kept: null };
  const kept = summariseHKept(run as RunDetail & { W: Float64Array; H: Float64Array }, consensus());
  return { record: { ...run, H: null, sampleNames: [], hSummary: kept.summary }, kept };
}

function orderView(H: Float64Array, k: number, n: number, order: Int32Array | null): RunHOrderView {
  const map = blockMaxima(H, k, n, order);
  return {
    map,
    envelopes: activationEnvelopes(H, k, n, order, ACTIVATION_BINS),
  };
}

/** A clustering's binned coefficient map as sent, and its samples' display order (kept here). */
function coefficientBins(
  H: Float64Array,
  k: number,
  n: number,
  clusters: ArrayLike<number>,
): { bins: RunCoefficientBins; order: Int32Array } {
  const { order, ...bins } = coefficientMapBins(H, k, n, clusters);
  return { bins: { ...bins, firstClusters: Int32Array.from(bins.firstSamples, (j) => clusters[j]) }, order };
}

/**
 * The summaries of a done run's H: the H map and activation envelopes in the fitted and the
 * dominant-component sample order, the dominant component counts, and the coefficient map grouped
 * by dominant component and (a sweep's run) by consensus cluster.
 */
export function summariseH(
  run: RunDetail & { W: Float64Array; H: Float64Array },
  consensus: ArrayLike<number> | null,
): RunHSummary {
  return summariseHKept(run, consensus).summary;
}

/**
 * {@link summariseH}, with the coefficient maps' sample orders (n each): what the main process
 * keeps of a large run (view-cache.ts) to draw annotation tracks over the map's blocks
 * (`runs:coefficientTracks`) without sorting the samples again.
 */
export function summariseHKept(
  run: RunDetail & { W: Float64Array; H: Float64Array },
  consensus: ArrayLike<number> | null,
): KeptRunViews {
  const { W, H, rows: m, cols: n } = run;
  const k = run.params.rank;
  const dominant = dominantComponents(W, H, m, k, n);
  const byDominant = coefficientBins(H, k, n, dominant);
  const byConsensus = consensus && consensus.length === n ? coefficientBins(H, k, n, consensus) : null;
  return {
    summary: {
      activationBins: Math.min(n, ACTIVATION_BINS),
      range: finiteRange(H),
      orders: {
        fitted: orderView(H, k, n, null),
        dominant: orderView(H, k, n, dominantSampleOrder(H, k, n)),
      },
      dominantCounts: countsPerComponent(dominant, k),
      coefficients: { dominant: byDominant.bins, consensus: byConsensus?.bins ?? null },
    },
    coefficientOrders: { dominant: byDominant.order, consensus: byConsensus?.order ?? null },
    classLabels: Int32Array.from(sampleLabels(dense(m, k, W), dense(k, n, H))),
  };
}

/**
 * What the projection panel draws of a projected H (k × n of the new samples): its heat map as
 * k × 1200 block maxima of the samples as fitted and H's finite range, the Run screen's map of a
 * summarised H made by the same functions.
 */
export function summariseProjectionH(H: Float64Array, k: number, n: number): ProjectionHSummary {
  return { samples: n, range: finiteRange(H), map: blockMaxima(H, k, n, null) };
}

/** Component names as the Run screen shows them and has always exported them: the user's, or C1…Ck. */
function screenComponentNames(run: Pick<RunDetail, 'componentNames' | 'params'>): string[] {
  return run.componentNames ?? Array.from({ length: run.params.rank }, (_, i) => `C${i + 1}`);
}

/** File name of a run's W or H table, as the Run screen has always named it. */
export function runTableFileName(id: number, which: 'W' | 'H', delimiter: Delimiter): string {
  return `run-${id}-${which}.${delimiter === ',' ? 'csv' : 'tsv'}`;
}

/**
 * The Run screen's "W/H as TSV/CSV", made here from the library's W and H a piece at a time
 * (`delimitedChunks`, the text the window made: names, corner and number formatting alike) and
 * read by the window through `downloads:read` with progress and Cancel, as "JSON with provenance".
 * The window no longer holds H to make it.
 */
export async function offerRunTable(
  ctx: ServiceContext,
  id: number,
  which: 'W' | 'H',
  delimiter: Delimiter,
  chunkValues?: number,
): Promise<DownloadTicket> {
  const run = getRunDetail(ctx, id);
  if (run.state !== 'done' || !run.W || !run.H)
    throw new ServiceError(
      'conflict',
      `run ${id} is ${run.state}: only a finished run has factors to export`,
    );
  const k = run.params.rank;
  const names = screenComponentNames(run);
  // W: features × components, corner "feature"; H: components × samples, corner "component".
  const table =
    which === 'W'
      ? {
          values: run.W,
          rows: run.rows,
          cols: k,
          rowNames: run.featureNames,
          colNames: names,
          corner: 'feature',
        }
      : {
          values: run.H,
          rows: k,
          cols: run.cols,
          rowNames: names,
          colNames: run.sampleNames,
          corner: 'component',
        };
  return offerDelimitedTable(ctx, runTableFileName(id, which, delimiter), table, delimiter, chunkValues);
}
