import { ServiceError } from '../../shared/api';
import {
  alignComponents,
  assignModules,
  scoreAssignment,
  splitMergeMap,
  synthesizeGeneModules,
} from '../../shared/analysis';
import type {
  AssignmentView,
  ComparisonView,
  DatasetSummary,
  DatasetTruth,
  PairAlignment,
  PcaView,
  SynthParams,
} from '../../shared/domain';
import { dense, type DenseMatrix } from '../../shared/linalg/matrix';
import type { ServiceContext } from './context';
import { getDatasetTruth, loadDataset, storeDataset } from './datasets';
import { getRunDetail } from './runs';

/** Use cases on top of src/shared/analysis: synthetic data, module assignment, run comparison, PCA. */

/**
 * Largest synthetic matrix made in the app's process. Synthesis runs on the main thread (it draws
 * features × samples Poisson counts), so its cost is bounded by this estimate: 10⁷ cells took 7.6 s
 * and 165 MB on a shared 2-core machine, so 5·10⁶ cells is a few seconds and ≈ 40 MB per copy.
 * Larger data: `nmf-studio synth` writes files, which are then imported (streamed, in a worker).
 */
export const MAX_SYNTH_CELLS = 5_000_000;
/** Measured cells per second of synthesis (see MAX_SYNTH_CELLS), for the refusal's estimate. */
const SYNTH_CELLS_PER_SECOND = 1.3e6;

export function synthesizeDataset(
  ctx: ServiceContext,
  params: SynthParams,
): { dataset: DatasetSummary; existing: boolean } {
  const cells = params.features * params.samples;
  if (cells > MAX_SYNTH_CELLS) {
    // V, its stored copy and the hash pass each hold the dense matrix.
    const megabytes = (cells * 8 * 2) / 1e6;
    throw new ServiceError(
      'bad_input',
      `${params.features} features × ${params.samples} samples = ${cells.toExponential(2)} cells ` +
        `(≈ ${megabytes.toFixed(0)} MB and ≈ ${(cells / SYNTH_CELLS_PER_SECOND).toFixed(0)} s here) is more than ` +
        `the ${MAX_SYNTH_CELLS.toExponential(0)} cells synthesised in the app; use "nmf-studio synth" and import its files`,
    );
  }
  const synthetic = synthesizeGeneModules({
    features: params.features,
    samples: params.samples,
    rank: params.rank,
    moonlighting: params.moonlighting,
    depth: params.depth,
    seed: params.seed,
  });
  const truth: DatasetTruth = {
    rank: params.rank,
    W: synthetic.truth.W.data,
    H: synthetic.truth.H.data,
    module: synthetic.truth.module,
    moonlighting: synthetic.truth.moonlighting,
  };
  const name =
    params.name ??
    `synthetic ${params.features}×${params.samples}, ${params.rank} modules, seed ${params.seed}`;
  return storeDataset(ctx, synthetic.V, synthetic.featureNames, synthetic.sampleNames, {
    name,
    sourceName: 'synthetic gene modules',
    format: 'synthetic',
    transform: 'none',
    transposed: false,
    truth,
  });
}

/** W of a finished run as a matrix, with its names. */
function runFactors(
  ctx: ServiceContext,
  runId: number,
): { W: DenseMatrix; rank: number; datasetId: number; featureNames: string[] } {
  const run = getRunDetail(ctx, runId);
  if (!run.W) throw new ServiceError('conflict', `run ${runId} has no factors yet (state: ${run.state})`);
  const rank = run.params.rank;
  return { W: dense(run.rows, rank, run.W), rank, datasetId: run.datasetId, featureNames: run.featureNames };
}

