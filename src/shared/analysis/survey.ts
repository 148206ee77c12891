/**
 * The rank-survey measures of the R NMF package (Gaujoux & Seoighe 2010, BMC Bioinformatics
 * 11:367; `nmfEstimateRank`, `summary(<NMF>)` and `summary(<NMFfitX>)` in NMF 0.25) that the sweep
 * reports beside its own criteria, computed as that package defines them, so a rank survey here can
 * be set beside a published R NMF one:
 *
 *   sparseness.basis, sparseness.coef — `sparseness(basis(x))`, `sparseness(coef(x))`: the mean over
 *     the matrix's columns of Hoyer's sparseness (√n − ‖x‖₁/‖x‖₂)/(√n − 1) of each column
 *     (Hoyer 2004, JMLR 5:1457). For W the columns are the components' feature loadings (length
 *     m); for H they are the samples' coefficients (length k). A zero column is 0/0 in R (NaN),
 *     which makes the mean NaN: null here.
 *   rss — `rss(x, V)`: Σ (V − W·H)² over every entry; evar — `evar(x, V)`: 1 − rss / Σ V².
 *     R NMF has no missing values; here missing entries (NaN) are left out of both sums.
 *   silhouette.coef, silhouette.basis — `summary(silhouette(x, what = "samples" / "features"))`'s
 *     average width (Rousseeuw 1987, J Comput Appl Math 20:53; the `cluster` package's
 *     `silhouette.default`): each sample is clustered to the component of its largest |H_aj|
 *     (each feature to that of its largest |W_ia|), the first on ties (`which.max`), on the raw
 *     factors as fitted — not the scaled labels the consensus uses (consensus.ts `sampleLabels`) —
 *     and the dissimilarity is 1 − Pearson correlation of the samples' columns of H (features'
 *     rows of W). R stops with an error when a vector has zero variance (its correlations are NA
 *     and `silhouette.default` refuses NA dissimilarities): null here. With one cluster, or as
 *     many clusters as points, R gives NA: null here.
 *   silhouette.consensus — `summary(silhouette(x, what = "consensus"))`'s average width: the
 *     consensus clusters (average-linkage tree of 1 − C cut at k, as the cophenetic correlation
 *     uses) with the dissimilarity 1 − C.
 *
 * The sample and feature silhouettes are computed over all points in O(s·k²) (the correlation
 * dissimilarity sums per cluster: see {@link correlationSilhouette}), never over the s² pairs. The
 * consensus silhouette needs the pairs (1 − C has no such form): O(s²) time over the s samples the
 * consensus matrix covers, at most consensus.ts `CONSENSUS_MAX_SAMPLES` (its fixed subsample above).
 */
import type { DataMatrix, DenseMatrix } from '../linalg/matrix';
import type { FitSurvey } from './types';

/**
 * Hoyer's sparseness of each column of a matrix, averaged over the columns (R NMF
 * `sparseness(<matrix>)`: `mean(apply(x, 2, sparseness))`): (√n − Σ|x|/√Σx²)/(√n − 1) for a column
 * x of length n. 1 for a column with one non-zero entry, 0 for a column of equal entries.
 *
 * @param M rows × cols; the columns are the vectors
 * @returns the mean, or null when a column is zero or has length 1 (R: NaN)
 */
export function sparseness(M: DenseMatrix): number | null {
  const { rows: n, cols, data } = M;
  const root = Math.sqrt(n);
  let total = 0;
  for (let c = 0; c < cols; c++) {
    let absolute = 0;
    let squares = 0;
    for (let r = 0; r < n; r++) {
      const x = data[r * cols + c];
      absolute += Math.abs(x);
      squares += x * x;
    }
    total += (root - absolute / Math.sqrt(squares)) / (root - 1);
  }
  const mean = total / cols;
  return Number.isFinite(mean) ? mean : null;
}

/** Hᵀ of a k × n matrix, as n rows of k. */
function transposed(H: DenseMatrix): Float64Array {
  const { rows: k, cols: n, data } = H;
  const out = new Float64Array(n * k);
  for (let a = 0; a < k; a++) for (let j = 0; j < n; j++) out[j * k + a] = data[a * n + j];
  return out;
}

/**
 * Residual sum of squares Σ (V − W·H)² and Σ V² over V's observed (non-NaN) entries. Dense V: the
 * direct sum, row by row. CSR V: without W·H dense, as
 *   Σ_stored V² − 2 Σ_stored V∘(W·H) + Σ_all (W·H)², with Σ_all (W·H)² = trace((WᵀW)(HHᵀ)),
 * less (W·H)² at stored NaN entries. This is not the direct sum bit for bit (the terms are
 * grouped differently and the large terms cancel) but agrees with it to rounding: a difference
 * of a few units in the last place of the larger of Σ V² and Σ (W·H)², not of rss.
 *
 * @param V m × n (NaN: missing)
 * @param W m × k
 * @param H k × n
 * @param transposedH Hᵀ (n × k, row-major) where the caller has it (CSR V reads it)
 */
