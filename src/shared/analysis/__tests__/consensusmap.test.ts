import { describe, expect, it } from 'vitest';
import { Rng } from '../../linalg/random';
import {
  analyzeConsensus,
  averageLinkage,
  consensusMap,
  consensusMapOfShown,
  consensusSubsample,
  leafOrder,
  type ConsensusMap,
} from '..';

/**
 * `consensusMap` as it was before it could be made from the shown samples' labels alone (verbatim
 * but for the name): every sample's clusters from `analyzeConsensus`, and the tree made a second
 * time from its consensus matrix.
 */
function consensusMapAsBefore(
  labelings: readonly (readonly number[])[],
  k: number,
  maxSamples: number,
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

/** `replicates` labelings of n samples into `rank` groups, each sample moved at random with probability `noise`. */
function labelings(n: number, rank: number, replicates: number, noise: number, seed: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: replicates }, () =>
    Array.from({ length: n }, (_, j) =>
      rng.uniform() < noise ? Math.floor(rng.uniform() * rank) : j % rank,
    ),
  );
}

describe('the consensus map from the shown samples’ labels', () => {
  for (const [n, maxSamples, replicates, noise] of [
    [60, 2000, 5, 0.2],
    [60, 2000, 1, 0.3],
    [500, 120, 6, 0.35],
    [500, 120, 2, 0.5],
    [700, 400, 3, 0.25],
  ] as const)
    it(`is the map made from every sample's labels (${n} samples, at most ${maxSamples} shown, ${replicates} fits)`, () => {
      const rank = 3;
      const all = labelings(n, rank, replicates, noise, n + replicates);
      const before = consensusMapAsBefore(all, rank, maxSamples);
      expect(before.subsample !== null).toBe(n > maxSamples);
      expect(consensusMap(all, rank, maxSamples)).toEqual(before);
      // Only the shown samples' labels, picked as a caller reading each fit picks them.
      const subsample = consensusSubsample(n, maxSamples);
      const shown = subsample ? all.map((labels) => subsample.map((j) => labels[j])) : all;
      expect(consensusMapOfShown(shown, subsample, n, rank)).toEqual(before);
    });

  it('refuses labels of another number of samples than shown', () => {
    const all = labelings(500, 3, 2, 0.2, 1);
    expect(() => consensusMapOfShown(all, consensusSubsample(500, 120), 500, 3)).toThrow(
      /500 labels a replicate for 120/,
    );
  });
});
