import { EigenvalueDecomposition, Matrix, QrDecomposition } from 'ml-matrix';
import { dense, type DataMatrix } from '../linalg/matrix';
import { Rng } from '../linalg/random';
import type { PcaResult } from './types';

/** Options of {@link pca}. */
export interface PcaOptions {
  /** Components to keep. Default min(10, m, n − 1). */
  components?: number;
  /**
   * `exact`: eigendecomposition of the Gram matrix of the smaller dimension; `randomized`: the
   * randomized range finder of Halko, Martinsson & Tropp (2011). `auto` (default) is exact when
   * min(m, n) ≤ 1000.
   */
  method?: 'auto' | 'exact' | 'randomized';
  /** Randomized: power iterations. Default 4. */
  powerIterations?: number;
  /** Randomized: extra dimensions of the sketch. Default 10. */
  oversampling?: number;
  /** Randomized: seed of the sketch. Default 0. */
  seed?: number;
}

/**
 * The centred data as a linear operator, never materialised for CSR input: X = Vᵀ − 1·μᵀ is
 * n × m (samples are observations, features are variables; μ = feature means). Missing (NaN)
 * entries are imputed by their feature's mean, i.e. contribute 0 after centring.
 */
class CentredData {
  readonly m: number;
  readonly n: number;
  readonly mean: Float64Array;
  constructor(readonly V: DataMatrix) {
    this.m = V.rows;
    this.n = V.cols;
    this.mean = new Float64Array(this.m);
    const counts = new Float64Array(this.m);
    this.forEachEntry((i, _j, v) => {
      this.mean[i] += v;
      counts[i]++;
    });
    for (let i = 0; i < this.m; i++) this.mean[i] = counts[i] > 0 ? this.mean[i] / counts[i] : 0;
  }

  /** Calls f on every observed entry, including CSR's unstored zeros only when `withZeros`. */
  private forEachEntry(f: (i: number, j: number, v: number) => void, withZeros = true): void {
    const { V, m, n } = this;
    if (V.kind === 'dense') {
      for (let t = 0; t < m * n; t++) {
        const v = V.data[t];
        if (!Number.isNaN(v)) f(Math.floor(t / n), t % n, v);
      }
      return;
    }
    for (let i = 0; i < m; i++) {
      let stored = 0;
      for (let q = V.indptr[i]; q < V.indptr[i + 1]; q++) {
        if (!Number.isNaN(V.data[q])) f(i, V.indices[q], V.data[q]);
        stored++;
      }
      // Unstored zeros add nothing to sums but count as observations.
      if (withZeros) for (let z = 0; z < n - stored; z++) f(i, -1, 0);
    }
  }

  /** Value of the centred entry for feature i, sample j (0 for missing). */
  private centred(i: number, v: number): number {
    return Number.isNaN(v) ? 0 : v - this.mean[i];
  }

  /** X·B for B m × c (row-major): returns n × c. */
  times(B: Float64Array, c: number): Float64Array {
    const { V, m, n } = this;
    const out = new Float64Array(n * c);
    if (V.kind === 'dense') {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          const x = this.centred(i, V.data[i * n + j]);
          if (x === 0) continue;
          for (let a = 0; a < c; a++) out[j * c + a] += x * B[i * c + a];
        }
      }
      return out;
    }
    // CSR: Vᵀ·B over stored entries, minus 1·(μᵀB) for all entries, plus μ_i·B_i back for missing ones.
    const muB = new Float64Array(c);
    for (let i = 0; i < m; i++) for (let a = 0; a < c; a++) muB[a] += this.mean[i] * B[i * c + a];
    for (let j = 0; j < n; j++) for (let a = 0; a < c; a++) out[j * c + a] = -muB[a];
    for (let i = 0; i < m; i++) {
      for (let q = V.indptr[i]; q < V.indptr[i + 1]; q++) {
        const j = V.indices[q];
        const v = V.data[q];
        const x = Number.isNaN(v) ? this.mean[i] : v;
        for (let a = 0; a < c; a++) out[j * c + a] += x * B[i * c + a];
      }
    }
    return out;
  }

  /** Xᵀ·B for B n × c: returns m × c. */
  transposeTimes(B: Float64Array, c: number): Float64Array {
    const { V, m, n } = this;
    const out = new Float64Array(m * c);
    if (V.kind === 'dense') {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          const x = this.centred(i, V.data[i * n + j]);
          if (x === 0) continue;
          for (let a = 0; a < c; a++) out[i * c + a] += x * B[j * c + a];
        }
      }
      return out;
    }
    const colSums = new Float64Array(c);
    for (let j = 0; j < n; j++) for (let a = 0; a < c; a++) colSums[a] += B[j * c + a];
    for (let i = 0; i < m; i++) {
      for (let a = 0; a < c; a++) out[i * c + a] = -this.mean[i] * colSums[a];
      for (let q = V.indptr[i]; q < V.indptr[i + 1]; q++) {
        const j = V.indices[q];
        const v = V.data[q];
        const x = Number.isNaN(v) ? this.mean[i] : v;
        for (let a = 0; a < c; a++) out[i * c + a] += x * B[j * c + a];
      }
    }
    return out;
  }

  /** Σ of squared centred entries (n − 1 times the total variance). */
  sumOfSquares(): number {
    let s = 0;
    this.forEachEntry((i, _j, v) => {
      const x = v - this.mean[i];
      s += x * x;
    });
    return s;
  }
}

