/**
 * CPU per call of the native CSR KL kernels (`csrKl` W side and H side, `csrLosses`, and
 * `csrKlLoss` — the W side with the loss rows in one pass — where the module has it), and of the
 * products V·Hᵀ and Vᵀ·W of the HALS warm-up (`csrProduct` sides 0 and 1, given the handle as a fit
 * gives it), on a bench set at given ranks, one
 * thread by default, with a chosen module: the per-call figures of docs/architecture.md ("Native
 * CSR kernels"). Each output's bits are hashed, so two modules (a kept copy of the previous build
 * and the current one, run alternately) can be compared for speed and for bits.
 *
 *   node --import tsx scripts/bench/csr-kl-calls.ts --dir DIR --set NAME [--ranks 2,6,10]
 *       [--module PATH/nmf_kernels.node] [--reps 15] [--threads 1]
 *
 * W and Ht are drawn from a fixed seed (uniform on (0, 1] scaled to the data's mean), the same
 * for every module. One JSON line per rank: fastest and median CPU ms per call of each kernel.
 */
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { benchArgs } from './args';
import { installNativeKernels } from '../../src/main/native';
import { loadedNativeKernels, type NativeKernelModule } from '../../src/shared/nmf/kernels';
import { Rng } from '../../src/shared/linalg/random';
import { readCsrSet } from './data';

const { get } = benchArgs();
const dir = get('--dir');
const set = get('--set');
const ranks = get('--ranks', '2,6,10').split(',').map(Number);
const reps = Number(get('--reps', '15'));
const threads = Number(get('--threads', '1'));
const modulePath = get('--module', '');
let module: NativeKernelModule;
if (modulePath !== '') {
  module = createRequire(import.meta.url)(modulePath) as NativeKernelModule;
} else {
  installNativeKernels();
  const loaded = loadedNativeKernels();
  if (loaded === null) throw new Error('native module not loaded');
  module = loaded;
}
const { V, m, n, nnz, mean } = readCsrSet(dir, set);
const { indptr, indices, data } = V;
const handle = module.csrHandle!(indptr, indices, data, m, n);

function threadCpuMs(): number {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
}

function timed(work: () => void): { fastest: number; median: number } {
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = threadCpuMs();
    work();
    times.push(threadCpuMs() - t0);
  }
  times.sort((a, b) => a - b);
  return { fastest: +times[0].toFixed(2), median: +times[Math.floor(reps / 2)].toFixed(2) };
}

function hashOf(array: Float64Array): string {
  return createHash('sha256')
    .update(new Uint8Array(array.buffer, array.byteOffset, array.byteLength))
    .digest('hex')
    .slice(0, 12);
}

console.log(JSON.stringify({ module: modulePath || 'installed', isa: module.isa(), m, n, nnz, threads }));
for (const k of ranks) {
  const rng = new Rng(k);
  const scale = Math.sqrt(mean / k);
  const W = new Float64Array(m * k).map(() => scale * (1 - rng.uniform()));
  const Ht = new Float64Array(n * k).map(() => scale * (1 - rng.uniform()));
  const numW = new Float64Array(m * k);
  const numHt = new Float64Array(n * k);
  const ratio = new Float64Array(nnz);
  const sums = new Float64Array(2 * m);
  const load = loadavg()[0].toFixed(2);
  const wSide = timed(() => module.csrKl!(0, handle, indices, data, m, n, k, W, Ht, numW, ratio, threads));
  const hSide = timed(() => module.csrKl!(1, handle, indices, data, m, n, k, W, Ht, numHt, ratio, threads));
  const loss = timed(() => module.csrLosses!(handle, indices, data, m, n, k, W, Ht, sums, threads));
  const VHt = new Float64Array(m * k);
  const VtW = new Float64Array(n * k);
  const vF = timed(() => module.csrProduct!(0, handle, indices, data, m, n, Ht, k, VHt, threads));
  const vtW = timed(() => module.csrProduct!(1, handle, indices, data, m, n, W, k, VtW, threads));
  const fusedW = new Float64Array(m * k);
  const fusedSums = new Float64Array(2 * m);
  const wSideWithLoss =
    typeof module.csrKlLoss === 'function'
      ? timed(() => module.csrKlLoss!(handle, indices, data, m, n, k, W, Ht, fusedW, fusedSums, threads))
      : null;
  console.log(
    JSON.stringify({
      k,
      load,
      wSide,
      hSide,
      loss,
      wSideWithLoss,
      vF,
      vtW,
      bits: {
        numW: hashOf(numW),
        numHt: hashOf(numHt),
        sums: hashOf(sums),
        VHt: hashOf(VHt),
        VtW: hashOf(VtW),
        ...(wSideWithLoss !== null ? { fusedNumW: hashOf(fusedW), fusedSums: hashOf(fusedSums) } : {}),
      },
    }),
  );
}
// The handle holds V's arrays weakly (as the engine's prepared data keep them): keep them alive.
if (indptr[m] !== nnz) throw new Error('V changed');
