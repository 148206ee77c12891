import { dense, type DataMatrix, type DenseMatrix } from '../linalg/matrix';
import { Rng } from '../linalg/random';
import { randomizedSvd, type SvdProducts } from '../linalg/svd';
import { observedMean, prepareData, type PreparedData } from './data';
import { selectKernels, type NmfKernels } from './kernels';
import { FitSettingsError, type InitMethod } from './types';

/** Starting factors W (m × k) and H (k × n). */
export interface InitialFactors {
  W: DenseMatrix;
  H: DenseMatrix;
}

/**
 * Starting factors for V (m × n) ≈ W (m × k) · H (k × n), as scikit-learn 1.2's `_initialize_nmf`
 * builds them (not bit-equal: our generator is not numpy's):
 *  - `random`: avg·|N(0,1)| with avg = sqrt(mean(V)/k), drawing H first and then W;
 *  - `nndsvd`: Boutsidis & Gallopoulos (2008) on the rank-k truncated SVD (randomized, Halko et al.
 *    2011, with scikit-learn's power iterations at most, fewer once the leading k-dimensional
 *    subspace has converged: `randomizedSvd`'s `tolerance`): the leading pair as √σ₀·|u₀|, √σ₀·|v₀|;
 *    for the others the dominant ±part of each
 *    singular-vector pair; entries < 1e-6 set to 0;
 *  - `nndsvda`: nndsvd with those zeros replaced by mean(V);
 *  - `nndsvdar`: nndsvd with the zeros replaced by |mean(V)·N(0,1)/100| (W's first, then H's).
 * mean(V) is over the observed entries; missing (NaN) entries count as 0 in the SVD, so their
 * values never reach the start. `custom` is not an initialisation method here (the fit copies W0/H0).
 */
export function initialize(
  V: DataMatrix,
  rank: number,
  method: Exclude<InitMethod, 'custom'>,
  seed = 0,
): InitialFactors {
  return initializePrepared(prepareData(V), rank, method, seed);
}

/**
 * `initialize` on data already scanned by the fit. `products`: V·X and Vᵀ·Y for the SVD of the
 * NNDSVD starts, default the kernels' on `data.V` (a fit streaming V passes its own, with the same
 * sums in the same order: src/shared/nmf/streamed.ts).
 */
