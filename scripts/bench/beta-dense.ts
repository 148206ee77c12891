/**
 * Dense Itakura–Saito (β = 0) and general-β multiplicative-update fits, timed per kernel and per
 * fit: for each shape and β, a fit of `--short` and one of `--long` iterations (tol 0, the loss
 * checked every 10 iterations as a default fit does), CPU time per kernel method and in total, so
 * that the per-iteration slope and the per-fit intercept separate. Not a test: it prints figures.
 *
 *   node --import tsx scripts/bench/beta-dense.ts [--shapes 2000x500x8,200x100x5,5000x38x4]
 *       [--betas 0,0.5] [--short 10] [--long 60] [--reps 3] [--threads 1]
 *       [--a PATH.node --b PATH.node] [--csr DENSITY]
 *
 * --csr D: V as CSR, about a fraction D of its entries stored (1 + Poisson(4)), the rest zeros (so
 * β > 0 only: Itakura–Saito needs V > 0).
 *
 * Sets compared, alternately in one process (so both see the same load of a shared machine):
 * with --a/--b, the native set over each of two module builds; without, 'wasm terms' (the loaded
 * native module with the general-β terms and loss sums taken from the WebAssembly set, as before
 * the native ones existed) and 'native' (the loaded module's set as it is). The bits of W, H and the loss
 * trace are hashed per set: they must agree. One JSON line per shape, β and set.
 */
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { dense, type DataMatrix } from '../../src/shared/linalg/matrix';
import { Rng } from '../../src/shared/linalg/random';
import { csrFromDense } from '../../src/shared/linalg/ops';
import { fitNmf } from '../../src/shared/nmf';
import { selectKernels, type NmfKernels } from '../../src/shared/nmf/kernels';
import {
  loadedNativeKernels,
  nativeKernels,
  type NativeKernelModule,
} from '../../src/shared/nmf/kernels/native';
import { installNativeKernels } from '../../src/main/native';
import { benchArgs } from './args';

const { get } = benchArgs();
const shapes = get('--shapes', '2000x500x8,200x100x5,5000x38x4')
  .split(',')
  .map((s) => s.split('x').map(Number) as [number, number, number]);
const betas = get('--betas', '0,0.5').split(',').map(Number);
const short = Number(get('--short', '10'));
const long = Number(get('--long', '60'));
const reps = Number(get('--reps', '3'));
const threads = Number(get('--threads', '1'));
const pathA = get('--a', '');
const pathB = get('--b', '');
const csrDensity = Number(get('--csr', '0'));

installNativeKernels();
const wasm = selectKernels({ backend: 'wasm' });

/** The sets compared, by name. */
function kernelSets(): Array<{ name: string; set: NmfKernels }> {
  if (pathA !== '' && pathB !== '') {
    const load = createRequire(import.meta.url);
    return [pathA, pathB].map((path, at) => ({
      name: at === 0 ? 'a' : 'b',
      set: nativeKernels(load(path) as NativeKernelModule, threads, wasm),
    }));
  }
  const module = loadedNativeKernels();
  if (module === null) throw new Error('the native kernels are not loaded (npm run build:native)');
  const native = nativeKernels(module, threads, wasm);
  return [
    {
      name: 'wasm terms',
      set: { ...native, betaW: wasm.betaW, betaH: wasm.betaH, betaLossSums: wasm.betaLossSums },
    },
    { name: 'native', set: native },
  ];
}

/**
 * Positive data (IS needs V > 0 where observed): 1 + Poisson(4) counts, as engine-cost's IS family;
 * with --csr, that share of the entries stored as CSR and the rest zero.
 */
function positiveCounts(m: number, n: number, seed: number): DataMatrix {
  const rng = new Rng(seed);
  const V = dense(m, n);
  for (let i = 0; i < V.data.length; i++)
    V.data[i] = csrDensity > 0 && rng.uniform() >= csrDensity ? 0 : 1 + rng.poisson(4);
  return csrDensity > 0 ? csrFromDense(V) : V;
}

/** A set whose methods add their CPU milliseconds into `spent` by name. */
function timedSet(set: NmfKernels, spent: Map<string, number>): NmfKernels {
  const timed = { ...set } as Record<string, unknown>;
  for (const [name, value] of Object.entries(set)) {
    if (typeof value !== 'function' || name === 'threadsUsed' || name === 'release') continue;
    const method = value as (...args: unknown[]) => unknown;
    timed[name] = (...args: unknown[]): unknown => {
      const at = process.cpuUsage();
      try {
        return method.apply(set, args);
      } finally {
        const used = process.cpuUsage(at);
        spent.set(name, (spent.get(name) ?? 0) + (used.user + used.system) / 1000);
      }
    };
  }
  return timed as unknown as NmfKernels;
}

/** CPU ms of one fit, its per-kernel ms, and the hash of W, H and the trace. */
function fitOnce(
  V: DataMatrix,
  k: number,
  beta: number,
  iterations: number,
  set: NmfKernels,
): { ms: number; kernels: Map<string, number>; hash: string } {
  const spent = new Map<string, number>();
  const at = process.cpuUsage();
  const result = fitNmf(
    V,
    { rank: k, beta, solver: 'mu', init: 'random', seed: 1, maxIter: iterations, tol: 0 },
    { kernels: timedSet(set, spent) },
  );
  const used = process.cpuUsage(at);
  const hash = createHash('sha256');
  for (const array of [result.W.data, result.H.data, Float64Array.from(result.trace.flat())])
    hash.update(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  return { ms: (used.user + used.system) / 1000, kernels: spent, hash: hash.digest('hex').slice(0, 12) };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const sets = kernelSets();
for (const [m, n, k] of shapes) {
  const V = positiveCounts(m, n, 7);
  for (const beta of betas) {
    // Warm-up: one short fit per set.
    for (const { set } of sets) fitOnce(V, k, beta, short, set);
    const runs = sets.map(() => ({
      short: [] as number[],
      long: [] as number[],
      kernels: [] as Map<string, number>[],
      hashes: new Set<string>(),
    }));
    for (let rep = 0; rep < reps; rep++) {
      const order = rep % 2 === 0 ? sets.map((_, at) => at) : sets.map((_, at) => sets.length - 1 - at);
      for (const at of order) {
        const s = fitOnce(V, k, beta, short, sets[at].set);
        const l = fitOnce(V, k, beta, long, sets[at].set);
        runs[at].short.push(s.ms);
        runs[at].long.push(l.ms);
        runs[at].kernels.push(l.kernels);
        runs[at].hashes.add(l.hash);
      }
    }
    sets.forEach(({ name }, at) => {
      const run = runs[at];
      const perIteration = (median(run.long) - median(run.short)) / (long - short);
      const kernels: Record<string, number> = {};
      for (const name of new Set(run.kernels.flatMap((x) => [...x.keys()])))
        kernels[name] = Number((median(run.kernels.map((x) => x.get(name) ?? 0)) / long).toFixed(3));
      console.log(
        JSON.stringify({
          set: name,
          m,
          n,
          k,
          beta,
          threads,
          msPerIteration: Number(perIteration.toFixed(3)),
          layout: csrDensity > 0 ? `csr ${csrDensity}` : 'dense',
          nsPerEntryIteration: Number(((perIteration * 1e6) / (m * n)).toFixed(2)),
          msPerFit: Number((median(run.short) - short * perIteration).toFixed(2)),
          msLongFit: Number(median(run.long).toFixed(1)),
          kernelMsPerIteration: kernels,
          hashes: [...run.hashes],
          load: loadavg()[0].toFixed(2),
        }),
      );
    });
  }
}
