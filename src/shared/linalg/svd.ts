import type { DataMatrix } from './matrix';
import { Rng } from './random';

/** Thin SVD A ≈ U·diag(S)·Vᵀ: U is rows × r, S has r values (descending), V is cols × r, all row-major. */
export interface ThinSvd {
  U: Float64Array;
  S: Float64Array;
  V: Float64Array;
  rows: number;
  cols: number;
  rank: number;
}

/**
 * out (m × l) = A · X for A (m × n, dense or CSR) and X (n × l). NaN entries of A count as 0.
 * Four output columns are accumulated in locals per pass over a row (register blocking).
 */
export function dataTimes(A: DataMatrix, X: Float64Array, l: number, out: Float64Array): void {
  const m = A.rows;
  const n = A.cols;
  if (A.kind === 'dense') {
    for (let i = 0; i < m; i++) gatherRow(null, A.data, i * n, i * n + n, X, l, out, i * l);
  } else {
    for (let i = 0; i < m; i++) gatherRow(A.indices, A.data, A.indptr[i], A.indptr[i + 1], X, l, out, i * l);
  }
}

/** out (n × l) = Aᵀ · Y for A (m × n, dense or CSR) and Y (m × l). NaN entries of A count as 0. */
export function dataTransposeTimes(A: DataMatrix, Y: Float64Array, l: number, out: Float64Array): void {
  const m = A.rows;
  const n = A.cols;
  out.fill(0, 0, n * l);
  if (A.kind === 'dense') {
    for (let i = 0; i < m; i++) scatterRowInto(null, A.data, i * n, i * n + n, Y, i * l, l, out);
  } else {
    for (let i = 0; i < m; i++)
      scatterRowInto(A.indices, A.data, A.indptr[i], A.indptr[i + 1], Y, i * l, l, out);
  }
}

/**
 * out[oi + t] = Σ_p a[p] · X[col(p)·l + t] over p ∈ [start, end), where col(p) is `indices[p]` for a
 * CSR row or `p − start` for a dense row (indices = null).
 */
function gatherRow(
  indices: Int32Array | null,
  a: Float64Array,
  start: number,
  end: number,
  X: Float64Array,
  l: number,
  out: Float64Array,
  oi: number,
): void {
  let t = 0;
  for (; t + 4 <= l; t += 4) {
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    for (let p = start; p < end; p++) {
      const v = a[p];
      if (v === 0 || v !== v) continue;
      const x = (indices === null ? p - start : indices[p]) * l + t;
      a0 += v * X[x];
      a1 += v * X[x + 1];
      a2 += v * X[x + 2];
      a3 += v * X[x + 3];
    }
    out[oi + t] = a0;
    out[oi + t + 1] = a1;
    out[oi + t + 2] = a2;
    out[oi + t + 3] = a3;
  }
  for (; t < l; t++) {
    let a0 = 0;
    for (let p = start; p < end; p++) {
      const v = a[p];
      if (v === 0 || v !== v) continue;
      a0 += v * X[(indices === null ? p - start : indices[p]) * l + t];
    }
    out[oi + t] = a0;
  }
}

/** out[col(p)·l + t] += a[p] · Y[yi + t] over p ∈ [start, end): the transpose of `gatherRow`. */
function scatterRowInto(
  indices: Int32Array | null,
  a: Float64Array,
  start: number,
  end: number,
  Y: Float64Array,
  yi: number,
  l: number,
  out: Float64Array,
): void {
  let t = 0;
  for (; t + 4 <= l; t += 4) {
    const y0 = Y[yi + t];
    const y1 = Y[yi + t + 1];
    const y2 = Y[yi + t + 2];
    const y3 = Y[yi + t + 3];
    for (let p = start; p < end; p++) {
      const v = a[p];
      if (v === 0 || v !== v) continue;
      const o = (indices === null ? p - start : indices[p]) * l + t;
      out[o] += v * y0;
      out[o + 1] += v * y1;
      out[o + 2] += v * y2;
      out[o + 3] += v * y3;
    }
  }
  for (; t < l; t++) {
    const y0 = Y[yi + t];
    for (let p = start; p < end; p++) {
      const v = a[p];
      if (v === 0 || v !== v) continue;
      out[(indices === null ? p - start : indices[p]) * l + t] += v * y0;
    }
  }
}

