import type { PreparedData } from './data';
import { EPS32, EPS64, columnSums, multiplicativeUpdate, selectKernels, type NmfKernels } from './kernels';

/**
 * One iteration of each solver on the factors as the engine holds them: W (m × k) and Ht = Hᵀ
 * (n × k), both row-major and updated in place. Buffers are allocated once per fit (`Workspace`),
 * never inside an iteration.
 *
 * Penalties arrive already scaled as scikit-learn 1.2 scales them (`_compute_regularization`):
 * l1W = n·alpha_W·l1_ratio, l2W = n·alpha_W·(1 − l1_ratio), l1H/l2H the same with m, where V is
 * m × n (our rows are sklearn's samples, our columns its features).
 *
 * Missing entries (NaN in V). The loss is Σ over observed entries only, i.e. weighted NMF with a
 * 0/1 mask M. MU: numerators skip missing entries by construction (kernels); denominators that
 * scikit-learn forms from all entries at once (H_sum, W·HHᵀ, WᵀW·H, W_sum) are corrected by
 * subtracting the terms of the missing entries, at a cost ∝ their number, and clamped at 0 against
 * rounding. This is the masked MU of Lee & Seung's rule for the weighted objective (Ho 2008; Blondel
 * et al. 2008). HALS: coordinate descent stays exact for the weighted objective if each row has its
 * own Gram matrix Σ_{j observed} h_j h_jᵀ; we form it from HHᵀ minus the missing columns' outer
 * products (or from the observed columns when most are missing, which also keeps it exactly zero
 * for fully missing rows) and run the same coordinate updates per row. Without missing values
 * every path reduces to scikit-learn's arithmetic.
 */

export interface Penalties {
  l1W: number;
  l2W: number;
  l1H: number;
  l2H: number;
}

export interface Workspace {
  numW: Float64Array; // m × k
  denW: Float64Array; // m × k
  numHt: Float64Array; // n × k
  denHt: Float64Array; // n × k
  small: Float64Array; // k × k
  rowGram: Float64Array; // k × k
  vecK: Float64Array; // k
  order: Int32Array; // k
  rowA: Float64Array; // n: one row of WH-derived coefficients
  rowB: Float64Array; // n
  rowC: Float64Array; // n
  ratio: Float64Array; // nnz of a CSR V (else empty): per-entry coefficients
  /** The kernel set of the fit (./kernels/contract.ts). */
  kernels: NmfKernels;
}

/** Buffers of a fit of V (m × n, `nnz` stored entries when CSR) at rank k, computing with `kernels`. */
export function createWorkspace(
  m: number,
  n: number,
  k: number,
  nnz = 0,
  kernels: NmfKernels = selectKernels(),
): Workspace {
  const order = new Int32Array(k);
  for (let t = 0; t < k; t++) order[t] = t;
  return {
    numW: new Float64Array(m * k),
    denW: new Float64Array(m * k),
    numHt: new Float64Array(n * k),
    denHt: new Float64Array(n * k),
    small: new Float64Array(k * k),
    rowGram: new Float64Array(k * k),
    vecK: new Float64Array(k),
    order,
    rowA: new Float64Array(n),
    rowB: new Float64Array(n),
    rowC: new Float64Array(n),
    ratio: new Float64Array(nnz),
    kernels,
  };
}

/** The Févotte–Idier (2011) exponent that makes MU monotone for every β, as scikit-learn uses it. */
export function muExponent(beta: number): number {
  if (beta < 1) return 1 / (2 - beta);
  if (beta > 2) return 1 / (beta - 1);
  return 1;
}

/** Which factor a fit holds fixed (`FitOptions.fixed`); undefined: both are updated. */
export type FixedFactor = 'W' | 'H' | undefined;

/**
 * One multiplicative-update iteration (scikit-learn 1.2 `_fit_multiplicative_update`): W first with
 * the current H, thresholded below EPS64 when β < 1; then H with the new W, thresholded when β ≤ 1.
 * `fixed` skips that factor's half. The free factor of a one-sided fit is thresholded when β < 1,
 * as scikit-learn thresholds the W it fits under `update_H=False` (its only one-sided mode).
 */
