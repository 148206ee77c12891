import { describe, expect, it } from 'vitest';
import { dense, type DenseMatrix } from '../../linalg/matrix';
import { Rng } from '../../linalg/random';
import { fitNmf } from '../../nmf';
import {
  adjustedRandIndex,
  componentSimilarity,
  consensusComponents,
  consensusError,
  defaultNeighbours,
  kMeans,
  localDensity,
  matchComponents,
  poolColumns,
  silhouette,
  synthesizeGeneModules,
} from '..';
import oracle from './fixtures/cnmf-consensus.json';

/** Mean cosine of the true components with their best one-to-one match among the fitted ones. */
function matchedMeanCosine(truth: DenseMatrix, fitted: DenseMatrix): number {
  const { matches } = matchComponents(componentSimilarity(truth, fitted));
  return matches.reduce((sum, m) => sum + m.similarity, 0) / truth.cols;
}

/** Points around `centres` (c × m) with Gaussian noise of size `noise`, `per` points each. */
function blobs(
  centres: number[][],
  per: number,
  noise: number,
  seed: number,
): { points: Float64Array; labels: number[] } {
  const rng = new Rng(seed);
  const m = centres[0].length;
  const points = new Float64Array(centres.length * per * m);
  const labels: number[] = [];
  let p = 0;
  for (let c = 0; c < centres.length; c++) {
    for (let r = 0; r < per; r++, p++) {
      labels.push(c);
      for (let i = 0; i < m; i++) points[p * m + i] = centres[c][i] + noise * rng.normal();
    }
  }
  return { points, labels };
}

describe('cNMF building blocks', () => {
  it('neighbours follow cNMF: int(0.3 · R·k / k)', () => {
    expect(defaultNeighbours(10, 5)).toBe(3);
    expect(defaultNeighbours(20, 7)).toBe(6);
    expect(defaultNeighbours(100, 9)).toBe(30);
    expect(defaultNeighbours(2, 3)).toBe(1);
  });

  it('pools unit-norm columns and measures local density as the mean distance to the nearest others', () => {
    const A = dense(2, 2, Float64Array.from([3, 0, 4, 1])); // columns (3, 4) and (0, 1)
    const B = dense(2, 1, Float64Array.from([0, 2])); // (0, 1)
    const pool = poolColumns([A, B]);
    expect(Array.from(pool.points)).toEqual([0.6, 0.8, 0, 1, 0, 1]);
    expect(pool.source).toEqual([
      { replicate: 0, component: 0 },
      { replicate: 0, component: 1 },
      { replicate: 1, component: 0 },
    ]);
    const d = Math.hypot(0.6, 0.2);
    const density = localDensity(pool, 1);
    expect(density[0]).toBeCloseTo(d, 15);
    expect(density[1]).toBe(0);
    expect(density[2]).toBe(0);
    expect(Array.from(localDensity(pool, 2))).toEqual([d, d / 2, d / 2]);
    expect(() => localDensity(pool, 3)).toThrow('neighbours 3 must be an integer from 1 to 2');
  });

  it('k-means finds separated clusters, the same labels for the same seed; silhouette as Rousseeuw defines it', () => {
    const { points, labels } = blobs(
      [
        [0, 0, 5],
        [5, 0, 0],
        [0, 5, 0],
      ],
      12,
      0.3,
      3,
    );
    const result = kMeans(points, 36, 3, 3, { seed: 1 });
    expect(adjustedRandIndex(labels, Array.from(result.labels))).toBe(1);
    expect(Array.from(kMeans(points, 36, 3, 3, { seed: 1 }).labels)).toEqual(Array.from(result.labels));
    expect(silhouette(points, 36, 3, result.labels)).toBeGreaterThan(0.9);
    // Four points on a line, two clusters: a = 1, b = 10 and 11 for the outer ones, 9 and 10 inner.
    const line = Float64Array.from([0, 1, 11, 12]);
    const s = silhouette(line, 4, 1, Int32Array.from([0, 0, 1, 1]));
    const expected = ((11.5 - 1) / 11.5 + (10.5 - 1) / 10.5 + (10.5 - 1) / 10.5 + (11.5 - 1) / 11.5) / 4;
    expect(s).toBeCloseTo(expected, 14);
    expect(Number.isNaN(silhouette(line, 4, 1, Int32Array.from([0, 0, 0, 0])))).toBe(true);
  });

  it('refuses a threshold that leaves fewer columns than the rank, naming it', () => {
    const rng = new Rng(2);
    const Ws = Array.from({ length: 4 }, () =>
      dense(
        10,
        3,
        Float64Array.from({ length: 30 }, () => rng.gamma(1)),
      ),
    );
    expect(() => consensusComponents(Ws, { rank: 3, densityThreshold: 1e-9 })).toThrow(
      'only 0 of 12 replicate components have local density below 1e-9, fewer than rank 3: raise the density threshold',
    );
  });
});

