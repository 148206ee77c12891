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
 *
 * The four dense products with V (V·F, Vᵀ·W and the two KL numerators), `gram` and `cdSweep` first
 * go to the native kernels (./native.ts) where the host registered them; those and the CSR products
 * otherwise try the WebAssembly SIMD versions (./wasm). All compute the same sums in the same order (same
 * bits). The scalar code
 * below is the fallback where neither is available or `setKernelBackend('js')` is chosen.
 */

import * as wasm from './wasm';
import { nativeCdSweep, nativeKernels, nativeProduct } from './native';

/** float32 machine epsilon, scikit-learn's `EPSILON`: substituted for exact zeros. */
export const EPS32 = 1.1920928955078125e-7;
/** float64 machine epsilon: MU sets factor entries below it to zero (scikit-learn 1.2). */
export const EPS64 = 2.220446049250313e-16;

/** An argument the native product does not read (see ./native.ts). */
const EMPTY = new Float64Array(0);

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
// Row building blocks. JavaScript engines do not vectorise, so the inner loops run over j with
// four components held in locals (register blocking): every load of a factor row then feeds four
// multiply-adds and the accumulators never go through memory. This is 2–3× faster than the naive
// j-outer, t-inner order with stores into the output row.

/** out[j] = W_i · Ht_j for j < n: row i of WH, computed on the fly (W row starts at `wi`). */
export function rowProducts(
  W: Float64Array,
  wi: number,
  Ht: Float64Array,
  n: number,
  k: number,
  out: Float64Array,
): void {
  out.fill(0, 0, n);
  let t = 0;
  for (; t + 4 <= k; t += 4) {
    const w0 = W[wi + t];
    const w1 = W[wi + t + 1];
    const w2 = W[wi + t + 2];
    const w3 = W[wi + t + 3];
    for (let j = 0, h = t; j < n; j++, h += k)
      out[j] += w0 * Ht[h] + w1 * Ht[h + 1] + w2 * Ht[h + 2] + w3 * Ht[h + 3];
  }
  for (; t < k; t++) {
    const w0 = W[wi + t];
    for (let j = 0, h = t; j < n; j++, h += k) out[j] += w0 * Ht[h];
  }
}

/**
 * out[oi + t] = Σ_j r[ro + j] · F[j·k + t] for t < k (overwrites): a row of coefficients times the
 * factor F (n × k). Coefficients that are not > 0 (zeros, NaN) are skipped, which is exact for the
 * non-negative quantities of NMF and makes NaN count as absent.
 */
export function accumulateRow(
  r: Float64Array,
  ro: number,
  F: Float64Array,
  n: number,
  k: number,
  out: Float64Array,
  oi: number,
): void {
  let t = 0;
  for (; t + 4 <= k; t += 4) {
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    for (let j = 0, f = t; j < n; j++, f += k) {
      const x = r[ro + j];
      if (!(x > 0)) continue;
      a0 += x * F[f];
      a1 += x * F[f + 1];
      a2 += x * F[f + 2];
      a3 += x * F[f + 3];
    }
    out[oi + t] = a0;
    out[oi + t + 1] = a1;
    out[oi + t + 2] = a2;
    out[oi + t + 3] = a3;
  }
  for (; t < k; t++) {
    let a0 = 0;
    for (let j = 0, f = t; j < n; j++, f += k) {
      const x = r[ro + j];
      if (!(x > 0)) continue;
      a0 += x * F[f];
    }
    out[oi + t] = a0;
  }
}

/**
 * out[j·k + t] += r[ro + j] · W[wi + t] for j < n, t < k: the rank-one update of an n × k
 * accumulator by one row of coefficients (skipping coefficients that are not > 0).
 */