export function muIteration(
  data: PreparedData,
  W: Float64Array,
  Ht: Float64Array,
  k: number,
  beta: number,
  pen: Penalties,
  ws: Workspace,
  fixed?: FixedFactor,
): void {
  const { m, n } = data;
  const gamma = muExponent(beta);
  if (beta === 1 && data.V.kind === 'dense' && data.missing === null) {
    // One fused call per half (./kernels/contract.ts, `klHalf`): the same calls as below.
    const { kernels } = ws;
    const V = data.V.data;
    if (fixed !== 'W') {
      kernels.klHalf(0, V, m, n, k, W, Ht, ws.numW, ws.denW, ws.vecK, ws.rowA, pen.l1W, pen.l2W, 0);
    }
    if (fixed !== 'H') {
      const floorH = fixed === 'W' ? 0 : EPS64;
      kernels.klHalf(1, V, m, n, k, W, Ht, ws.numHt, ws.denHt, ws.vecK, ws.rowA, pen.l1H, pen.l2H, floorH);
    }
    return;
  }
  if (beta === 1 && data.V.kind === 'csr' && data.missing === null) {
    klCsrIteration(data.V, m, n, W, Ht, k, pen, ws, fixed);
    return;
  }
  if (fixed !== 'W') {
    muNumDenW(data, W, Ht, k, beta, ws);
    multiplicativeUpdate(W, ws.numW, ws.denW, m * k, pen.l1W, pen.l2W, gamma, beta < 1 ? EPS64 : 0);
  }
  if (fixed !== 'H') {
    const floorH = (fixed === 'W' ? beta < 1 : beta <= 1) ? EPS64 : 0;
    muNumDenH(data, W, Ht, k, beta, ws);
    multiplicativeUpdate(Ht, ws.numHt, ws.denHt, n * k, pen.l1H, pen.l2H, gamma, floorH);
  }
}

/**
 * One KL (β = 1) multiplicative-update iteration on CSR V without missing entries: the numerators
 * and column sums of `muNumDenW` / `muNumDenH`, and the update of `multiplicativeUpdate` (γ = 1),
 * with every row of the denominator read from the column sums instead of written out first (the
 * rows × k copies and their reads were a JavaScript pass per half over n·k entries, which the
 * sweeps' CSR fits repeat every iteration). Same operations in the same order, so the same bits.
 */
function klCsrIteration(
  V: { indptr: Int32Array; indices: Int32Array; data: Float64Array },
  m: number,
  n: number,
  W: Float64Array,
  Ht: Float64Array,
  k: number,
  pen: Penalties,
  ws: Workspace,
  fixed: FixedFactor,
): void {
  const { kernels } = ws;
  const sums = ws.vecK;
  if (fixed !== 'W') {
    kernels.klNumWCsr(V.indptr, V.indices, V.data, m, n, k, W, Ht, ws.numW, ws.rowA, ws.ratio);
    columnSums(Ht, n, k, sums);
    klUpdate(W, ws.numW, sums, m, k, pen.l1W, pen.l2W, 0);
  }
  if (fixed !== 'H') {
    kernels.klNumHCsr(V.indptr, V.indices, V.data, m, n, k, W, Ht, ws.numHt, ws.rowA, ws.ratio);
    columnSums(W, m, k, sums);
    // scikit-learn replaces zero column sums by 1 (a 0/0 guard: the numerator is 0 there too).
    for (let t = 0; t < k; t++) if (sums[t] === 0) sums[t] = 1;
    klUpdate(Ht, ws.numHt, sums, n, k, pen.l1H, pen.l2H, fixed === 'W' ? 0 : EPS64);
  }
}

/**
 * `multiplicativeUpdate(F, num, den, rows·k, l1, l2, 1, threshold)` where every row of den is
 * `sums` (k): den += l1 (if > 0); den = den + l2·F (if > 0); den == 0 → EPS32; F ← F·(num/den);
 * entries below `threshold` set to 0. F, num: rows × k.
 */
function klUpdate(
  F: Float64Array,
  num: Float64Array,
  sums: Float64Array,
  rows: number,
  k: number,
  l1: number,
  l2: number,
  threshold: number,
): void {
  for (let r = 0, q = 0; r < rows; r++) {
    for (let t = 0; t < k; t++, q++) {
      let d = sums[t];
      if (l1 > 0) d += l1;
      if (l2 > 0) d = d + l2 * F[q];
      if (d === 0) d = EPS32;
      const f = F[q] * (num[q] / d);
      F[q] = f < threshold ? 0 : f;
    }
  }
}

