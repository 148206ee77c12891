import { dense, type DataMatrix, type DenseMatrix } from '../linalg/matrix';

/**
 * Marker features of each component: scores that measure how specific a feature is to one
 * component, not how large its loading is. A highly expressed gene has a large loading in every
 * component and tops every raw-loading list; it is not a marker of any.
 *
 * - Kim & Park (2007, Bioinformatics 23:1495) feature score and selection, exactly as the R NMF
 *   package's `featureScore(method = 'kim')` and `extractFeatures(method = 'kim')` compute them.
 * - cNMF's z-scored spectra (Kotliar et al. 2019, eLife 8:e43803): per-feature z-scored data
 *   regressed on the usages by ordinary least squares (`usage_coef = fast_ols_all_cols(usages,
 *   norm_tpm)` in cNMF), so a feature scores high on the component whose activity explains its
 *   variation across samples.
 */

export type MarkerMethod = 'kim-park' | 'zscore';

/**
 * Kim–Park feature score of each row of W: 1 + Σ_q p(i,q) log₂ p(i,q) / log₂ k, with
 * p(i,q) = |W(i,q)| / Σ_r |W(i,r)|. 1 when the feature loads on one component only, 0 when it
 * loads equally on all. As R NMF's `featureScore` (`1 + s / log2(ncol(object))`).
 *
 * Departure: R computes 0·log₂0 as NaN, so any row with a zero loading scores NaN there (and
 * `extractFeatures` then selects nothing, since `median` of a vector with NaN is NA). Here
 * 0·log₂0 = 0, its limit, which gives the same score as R on every row without zeros (tested
 * against R) and a meaningful one on rows with zeros — common in NMF output. A row of zeros has no
 * distribution and scores NaN.
 *
 * @param W m × k, k ≥ 2
 * @returns length m
 */
export function kimParkScores(W: DenseMatrix): Float64Array {
  const { rows: m, cols: k, data } = W;
  if (k < 2) throw new RangeError(`feature specificity needs at least two components, got ${k}`);
  const scores = new Float64Array(m);
  const logK = Math.log2(k);
  for (let i = 0; i < m; i++) {
    let total = 0;
    for (let q = 0; q < k; q++) total += Math.abs(data[i * k + q]);
    if (!(total > 0)) {
      scores[i] = NaN;
      continue;
    }
    let s = 0;
    for (let q = 0; q < k; q++) {
      const p = Math.abs(data[i * k + q]) / total;
      if (p > 0) s += p * Math.log2(p);
    }
    scores[i] = 1 + s / logK;
  }
  return scores;
}

/** R's `median` (mean of the two middle values for an even count). */
export function median(values: ArrayLike<number>): number {
  const sorted = Array.from(values).sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = n >> 1;
  return n % 2 === 1 ? sorted[h] : (sorted[h - 1] + sorted[h]) / 2;
}

/** R's `mad` with its defaults: 1.4826 · median(|x − median(x)|). */
export function medianAbsoluteDeviation(values: ArrayLike<number>): number {
  const center = median(values);
  return 1.4826 * median(Array.from(values, (v) => Math.abs(v - center)));
}

export interface KimParkSelection {
  /** Feature score of every row (NaN for rows of zeros). */
  scores: Float64Array;
  /** median(score) + 3·mad(score), over the finite scores. */
  threshold: number;
  /** median(|W|) over all entries: a selected feature's largest loading must reach it. */
  loadingFloor: number;
  /** Component (0-based) of each row's largest |loading| (the first on ties, as `which.max`). */
  dominant: Int32Array;
  /** For each component, the selected features (row indices) in decreasing score order. */
  selected: number[][];
}

/**
 * Kim & Park's feature selection, as R NMF's `extractFeatures(method = 'kim')`: a feature is kept
 * when its score is at least median + 3·MAD of all scores and its largest loading is at least the
 * median of |W|; it goes to the component of that largest loading; each component's features are
 * ordered by decreasing score (ties in row order, as R's stable `order`).
 *
 * @param W m × k, k ≥ 2
 */
