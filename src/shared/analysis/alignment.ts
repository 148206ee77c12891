import { munkres } from 'munkres';
import { dense, type DenseMatrix } from '../linalg/matrix';
import type { Alignment, ComponentMatch, ComponentStability, SimilarityMetric } from './types';

/**
 * W with every column scaled to unit Euclidean norm (all-zero columns stay zero). A component's
 * loading vector is defined only up to scale (W·H = (W·D)(D⁻¹·H)), so runs are compared on
 * directions.
 *
 * @param W m × k
 * @returns m × k, a new matrix
 */
export function normalizeColumns(W: DenseMatrix): DenseMatrix {
  const { rows: m, cols: k } = W;
  const out = dense(m, k, Float64Array.from(W.data));
  const norms = new Float64Array(k);
  for (let i = 0; i < m; i++) for (let a = 0; a < k; a++) norms[a] += out.data[i * k + a] ** 2;
  for (let a = 0; a < k; a++) norms[a] = Math.sqrt(norms[a]);
  for (let i = 0; i < m; i++) {
    for (let a = 0; a < k; a++) if (norms[a] > 0) out.data[i * k + a] /= norms[a];
  }
  return out;
}

/** Column a of a row-major matrix as a new array, optionally centred. */
function column(M: DenseMatrix, a: number, centre: boolean): Float64Array {
  const out = new Float64Array(M.rows);
  for (let i = 0; i < M.rows; i++) out[i] = M.data[i * M.cols + a];
  if (centre) {
    let mean = 0;
    for (let i = 0; i < out.length; i++) mean += out[i];
    mean /= out.length || 1;
    for (let i = 0; i < out.length; i++) out[i] -= mean;
  }
  return out;
}

/**
 * Similarity between every component (column) of A and every component of B: cosine of the
 * loading vectors, or Pearson correlation (cosine of the centred vectors). A zero (or, for
 * Pearson, constant) column has similarity 0 to everything.
 *
 * @param A m × kA
 * @param B m × kB (same features, same order)
 * @returns kA × kB
 */
export function componentSimilarity(
  A: DenseMatrix,
  B: DenseMatrix,
  metric: SimilarityMetric = 'cosine',
): number[][] {
  if (A.rows !== B.rows) throw new RangeError(`runs have different feature counts: ${A.rows} vs ${B.rows}`);
  const centre = metric === 'pearson';
  const colsA = Array.from({ length: A.cols }, (_, a) => column(A, a, centre));
  const colsB = Array.from({ length: B.cols }, (_, b) => column(B, b, centre));
  const norm = (v: Float64Array): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  const normsA = colsA.map(norm);
  const normsB = colsB.map(norm);
  return colsA.map((u, a) =>
    colsB.map((v, b) => {
      if (normsA[a] === 0 || normsB[b] === 0) return 0;
      let dot = 0;
      for (let i = 0; i < u.length; i++) dot += u[i] * v[i];
      return dot / (normsA[a] * normsB[b]);
    }),
  );
}

/**
 * Optimal one-to-one matching maximising the total similarity (the linear assignment problem,
 * Kuhn 1955 / Munkres 1957, solved by the `munkres` package on the cost max − S). Rectangular
 * matrices give min(rows, cols) pairs; the rest of the larger side stays unmatched.
 *
 * @param similarity rows × cols
 * @returns pairs ascending by row
 */
export function matchComponents(similarity: readonly (readonly number[])[]): {
  matches: ComponentMatch[];
  unmatchedA: number[];
  unmatchedB: number[];
} {
  const rows = similarity.length;
  const cols = rows > 0 ? similarity[0].length : 0;
  if (rows === 0 || cols === 0) {
    return {
      matches: [],
      unmatchedA: Array.from({ length: rows }, (_, i) => i),
      unmatchedB: Array.from({ length: cols }, (_, j) => j),
    };
  }
  let max = -Infinity;
  for (const row of similarity) {
    if (row.length !== cols) throw new RangeError('similarity matrix rows differ in length');
    for (const s of row) {
      if (!Number.isFinite(s)) throw new RangeError(`similarity must be finite, got ${s}`);
      if (s > max) max = s;
    }
  }
  const cost = similarity.map((row) => row.map((s) => max - s));
  const pairs = munkres(cost);
  const matches = pairs.map(([a, b]) => ({ a, b, similarity: similarity[a][b] })).sort((x, y) => x.a - y.a);
  const usedA = new Set(matches.map((p) => p.a));
  const usedB = new Set(matches.map((p) => p.b));
  return {
    matches,
    unmatchedA: Array.from({ length: rows }, (_, i) => i).filter((i) => !usedA.has(i)),
    unmatchedB: Array.from({ length: cols }, (_, j) => j).filter((j) => !usedB.has(j)),
  };
}

/**
 * Aligns the components of two runs on the same features (CLI.md `align`): unit-normalised W
 * columns, their similarity, and the optimal one-to-one matching. Ranks may differ.
 *
 * @param WA m × kA
 * @param WB m × kB
 */
export function alignComponents(
  WA: DenseMatrix,
  WB: DenseMatrix,
  metric: SimilarityMetric = 'cosine',
): Alignment {
  const similarity = componentSimilarity(normalizeColumns(WA), normalizeColumns(WB), metric);
  return { metric, similarity, ...matchComponents(similarity) };
}

/**
 * Stability of components across replicate fits of one rank: every replicate is aligned to the
 * reference (the replicate with the lowest loss, or the first when no losses are given) by optimal
 * matching on the cosine of unit-normalised W columns, and the matched cosines are averaged
 * (per component of the reference, and overall). 1 means every replicate found the same
 * components; the value falls as replicates disagree. With a single replicate it is 1 by definition.
 *
 * @param replicates W of each replicate, m × k each
 * @param losses optional loss per replicate, to pick the reference
 */
export function componentStability(
  replicates: readonly DenseMatrix[],
  losses?: readonly number[],
): ComponentStability {
  if (replicates.length === 0) throw new RangeError('stability needs at least one replicate');
  let reference = 0;
  if (losses) {
    if (losses.length !== replicates.length) throw new RangeError('one loss per replicate is needed');
    for (let r = 1; r < losses.length; r++) if (losses[r] < losses[reference]) reference = r;
  }
  const k = replicates[reference].cols;
  const perComponentSum = new Float64Array(k);
  let others = 0;
  const referenceW = replicates[reference];
  for (let r = 0; r < replicates.length; r++) {
    if (r === reference) continue;
    const { matches } = alignComponents(referenceW, replicates[r], 'cosine');
    for (const match of matches) perComponentSum[match.a] += match.similarity;
    others++;
  }
  if (others === 0) return { overall: 1, perComponent: new Array<number>(k).fill(1), reference };
  const perComponent = Array.from(perComponentSum, (s) => s / others);
  const overall = perComponent.reduce((s, x) => s + x, 0) / (k || 1);
  return { overall, perComponent, reference };
}
