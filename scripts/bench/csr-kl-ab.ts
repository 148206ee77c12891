/**
 * Two builds of the native module compared in one process, call by call: each repetition calls a
 * kernel on module A, then on module B (then B first, then A, alternately), so both see the same
 * load of a shared machine; csr-kl-calls.ts runs one module per process, minutes apart, and on a
 * loaded machine the drift between runs was larger than the differences measured. Reports each
 * module's fastest and median CPU ms per call, and the median over repetitions of B's time over
 * A's (paired, so load that changes between repetitions cancels), with each output's bits hashed
 * per module (they must agree).
 *
 *   node --import tsx scripts/bench/csr-kl-ab.ts --dir DIR --set NAME --a PATH.node --b PATH.node
 *       [--ranks 2,6,10] [--reps 21] [--threads 1] [--kernels wSide,wSideWithLoss,vF]
 *
 * Kernels: wSide, hSide, loss, wSideWithLoss, vF (V·Hᵀ), vtW (Vᵀ·W), with the inputs of
 * csr-kl-calls.ts (W and Ht from a fixed seed per rank). One JSON line per rank and kernel.
 */
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { benchArgs } from './args';
import type { CsrHandle, NativeKernelModule } from '../../src/shared/nmf/kernels/native';
import { Rng } from '../../src/shared/linalg/random';
import { readCsrSet } from './data';

const { get } = benchArgs();
const dir = get('--dir');
const set = get('--set');
const ranks = get('--ranks', '2,6,10').split(',').map(Number);
const reps = Number(get('--reps', '21'));
const threads = Number(get('--threads', '1'));
const kernels = get('--kernels', 'wSide,wSideWithLoss,vF').split(',');
const load = createRequire(import.meta.url);
const modules = [get('--a'), get('--b')].map((path) => load(path) as NativeKernelModule);

const { V, m, n, nnz, mean } = readCsrSet(dir, set);
const { indptr, indices, data } = V;
const handles = modules.map((module) => module.csrHandle!(indptr, indices, data, m, n));

function cpuMs(): number {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
}

function hashOf(arrays: readonly Float64Array[]): string {
  const hash = createHash('sha256');
  for (const array of arrays) hash.update(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  return hash.digest('hex').slice(0, 12);
}

/** One call of `kernel` on module `which`, writing into `outputs` (the arrays it hashes). */
type Call = (which: number) => void;

function callsFor(
  kernel: string,
  k: number,
  W: Float64Array,
  Ht: Float64Array,
): { call: Call; outputs: Float64Array[][] } {
  const outputs: Float64Array[][] = [];
  const ratio = new Float64Array(nnz);
  const make = (...sizes: number[]): void => {
    outputs.push(...[0, 1].map(() => sizes.map((size) => new Float64Array(size))));
  };
  const each = (run: (module: NativeKernelModule, handle: CsrHandle, out: Float64Array[]) => void): Call => {
    return (which) => run(modules[which], handles[which], outputs[which]);
  };
  switch (kernel) {
    case 'wSide':
      make(m * k);
      return {
        outputs,
        call: each((mod, h, [out]) => mod.csrKl!(0, h, indices, data, m, n, k, W, Ht, out, ratio, threads)),
      };
    case 'hSide':
      make(n * k);
      return {
        outputs,
        call: each((mod, h, [out]) => mod.csrKl!(1, h, indices, data, m, n, k, W, Ht, out, ratio, threads)),
      };
    case 'loss':
      make(2 * m);
      return {
        outputs,
        call: each((mod, h, [sums]) => mod.csrLosses!(h, indices, data, m, n, k, W, Ht, sums, threads)),
      };
    case 'wSideWithLoss':
      make(m * k, 2 * m);
      return {
        outputs,
        call: each((mod, h, [out, sums]) =>
          mod.csrKlLoss!(h, indices, data, m, n, k, W, Ht, out, sums, threads),
        ),
      };
    case 'vF':
      make(m * k);
      return {
        outputs,
        call: each((mod, h, [out]) => mod.csrProduct!(0, h, indices, data, m, n, Ht, k, out, threads)),
      };
    case 'vtW':
      make(n * k);
      return {
        outputs,
        call: each((mod, h, [out]) => mod.csrProduct!(1, h, indices, data, m, n, W, k, out, threads)),
      };
    default:
      throw new Error(`unknown kernel ${kernel}`);
  }
}

function summary(times: number[]): { fastest: number; median: number } {
  const sorted = [...times].sort((x, y) => x - y);
  return { fastest: +sorted[0].toFixed(2), median: +sorted[Math.floor(sorted.length / 2)].toFixed(2) };
}

for (const k of ranks) {
  const rng = new Rng(k);
  const scale = Math.sqrt(mean / k);
  const W = new Float64Array(m * k).map(() => scale * (1 - rng.uniform()));
  const Ht = new Float64Array(n * k).map(() => scale * (1 - rng.uniform()));
  for (const kernel of kernels) {
    const { call, outputs } = callsFor(kernel, k, W, Ht);
    const times: number[][] = [[], []];
    const loadBefore = loadavg()[0];
    for (let r = 0; r < reps; r++) {
      const order = r % 2 === 0 ? [0, 1] : [1, 0];
      for (const which of order) {
        const t0 = cpuMs();
        call(which);
        times[which].push(cpuMs() - t0);
      }
    }
    const ratios = times[1].map((b, r) => b / times[0][r]).sort((x, y) => x - y);
    console.log(
      JSON.stringify({
        k,
        kernel,
        load: [loadBefore, loadavg()[0]].map((x) => x.toFixed(2)).join('–'),
        a: summary(times[0]),
        b: summary(times[1]),
        bOverA: +ratios[Math.floor(reps / 2)].toFixed(3),
        bits: outputs.map(hashOf),
      }),
    );
  }
}
// The handles hold V's arrays weakly (as the engine's prepared data keep them): keep them alive.
if (indptr[m] !== nnz) throw new Error('V changed');