export function assignRunModules(ctx: ServiceContext, runId: number, threshold?: number): AssignmentView {
  const { W, rank, datasetId, featureNames } = runFactors(ctx, runId);
  const assignment = assignModules(W, threshold === undefined ? {} : { threshold });
  const truth = getDatasetTruth(ctx, datasetId);
  let truthView: AssignmentView['truth'] = null;
  if (truth) {
    const score = scoreAssignment(assignment, W, {
      W: dense(W.rows, truth.rank, truth.W),
      module: truth.module,
      moonlighting: truth.moonlighting,
    });
    truthView = {
      adjustedRandIndex: score.adjustedRandIndex,
      moonlightingPrecision: score.moonlightingPrecision,
      moonlightingRecall: score.moonlightingRecall,
      componentOfModule: score.componentOfModule,
      truthModule: truth.module,
      truthMoonlighting: truth.moonlighting.map((m) => m.index),
    };
  }
  return {
    runId,
    threshold: assignment.threshold,
    defaultThreshold: assignment.defaultThreshold,
    featureNames,
    modules: assignment.modules,
    moonlighting: assignment.moonlighting,
    normalizedW: assignment.normalizedW.data,
    rank,
    histogram: assignment.histogram,
    truth: truthView,
  };
}

/**
 * Restricts two runs' W to the features both datasets share (by name), in the first run's order,
 * so runs on different datasets can be compared.
 */
function sharedRows(
  a: ReturnType<typeof runFactors>,
  b: ReturnType<typeof runFactors>,
): { WA: DenseMatrix; WB: DenseMatrix; shared: number } {
  if (a.datasetId === b.datasetId) return { WA: a.W, WB: b.W, shared: a.W.rows };
  const indexInB = new Map(b.featureNames.map((name, i) => [name, i]));
  const pairs: Array<[number, number]> = [];
  a.featureNames.forEach((name, i) => {
    const j = indexInB.get(name);
    if (j !== undefined) pairs.push([i, j]);
  });
  if (pairs.length === 0)
    throw new ServiceError(
      'bad_input',
      'the two runs share no feature names, so their components cannot be compared',
    );
  const WA = dense(pairs.length, a.rank);
  const WB = dense(pairs.length, b.rank);
  pairs.forEach(([i, j], row) => {
    WA.data.set(a.W.data.subarray(i * a.rank, (i + 1) * a.rank), row * a.rank);
    WB.data.set(b.W.data.subarray(j * b.rank, (j + 1) * b.rank), row * b.rank);
  });
  return { WA, WB, shared: pairs.length };
}

export function compareRuns(
  ctx: ServiceContext,
  runIds: number[],
  metric: 'cosine' | 'pearson',
): ComparisonView {
  const unique = [...new Set(runIds)];
  if (unique.length < 2) throw new ServiceError('bad_input', 'choose at least two different runs to compare');
  const runs = unique.map((id) => runFactors(ctx, id));
  const pairs: PairAlignment[] = [];
  let sharedFeatures = Infinity;
  for (let i = 0; i < runs.length; i++) {
    for (let j = i + 1; j < runs.length; j++) {
      const { WA, WB, shared } = sharedRows(runs[i], runs[j]);
      sharedFeatures = Math.min(sharedFeatures, shared);
      const alignment = alignComponents(WA, WB, metric);
      let splitMerge: PairAlignment['splitMerge'] = null;
      if (Math.abs(runs[i].rank - runs[j].rank) === 1) {
        const [small, large] = runs[i].rank < runs[j].rank ? [WA, WB] : [WB, WA];
        splitMerge = splitMergeMap(small, large, { metric });
      }
      pairs.push({
        runA: unique[i],
        runB: unique[j],
        metric,
        similarity: alignment.similarity,
        matches: alignment.matches,
        unmatchedA: alignment.unmatchedA,
        unmatchedB: alignment.unmatchedB,
        splitMerge,
      });
    }
  }
  return { runIds: unique, metric, pairs, sharedFeatures };
}

export async function datasetPca(
  ctx: ServiceContext,
  datasetId: number,
  components: number,
): Promise<PcaView> {
  const { matrix, rowNames } = loadDataset(ctx, datasetId);
  const limit = Math.min(matrix.rows, matrix.cols - 1);
  if (limit < 1) throw new ServiceError('bad_input', 'PCA needs at least two samples');
  // PCA's module brings ml-matrix, 50–70 ms of loading: it is loaded when a PCA is asked for, not
  // with the services (every CLI command and the app's start-up would pay for it otherwise).
  const { pca } = await import('../../shared/analysis/pca');
  const result = pca(matrix, { components: Math.min(components, limit) });
  return {
    datasetId,
    components: result.components,
    explainedVarianceRatio: result.explainedVarianceRatio,
    loadings: result.loadings.data,
    featureNames: rowNames,
  };
}
