import type { CsrMatrix, DenseMatrix } from '../linalg/matrix';
import { Rng } from '../linalg/random';
import { synthesizeGeneModules } from './synthetic';
import type { MoonlightingFeature } from './types';

/** Options of {@link plantCellModules}. */
export interface CellModulesOptions {
  /** Features (genes), m ≥ 2. */
  features: number;
  /** Cells (samples), n ≥ 1. */
  cells: number;
  /** Planted modules R, 2 ≤ R ≤ m. */
  rank: number;
  /** Fraction of features that belong to a second module. Default 0.05. */
  moonlighting?: number;
  /** Mean total count per cell (library size). Default 300. */
  depth?: number;
  /** Standard deviation of a cell's log library size (log-normal, mean `depth`). Default 0.5. */
  depthSpread?: number;
  /**
   * Dirichlet concentration of each cell's module mix: below 1 most cells are dominated by one or
   * two modules (cell types, with activity programs mixed in), as in single-cell atlases. Default 0.3.
   */
  concentration?: number;
  /** Default 0. */
  seed?: number;
}

/** The planted modules of a large sparse count set; cells are drawn from it one at a time. */
export interface CellModules {
  features: number;
  cells: number;
  rank: number;
  depth: number;
  depthSpread: number;
  concentration: number;
  seed: number;
  /** m × R, each column sums to 1 (a distribution over genes), from `synthesizeGeneModules`. */
  W: DenseMatrix;
  /** Primary module of each feature. */
  module: number[];
  moonlighting: MoonlightingFeature[];
  featureNames: string[];
}

/** One generated cell: its non-zero genes (increasing) and their counts, and its module mix. */
export interface GeneratedCell {
  genes: Int32Array;
  counts: Float64Array;
  /** Module weights of the cell (length R, sums to 1): column j of the planted H. */
  mix: Float64Array;
  /** The cell's expected library size (the Poisson mean of its total count). */
  size: number;
}

/**
 * Planted gene modules for single-cell-sized data: W (genes and their modules, moonlighting genes)
 * is this project's `synthesizeGeneModules` model with the same seed (its W, modules and
 * moonlighting genes exactly; its small V is not used), and cells are drawn one at a time by
 * {@link CellSampler}, so a million cells are written without a dense matrix or even the whole
 * sparse one in memory.
 */
export function plantCellModules(options: CellModulesOptions): CellModules {
  const { features, cells, rank } = options;
  if (!Number.isInteger(cells) || cells < 1)
    throw new RangeError(`cells must be an integer ≥ 1, got ${cells}`);
  if (!Number.isInteger(rank) || rank < 2) throw new RangeError(`rank must be an integer ≥ 2, got ${rank}`);
  const depth = options.depth ?? 300;
  const depthSpread = options.depthSpread ?? 0.5;
  const concentration = options.concentration ?? 0.3;
  const seed = options.seed ?? 0;
  if (!(depth > 0) || !Number.isFinite(depth)) throw new RangeError(`depth must be positive, got ${depth}`);
  if (!(depthSpread >= 0) || !Number.isFinite(depthSpread))
    throw new RangeError(`depth spread must be ≥ 0, got ${depthSpread}`);
  if (!(concentration > 0) || !Number.isFinite(concentration))
    throw new RangeError(`concentration must be positive, got ${concentration}`);
  // The module structure only: two samples keep the reference generator's V negligible.
  const base = synthesizeGeneModules({
    features,
    samples: Math.max(rank, 2),
    rank,
    moonlighting: options.moonlighting,
    seed,
  });
  return {
    features,
    cells,
    rank,
    depth,
    depthSpread,
    concentration,
    seed,
    W: base.truth.W,
    module: base.truth.module,
    moonlighting: base.truth.moonlighting,
    featureNames: base.featureNames,
  };
}

/**
 * Draws the cells of a {@link CellModules} in order. Cell j: mix h_j ~ Dirichlet(concentration),
 * library size s_j = depth · exp(σ z − σ²/2) (z standard normal: mean `depth`), total count
 * N_j ~ Poisson(s_j), and each of the N_j counts falls on a module t ~ h_j and then on a gene
 * i ~ W[:, t] (Walker's alias tables, O(1) per count). This is exactly V[:, j] ~ Poisson(s_j · W h_j)
 * entry by entry (a Poisson total split multinomially), at a cost ∝ the counts, not the genes.
 * The draws come from one generator seeded with `seed + 1` (the module structure used `seed`).
 */
export class CellSampler {
  private readonly rng: Rng;
  private readonly prob: Float64Array; // R × m alias probabilities
  private readonly alias: Int32Array; // R × m alias targets
  private readonly tally: Float64Array; // m, zero between cells
  private readonly touched: Int32Array; // genes hit in the current cell
  private drawn = 0;

