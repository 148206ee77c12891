import type { DenseMatrix } from '../linalg/matrix';
import { componentSimilarity, normalizeColumns } from './alignment';
import type { DescentKind, ParentDescent, SimilarityMetric, SplitMergeEntry, SplitMergeMap } from './types';

/** Options of {@link splitMergeMap}. */
export interface SplitMergeOptions {
  /** Similarity reported per child (the descent itself is decided on non-negative loadings). Default cosine. */
  metric?: SimilarityMetric;
  /**
   * Smallest share of a parent's reconstruction a child must carry, and of the child's
   * reconstruction the parent must carry, for the child to descend from the parent. Default 0.2.
   */
  minShare?: number;
  /** Smallest cosine between a parent's and a child's loadings for descent. Default 0.3. */
  minSimilarity?: number;
  /**
   * Smallest cosine with which a parent's children (or a child's parents) together reconstruct it;
   * below it the links are dropped. Default 0.7.
   */
  minExplained?: number;
}

/**
 * Non-negative least squares min ‖x − A·c‖² over c ≥ 0, from the Gram matrix G = AᵀA (q × q) and
 * b = Aᵀx: cyclic coordinate descent with projection (the HALS update, Cichocki & Phan 2009), each
 * coordinate minimised exactly in turn, until no coordinate moves by more than 1e-12 of the largest
 * (or 10 000 sweeps). q is a rank here (tens at most), so this is cheap and exact enough.
 *
 * @param G q × q row-major, symmetric positive semi-definite
 * @param b length q
 * @returns c, length q
 */
function nnlsFromGram(G: Float64Array, b: Float64Array, q: number): Float64Array {
  const c = new Float64Array(q);
  for (let sweep = 0; sweep < 10_000; sweep++) {
    let largestStep = 0;
    let largest = 0;
    for (let j = 0; j < q; j++) {
      const diagonal = G[j * q + j];
      if (!(diagonal > 0)) continue;
      let gradient = -b[j];
      for (let t = 0; t < q; t++) gradient += G[j * q + t] * c[t];
      const next = Math.max(0, c[j] - gradient / diagonal);
      largestStep = Math.max(largestStep, Math.abs(next - c[j]));
      c[j] = next;
      largest = Math.max(largest, next);
    }
    if (largestStep <= 1e-12 * Math.max(largest, 1e-300)) break;
  }
  return c;
}

/**
 * For each column x of X (unit norm), the NNLS reconstruction of x from the columns of Y (unit
 * norm), expressed as shares: share[x][y] = c_y (y·x) / Σ c_t (t·x), the part of the
 * reconstruction's projection on x that column y carries (at the optimum Σ c_t (t·x) = ‖Y c‖², so
 * the shares divide the explained squared norm), and `explained` = ‖Y c‖, the cosine between x
 * and its reconstruction.
 *
 * @param cross kx × ky cosines (unit columns of X against unit columns of Y)
 * @param gramY ky × ky cosines among the columns of Y
 */
function reconstructionShares(
  cross: readonly (readonly number[])[],
  gramY: Float64Array,
  ky: number,
): { share: number[][]; explained: number[] } {
  const share: number[][] = [];
  const explained: number[] = [];
  for (const row of cross) {
    const c = nnlsFromGram(gramY, Float64Array.from(row), ky);
    let total = 0;
    for (let y = 0; y < ky; y++) total += c[y] * row[y];
    share.push(row.map((s, y) => (total > 0 ? (c[y] * s) / total : 0)));
    explained.push(Math.sqrt(Math.max(0, total)));
  }
  return { share, explained };
}

/** Cosines among the columns of a column-normalised matrix, k × k row-major. */
function gramOfColumns(U: DenseMatrix): Float64Array {
  const { rows: m, cols: k, data } = U;
  const G = new Float64Array(k * k);
  for (let i = 0; i < m; i++) {
    for (let a = 0; a < k; a++) {
      const x = data[i * k + a];
      if (x === 0) continue;
      for (let b = 0; b < k; b++) G[a * k + b] += x * data[i * k + b];
    }
  }
  return G;
}