/**
 * Orthonormalises the l columns of Q (rows × l, row-major) in place by modified Gram–Schmidt,
 * done twice ("twice is enough", Giraud et al. 2005) for orthogonality to working precision.
 * A column that vanishes (rank deficiency) is left as zeros.
 *
 * The columns are copied out to contiguous rows first (row-major Q makes every column a stride-l
 * walk) and back at the end: the same operations in the same order, so the same bits, at a
 * fraction of the memory traffic.
 */
export function orthonormalizeColumns(Q: Float64Array, rows: number, l: number): void {
  const C = new Float64Array(rows * l); // l × rows: column c of Q at C[c·rows …)
  for (let i = 0; i < rows; i++) for (let c = 0; c < l; c++) C[c * rows + i] = Q[i * l + c];
  for (let pass = 0; pass < 2; pass++) {
    for (let c = 0; c < l; c++) {
      const oc = c * rows;
      for (let p = 0; p < c; p++) {
        const op = p * rows;
        let dot = 0;
        for (let i = 0; i < rows; i++) dot += C[op + i] * C[oc + i];
        if (dot === 0) continue;
        for (let i = 0; i < rows; i++) C[oc + i] -= dot * C[op + i];
      }
      let norm = 0;
      for (let i = 0; i < rows; i++) norm += C[oc + i] * C[oc + i];
      norm = Math.sqrt(norm);
      const scale = norm > 0 ? 1 / norm : 0;
      for (let i = 0; i < rows; i++) C[oc + i] *= scale;
    }
  }
  for (let i = 0; i < rows; i++) for (let c = 0; c < l; c++) Q[i * l + c] = C[c * rows + i];
}

/**
 * SVD of a tall matrix C (rows × cols, rows ≥ cols, row-major) by one-sided Jacobi rotations
 * (Hestenes 1958; Demmel & Veselić 1992), accurate to working precision in every singular value.
 * Returns singular values descending, with U (rows × cols) and V (cols × cols). C is not modified
 * unless `overwriteInput`.
 *
 * The columns of A (and of the rotations' product V) are worked on as contiguous rows of a
 * transposed copy (column c at c·rows): every pair's three dot products and its rotation walk two
 * contiguous arrays instead of two stride-`cols` columns. The operations and their order are the
 * row-major loop's, so the bits are too (a 500 × 18 SVD of the NMF start: 3.3 → about 1 ms).
 * `sweeps`: the rotations (`jacobiSweeps`, or an implementation with its bits: the NMF start
 * passes the engine's native kernel). `overwriteInput`: U is written over C (which the rotations
 * no longer read once it is copied), so a caller done with C holds one rows × cols array fewer
 * while the SVD runs; the values are the same.
 */
export function jacobiSvd(
  C: Float64Array,
  rows: number,
  cols: number,
  sweeps: (At: Float64Array, Vt: Float64Array, rows: number, cols: number) => void = jacobiSweeps,
  overwriteInput = false,
): ThinSvd {
  // At: cols × rows, column c of A at At[c·rows …); Vt: cols × cols, column c of V at Vt[c·cols …).
  const At = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let c = 0; c < cols; c++) At[c * rows + i] = C[i * cols + c];
  const Vt = new Float64Array(cols * cols);
  for (let c = 0; c < cols; c++) Vt[c * cols + c] = 1;
  sweeps(At, Vt, rows, cols);
  const norms = new Float64Array(cols);
  for (let c = 0; c < cols; c++) {
    let s = 0;
    for (let i = 0; i < rows; i++) s += At[c * rows + i] * At[c * rows + i];
    norms[c] = Math.sqrt(s);
  }
  const order = Array.from({ length: cols }, (_, c) => c).sort((a, b) => norms[b] - norms[a] || a - b);
  const U = overwriteInput ? C : new Float64Array(rows * cols);
  const S = new Float64Array(cols);
  const Vs = new Float64Array(cols * cols);
  order.forEach((c, r) => {
    S[r] = norms[c];
    const inv = norms[c] > 0 ? 1 / norms[c] : 0;
    for (let i = 0; i < rows; i++) U[i * cols + r] = At[c * rows + i] * inv;
    for (let i = 0; i < cols; i++) Vs[i * cols + r] = Vt[c * cols + i];
  });
  return { U, S, V: Vs, rows, cols, rank: cols };
}

