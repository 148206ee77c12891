/**
 * Default fits (NNDSVDa start, tol 1e-4, at most 200 iterations) on T native threads, wall and CPU
 * milliseconds (fastest of 3, after a 5-iteration warm-up fit), with a given build of the native
 * module: run it for T = 1 and 2, and for two builds (a copy of native/build/Release/nmf_kernels.node
 * from before a change), alternating, to compare thread counts and builds on a shared machine.
 *
 *   node --import tsx scripts/bench/threads-compare.ts --dir DIR --module FILE.node --threads T
 *       [--cases digits-fro,digits-kl,p2000-kl,p2000-fro]
 *
 * DIR holds the sets `digits` and `planted2000` written by scripts/bench/data.ts.
 */
import { createRequire } from 'node:module';
import { fitNmf } from '../../src/shared/nmf';
import { registerNativeKernels, selectKernels, type NativeKernelModule } from '../../src/shared/nmf/kernels';
import { benchArgs } from './args';
import { readSet } from './data';

const { get } = benchArgs();
const dir = get('--dir');
registerNativeKernels(createRequire(import.meta.url)(get('--module')) as NativeKernelModule);
const threads = Number(get('--threads', '1'));
const wanted = get('--cases', 'digits-fro,digits-kl,p2000-kl,p2000-fro').split(',');
const cases = [
  ['digits-fro', 'digits', 10, 2, 'hals'],
  ['digits-kl', 'digits', 10, 1, 'mu'],
  ['p2000-kl', 'planted2000', 8, 1, 'mu'],
  ['p2000-fro', 'planted2000', 8, 2, 'hals'],
] as const;
const lines: string[] = [];
for (const [name, set, k, beta, solver] of cases) {
  if (!wanted.includes(name)) continue;
  const { V } = readSet(dir, set);
  const base = { rank: k, beta, solver, init: 'nndsvda' as const, seed: 0 };
  fitNmf(V, { ...base, maxIter: 5, tol: 0 }, { kernels: selectKernels({ threads }) });
  let wall = Infinity;
  let cpu = Infinity;
  let iterations = 0;
  for (let r = 0; r < 3; r++) {
    const kernels = selectKernels({ threads });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const fit = fitNmf(V, { ...base, maxIter: 200, tol: 1e-4 }, { kernels });
    const used = process.cpuUsage(cpu0);
    wall = Math.min(wall, performance.now() - t0);
    cpu = Math.min(cpu, (used.user + used.system) / 1000);
    iterations = fit.iterations;
  }
  lines.push(
    `${name} threads ${threads} iterations ${iterations} wall ${wall.toFixed(1)} ms cpu ${cpu.toFixed(1)} ms`,
  );
}
console.log(lines.join(' | '));
