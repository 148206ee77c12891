/**
 * Hot loops of the NMF solvers, over plain Float64Array buffers and explicit dimensions so a
 * WebAssembly (SIMD) build can replace any of them one for one without touching solver logic.
 *
 * Layout conventions (all row-major):
 *   V   m × n   dense data, or CSR (indptr: m+1, indices/data: nnz). NaN marks a missing entry.
 *   W   m × k   loadings
 *   Ht  n × k   Hᵀ: the solvers keep H transposed so that column j of H is the contiguous row
 *               `Ht[j·k .. j·k+k)` and (WH)_ij = W_i · Ht_j is a dot product of two contiguous rows.
 *
 * None of the kernels allocate. None forms an m × n temporary: every pass over V computes (WH)_ij on
 * the fly and folds it straight into k-vectors, row by row (the fused scheme of scikit-learn's
 * sparse path, applied to dense V as well).
 *
 * Entries of V that are zero or NaN contribute nothing to any numerator (for every β the numerator
 * term is V_ij · f(WH_ij), and a missing entry is excluded), so the numerator loops skip them with
 * one test, `!(v > 0)`, which is true for both 0 and NaN.
 */

/** float32 machine epsilon, scikit-learn's `EPSILON`: substituted for exact zeros. */
export const EPS32 = 1.1920928955078125e-7;
/** float64 machine epsilon: MU sets factor entries below it to zero (scikit-learn 1.2). */
export const EPS64 = 2.220446049250313e-16;

/**
 * Codes for x^e with the exponents numpy evaluates by a fast path (`x**0.5` is `sqrt`, `x**2` is
 * `x*x`, `x**-1` is `1/x`, `x**1` is `x`), so our rounding follows scikit-learn's where it can.
 */
export const Pow = { General: 0, One: 1, Square: 2, Sqrt: 3, Reciprocal: 4, Zero: 5 } as const;
export type PowCode = (typeof Pow)[keyof typeof Pow];

export function powCode(e: number): PowCode {
  if (e === 1) return Pow.One;
  if (e === 2) return Pow.Square;
  if (e === 0.5) return Pow.Sqrt;
  if (e === -1) return Pow.Reciprocal;
  if (e === 0) return Pow.Zero;
  return Pow.General;
}

/** x^e evaluated the way numpy does for the exponent's code. */
export function powBy(x: number, e: number, code: PowCode): number {
  switch (code) {
    case Pow.One:
      return x;
    case Pow.Square:
      return x * x;
    case Pow.Sqrt:
      return Math.sqrt(x);
    case Pow.Reciprocal:
      return 1 / x;
    case Pow.Zero:
      return 1;
    default:
      return Math.pow(x, e);
  }
}

// ---------------------------------------------------------------------------------------------
// Products with V

/** out (m × k) = V · F for dense V (m × n) and F (n × k); NaN entries of V count as 0. out is overwritten. */
export function denseTimes(
  V: Float64Array,
  m: number,
  n: number,
  F: Float64Array,
  k: number,
  out: Float64Array,
): void {
  out.fill(0, 0, m * k);
  for (let i = 0; i < m; i++) {
    const vi = i * n;
    const oi = i * k;
    for (let j = 0; j < n; j++) {
      const v = V[vi + j];
      if (!(v > 0)) continue;
      const fj = j * k;
      for (let t = 0; t < k; t++) out[oi + t] += v * F[fj + t];
    }
  }
}

/** out (n × k) = Vᵀ · W for dense V (m × n) and W (m × k); NaN entries of V count as 0. out is overwritten. */
export function denseTransposeTimes(
  V: Float64Array,
  m: number,
  n: number,
  W: Float64Array,
  k: number,
  out: Float64Array,
): void {
  out.fill(0, 0, n * k);
  for (let i = 0; i < m; i++) {
    const vi = i * n;
    const wi = i * k;
    for (let j = 0; j < n; j++) {
      const v = V[vi + j];
      if (!(v > 0)) continue;
      const oj = j * k;
      for (let t = 0; t < k; t++) out[oj + t] += v * W[wi + t];
    }
  }
}