/**
 * The sweeps of `jacobiSvd` on At (cols × rows: column c of A at At[c·rows …)) and Vt (cols × cols,
 * column c of V at Vt[c·cols …)), in place: every pair of columns rotated to orthogonality
 * (Hestenes), sweep after sweep until one rotates nothing (at most 60). The reference of
 * `NmfKernels.jacobiSweeps`, whose native version (native/src/jacobi.inl) has the same bits.
 */
export function jacobiSweeps(At: Float64Array, Vt: Float64Array, rows: number, cols: number): void {
  const tol = 1e-15;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < cols - 1; p++) {
      const op = p * rows;
      for (let q = p + 1; q < cols; q++) {
        const oq = q * rows;
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < rows; i++) {
          const ap = At[op + i];
          const aq = At[oq + i];
          alpha += ap * ap;
          beta += aq * aq;
          gamma += ap * aq;
        }
        if (gamma === 0 || Math.abs(gamma) <= tol * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        rotate(At, op, oq, rows, c, s);
        rotate(Vt, p * cols, q * cols, cols, c, s);
      }
    }
    if (!rotated) break;
  }
}

/** x ← c·x − s·y, y ← s·x + c·y over x = M[ox …), y = M[oy …), `length` entries: one Jacobi rotation. */
function rotate(M: Float64Array, ox: number, oy: number, length: number, c: number, s: number): void {
  for (let i = 0; i < length; i++) {
    const x = M[ox + i];
    const y = M[oy + i];
    M[ox + i] = c * x - s * y;
    M[oy + i] = s * x + c * y;
  }
}

/**
 * The two products with A that the randomized SVD needs, for A (m × n). `times`: out (m × l) = A·X
 * for X (n × l); `transposeTimes`: out (n × l) = Aᵀ·Y for Y (m × l); both row-major, out
 * overwritten. Each output entry must be the sum over A's stored entries in index order, skipping
 * zeros and NaN (as `dataTimes` / `dataTransposeTimes` do), so any implementation gives the same bits.
 */
export interface SvdProducts {
  times(X: Float64Array, l: number, out: Float64Array): void;
  transposeTimes(Y: Float64Array, l: number, out: Float64Array): void;
  /**
   * `orthonormalizeColumns` with the same bits (the engine's native kernel); default that function.
   * It runs after every product, and on small data it costs more than the products.
   */
  orthonormalize?(Q: Float64Array, rows: number, l: number): void;
  /** `jacobiSweeps` with the same bits (the engine's native kernel); default that function. */
  jacobiSweeps?(At: Float64Array, Vt: Float64Array, rows: number, cols: number): void;
}

/** The products of `dataTimes` / `dataTransposeTimes` (plain JavaScript, any sign of A). */
export function plainProducts(A: DataMatrix): SvdProducts {
  return {
    times: (X, l, out) => dataTimes(A, X, l, out),
    transposeTimes: (Y, l, out) => dataTransposeTimes(A, Y, l, out),
  };
}

