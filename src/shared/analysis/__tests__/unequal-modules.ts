import { dense } from '../../linalg/matrix';
import { Rng } from '../../linalg/random';
import type { MoonlightingFeature, SyntheticDataset } from '../types';

/**
 * Planted gene modules of unequal sizes, drawn as `synthesizeGeneModules` draws equal ones: every
 * non-zero W[i, a] ~ Gamma(4, 1), each column of W scaled to sum to one, every column of H ~
 * Dirichlet(1), V = Poisson(depth · W·H). Module a holds `sizes[a]` features (m = Σ sizes), in a
 * random order; `moonlighting` features (drawn uniformly) also belong to a second, different
 * module chosen uniformly among the others. A small module's loadings are then ~size ratio times
 * larger than a big module's (1/12 against 1/180 for sizes 12 and 180), which is what a
 * size-independent assignment has to undo.
 *
 * @returns V (m × n), names `gene1…`, `cond1…`, truth (W m × R, H R × n, modules, moonlighting)
 */
export function unequalModules(options: {
  sizes: readonly number[];
  samples: number;
  moonlighting: number;
  /** Expected total count per sample. Default 1000 · m. */
  depth?: number;
  seed: number;
}): SyntheticDataset {
  const { sizes, samples: n, seed } = options;
  const R = sizes.length;
  const m = sizes.reduce((s, x) => s + x, 0);
  const depth = options.depth ?? 1000 * m;
  const rng = new Rng(seed);
  const module: number[] = [];
  sizes.forEach((size, a) => {
    for (let t = 0; t < size; t++) module.push(a);
  });
  rng.shuffle(module);
  const moonIndices = Array.from(rng.permutation(m).subarray(0, options.moonlighting)).sort((x, y) => x - y);
  const second = new Map<number, number>();
  for (const i of moonIndices) {
    const pick = rng.int(R - 1);
    second.set(i, pick < module[i] ? pick : pick + 1);
  }
  const W = dense(m, R);
  for (let i = 0; i < m; i++) W.data[i * R + module[i]] = rng.gamma(4);
  for (const i of moonIndices) W.data[i * R + second.get(i)!] = rng.gamma(4);
  const columnSums = new Float64Array(R);
  for (let i = 0; i < m; i++) for (let a = 0; a < R; a++) columnSums[a] += W.data[i * R + a];
  for (let i = 0; i < m; i++) for (let a = 0; a < R; a++) W.data[i * R + a] /= columnSums[a];
  const H = dense(R, n);
  for (let j = 0; j < n; j++) {
    const column = rng.dirichlet(R, 1);
    for (let a = 0; a < R; a++) H.data[a * n + j] = column[a];
  }
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
