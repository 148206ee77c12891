import { dense, type DenseMatrix } from '../linalg/matrix';
import { Rng } from '../linalg/random';
import { shuffleWithinRows } from './crossval';

/**
 * Hard cases for rank selection: data a researcher meets on which a rank-choice rule that works on
 * friendly planted modules can fail. Each case says what a trustworthy sweep must answer: the true
 * rank, or that no rank is supported (no structure), and whether the values are counts.
 *
 * Common model (as {@link ./synthetic.ts}'s planted gene modules): every feature belongs to one
 * module, 5 % of them to a second one too; loadings are Gamma(4, 1); W's columns sum to one; H's entries are independent
 * Gamma(activityShape, 1) activities (not Dirichlet, so that two modules can be made correlated
 * without forcing the others to anti-correlate); the mean of entry (i, j) is depth · (W·H)_ij /
 * mean column sum of W·H, so `depth` is the expected total count per sample.
 */

/** The kinds of hard case {@link hardCase} generates. */
export const hardCaseKinds = [
  'planted',
  'correlated',
  'negative-binomial',
  'unequal-sizes',
  'null',
  'shuffled',
  'intensities',
] as const;
export type HardCaseKind = (typeof hardCaseKinds)[number];

/** Options of {@link hardCase}. */
export interface HardCaseOptions {
  /** Features m. Default 300. */
  features?: number;
  /** Samples n. Default 100. */
  samples?: number;
  /** Planted modules R. Default 5 (ignored by `null`). */
  rank?: number;
  /** Expected total count per sample. Default 1000 · features (mean count about 1000 per entry). */
  depth?: number;
  /**
   * `negative-binomial`: the size (dispersion) parameter r; variance = μ + μ²/r. Default 5; 1 is
   * heavy overdispersion (variance ≈ μ² at high counts).
   */
  size?: number;
  /**
   * Fraction of features that also load on a second module (Gamma(4) weight), as in the planted
   * gene-modules generator. Default 0.05.
   */
  moonlighting?: number;
  /** `correlated`: target Pearson correlation of the activities of modules 0 and 1. Default 0.97. */
  correlation?: number;
  /**
   * `unequal-sizes`: features per module, summing to `features`. Default for 300 features and 5
   * modules: 180/60/30/18/12 (proportionally scaled otherwise).
   */
  moduleSizes?: readonly number[];
  /** Default 0. */
  seed?: number;
}

/** A generated case with what a correct rank selection must say about it. */
export interface HardCase {
  kind: HardCaseKind;
  /** m × n non-negative data. */
  V: DenseMatrix;
  /** The planted rank, or null when the data hold no low-rank structure beyond rank one. */
  trueRank: number | null;
  /** Whether every value is an integer. */
  integer: boolean;
  /** Whether the values are Poisson counts given the planted mean (false: overdispersed or not counts). */
  poissonCounts: boolean;
  /** Primary module of each feature (−1 for `null`), length m. */
  module: number[];
  /** m × R planted loadings (columns sum to one); 0 columns for `null`. */
  W: DenseMatrix;
  /** R × n planted activities. */
  H: DenseMatrix;
  /** One sentence on what the case is. */
  description: string;
}

/** Shape of the Gamma draws of H: activities vary about ±70 % around their mean. */
const ACTIVITY_SHAPE = 2;

/** Module sizes 180/60/30/18/12 out of 300 (60 %, 20 %, 10 %, 6 %, 4 %), for R = 5. */
const UNEQUAL_SHARES = [0.6, 0.2, 0.1, 0.06, 0.04];

function checkPositiveInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min)
    throw new RangeError(`${name} must be an integer ≥ ${min}, got ${value}`);
}

/** Module of each of m features: sizes given, then shuffled so modules interleave. */
function assignModules(rng: Rng, m: number, sizes: readonly number[]): number[] {
  const module: number[] = [];
  sizes.forEach((size, a) => {
    for (let t = 0; t < size; t++) module.push(a);
  });
  if (module.length !== m) {
    throw new RangeError(`module sizes sum to ${module.length}, expected ${m} features`);
  }
  return rng.shuffle(module);
}

