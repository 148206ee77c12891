import { dense, type DenseMatrix } from '../linalg/matrix';
import { alignComponents } from './alignment';
import { adjustedRandIndex } from './rand';
import type { AssignmentScore, ModuleAssignment, PlantedTruth, WeightHistogram } from './types';

/**
 * W with each column divided by `scales[a]` (a zero scale zeroes the column), then every row scaled
 * to sum to one. All-zero rows stay zero.
 *
 * @param W m × k (non-negative)
 * @param scales length k
 * @returns m × k, a new matrix
 */
function scaleThenNormalizeRows(W: DenseMatrix, scales: ArrayLike<number>): DenseMatrix {
  const { rows: m, cols: k } = W;
  const out = dense(m, k);
  for (let i = 0; i < m; i++) {
    let rowSum = 0;
    for (let a = 0; a < k; a++) {
      const t = i * k + a;
      out.data[t] = scales[a] > 0 ? W.data[t] / scales[a] : 0;
      rowSum += out.data[t];
    }
    if (rowSum > 0) for (let a = 0; a < k; a++) out.data[i * k + a] /= rowSum;
  }
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const half = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2;
}

/**
 * A robust per-column scale of W: the median loading of the column's members. A component's
 * loading vector is defined only up to scale (W·H = (W·D)(D⁻¹·H)), and the scale must not depend on
 * how many features the component holds: under a unit-sum scale a member of a 180-feature module
 * carries ~1/15 of the weight of a member of a 12-feature module, so a feature shared by the two
 * shows only a sliver of its big-module share and is missed (recall 0.47 on planted sizes
 * 180/60/30/18/12 with W recovered exactly). The median member loading is what a "typical member"
 * weighs in every module whatever its size, and unlike the column max it is not set by a single
 * extreme feature. Members are found provisionally with the column max as the scale (rows then
 * normalised and cut at {@link membershipThreshold}); a column with no provisional member keeps its
 * max, an all-zero column gets 0.
 *
 * @param W m × k (non-negative)
 * @returns length k
 */
export function columnScales(W: DenseMatrix): Float64Array {
  const { rows: m, cols: k, data } = W;
  const max = new Float64Array(k);
  for (let i = 0; i < m; i++) for (let a = 0; a < k; a++) max[a] = Math.max(max[a], data[i * k + a]);
  const provisional = scaleThenNormalizeRows(W, max);
  const threshold = membershipThreshold(weightHistogram(provisional));
  const scales = new Float64Array(k);
  for (let a = 0; a < k; a++) {
    const members: number[] = [];
    for (let i = 0; i < m; i++) if (provisional.data[i * k + a] >= threshold) members.push(data[i * k + a]);
    scales[a] = members.length > 0 ? median(members) : max[a];
  }
  return scales;
}

/**
 * W with every row scaled to sum to one after each column is divided by its robust scale
 * ({@link columnScales}): entry (i, a) is the share of feature i's loading that component a
 * carries, each component measured in units of its typical member's loading, so the shares do not
 * depend on component sizes or on the arbitrary scale of each component. All-zero rows stay zero.
 *
 * @param W m × k (non-negative)
 * @returns m × k, a new matrix
 */
export function rowNormalize(W: DenseMatrix): DenseMatrix {
  return scaleThenNormalizeRows(W, columnScales(W));
}

/** Fewest features with the same top component from which their common background share is estimated. */
const MIN_FEATURES_FOR_BACKGROUND = 5;

/**
 * Removes the background share that a whole module shows in another component. A fitted component
 * is often a slight mixture of the true ones (matched cosines of 0.994–0.999 on planted data), and
 * after size-independent scaling a mixture of δ of a small module into a big component gives every
 * member of the small module the same share δ·(scale ratio) in the big one — 0.18–0.19 for all 12
 * members of a 12-feature module on one planted seed, as high as real second-module shares. A
 * moonlighting feature's second share varies from feature to feature; a mixture is common to the
 * module. So for every pair (top component b, other component a) the median share in a over the
 * features whose largest share is b is subtracted from those features' shares in a (floored at 0),
 * and rows are normalised again. Moonlighting features are a minority of any module, so the median
 * is the background; with fewer than {@link MIN_FEATURES_FOR_BACKGROUND} such features nothing is
 * subtracted. On exact (unmixed) W the background is 0 and nothing changes.
 *
 * @param shares m × k, rows summing to one (from {@link rowNormalize})
 * @returns m × k, a new matrix, rows summing to one (all-zero rows stay zero)
 */
