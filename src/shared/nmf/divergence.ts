import type { DataMatrix, DenseMatrix } from '../linalg/matrix';
import { transpose } from '../linalg/ops';
import { logGamma } from '../linalg/random';
import { prepareData, type PreparedData } from './data';
import { BetaLossSums } from './kernels/scalar/losses';
import { EPS32, columnSums, selectKernels, type NmfKernels } from './kernels';

/**
 * β-divergence D_β(V ‖ WH) exactly as scikit-learn 1.2's `_beta_divergence` (never normalised):
 *   β = 2: ½‖V − WH‖²  (CSR V: (‖V‖² + tr(WᵀW·HHᵀ) − 2·tr(VHᵀ·Wᵀ))/2, no dense residual);
 *   β = 1: Σ_kept V log(V/WH) + Σ_all WH − Σ_kept V;
 *   β = 0: Σ_kept V/WH − (number of entries) − Σ_kept log(V/WH);
 *   other: [Σ_kept V^β − β Σ_kept V·WH^(β−1) + (β−1) Σ_all WH^β] / (β(β−1)),
 * where "kept" entries are those with V > EPS32 (WH == 0 there → EPS32) and "all" covers every
 * entry. Missing (NaN) entries are left out of every sum, and the entry count of β = 0 counts only
 * observed entries; without missing values this is sklearn's number to rounding.
 *
 * @param V m × n data (dense or CSR)
 * @param W m × k
 * @param H k × n
 * @param kernels the kernel set (./kernels/select.ts; every set gives the same bits)
 */
export function betaDivergence(
  V: DataMatrix,
  W: DenseMatrix,
  H: DenseMatrix,
  beta: number,
  kernels: NmfKernels = selectKernels(),
): number {
  checkShapes(V, W, H);
  return divergenceOf(prepareData(V), W.data, transpose(H).data, W.cols, beta, kernels);
}

/**
 * Poisson log-likelihood of V under the mean WH: Σ_observed V log(WH) − WH − log Γ(V+1).
 * The log V! term makes values comparable across ranks and data sets of the same counts.
 * An entry with V > 0 and WH = 0 gives −Infinity.
 *
 * @param V m × n data (dense or CSR)
 * @param W m × k
 * @param H k × n
 */
export function poissonLogLikelihood(V: DataMatrix, W: DenseMatrix, H: DenseMatrix): number {
  checkShapes(V, W, H);
  return logLikelihoodOf(prepareData(V), W.data, transpose(H).data, W.cols);
}

function checkShapes(V: DataMatrix, W: DenseMatrix, H: DenseMatrix): void {
  if (W.rows !== V.rows || H.cols !== V.cols || W.cols !== H.rows) {
    throw new RangeError(
      `shapes do not fit: V ${V.rows} × ${V.cols}, W ${W.rows} × ${W.cols}, H ${H.rows} × ${H.cols}`,
    );
  }
}

/** (WH)_ij from W (m × k) and Ht (n × k). */
function dotRow(W: Float64Array, Ht: Float64Array, i: number, j: number, k: number): number {
  const wi = i * k;
  const hj = j * k;
  let s = 0;
  for (let t = 0; t < k; t++) s += W[wi + t] * Ht[hj + t];
  return s;
}

/** Σ over missing entries of g((WH)_ij). */
function sumOverMissing(
  data: PreparedData,
  W: Float64Array,
  Ht: Float64Array,
  k: number,
  g: (wh: number) => number,
): number {
  const miss = data.missing;
  if (miss === null) return 0;
  let s = 0;
  for (let i = 0; i < data.m; i++) {
    for (let q = miss.rowPtr[i]; q < miss.rowPtr[i + 1]; q++) s += g(dotRow(W, Ht, i, miss.cols[q], k));
  }
  return s;
}

/**
 * D_β(V ‖ W·Htᵀ) on prepared data, with the factors as the solvers hold them, computed with the
 * fit's kernel set (every set gives the same bits).
 * @param W m × k
 * @param Ht n × k (Hᵀ)
 */