/** Sizes from shares, rounded so they sum to m (largest remainders last-corrected on module 0). */
function sizesFromShares(m: number, shares: readonly number[]): number[] {
  const sizes = shares.map((s) => Math.max(1, Math.round(s * m)));
  const total = sizes.reduce((a, b) => a + b, 0);
  sizes[0] += m - total;
  return sizes;
}

/**
 * W (m × R): one Gamma(4) loading per feature in its module, and for round(moonlighting · m)
 * random features a second Gamma(4) loading in another module; columns scaled to sum to one.
 */
function plantedLoadings(rng: Rng, module: readonly number[], R: number, moonlighting: number): DenseMatrix {
  const m = module.length;
  const W = dense(m, R);
  for (let i = 0; i < m; i++) W.data[i * R + module[i]] = rng.gamma(4);
  if (R >= 2) {
    const moon = rng.permutation(m).subarray(0, Math.round(moonlighting * m));
    for (const i of moon) {
      const pick = rng.int(R - 1);
      W.data[i * R + (pick < module[i] ? pick : pick + 1)] = rng.gamma(4);
    }
  }
  const sums = new Float64Array(R);
  for (let t = 0; t < W.data.length; t++) sums[t % R] += W.data[t];
  for (let t = 0; t < W.data.length; t++) if (sums[t % R] > 0) W.data[t] /= sums[t % R];
  return W;
}

/**
 * H (R × n) of independent Gamma(ACTIVITY_SHAPE) activities. With `correlation` ρ, row 1 is
 * row 0 plus an independent Gamma(ACTIVITY_SHAPE) draw scaled by s = √(1/ρ² − 1), so that the two
 * rows' population correlation is 1/√(1 + s²) = ρ; both stay non-negative.
 */
function plantedActivities(rng: Rng, R: number, n: number, correlation: number | null): DenseMatrix {
  const H = dense(R, n);
  for (let t = 0; t < H.data.length; t++) H.data[t] = rng.gamma(ACTIVITY_SHAPE);
  if (correlation !== null && R >= 2) {
    const scale = Math.sqrt(1 / (correlation * correlation) - 1);
    for (let j = 0; j < n; j++) H.data[n + j] = H.data[j] + scale * rng.gamma(ACTIVITY_SHAPE);
  }
  return H;
}

/** Mean matrix depth · W·H / (mean column total of W·H): m × n. */
function meanMatrix(W: DenseMatrix, H: DenseMatrix, depth: number): DenseMatrix {
  const m = W.rows;
  const R = W.cols;
  const n = H.cols;
  const M = dense(m, n);
  let total = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let a = 0; a < R; a++) s += W.data[i * R + a] * H.data[a * n + j];
      M.data[i * n + j] = s;
      total += s;
    }
  }
  const scale = (depth * n) / total;
  for (let t = 0; t < M.data.length; t++) M.data[t] *= scale;
  return M;
}

/** Poisson(μ) entry by entry, or negative binomial with size r as Poisson(Gamma(r, μ/r)). */
function drawCounts(rng: Rng, M: DenseMatrix, size: number | null): DenseMatrix {
  const V = dense(M.rows, M.cols);
  for (let t = 0; t < M.data.length; t++) {
    const mean = M.data[t];
    V.data[t] = rng.poisson(size === null ? mean : (rng.gamma(size) * mean) / size);
  }
  return V;
}

/**
 * One hard case for rank selection, seeded through the project's generator (same options, same
 * bits). Kinds:
 *   - `planted`: R modules of equal size, Poisson counts — the friendly reference;
 *   - `correlated`: as planted, but the activities of modules 0 and 1 correlate at ρ ≈ 0.97 (two
 *     gene programmes that rise and fall together yet involve different genes);
 *   - `negative-binomial`: as planted, counts overdispersed, NB(μ, size) (RNA-seq's usual model);
 *   - `unequal-sizes`: module sizes 180/60/30/18/12 (of 300), Poisson counts;
 *   - `null`: no structure: every entry Poisson(depth / m) independently (rank one in the mean);
 *   - `shuffled`: a planted matrix with each row permuted independently across samples (each
 *     feature keeps its values, all co-variation is gone);
 *   - `intensities`: microarray-like, log1p of planted counts multiplied by a log-normal
 *     measurement error (non-integer, not counts; true rank R).
 */