export function scatterRow(
  r: Float64Array,
  ro: number,
  W: Float64Array,
  wi: number,
  n: number,
  k: number,
  out: Float64Array,
): void {
  let t = 0;
  for (; t + 4 <= k; t += 4) {
    const w0 = W[wi + t];
    const w1 = W[wi + t + 1];
    const w2 = W[wi + t + 2];
    const w3 = W[wi + t + 3];
    for (let j = 0, o = t; j < n; j++, o += k) {
      const x = r[ro + j];
      if (!(x > 0)) continue;
      out[o] += x * w0;
      out[o + 1] += x * w1;
      out[o + 2] += x * w2;
      out[o + 3] += x * w3;
    }
  }
  for (; t < k; t++) {
    const w0 = W[wi + t];
    for (let j = 0, o = t; j < n; j++, o += k) {
      const x = r[ro + j];
      if (!(x > 0)) continue;
      out[o] += x * w0;
    }
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
  if (wasm.nativeActive()) return nativeProduct(0, false, V, m, n, k, EMPTY, F, out);
  if (wasm.denseTimes(V, m, n, F, k, out)) return;
  for (let i = 0; i < m; i++) accumulateRow(V, i * n, F, n, k, out, i * k);
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
  if (wasm.nativeActive()) return nativeProduct(1, false, V, m, n, k, W, EMPTY, out);
  if (wasm.denseTransposeTimes(V, m, n, W, k, out)) return;
  out.fill(0, 0, n * k);
  for (let i = 0; i < m; i++) scatterRow(V, i * n, W, i * k, n, k, out);
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
  if (wasm.csrProduct(0, indptr, indices, data, m, F.length / k, F, k, out)) return;
  for (let i = 0; i < m; i++) sparseAccumulateRow(indices, data, indptr[i], indptr[i + 1], F, k, out, i * k);
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
  if (wasm.csrProduct(1, indptr, indices, data, m, n, W, k, out)) return;
  out.fill(0, 0, n * k);
  for (let i = 0; i < m; i++) sparseScatterRow(indices, data, indptr[i], indptr[i + 1], W, i * k, k, out);
}

/** `accumulateRow` over the stored entries p ∈ [start, end) of a CSR row (values `x[p]`, columns `indices[p]`). */
export function sparseAccumulateRow(
  indices: Int32Array,
  x: Float64Array,
  start: number,
  end: number,
  F: Float64Array,
  k: number,
  out: Float64Array,
  oi: number,
): void {
  let t = 0;
  for (; t + 4 <= k; t += 4) {
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    for (let p = start; p < end; p++) {
      const v = x[p];
      if (!(v > 0)) continue;
      const f = indices[p] * k + t;
      a0 += v * F[f];
      a1 += v * F[f + 1];
      a2 += v * F[f + 2];
      a3 += v * F[f + 3];
    }
    out[oi + t] = a0;
    out[oi + t + 1] = a1;
    out[oi + t + 2] = a2;
    out[oi + t + 3] = a3;
  }
  for (; t < k; t++) {
    let a0 = 0;
    for (let p = start; p < end; p++) {
      const v = x[p];
      if (!(v > 0)) continue;
      a0 += v * F[indices[p] * k + t];
    }
    out[oi + t] = a0;
  }
}

/** `scatterRow` over the stored entries p ∈ [start, end) of a CSR row. */
export function sparseScatterRow(
  indices: Int32Array,
  x: Float64Array,
  start: number,
  end: number,
  W: Float64Array,
  wi: number,
  k: number,
  out: Float64Array,
): void {
  let t = 0;
  for (; t + 4 <= k; t += 4) {
    const w0 = W[wi + t];
    const w1 = W[wi + t + 1];
    const w2 = W[wi + t + 2];
    const w3 = W[wi + t + 3];
    for (let p = start; p < end; p++) {
      const v = x[p];
      if (!(v > 0)) continue;
      const o = indices[p] * k + t;
      out[o] += v * w0;
      out[o + 1] += v * w1;
      out[o + 2] += v * w2;
      out[o + 3] += v * w3;
    }
  }
  for (; t < k; t++) {
    const w0 = W[wi + t];
    for (let p = start; p < end; p++) {
      const v = x[p];
      if (!(v > 0)) continue;
      out[indices[p] * k + t] += v * w0;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Small dense products

/** out (k × k) = Aᵀ A for A (rows × k). out is overwritten. */
export function gram(A: Float64Array, rows: number, k: number, out: Float64Array): void {
  if (wasm.nativeActive()) return nativeKernels()!.gram(A, rows, k, out);
  if (wasm.gram(A, rows, k, out)) return;
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
  if (wasm.nativeActive()) return nativeKernels()!.timesSmall(A, rows, k, G, out);
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
 * Zero and NaN entries of V contribute nothing. Per row: WH_i· into `row` (length n), the ratio in
 * place, then the row times Ht. numW is overwritten.
 */
export function klNumWDense(
  V: Float64Array,
  m: number,
  n: number,
  k: number,
  W: Float64Array,
  Ht: Float64Array,
  numW: Float64Array,
  row: Float64Array,
): void {
  if (wasm.nativeActive()) return nativeProduct(0, true, V, m, n, k, W, Ht, numW);
  if (wasm.klNumWDense(V, m, n, k, W, Ht, numW)) return;
  for (let i = 0; i < m; i++) {
    klRatioRow(V, i * n, n, W, i * k, Ht, k, row);
    accumulateRow(row, 0, Ht, n, k, numW, i * k);
  }
}

/** numHt (n × k) = (Wᵀ (V ⊘ WH))ᵀ for dense V; the mirror of `klNumWDense`. numHt is overwritten. */
export function klNumHDense(
  V: Float64Array,
  m: number,
  n: number,
  k: number,
  W: Float64Array,
  Ht: Float64Array,
  numHt: Float64Array,
  row: Float64Array,
): void {
  if (wasm.nativeActive()) return nativeProduct(1, true, V, m, n, k, W, Ht, numHt);
  if (wasm.klNumHDense(V, m, n, k, W, Ht, numHt)) return;
  numHt.fill(0, 0, n * k);
  for (let i = 0; i < m; i++) {
    klRatioRow(V, i * n, n, W, i * k, Ht, k, row);
    scatterRow(row, 0, W, i * k, n, k, numHt);
  }
}

/** row[j] = V_ij / WHs_ij where V_ij > 0, else 0. */
function klRatioRow(
  V: Float64Array,
  vi: number,
  n: number,
  W: Float64Array,
  wi: number,
  Ht: Float64Array,
  k: number,
  row: Float64Array,
): void {
  rowProducts(W, wi, Ht, n, k, row);
  for (let j = 0; j < n; j++) {
    const v = V[vi + j];
    if (!(v > 0)) {
      row[j] = 0;
      continue;
    }
    const wh = row[j];
    row[j] = v / (wh === 0 ? EPS32 : wh);
  }
}

/**
 * Ratios V_ij / WHs_ij at the stored entries of CSR row i into `ratio[p]` (0 where V_ij is 0 or NaN).
 * A row denser than a third is served from a full row of WH (`row`, length n, register-blocked);
 * a sparser one by one dot product per stored entry, so the cost follows nnz.
 */
function klSparseRatios(
  indices: Int32Array,
  data: Float64Array,
  start: number,
  end: number,
  n: number,
  k: number,
  W: Float64Array,
  wi: number,
  Ht: Float64Array,
  row: Float64Array,
  ratio: Float64Array,
): void {
  if (3 * (end - start) > n) {
    rowProducts(W, wi, Ht, n, k, row);
    for (let p = start; p < end; p++) {
      const v = data[p];
      if (!(v > 0)) {
        ratio[p] = 0;
        continue;
      }
      const wh = row[indices[p]];
      ratio[p] = v / (wh === 0 ? EPS32 : wh);
    }
    return;
  }
  for (let p = start; p < end; p++) {
    const v = data[p];
    if (!(v > 0)) {
      ratio[p] = 0;
      continue;
    }
    const hj = indices[p] * k;
    let wh = 0;
    for (let t = 0; t < k; t++) wh += W[wi + t] * Ht[hj + t];
    ratio[p] = v / (wh === 0 ? EPS32 : wh);
  }
}

/**
 * CSR version of `klNumWDense`: cost ∝ nnz·k. `ratio`: scratch of length nnz; `row`: length n.
 */
export function klNumWCsr(
  indptr: Int32Array,
  indices: Int32Array,
  data: Float64Array,
  m: number,
  n: number,
  k: number,
  W: Float64Array,
  Ht: Float64Array,
  numW: Float64Array,
  row: Float64Array,
  ratio: Float64Array,
): void {
  if (wasm.klCsr(0, indptr, indices, data, m, n, k, W, Ht, numW)) return;
  for (let i = 0; i < m; i++) {
    const start = indptr[i];
    const end = indptr[i + 1];
    klSparseRatios(indices, data, start, end, n, k, W, i * k, Ht, row, ratio);
    sparseAccumulateRow(indices, ratio, start, end, Ht, k, numW, i * k);
  }
}

/** CSR version of `klNumHDense`: cost ∝ nnz·k. `ratio`: scratch of length nnz; `row`: length n. */
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
  row: Float64Array,
  ratio: Float64Array,
): void {
  if (wasm.klCsr(1, indptr, indices, data, m, n, k, W, Ht, numHt)) return;
  numHt.fill(0, 0, n * k);
  for (let i = 0; i < m; i++) {
    const start = indptr[i];
    const end = indptr[i + 1];
    klSparseRatios(indices, data, start, end, n, k, W, i * k, Ht, row, ratio);
    sparseScatterRow(indices, ratio, start, end, W, i * k, k, numHt);
  }
}

// ---------------------------------------------------------------------------------------------
// General β (β ∉ {1, 2}) numerators and denominators (Févotte & Idier 2011, scikit-learn's rules)

/**
 * Per-row coefficients of the general-β update (β ∉ {1, 2}), from the products WH_i· already in
 * `num` (length n), in place:
 *   num[j] = V_ij · WHs_ij^(β−2)   where V_ij > 0 (WHs: zeros → EPS32 when β < 2), else 0;
 *   den[j] = WHd_ij^(β−1)          (WHd: zeros → EPS32 when β < 1), 0 where V_ij is missing.
 * β = 0 computes the numerator term as (1/WHs)²·V, as scikit-learn does. `V` is read at
 * `vi + j` for dense rows; for CSR rows pass `vi = -1` and fill `num` at the stored positions with
 * `betaSparseNumerators` afterwards.
 */
function betaRowCoefficients(
  V: Float64Array,
  vi: number,
  n: number,
  beta: number,
  num: Float64Array,
  den: Float64Array,
): void {
  const eNum = beta - 2;
  const eDen = beta - 1;
  const cNum = powCode(eNum);
  powerRow(num, den, n, eDen, powCode(eDen), beta < 1);
  if (vi < 0) return;
  const clampNum = beta < 2;
  for (let j = 0; j < n; j++) {
    const wh = num[j];
    const v = V[vi + j];
    if (v !== v) {
      den[j] = 0;
      num[j] = 0;
    } else if (v > 0) {
      // WH^(β−2) = WH^(β−1) / WH saves a second power where WH > 0 (the clamps only differ at 0);
      // IS keeps scikit-learn's (1/WH)² form.
      num[j] =
        wh > 0 && beta !== 0 ? (den[j] / wh) * v : betaNumeratorTerm(v, wh, beta, eNum, cNum, clampNum);
    } else {
      num[j] = 0;
    }
  }
}

/**
 * out[j] = x[j]^e for j < n (x[j] == 0 → EPS32 first when `clampZero`), with the exponent's
 * numpy fast path chosen once per row rather than per entry.
 */
function powerRow(
  x: Float64Array,
  out: Float64Array,
  n: number,
  e: number,
  code: PowCode,
  clampZero: boolean,
): void {
  switch (code) {
    case Pow.Sqrt:
      for (let j = 0; j < n; j++) out[j] = Math.sqrt(clampZero && x[j] === 0 ? EPS32 : x[j]);
      return;
    case Pow.Square:
      for (let j = 0; j < n; j++) {
        const y = clampZero && x[j] === 0 ? EPS32 : x[j];
        out[j] = y * y;
      }
      return;
    case Pow.Reciprocal:
      for (let j = 0; j < n; j++) out[j] = 1 / (clampZero && x[j] === 0 ? EPS32 : x[j]);
      return;
    case Pow.One:
      for (let j = 0; j < n; j++) out[j] = clampZero && x[j] === 0 ? EPS32 : x[j];
      return;
    case Pow.Zero:
      out.fill(1, 0, n);
      return;
    default:
      for (let j = 0; j < n; j++) out[j] = Math.pow(clampZero && x[j] === 0 ? EPS32 : x[j], e);
  }
}

function betaNumeratorTerm(
  v: number,
  wh: number,
  beta: number,
  eNum: number,
  cNum: PowCode,
  clampNum: boolean,
): number {
  const whs = clampNum && wh === 0 ? EPS32 : wh;
  if (beta === 0) {
    const r = 1 / whs;
    return r * r * v;
  }
  return powBy(whs, eNum, cNum) * v;
}

/**
 * For a CSR row (stored entries p in [start, end)): `num` becomes the sparse row of numerator
 * terms (V_ij·WHs^(β−2) at stored V_ij > 0, 0 elsewhere) and `den` is zeroed at stored NaN.
 * On entry `num` holds WH_i· and `den` the denominator terms of every column.
 */
function betaSparseRow(
  indices: Int32Array,
  data: Float64Array,
  start: number,
  end: number,
  n: number,
  beta: number,
  num: Float64Array,
  den: Float64Array,
  scratch: Float64Array,
): void {
  const eNum = beta - 2;
  const cNum = powCode(eNum);
  const clampNum = beta < 2;
  for (let p = start; p < end; p++) {
    const j = indices[p];
    const v = data[p];
    if (v !== v) den[j] = 0;
    scratch[p - start] = v > 0 ? betaNumeratorTerm(v, num[j], beta, eNum, cNum, clampNum) : 0;
  }
  num.fill(0, 0, n);
  for (let p = start; p < end; p++) num[indices[p]] = scratch[p - start];
}

/**
 * The W-step terms for general β over V (m × n), row by row without any m × n temporary:
 *   numW (m × k) = (V ⊙ WHs^(β−2)) · Hᵀ,   denW (m × k) = WHd^(β−1) · Hᵀ,
 * missing entries left out of both. For CSR V the numerator terms are formed only at the stored
 * entries; the denominator needs WH^(β−1) at every entry, so it is built from W_i·H row by row as
 * scikit-learn's sparse path does. `num`, `den`: scratch rows of length n; `scratch`: length ≥ the
 * longest CSR row (unused for dense V). numW and denW are overwritten.
 */
export function betaW(
  V: DataArrays,
  m: number,
  n: number,
  k: number,
  W: Float64Array,
  Ht: Float64Array,
  beta: number,
  numW: Float64Array,
  denW: Float64Array,
  num: Float64Array,
  den: Float64Array,
  scratch: Float64Array,
): void {
  const coefficients = betaBlockCoefficients(V, n, beta, scratch);
  if (wasm.betaTerms(0, m, n, k, W, Ht, coefficients, numW, denW)) return;
  for (let i = 0; i < m; i++) {
    betaRow(V, i, n, k, W, Ht, beta, num, den, scratch);
    accumulateRow(num, 0, Ht, n, k, numW, i * k);
    accumulateRow(den, 0, Ht, n, k, denW, i * k);
  }
}

/** The H-step mirror of `betaW`: numHt, denHt (n × k) = (Wᵀ(V ⊙ WHs^(β−2)))ᵀ, (Wᵀ WHd^(β−1))ᵀ. */
export function betaH(
  V: DataArrays,
  m: number,
  n: number,
  k: number,
  W: Float64Array,
  Ht: Float64Array,
  beta: number,
  numHt: Float64Array,
  denHt: Float64Array,
  num: Float64Array,
  den: Float64Array,
  scratch: Float64Array,
): void {
  const coefficients = betaBlockCoefficients(V, n, beta, scratch);
  if (wasm.betaTerms(1, m, n, k, W, Ht, coefficients, numHt, denHt)) return;
  numHt.fill(0, 0, n * k);
  denHt.fill(0, 0, n * k);
  for (let i = 0; i < m; i++) {
    betaRow(V, i, n, k, W, Ht, beta, num, den, scratch);
    scatterRow(num, 0, W, i * k, n, k, numHt);
    scatterRow(den, 0, W, i * k, n, k, denHt);
  }
}

/** The buffers of V the kernels read: dense values, or CSR arrays. */
export type DataArrays =
  | { kind: 'dense'; data: Float64Array }
  | { kind: 'csr'; indptr: Int32Array; indices: Int32Array; data: Float64Array };

function betaRow(
  V: DataArrays,
  i: number,
  n: number,
  k: number,
  W: Float64Array,
  Ht: Float64Array,
  beta: number,
  num: Float64Array,
  den: Float64Array,
  scratch: Float64Array,
): void {
  rowProducts(W, i * k, Ht, n, k, num);
  betaCoefficients(V, i, n, beta, num, den, scratch);
}

/** Row i's numerator and denominator terms in `num` and `den`, `num` holding row i of WH on entry. */
function betaCoefficients(
  V: DataArrays,
  i: number,
  n: number,
  beta: number,
  num: Float64Array,
  den: Float64Array,
  scratch: Float64Array,
): void {
  if (V.kind === 'dense') {
    betaRowCoefficients(V.data, i * n, n, beta, num, den);
  } else {
    betaRowCoefficients(V.data, -1, n, beta, num, den);
    betaSparseRow(V.indices, V.data, V.indptr[i], V.indptr[i + 1], n, beta, num, den, scratch);
  }
}

/**
 * `betaCoefficients` over a block of rows i0 … i0 + rows − 1 laid out row-major in `num` and `den`
 * (rows × n): the per-entry part of the general-β passes that stays in JavaScript (powers), between
 * the WebAssembly kernels that make the rows of WH and multiply the terms by the factor.
 */
function betaBlockCoefficients(
  V: DataArrays,
  n: number,
  beta: number,
  scratch: Float64Array,
): (i0: number, rows: number, num: Float64Array, den: Float64Array) => void {
  return (i0, rows, num, den) => {
    for (let r = 0; r < rows; r++) {
      const row = num.subarray(r * n, (r + 1) * n);
      betaCoefficients(V, i0 + r, n, beta, row, den.subarray(r * n, (r + 1) * n), scratch);
    }
  };
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
  if (wasm.nativeActive()) return nativeCdSweep(F, rows, k, G, B, order);
  const accelerated = wasm.cdSweep(F, rows, k, G, B, order);
  if (accelerated !== null) return accelerated;
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
