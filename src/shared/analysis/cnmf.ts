import { dense, type DataMatrix, type DenseMatrix } from '../linalg/matrix';
import { betaDivergence } from '../nmf/divergence';
import { Rng } from '../linalg/random';

/**
 * Consensus components after Kotliar et al. 2019 (cNMF, eLife 8:e43803), following the reference
 * implementation's `cNMF.consensus` (github.com/dylkot/cNMF, src/cnmf/cnmf.py at commit
 * 5dbc5baaa0b9079b55bce554d801caa235a50457):
 *
 *  1. the k columns of W from each of R replicate fits are pooled (R·k "spectra") and each is
 *     scaled to unit Euclidean norm;
 *  2. local density of a column = the mean Euclidean distance to its n nearest other columns,
 *     n = ⌊local_neighborhood_size · R·k / k⌋ = ⌊0.3 · R⌋ by default (cNMF sums the n + 1
 *     smallest distances, its own 0 included, and divides by n);
 *  3. columns whose density is not below the threshold (default 0.5; ≥ 2 keeps everything) are
 *     dropped as outliers;
 *  4. the rest are clustered into k groups by k-means (cNMF: scikit-learn's KMeans, n_init = 10,
 *     random_state = 1; here Lloyd's algorithm from k-means++ starts, 10 starts, our seeded
 *     generator, the lowest inertia kept);
 *  5. the consensus component of each group is the entry-wise median of its columns, then scaled
 *     to sum 1 (cNMF: "normalize median spectra to probability distributions");
 *  6. H is then refitted with this W held (the caller runs the one-sided fit).
 *
 * Stability in cNMF's rank plot (`k_selection_plot`) is the silhouette score (Euclidean) of the
 * k-means clustering of the unit-norm columns computed without the density filter, and the error
 * is ‖V − W·H‖²_F (sum of squares) of the refitted consensus solution.
 *
 * Orientation: cNMF's spectra are programs × genes; ours are the columns of W (features × k).
 */

/** Default share of the replicates used as neighbours (cNMF's `local_neighborhood_size`). */
export const CNMF_NEIGHBOURHOOD = 0.3;
/** Default density threshold (cNMF's `density_threshold`). */
export const CNMF_DENSITY_THRESHOLD = 0.5;
/** Seed of the k-means starts (cNMF uses `random_state=1`). */
export const CNMF_KMEANS_SEED = 1;

/** Columns of several W (each m × k) pooled as unit-norm rows: P × m, P = Σ k. */
export interface PooledColumns {
  /** P × m row-major: row p is pooled column p scaled to unit ℓ2 norm (a zero column stays 0). */
  points: Float64Array;
  count: number;
  features: number;
  /** Where each pooled column came from. */
  source: Array<{ replicate: number; component: number }>;
}

/** Pools the columns of the replicates' W (each m × k), scaled to unit ℓ2 norm, replicate by replicate. */
export function poolColumns(replicates: readonly DenseMatrix[]): PooledColumns {
  if (replicates.length === 0) throw new RangeError('no replicate to pool');
  const m = replicates[0].rows;
  let count = 0;
  for (const W of replicates) {
    if (W.rows !== m) throw new RangeError(`replicates have different feature counts: ${W.rows} vs ${m}`);
    count += W.cols;
  }
  const points = new Float64Array(count * m);
  const source: PooledColumns['source'] = [];
  let p = 0;
  replicates.forEach((W, r) => {
    const k = W.cols;
    for (let a = 0; a < k; a++, p++) {
      let norm = 0;
      for (let i = 0; i < m; i++) norm += W.data[i * k + a] ** 2;
      norm = Math.sqrt(norm);
      const row = p * m;
      for (let i = 0; i < m; i++) points[row + i] = norm > 0 ? W.data[i * k + a] / norm : 0;
      source.push({ replicate: r, component: a });
    }
  });
  return { points, count, features: m, source };
}

