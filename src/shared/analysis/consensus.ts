import { dense, type DenseMatrix } from '../linalg/matrix';
import { Rng } from '../linalg/random';
import { averageLinkage, copheneticDistances, cutTree, type Linkage } from './hclust';
import type { ConsensusResult } from './types';

/**
 * Cluster of each sample from one fit: the component with the largest entry of the sample's column
 * of H (Brunet et al. 2004, PNAS 101:4164), once W's columns are scaled to sum to 1 and H's rows
 * inversely, i.e. the component that accounts for most of the sample's total in W·H. Raw H alone is
 * not enough: a fit is defined only up to W·D, D⁻¹·H, so two replicates with the same components at
 * different scales would label mixed samples differently and the consensus would blur for no
 * reason. Ties go to the lowest component.
 *
 * @param W m × k
 * @param H k × n
 * @returns length n, values 0..k−1
 */
export function sampleLabels(W: DenseMatrix, H: DenseMatrix): number[] {
  const { rows: k, cols: n, data } = H;
  const mass = new Float64Array(k);
  for (let i = 0; i < W.rows; i++) for (let a = 0; a < k; a++) mass[a] += W.data[i * k + a];
  const labels = new Array<number>(n);
  for (let j = 0; j < n; j++) {
    let best = 0;
    let bestValue = -Infinity;
    for (let a = 0; a < k; a++) {
      const value = mass[a] * data[a * n + j];
      if (value > bestValue) {
        bestValue = value;
        best = a;
      }
    }
    labels[j] = best;
  }
  return labels;
}

/**
 * Consensus matrix: the average over replicates of the connectivity matrices, whose entry (i, j)
 * is 1 when samples i and j share a cluster (Monti et al. 2003; Brunet et al. 2004).
 *
 * @param labelings one labeling per replicate, each of length n
 * @returns n × n, symmetric, diagonal 1, entries in [0, 1]
 */
export function consensusMatrix(labelings: readonly (readonly number[])[]): DenseMatrix {
  if (labelings.length === 0) throw new RangeError('consensus needs at least one labeling');
  const n = labelings[0].length;
  for (const labels of labelings) {
    if (labels.length !== n) throw new RangeError(`labelings differ in length: ${labels.length} vs ${n}`);
  }
  // Agreements are counted in the upper triangle, cluster by cluster: each pair of a cluster's
  // members (in increasing order, so row by row) adds 1, about n²/2k additions per labeling where
  // comparing every pair took n²/2 and wrote the lower triangle a column at a time (at 2000 samples
  // and 20 labelings, 0.7 s a matrix). Counts are small integers, exact in any order, so scaling
  // each once gives the bits of adding 1 per agreement and scaling at the end.
  const replicates = labelings.length;
  const counts = replicates <= 0xffff ? new Uint16Array(n * n) : new Uint32Array(n * n);
  for (const labels of labelings) {
    const clusters = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const label = labels[i];
      // A NaN label agrees with nothing (`===`), though a Map would group NaN keys together.
      if (Number.isNaN(label)) continue;
      const members = clusters.get(label);
      if (members === undefined) clusters.set(label, [i]);
      else members.push(i);
    }
    for (const list of clusters.values()) {
      const members = Int32Array.from(list);
      for (let p = 0; p < members.length; p++) {
        const row = members[p] * n;
        for (let q = p + 1; q < members.length; q++) counts[row + members[q]]++;
      }
    }
  }
  const scale = 1 / replicates;
  const C = dense(n, n);
  const data = C.data;
  // The diagonal (every labeling agrees with itself), the upper triangle and its mirror, in tiles
  // so that both sides stay in cache.
  const tile = 64;
  for (let i0 = 0; i0 < n; i0 += tile) {
    const iEnd = Math.min(n, i0 + tile);
    for (let i = i0; i < iEnd; i++) data[i * n + i] = replicates * scale;
    for (let j0 = i0; j0 < n; j0 += tile) {
      const jEnd = Math.min(n, j0 + tile);
      for (let i = i0; i < iEnd; i++) {
        for (let j = Math.max(j0, i + 1); j < jEnd; j++) {
          const value = counts[i * n + j] * scale;
          data[i * n + j] = value;
          data[j * n + i] = value;
        }
      }
    }
  }
  return C;
}