export function removeModuleBackground(shares: DenseMatrix): DenseMatrix {
  const { rows: m, cols: k, data } = shares;
  const top = new Int32Array(m).fill(-1);
  for (let i = 0; i < m; i++) {
    let best = -1;
    let bestValue = 0;
    for (let a = 0; a < k; a++) {
      if (data[i * k + a] > bestValue) {
        bestValue = data[i * k + a];
        best = a;
      }
    }
    top[i] = best;
  }
  const background = new Float64Array(k * k);
  for (let b = 0; b < k; b++) {
    const rows: number[] = [];
    for (let i = 0; i < m; i++) if (top[i] === b) rows.push(i);
    if (rows.length < MIN_FEATURES_FOR_BACKGROUND) continue;
    for (let a = 0; a < k; a++) {
      if (a !== b) background[b * k + a] = median(rows.map((i) => data[i * k + a]));
    }
  }
  const out = dense(m, k);
  for (let i = 0; i < m; i++) {
    const b = top[i];
    if (b < 0) continue;
    let rowSum = 0;
    for (let a = 0; a < k; a++) {
      const share = data[i * k + a];
      const kept = a === b ? share : Math.max(0, share - background[b * k + a]);
      out.data[i * k + a] = kept;
      rowSum += kept;
    }
    for (let a = 0; a < k; a++) out.data[i * k + a] /= rowSum;
  }
  return out;
}

/**
 * The membership weights {@link assignModules} cuts: {@link rowNormalize} (size-independent column
 * scale, rows to unit sum), then {@link removeModuleBackground}.
 *
 * @param W m × k (non-negative)
 * @returns m × k, rows summing to one (all-zero rows stay zero)
 */
export function membershipWeights(W: DenseMatrix): DenseMatrix {
  return removeModuleBackground(rowNormalize(W));
}

/**
 * Histogram of the entries of a row-normalised W over [0, 1] in equal bins (the last bin includes
 * 1). Rows that are entirely zero are left out.
 *
 * @param normalizedW m × k, rows summing to one
 * @param bins default 50
 */
export function weightHistogram(normalizedW: DenseMatrix, bins = 50): WeightHistogram {
  if (!Number.isInteger(bins) || bins < 2) throw new RangeError(`bins must be an integer ≥ 2, got ${bins}`);
  const { rows: m, cols: k, data } = normalizedW;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < m; i++) {
    let rowSum = 0;
    for (let a = 0; a < k; a++) rowSum += data[i * k + a];
    if (!(rowSum > 0)) continue;
    for (let a = 0; a < k; a++) {
      const w = Math.min(1, Math.max(0, data[i * k + a]));
      counts[Math.min(bins - 1, Math.floor(w * bins))]++;
    }
  }
  const edges = Array.from({ length: bins + 1 }, (_, b) => b / bins);
  return { edges, counts };
}

/** Options of {@link membershipThreshold}. */
export interface ThresholdOptions {
  /** Gaussian smoothing of the log-counts, in bins. Default 1. */
  smoothing?: number;
  /** Lowest threshold returned. Default 0.05. */
  min?: number;
  /** Highest threshold returned; above ½ no feature could belong to two components. Default 0.5. */
  max?: number;
}

