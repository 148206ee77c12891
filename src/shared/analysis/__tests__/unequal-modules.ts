import { Rng } from '../../linalg/random';
import { plantModules } from '../synthetic';
import type { SyntheticDataset } from '../types';

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
  return plantModules(rng, module, { rank: R, samples: n, moonlighting: options.moonlighting, depth, seed });
}
