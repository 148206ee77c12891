import type { DenseMatrix } from '../linalg/matrix';
import { alignComponents } from './alignment';

/**
 * Reproducibility of a rank's components over independent fits: for every pair of fits, the
 * components are matched one to one (Hungarian matching on the cosine of W's columns) and the
 * matched cosines averaged; the result is the mean over all R(R − 1)/2 pairs. Every pair counts,
 * not only the pairs with one reference fit, so a single odd fit lowers the score by its share and
 * no fit is privileged. Read it against the same score on the row-shuffled baseline: fits of
 * structureless data can agree closely too (on shuffled 300 × 100 counts, warm-started fits
 * reached 0.99), so no fixed cut-off such as 0.9 separates stable from unstable.
 *
 * @param fits each m × k (any column scaling; cosine ignores it)
 * @returns mean matched cosine in [0, 1], or null with fewer than two fits
 */
export function pairwiseStability(fits: readonly DenseMatrix[]): number | null {
  if (fits.length < 2) return null;
  let sum = 0;
  let pairs = 0;
  for (let a = 0; a < fits.length; a++) {
    for (let b = a + 1; b < fits.length; b++) {
      const { matches } = alignComponents(fits[a], fits[b], 'cosine');
      if (matches.length === 0) continue;
      let total = 0;
      for (const match of matches) total += match.similarity;
      sum += total / matches.length;
      pairs++;
    }
  }
  return pairs > 0 ? sum / pairs : null;
}
