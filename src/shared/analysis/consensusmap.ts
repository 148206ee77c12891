import { CONSENSUS_MAX_SAMPLES, analyzeConsensus } from './consensus';
import { averageLinkage, type Linkage } from './hclust';

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
  const result = analyzeConsensus(labelings, k, maxSamples);
  const C = result.consensus;
  const s = C.rows;
  const n = labelings[0].length;
  const leaves = result.subsample ?? Array.from({ length: n }, (_, i) => i);
  const distances = new Float64Array((s * (s - 1)) / 2);
  let t = 0;
  for (let i = 0; i < s; i++) for (let j = i + 1; j < s; j++) distances[t++] = 1 - C.data[i * s + j];
  const tree = averageLinkage(distances, s);
  const positions = leafOrder(tree);
  const matrix = new Float32Array(s * s);
  positions.forEach((a, r) => {
    positions.forEach((b, c) => (matrix[r * s + c] = C.data[a * s + b]));
  });
  return {
    order: positions.map((p) => leaves[p]),
    matrix,
    tree,
    leaves,
    clusters: positions.map((p) => result.sampleClusters[leaves[p]]),
    subsample: result.subsample ? { shown: s, of: n } : null,
    cophenetic: result.cophenetic,
    dispersion: result.dispersion,
  };
}
