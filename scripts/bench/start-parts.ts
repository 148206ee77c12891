/**
 * Where the NNDSVDa start's time goes: the randomized SVD's products with V, its
 * re-orthonormalisations and the rest (the Jacobi step, U = Q·Vc, the NNDSVD assembly in
 * JavaScript), CPU ms, fastest of R warm starts in this process.
 *
 *   node --import tsx scripts/bench/start-parts.ts --dir DIR --set NAME --rank K [--threads T] [--reps R]
 *       [--native FILE]
 *
 * --native: another build's native module (nmf_kernels.node copied aside) instead of this tree's.
 */
import { createRequire } from 'node:module';
import { installNativeKernels } from '../../src/main/native';
import type { NativeKernelModule } from '../../src/shared/nmf/kernels/native';
import { prepareData } from '../../src/shared/nmf/data';
import { initializePrepared, kernelProducts } from '../../src/shared/nmf/init';
import { selectKernels } from '../../src/shared/nmf/kernels';
import type { SvdProducts } from '../../src/shared/linalg/svd';
import { benchArgs } from './args';
import { readSet } from './data';

const { get } = benchArgs();
const dir = get('--dir');
const set = get('--set');
const k = Number(get('--rank'));
const threads = Number(get('--threads', '1'));
const reps = Number(get('--reps', '10'));
installNativeKernels();
const { V } = readSet(dir, set);
const data = prepareData(V);
const nativeFile = get('--native', '');
const kernels = selectKernels(
  nativeFile === ''
    ? { threads }
    : { threads, native: createRequire(import.meta.url)(nativeFile) as NativeKernelModule },
);

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const best: Record<string, number> = {};
for (let r = 0; r < reps; r++) {
  const spent = { times: 0, transposeTimes: 0, orthonormalize: 0, calls: 0 };
  const inner = kernelProducts(data, kernels) as Required<SvdProducts>;
  const timedProducts: SvdProducts = {
    times: (X, l, out) => {
      const t = cpuMs();
      inner.times(X, l, out);
      spent.times += cpuMs() - t;
      spent.calls++;
    },
    transposeTimes: (Y, l, out) => {
      const t = cpuMs();
      inner.transposeTimes(Y, l, out);
      spent.transposeTimes += cpuMs() - t;
      spent.calls++;
    },
    orthonormalize: (Q, rows, l) => {
      const t = cpuMs();
      inner.orthonormalize(Q, rows, l);
      spent.orthonormalize += cpuMs() - t;
    },
  };
  const t0 = cpuMs();
  initializePrepared(data, k, 'nndsvda', 0, kernels, timedProducts);
  const total = cpuMs() - t0;
  const parts: Record<string, number> = {
    total,
    times: spent.times,
    transposeTimes: spent.transposeTimes,
    orthonormalize: spent.orthonormalize,
    rest: total - spent.times - spent.transposeTimes - spent.orthonormalize,
    products: spent.calls,
  };
  if (r === 0) continue;
  for (const [name, value] of Object.entries(parts)) best[name] = Math.min(best[name] ?? Infinity, value);
}
const rounded = Object.fromEntries(
  Object.entries(best).map(([name, v]) => [name, Math.round(v * 100) / 100]),
);
console.log(JSON.stringify({ set, k, threads, fastestOf: reps - 1, cpuMs: rounded }));