export function kimParkSelection(W: DenseMatrix): KimParkSelection {
  const { rows: m, cols: k, data } = W;
  const scores = kimParkScores(W);
  const finite = Array.from(scores).filter((s) => Number.isFinite(s));
  const threshold = median(finite) + 3 * medianAbsoluteDeviation(finite);
  const loadingFloor = median(Array.from(data, Math.abs));
  const dominant = new Int32Array(m);
  const selected: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < m; i++) {
    let best = 0;
    for (let q = 1; q < k; q++) if (Math.abs(data[i * k + q]) > Math.abs(data[i * k + best])) best = q;
    dominant[i] = best;
    if (scores[i] >= threshold && data[i * k + best] >= loadingFloor) selected[best].push(i);
  }
  for (const list of selected) list.sort((a, b) => scores[b] - scores[a] || a - b);
  return { scores, threshold, loadingFloor, dominant, selected };
}

/**
 * cNMF-style z-scored spectra: each feature's values are z-scored across samples
 * ((v − mean) / standard deviation, n − 1 in the denominator; missing values count as the mean),
 * then regressed on the usages Hᵀ by ordinary least squares, B = (H Hᵀ)⁻¹ H Zᵀ. B(q, i) is how
 * many standard deviations feature i rises per unit of component q's activity, the others held
 * fixed. Features that do not vary score 0.
 *
 * @param V m × n data (dense or CSR)
 * @param H k × n usages
 * @returns m × k row-major (feature by component, the layout of W)
 */
export function zscoreSpectra(V: DataMatrix, H: DenseMatrix): DenseMatrix {
  const { rows: m, cols: n } = V;
  const k = H.rows;
  if (H.cols !== n) throw new RangeError(`H has ${H.cols} columns, V has ${n}`);
  // G = H Hᵀ (k × k), then its inverse by Gauss–Jordan with partial pivoting (k is small).
  const G = new Float64Array(k * k);
  for (let a = 0; a < k; a++)
    for (let b = 0; b < k; b++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += H.data[a * n + j] * H.data[b * n + j];
      G[a * k + b] = s;
    }
  const Ginv = invert(G, k);
  // P = G⁻¹ H (k × n): B(:, i) = P z_i.
  const P = new Float64Array(k * n);
  for (let a = 0; a < k; a++)
    for (let b = 0; b < k; b++) {
      const g = Ginv[a * k + b];
      if (g === 0) continue;
      for (let j = 0; j < n; j++) P[a * n + j] += g * H.data[b * n + j];
    }
  const out = new Float64Array(m * k);
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    readRow(V, i, row);
    let sum = 0;
    let count = 0;
    for (let j = 0; j < n; j++)
      if (!Number.isNaN(row[j])) {
        sum += row[j];
        count++;
      }
    const mean = count > 0 ? sum / count : 0;
    let ss = 0;
    for (let j = 0; j < n; j++) {
      if (Number.isNaN(row[j])) row[j] = mean;
      ss += (row[j] - mean) ** 2;
    }
    const sd = count > 1 ? Math.sqrt(ss / (count - 1)) : 0;
    if (!(sd > 0)) continue;
    for (let j = 0; j < n; j++) row[j] = (row[j] - mean) / sd;
    for (let a = 0; a < k; a++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += P[a * n + j] * row[j];
      out[i * k + a] = s;
    }
  }
  return dense(m, k, out);
}

function readRow(V: DataMatrix, i: number, out: Float64Array): void {
  if (V.kind === 'csr') {
    out.fill(0);
    for (let p = V.indptr[i]; p < V.indptr[i + 1]; p++) out[V.indices[p]] = V.data[p];
  } else {
    out.set(V.data.subarray(i * V.cols, (i + 1) * V.cols));
  }
}