export function residualSums(
  V: DataMatrix,
  W: DenseMatrix,
  H: DenseMatrix,
  transposedH?: Float64Array,
): { rss: number; squares: number } {
  const { rows: m, cols: n } = V;
  const k = W.cols;
  if (W.rows !== m || H.cols !== n || H.rows !== k) {
    throw new RangeError(`V is ${m} × ${n} but W is ${W.rows} × ${k} and H ${H.rows} × ${H.cols}`);
  }
  if (V.kind === 'dense') {
    const fitted = new Float64Array(n);
    let rss = 0;
    let squares = 0;
    for (let i = 0; i < m; i++) {
      fitted.fill(0);
      for (let a = 0; a < k; a++) {
        const w = W.data[i * k + a];
        const row = a * n;
        for (let j = 0; j < n; j++) fitted[j] += w * H.data[row + j];
      }
      for (let j = 0; j < n; j++) {
        const v = V.data[i * n + j];
        if (Number.isNaN(v)) continue;
        const d = v - fitted[j];
        rss += d * d;
        squares += v * v;
      }
    }
    return { rss, squares };
  }
  // Hᵀ (n × k) so each stored entry's (W·H)_ij reads a contiguous row.
  const Ht = transposedH ?? transposed(H);
  let squares = 0;
  let cross = 0;
  let missingFitted = 0;
  for (let i = 0; i < m; i++) {
    const wRow = i * k;
    for (let q = V.indptr[i]; q < V.indptr[i + 1]; q++) {
      const j = V.indices[q];
      let fitted = 0;
      for (let a = 0; a < k; a++) fitted += W.data[wRow + a] * Ht[j * k + a];
      const v = V.data[q];
      if (Number.isNaN(v)) {
        missingFitted += fitted * fitted;
        continue;
      }
      squares += v * v;
      cross += v * fitted;
    }
  }
  // trace((WᵀW)(HHᵀ)) = Σ_ab (WᵀW)_ab (HHᵀ)_ab: both Gram matrices are k × k.
  let fittedSquares = 0;
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      let wGram = 0;
      for (let i = 0; i < m; i++) wGram += W.data[i * k + a] * W.data[i * k + b];
      let hGram = 0;
      for (let j = 0; j < n; j++) hGram += H.data[a * n + j] * H.data[b * n + j];
      fittedSquares += wGram * hGram;
    }
  }
  return { rss: squares - 2 * cross + fittedSquares - missingFitted, squares };
}

/**
 * The silhouette's average width (Rousseeuw 1987) of s points in c clusters, as the `cluster`
 * package's `silhouette.default` (C routine `sildist`) computes it: for point i, a(i) is its mean
 * dissimilarity to the other members of its cluster and b(i) the lowest mean dissimilarity to
 * another cluster's members; its width is (b − a) / max(a, b), 0 when a = b or when i is alone in
 * its cluster; the average is the mean width (`summary(<silhouette>)$avg.width`).
 *
 * @param labels cluster of each point (any non-negative integers)
 * @param dissimilarity d(i, j) for i < j (symmetric)
 * @returns null with fewer than two clusters or as many clusters as points (R: NA), or when a
 *   dissimilarity is NaN (R stops with an error)
 */
export function averageSilhouette(
  labels: readonly number[],
  dissimilarity: (i: number, j: number) => number,
): number | null {
  const s = labels.length;
  // Clusters renumbered 0..c−1 (R recodes to the factor's levels: the widths do not depend on it).
  const code = new Map<number, number>();
  const cluster = new Int32Array(s);
  for (let i = 0; i < s; i++) {
    let c = code.get(labels[i]);
    if (c === undefined) {
      c = code.size;
      code.set(labels[i], c);
    }
    cluster[i] = c;
  }
  const c = code.size;
  if (c <= 1 || c >= s) return null;
  const counts = new Float64Array(c);
  for (let i = 0; i < s; i++) counts[cluster[i]]++;
  // sums[i·c + l]: Σ d(i, j) over j in cluster l, j ≠ i.
  const sums = new Float64Array(s * c);
  for (let i = 0; i < s; i++) {
    const ci = cluster[i];
    for (let j = i + 1; j < s; j++) {
      const d = dissimilarity(i, j);
      if (Number.isNaN(d)) return null;
      sums[i * c + cluster[j]] += d;
      sums[j * c + ci] += d;
    }
  }
  let total = 0;
  for (let i = 0; i < s; i++) {
    const ci = cluster[i];
    if (counts[ci] <= 1) continue; // a singleton's width is 0
    const a = sums[i * c + ci] / (counts[ci] - 1);
    let b = Infinity;
    for (let l = 0; l < c; l++) if (l !== ci) b = Math.min(b, sums[i * c + l] / counts[l]);
    if (b !== a) total += (b - a) / Math.max(a, b);
  }
  return total / s;
}