describe("cNMF's arithmetic (scripts/oracle/make-cnmf-fixtures.py, cNMF's code on scikit-learn 1.2.1)", () => {
  const Ws = oracle.replicates.map((data) => dense(oracle.features, oracle.rank, Float64Array.from(data)));

  it('local density, the filter, the k-means groups, the silhouette and the medians agree', () => {
    const result = consensusComponents(Ws, { rank: oracle.rank, densityThreshold: oracle.threshold });
    expect(result.neighbours).toBe(oracle.neighbours);
    for (let p = 0; p < oracle.density.length; p++) {
      expect(Math.abs(result.density[p] - oracle.density[p])).toBeLessThan(1e-12);
    }
    // The outlier replicate (the last) is what the filter drops.
    expect(result.dropped.map((d) => d.replicate)).toEqual(
      oracle.kept.flatMap((keep, p) => (keep ? [] : [Math.floor(p / oracle.rank)])),
    );
    expect(result.dropped.every((d) => d.replicate === oracle.replicates.length - 1)).toBe(true);
    // Groups: the same partition as scikit-learn's KMeans (numbered differently).
    const ours = result.labels.filter((l) => l >= 0);
    expect(adjustedRandIndex(ours, oracle.labels)).toBe(1);
    expect(Math.abs(result.silhouette - oracle.silhouette)).toBeLessThan(1e-12);
    // Medians scaled to sum 1: each consensus column equals one of cNMF's spectra.
    for (let c = 0; c < oracle.rank; c++) {
      const group = ours.indexOf(c);
      const spectrum = oracle.consensus[oracle.labels[group]];
      for (let i = 0; i < oracle.features; i++) {
        expect(Math.abs(result.W.data[i * oracle.rank + c] - spectrum[i])).toBeLessThan(1e-12);
      }
    }
  });
});

describe('consensus components on planted data', () => {
  // Very short KL fits from random starts (10 iterations): single replicates stop in different,
  // poor places; with 25 iterations every replicate is already within 1 % of the planted W and the
  // consensus only ties the best one.
  const shortFits = (V: DenseMatrix, rank: number, replicates: number, seed: number): DenseMatrix[] =>
    Array.from(
      { length: replicates },
      (_, r) => fitNmf(V, { rank, beta: 1, init: 'random', maxIter: 10, tol: 0, seed: seed + r }).W,
    );

  for (const seed of [1, 2, 3]) {
    it(`beats the median replicate and matches the best one (seed ${seed})`, () => {
      const data = synthesizeGeneModules({ features: 200, samples: 60, rank: 5, seed, depth: 100 * 200 });
      const V = data.V as DenseMatrix;
      const replicates = shortFits(V, 5, 30, 100 * seed);
      const scores = replicates.map((W) => matchedMeanCosine(data.truth.W, W)).sort((a, b) => a - b);
      const consensus = consensusComponents(replicates, { rank: 5 });
      const score = matchedMeanCosine(data.truth.W, consensus.W);
      const median = scores[scores.length >> 1];
      const best = scores[scores.length - 1];
      expect(score).toBeGreaterThan(median + 0.05);
      expect(score).toBeGreaterThanOrEqual(best);
      // The density filter is what removes the worst replicates' columns here.
      expect(consensus.dropped.length).toBeGreaterThan(0);
      // W's columns are distributions.
      for (let a = 0; a < 5; a++) {
        let sum = 0;
        for (let i = 0; i < 200; i++) sum += consensus.W.data[i * 5 + a];
        expect(sum).toBeCloseTo(1, 12);
      }
    });
  }

  it('drops planted outlier columns by local density', () => {
    const data = synthesizeGeneModules({ features: 200, samples: 60, rank: 4, seed: 9, depth: 100 * 200 });
    const V = data.V as DenseMatrix;
    const replicates = Array.from(
      { length: 20 },
      (_, r) => fitNmf(V, { rank: 4, beta: 1, maxIter: 120, warmup: 40, seed: r }).W,
    );
    // Three replicates whose components are noise (a fit gone wrong, a bad batch).
    const rng = new Rng(5);
    for (let r = 0; r < 3; r++) {
      replicates.push(
        dense(
          200,
          4,
          Float64Array.from({ length: 800 }, () => rng.gamma(0.3)),
        ),
      );
    }
    const consensus = consensusComponents(replicates, { rank: 4 });
    const droppedOutliers = consensus.dropped.filter((d) => d.replicate >= 20).length;
    expect(droppedOutliers).toBe(12);
    expect(consensus.dropped.length).toBe(12);
    expect(matchedMeanCosine(data.truth.W, consensus.W)).toBeGreaterThan(0.98);
    // Without the filter the outliers join (and pull on) the clusters.
    const unfiltered = consensusComponents(replicates, { rank: 4, densityThreshold: 2 });
    expect(unfiltered.dropped).toHaveLength(0);
    expect(unfiltered.silhouette).toBeLessThan(consensus.silhouette);
  });

  for (const seed of [4, 5, 6]) {
    it(`cNMF's stability (silhouette without the filter) peaks at the planted rank; error falls until it (seed ${seed})`, () => {
      // cNMF's replicate fits: KL multiplicative updates from random starts. (With HALS-warmed starts
      // every rank up to the planted one reproduces exactly, silhouette 1: a plateau, not a peak.)
      const data = synthesizeGeneModules({ features: 150, samples: 50, rank: 4, seed, depth: 100 * 150 });
      const V = data.V as DenseMatrix;
      const table = [2, 3, 4, 5, 6, 7].map((rank) => {
        const replicates = Array.from(
          { length: 12 },
          (_, r) => fitNmf(V, { rank, beta: 1, init: 'random', maxIter: 200, seed: 10 * rank + r }).W,
        );
        const consensus = consensusComponents(replicates, { rank, densityThreshold: 2 });
        const H = fitNmf(V, { rank, beta: 1, fixed: 'W', W0: consensus.W, maxIter: 200 }).H;
        return { rank, silhouette: consensus.silhouette, error: consensusError(V, consensus.W, H) };
      });
      const peak = table.reduce((a, b) => (b.silhouette > a.silhouette ? b : a));
      expect(peak.rank).toBe(4);
      expect(table[0].error).toBeGreaterThan(table[2].error);
      expect(table[1].error).toBeGreaterThan(table[2].error);
    });
  }
});