/**
 * Data-driven membership threshold from the histogram of row-normalised weights.
 *
 * Why this method: a feature's normalised weights are of two kinds — its shares in the components
 * it belongs to (near 1 for a single-module feature, spread over roughly 0.1–0.9 for a feature
 * shared by two modules) and its shares in components it does not belong to, which are zero up to
 * noise and pile up in a sharp mode at 0 holding about (k − 1)/k of all weights. The threshold
 * should sit where that background mode ends. We therefore take the first valley to the right of
 * the background mode (valley-seeking thresholding of a multimodal histogram, Prewitt & Mendelsohn
 * 1966), not the deepest valley between the low and the high mode: a second-module share of
 * 0.2–0.45 lies between the two, so Otsu's or the deepest-minimum threshold would land above it
 * and miss moonlighting features. The histogram is smoothed on a log scale (log(1 + count), then
 * a Gaussian of `smoothing` bins) so that the steep background and the sparse membership counts
 * are on comparable footing and single-count gaps do not count as valleys. Within a flat stretch
 * of the minimum (an empty gap) the threshold is the middle of the gap. The result is kept in
 * [min, max].
 *
 * @returns the threshold in [min, max]
 */
export function membershipThreshold(histogram: WeightHistogram, options: ThresholdOptions = {}): number {
  const smoothing = options.smoothing ?? 1;
  const lower = options.min ?? 0.05;
  const upper = options.max ?? 0.5;
  const { edges, counts } = histogram;
  const bins = counts.length;
  const logCounts = counts.map((c) => Math.log1p(c));
  const smooth = new Array<number>(bins).fill(0);
  const radius = Math.max(0, Math.ceil(3 * smoothing));
  for (let b = 0; b < bins; b++) {
    let sum = 0;
    let weight = 0;
    for (let d = -radius; d <= radius; d++) {
      const c = b + d;
      if (c < 0 || c >= bins) continue;
      const g = smoothing > 0 ? Math.exp(-(d * d) / (2 * smoothing * smoothing)) : d === 0 ? 1 : 0;
      sum += g * logCounts[c];
      weight += g;
    }
    smooth[b] = weight > 0 ? sum / weight : 0;
  }
  const centre = (b: number): number => (edges[b] + edges[b + 1]) / 2;
  // Background mode: the highest bin below ½.
  let mode = 0;
  for (let b = 0; b < bins && centre(b) < 0.5; b++) if (smooth[b] > smooth[mode]) mode = b;
  // Walk down the right flank of the mode to the first bin where the smoothed curve rises again.
  let b = mode;
  while (b + 1 < bins && smooth[b + 1] <= smooth[b] + 1e-12) b++;
  // b is the right end of the valley floor; its left end is where the floor value was first reached.
  let start = b;
  while (start - 1 > mode && Math.abs(smooth[start - 1] - smooth[b]) <= 1e-12) start--;
  const threshold = (edges[start] + edges[b + 1]) / 2;
  return Math.min(upper, Math.max(lower, threshold));
}

/** Options of {@link assignModules}. */
export interface AssignOptions {
  /** Membership threshold on normalised weights. Default: {@link membershipThreshold} of the histogram. */
  threshold?: number;
  /** Histogram bins. Default 50. */
  bins?: number;
}

/**
 * Module membership from a fitted W (CLI.md `assign`): W is turned into membership weights
 * ({@link membershipWeights}: each column in units of its typical member, rows to unit sum, a
 * module's common background in other components removed), and a feature belongs to every component whose share is at least the threshold (by default the
 * data-driven {@link membershipThreshold}). Features in exactly two components are moonlighting;
 * those in more than two are reported separately. A feature may belong to no component when its
 * loading is spread thinly over many.
 *
 * @param W m × k
 */
