/**
 * Products of the scalar reference kernels: with V (dense and CSR) and the small k × k ones.
 */
import type { NmfKernels } from '../contract';
import { accumulateRow, scatterRow, sparseAccumulateRow, sparseScatterRow } from './rows';

// ---------------------------------------------------------------------------------------------
// Products with V

/** out (m × k) = V · F for dense V (m × n) and F (n × k); NaN entries of V count as 0. out is overwritten. */
export const denseTimes: NmfKernels['denseTimes'] = (V, m, n, F, k, out) => {
  for (let i = 0; i < m; i++) accumulateRow(V, i * n, F, n, k, out, i * k);
};

/** out (n × k) = Vᵀ · W for dense V (m × n) and W (m × k); NaN entries of V count as 0. out is overwritten. */
export const denseTransposeTimes: NmfKernels['denseTransposeTimes'] = (V, m, n, W, k, out) => {
  out.fill(0, 0, n * k);
  for (let i = 0; i < m; i++) scatterRow(V, i * n, W, i * k, n, k, out);
};

/** out (m × k) = V · F for CSR V (m × n) and F (n × k); stored NaN count as 0. Cost nnz·k. */
export const csrTimes: NmfKernels['csrTimes'] = (indptr, indices, data, m, _n, F, k, out) => {
  for (let i = 0; i < m; i++) sparseAccumulateRow(indices, data, indptr[i], indptr[i + 1], F, k, out, i * k);
};

/** out (n × k) = Vᵀ · W for CSR V (m × n) and W (m × k); stored NaN count as 0. Cost nnz·k. */
export const csrTransposeTimes: NmfKernels['csrTransposeTimes'] = (
  indptr,
  indices,
  data,
  m,
  n,
  W,
  k,
  out,
) => {
  out.fill(0, 0, n * k);
  for (let i = 0; i < m; i++) sparseScatterRow(indices, data, indptr[i], indptr[i + 1], W, i * k, k, out);
};

// ---------------------------------------------------------------------------------------------
// Small dense products

/** out (k × k) = Aᵀ A for A (rows × k). out is overwritten. */
export const gram: NmfKernels['gram'] = (A, rows, k, out) => {
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
};

/** out (rows × k) = A · G for A (rows × k) and G (k × k). out is overwritten. */
export const timesSmall: NmfKernels['timesSmall'] = (A, rows, k, G, out) => {
  for (let i = 0; i < rows; i++) {
    const ai = i * k;
    for (let t = 0; t < k; t++) {
      let s = 0;
      for (let q = 0; q < k; q++) s += A[ai + q] * G[q * k + t];
      out[ai + t] = s;
    }
  }
};

/** out (k) = column sums of A (rows × k). */
export function columnSums(A: Float64Array, rows: number, k: number, out: Float64Array): void {
  out.fill(0, 0, k);
  for (let i = 0; i < rows; i++) {
    const ai = i * k;
    for (let t = 0; t < k; t++) out[t] += A[ai + t];
  }
}