  constructor(private readonly model: CellModules) {
    const m = model.features;
    const R = model.rank;
    this.rng = new Rng(model.seed + 1);
    this.prob = new Float64Array(R * m);
    this.alias = new Int32Array(R * m);
    const column = new Float64Array(m);
    for (let t = 0; t < R; t++) {
      for (let i = 0; i < m; i++) column[i] = model.W.data[i * R + t];
      buildAlias(column, this.prob.subarray(t * m, (t + 1) * m), this.alias.subarray(t * m, (t + 1) * m));
    }
    this.tally = new Float64Array(m);
    this.touched = new Int32Array(m);
  }

  /** Cells drawn so far. */
  get count(): number {
    return this.drawn;
  }

  /** The next cell (throws after the last one). */
  next(): GeneratedCell {
    const { model, rng, prob, alias, tally, touched } = this;
    if (this.drawn >= model.cells) throw new RangeError(`all ${model.cells} cells have been drawn`);
    this.drawn++;
    const m = model.features;
    const R = model.rank;
    const mix = rng.dirichlet(R, model.concentration);
    const sigma = model.depthSpread;
    const size = model.depth * Math.exp(sigma * rng.normal() - (sigma * sigma) / 2);
    const total = rng.poisson(size);
    let distinct = 0;
    for (let c = 0; c < total; c++) {
      let u = rng.uniform();
      let t = 0;
      while (t < R - 1 && u >= mix[t]) u -= mix[t++];
      const x = rng.uniform() * m;
      const slot = Math.min(Math.floor(x), m - 1);
      const gene = x - slot < prob[t * m + slot] ? slot : alias[t * m + slot];
      if (tally[gene] === 0) touched[distinct++] = gene;
      tally[gene]++;
    }
    const genes = touched.slice(0, distinct).sort();
    const counts = new Float64Array(distinct);
    for (let q = 0; q < distinct; q++) {
      counts[q] = tally[genes[q]];
      tally[genes[q]] = 0;
    }
    return { genes, counts, mix, size };
  }
}

/**
 * Walker's alias method (Vose's stable construction) for the distribution p (length m, sums to 1):
 * draw slot s uniformly and u uniform, take s if u < prob[s], else alias[s].
 */
function buildAlias(p: Float64Array, prob: Float64Array, alias: Int32Array): void {
  const m = p.length;
  let sum = 0;
  for (let i = 0; i < m; i++) sum += p[i];
  const scaled = new Float64Array(m);
  const small: number[] = [];
  const large: number[] = [];
  for (let i = 0; i < m; i++) {
    scaled[i] = (p[i] * m) / sum;
    (scaled[i] < 1 ? small : large).push(i);
  }
  while (small.length > 0 && large.length > 0) {
    const s = small.pop() as number;
    const l = large.pop() as number;
    prob[s] = scaled[s];
    alias[s] = l;
    scaled[l] = scaled[l] + scaled[s] - 1;
    (scaled[l] < 1 ? small : large).push(l);
  }
  for (const i of large) {
    prob[i] = 1;
    alias[i] = i;
  }
  for (const i of small) {
    prob[i] = 1;
    alias[i] = i;
  }
}

/**
 * Every cell of `model` in memory, as V (genes × cells, CSR; our orientation) and the planted
 * module mixes H (R × cells). The cells are drawn twice from identically seeded samplers: the
 * first pass counts each gene's entries (V's indptr) and keeps the mixes, the second places every
 * count straight into its final slot. So the only large arrays are V itself and H (8·R bytes a
 * cell): at 10⁶ cells × 2000 genes (2.2 × 10⁸ entries) about 2.8 GB, where holding the drawn cells
 * and then V took about 10 GB. The result is the same, bit for bit, as drawing once.
 */
export function sampleCellMatrix(model: CellModules): { V: CsrMatrix; H: DenseMatrix } {
  const m = model.features;
  const n = model.cells;
  const R = model.rank;
  const H = new Float64Array(R * n);
  const perGene = new Int32Array(m + 1);
  const counting = new CellSampler(model);
  for (let j = 0; j < n; j++) {
    const cell = counting.next();
    for (let t = 0; t < R; t++) H[t * n + j] = cell.mix[t];
    const genes = cell.genes;
    for (let q = 0; q < genes.length; q++) perGene[genes[q] + 1]++;
  }
  for (let i = 0; i < m; i++) {
    if (perGene[i + 1] > 2 ** 31 - 1 - perGene[i])
      throw new RangeError(`more than ${2 ** 31 - 1} non-zeros: too many for one CSR matrix`);
    perGene[i + 1] += perGene[i];
  }
  const nnz = perGene[m];
  const indices = new Int32Array(nnz);
  const data = new Float64Array(nnz);
  const fill = perGene.slice(0, m);
  const placing = new CellSampler(model);
  for (let j = 0; j < n; j++) {
    const { genes, counts } = placing.next();
    for (let q = 0; q < genes.length; q++) {
      const at = fill[genes[q]]++;
      indices[at] = j;
      data[at] = counts[q];
    }
  }
  return {
    V: { kind: 'csr', rows: m, cols: n, indptr: perGene, indices, data },
    H: { kind: 'dense', rows: R, cols: n, data: H },
  };
}
