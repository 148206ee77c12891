import { describe, expect, it } from 'vitest';
import { dense } from '../../linalg/matrix';
import { Rng } from '../../linalg/random';
import {
  adjustedRandIndex,
  analyzeConsensus,
  averageLinkage,
  consensusMatrix,
  copheneticDistances,
  cutTree,
  dispersion,
  matchComponents,
  pearson,
} from '..';
import { pca } from '../pca';
import lsa from './fixtures/lsa.json';
import consensus from './fixtures/consensus.json';
import ari from './fixtures/ari.json';
import pcaFixture from './fixtures/pca.json';

/** References computed by scripts/oracle/make-analysis-fixtures.py (scipy, scikit-learn). */

function condensedOneMinus(C: number[][]): Float64Array {
  const n = C.length;
  const out: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out.push(1 - C[i][j]);
  return Float64Array.from(out);
}

describe('matchComponents against scipy.optimize.linear_sum_assignment', () => {
  it.each(lsa.cases.map((c, t) => [`${c.S.length}×${c.S[0].length} (case ${t})`, c] as const))(
    '%s',
    (_name, c) => {
      const { matches, unmatchedA, unmatchedB } = matchComponents(c.S);
      expect(matches.map((p) => p.a)).toEqual(c.row_ind);
      expect(matches.map((p) => p.b)).toEqual(c.col_ind);
      const total = matches.reduce((s, p) => s + p.similarity, 0);
      expect(total).toBeCloseTo(c.total, 12);
      const rows = c.S.length;
      const cols = c.S[0].length;
      expect(unmatchedA.length).toBe(Math.max(0, rows - cols));
      expect(unmatchedB.length).toBe(Math.max(0, cols - rows));
      for (const i of unmatchedA) expect(c.row_ind).not.toContain(i);
      for (const j of unmatchedB) expect(c.col_ind).not.toContain(j);
    },
  );
});

describe('consensus clustering against scipy average linkage + cophenet', () => {
  it.each(consensus.cases.map((c) => [c.note, c] as const))('%s', (_note, c) => {
    const n = c.C.length;
    const distances = condensedOneMinus(c.C);
    const tree = averageLinkage(distances, n);
    const heights = tree.merges.map((m) => m.height);
    for (let s = 0; s < heights.length; s++) expect(heights[s]).toBeCloseTo(c.heights[s], 12);
    const coph = copheneticDistances(tree);
    for (let t = 0; t < coph.length; t++) expect(coph[t]).toBeCloseTo(c.cophenetic_distances[t], 12);
    expect(pearson(distances, coph)).toBeCloseTo(c.cophenetic, 12);
    // Same partition as fcluster(maxclust = k), whatever the numbering.
    expect(adjustedRandIndex(cutTree(tree, c.k), c.clusters)).toBe(1);
    expect(dispersion(dense(n, n, Float64Array.from(c.C.flat())))).toBeCloseTo(c.dispersion, 12);
  });

  it('analyzeConsensus on the replicates’ labelings reproduces the reference', () => {
    const c = consensus.cases.find((x) => 'labelings' in x)! as (typeof consensus.cases)[number] & {
      labelings: number[][];
    };
    const result = analyzeConsensus(c.labelings, c.k);
    const C = consensusMatrix(c.labelings);
    for (let t = 0; t < C.data.length; t++) expect(C.data[t]).toBeCloseTo(c.C.flat()[t], 14);
    expect(result.cophenetic).toBeCloseTo(c.cophenetic, 12);
    expect(result.dispersion).toBeCloseTo(c.dispersion, 12);
    expect(adjustedRandIndex(result.sampleClusters, c.clusters)).toBe(1);
    expect(result.sampleClusters[0]).toBe(0);
    expect(new Set(result.sampleClusters).size).toBe(c.k);
  });
});

describe('adjustedRandIndex against sklearn.metrics.adjusted_rand_score', () => {
  it.each(ari.cases.map((c, t) => [t, c] as const))('case %i', (_t, c) => {
    expect(adjustedRandIndex(c.a, c.b)).toBeCloseTo(c.ari, 12);
    expect(adjustedRandIndex(c.b, c.a)).toBeCloseTo(c.ari, 12);
  });
});