/** numW and denW (m × k) of the W step, before penalties. Exported for the minibatch solver. */
export function muNumDenW(
  data: PreparedData,
  W: Float64Array,
  Ht: Float64Array,
  k: number,
  beta: number,
  ws: Workspace,
): void {
  const { V, m, n, missing } = data;
  const { numW, denW, kernels } = ws;
  if (beta === 2) {
    if (V.kind === 'dense') kernels.denseTimes(V.data, m, n, Ht, k, numW);
    else kernels.csrTimes(V.indptr, V.indices, V.data, m, n, Ht, k, numW);
    kernels.gram(Ht, n, k, ws.small);
    kernels.timesSmall(W, m, k, ws.small, denW);
    // den_i −= Σ_{j missing in row i} (W_i·H_j) H_j
    if (missing !== null) subtractMissingProducts(denW, m, W, Ht, k, missing.rowPtr, missing.cols);
    return;
  }
  if (beta === 1) {
    if (V.kind === 'dense') kernels.klNumWDense(V.data, m, n, k, W, Ht, numW, ws.rowA);
    else kernels.klNumWCsr(V.indptr, V.indices, V.data, m, n, k, W, Ht, numW, ws.rowA, ws.ratio);
    const hSum = ws.vecK;
    columnSums(Ht, n, k, hSum);
    if (missing === null) for (let i = 0; i < m; i++) denW.set(hSum, i * k);
    else kernels.maskedSums(denW, m, Ht, n, k, hSum, missing.rowPtr, missing.cols);
    return;
  }
  kernels.betaW(V, m, n, k, W, Ht, beta, numW, denW, ws.rowA, ws.rowB, ws.rowC);
}

/** numHt and denHt (n × k) of the H step, before penalties (uses the new W). Exported for the minibatch solver. */
export function muNumDenH(
  data: PreparedData,
  W: Float64Array,
  Ht: Float64Array,
  k: number,
  beta: number,
  ws: Workspace,
): void {
  const { V, m, n, missing } = data;
  const { numHt, denHt, kernels } = ws;
  if (beta === 2) {
    if (V.kind === 'dense') kernels.denseTransposeTimes(V.data, m, n, W, k, numHt);
    else kernels.csrTransposeTimes(V.indptr, V.indices, V.data, m, n, W, k, numHt);
    // (WᵀW)H evaluated as Hᵀ(WᵀW), WᵀW being symmetric: numpy's multi_dot order for [Wᵀ, W, H].
    kernels.gram(W, m, k, ws.small);
    kernels.timesSmall(Ht, n, k, ws.small, denHt);
    // den_j −= Σ_{i missing in column j} (W_i·H_j) W_i
    if (missing !== null) subtractMissingProducts(denHt, n, Ht, W, k, missing.colPtr, missing.rows);
    return;
  }
  if (beta === 1) {
    if (V.kind === 'dense') kernels.klNumHDense(V.data, m, n, k, W, Ht, numHt, ws.rowA);
    else kernels.klNumHCsr(V.indptr, V.indices, V.data, m, n, k, W, Ht, numHt, ws.rowA, ws.ratio);
    const wSum = ws.vecK;
    columnSums(W, m, k, wSum);
    // scikit-learn replaces zero column sums by 1 (a 0/0 guard: the numerator is 0 there too).
    for (let t = 0; t < k; t++) if (wSum[t] === 0) wSum[t] = 1;
    if (missing === null) for (let j = 0; j < n; j++) denHt.set(wSum, j * k);
    else kernels.maskedSums(denHt, n, W, m, k, wSum, missing.colPtr, missing.rows);
    return;
  }
  kernels.betaH(V, m, n, k, W, Ht, beta, numHt, denHt, ws.rowA, ws.rowB, ws.rowC);
}

/**
 * Masked Frobenius MU denominators: for each row r of F (rows × k), den_r −= Σ over r's missing
 * partners o of (F_r·O_o) O_o, then clamped at 0 against rounding (the denominator from every
 * entry less the missing entries' terms, at a cost ∝ their number). Serves the W step (F = W,
 * O = Hᵀ) and the H step (F = Hᵀ, O = W).
 */
function subtractMissingProducts(
  den: Float64Array,
  rows: number,
  F: Float64Array,
  O: Float64Array,
  k: number,
  ptr: Int32Array,
  idx: Int32Array,
): void {
  for (let r = 0; r < rows; r++) {
    const fr = r * k;
    for (let q = ptr[r]; q < ptr[r + 1]; q++) {
      const o = idx[q] * k;
      let wh = 0;
      for (let t = 0; t < k; t++) wh += F[fr + t] * O[o + t];
      for (let t = 0; t < k; t++) den[fr + t] -= wh * O[o + t];
    }
    for (let t = 0; t < k; t++) if (den[fr + t] < 0) den[fr + t] = 0;
  }
}

