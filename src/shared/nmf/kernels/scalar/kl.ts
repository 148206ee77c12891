import type { NmfKernels } from '../contract';
import { EPS32 } from './numbers';
import { accumulateRow, rowProducts, scatterRow, sparseAccumulateRow, sparseScatterRow } from './rows';

// ---------------------------------------------------------------------------------------------
// Kullback–Leibler (β = 1) numerators: fused passes over V

/**
 * numW (m × k) = (V ⊘ WH) · Hᵀ for dense V, with WH == 0 → EPS32 where V > 0 (scikit-learn's `WH_safe`).
 * Zero and NaN entries of V contribute nothing. Per row: WH_i· into `row` (length n), the ratio in
 * place, then the row times Ht. numW is overwritten.
 */
export const klNumWDense: NmfKernels['klNumWDense'] = (V, m, n, k, W, Ht, numW, row) => {
  for (let i = 0; i < m; i++) {
    klRatioRow(V, i * n, n, W, i * k, Ht, k, row);
    accumulateRow(row, 0, Ht, n, k, numW, i * k);
  }
};

/** numHt (n × k) = (Wᵀ (V ⊘ WH))ᵀ for dense V; the mirror of `klNumWDense`. numHt is overwritten. */
export const klNumHDense: NmfKernels['klNumHDense'] = (V, m, n, k, W, Ht, numHt, row) => {
  numHt.fill(0, 0, n * k);
  for (let i = 0; i < m; i++) {
    klRatioRow(V, i * n, n, W, i * k, Ht, k, row);
    scatterRow(row, 0, W, i * k, n, k, numHt);
  }
};

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
export const klNumWCsr: NmfKernels['klNumWCsr'] = (
  indptr,
  indices,
  data,
  m,
  n,
  k,
  W,
  Ht,
  numW,
  row,
  ratio,
) => {
  for (let i = 0; i < m; i++) {
    const start = indptr[i];
    const end = indptr[i + 1];
    klSparseRatios(indices, data, start, end, n, k, W, i * k, Ht, row, ratio);
    sparseAccumulateRow(indices, ratio, start, end, Ht, k, numW, i * k);
  }
};

/** CSR version of `klNumHDense`: cost ∝ nnz·k. `ratio`: scratch of length nnz; `row`: length n. */
export const klNumHCsr: NmfKernels['klNumHCsr'] = (
  indptr,
  indices,
  data,
  m,
  n,
  k,
  W,
  Ht,
  numHt,
  row,
  ratio,
) => {
  numHt.fill(0, 0, n * k);
  for (let i = 0; i < m; i++) {
    const start = indptr[i];
    const end = indptr[i + 1];
    klSparseRatios(indices, data, start, end, n, k, W, i * k, Ht, row, ratio);
    sparseScatterRow(indices, ratio, start, end, W, i * k, k, numHt);
  }
};