export function divergenceOf(
  data: PreparedData,
  W: Float64Array,
  Ht: Float64Array,
  k: number,
  beta: number,
  kernels: NmfKernels = selectKernels(),
): number {
  const { V, m, n } = data;
  if (V.kind === 'dense' && (beta === 2 || beta === 1))
    return denseRowSummed(V.data, m, n, W, Ht, k, beta, data, kernels);
  if (V.kind === 'csr' && beta === 1) {
    // Row by row (`NmfKernels.csrRowLosses`, split over threads by the native kernels), then the
    // row sums in row order, as the dense KL loss is summed.
    const rowSums = new Float64Array(2 * m);
    kernels.csrRowLosses(V.indptr, V.indices, V.data, m, n, k, W, Ht, rowSums);
    let a = 0;
    let b = 0;
    for (let i = 0; i < m; i++) {
      a += rowSums[2 * i];
      b += rowSums[2 * i + 1];
    }
    return a + (observedSumWH(data, W, Ht, k) - b);
  }
  if (beta === 2 && V.kind === 'csr') {
    let normX = 0;
    for (let p = 0; p < V.data.length; p++) {
      const v = V.data[p];
      if (v === v) normX += v * v;
    }
    const WtW = new Float64Array(k * k);
    const HHt = new Float64Array(k * k);
    kernels.gram(W, m, k, WtW);
    kernels.gram(Ht, n, k, HHt);
    let normWH = 0;
    for (let q = 0; q < k * k; q++) normWH += WtW[q] * HHt[q];
    const XHt = new Float64Array(m * k);
    kernels.csrTimes(V.indptr, V.indices, V.data, m, n, Ht, k, XHt);
    let cross = 0;
    for (let q = 0; q < m * k; q++) cross += XHt[q] * W[q];
    const missingWH2 = sumOverMissing(data, W, Ht, k, (wh) => wh * wh);
    return (normX + normWH - 2 * cross - missingWH2) / 2;
  }

  // β = 0 and general β (β = 1 and 2 are summed above): Σ over kept entries (V > EPS32) of the
  // V-dependent terms and Σ WH^β over every observed entry, running sums (BetaLossSums).
  let keptA: number;
  let keptB: number;
  let allWHBeta: number;
  if (V.kind === 'dense') {
    // The three running sums in row-major order (`NmfKernels.betaLossSums`, native on dense V).
    const sums = new Float64Array(3);
    kernels.betaLossSums(V.data, m, n, k, W, Ht, beta, sums);
    [keptA, keptB, allWHBeta] = sums;
  } else {
    const running = new BetaLossSums(beta);
    for (let i = 0; i < m; i++) {
      for (let p = V.indptr[i]; p < V.indptr[i + 1]; p++) {
        const v = V.data[p];
        if (v > EPS32) running.kept(v, dotRow(W, Ht, i, V.indices[p], k));
      }
    }
    if (beta !== 0) {
      // Σ WH^β over every observed entry: the implicit zeros count too, so whole rows of WH.
      const { indptr, indices, data: stored } = V;
      kernels.whRows(W, Ht, m, n, k, (i, wh, at) => {
        let p = indptr[i];
        const end = indptr[i + 1];
        for (let j = 0; j < n; j++) {
          if (p < end && indices[p] === j) {
            const value = stored[p++];
            if (value !== value) continue;
          }
          running.all(wh[at + j]);
        }
      });
    }
    ({ keptA, keptB, allWHBeta } = running);
  }
  if (beta === 0) return keptA - data.observed - keptB;
  return (keptA - beta * keptB + allWHBeta * (beta - 1)) / (beta * (beta - 1));
}

/**
 * The Frobenius (β = 2) and KL (β = 1) losses on dense V, summed row by row: each row's terms in
 * column order (`NmfKernels.rowLosses`, which the native kernels split over threads by rows), then
 * the row sums in row order.
 */