/**
 * One HALS / coordinate-descent iteration (scikit-learn 1.2 `_fit_coordinate_descent`, Cichocki &
 * Phan 2009): a sweep over W with HHᵀ and VHᵀ frozen, then a sweep over H with the new W. Sparse V
 * enters only through V·Hᵀ and Vᵀ·W (cost nnz·k); no residual matrix is formed.
 * `nextOrder` gives the component order of each sweep (identity, or a permutation when shuffling).
 * Returns the summed projected-gradient violation of both sweeps. `fixed` skips that factor's sweep
 * (its violation is then not counted, as scikit-learn's `update_H=False` counts only W's).
 */
export function halsIteration(
  data: PreparedData,
  W: Float64Array,
  Ht: Float64Array,
  k: number,
  pen: Penalties,
  ws: Workspace,
  nextOrder: (order: Int32Array) => void,
  fixed?: FixedFactor,
): number {
  const { V, m, n, missing } = data;
  let violation = 0;
  if (fixed !== 'W') violation += halsSweepW(data, W, Ht, k, pen, ws, nextOrder);
  if (fixed === 'H') return violation;
  // H sweep: B = VᵀW − l1H (n × k), G = WᵀW + l2H·I.
  const { kernels } = ws;
  const Bh = ws.numHt;
  if (V.kind === 'dense' && missing === null) {
    // One fused call (./kernels/contract.ts, `halsHalf`): the calls below, in their order.
    nextOrder(ws.order);
    return violation + kernels.halsHalf(1, V.data, m, n, k, Ht, W, Bh, ws.small, ws.order, pen.l1H, pen.l2H);
  }
  if (V.kind === 'dense') kernels.denseTransposeTimes(V.data, m, n, W, k, Bh);
  else kernels.csrTransposeTimes(V.indptr, V.indices, V.data, m, n, W, k, Bh);
  if (pen.l1H !== 0) for (let q = 0; q < n * k; q++) Bh[q] -= pen.l1H;
  kernels.gram(W, m, k, ws.small);
  if (pen.l2H !== 0) for (let t = 0; t < k; t++) ws.small[t * k + t] += pen.l2H;
  nextOrder(ws.order);
  if (missing === null) violation += kernels.cdSweep(Ht, n, k, ws.small, Bh, ws.order);
  else violation += maskedSweep(Ht, n, W, m, k, ws, Bh, pen.l2H, missing.colPtr, missing.rows);
  return violation;
}

/** The W half of `halsIteration`; returns its projected-gradient violation. */
function halsSweepW(
  data: PreparedData,
  W: Float64Array,
  Ht: Float64Array,
  k: number,
  pen: Penalties,
  ws: Workspace,
  nextOrder: (order: Int32Array) => void,
): number {
  const { V, m, n, missing } = data;
  // W sweep: B = VHᵀ − l1W (m × k), G = HHᵀ + l2W·I.
  const { kernels } = ws;
  const B = ws.numW;
  if (V.kind === 'dense' && missing === null) {
    nextOrder(ws.order);
    return kernels.halsHalf(0, V.data, m, n, k, W, Ht, B, ws.small, ws.order, pen.l1W, pen.l2W);
  }
  if (V.kind === 'dense') kernels.denseTimes(V.data, m, n, Ht, k, B);
  else kernels.csrTimes(V.indptr, V.indices, V.data, m, n, Ht, k, B);
  if (pen.l1W !== 0) for (let q = 0; q < m * k; q++) B[q] -= pen.l1W;
  kernels.gram(Ht, n, k, ws.small);
  if (pen.l2W !== 0) for (let t = 0; t < k; t++) ws.small[t * k + t] += pen.l2W;
  nextOrder(ws.order);
  if (missing === null) return kernels.cdSweep(W, m, k, ws.small, B, ws.order);
  return maskedSweep(W, m, Ht, n, k, ws, B, pen.l2W, missing.rowPtr, missing.cols);
}

/**
 * Weighted coordinate descent over the rows of F (rows × k) against the other factor O
 * (others × k), with ws.small holding the full OᵀO + l2·I: `NmfKernels.maskedSweep` on the
 * workspace's buffers. `ptr`/`idx` list each row's missing partners (sorted).
 */
export function maskedSweep(
  F: Float64Array,
  rows: number,
  O: Float64Array,
  others: number,
  k: number,
  ws: Workspace,
  B: Float64Array,
  l2: number,
  ptr: Int32Array,
  idx: Int32Array,
): number {
  return ws.kernels.maskedSweep(F, rows, O, others, k, ws.small, B, l2, ptr, idx, ws.order, ws.rowGram);
}