/**
 * R NMF's `silhouette(x, what = "samples" | "features")` average width for vectors of length k:
 * clusters by the largest absolute entry (the first on ties, as `which.max`), dissimilarity
 * 1 − Pearson correlation. The vectors are the rows of `vectors` (points × k).
 *
 * Exact in O(s·k·c) time and O(s·k + c·k) memory rather than over the s² pairs: with each vector
 * centred and scaled to unit length (z), cor(x_i, x_j) = z_i·z_j, so the dissimilarities from
 * point i to the members of cluster l sum to |l| − z_i·Σ_{j∈l} z_j (its own cluster: less its own
 * term, 1 − z_i·z_i). The sums are grouped differently from `cluster::silhouette`'s pair-by-pair
 * sum, so they agree with R to rounding (the fixture's cases to 10⁻¹² relative), not bit for bit;
 * no sample is needed at 10⁶ samples.
 *
 * @param vectors points × k, row-major
 * @returns the average width, or null (see {@link averageSilhouette}; a zero-variance vector gives null)
 */
export function correlationSilhouette(vectors: Float64Array, k: number): number | null {
  return silhouetteOfOwnRows(vectors.slice(), k);
}

/** {@link correlationSilhouette} on rows it may overwrite (with their centred unit vectors). */
function silhouetteOfOwnRows(vectors: Float64Array, k: number): number | null {
  const s = vectors.length / k;
  const labels = new Int32Array(s);
  // Each vector centred and scaled to unit length in place: cor(x, y) is then a dot product.
  const unit = vectors;
  for (let p = 0; p < s; p++) {
    const base = p * k;
    let best = 0;
    let mean = 0;
    for (let a = 0; a < k; a++) {
      const x = vectors[base + a];
      if (Math.abs(x) > Math.abs(vectors[base + best])) best = a;
      mean += x;
    }
    labels[p] = best;
    mean /= k;
    let squares = 0;
    for (let a = 0; a < k; a++) {
      const d = vectors[base + a] - mean;
      unit[base + a] = d;
      squares += d * d;
    }
    // Zero variance: R's cor() gives NA, and silhouette() then stops.
    if (!(squares > 0)) return null;
    const scale = 1 / Math.sqrt(squares);
    for (let a = 0; a < k; a++) unit[base + a] *= scale;
  }
  // Clusters are the components 0..k−1 that occur; R recodes them to 1..c (the widths do not depend on it).
  const counts = new Float64Array(k);
  const sums = new Float64Array(k * k);
  for (let p = 0; p < s; p++) {
    const l = labels[p];
    counts[l]++;
    for (let a = 0; a < k; a++) sums[l * k + a] += unit[p * k + a];
  }
  let clusters = 0;
  for (let l = 0; l < k; l++) if (counts[l] > 0) clusters++;
  if (clusters <= 1 || clusters >= s) return null;
  let total = 0;
  for (let p = 0; p < s; p++) {
    const own = labels[p];
    if (counts[own] <= 1) continue; // a singleton's width is 0
    let self = 0;
    for (let a = 0; a < k; a++) self += unit[p * k + a] * unit[p * k + a];
    let a = 0;
    let b = Infinity;
    for (let l = 0; l < k; l++) {
      if (counts[l] === 0) continue;
      let dot = 0;
      for (let q = 0; q < k; q++) dot += unit[p * k + q] * sums[l * k + q];
      if (l === own) a = (counts[l] - 1 - (dot - self)) / (counts[l] - 1);
      else b = Math.min(b, (counts[l] - dot) / counts[l]);
    }
    if (b !== a) total += (b - a) / Math.max(a, b);
  }
  return total / s;
}

/**
 * R NMF's `summary(<NMF>, target = V)` measures of one fit: sparseness of W's and of H's columns,
 * rss and evar against V (observed entries), and the sample and feature silhouettes (over every
 * sample and feature).
 *
 * @param V m × n, the data the fit was made on (NaN: missing)
 * @param W m × k
 * @param H k × n
 */
export function fitSurvey(V: DataMatrix, W: DenseMatrix, H: DenseMatrix): FitSurvey {
  const k = W.cols;
  // One n × k copy of H serves the CSR pass and then the samples' silhouette (at 10⁶ samples and
  // k = 20, 160 MB: not three).
  const Ht = transposed(H);
  const { rss, squares } = residualSums(V, W, H, Ht);
  const evar = 1 - rss / squares;
  return {
    rss,
    evar: Number.isFinite(evar) ? evar : null,
    sparsenessBasis: sparseness(W),
    sparsenessCoef: sparseness(H),
    // The samples' coefficient vectors are H's columns: Hᵀ's rows, overwritten (the last use).
    silhouetteCoef: silhouetteOfOwnRows(Ht, k),
    silhouetteBasis: correlationSilhouette(W.data, k),
  };
}

/**
 * R NMF's `silhouette(x, what = "consensus")` average width: clusters of the consensus (the
 * average-linkage tree of 1 − C cut at k) with the dissimilarity 1 − C.
 *
 * @param consensus s × s consensus matrix (the samples it covers: all, or the consensus subsample)
 * @param clusters cluster of each of those s samples
 */
export function consensusSilhouette(consensus: DenseMatrix, clusters: readonly number[]): number | null {
  const s = consensus.rows;
  if (clusters.length !== s) throw new RangeError(`${clusters.length} clusters for ${s} samples`);
  const { data } = consensus;
  return averageSilhouette(clusters, (i, j) => 1 - data[i * s + j]);
}
