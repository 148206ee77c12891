import { dense, type CsrMatrix, type DataMatrix, type DenseMatrix } from '../../linalg/matrix';
import { Rng } from '../../linalg/random';

/** Planted non-negative low-rank data: W (m × k) Gamma(2) with each row boosted on one component, H (k × n) Dirichlet columns, V = W·H (optionally Poisson counts). */
export function planted(
  m: number,
  n: number,
  k: number,
  seed: number,
  options: { poisson?: number } = {},
): { V: DenseMatrix; W: DenseMatrix; H: DenseMatrix } {
  const rng = new Rng(seed);
  const W = new Float64Array(m * k);
  for (let i = 0; i < m; i++) {
    for (let t = 0; t < k; t++) W[i * k + t] = 0.05 * rng.gamma(1);
    W[i * k + (i % k)] += 1 + rng.gamma(2);
  }
  const H = new Float64Array(k * n);
  for (let j = 0; j < n; j++) {
    const col = rng.dirichlet(k, 0.5);
    for (let t = 0; t < k; t++) H[t * n + j] = col[t];
  }
  const V = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += W[i * k + t] * H[t * n + j];
      V[i * n + j] = options.poisson !== undefined ? rng.poisson(options.poisson * s) : s;
    }
  }
  return { V: dense(m, n, V), W: dense(m, k, W), H: dense(k, n, H) };
}

/** max|A − B| / max|B|. */
export function relDiff(A: ArrayLike<number>, B: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let q = 0; q < B.length; q++) {
    num = Math.max(num, Math.abs(A[q] - B[q]));
    den = Math.max(den, Math.abs(B[q]));
  }
  return num / den;
}

/** Cosine similarity of column s of A (rows × ka) and column t of B (rows × kb). */
export function columnCosine(A: DenseMatrix, s: number, B: DenseMatrix, t: number): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < A.rows; i++) {
    const a = A.data[i * A.cols + s];
    const b = B.data[i * B.cols + t];
    ab += a * b;
    aa += a * a;
    bb += b * b;
  }
  return ab / Math.sqrt(aa * bb);
}

/** Best one-to-one matching of true components to fitted ones by brute force over permutations (k ≤ 7); returns the matched cosines. */
export function matchedCosines(truth: DenseMatrix, fitted: DenseMatrix): number[] {
  const k = truth.cols;
  const sim = Array.from({ length: k }, (_, s) =>
    Array.from({ length: fitted.cols }, (_, t) => columnCosine(truth, s, fitted, t)),
  );
  let best: number[] = [];
  let bestSum = -Infinity;
  const used = new Array<boolean>(fitted.cols).fill(false);
  const current: number[] = [];
  const walk = (s: number, sum: number): void => {
    if (s === k) {
      if (sum > bestSum) {
        bestSum = sum;
        best = current.slice();
      }
      return;
    }
    for (let t = 0; t < fitted.cols; t++) {
      if (used[t]) continue;
      used[t] = true;
      current.push(sim[s][t]);
      walk(s + 1, sum + sim[s][t]);
      current.pop();
      used[t] = false;
    }
  };
  walk(0, 0);
  return best;
}

/**
 * Non-negative m × n counts with a share `zeros` of zeros and `nans` of NaN (missing) entries, on a
 * SharedArrayBuffer when `shared` (as the app's datasets are).
 */
export function randomCounts(
  m: number,
  n: number,
  seed: number,
  zeros: number,
  nans = 0,
  shared = false,
): DenseMatrix {
  const rng = new Rng(seed);
  const data = shared ? new Float64Array(new SharedArrayBuffer(m * n * 8)) : new Float64Array(m * n);
  for (let q = 0; q < data.length; q++) {
    const u = rng.uniform();
    if (u < nans) data[q] = NaN;
    else if (u < nans + zeros) data[q] = 0;
    else data[q] = Math.floor(rng.gamma(2) * 10);
  }
  return dense(m, n, data);
}

/**
 * CSR copy of a dense matrix: every non-zero (NaN included), plus the zeros `storeZero(i, j)`
 * picks as explicitly stored entries; its arrays on SharedArrayBuffers when `shared`.
 */
export function toCsr(
  V: DenseMatrix,
  options: { storeZero?: (i: number, j: number) => boolean; shared?: boolean } = {},
): CsrMatrix {
  const indptr: number[] = [0];
  const indices: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < V.rows; i++) {
    for (let j = 0; j < V.cols; j++) {
      const v = V.data[i * V.cols + j];
      if (v !== 0 || options.storeZero?.(i, j) === true) {
        indices.push(j);
        values.push(v);
      }
    }
    indptr.push(indices.length);
  }
  const int32 = (xs: number[]): Int32Array =>
    options.shared ? copyInto(new Int32Array(new SharedArrayBuffer(xs.length * 4)), xs) : Int32Array.from(xs);
  const float64 = (xs: number[]): Float64Array =>
    options.shared
      ? copyInto(new Float64Array(new SharedArrayBuffer(xs.length * 8)), xs)
      : Float64Array.from(xs);
  return {
    kind: 'csr',
    rows: V.rows,
    cols: V.cols,
    indptr: int32(indptr),
    indices: int32(indices),
    data: float64(values),
  };
}

function copyInto<T extends Int32Array | Float64Array>(target: T, values: number[]): T {
  target.set(values);
  return target;
}

/** A dense matrix as the scikit-learn fixture scripts (scripts/oracle/*.py) write it. */
export interface DenseJson {
  rows: number;
  cols: number;
  data: number[];
}

/** A CSR matrix as the scikit-learn fixture scripts write it. */
export interface CsrJson extends DenseJson {
  indptr: number[];
  indices: number[];
}

export const denseFromJson = (d: DenseJson): DenseMatrix => dense(d.rows, d.cols, Float64Array.from(d.data));

export const csrFromJson = (c: CsrJson): CsrMatrix => ({
  kind: 'csr',
  rows: c.rows,
  cols: c.cols,
  indptr: Int32Array.from(c.indptr),
  indices: Int32Array.from(c.indices),
  data: Float64Array.from(c.data),
});

/** The three data sets every scikit-learn fixture holds, by the names its cases use. */
export function oracleDatasets(fixture: {
  dense: DenseJson;
  sparse: CsrJson;
  positive: DenseJson;
}): Record<string, DataMatrix> {
  return {
    dense: denseFromJson(fixture.dense),
    sparse: csrFromJson(fixture.sparse),
    positive: denseFromJson(fixture.positive),
  };
}