/** Euclidean distance between rows p and q of a P × m row-major array. */
function distance(points: Float64Array, m: number, p: number, q: number): number {
  let s = 0;
  const a = p * m;
  const b = q * m;
  for (let i = 0; i < m; i++) {
    const d = points[a + i] - points[b + i];
    s += d * d;
  }
  return Math.sqrt(s);
}

/** Neighbours cNMF uses for R replicates at rank k: ⌊size · (R·k) / k⌋ (its own arithmetic), at least 1. */
export function defaultNeighbours(
  replicates: number,
  rank: number,
  neighbourhood = CNMF_NEIGHBOURHOOD,
): number {
  return Math.max(1, Math.floor((neighbourhood * (replicates * rank)) / rank));
}

/**
 * Local density of each pooled column: the mean distance to its `neighbours` nearest other
 * columns (cNMF's `local_density`); low = in a dense cluster, high = an outlier.
 * @returns length P
 */
export function localDensity(pool: PooledColumns, neighbours: number): Float64Array {
  const { points, count: P, features: m } = pool;
  if (!Number.isInteger(neighbours) || neighbours < 1 || neighbours > P - 1) {
    throw new RangeError(
      `neighbours ${neighbours} must be an integer from 1 to ${P - 1} (pooled columns − 1)`,
    );
  }
  const out = new Float64Array(P);
  const row = new Float64Array(P - 1);
  for (let p = 0; p < P; p++) {
    let c = 0;
    for (let q = 0; q < P; q++) if (q !== p) row[c++] = distance(points, m, p, q);
    row.sort();
    let s = 0;
    for (let t = 0; t < neighbours; t++) s += row[t];
    out[p] = s / neighbours;
  }
  return out;
}

/** Result of `kMeans`. */
export interface KMeansResult {
  /** Cluster of each point, 0..k−1. */
  labels: Int32Array;
  /** k × m row-major. */
  centroids: Float64Array;
  /** Sum of squared distances of the points to their centroids. */
  inertia: number;
}

/**
 * k-means (Lloyd's algorithm) from k-means++ starts (Arthur & Vassilvitskii 2007), `starts` times,
 * the lowest inertia kept (the first of equals); every random choice from `Rng(seed)`, so the
 * same points and seed give the same labels. Empty clusters take the point farthest from its centroid.
 *
 * @param points P × m row-major
 */
