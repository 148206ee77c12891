import { describe, expect, it } from 'vitest';
import { dense, type DenseMatrix } from '../../linalg/matrix';
import { Rng } from '../../linalg/random';
import { fitNmf } from '../../nmf';
import { columnCosine } from '../../nmf/__tests__/helpers';
import {
  ProjectionError,
  heldOutSampleError,
  matchComponents,
  matchFeatures,
  projectSamples,
  selectColumns,
  selectDataRows,
  selectRows,
  synthesizeGeneModules,
} from '..';

/**
 * Projection of new samples onto saved components, on planted data split by samples: W is fitted
 * on one half, the other half's H is projected, and each projected row of H must match the true H
 * of the held-out samples (cosine ≥ 0.95 per component, components paired by their W).
 */

/** Cosine of row a of A (k × n) and row b of B (k' × n). */
function rowCosine(A: DenseMatrix, a: number, B: DenseMatrix, b: number): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let j = 0; j < A.cols; j++) {
    const x = A.data[a * A.cols + j];
    const y = B.data[b * B.cols + j];
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return ab / Math.sqrt(aa * bb);
}

/** Pairs fitted components with true ones by W (Hungarian), then returns each pair's H-row cosine. */
function projectedCosines(
  trueW: DenseMatrix,
  fittedW: DenseMatrix,
  trueH: DenseMatrix,
  projectedH: DenseMatrix,
): number[] {
  const similarity = Array.from({ length: trueW.cols }, (_, a) =>
    Array.from({ length: fittedW.cols }, (_, b) => columnCosine(trueW, a, fittedW, b)),
  );
  const { matches } = matchComponents(similarity);
  return matches.map(({ a, b }) => rowCosine(trueH, a, projectedH, b));
}

function split(n: number): { train: number[]; test: number[] } {
  const train: number[] = [];
  const test: number[] = [];
  for (let j = 0; j < n; j++) (j % 2 === 0 ? train : test).push(j);
  return { train, test };
}

describe('projecting held-out samples onto fitted components', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`recovers the true H of the held-out half (seed ${seed}, KL)`, () => {
      const data = synthesizeGeneModules({ features: 240, samples: 100, rank: 5, seed, depth: 200 * 240 });
      const V = data.V as DenseMatrix;
      const { train, test } = split(V.cols);
      const fit = fitNmf(selectColumns(V, train), { rank: 5, beta: 1, maxIter: 600, warmup: 100, seed });
      const projected = projectSamples(selectColumns(V, test), fit.W, { beta: 1, maxIter: 600 });
      const cosines = projectedCosines(data.truth.W, fit.W, selectColumns(data.truth.H, test), projected.H);
      expect(cosines).toHaveLength(5);
      for (const c of cosines) expect(c).toBeGreaterThanOrEqual(0.95);
    });
  }

  it('recovers it with the features reordered and a quarter of them missing (Frobenius, HALS)', () => {
    const data = synthesizeGeneModules({ features: 240, samples: 100, rank: 5, seed: 7, depth: 200 * 240 });
    const V = data.V as DenseMatrix;
    const names = Array.from({ length: V.rows }, (_, i) => `gene${i + 1}`);
    const { train, test } = split(V.cols);
    // HALS's default tol (1e-4 of the first violation) stops this fit after 6 sweeps in a poor
    // minimum; the projection, not the training fit, is under test here.
    const fit = fitNmf(selectColumns(V, train), {
      rank: 5,
      beta: 2,
      solver: 'hals',
      maxIter: 1000,
      tol: 1e-6,
      seed: 7,
    });
    // The new matrix: held-out samples, rows shuffled, every fourth gene left out, two unknown genes.
    const rng = new Rng(11);
    const order = Array.from(rng.permutation(V.rows)).filter((i) => i % 4 !== 0);
    const newRows = selectDataRows(selectColumns(V, test), order) as DenseMatrix;
    const extra = dense(2, newRows.cols, new Float64Array(2 * newRows.cols).fill(3));
    const newV = dense(newRows.rows + 2, newRows.cols, Float64Array.from([...newRows.data, ...extra.data]));
    const newNames = [...order.map((i) => names[i]), 'unknown1', 'unknown2'];
    const match = matchFeatures(names, newNames, { rank: 5 });
    expect(match.runRows).toHaveLength(180);
    expect(match.missing).toHaveLength(60);
    expect(match.dropped).toEqual(['unknown1', 'unknown2']);
    const projected = projectSamples(selectDataRows(newV, match.newRows), selectRows(fit.W, match.runRows), {
      beta: 2,
      solver: 'hals',
      maxIter: 600,
    });
    const cosines = projectedCosines(data.truth.W, fit.W, selectColumns(data.truth.H, test), projected.H);
    for (const c of cosines) expect(c).toBeGreaterThanOrEqual(0.95);
  });

  it('refuses too few matching features, naming the missing ones, and duplicated names', () => {
    const run = ['a', 'b', 'c', 'd', 'e', 'f'];
    expect(() => matchFeatures(run, ['a', 'b', 'x'], { rank: 2 })).toThrow(
      new ProjectionError(
        "only 2 of the run's 6 features are in the new matrix (at least 3 needed); missing: c, d, e, f; the new matrix has instead: x",
      ),
    );
    expect(() => matchFeatures(run, ['a', 'b', 'a'], { rank: 2 })).toThrow(
      "feature 'a' appears twice in the new matrix (rows 1 and 3)",
    );
    expect(matchFeatures(run, ['f', 'a', 'c'], { rank: 2 })).toEqual({
      runRows: [0, 2, 5],
      newRows: [1, 2, 0],
      missing: ['b', 'd', 'e'],
      dropped: [],
    });
  });

  it('held-out sample error is lowest near the planted rank', () => {
    const data = synthesizeGeneModules({ features: 150, samples: 80, rank: 4, seed: 5, depth: 200 * 150 });
    const V = data.V as DenseMatrix;
    const heldOut = Array.from({ length: 20 }, (_, q) => q * 4 + 1);
    const errors = [2, 3, 4, 5, 6].map(
      (rank) =>
        heldOutSampleError(V, heldOut, { rank, beta: 1, maxIter: 400, warmup: 100 }).heldOutLossPerEntry,
    );
    // Below the planted rank the error falls steeply; above it, it stays about flat (the held-out H
    // is fitted, so extra components can still absorb noise): the elbow is at 4.
    expect(errors[0]).toBeGreaterThan(errors[2] * 1.5);
    expect(errors[1]).toBeGreaterThan(errors[2] * 1.2);
    expect(errors[3]).toBeGreaterThan(errors[2] * 0.9);
    expect(errors[4]).toBeGreaterThan(errors[2] * 0.85);
  });
});
