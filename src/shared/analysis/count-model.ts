import type { DataMatrix, DenseMatrix } from '../linalg/matrix';

/**
 * Checks of whether a Poisson count model — the one the KL loss, its log-likelihood and BIC rest
 * on — describes the data: are the values integers at all, and are they about as variable around
 * the fit as Poisson counts would be.
 */

/** Whether every observed (non-NaN) entry of V is an integer. CSR: only stored entries are checked (absent = 0). */
export function isIntegerData(V: DataMatrix): boolean {
  for (let t = 0; t < V.data.length; t++) {
    const v = V.data[t];
    if (!Number.isNaN(v) && !Number.isInteger(v)) return false;
  }
  return true;
}

/**
 * Pearson's dispersion statistic of a fit (McCullagh & Nelder 1989, §4.5): φ = Σ (v − μ)² / μ over
 * the observed entries with μ = (W·H)_ij > 0, divided by the residual degrees of freedom
 * N − k(m + n − k) (N observed entries; k(m + n − k) free parameters of a rank-k factorisation).
 * φ ≈ 1 when V is Poisson around W·H; overdispersed counts (negative binomial with size r at mean
 * μ give φ ≈ 1 + μ/r) and intensities that are not counts give φ far from 1, and then the Poisson
 * likelihood — and BIC built on it — overstates how much each extra component explains.
 *
 * @param V m × n (missing entries NaN)
 * @param W m × k
 * @param H k × n
 * @returns φ, or null when there are no residual degrees of freedom
 */
export function pearsonDispersion(V: DataMatrix, W: DenseMatrix, H: DenseMatrix): number | null {
  const { rows: m, cols: n } = V;
  const k = W.cols;
  // Row i's means μ_i· = W_i· H, built a component at a time (H read along its rows, not down its
  // columns at a stride of n): each μ_ij is still 0 + W_i0·H_0j + W_i1·H_1j + … in the order a
  // per-entry dot product adds them, and the sum below runs over the entries in the same row-major
  // order, so φ keeps its bits. On 2000 × 20 000 counts at k = 6 the strided form took ~1 s.
  const mu = new Float64Array(n);
  let sum = 0;
  let observed = 0;
  for (let i = 0; i < m; i++) {
    mu.fill(0);
    for (let a = 0; a < k; a++) {
      const w = W.data[i * k + a];
      const row = a * n;
      for (let j = 0; j < n; j++) mu[j] += w * H.data[row + j];
    }
    let q = V.kind === 'csr' ? V.indptr[i] : 0;
    const end = V.kind === 'csr' ? V.indptr[i + 1] : 0;
    for (let j = 0; j < n; j++) {
      let v: number;
      if (V.kind === 'dense') v = V.data[i * n + j];
      else {
        v = q < end && V.indices[q] === j ? V.data[q++] : 0;
      }
      if (Number.isNaN(v)) continue;
      observed++;
      const mean = mu[j];
      if (mean > 0) sum += ((v - mean) * (v - mean)) / mean;
    }
  }
  const freedom = observed - k * (m + n - k);
  return freedom > 0 ? sum / freedom : null;
}
