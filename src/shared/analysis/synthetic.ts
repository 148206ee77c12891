import { dense } from '../linalg/matrix';
import { Rng } from '../linalg/random';
import type { MoonlightingFeature, SyntheticDataset } from './types';

/** Options of {@link synthesizeGeneModules}. */
export interface GeneModulesOptions {
  /** Features (genes), m ≥ 2. */
  features: number;
  /** Samples (conditions), n ≥ 2. */
  samples: number;
  /** Planted modules R, 1 ≤ R ≤ min(m, n). */
  rank: number;
  /** Fraction of features that belong to a second module (rounded to a count). Default 0.05. */
  moonlighting?: number;
  /**
   * Expected total count per sample (column), spread over its features by W·H: not a per-entry
   * mean. Default 1000 · features, which makes the mean count per entry 1000.
   */
  depth?: number;
  /** Default 0. */
  seed?: number;
}

/**
 * Planted gene modules, the model of the Harvard MCB112 "moonlighting genes" exercise:
 *   - each feature i gets a primary module a_i, balanced (i mod R) then permuted;
 *   - round(fraction · m) features get a second, different module b_i, uniform among the others;
 *   - non-zero W[i, a] ~ Gamma(4, 1), then every column of W is scaled to sum to one (a column is a
 *     distribution over features);
 *   - every column of H (R × n) ~ Dirichlet(1, …, 1);
 *   - V = Poisson(depth · W·H), so each sample expects `depth` counts in all; with the default depth
 *     of 1000 per feature the mean count is 1000 per entry (hundreds to a few thousand).
 * The draws follow the same order as the peer generator (permutation, moonlighting set, second
 * modules, primary weights, second weights, H, V) but through this project's generator, so the
 * numbers differ from it while the distribution is the same.
 *
 * @returns V (m × n counts), names `gene1…`, `cond1…`, and the truth (W m × R, H R × n, modules).
 */
export function synthesizeGeneModules(options: GeneModulesOptions): SyntheticDataset {
  const m = options.features;
  const n = options.samples;
  const R = options.rank;
  const fraction = options.moonlighting ?? 0.05;
  const depth = options.depth ?? 1000 * m;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(m) || m < 2) throw new RangeError(`features must be an integer ≥ 2, got ${m}`);
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`samples must be an integer ≥ 2, got ${n}`);
  if (!Number.isInteger(R) || R < 1 || R > Math.min(m, n)) {
    throw new RangeError(`rank must be an integer in 1..${Math.min(m, n)}, got ${R}`);
  }
  if (!(fraction >= 0 && fraction <= 1))
    throw new RangeError(`moonlighting fraction must be in [0, 1], got ${fraction}`);
  if (!(depth > 0) || !Number.isFinite(depth)) throw new RangeError(`depth must be positive, got ${depth}`);
  if (fraction > 0 && R < 2) throw new RangeError('moonlighting features need at least two modules');

  const rng = new Rng(seed);
  const module = new Array<number>(m);
  for (let i = 0; i < m; i++) module[i] = i % R;
  rng.shuffle(module);

  return plantModules(rng, module, {
    rank: R,
    samples: n,
    moonlighting: Math.round(fraction * m),
    depth,
    seed,
  });
}

/**
 * The planting tail shared by every planted-module generator, in the draw order
 * {@link synthesizeGeneModules} documents (moonlighting set, second modules, primary weights,
 * second weights, H, V): given each feature's primary module, draws the rest from `rng`.
 *
 * @param module primary module of each feature (length m), already drawn from `rng`
 * @returns V (m × n counts), names `gene1…`, `cond1…`, and the truth (W m × R, H R × n, modules)
 */
export function plantModules(
  rng: Rng,
  module: number[],
  options: { rank: number; samples: number; moonlighting: number; depth: number; seed: number },
): SyntheticDataset {
  const { rank: R, samples: n, depth, seed } = options;
  const m = module.length;
  const moonIndices = Array.from(rng.permutation(m).subarray(0, options.moonlighting)).sort((x, y) => x - y);
  const second = new Map<number, number>();
  for (const i of moonIndices) {
    const pick = rng.int(R - 1);
    second.set(i, pick < module[i] ? pick : pick + 1);
  }

  // W: m × R row-major.
  const W = dense(m, R);
  for (let i = 0; i < m; i++) W.data[i * R + module[i]] = rng.gamma(4);
  for (const i of moonIndices) W.data[i * R + second.get(i)!] = rng.gamma(4);
  const columnSums = new Float64Array(R);
  for (let i = 0; i < m; i++) for (let a = 0; a < R; a++) columnSums[a] += W.data[i * R + a];
  for (let i = 0; i < m; i++) for (let a = 0; a < R; a++) W.data[i * R + a] /= columnSums[a];

  // H: R × n, column j ~ Dirichlet(1).
  const H = dense(R, n);
  for (let j = 0; j < n; j++) {
    const column = rng.dirichlet(R, 1);
    for (let a = 0; a < R; a++) H.data[a * n + j] = column[a];
  }

  // V = Poisson(depth · W·H), m × n.
  const V = dense(m, n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let mean = 0;
      for (let a = 0; a < R; a++) mean += W.data[i * R + a] * H.data[a * n + j];
      V.data[i * n + j] = rng.poisson(depth * mean);
    }
  }

  const featureNames = Array.from({ length: m }, (_, i) => `gene${i + 1}`);
  const sampleNames = Array.from({ length: n }, (_, j) => `cond${j + 1}`);
  const moonlighting: MoonlightingFeature[] = moonIndices.map((i) => ({
    feature: featureNames[i],
    index: i,
    modules: [module[i], second.get(i)!],
  }));
  return { V, featureNames, sampleNames, truth: { W, H, module, moonlighting, depth, seed } };
}
