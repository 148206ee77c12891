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

/**
 * {@link adjustedRandIndex} of the labelings whose contingency table is `table` (table[i][j]: items
 * labelled i by the one and j by the other), the same number: every sum is of the integers
 * C(n_ij, 2), C(a_i, 2), C(b_j, 2), each at most C(n, 2), so it is exact in any order while C(n, 2)
 * < 2⁵³ (n below 1.3·10⁸) and the final divisions see the same operands. One pass over the table
 * rather than a string key a sample (~0.5 s at 10⁶ samples).
 */
export function adjustedRandIndexOfTable(table: ReadonlyArray<readonly number[]>): number {
  let n = 0;
  let index = 0;
  let sumA = 0;
  const columnSums: number[] = [];
  for (const row of table) {
    let rowSum = 0;
    row.forEach((count, j) => {
      index += pairs(count);
      rowSum += count;
      columnSums[j] = (columnSums[j] ?? 0) + count;
    });
    sumA += pairs(rowSum);
    n += rowSum;
  }
  let sumB = 0;
  for (const sum of columnSums) sumB += pairs(sum ?? 0);
  const total = pairs(n);
  const expected = total > 0 ? (sumA * sumB) / total : 0;
  const maximum = (sumA + sumB) / 2;
  if (maximum === expected) return 1;
  return (index - expected) / (maximum - expected);
}