export function initializePrepared(
  data: PreparedData,
  rank: number,
  method: Exclude<InitMethod, 'custom'>,
  seed: number,
  kernels: NmfKernels = selectKernels(),
  products: SvdProducts | undefined = kernelProducts(data, kernels),
): InitialFactors {
  const { m, n } = data;
  if (!Number.isInteger(rank) || rank < 1 || rank > Math.min(m, n)) {
    throw new FitSettingsError(`rank ${rank} exceeds min(m, n) = ${Math.min(m, n)}`);
  }
  const mean = observedMean(data);
  const rng = new Rng(seed);
  if (method === 'random') {
    const avg = Math.sqrt(mean / rank);
    const H = new Float64Array(rank * n);
    const W = new Float64Array(m * rank);
    for (let q = 0; q < H.length; q++) H[q] = avg * Math.abs(rng.normal());
    for (let q = 0; q < W.length; q++) W[q] = avg * Math.abs(rng.normal());
    return { W: dense(m, rank, W), H: dense(rank, n, H) };
  }
  if (method !== 'nndsvd' && method !== 'nndsvda' && method !== 'nndsvdar') {
    throw new FitSettingsError(`unknown init '${String(method)}'`);
  }
  const svd = randomizedSvd(data.V, rank, { seed, products });
  const W = new Float64Array(m * rank);
  const H = new Float64Array(rank * n);
  const x = new Float64Array(m);
  const y = new Float64Array(n);
  for (let j = 0; j < rank; j++) {
    for (let i = 0; i < m; i++) x[i] = svd.U[i * rank + j];
    for (let c = 0; c < n; c++) y[c] = svd.V[c * rank + j];
    if (j === 0) {
      const s = Math.sqrt(svd.S[0]);
      for (let i = 0; i < m; i++) W[i * rank] = s * Math.abs(x[i]);
      for (let c = 0; c < n; c++) H[c] = s * Math.abs(y[c]);
      continue;
    }
    const xp = partNorm(x, 1);
    const xn = partNorm(x, -1);
    const yp = partNorm(y, 1);
    const yn = partNorm(y, -1);
    const mp = xp * yp;
    const mn = xn * yn;
    const positive = mp > mn;
    const sign = positive ? 1 : -1;
    const xNorm = positive ? xp : xn;
    const yNorm = positive ? yp : yn;
    const lambda = Math.sqrt(svd.S[j] * (positive ? mp : mn));
    for (let i = 0; i < m; i++) {
      const part = Math.max(sign * x[i], 0);
      W[i * rank + j] = xNorm > 0 ? lambda * (part / xNorm) : 0;
    }
    for (let c = 0; c < n; c++) {
      const part = Math.max(sign * y[c], 0);
      H[j * n + c] = yNorm > 0 ? lambda * (part / yNorm) : 0;
    }
  }
  const eps = 1e-6;
  for (let q = 0; q < W.length; q++) if (W[q] < eps) W[q] = 0;
  for (let q = 0; q < H.length; q++) if (H[q] < eps) H[q] = 0;
  if (method === 'nndsvda') {
    for (let q = 0; q < W.length; q++) if (W[q] === 0) W[q] = mean;
    for (let q = 0; q < H.length; q++) if (H[q] === 0) H[q] = mean;
  } else if (method === 'nndsvdar') {
    for (let q = 0; q < W.length; q++) if (W[q] === 0) W[q] = Math.abs((mean * rng.normal()) / 100);
    for (let q = 0; q < H.length; q++) if (H[q] === 0) H[q] = Math.abs((mean * rng.normal()) / 100);
  }
  return { W: dense(m, rank, W), H: dense(rank, n, H) };
}

/**
 * The SVD's products V·X and Vᵀ·Y on the solvers' kernels (native or WebAssembly where loaded),
 * which skip entries that are not > 0: for V without negative entries these are the entries the
 * plain products skip (zeros and NaN), summed in the same order, so the start keeps its bits and
 * costs a fraction of its plain-JavaScript time. A V with negative entries (which no fit accepts,
 * but `initialize` may be called on anything) keeps the plain products.
 */
export function kernelProducts(
  data: PreparedData,
  kernels: NmfKernels = selectKernels(),
): SvdProducts | undefined {
  if (data.negative !== null) return undefined;
  const { V, m, n } = data;
  if (V.kind === 'dense') {
    return {
      times: (X, l, out) => kernels.denseTimes(V.data, m, n, X, l, out),
      transposeTimes: (Y, l, out) => kernels.denseTransposeTimes(V.data, m, n, Y, l, out),
      orthonormalize: (Q, rows, l) => kernels.orthonormalizeColumns(Q, rows, l),
      jacobiSweeps: (At, Vt, rows, cols) => kernels.jacobiSweeps(At, Vt, rows, cols),
    };
  }
  return {
    times: (X, l, out) => kernels.csrTimes(V.indptr, V.indices, V.data, m, n, X, l, out),
    transposeTimes: (Y, l, out) => kernels.csrTransposeTimes(V.indptr, V.indices, V.data, m, n, Y, l, out),
    orthonormalize: (Q, rows, l) => kernels.orthonormalizeColumns(Q, rows, l),
    jacobiSweeps: (At, Vt, rows, cols) => kernels.jacobiSweeps(At, Vt, rows, cols),
  };
}

/** Euclidean norm of the positive (sign 1) or negative (sign −1) part of x. */
function partNorm(x: Float64Array, sign: 1 | -1): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const v = sign * x[i];
    if (v > 0) s += v * v;
  }
  return Math.sqrt(s);
}