describe('pca against sklearn.decomposition.PCA', () => {
  const V = dense(pcaFixture.V.length, pcaFixture.V[0].length, Float64Array.from(pcaFixture.V.flat()));
  it.each(['exact', 'randomized'] as const)('%s', (method) => {
    const result = pca(V, { components: pcaFixture.components, method, powerIterations: 6 });
    const c = pcaFixture.components;
    for (let a = 0; a < c; a++) {
      expect(result.explainedVariance[a]).toBeCloseTo(
        pcaFixture.explained_variance[a],
        method === 'exact' ? 9 : 5,
      );
      expect(result.explainedVarianceRatio[a]).toBeCloseTo(
        pcaFixture.explained_variance_ratio[a],
        method === 'exact' ? 11 : 6,
      );
    }
    for (let i = 0; i < V.rows; i++) expect(result.mean[i]).toBeCloseTo(pcaFixture.mean[i], 12);
    // Loadings and scores agree up to the sign of each component.
    for (let a = 0; a < c; a++) {
      let dot = 0;
      for (let i = 0; i < V.rows; i++) dot += result.loadings.data[i * c + a] * pcaFixture.loadings[i][a];
      const sign = Math.sign(dot);
      for (let i = 0; i < V.rows; i++) {
        expect(result.loadings.data[i * c + a]).toBeCloseTo(
          sign * pcaFixture.loadings[i][a],
          method === 'exact' ? 8 : 3,
        );
      }
      for (let j = 0; j < V.cols; j++) {
        expect(result.scores.data[j * c + a]).toBeCloseTo(
          sign * pcaFixture.scores[j][a],
          method === 'exact' ? 7 : 2,
        );
      }
    }
  });

  it('takes the feature-side Gram route when features are fewer than samples', () => {
    const rng = new Rng(8);
    const wide = dense(
      6,
      15,
      Float64Array.from({ length: 90 }, () => rng.gamma(2)),
    );
    const exact = pca(wide, { components: 6, method: 'exact' });
    const randomized = pca(wide, { components: 6, method: 'randomized', powerIterations: 6 });
    expect(exact.explainedVarianceRatio.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 10);
    for (let a = 0; a < 6; a++)
      expect(randomized.explainedVariance[a]).toBeCloseTo(exact.explainedVariance[a], 8);
    // Scores are the centred data projected on the loadings.
    for (let j = 0; j < 15; j++) {
      for (let a = 0; a < 6; a++) {
        let projection = 0;
        for (let i = 0; i < 6; i++)
          projection += (wide.data[i * 15 + j] - exact.mean[i]) * exact.loadings.data[i * 6 + a];
        expect(exact.scores.data[j * 6 + a]).toBeCloseTo(projection, 9);
      }
    }
  });

  it('gives the same result for the CSR layout', () => {
    const m = V.rows;
    const n = V.cols;
    const indptr = new Int32Array(m + 1);
    const indices: number[] = [];
    const data: number[] = [];
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        if ((i + j) % 3 === 0) continue; // some explicit zeros left out
        indices.push(j);
        data.push(V.data[i * n + j]);
      }
      indptr[i + 1] = indices.length;
    }
    const sparse = {
      kind: 'csr' as const,
      rows: m,
      cols: n,
      indptr,
      indices: Int32Array.from(indices),
      data: Float64Array.from(data),
    };
    const zeroed = dense(
      m,
      n,
      Float64Array.from(V.data, (v, t) => ((Math.floor(t / n) + (t % n)) % 3 === 0 ? 0 : v)),
    );
    const a = pca(zeroed, { components: 4 });
    const b = pca(sparse, { components: 4 });
    for (let t = 0; t < 4; t++) expect(b.explainedVariance[t]).toBeCloseTo(a.explainedVariance[t], 9);
    for (let t = 0; t < a.loadings.data.length; t++)
      expect(b.loadings.data[t]).toBeCloseTo(a.loadings.data[t], 9);
  });
});