/** Options of `randomizedSvd`. */
export interface RandomizedSvdOptions {
  /**
   * The products with A: default `plainProducts(A)`. The NMF start passes the engine's native or
   * WebAssembly products (same sums in the same order, so the same bits, for non-negative A).
   */
  products?: SvdProducts;
  /** Extra random directions beyond the rank (Halko et al. recommend 5–10). Default 10. */
  oversamples?: number;
  /** Power iterations at most; default as scikit-learn's 'auto': 7 if rank < 0.1·min(m, n), else 4. */
  powerIterations?: number;
  /**
   * Stop the power iterations early once the span of the basis's first `rank` columns has
   * converged to this tolerance (its estimated remaining change, from `leadingSubspaceChange`
   * and the last two steps' ratio); 0 runs them all. Default `POWER_ITERATION_TOLERANCE`.
   */
  tolerance?: number;
  /** Seed of the Gaussian test matrix. Default 0. */
  seed?: number;
}

/**
 * Default `RandomizedSvdOptions.tolerance`: the power iterations stop once the leading subspace's
 * basis is estimated to move by less than this, far below what a start or an oracle can see
 * (the NNDSVD starts are pinned to scikit-learn's at 1e-6), so stopping there changes only the
 * last bits of starts that would otherwise have run more iterations.
 */
export const POWER_ITERATION_TOLERANCE = 1e-13;

/**
 * How far the span of the first k columns moved between two orthonormal bases P and B (rows × l
 * each, row-major, k ≤ l): ‖(I − P_k P_kᵀ) B_k‖_F, the root of the sum of the squared sines of
 * the principal angles between span(P_k) and span(B_k) (Björck & Golub 1973), so an upper bound of
 * the largest. Gram–Schmidt keeps the spans nested, span(Q_t[:, :k]) = span((AAᵀ)^t·AΩ[:, :k]), so
 * this converges at the rate σ_{k+1}/σ_k per power iteration: it settles only where the spectrum
 * has a gap at k, and where it has not it keeps every iteration (the range of all l columns, which
 * the SVD of QᵀA uses, then converges at least as fast). Cost 2·rows·k².
 */
export function leadingSubspaceChange(
  P: Float64Array,
  B: Float64Array,
  rows: number,
  l: number,
  k: number,
): number {
  // M = P_kᵀ B_k (k × k)
  const M = new Float64Array(k * k);
  for (let i = 0; i < rows; i++) {
    const pi = i * l;
    for (let a = 0; a < k; a++) {
      const p = P[pi + a];
      if (p === 0) continue;
      const ma = a * k;
      for (let b = 0; b < k; b++) M[ma + b] += p * B[pi + b];
    }
  }
  // ‖B_k − P_k M‖_F², row by row.
  let sum = 0;
  for (let i = 0; i < rows; i++) {
    const pi = i * l;
    for (let b = 0; b < k; b++) {
      let r = B[pi + b];
      for (let a = 0; a < k; a++) r -= P[pi + a] * M[a * k + b];
      sum += r * r;
    }
  }
  return Math.sqrt(sum);
}

/**
 * Truncated SVD of A (m × n, dense or CSR; NaN counts as 0) by the randomized range finder with
 * power iterations (Halko, Martinsson & Tropp 2011, Algorithms 4.4 and 5.1), re-orthonormalising
 * after every product. When rank + oversamples reaches min(m, n) the range is the whole space and
 * the result is the exact SVD. Cost ∝ (2·powerIterations + 2)·nnz·(rank + oversamples) at most:
 * the iterations stop early once the span of the first `rank` columns of Q has converged
 * (`tolerance`; watched on whichever of Q and Z has fewer rows, from the second iteration on), which
 * on data with a clear gap after the rank saves most of them and elsewhere changes nothing.
 * Signs follow scikit-learn's `svd_flip`: the largest-magnitude entry of each U column is positive.
 */