/** Pearson correlation of two equally long vectors; NaN when either is constant. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const len = x.length;
  if (y.length !== len) throw new RangeError(`vectors differ in length: ${len} vs ${y.length}`);
  let mx = 0;
  let my = 0;
  for (let t = 0; t < len; t++) {
    mx += x[t];
    my += y[t];
  }
  mx /= len;
  my /= len;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let t = 0; t < len; t++) {
    const dx = x[t] - mx;
    const dy = y[t] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

/**
 * Dispersion of a consensus matrix (Kim & Park 2007, Bioinformatics 23:1495): the mean over all
 * n² entries of 4 (C_ij − ½)². 1 when every entry is 0 or 1 (a perfectly reproducible clustering),
 * lower as entries drift toward ½.
 *
 * @param consensus n × n
 */
export function dispersion(consensus: DenseMatrix): number {
  const { data } = consensus;
  let sum = 0;
  for (let t = 0; t < data.length; t++) {
    const d = data[t] - 0.5;
    sum += 4 * d * d;
  }
  return sum / data.length;
}

/** Samples above which the consensus is computed on a random subsample (see `analyzeConsensus`). */
export const CONSENSUS_MAX_SAMPLES = 2000;

/** Seed of the subsample: fixed, so every rank of a sweep is judged on the same samples. */
const SUBSAMPLE_SEED = 20040323;

/**
 * Consensus clustering of the samples over replicate fits at rank k (Brunet et al. 2004): the
 * consensus matrix C, average-linkage clustering of the distance 1 − C cut at k clusters, the
 * cophenetic correlation coefficient (Pearson correlation between 1 − C and the tree's
 * cophenetic distances, over pairs i < j, as the R NMF package's `cophcor` computes it) and the
 * dispersion. When 1 − C is constant (e.g. all replicates agree and put every sample in one
 * cluster), the tree reproduces it exactly and the cophenetic correlation is reported as 1.
 *
 * More than `maxSamples` samples: C, the tree, the cophenetic correlation and the dispersion are
 * computed on a seeded random subsample of `maxSamples` samples (the same for every call with the
 * same n), which estimates both coefficients without the O(n²) memory; every other sample joins
 * the cluster whose members it shares a label with most often, averaged over replicates and
 * members (its mean consensus with the cluster), so every sample still gets a cluster.
 *
 * @param labelings one sample labeling per replicate (length n each)
 * @param k number of clusters to cut the tree into
 */
export function analyzeConsensus(
  labelings: readonly (readonly number[])[],
  k: number,
  maxSamples = CONSENSUS_MAX_SAMPLES,
): ConsensusResult {
  if (labelings.length === 0) throw new RangeError('consensus needs at least one labeling');
  const n = labelings[0].length;
  for (const labels of labelings) {
    if (labels.length !== n) throw new RangeError(`labelings differ in length: ${labels.length} vs ${n}`);
  }
  const subsample = consensusSubsample(n, maxSamples);
  const used = subsample === null ? labelings : labelings.map((labels) => subsample.map((j) => labels[j]));
  const shown = clusterConsensus(used, k);
  return {
    consensus: shown.consensus,
    subsample,
    sampleClusters:
      subsample === null ? shown.clusters : extendClusters(labelings, subsample, shown.clusters),
    cophenetic: shown.cophenetic,
    dispersion: shown.dispersion,
  };
}