/**
 * Gram matrix of the smaller side, d × d: XXᵀ (d = n) when `samples`, else XᵀX (d = m), built
 * from products with blocks of 64 columns of the identity so memory stays O((m + n)·64).
 */
function gramMatrix(X: CentredData, samples: boolean): Matrix {
  const d = samples ? X.n : X.m;
  const G = new Matrix(d, d);
  const block = 64;
  for (let b0 = 0; b0 < d; b0 += block) {
    const bs = Math.min(block, d - b0);
    const E = new Float64Array(d * bs);
    for (let t = 0; t < bs; t++) E[(b0 + t) * bs + t] = 1;
    const product = samples ? X.times(X.transposeTimes(E, bs), bs) : X.transposeTimes(X.times(E, bs), bs);
    for (let s = 0; s < d; s++) for (let t = 0; t < bs; t++) G.set(s, b0 + t, product[s * bs + t]);
  }
  // Symmetrise away rounding differences between (s, t) and (t, s).
  for (let s = 0; s < d; s++) {
    for (let t = s + 1; t < d; t++) {
      const v = (G.get(s, t) + G.get(t, s)) / 2;
      G.set(s, t, v);
      G.set(t, s, v);
    }
  }
  return G;
}

/** Symmetric eigendecomposition, eigenvalues descending. */
function symmetricEigen(G: Matrix): { values: number[]; vectors: Matrix } {
  const evd = new EigenvalueDecomposition(G, { assumeSymmetric: true });
  const values = evd.realEigenvalues;
  const order = values.map((_, t) => t).sort((s, t) => values[t] - values[s]);
  const vectors = evd.eigenvectorMatrix;
  const sorted = new Matrix(vectors.rows, order.length);
  order.forEach((src, dst) => sorted.setColumn(dst, vectors.getColumn(src)));
  return { values: order.map((t) => values[t]), vectors: sorted };
}

/** Left factor of X's thin SVD for the top c components: the orthonormal basis of the sample side (n × c) and singular values. */
interface SampleSide {
  /** n × c, orthonormal columns. */
  U: Float64Array;
  singular: number[];
}

/** Exact: eigenvectors of the smaller Gram matrix, XXᵀ (n × n) or XᵀX (m × m). */
function exactSampleSide(X: CentredData, c: number): SampleSide {
  const { m, n } = X;
  if (n <= m) {
    const { values, vectors } = symmetricEigen(gramMatrix(X, true));
    const U = new Float64Array(n * c);
    for (let j = 0; j < n; j++) for (let a = 0; a < c; a++) U[j * c + a] = vectors.get(j, a);
    return { U, singular: values.slice(0, c).map((v) => Math.sqrt(Math.max(0, v))) };
  }
  // XᵀX (m × m); then U = X·V / σ.
  const G = gramMatrix(X, false);
  const { values, vectors } = symmetricEigen(G);
  const Vc = new Float64Array(m * c);
  for (let i = 0; i < m; i++) for (let a = 0; a < c; a++) Vc[i * c + a] = vectors.get(i, a);
  const XV = X.times(Vc, c); // n × c
  const singular = values.slice(0, c).map((v) => Math.sqrt(Math.max(0, v)));
  for (let j = 0; j < n; j++)
    for (let a = 0; a < c; a++) XV[j * c + a] = singular[a] > 0 ? XV[j * c + a] / singular[a] : 0;
  return { U: XV, singular };
}

/** Orthonormal basis of the columns of a rows × c row-major block (thin QR). */
function orthonormalize(A: Float64Array, rows: number, c: number): Float64Array {
  const q = new QrDecomposition(
    new Matrix(Array.from({ length: rows }, (_, r) => Array.from(A.subarray(r * c, (r + 1) * c)))),
  );
  return Float64Array.from(q.orthogonalMatrix.to1DArray());
}

/**
 * Randomized SVD (Halko, Martinsson & Tropp 2011, Algorithms 4.4 and 5.1): a Gaussian sketch of
 * X's column space refined by power iterations with re-orthonormalisation, then the exact
 * decomposition of the small projected matrix. Cost O(mn(c + p)·(2q + 2)).
 */