export function kMeans(
  points: Float64Array,
  count: number,
  features: number,
  k: number,
  options: { seed?: number; starts?: number; maxIter?: number } = {},
): KMeansResult {
  const P = count;
  const m = features;
  if (!Number.isInteger(k) || k < 1 || k > P) throw new RangeError(`k ${k} must be from 1 to ${P} (points)`);
  const rng = new Rng(options.seed ?? CNMF_KMEANS_SEED);
  const starts = options.starts ?? 10;
  const maxIter = options.maxIter ?? 300;
  let best: KMeansResult | null = null;
  const sq = (p: number, centroids: Float64Array, c: number): number => {
    let s = 0;
    for (let i = 0; i < m; i++) {
      const d = points[p * m + i] - centroids[c * m + i];
      s += d * d;
    }
    return s;
  };
  for (let start = 0; start < starts; start++) {
    const centroids = new Float64Array(k * m);
    // k-means++: the first centre uniformly, each next one with probability ∝ squared distance.
    const nearest = new Float64Array(P).fill(Infinity);
    let chosen = rng.int(P);
    for (let c = 0; c < k; c++) {
      centroids.set(points.subarray(chosen * m, chosen * m + m), c * m);
      let total = 0;
      for (let p = 0; p < P; p++) {
        nearest[p] = Math.min(nearest[p], sq(p, centroids, c));
        total += nearest[p];
      }
      if (c === k - 1) break;
      if (total === 0) {
        chosen = rng.int(P);
        continue;
      }
      let target = rng.uniform() * total;
      chosen = P - 1;
      for (let p = 0; p < P; p++) {
        target -= nearest[p];
        if (target < 0) {
          chosen = p;
          break;
        }
      }
    }
    const labels = new Int32Array(P).fill(-1);
    const sizes = new Int32Array(k);
    let inertia = 0;
    for (let iteration = 0; iteration < maxIter; iteration++) {
      let changed = false;
      inertia = 0;
      for (let p = 0; p < P; p++) {
        let bestC = 0;
        let bestD = Infinity;
        for (let c = 0; c < k; c++) {
          const d = sq(p, centroids, c);
          if (d < bestD) {
            bestD = d;
            bestC = c;
          }
        }
        inertia += bestD;
        if (labels[p] !== bestC) {
          labels[p] = bestC;
          changed = true;
        }
      }
      if (!changed) break;
      centroids.fill(0);
      sizes.fill(0);
      for (let p = 0; p < P; p++) {
        const c = labels[p];
        sizes[c]++;
        for (let i = 0; i < m; i++) centroids[c * m + i] += points[p * m + i];
      }
      for (let c = 0; c < k; c++) {
        if (sizes[c] > 0) for (let i = 0; i < m; i++) centroids[c * m + i] /= sizes[c];
      }
      // An empty cluster restarts at the point farthest from its own centroid (each point once).
      const taken = new Set<number>();
      for (let c = 0; c < k; c++) {
        if (sizes[c] > 0) continue;
        let far = -1;
        let farD = -1;
        for (let p = 0; p < P; p++) {
          if (taken.has(p)) continue;
          const d = sq(p, centroids, labels[p]);
          if (d > farD) {
            farD = d;
            far = p;
          }
        }
        if (far < 0) continue;
        taken.add(far);
        centroids.set(points.subarray(far * m, far * m + m), c * m);
      }
    }
    if (best === null || inertia < best.inertia) best = { labels, centroids, inertia };
  }
  return best as KMeansResult;
}

/**
 * Mean silhouette (Rousseeuw 1987) with Euclidean distances, as scikit-learn's `silhouette_score`:
 * s = (b − a)/max(a, b) per point, 0 for points alone in their cluster; needs 2 ≤ clusters ≤ P − 1.
 * @returns NaN when the number of clusters is outside that range
 */
export function silhouette(
  points: Float64Array,
  count: number,
  features: number,
  labels: Int32Array,
): number {
  const P = count;
  let k = 0;
  for (let p = 0; p < P; p++) k = Math.max(k, labels[p] + 1);
  const sizes = new Int32Array(k);
  for (let p = 0; p < P; p++) sizes[labels[p]]++;
  const used = sizes.filter((s) => s > 0).length;
  if (used < 2 || used > P - 1) return NaN;
  const sums = new Float64Array(k);
  let total = 0;
  for (let p = 0; p < P; p++) {
    sums.fill(0);
    for (let q = 0; q < P; q++) if (q !== p) sums[labels[q]] += distance(points, features, p, q);
    const own = labels[p];
    if (sizes[own] <= 1) continue;
    const a = sums[own] / (sizes[own] - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && sizes[c] > 0) b = Math.min(b, sums[c] / sizes[c]);
    total += (b - a) / Math.max(a, b);
  }
  return total / P;
}

/** Options of `consensusComponents`. */
export interface ConsensusComponentsOptions {
  /** Number of consensus components k (k-means clusters). */
  rank: number;
  /** Columns with local density ≥ this are dropped. Default 0.5 (cNMF); ≥ 2 keeps every column. */
  densityThreshold?: number;
  /** Nearest neighbours for the local density. Default ⌊0.3 · replicates⌋ (cNMF), at least 1. */
  neighbours?: number;
  /** Seed of the k-means starts. Default 1. */
  seed?: number;
}