/**
 * How the components of a larger rank descend from those of a smaller one (meant for k → k + 1,
 * works for any two ranks on the same features). Most-similar-parent maps (each child takes its
 * most similar parent) call anything a split: a noise component at k + 1 is 0.3–0.4 similar to
 * every module, so it becomes a "child" of one of them. Here descent is read from non-negative
 * least-squares reconstructions in both directions, on unit-normalised W columns:
 *  - every parent is reconstructed from all children (NNLS), and every child from all parents;
 *  - child c descends from parent p when c carries at least `minShare` of p's reconstruction,
 *    p carries at least `minShare` of c's, and their cosine is at least `minSimilarity`. When a
 *    module splits in two, the parent is the sum of its two children (each a large share of it)
 *    and each child lies inside the parent (the parent all of its reconstruction); a noise
 *    component takes no share of a parent that the parent's own match already reconstructs;
 *  - a parent with two or more children split; a child with two or more parents is a merge of
 *    them; a parent with no child is lost; a child with no parent is new.
 * Each parent also reports `explained`, the cosine between it and its reconstruction from the
 * larger rank. Deterministic; no random choice.
 *
 * @param Wk m × k, the smaller rank
 * @param Wk1 m × k', the larger rank
 */
export function splitMergeMap(
  Wk: DenseMatrix,
  Wk1: DenseMatrix,
  options: SplitMergeOptions = {},
): SplitMergeMap {
  if (Wk.rows !== Wk1.rows)
    throw new RangeError(`runs have different feature counts: ${Wk.rows} vs ${Wk1.rows}`);
  const metric = options.metric ?? 'cosine';
  const minShare = options.minShare ?? 0.2;
  const minSimilarity = options.minSimilarity ?? 0.3;
  const minExplained = options.minExplained ?? 0.7;
  const parentsUnit = normalizeColumns(Wk);
  const childrenUnit = normalizeColumns(Wk1);
  const k = Wk.cols;
  const kChild = Wk1.cols;
  // Cosines of the non-negative loadings, parent × child and child × parent.
  const cosine = componentSimilarity(parentsUnit, childrenUnit, 'cosine');
  const childCross = Array.from({ length: kChild }, (_, c) => cosine.map((row) => row[c]));
  const reported = metric === 'cosine' ? childCross : componentSimilarity(childrenUnit, parentsUnit, metric);
  const fromChildren = reconstructionShares(cosine, gramOfColumns(childrenUnit), kChild);
  const fromParents = reconstructionShares(childCross, gramOfColumns(parentsUnit), k);

  // Candidate links by shares and similarity. A link then stands only if the parent is explained
  // by its linked children (a split, or a match) or the child by its linked parents (a merge, of
  // which each parent is only a part), so that a component which merely overlaps a parent that
  // vanished is not taken for its descendant.
  const linked = (p: number, c: number): boolean =>
    fromChildren.share[p][c] >= minShare &&
    fromParents.share[c][p] >= minShare &&
    cosine[p][c] >= minSimilarity;
  const candidatesOf = Array.from({ length: k }, (_, p) =>
    Array.from({ length: kChild }, (_, c) => c).filter((c) => linked(p, c)),
  );
  const candidateParentsOf = Array.from({ length: kChild }, (_, c) =>
    Array.from({ length: k }, (_, p) => p).filter((p) => linked(p, c)),
  );
  const explainedBy = (shares: readonly number[], explained: number, members: readonly number[]): number =>
    explained * Math.sqrt(members.reduce((sum, t) => sum + shares[t], 0));
  const parentExplained = candidatesOf.map((list, p) =>
    explainedBy(fromChildren.share[p], fromChildren.explained[p], list),
  );
  const childExplained = candidateParentsOf.map((list, c) =>
    explainedBy(fromParents.share[c], fromParents.explained[c], list),
  );
  const childrenOf = candidatesOf.map((list, p) =>
    list.filter((c) => parentExplained[p] >= minExplained || childExplained[c] >= minExplained),
  );
  const parentsOf: number[][] = Array.from({ length: kChild }, () => []);
  for (let p = 0; p < k; p++) for (const c of childrenOf[p]) parentsOf[c].push(p);
  const children: SplitMergeEntry[] = parentsOf.map((parents, child) => {
    const row = reported[child] ?? [];
    let parent = 0;
    for (let p = 1; p < row.length; p++) if (row[p] > row[parent]) parent = p;
    const split = parents.some((p) => childrenOf[p].length > 1);
    const merge = parents.length > 1;
    const kind: DescentKind = merge ? 'merge' : split ? 'split' : parents.length === 1 ? 'match' : 'new';
    return { child, parent, similarity: row.length > 0 ? row[parent] : NaN, parents, kind, split, merge };
  });
  const parents: ParentDescent[] = childrenOf.map((list, parent) => ({
    parent,
    children: list,
    explained: fromChildren.explained[parent],
  }));
  return { children, parents, lost: parents.filter((p) => p.children.length === 0).map((p) => p.parent) };
}