/** out (m × k) = V · F for CSR V (m × n) and F (n × k); stored NaN count as 0. Cost nnz·k. */
export function csrTimes(
  indptr: Int32Array,
  indices: Int32Array,
  data: Float64Array,
  m: number,
  F: Float64Array,
  k: number,
  out: Float64Array,
): void {
  out.fill(0, 0, m * k);
  for (let i = 0; i < m; i++) {
    const oi = i * k;
    for (let p = indptr[i], end = indptr[i + 1]; p < end; p++) {
      const v = data[p];
      if (!(v > 0)) continue;
      const fj = indices[p] * k;
      for (let t = 0; t < k; t++) out[oi + t] += v * F[fj + t];
    }
  }
}

/** out (n × k) = Vᵀ · W for CSR V (m × n) and W (m × k); stored NaN count as 0. Cost nnz·k. */
export function csrTransposeTimes(
  indptr: Int32Array,
  indices: Int32Array,
  data: Float64Array,
  m: number,
  n: number,
  W: Float64Array,
  k: number,
  out: Float64Array,
): void {
  out.fill(0, 0, n * k);
  for (let i = 0; i < m; i++) {
    const wi = i * k;
    for (let p = indptr[i], end = indptr[i + 1]; p < end; p++) {
      const v = data[p];
      if (!(v > 0)) continue;
      const oj = indices[p] * k;
      for (let t = 0; t < k; t++) out[oj + t] += v * W[wi + t];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Small dense products

/** out (k × k) = Aᵀ A for A (rows × k). out is overwritten. */
export function gram(A: Float64Array, rows: number, k: number, out: Float64Array): void {
  out.fill(0, 0, k * k);
  for (let i = 0; i < rows; i++) {
    const ai = i * k;
    for (let s = 0; s < k; s++) {
      const a = A[ai + s];
      if (a === 0) continue;
      const os = s * k;
      for (let t = 0; t < k; t++) out[os + t] += a * A[ai + t];
    }
  }
}

/** out (rows × k) = A · G for A (rows × k) and G (k × k). out is overwritten. */
export function timesSmall(
  A: Float64Array,
  rows: number,
  k: number,
  G: Float64Array,
  out: Float64Array,
): void {
  for (let i = 0; i < rows; i++) {
    const ai = i * k;
    for (let t = 0; t < k; t++) {
      let s = 0;
      for (let q = 0; q < k; q++) s += A[ai + q] * G[q * k + t];
      out[ai + t] = s;
    }
  }
}

/** out (k) = column sums of A (rows × k). */
export function columnSums(A: Float64Array, rows: number, k: number, out: Float64Array): void {
  out.fill(0, 0, k);
  for (let i = 0; i < rows; i++) {
    const ai = i * k;
    for (let t = 0; t < k; t++) out[t] += A[ai + t];
  }
}

// ---------------------------------------------------------------------------------------------
// Kullback–Leibler (β = 1) numerators: fused passes over V

/**
 * numW (m × k) = (V ⊘ WH) · Hᵀ for dense V, with WH == 0 → EPS32 where V > 0 (scikit-learn's `WH_safe`).
 * Zero and NaN entries of V are skipped. numW is overwritten.
 */
export function klNumWDense(
  V: Float64Array,
  m: number,
  n: number,
  k: number,
  W: Float64Array,
  Ht: Float64Array,
  numW: Float64Array,
): void {
  numW.fill(0, 0, m * k);
  for (let i = 0; i < m; i++) {
    const vi = i * n;
    const wi = i * k;
    for (let j = 0; j < n; j++) {
      const v = V[vi + j];
      if (!(v > 0)) continue;
      const hj = j * k;
      let wh = 0;
      for (let t = 0; t < k; t++) wh += W[wi + t] * Ht[hj + t];
      const r = v / (wh === 0 ? EPS32 : wh);
      for (let t = 0; t < k; t++) numW[wi + t] += r * Ht[hj + t];
    }
  }
}

/** numHt (n × k) = ((Wᵀ (V ⊘ WH)))ᵀ for dense V; the mirror of `klNumWDense`. numHt is overwritten. */
export function klNumHDense(
  V: Float64Array,
  m: number,
  n: number,
  k: number,
  W: Float64Array,
  Ht: Float64Array,
  numHt: Float64Array,
): void {
  numHt.fill(0, 0, n * k);
  for (let i = 0; i < m; i++) {
    const vi = i * n;
    const wi = i * k;
    for (let j = 0; j < n; j++) {
      const v = V[vi + j];
      if (!(v > 0)) continue;
      const hj = j * k;
      let wh = 0;
      for (let t = 0; t < k; t++) wh += W[wi + t] * Ht[hj + t];
      const r = v / (wh === 0 ? EPS32 : wh);
      for (let t = 0; t < k; t++) numHt[hj + t] += r * W[wi + t];
    }
  }
}

/** CSR version of `klNumWDense`: cost nnz·k. */
export function klNumWCsr(
  indptr: Int32Array,
  indices: Int32Array,
  data: Float64Array,
  m: number,
  k: number,
  W: Float64Array,
  Ht: Float64Array,
  numW: Float64Array,
): void {
  numW.fill(0, 0, m * k);
  for (let i = 0; i < m; i++) {
    const wi = i * k;
    for (let p = indptr[i], end = indptr[i + 1]; p < end; p++) {
      const v = data[p];
      if (!(v > 0)) continue;
      const hj = indices[p] * k;
      let wh = 0;
      for (let t = 0; t < k; t++) wh += W[wi + t] * Ht[hj + t];
      const r = v / (wh === 0 ? EPS32 : wh);
      for (let t = 0; t < k; t++) numW[wi + t] += r * Ht[hj + t];
    }
  }
}

/** CSR version of `klNumHDense`: cost nnz·k. */
export function klNumHCsr(
  indptr: Int32Array,
  indices: Int32Array,
  data: Float64Array,
  m: number,
  n: number,
  k: number,
  W: Float64Array,
  Ht: Float64Array,
  numHt: Float64Array,
): void {
  numHt.fill(0, 0, n * k);
  for (let i = 0; i < m; i++) {
    const wi = i * k;
    for (let p = indptr[i], end = indptr[i + 1]; p < end; p++) {
      const v = data[p];
      if (!(v > 0)) continue;
      const hj = indices[p] * k;
      let wh = 0;
      for (let t = 0; t < k; t++) wh += W[wi + t] * Ht[hj + t];
      const r = v / (wh === 0 ? EPS32 : wh);
      for (let t = 0; t < k; t++) numHt[hj + t] += r * W[wi + t];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// General β (β ∉ {1, 2}) numerators and denominators (Févotte & Idier 2011, scikit-learn's rules)

/**
 * The W-step terms for general β, accumulated row by row over V (m × n, dense):
 *   numW (m × k) = (V ⊙ WHs^(β−2)) · Hᵀ,   WHs = WH with zeros → EPS32 (β < 2), only where V > 0;
 *   denW (m × k) = WHd^(β−1) · Hᵀ,          WHd = WH with zeros → EPS32 only when β < 1.
 * β = 0 computes the numerator term as (1/WHs)²·V, as scikit-learn does. NaN (missing) entries are
 * left out of both sums. numW and denW are overwritten.
 */
export function betaWDense(
  V: Float64Array,
  m: number,
  n: number,
  k: number,
  W: Float64Array,
  Ht: Float64Array,
  beta: number,
  numW: Float64Array,
  denW: Float64Array,
): void {
  numW.fill(0, 0, m * k);
  denW.fill(0, 0, m * k);
  const eNum = beta - 2;
  const eDen = beta - 1;
  const cNum = powCode(eNum);
  const cDen = powCode(eDen);
  const isIS = beta === 0;
  const clampDen = beta < 1;
  const clampNum = beta < 2;
  for (let i = 0; i < m; i++) {
    const vi = i * n;
    const wi = i * k;
    for (let j = 0; j < n; j++) {
      const v = V[vi + j];
      if (v !== v) continue;
      const hj = j * k;
      let wh = 0;
      for (let t = 0; t < k; t++) wh += W[wi + t] * Ht[hj + t];
      const d = powBy(clampDen && wh === 0 ? EPS32 : wh, eDen, cDen);
      if (v > 0) {
        const whs = clampNum && wh === 0 ? EPS32 : wh;
        let f: number;
        if (isIS) {
          const r = 1 / whs;
          f = r * r * v;
        } else {
          f = powBy(whs, eNum, cNum) * v;
        }
        for (let t = 0; t < k; t++) {
          const h = Ht[hj + t];
          numW[wi + t] += f * h;
          denW[wi + t] += d * h;
        }
      } else {
        for (let t = 0; t < k; t++) denW[wi + t] += d * Ht[hj + t];
      }
    }
  }
}

/** The H-step mirror of `betaWDense`: numHt, denHt (n × k) = (Wᵀ(V ⊙ WHs^(β−2)))ᵀ, (Wᵀ WHd^(β−1))ᵀ. */
export function betaHDense(
  V: Float64Array,
  m: number,
  n: number,
  k: number,
  W: Float64Array,
  Ht: Float64Array,
  beta: number,
  numHt: Float64Array,
  denHt: Float64Array,
): void {
  numHt.fill(0, 0, n * k);
  denHt.fill(0, 0, n * k);
  const eNum = beta - 2;
  const eDen = beta - 1;
  const cNum = powCode(eNum);
  const cDen = powCode(eDen);
  const isIS = beta === 0;
  const clampDen = beta < 1;
  const clampNum = beta < 2;
  for (let i = 0; i < m; i++) {
    const vi = i * n;
    const wi = i * k;
    for (let j = 0; j < n; j++) {
      const v = V[vi + j];
      if (v !== v) continue;
      const hj = j * k;
      let wh = 0;
      for (let t = 0; t < k; t++) wh += W[wi + t] * Ht[hj + t];
      const d = powBy(clampDen && wh === 0 ? EPS32 : wh, eDen, cDen);
      if (v > 0) {
        const whs = clampNum && wh === 0 ? EPS32 : wh;
        let f: number;
        if (isIS) {
          const r = 1 / whs;
          f = r * r * v;
        } else {
          f = powBy(whs, eNum, cNum) * v;
        }
        for (let t = 0; t < k; t++) {
          const w = W[wi + t];
          numHt[hj + t] += f * w;
          denHt[hj + t] += d * w;
        }
      } else {
        for (let t = 0; t < k; t++) denHt[hj + t] += d * W[wi + t];
      }
    }
  }
}

/**
 * CSR version of `betaWDense`. The numerator touches only the stored entries (nnz·k); the
 * denominator needs WH^(β−1) at every entry, so it is built row by row from W_i·H without any
 * m × n temporary (as scikit-learn's sparse path does), skipping stored NaN (missing) entries.
 */
export function betaWCsr(
  indptr: Int32Array,
  indices: Int32Array,
  data: Float64Array,
  m: number,
  n: number,
  k: number,
  W: Float64Array,
  Ht: Float64Array,
  beta: number,
  numW: Float64Array,
  denW: Float64Array,
): void {
  numW.fill(0, 0, m * k);
  denW.fill(0, 0, m * k);
  const eNum = beta - 2;
  const eDen = beta - 1;
  const cNum = powCode(eNum);
  const cDen = powCode(eDen);
  const isIS = beta === 0;
  const clampDen = beta < 1;
  const clampNum = beta < 2;
  for (let i = 0; i < m; i++) {
    const wi = i * k;
    const end = indptr[i + 1];
    for (let p = indptr[i]; p < end; p++) {
      const v = data[p];
      if (!(v > 0)) continue;
      const hj = indices[p] * k;
      let wh = 0;
      for (let t = 0; t < k; t++) wh += W[wi + t] * Ht[hj + t];
      const whs = clampNum && wh === 0 ? EPS32 : wh;
      let f: number;
      if (isIS) {
        const r = 1 / whs;
        f = r * r * v;
      } else {
        f = powBy(whs, eNum, cNum) * v;
      }
      for (let t = 0; t < k; t++) numW[wi + t] += f * Ht[hj + t];
    }
    let p = indptr[i];
    for (let j = 0; j < n; j++) {
      if (p < end && indices[p] === j) {
        const stored = data[p++];
        if (stored !== stored) continue;
      }
      const hj = j * k;
      let wh = 0;
      for (let t = 0; t < k; t++) wh += W[wi + t] * Ht[hj + t];
      const d = powBy(clampDen && wh === 0 ? EPS32 : wh, eDen, cDen);
      for (let t = 0; t < k; t++) denW[wi + t] += d * Ht[hj + t];
    }
  }
}

/** CSR version of `betaHDense` (numerator over stored entries, denominator row by row). */
export function betaHCsr(
  indptr: Int32Array,
  indices: Int32Array,
  data: Float64Array,
  m: number,
  n: number,
  k: number,
  W: Float64Array,
  Ht: Float64Array,
  beta: number,
  numHt: Float64Array,
  denHt: Float64Array,
): void {
  numHt.fill(0, 0, n * k);
  denHt.fill(0, 0, n * k);
  const eNum = beta - 2;
  const eDen = beta - 1;
  const cNum = powCode(eNum);
  const cDen = powCode(eDen);
  const isIS = beta === 0;
  const clampDen = beta < 1;
  const clampNum = beta < 2;
  for (let i = 0; i < m; i++) {
    const wi = i * k;
    const end = indptr[i + 1];
    for (let p = indptr[i]; p < end; p++) {
      const v = data[p];
      if (!(v > 0)) continue;
      const hj = indices[p] * k;
      let wh = 0;
      for (let t = 0; t < k; t++) wh += W[wi + t] * Ht[hj + t];
      const whs = clampNum && wh === 0 ? EPS32 : wh;
      let f: number;
      if (isIS) {
        const r = 1 / whs;
        f = r * r * v;
      } else {
        f = powBy(whs, eNum, cNum) * v;
      }
      for (let t = 0; t < k; t++) numHt[hj + t] += f * W[wi + t];
    }
    let p = indptr[i];
    for (let j = 0; j < n; j++) {
      if (p < end && indices[p] === j) {
        const stored = data[p++];
        if (stored !== stored) continue;
      }
      const hj = j * k;
      let wh = 0;
      for (let t = 0; t < k; t++) wh += W[wi + t] * Ht[hj + t];
      const d = powBy(clampDen && wh === 0 ? EPS32 : wh, eDen, cDen);
      for (let t = 0; t < k; t++) denHt[hj + t] += d * W[wi + t];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Multiplicative update and coordinate descent

/**
 * In-place multiplicative update F ← F ⊙ (num ⊘ den)^γ over `length` entries, scikit-learn's order
 * of operations: den += l1 (if > 0); den = den + l2·F (if > 0); den == 0 → EPS32; then
 * F ← F·(num/den)^γ; finally entries below `threshold` are set to 0 (pass 0 for none).
 * `den` is overwritten.
 */
export function multiplicativeUpdate(
  F: Float64Array,
  num: Float64Array,
  den: Float64Array,
  length: number,
  l1: number,
  l2: number,
  gamma: number,
  threshold: number,
): void {
  const code = powCode(gamma);
  for (let q = 0; q < length; q++) {
    let d = den[q];
    if (l1 > 0) d += l1;
    if (l2 > 0) d = d + l2 * F[q];
    if (d === 0) d = EPS32;
    let delta = num[q] / d;
    if (code !== Pow.One) delta = powBy(delta, gamma, code);
    const f = F[q] * delta;
    F[q] = f < threshold ? 0 : f;
  }
}

/**
 * One coordinate-descent sweep on the rows of F (rows × k) for min ½‖X − F Gᵀ‖² + penalties, with
 * the Gram matrix G = GᵀG + l2·I (k × k) and B = X·G − l1 (rows × k) frozen for the sweep: for each
 * row, components in `order`, grad = Σ_q G[t,q]·F[i,q] − B[i,t] (using the already-updated entries),
 * F[i,t] ← max(F[i,t] − grad/G[t,t], 0), skipped where G[t,t] = 0. Returns the projected-gradient
 * violation Σ|pg|. This is scikit-learn's `_update_cdnmf_fast`; the rows are independent, so
 * visiting rows outside and components inside gives the same values as its components-outside order.
 */
export function cdSweep(
  F: Float64Array,
  rows: number,
  k: number,
  G: Float64Array,
  B: Float64Array,
  order: Int32Array,
): number {
  let violation = 0;
  for (let i = 0; i < rows; i++) violation += cdRow(F, i, k, G, B, order);
  return violation;
}

/** The coordinate-descent updates of row i only, with its own Gram matrix G (k × k); returns Σ|pg|. */
export function cdRow(
  F: Float64Array,
  i: number,
  k: number,
  G: Float64Array,
  B: Float64Array,
  order: Int32Array,
): number {
  let violation = 0;
  const fi = i * k;
  for (let s = 0; s < k; s++) {
    const t = order[s];
    const gt = t * k;
    let grad = -B[fi + t];
    for (let q = 0; q < k; q++) grad += G[gt + q] * F[fi + q];
    const current = F[fi + t];
    const pg = current === 0 ? Math.min(grad, 0) : grad;
    violation += Math.abs(pg);
    const hess = G[gt + t];
    if (hess !== 0) {
      const next = current - grad / hess;
      F[fi + t] = next > 0 ? next : 0;
    }
  }
  return violation;
}