/** Result of `consensusComponents`. */
export interface ConsensusComponents {
  /** m × k consensus W, each column summing to 1. */
  W: DenseMatrix;
  /** Local density of every pooled column (replicate by replicate, component by component). */
  density: number[];
  threshold: number;
  neighbours: number;
  /** Pooled columns kept / dropped, as {replicate, component}. */
  kept: Array<{ replicate: number; component: number }>;
  dropped: Array<{ replicate: number; component: number }>;
  /** k-means group of every pooled column (−1 when dropped). */
  labels: number[];
  /** Silhouette of the k-means clustering of the kept columns (NaN when undefined). */
  silhouette: number;
  /** Unit-norm pooled columns, P × m row-major (for the clustergram). */
  pool: PooledColumns;
}

/**
 * cNMF's consensus W from replicate fits at one rank (see the module comment for each step).
 * Throws when fewer columns than `rank` survive the density filter, naming the threshold.
 *
 * @param replicates each m × k, the W of one replicate fit
 */
export function consensusComponents(
  replicates: readonly DenseMatrix[],
  options: ConsensusComponentsOptions,
): ConsensusComponents {
  const k = options.rank;
  const pool = poolColumns(replicates);
  const threshold = options.densityThreshold ?? CNMF_DENSITY_THRESHOLD;
  if (!(threshold > 0)) throw new RangeError(`density threshold ${threshold} must be a number > 0`);
  const neighbours = Math.min(options.neighbours ?? defaultNeighbours(replicates.length, k), pool.count - 1);
  const density = localDensity(pool, neighbours);
  const keptIndex: number[] = [];
  for (let p = 0; p < pool.count; p++) if (density[p] < threshold) keptIndex.push(p);
  if (keptIndex.length < k) {
    throw new RangeError(
      `only ${keptIndex.length} of ${pool.count} replicate components have local density below ${threshold}, fewer than rank ${k}: raise the density threshold`,
    );
  }
  const m = pool.features;
  const kept = new Float64Array(keptIndex.length * m);
  keptIndex.forEach((p, r) => kept.set(pool.points.subarray(p * m, p * m + m), r * m));
  const clusters = kMeans(kept, keptIndex.length, m, k, { seed: options.seed ?? CNMF_KMEANS_SEED });
  const labels = new Array<number>(pool.count).fill(-1);
  keptIndex.forEach((p, r) => (labels[p] = clusters.labels[r]));
  const W = dense(m, k, new Float64Array(m * k));
  const values: number[] = [];
  for (let c = 0; c < k; c++) {
    const members = keptIndex.map((_, r) => r).filter((r) => clusters.labels[r] === c);
    if (members.length === 0) {
      throw new RangeError(
        `k-means left group ${c + 1} of ${k} empty: the ${keptIndex.length} kept replicate components have fewer than ${k} distinct directions`,
      );
    }
    let sum = 0;
    for (let i = 0; i < m; i++) {
      values.length = 0;
      for (const r of members) values.push(kept[r * m + i]);
      const v = median(values);
      W.data[i * k + c] = v;
      sum += v;
    }
    if (sum > 0) for (let i = 0; i < m; i++) W.data[i * k + c] /= sum;
  }
  return {
    W,
    density: Array.from(density),
    threshold,
    neighbours,
    kept: keptIndex.map((p) => pool.source[p]),
    dropped: pool.source.filter((_, p) => density[p] >= threshold),
    labels,
    silhouette: silhouette(kept, keptIndex.length, m, clusters.labels),
    pool,
  };
}

/** Median of a non-empty list (mean of the middle two for an even count, as numpy/pandas). */
function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * cNMF's consensus error (`prediction_error`): Σ (V − W·H)² over the observed entries (NaN in V is
 * missing), i.e. twice the Frobenius loss ½‖V − W·H‖².
 * @param V m × n, W m × k, H k × n
 */
export function consensusError(V: DataMatrix, W: DenseMatrix, H: DenseMatrix): number {
  return 2 * betaDivergence(V, W, H, 2);
}
