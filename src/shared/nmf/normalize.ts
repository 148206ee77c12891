import { dense, type DenseMatrix } from '../linalg/matrix';

/** Result of `normalizeFactors`. */
export interface NormalizedFactors {
  /** m × k, every non-zero column of unit norm. */
  W: DenseMatrix;
  /** k × n, row t multiplied by scales[t]. */
  H: DenseMatrix;
  /** k norms of W's columns before scaling (0 for an all-zero column). */
  scales: Float64Array;
}

/**
 * Rescales a factorisation without changing W·H, so components can be read and compared.
 *
 * Conventions:
 *  - scale: s_t = ‖W[:, t]‖₁ (`'l1'`, column sums for non-negative W) or ‖W[:, t]‖₂ (`'l2'`);
 *    W[:, t] ← W[:, t] / s_t and H[t, :] ← s_t · H[t, :], so (WH) is unchanged up to rounding.
 *  - an all-zero column (s_t = 0) is left as it is, with its H row untouched, and reports scale 0.
 *  - components keep their order: no sorting or permutation happens here (aligning components of
 *    different runs is the analysis layer's job).
 *  - inputs are not modified.
 *
 * @param W m × k
 * @param H k × n
 */
export function normalizeFactors(W: DenseMatrix, H: DenseMatrix, norm: 'l1' | 'l2'): NormalizedFactors {
  if (W.cols !== H.rows) throw new RangeError(`W is ${W.rows} × ${W.cols} but H is ${H.rows} × ${H.cols}`);
  if (norm !== 'l1' && norm !== 'l2') throw new RangeError(`unknown norm '${String(norm)}' (use l1 or l2)`);
  const m = W.rows;
  const k = W.cols;
  const n = H.cols;
  const scales = new Float64Array(k);
  for (let i = 0; i < m; i++) {
    for (let t = 0; t < k; t++) {
      const w = W.data[i * k + t];
      scales[t] += norm === 'l1' ? Math.abs(w) : w * w;
    }
  }
  if (norm === 'l2') for (let t = 0; t < k; t++) scales[t] = Math.sqrt(scales[t]);
  const Wn = Float64Array.from(W.data);
  const Hn = Float64Array.from(H.data);
  for (let t = 0; t < k; t++) {
    const s = scales[t];
    if (s === 0) continue;
    for (let i = 0; i < m; i++) Wn[i * k + t] /= s;
    for (let j = 0; j < n; j++) Hn[t * n + j] *= s;
  }
  return { W: dense(m, k, Wn), H: dense(k, n, Hn), scales };
}