/**
 * The samples `analyzeConsensus` computes the consensus on for n samples: null (all of them) up to
 * `maxSamples`, above it the fixed seeded subsample, sorted. A caller that needs only the consensus
 * of those samples (the consensus map) can pick their labels as it reads each labeling.
 */
export function consensusSubsample(n: number, maxSamples = CONSENSUS_MAX_SAMPLES): number[] | null {
  return n > maxSamples ? randomSubset(n, maxSamples, SUBSAMPLE_SEED) : null;
}

/** The consensus of the samples labelled, as `analyzeConsensus` computes it on its subsample. */
export interface SubsampleConsensus {
  /** s × s consensus matrix. */
  consensus: DenseMatrix;
  /** Average-linkage tree of 1 − C. */
  tree: Linkage;
  /** Cluster of each labelled sample: the tree cut at k. */
  clusters: number[];
  cophenetic: number;
  dispersion: number;
}

/**
 * Consensus matrix, its average-linkage tree cut at k clusters, the cophenetic correlation and the
 * dispersion of labelings of the same s samples (the subsample's labels, or every sample's).
 */
export function clusterConsensus(labelings: readonly (readonly number[])[], k: number): SubsampleConsensus {
  const C = consensusMatrix(labelings);
  const s = C.rows;
  const distances = new Float64Array((s * (s - 1)) / 2);
  let t = 0;
  for (let i = 0; i < s; i++) for (let j = i + 1; j < s; j++) distances[t++] = 1 - C.data[i * s + j];
  const tree = averageLinkage(distances, s);
  const cophenetic = copheneticDistances(tree);
  const r = pearson(distances, cophenetic);
  return {
    consensus: C,
    tree,
    clusters: cutTree(tree, k),
    cophenetic: Number.isNaN(r) ? 1 : r,
    dispersion: dispersion(C),
  };
}

/** `size` distinct indices of 0..n−1 drawn uniformly (`Rng.subset`), sorted. */
function randomSubset(n: number, size: number, seed: number): number[] {
  return new Rng(seed).subset(n, size).sort((a, b) => a - b);
}

/**
 * Clusters of all n samples from the clusters of a subsample: a subsample member keeps its own; any
 * other sample j takes the cluster c maximising its mean consensus with c's members,
 * Σ_r #{s ∈ c : label_r(s) = label_r(j)} / (R·|c|), computed from per-replicate label counts in
 * O(n·R·k) (ties to the lowest cluster).
 */
function extendClusters(
  labelings: readonly (readonly number[])[],
  subsample: readonly number[],
  clusters: readonly number[],
): number[] {
  const n = labelings[0].length;
  let labelCount = 0;
  for (const labels of labelings) for (const label of labels) labelCount = Math.max(labelCount, label + 1);
  let clusterCount = 0;
  for (const c of clusters) clusterCount = Math.max(clusterCount, c + 1);
  const members = new Float64Array(clusterCount);
  for (const c of clusters) members[c]++;
  // counts[r][c][label]: members of cluster c that replicate r labels `label`.
  const counts = labelings.map((labels) => {
    const table = new Float64Array(clusterCount * labelCount);
    subsample.forEach((j, q) => table[clusters[q] * labelCount + labels[j]]++);
    return table;
  });
  const out = new Array<number>(n);
  const inSubsample = new Int32Array(n).fill(-1);
  subsample.forEach((j, q) => (inSubsample[j] = q));
  const score = new Float64Array(clusterCount);
  for (let j = 0; j < n; j++) {
    if (inSubsample[j] >= 0) {
      out[j] = clusters[inSubsample[j]];
      continue;
    }
    score.fill(0);
    labelings.forEach((labels, r) => {
      const table = counts[r];
      for (let c = 0; c < clusterCount; c++) score[c] += table[c * labelCount + labels[j]];
    });
    let best = 0;
    for (let c = 1; c < clusterCount; c++) {
      if (score[c] / members[c] > score[best] / members[best]) best = c;
    }
    out[j] = best;
  }
  return out;
}