export function randomizedSvd(A: DataMatrix, rank: number, options: RandomizedSvdOptions = {}): ThinSvd {
  const m = A.rows;
  const n = A.cols;
  const smaller = Math.min(m, n);
  if (!Number.isInteger(rank) || rank < 1 || rank > smaller) {
    throw new RangeError(`SVD rank ${rank} must be between 1 and min(m, n) = ${smaller}`);
  }
  const l = Math.min(rank + (options.oversamples ?? 10), smaller);
  const iterations = options.powerIterations ?? (rank < 0.1 * smaller ? 7 : 4);
  const rng = new Rng(options.seed ?? 0);
  const {
    times,
    transposeTimes,
    orthonormalize = orthonormalizeColumns,
    jacobiSweeps: sweeps = jacobiSweeps,
  } = options.products ?? plainProducts(A);
  // The Gaussian test matrix Ω (n × l) is read once, by the first product, and Z (n × l) is first
  // written by the power iteration's Aᵀ·Q after it: one array holds both (at 10⁶ samples and
  // l = 30 that is 240 MB less for the whole start; same values, so the same bits).
  const Z = new Float64Array(n * l);
  for (let q = 0; q < Z.length; q++) Z[q] = rng.normal();
  const Q = new Float64Array(m * l);
  times(Z, l, Q);
  orthonormalize(Q, m, l);
  // Convergence is watched on the basis of the smaller side (Q: m × l or Z: n × l), the cheaper.
  const tolerance = options.tolerance ?? POWER_ITERATION_TOLERANCE;
  const watchQ = m <= n;
  const watchedRows = watchQ ? m : n;
  const previous = tolerance > 0 ? new Float64Array(watchedRows * l) : null;
  let lastChange = NaN;
  for (let it = 0; it < iterations; it++) {
    transposeTimes(Q, l, Z);
    orthonormalize(Z, n, l);
    times(Z, l, Q);
    orthonormalize(Q, m, l);
    if (previous === null || it === iterations - 1) continue;
    const watched = watchQ ? Q : Z;
    if (it > 0) {
      const change = leadingSubspaceChange(previous, watched, watchedRows, l, rank);
      if (change === 0) break;
      // Geometric convergence: what is left is about change·ρ/(1 − ρ), ρ the last step's ratio.
      const ratio = change / lastChange;
      if (ratio < 1 && (change * ratio) / (1 - ratio) <= tolerance) break;
      lastChange = change;
    }
    previous.set(watched);
  }
  // B = Qᵀ A (l × n); take the SVD of its transpose C = Aᵀ Q (n × l, tall): C = Uc Σ Vcᵀ, so
  // A ≈ Q B = (Q Vc) Σ Ucᵀ.
  transposeTimes(Q, l, Z);
  // Z is not read again: its SVD's U (n × l) is written over it.
  const small = jacobiSvd(Z, n, l, sweeps, true);
  const U = new Float64Array(m * rank);
  const V = new Float64Array(n * rank);
  const S = small.S.slice(0, rank);
  // U = Q · Vc[:, :rank], row by row, with Vc's first rank columns as contiguous rows (Vct: rank × l):
  // each entry is still Σ_c Q[i, c]·Vc[c, r] added in c order, as the column-by-column loop added it.
  const Vct = new Float64Array(rank * l);
  for (let r = 0; r < rank; r++) for (let c = 0; c < l; c++) Vct[r * l + c] = small.V[c * l + r];
  for (let i = 0; i < m; i++) {
    const qi = i * l;
    for (let r = 0; r < rank; r++) {
      const vr = r * l;
      let s = 0;
      for (let c = 0; c < l; c++) s += Q[qi + c] * Vct[vr + c];
      U[i * rank + r] = s;
    }
  }
  for (let r = 0; r < rank; r++) {
    for (let j = 0; j < n; j++) V[j * rank + r] = small.U[j * l + r];
    let big = 0;
    for (let i = 0; i < m; i++) if (Math.abs(U[i * rank + r]) > Math.abs(big)) big = U[i * rank + r];
    if (big < 0) {
      for (let i = 0; i < m; i++) U[i * rank + r] = -U[i * rank + r];
      for (let j = 0; j < n; j++) V[j * rank + r] = -V[j * rank + r];
    }
  }
  return { U, S, V, rows: m, cols: n, rank };
}
