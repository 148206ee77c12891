import { ServiceError } from '../../shared/api';
import { alignComponents } from '../../shared/analysis/alignment';
import { compareActivities, componentActivity } from '../../shared/analysis/activity-compare';
import type {
  ActivityComparisonView,
  ActivityItemRef,
  ActivityItemView,
  ActivityPairView,
} from '../../shared/domain';
import { dense, type DenseMatrix } from '../../shared/linalg/matrix';
import type { ServiceContext } from './context';
import { getProjectionDetail } from './projections';
import { getRunDetail } from './runs';

/**
 * Compare with projections: component activities (shares of each sample's total, see
 * shared/analysis/activity-compare.ts) of runs and projections side by side. Components are
 * matched through their runs' W (identity when both use the same run; Hungarian on W similarity
 * over shared feature names otherwise); per-sample agreement only where both describe the same
 * samples.
 */

interface LoadedItem {
  view: ActivityItemView;
  /** The run's whole W (m × k) and its feature names, for matching components. */
  runW: DenseMatrix;
  runDatasetId: number;
  featureNames: string[];
  activity: ReturnType<typeof componentActivity>;
}

function loadItem(ctx: ServiceContext, item: ActivityItemRef): LoadedItem {
  if (item.kind === 'run') {
    const run = getRunDetail(ctx, item.id);
    if (!run.W || !run.H)
      throw new ServiceError('conflict', `run ${item.id} has no factors yet (state: ${run.state})`);
    const k = run.params.rank;
    const W = dense(run.rows, k, run.W);
    const activity = componentActivity(W, dense(k, run.cols, run.H));
    return {
      view: {
        ...item,
        runId: run.id,
        rank: k,
        datasetId: run.datasetId,
        datasetName: run.datasetName,
        samples: run.cols,
        loss: run.loss ?? NaN,
        lossPerEntry: (run.loss ?? NaN) / (run.rows * run.cols),
        matched: null,
        missing: null,
        usage: activity.usage,
      },
      runW: W,
      runDatasetId: run.datasetId,
      featureNames: run.featureNames,
      activity,
    };
  }
  const projection = getProjectionDetail(ctx, item.id);
  const run = getRunDetail(ctx, projection.runId);
  const k = projection.rank;
  const W = dense(run.rows, k, run.W!);
  // The projection's fit used the run's features present in the new data: those rows of W.
  const missing = new Set(projection.missing);
  const rows: number[] = [];
  run.featureNames.forEach((name, i) => {
    if (!missing.has(name)) rows.push(i);
  });
  const matchedW = dense(rows.length, k);
  rows.forEach((i, r) => matchedW.data.set(W.data.subarray(i * k, (i + 1) * k), r * k));
  const samples = projection.sampleNames.length;
  const activity = componentActivity(matchedW, dense(k, samples, projection.H));
  return {
    view: {
      ...item,
      runId: run.id,
      rank: k,
      datasetId: projection.datasetId,
      datasetName: projection.datasetName,
      samples,
      loss: projection.loss,
      lossPerEntry: projection.loss / (projection.matched * samples),
      matched: projection.matched,
      missing: projection.missing.length,
      usage: activity.usage,
    },
    runW: W,
    runDatasetId: run.datasetId,
    featureNames: run.featureNames,
    activity,
  };
}

/** The two runs' W restricted to the features they share (by name unless the same dataset). */
function sharedW(a: LoadedItem, b: LoadedItem): { WA: DenseMatrix; WB: DenseMatrix } {
  if (a.runDatasetId === b.runDatasetId) return { WA: a.runW, WB: b.runW };
  const indexInB = new Map(b.featureNames.map((name, i) => [name, i]));
  const pairs: Array<[number, number]> = [];
  a.featureNames.forEach((name, i) => {
    const j = indexInB.get(name);
    if (j !== undefined) pairs.push([i, j]);
  });
  if (pairs.length === 0)
    throw new ServiceError(
      'bad_input',
      `${a.view.kind} ${a.view.id} and ${b.view.kind} ${b.view.id} use runs that share no feature names`,
    );
  const ka = a.runW.cols;
  const kb = b.runW.cols;
  const WA = dense(pairs.length, ka);
  const WB = dense(pairs.length, kb);
  pairs.forEach(([i, j], row) => {
    WA.data.set(a.runW.data.subarray(i * ka, (i + 1) * ka), row * ka);
    WB.data.set(b.runW.data.subarray(j * kb, (j + 1) * kb), row * kb);
  });
  return { WA, WB };
}

export function compareActivity(
  ctx: ServiceContext,
  items: ActivityItemRef[],
  metric: 'cosine' | 'pearson',
): ActivityComparisonView {
  const unique = [...new Map(items.map((item) => [`${item.kind}:${item.id}`, item])).values()];
  if (unique.length < 2)
    throw new ServiceError('bad_input', 'choose at least two different runs or projections to compare');
  const loaded = unique.map((item) => loadItem(ctx, item));
  const pairs: ActivityPairView[] = [];
  for (let i = 0; i < loaded.length; i++) {
    for (let j = i + 1; j < loaded.length; j++) {
      const a = loaded[i];
      const b = loaded[j];
      const sameComponents = a.view.runId === b.view.runId;
      const matches = sameComponents
        ? Array.from({ length: a.view.rank }, (_, c) => ({ a: c, b: c, similarity: 1 }))
        : (() => {
            const { WA, WB } = sharedW(a, b);
            return alignComponents(WA, WB, metric).matches;
          })();
      const sameSamples = a.view.datasetId === b.view.datasetId;
      const comparison = compareActivities(a.activity, b.activity, matches, sameSamples);
      pairs.push({ a: i, b: j, sameComponents, sameSamples, ...comparison });
    }
  }
  return { items: loaded.map((item) => item.view), pairs };
}
