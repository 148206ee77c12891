import { CONSENSUS_MAX_SAMPLES, clusterConsensus, consensusSubsample } from './consensus';
import type { Linkage } from './hclust';

/**
 * The data behind R NMF's `consensusmap` (Brunet et al. 2004, Fig. 1): the consensus matrix of one
 * rank with rows and columns in the leaf order of its average-linkage dendrogram, so that stable
 * clusters show as blocks on the diagonal.
 */

/**
 * Leaves of a dendrogram from left to right, each merge's `left` before its `right` (the order
 * scipy's `dendrogram` and R's `hclust` plots draw).
 */
export function leafOrder(tree: Linkage): number[] {
  const { n, merges } = tree;
  if (n === 1) return [0];
  const out: number[] = [];
  const stack = [n + merges.length - 1];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node < n) {
      out.push(node);
      continue;
    }
    const merge = merges[node - n];
    stack.push(merge.right, merge.left);
  }
  return out;
}

export interface ConsensusMap {
  /** Sample indices in leaf order. */
  order: number[];
  /** s × s, rows and columns in `order`. */
  matrix: Float32Array;
  tree: Linkage;
  /** Sample index of each tree leaf (the subsample, or 0..n−1). */
  leaves: number[];
  /** Consensus cluster of each shown sample, in `order`. */
  clusters: number[];
  subsample: { shown: number; of: number } | null;
  cophenetic: number;
  dispersion: number;
}

/**
 * @param labelings one sample labeling per replicate (length n each), at least one
 * @param k clusters to cut the tree into
 * @param maxSamples above this the map shows the fixed random subsample the consensus analysis
 *   uses (the same samples that the cophenetic correlation is computed on)
 */
export function consensusMap(
  labelings: readonly (readonly number[])[],
  k: number,
  maxSamples = CONSENSUS_MAX_SAMPLES,
): ConsensusMap {
  if (labelings.length === 0) throw new RangeError('consensus needs at least one labeling');
  const n = labelings[0].length;
  for (const labels of labelings) {
    if (labels.length !== n) throw new RangeError(`labelings differ in length: ${labels.length} vs ${n}`);
  }
  const subsample = consensusSubsample(n, maxSamples);
  const shown = subsample === null ? labelings : labelings.map((labels) => subsample.map((j) => labels[j]));
  return consensusMapOfShown(shown, subsample, n, k);
}

/**
 * The consensus map from the labels of the shown samples alone: what `consensusMap` computes, for a
 * caller that picked each replicate's labels at the subsample as it read them (a sweep of 10⁶
 * samples keeps 2000 labels a replicate instead of 10⁶). Every sample's cluster, which
 * `analyzeConsensus` extends from the subsample's in O(n·R·k), is not needed: the map shows the
 * subsample's own.
 *
 * @param shownLabelings each replicate's labels of the shown samples, in `subsample`'s order (every
 *   sample's when `subsample` is null)
 * @param subsample `consensusSubsample(n, maxSamples)`
 * @param n samples in all
 * @param k clusters to cut the tree into
 */
export function consensusMapOfShown(
  shownLabelings: readonly (readonly number[])[],
  subsample: readonly number[] | null,
  n: number,
  k: number,
): ConsensusMap {
  const shown = clusterConsensus(shownLabelings, k);
  const C = shown.consensus;
  const s = C.rows;
  const leaves = subsample ? [...subsample] : Array.from({ length: n }, (_, i) => i);
  if (leaves.length !== s) throw new RangeError(`${s} labels a replicate for ${leaves.length} shown samples`);
  const positions = leafOrder(shown.tree);
  const matrix = new Float32Array(s * s);
  positions.forEach((a, r) => {
    positions.forEach((b, c) => (matrix[r * s + c] = C.data[a * s + b]));
  });
  return {
    order: positions.map((p) => leaves[p]),
    matrix,
    tree: shown.tree,
    leaves,
    // A shown sample's cluster is its own in the tree's cut (analyzeConsensus extends those to the rest).
    clusters: positions.map((p) => shown.clusters[p]),
    subsample: subsample ? { shown: s, of: n } : null,
    cophenetic: shown.cophenetic,
    dispersion: shown.dispersion,
  };
}
