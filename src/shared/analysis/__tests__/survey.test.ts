import { describe, expect, it } from 'vitest';
import { dense, type DenseMatrix } from '../../linalg/matrix';
import { csrFromDense } from '../../linalg/ops';
import { Rng } from '../../linalg/random';
import { clusterConsensus } from '../consensus';
import {
  consensusSilhouette,
  correlationSilhouette,
  fitSurvey,
  residualSums,
  averageSilhouette,
  sparseness,
} from '../survey';
import reference from './fixtures/survey.json';

/** |actual − expected| within `relative` of |expected| (null must match null). */
function expectClose(actual: number | null, expected: number | null, relative = 1e-12): void {
  if (expected === null) {
    expect(actual).toBeNull();
    return;
  }
  expect(actual).not.toBeNull();
  expect(Math.abs(actual! - expected)).toBeLessThanOrEqual(relative * Math.max(Math.abs(expected), 1e-300));
}

/** Whether two labelings split the points the same way (cluster numbers aside). */
function samePartition(a: readonly number[], b: readonly number[]): boolean {
  const forward = new Map<number, number>();
  const backward = new Map<number, number>();
  return a.every((x, i) => {
    const y = b[i];
    if ((forward.get(x) ?? y) !== y || (backward.get(y) ?? x) !== x) return false;
    forward.set(x, y);
    backward.set(y, x);
    return true;
  });
}

/** Reference: fixtures/make-survey.R (R NMF 0.25's summary(<NMF>, target = V) and silhouette(<NMFfitX>)). */
describe('rank-survey measures against R NMF', () => {
  for (const fit of reference.fits) {
    const W = dense(fit.rows, fit.rank, Float64Array.from(fit.W));
    const H = dense(fit.rank, fit.cols, Float64Array.from(fit.H));
    const V = dense(fit.rows, fit.cols, Float64Array.from(fit.V));

    it(`${fit.name}: sparseness of W's and H's columns as sparseness(basis(x)), sparseness(coef(x))`, () => {
      expectClose(sparseness(W), fit.sparsenessBasis);
      expectClose(sparseness(H), fit.sparsenessCoef);
    });

    it(`${fit.name}: rss and evar as rss(x, V), evar(x, V), dense and CSR`, () => {
      const survey = fitSurvey(V, W, H);
      expectClose(survey.rss, fit.rss);
      expectClose(survey.evar, fit.evar);
      const sparse = fitSurvey(csrFromDense(V), W, H);
      // The CSR form cancels Σ V² and Σ (W·H)² against the cross term: rounding relative to the
      // larger of them (rss ≤ Σ V² + Σ (W·H)² + 2|Σ V∘WH|, so rss bounds them up to Σ V²).
      const { squares } = residualSums(V, W, H);
      const scale = Math.max(squares, fit.rss);
      expect(Math.abs(sparse.rss - fit.rss)).toBeLessThanOrEqual(1e-13 * scale);
      expect(Math.abs(sparse.evar! - fit.evar!)).toBeLessThanOrEqual((1e-13 * scale) / squares);
    });

    it(`${fit.name}: silhouettes of the samples and features as summary(silhouette(x, what))`, () => {
      const survey = fitSurvey(V, W, H);
      expectClose(survey.silhouetteCoef, fit.silhouetteCoef);
      expectClose(survey.silhouetteBasis, fit.silhouetteBasis);
    });
  }

  it('covers ties, zero vectors, one cluster, a singleton and R errors', () => {
    const names = reference.fits.map((f) => f.name);
    expect(names).toEqual(
      expect.arrayContaining(['ties', 'zeroSample', 'zeroFeature', 'oneCluster', 'singleton', 'sparseV']),
    );
    expect(reference.fits.some((f) => f.silhouetteCoefError !== null)).toBe(true);
    expect(reference.fits.some((f) => f.silhouetteBasisError !== null)).toBe(true);
  });

  for (const c of reference.consensus) {
    it(`${c.name}: consensus clusters and silhouette.consensus as silhouette(x, what = "consensus")`, () => {
      const shown = clusterConsensus(c.labelings, c.rank);
      shown.consensus.data.forEach((value, t) => expect(value).toBeCloseTo(c.consensus[t], 15));
      expect(samePartition(shown.clusters, c.clusters)).toBe(true);
      expectClose(shown.cophenetic, c.cophenetic);
      expectClose(consensusSilhouette(shown.consensus, shown.clusters), c.silhouetteConsensus);
    });
  }
});

