/**
 * What one fit costs on this machine, by solver, loss, layout and size: for each case a fit of
 * `short` and one of `long` iterations (tol 0), each timed in CPU time after a warm-up fit, so that
 * the per-iteration slope and the per-fit intercept separate. Prints one JSON line per case with
 * the work the estimates assign to an iteration (services/fit-cost.ts `fitWorkPerIteration`) and
 * the seconds per iteration and per fit measured; `engine-cost-fit.py` fits the cost model's
 * coefficients to these lines. The kernels are those a pool worker uses (native where built).
 *
 *   node --import tsx scripts/measure/engine-cost.ts [--rounds 3]    shapes × families
 *   … --grid-k       k = 2..32 on three shapes, with masked KL and ALS
 *   … --grid-init    random against NNDSVDa starts
 *   … --families 'dense IS mu,dense general-beta mu'    only the cases of these families
 */
import { fitNmf } from '../../src/shared/nmf';
import { csrFromDense, csrFromTriplets } from '../../src/shared/linalg/ops';
import { dense, type DataMatrix } from '../../src/shared/linalg/matrix';
import { Rng } from '../../src/shared/linalg/random';
import { installNativeKernels } from '../../src/main/native';
import { fitWorkPerIteration } from '../../src/main/services/fit-cost';

// Without --rounds, 3 (indexOf's −1 would otherwise read argv[0], the node binary, as NaN rounds).
const rounds = process.argv.includes('--rounds')
  ? Number(process.argv[process.argv.indexOf('--rounds') + 1])
  : 3;
const native = installNativeKernels();
process.stderr.write(`native kernels: ${native.isa ?? native.reason}\n`);

function counts(m: number, n: number, density: number, seed: number): DataMatrix {
  const rng = new Rng(seed);
  const V = dense(m, n);
  for (let i = 0; i < V.data.length; i++) V.data[i] = rng.uniform() < density ? 1 + rng.poisson(4) : 0;
  return V;
}

function cpuSeconds(run: () => void): number {
  const before = process.cpuUsage();
  run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

interface Case {
  name: string;
  m: number;
  n: number;
  k: number;
  density: number;
  layout: 'dense' | 'csr';
  beta: number;
  solver: 'mu' | 'hals' | 'als' | 'minibatch';
  /** `minibatch` only: samples per batch. */
  batchSize?: number;
  /** Iterations (passes) of the short and long fits, where the default (5, ~0.3 s) would take too long. */
  iterations?: [number, number];
  /** Share of entries set missing (NaN), as a sweep's fold fit has them. */
  missing?: number;
  /** The start; random unless set. */
  init?: 'random' | 'nndsvda';
}
const sizes: Array<[number, number, number]> = [
  [64, 40, 4],
  [200, 100, 5],
  [400, 200, 8],
  [1797, 64, 10],
  [2000, 500, 8],
  [5000, 38, 4],
  [2000, 2000, 10],
];
/** The families' settings and data (counts at 60 % density dense, 10 % CSR; positive for IS). */
type Family = Omit<Case, 'm' | 'n' | 'k'>;
const denseKl: Family = { name: 'dense KL mu', density: 0.6, layout: 'dense', beta: 1, solver: 'mu' };
const denseKlMasked: Family = { ...denseKl, name: 'dense KL mu masked', missing: 0.2 };
const denseHals: Family = { ...denseKl, name: 'dense Frobenius hals', beta: 2, solver: 'hals' };
const denseFrobeniusMu: Family = { ...denseKl, name: 'dense Frobenius mu', beta: 2 };
const denseAls: Family = { ...denseKl, name: 'dense Frobenius als', beta: 2, solver: 'als' };
const denseIs: Family = { ...denseKl, name: 'dense IS mu', density: 1, beta: 0 };
const denseGeneral: Family = { ...denseKl, name: 'dense general-beta mu', beta: 0.5 };
const csrKl: Family = { name: 'csr KL mu', density: 0.1, layout: 'csr', beta: 1, solver: 'mu' };
const csrKlDenser: Family = { ...csrKl, name: 'csr KL mu 30%', density: 0.3 };
const csrHals: Family = { ...csrKl, name: 'csr Frobenius hals', beta: 2, solver: 'hals' };

const cases: Case[] = [];
const add = (
  families: readonly Family[],
  m: number,
  n: number,
  k: number,
  extra: Partial<Case> = {},
): void => {
  for (const family of families) cases.push({ ...family, m, n, k, ...extra });
};
for (const [m, n, k] of sizes) {
  add([denseKl, denseHals, denseFrobeniusMu, denseIs, denseGeneral], m, n, k);
  if (m * n >= 80000) add([csrKl, csrHals], m, n, k);
}

if (process.argv.includes('--grid-init')) {
  cases.length = 0;
  for (const [m, n, k] of [
    [300, 100, 4],
    [2000, 500, 8],
    [5000, 38, 4],
    [2000, 2000, 10],
    [1797, 64, 10],
    [2000, 500, 32],
  ] as const)
    for (const init of ['random', 'nndsvda'] as const)
      for (const family of [denseKl, csrKl, denseHals])
        add([{ ...family, name: `${family.name} ${init}` }], m, n, k, { init });
}
if (process.argv.includes('--grid-k')) {
  cases.length = 0;
  for (const k of [2, 4, 8, 16, 32])
    for (const [m, n] of [
      [2000, 500],
      [5000, 38],
      [300, 100],
    ] as const)
      add([denseKl, denseKlMasked, denseHals, denseAls, denseIs, csrKl, csrKlDenser, csrHals], m, n, k);
}

if (process.argv.includes('--grid-large')) {
  // Data beyond the caches (10⁷ entries and more), and the minibatch solver's passes.
  cases.length = 0;
  add([csrKl], 2000, 20000, 10, { iterations: [2, 12] });
  add([csrKl], 2000, 20000, 20, { iterations: [2, 10] });
  add([csrKl], 2000, 60000, 20, { iterations: [1, 5] });
  add([csrHals], 2000, 20000, 10, { iterations: [2, 12] });
  add([denseKl], 4000, 4000, 10, { iterations: [2, 8] });
  add([denseHals], 4000, 4000, 10, { iterations: [2, 10] });
  const minibatch: Family = { ...csrKl, name: 'csr KL minibatch', solver: 'minibatch' };
  for (const [n, k, batchSize] of [
    [20000, 10, 128],
    [20000, 10, 1024],
    [60000, 20, 128],
    [60000, 20, 1024],
    [5000, 10, 128],
  ] as const)
    add([minibatch], 2000, n, k, { batchSize, iterations: [1, 3] });
}

/** A random m × n CSR matrix of counts with about `density` of its entries stored. */
function sparseCounts(m: number, n: number, density: number, seed: number): DataMatrix {
  const rng = new Rng(seed);
  const rows: number[] = [];
  const cols: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++)
      if (rng.uniform() < density) {
        rows.push(i);
        cols.push(j);
        values.push(1 + rng.poisson(4));
      }
  return csrFromTriplets(m, n, rows, cols, values);
}

