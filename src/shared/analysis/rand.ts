/** n choose 2. */
function pairs(n: number): number {
  return (n * (n - 1)) / 2;
}

/**
 * Adjusted Rand index of two labelings of the same items (Hubert & Arabie 1985, J. Classif. 2:193):
 * (Σ_ij C(n_ij, 2) − E) / (½(Σ_i C(a_i, 2) + Σ_j C(b_j, 2)) − E), with E = Σ_i C(a_i, 2)·Σ_j C(b_j, 2) / C(n, 2),
 * over the contingency table n_ij. 1 for identical partitions (up to renaming), about 0 for
 * independent ones, negative below chance. As scikit-learn's `adjusted_rand_score`, the degenerate
 * cases where the denominator vanishes (both labelings a single cluster, or both all singletons)
 * score 1.
 *
 * @param truth length n, any integer labels
 * @param predicted length n, any integer labels
 */
export function adjustedRandIndex(truth: readonly number[], predicted: readonly number[]): number {
  const n = truth.length;
  if (predicted.length !== n) throw new RangeError(`labelings differ in length: ${n} vs ${predicted.length}`);
  const table = new Map<string, number>();
  const rowSums = new Map<number, number>();
  const colSums = new Map<number, number>();
  for (let t = 0; t < n; t++) {
    const key = `${truth[t]}\u0000${predicted[t]}`;
    table.set(key, (table.get(key) ?? 0) + 1);
    rowSums.set(truth[t], (rowSums.get(truth[t]) ?? 0) + 1);
    colSums.set(predicted[t], (colSums.get(predicted[t]) ?? 0) + 1);
  }
  let index = 0;
  for (const count of table.values()) index += pairs(count);
  let sumA = 0;
  for (const count of rowSums.values()) sumA += pairs(count);
  let sumB = 0;
  for (const count of colSums.values()) sumB += pairs(count);
  const total = pairs(n);
  const expected = total > 0 ? (sumA * sumB) / total : 0;
  const maximum = (sumA + sumB) / 2;
  if (maximum === expected) return 1;
  return (index - expected) / (maximum - expected);
}