export function hardCase(kind: HardCaseKind, options: HardCaseOptions = {}): HardCase {
  const m = options.features ?? 300;
  const n = options.samples ?? 100;
  const R = options.rank ?? 5;
  const depth = options.depth ?? 1000 * m;
  const seed = options.seed ?? 0;
  checkPositiveInteger('features', m, 2);
  checkPositiveInteger('samples', n, 2);
  checkPositiveInteger('rank', R, 1);
  if (R > Math.min(m, n))
    throw new RangeError(`rank must be at most min(features, samples) = ${Math.min(m, n)}, got ${R}`);
  if (!(depth > 0) || !Number.isFinite(depth)) throw new RangeError(`depth must be positive, got ${depth}`);
  const rng = new Rng(seed);

  if (kind === 'null') {
    const V = dense(m, n);
    const mean = depth / m;
    for (let t = 0; t < V.data.length; t++) V.data[t] = rng.poisson(mean);
    return {
      kind,
      V,
      trueRank: null,
      integer: true,
      poissonCounts: true,
      module: new Array<number>(m).fill(-1),
      W: dense(m, 0),
      H: dense(0, n),
      description: `${m} × ${n} independent Poisson(${mean.toPrecision(3)}) counts: no structure`,
    };
  }

  let sizes: number[];
  if (kind === 'unequal-sizes') {
    sizes =
      options.moduleSizes !== undefined
        ? [...options.moduleSizes]
        : R === UNEQUAL_SHARES.length
          ? sizesFromShares(m, UNEQUAL_SHARES)
          : sizesFromShares(
              m,
              Array.from({ length: R }, (_, a) => 2 ** -a / (2 - 2 ** (1 - R))),
            );
    if (sizes.length !== R) throw new RangeError(`moduleSizes must list ${R} sizes, got ${sizes.length}`);
  } else {
    sizes = Array.from({ length: R }, (_, a) => Math.floor(m / R) + (a < m % R ? 1 : 0));
  }
  const correlation = kind === 'correlated' ? (options.correlation ?? 0.97) : null;
  if (correlation !== null && !(correlation > 0 && correlation < 1)) {
    throw new RangeError(`correlation must be in (0, 1), got ${correlation}`);
  }
  const size = kind === 'negative-binomial' ? (options.size ?? 5) : null;
  if (size !== null && !(size > 0)) throw new RangeError(`size must be positive, got ${size}`);

  const moonlighting = options.moonlighting ?? 0.05;
  if (!(moonlighting >= 0 && moonlighting <= 1)) {
    throw new RangeError(`moonlighting must be in [0, 1], got ${moonlighting}`);
  }
  const module = assignModules(rng, m, sizes);
  const W = plantedLoadings(rng, module, R, moonlighting);
  const H = plantedActivities(rng, R, n, correlation);
  const M = meanMatrix(W, H, depth);
  let V = drawCounts(rng, M, size);
  let trueRank: number | null = R;
  let integer = true;
  let poissonCounts = size === null;
  let description = `${m} × ${n}, ${R} planted modules of ${sizes.join('/')} features, Poisson counts`;
  if (kind === 'correlated') {
    description = `${m} × ${n}, ${R} planted modules, activities of modules 1 and 2 correlated (ρ = ${correlation}), Poisson counts`;
  } else if (kind === 'negative-binomial') {
    description = `${m} × ${n}, ${R} planted modules, negative-binomial counts (size ${size})`;
  } else if (kind === 'shuffled') {
    V = shuffleWithinRows(V, rng.nextUint32()) as DenseMatrix;
    trueRank = null;
    description = `${m} × ${n} planted counts with every row permuted across samples: no structure`;
  } else if (kind === 'intensities') {
    // Multiplicative measurement error (log-normal, sd 0.2 on the log scale), then log1p: the
    // usual shape of normalised microarray or log-transformed expression values.
    for (let t = 0; t < V.data.length; t++) V.data[t] = Math.log1p(V.data[t] * Math.exp(0.2 * rng.normal()));
    integer = false;
    poissonCounts = false;
    description = `${m} × ${n}, ${R} planted modules, log1p intensities with log-normal error (not counts)`;
  }
  return { kind, V, trueRank, integer, poissonCounts, module, W, H, description };
}
