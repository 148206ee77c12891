/**
 * Where an iteration's time goes on small data: one default fit of a bench set, timed as a whole
 * and with every kernel call of its set timed (wall clock and this process's CPU time), so the
 * per-iteration time splits into the kernels' calls and what runs between them (the solver's
 * JavaScript). Prints one JSON line.
 *
 *   node --import tsx scripts/bench/iteration-profile.ts --dir DIR --set NAME --rank K --beta B \
 *       --solver mu|hals [--threads T] [--iters N] [--reps R]
 *
 * The fit runs N iterations (tol 0) from the default start, R times; the fastest run is reported.
 * `perIterationMs`: (fit time − start) / N; `calls`: per kernel, calls per iteration and µs per call.
 */
import { fitNmf, type FitOptionsInput } from '../../src/shared/nmf';
import { installNativeKernels } from '../../src/main/native';
import { selectKernels, type NmfKernels } from '../../src/shared/nmf/kernels';
import { benchArgs, benchFitCase } from './args';
import { readSet } from './data';

const { get } = benchArgs();
const { dir, set, k, beta, solver } = benchFitCase(get);
const threads = Number(get('--threads', '1'));
const iters = Number(get('--iters', '300'));
const reps = Number(get('--reps', '3'));
installNativeKernels();
const { V } = readSet(dir, set);

/** `set` with every function member wrapped by a wall-clock timer into `totals` (name → [calls, ms]). */
function timed(set: NmfKernels, totals: Map<string, [number, number]>): NmfKernels {
  const out: Record<string, unknown> = { ...set };
  for (const [name, value] of Object.entries(set)) {
    if (typeof value !== 'function' || name === 'threadsUsed' || name === 'release') continue;
    const f = value as (...args: unknown[]) => unknown;
    out[name] = (...args: unknown[]): unknown => {
      const t0 = performance.now();
      const result = f(...args);
      const entry = totals.get(name) ?? [0, 0];
      entry[0]++;
      entry[1] += performance.now() - t0;
      totals.set(name, entry);
      return result;
    };
  }
  return out as unknown as NmfKernels;
}

const options = (maxIter: number): FitOptionsInput => ({
  rank: k,
  beta,
  solver,
  init: 'nndsvda',
  seed: 0,
  maxIter,
  tol: 0,
});
fitNmf(V, options(5), { kernels: selectKernels({ threads }) });

let best: { ms: number; cpuMs: number; startMs: number; totals: Map<string, [number, number]> } | null = null;
for (let r = 0; r < reps; r++) {
  // The start alone (0 iterations), then the fit; the difference is the iterations' share.
  const t0 = performance.now();
  fitNmf(V, options(0), { kernels: selectKernels({ threads }) });
  const startMs = performance.now() - t0;
  const totals = new Map<string, [number, number]>();
  const kernels = timed(selectKernels({ threads }), totals);
  const cpu0 = process.cpuUsage();
  const t1 = performance.now();
  fitNmf(V, options(iters), { kernels });
  const ms = performance.now() - t1;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  if (best === null || ms < best.ms) best = { ms, cpuMs, startMs, totals };
}
const b = best!;
const calls: Record<string, { perIteration: number; usPerCall: number }> = {};
let kernelMs = 0;
for (const [name, [count, ms]] of b.totals) {
  calls[name] = { perIteration: +(count / iters).toFixed(2), usPerCall: +((1000 * ms) / count).toFixed(1) };
  kernelMs += ms;
}
console.log(
  JSON.stringify({
    set,
    solver,
    threads,
    iters,
    fitMs: +b.ms.toFixed(2),
    cpuMs: +b.cpuMs.toFixed(2),
    startMs: +b.startMs.toFixed(2),
    perIterationMs: +((b.ms - b.startMs) / iters).toFixed(4),
    kernelMsPerIteration: +(kernelMs / iters).toFixed(4),
    calls,
  }),
);