// Only some families (a re-measure of the families a kernel change moved).
const familyFilter = process.argv.includes('--families')
  ? new Set(process.argv[process.argv.indexOf('--families') + 1].split(','))
  : null;
for (const c of cases) {
  if (familyFilter !== null && !familyFilter.has(c.name)) continue;
  const large = c.m * c.n > 2e7;
  const D = large ? null : (counts(c.m, c.n, c.density, 7) as ReturnType<typeof dense>);
  if (D && c.missing) {
    const rng = new Rng(11);
    for (let i = 0; i < D.data.length; i++) if (rng.uniform() < c.missing) D.data[i] = NaN;
  }
  const V = D === null ? sparseCounts(c.m, c.n, c.density, 7) : c.layout === 'csr' ? csrFromDense(D) : D;
  const nnz = V.kind === 'csr' ? V.indptr[V.rows] : V.rows * V.cols;
  const fit = (iterations: number) =>
    fitNmf(V, {
      rank: c.k,
      beta: c.beta,
      solver: c.solver,
      maxIter: iterations,
      tol: 0,
      init: c.init ?? 'random',
      seed: 1,
      ...(c.batchSize !== undefined ? { batchSize: c.batchSize } : {}),
    });
  const short = c.iterations?.[0] ?? 5;
  const shape = { rows: c.m, cols: c.n, nnz, layout: c.layout };
  // The estimates' work of this case's iteration, printed; the long fit's length is set from the
  // KL work of the shape (about 0.3 s of KL iterations at 0.2 ns a unit), as every case was timed.
  const work = fitWorkPerIteration(shape, c.k, {
    beta: c.beta,
    solver: c.solver,
    masked: c.missing !== undefined,
  });
  const klWork = fitWorkPerIteration(shape, c.k);
  const long = c.iterations?.[1] ?? Math.max(40, Math.min(2000, Math.round(0.3 / (klWork * 2e-10))));
  const coldSeconds = cpuSeconds(() => fit(short));
  const shorts: number[] = [];
  const longs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    shorts.push(cpuSeconds(() => fit(short)));
    longs.push(cpuSeconds(() => fit(long)));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const perIteration = (median(longs) - median(shorts)) / (long - short);
  const fixed = median(shorts) - short * perIteration;
  console.log(
    JSON.stringify({
      ...c,
      nnz,
      work,
      short,
      long,
      coldSeconds,
      shortSeconds: median(shorts),
      longSeconds: median(longs),
      perIteration,
      fixed,
      nsPerWork: (perIteration / work) * 1e9,
    }),
  );
}
