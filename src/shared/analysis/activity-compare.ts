import type { DenseMatrix } from '../linalg/matrix';
import { pearson, sampleLabels } from './consensus';
import { adjustedRandIndex } from './rand';

/**
 * Comparing how components are used by samples: a run's own samples (its H) against new samples
 * projected onto it (a projection's H), or two projections. A projection has no W of its own — its
 * components are the run's, held — so comparing W columns says nothing; what can differ is how
 * much each component is active in the samples, and which component dominates each sample.
 *
 * Activity is measured as a share, so that it compares across datasets of different depth and
 * across fits whose W·H split scale differently between W and H: sample j's part from component c is
 * colsum(W_c) · H_cj (its total in W·H), and its share is that over the sample's total. A
 * component's usage is its mean share over the samples; each sample's cluster is its largest
 * share (the `sampleLabels` rule the sweep and consensus use).
 */

/** Shares of each component in each sample, and what they add up to. */
export interface ComponentActivity {
  /** k × n shares (each column sums to 1; a sample with total 0 gets 0 everywhere). */
  shares: DenseMatrix;
  /** Mean share of each component over the samples (sums to 1 over components), length k. */
  usage: number[];
  /** Dominant component of each sample, length n. */
  clusters: number[];
}

/**
 * @param W m × k (the components, rows of the features used)
 * @param H k × n
 */
export function componentActivity(W: DenseMatrix, H: DenseMatrix): ComponentActivity {
  const { rows: m, cols: k } = W;
  if (H.rows !== k) throw new RangeError(`W has ${k} components, H has ${H.rows} rows`);
  const n = H.cols;
  const columnSums = new Float64Array(k);
  for (let i = 0; i < m; i++) for (let c = 0; c < k; c++) columnSums[c] += W.data[i * k + c];
  const shares = new Float64Array(k * n);
  for (let j = 0; j < n; j++) {
    let total = 0;
    for (let c = 0; c < k; c++) total += columnSums[c] * H.data[c * n + j];
    if (total > 0)
      for (let c = 0; c < k; c++) shares[c * n + j] = (columnSums[c] * H.data[c * n + j]) / total;
  }
  const usage = Array.from({ length: k }, (_, c) => {
    let sum = 0;
    for (let j = 0; j < n; j++) sum += shares[c * n + j];
    return n > 0 ? sum / n : 0;
  });
  return { shares: { kind: 'dense', rows: k, cols: n, data: shares }, usage, clusters: sampleLabels(W, H) };
}

/** One matched pair of components (a in the first item, b in the second) with their activities. */
export interface ActivityMatch {
  a: number;
  b: number;
  /** Similarity of their W columns (1 when both items use the same run's components). */
  similarity: number;
  usageA: number;
  usageB: number;
  /** Share of samples each dominates. */
  clusterShareA: number;
  clusterShareB: number;
  /**
   * Pearson correlation of the two components' shares over the samples, when both items hold the
   * same samples (the same dataset); null otherwise.
   */
  activityCorrelation: number | null;
}

export interface ActivityComparison {
  matches: ActivityMatch[];
  /**
   * When both items hold the same samples: the adjusted Rand index of their sample clusters (with
   * the second item's labels renamed through the matches); null otherwise.
   */
  clusterAgreement: number | null;
}

function clusterShare(clusters: readonly number[], c: number): number {
  if (clusters.length === 0) return 0;
  let count = 0;
  for (const x of clusters) if (x === c) count++;
  return count / clusters.length;
}

/**
 * Compares the activities of two items whose components are matched by `matches` (from the W
 * alignment of their runs; the identity for two items of the same run).
 *
 * @param sameSamples whether the two items' samples are the same, in the same order
 */
export function compareActivities(
  a: ComponentActivity,
  b: ComponentActivity,
  matches: ReadonlyArray<{ a: number; b: number; similarity: number }>,
  sameSamples: boolean,
): ActivityComparison {
  const n = a.shares.cols;
  const out: ActivityMatch[] = matches.map((match) => {
    let correlation: number | null = null;
    if (sameSamples) {
      const x = a.shares.data.subarray(match.a * n, (match.a + 1) * n);
      const y = b.shares.data.subarray(match.b * n, (match.b + 1) * n);
      const r = pearson(x, y);
      correlation = Number.isFinite(r) ? r : null;
    }
    return {
      a: match.a,
      b: match.b,
      similarity: match.similarity,
      usageA: a.usage[match.a],
      usageB: b.usage[match.b],
      clusterShareA: clusterShare(a.clusters, match.a),
      clusterShareB: clusterShare(b.clusters, match.b),
      activityCorrelation: correlation,
    };
  });
  let agreement: number | null = null;
  if (sameSamples && a.clusters.length === b.clusters.length && a.clusters.length > 1) {
    const rename = new Map(matches.map((m) => [m.b, m.a]));
    // Components of b without a match keep a label of their own, beyond a's.
    const offset = a.shares.rows;
    agreement = adjustedRandIndex(
      a.clusters,
      b.clusters.map((label) => rename.get(label) ?? offset + label),
    );
  }
  return { matches: out, clusterAgreement: agreement };
}