function denseRowSummed(
  d: Float64Array,
  m: number,
  n: number,
  W: Float64Array,
  Ht: Float64Array,
  k: number,
  beta: 1 | 2,
  data: PreparedData,
  kernels: NmfKernels,
): number {
  const rowSums = new Float64Array(2 * m);
  kernels.rowLosses(beta, d, m, n, k, W, Ht, rowSums);
  let a = 0;
  let b = 0;
  for (let i = 0; i < m; i++) {
    a += rowSums[2 * i];
    b += rowSums[2 * i + 1];
  }
  // β = 1: Σ V log(V/WH) + Σ WH − Σ V (scikit-learn's order of the three sums).
  return beta === 2 ? a / 2 : a + (observedSumWH(data, W, Ht, k) - b);
}

/**
 * Σ_observed V log(WH) − WH − log Γ(V+1) on prepared data. Dense V: each row's Σ_{V > 0}
 * (V log(WH) − log Γ(V+1)) in column order (`NmfKernels.rowLosses` kind 4, split over threads by
 * rows), the row sums in row order, then less Σ WH from the column sums of W and Ht (as the KL loss
 * takes it), so every kernel set and thread count gives the same bits.
 * @param W m × k
 * @param Ht n × k (Hᵀ)
 */
export function logLikelihoodOf(
  data: PreparedData,
  W: Float64Array,
  Ht: Float64Array,
  k: number,
  kernels: NmfKernels = selectKernels(),
): number {
  const { V, m, n } = data;
  if (V.kind === 'dense') {
    const rowSums = new Float64Array(3 * m);
    kernels.rowLosses(4, V.data, m, n, k, W, Ht, rowSums);
    let c = 0;
    for (let i = 0; i < m; i++) c += rowSums[3 * i + 2];
    return c - observedSumWH(data, W, Ht, k);
  }
  let s = 0;
  for (let i = 0; i < m; i++) {
    for (let p = V.indptr[i]; p < V.indptr[i + 1]; p++) {
      const v = V.data[p];
      if (v > 0) s += v * Math.log(dotRow(W, Ht, i, V.indices[p], k)) - logGamma(v + 1);
    }
  }
  return s - observedSumWH(data, W, Ht, k);
}

/**
 * The KL loss (β = 1) and the Poisson log-likelihood together, with the bits of `divergenceOf`
 * and `logLikelihoodOf`: on dense V one read of V and WH (`NmfKernels.rowLosses` kind 3), where
 * the two separate calls read them twice and form WH twice. CSR V: the two calls.
 * @param W m × k
 * @param Ht n × k (Hᵀ)
 */
export function klAndLogLikelihoodOf(
  data: PreparedData,
  W: Float64Array,
  Ht: Float64Array,
  k: number,
  kernels: NmfKernels = selectKernels(),
): { loss: number; loglik: number } {
  const { V, m, n } = data;
  if (V.kind !== 'dense') {
    return {
      loss: divergenceOf(data, W, Ht, k, 1, kernels),
      loglik: logLikelihoodOf(data, W, Ht, k, kernels),
    };
  }
  const rowSums = new Float64Array(3 * m);
  kernels.rowLosses(3, V.data, m, n, k, W, Ht, rowSums);
  let a = 0;
  let b = 0;
  let c = 0;
  for (let i = 0; i < m; i++) {
    a += rowSums[3 * i];
    b += rowSums[3 * i + 1];
    c += rowSums[3 * i + 2];
  }
  const sumWH = observedSumWH(data, W, Ht, k);
  // The loss as denseRowSummed sums it; the log-likelihood as logLikelihoodOf.
  return { loss: a + (sumWH - b), loglik: c - sumWH };
}

/**
 * Σ of WH over the observed entries: Σ_t (Σ_i W_it)(Σ_j H_tj) without forming WH, less the missing
 * entries' terms (cost ∝ (m + n)·k plus the missing entries).
 */
function observedSumWH(data: PreparedData, W: Float64Array, Ht: Float64Array, k: number): number {
  const wSum = new Float64Array(k);
  const hSum = new Float64Array(k);
  columnSums(W, data.m, k, wSum);
  columnSums(Ht, data.n, k, hSum);
  let sumWH = 0;
  for (let t = 0; t < k; t++) sumWH += wSum[t] * hSum[t];
  return sumWH - sumOverMissing(data, W, Ht, k, (wh) => wh);
}