/** A random m × n matrix, `zeros` of its entries 0. */
function randomMatrix(rng: Rng, m: number, n: number, zeros = 0): DenseMatrix {
  const M = dense(m, n);
  for (let t = 0; t < M.data.length; t++)
    M.data[t] = rng.uniform() < zeros ? 0 : Math.floor(rng.uniform() * 20);
  return M;
}

describe('rss and evar of V with missing entries and in CSR', () => {
  it('leaves NaN entries out of both sums, dense and CSR alike', () => {
    const rng = new Rng(7);
    const W = randomMatrix(rng, 30, 4);
    const H = randomMatrix(rng, 4, 40);
    const V = randomMatrix(rng, 30, 40, 0.7);
    const missing = [3, 50, 51, 400, 1199];
    for (const t of missing) V.data[t] = NaN;
    let rss = 0;
    let squares = 0;
    for (let i = 0; i < 30; i++) {
      for (let j = 0; j < 40; j++) {
        const v = V.data[i * 40 + j];
        if (Number.isNaN(v)) continue;
        let fitted = 0;
        for (let a = 0; a < 4; a++) fitted += W.data[i * 4 + a] * H.data[a * 40 + j];
        rss += (v - fitted) ** 2;
        squares += v * v;
      }
    }
    const direct = residualSums(V, W, H);
    expectClose(direct.rss, rss, 1e-14);
    expectClose(direct.squares, squares, 1e-14);
    const sparse = residualSums(csrFromDense(V), W, H);
    expectClose(sparse.squares, squares, 1e-14);
    expect(Math.abs(sparse.rss - rss)).toBeLessThanOrEqual(1e-14 * squares);
  });

  it('agrees with the direct sum to rounding on sparse counts (the trace formula)', () => {
    const rng = new Rng(11);
    const W = randomMatrix(rng, 200, 6);
    const H = randomMatrix(rng, 6, 300);
    const V = randomMatrix(rng, 200, 300, 0.9);
    const direct = residualSums(V, W, H);
    const sparse = residualSums(csrFromDense(V), W, H);
    expect(sparse.squares).toBe(direct.squares);
    expect(Math.abs(sparse.rss - direct.rss)).toBeLessThanOrEqual(
      1e-13 * Math.max(direct.rss, direct.squares),
    );
  });
});

describe('silhouettes of the samples and features over every point', () => {
  /** The same silhouette pair by pair, as cluster::silhouette sums it: O(s²). */
  function pairwise(vectors: Float64Array, k: number): number | null {
    const s = vectors.length / k;
    const labels: number[] = [];
    const unit = new Float64Array(vectors.length);
    for (let p = 0; p < s; p++) {
      const row = Array.from(vectors.subarray(p * k, (p + 1) * k));
      labels.push(row.indexOf(Math.max(...row.map(Math.abs))));
      const mean = row.reduce((a, b) => a + b, 0) / k;
      const norm = Math.sqrt(row.reduce((a, b) => a + (b - mean) ** 2, 0));
      row.forEach((x, a) => (unit[p * k + a] = (x - mean) / norm));
    }
    return averageSilhouette(labels, (i, j) => {
      let dot = 0;
      for (let a = 0; a < k; a++) dot += unit[i * k + a] * unit[j * k + a];
      return 1 - dot;
    });
  }

  it('sums the correlation dissimilarities per cluster and agrees with the pairwise sum to rounding', () => {
    const rng = new Rng(3);
    for (const [points, k] of [
      [400, 3],
      [1500, 6],
      [50, 10],
    ]) {
      const vectors = new Float64Array(points * k);
      for (let t = 0; t < vectors.length; t++) vectors[t] = rng.uniform() ** 3;
      const fast = correlationSilhouette(vectors, k);
      expect(fast).not.toBeNull();
      expectClose(fast, pairwise(vectors, k), 1e-12);
    }
  });
});