/** Inverse of a k × k matrix (Gauss–Jordan, partial pivoting); throws when it is singular. */
function invert(A: Float64Array, k: number): Float64Array {
  const M = Float64Array.from(A);
  const inv = new Float64Array(k * k);
  for (let i = 0; i < k; i++) inv[i * k + i] = 1;
  let scale = 0;
  for (const v of A) scale = Math.max(scale, Math.abs(v));
  for (let c = 0; c < k; c++) {
    let pivot = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(M[r * k + c]) > Math.abs(M[pivot * k + c])) pivot = r;
    if (!(Math.abs(M[pivot * k + c]) > 1e-12 * scale)) {
      throw new RangeError('the usages are linearly dependent (a component is zero or a copy of another)');
    }
    if (pivot !== c)
      for (let t = 0; t < k; t++) {
        [M[c * k + t], M[pivot * k + t]] = [M[pivot * k + t], M[c * k + t]];
        [inv[c * k + t], inv[pivot * k + t]] = [inv[pivot * k + t], inv[c * k + t]];
      }
    const d = M[c * k + c];
    for (let t = 0; t < k; t++) {
      M[c * k + t] /= d;
      inv[c * k + t] /= d;
    }
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = M[r * k + c];
      if (f === 0) continue;
      for (let t = 0; t < k; t++) {
        M[r * k + t] -= f * M[c * k + t];
        inv[r * k + t] -= f * inv[c * k + t];
      }
    }
  }
  return inv;
}

export interface MarkerFeature {
  /** Row index in W. */
  index: number;
  score: number;
  /** The feature's loading in this component (W as fitted). */
  loading: number;
  /** Kim–Park: passes `extractFeatures`' two thresholds. z-score: always true. */
  selected: boolean;
}

export interface ComponentMarkers {
  component: number;
  features: MarkerFeature[];
}

export interface MarkerTable {
  method: MarkerMethod;
  components: ComponentMarkers[];
  /** Kim–Park's score threshold (median + 3·MAD); null for z-scores. */
  threshold: number | null;
}

/**
 * Ranked markers of every component.
 * - `kim-park`: the features whose largest loading is in the component, by decreasing Kim–Park
 *   score (ties in row order); `selected` marks those `extractFeatures` keeps. Each feature is a
 *   candidate for one component only, as in Kim & Park.
 * - `zscore`: every feature by decreasing z-scored spectrum coefficient for the component (a feature
 *   may rank in several), as cNMF's `gene_spectra_score` tables are read.
 *
 * @param W m × k
 * @param zscores m × k from `zscoreSpectra`, needed for `zscore`
 * @param top features per component (Infinity for all)
 */
export function rankMarkers(
  W: DenseMatrix,
  method: MarkerMethod,
  top: number,
  zscores?: DenseMatrix,
): MarkerTable {
  const { rows: m, cols: k, data } = W;
  if (method === 'kim-park') {
    const selection = kimParkSelection(W);
    const chosen = new Set<number>();
    for (const list of selection.selected) for (const i of list) chosen.add(i);
    const components: ComponentMarkers[] = [];
    for (let q = 0; q < k; q++) {
      const candidates: number[] = [];
      for (let i = 0; i < m; i++)
        if (selection.dominant[i] === q && Number.isFinite(selection.scores[i])) candidates.push(i);
      candidates.sort((a, b) => selection.scores[b] - selection.scores[a] || a - b);
      components.push({
        component: q,
        features: candidates.slice(0, top).map((i) => ({
          index: i,
          score: selection.scores[i],
          loading: data[i * k + q],
          selected: chosen.has(i),
        })),
      });
    }
    return { method, components, threshold: selection.threshold };
  }
  if (!zscores) throw new RangeError('z-score markers need the z-scored spectra');
  const components: ComponentMarkers[] = [];
  for (let q = 0; q < k; q++) {
    const order = Array.from({ length: m }, (_, i) => i).sort(
      (a, b) => zscores.data[b * k + q] - zscores.data[a * k + q] || a - b,
    );
    components.push({
      component: q,
      features: order.slice(0, top).map((i) => ({
        index: i,
        score: zscores.data[i * k + q],
        loading: data[i * k + q],
        selected: true,
      })),
    });
  }
  return { method, components, threshold: null };
}

/** Features by decreasing raw loading in each component (what specificity scores are compared against). */
export function topLoadings(W: DenseMatrix, top: number): number[][] {
  const { rows: m, cols: k, data } = W;
  return Array.from({ length: k }, (_, q) =>
    Array.from({ length: m }, (_, i) => i)
      .sort((a, b) => data[b * k + q] - data[a * k + q] || a - b)
      .slice(0, top),
  );
}