export function assignModules(W: DenseMatrix, options: AssignOptions = {}): ModuleAssignment {
  const normalizedW = membershipWeights(W);
  const histogram = weightHistogram(normalizedW, options.bins ?? 50);
  const defaultThreshold = membershipThreshold(histogram);
  const threshold = options.threshold ?? defaultThreshold;
  if (!(threshold > 0 && threshold <= 1))
    throw new RangeError(`threshold must be in (0, 1], got ${threshold}`);
  const { rows: m, cols: k, data } = normalizedW;
  const modules: number[][] = [];
  const primary: number[] = [];
  const moonlighting: number[] = [];
  const multiModule: number[] = [];
  for (let i = 0; i < m; i++) {
    const members: number[] = [];
    let top = -1;
    let topValue = 0;
    for (let a = 0; a < k; a++) {
      const w = data[i * k + a];
      if (w >= threshold) members.push(a);
      if (w > topValue) {
        topValue = w;
        top = a;
      }
    }
    members.sort((x, y) => data[i * k + y] - data[i * k + x] || x - y);
    modules.push(members);
    primary.push(top);
    if (members.length === 2) moonlighting.push(i);
    else if (members.length > 2) multiModule.push(i);
  }
  return { threshold, defaultThreshold, normalizedW, modules, primary, moonlighting, multiModule, histogram };
}

/**
 * Scores an assignment against planted truth. Components are matched one-to-one to the true
 * modules by the Hungarian algorithm on the cosine of W's columns and the truth's. Primary labels
 * are scored by the adjusted Rand index (label-permutation invariant, so the matching is needed
 * only for the reported correspondence and the moonlighting pairs) against each feature's
 * dominant true module, the larger entry of its row of the true W measured as the assignment
 * measures a fit ({@link rowNormalize}: each module in units of its typical member): for a
 * single-module feature that is its module, and for a moonlighting feature the module carrying the
 * larger share, which need not be the one the generator drew first (`truth.module`); scoring
 * against the first-drawn module would count about half the moonlighting features as errors
 * whatever the fit, and against raw truth loadings would make the smaller module dominant for
 * every feature it shares with a larger one. Moonlighting calls
 * (features in exactly two components) are scored by precision and recall against the true
 * moonlighting features, and, for the true positives, by whether their two components are the
 * ones matched to their two true modules.
 *
 * @param assignment from {@link assignModules} on W
 * @param W the fitted m × k W the assignment came from
 * @param truth planted W (m × R), modules and moonlighting features
 */
export function scoreAssignment(
  assignment: ModuleAssignment,
  W: DenseMatrix,
  truth: Pick<PlantedTruth, 'W' | 'module' | 'moonlighting'>,
): AssignmentScore {
  const m = W.rows;
  if (truth.W.rows !== m || truth.module.length !== m || assignment.primary.length !== m) {
    throw new RangeError(`truth covers ${truth.module.length} features, the fit ${m}`);
  }
  const alignment = alignComponents(truth.W, W, 'cosine');
  const componentOfModule = new Array<number>(truth.W.cols).fill(-1);
  const moduleSimilarity = new Array<number>(truth.W.cols).fill(NaN);
  for (const match of alignment.matches) {
    componentOfModule[match.a] = match.b;
    moduleSimilarity[match.a] = match.similarity;
  }
  const R = truth.W.cols;
  const truthShares = rowNormalize(truth.W);
  const dominant = truth.module.map((first, i) => {
    let best = first;
    for (let a = 0; a < R; a++) if (truthShares.data[i * R + a] > truthShares.data[i * R + best]) best = a;
    return best;
  });
  const adjustedRandIndexValue = adjustedRandIndex(dominant, assignment.primary);

  const trueMoon = new Map(truth.moonlighting.map((f) => [f.index, f.modules]));
  const called = assignment.moonlighting;
  let truePositives = 0;
  let pairsRight = 0;
  for (const i of called) {
    const modules = trueMoon.get(i);
    if (!modules) continue;
    truePositives++;
    const expected = modules.map((a) => componentOfModule[a]).sort((x, y) => x - y);
    const got = [...assignment.modules[i]].sort((x, y) => x - y);
    if (expected[0] === got[0] && expected[1] === got[1]) pairsRight++;
  }
  return {
    adjustedRandIndex: adjustedRandIndexValue,
    moonlightingPrecision: called.length > 0 ? truePositives / called.length : trueMoon.size === 0 ? 1 : 0,
    moonlightingRecall: trueMoon.size > 0 ? truePositives / trueMoon.size : 1,
    moonlightingPairAccuracy: truePositives > 0 ? pairsRight / truePositives : 1,
    componentOfModule,
    moduleSimilarity,
  };
}
