/**
 * A default fit of a bench set (NNDSVDa start, tol 1e-4, ≤ 200 iterations, as ours-solution.ts)
 * run R times in one warmed process: the fastest wall time, the median, and the CPU time per fit
 * (this process, every thread). On a shared machine CPU time is the steadier measure; wall time
 * is what a user waits. Prints one JSON line.
 *
 *   node --import tsx scripts/bench/solution-cpu.ts --dir DIR --set NAME --rank K --beta B \
 *       --solver mu|hals [--threads T] [--reps R]
 */
import { fitNmf, type FitOptionsInput } from '../../src/shared/nmf';
import { installNativeKernels } from '../../src/main/native';
import { selectKernels } from '../../src/shared/nmf/kernels';
import { benchArgs, benchFitCase } from './args';
import { readSet } from './data';

const { get } = benchArgs();
const { dir, set, k, beta, solver } = benchFitCase(get);
const threads = Number(get('--threads', '2'));
const reps = Number(get('--reps', '10'));
installNativeKernels();
const { V } = readSet(dir, set);
const options: FitOptionsInput = { rank: k, beta, solver, init: 'nndsvda', seed: 0, maxIter: 200, tol: 1e-4 };
fitNmf(V, { ...options, maxIter: 5, tol: 0 }, { kernels: selectKernels({ threads }) });

const walls: number[] = [];
let iterations = 0;
let loss = 0;
const cpu0 = process.cpuUsage();
for (let r = 0; r < reps; r++) {
  const t0 = performance.now();
  const fit = fitNmf(V, options, { kernels: selectKernels({ threads }) });
  walls.push(performance.now() - t0);
  iterations = fit.iterations;
  loss = fit.loss;
}
const cpu = process.cpuUsage(cpu0);
walls.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    set,
    solver,
    threads,
    iterations,
    loss,
    fastestMs: +walls[0].toFixed(2),
    medianMs: +walls[Math.floor(reps / 2)].toFixed(2),
    cpuMsPerFit: +((cpu.user + cpu.system) / 1000 / reps).toFixed(2),
  }),
);