function randomizedSampleSide(
  X: CentredData,
  c: number,
  oversampling: number,
  power: number,
  seed: number,
): SampleSide {
  const { m, n } = X;
  const l = Math.min(c + oversampling, m, n);
  const rng = new Rng(seed);
  const omega = new Float64Array(m * l);
  for (let t = 0; t < omega.length; t++) omega[t] = rng.normal();
  let Q = orthonormalize(X.times(omega, l), n, l); // n × l
  for (let q = 0; q < power; q++) {
    const Z = orthonormalize(X.transposeTimes(Q, l), m, l); // m × l
    Q = orthonormalize(X.times(Z, l), n, l);
  }
  // B = Qᵀ X (l × m); BBᵀ (l × l) eigenvectors give the left singular vectors of B.
  const Bt = X.transposeTimes(Q, l); // m × l  (= Bᵀ)
  const G = new Matrix(l, l);
  for (let s = 0; s < l; s++) {
    for (let t = s; t < l; t++) {
      let sum = 0;
      for (let i = 0; i < m; i++) sum += Bt[i * l + s] * Bt[i * l + t];
      G.set(s, t, sum);
      G.set(t, s, sum);
    }
  }
  const { values, vectors } = symmetricEigen(G);
  const U = new Float64Array(n * c);
  for (let j = 0; j < n; j++) {
    for (let a = 0; a < c; a++) {
      let sum = 0;
      for (let s = 0; s < l; s++) sum += Q[j * l + s] * vectors.get(s, a);
      U[j * c + a] = sum;
    }
  }
  return { U, singular: values.slice(0, c).map((v) => Math.sqrt(Math.max(0, v))) };
}

/**
 * Principal component analysis of V (m features × n samples) with samples as observations and
 * features as variables, as scikit-learn's PCA on Vᵀ: features are centred, the leading singular
 * triplets of the centred n × m matrix X give loadings (right singular vectors, m × c), scores
 * (U·Σ, n × c) and explained variances σ²/(n − 1), whose ratios are relative to the total
 * variance (the sum of every feature's variance, computed directly, so ratios are exact also when
 * only a few components are computed). Signs are fixed so that each loading vector's entry of
 * largest magnitude is positive, making results reproducible.
 *
 * @param V m × n (dense or CSR; NaN = missing, imputed with the feature mean)
 */
export function pca(V: DataMatrix, options: PcaOptions = {}): PcaResult {
  const m = V.rows;
  const n = V.cols;
  if (n < 2 || m < 1) throw new RangeError(`PCA needs at least one feature and two samples, got ${m} × ${n}`);
  const c = options.components ?? Math.min(10, m, n - 1);
  if (!Number.isInteger(c) || c < 1 || c > Math.min(m, n)) {
    throw new RangeError(`components must be an integer in 1..${Math.min(m, n)}, got ${c}`);
  }
  const requested = options.method ?? 'auto';
  const method: 'exact' | 'randomized' =
    requested === 'auto' ? (Math.min(m, n) <= 1000 ? 'exact' : 'randomized') : requested;
  const X = new CentredData(V);
  const side =
    method === 'exact'
      ? exactSampleSide(X, c)
      : randomizedSampleSide(
          X,
          c,
          options.oversampling ?? 10,
          options.powerIterations ?? 4,
          options.seed ?? 0,
        );

  // Loadings: Xᵀ U / σ (m × c); scores: U σ (n × c).
  const XtU = X.transposeTimes(side.U, c);
  const loadings = dense(m, c);
  const scores = dense(n, c);
  for (let a = 0; a < c; a++) {
    const sigma = side.singular[a];
    let sign = 1;
    let largest = 0;
    for (let i = 0; i < m; i++) {
      const value = sigma > 0 ? XtU[i * c + a] / sigma : 0;
      loadings.data[i * c + a] = value;
      if (Math.abs(value) > largest) {
        largest = Math.abs(value);
        sign = value < 0 ? -1 : 1;
      }
    }
    for (let i = 0; i < m; i++) loadings.data[i * c + a] *= sign;
    for (let j = 0; j < n; j++) scores.data[j * c + a] = sign * side.U[j * c + a] * sigma;
  }
  const totalVariance = X.sumOfSquares() / (n - 1);
  const explainedVariance = side.singular.map((s) => (s * s) / (n - 1));
  return {
    components: c,
    explainedVariance,
    explainedVarianceRatio: explainedVariance.map((v) => (totalVariance > 0 ? v / totalVariance : 0)),
    totalVariance,
    loadings,
    scores,
    mean: Array.from(X.mean),
    method,
  };
}
