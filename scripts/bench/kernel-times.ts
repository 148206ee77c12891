/**
 * Where the time of a fit goes, kernel by kernel: runs one fit of a bench set (as ./ours.ts does:
 * the same start, tol 0, the loss at the start and the end only) with every method of the kernel
 * set timed, and prints ms per iteration for each kernel, for the code between the kernel calls
 * (the solver's JavaScript), and in total. Not a test: it prints figures.
 *
 *   node --import tsx scripts/bench/kernel-times.ts --dir DIR --set NAME --rank K --beta B \
 *       --iters N [--backend auto|js|wasm|native] [--threads T]
 *
 * DIR holds the sets ./data.ts writes (`node scripts/bench.js --case NAME --keep` leaves one).
 * With --threads T ≥ 2 only the native kernels split (no WebAssembly team is started).
 */
import { dense } from '../../src/shared/linalg/matrix';
import { fitNmf } from '../../src/shared/nmf';
import { selectKernels, type KernelBackend, type NmfKernels } from '../../src/shared/nmf/kernels';
import { installNativeKernels } from '../../src/main/native';
import { benchArgs } from './args';
import { readSet, readStart } from './data';

const { get } = benchArgs();
const dir = get('--dir');
const set = get('--set');
const k = Number(get('--rank'));
const beta = Number(get('--beta'));
const iters = Number(get('--iters'));
installNativeKernels();
const backend = get('--backend', 'auto') as KernelBackend;
const threads = Number(get('--threads', '1'));

const V = readSet(dir, set).V;
const { W0, H0 } = readStart(dir, set, k);
const base = selectKernels({ backend, threads, team: null });

/** Milliseconds and calls per kernel method. */
const spent = new Map<string, { ms: number; cpuMs: number; calls: number }>();
const timed = { ...base } as Record<string, unknown>;
for (const [name, value] of Object.entries(base)) {
  if (typeof value !== 'function' || name === 'threadsUsed' || name === 'release') continue;
  const method = value as (...args: unknown[]) => unknown;
  timed[name] = (...args: unknown[]): unknown => {
    const started = performance.now();
    const cpuAt = process.cpuUsage();
    try {
      return method.apply(base, args);
    } finally {
      const entry = spent.get(name) ?? { ms: 0, cpuMs: 0, calls: 0 };
      entry.ms += performance.now() - started;
      const cpuUsed = process.cpuUsage(cpuAt);
      entry.cpuMs += (cpuUsed.user + cpuUsed.system) / 1000;
      entry.calls++;
      spent.set(name, entry);
    }
  };
}

const started = performance.now();
const cpuStarted = process.cpuUsage();
fitNmf(
  V,
  {
    rank: k,
    beta,
    solver: 'mu',
    init: 'custom',
    W0: dense(V.rows, k, W0),
    H0: dense(k, V.cols, H0),
    maxIter: iters,
    tol: 0,
    checkEvery: iters,
    loglik: false,
  },
  { kernels: timed as unknown as NmfKernels },
);
const totalMs = performance.now() - started;
const cpu = process.cpuUsage(cpuStarted);
base.release();
let kernelMs = 0;
let kernelCpuMs = 0;
const rows: string[] = [];
for (const [name, { ms, cpuMs, calls }] of [...spent].sort((a, b) => b[1].cpuMs - a[1].cpuMs)) {
  kernelMs += ms;
  kernelCpuMs += cpuMs;
  rows.push(
    `${name.padEnd(24)} ${(ms / iters).toFixed(2).padStart(9)} ms/iter wall ${(cpuMs / iters).toFixed(2).padStart(9)} ms/iter CPU ${String(calls).padStart(5)} calls`,
  );
}
console.log(`${set} k=${k} beta=${beta} ${iters} iterations, backend ${base.backend}, threads ${threads}`);
for (const row of rows) console.log(row);
const cpuMs = (cpu.user + cpu.system) / 1000;
console.log(
  `${'between kernels (JS)'.padEnd(24)} ${((totalMs - kernelMs) / iters).toFixed(2).padStart(9)} ms/iter wall ${((cpuMs - kernelCpuMs) / iters).toFixed(2).padStart(9)} ms/iter CPU`,
);
console.log(`${'total'.padEnd(24)} ${(totalMs / iters).toFixed(2).padStart(9)} ms/iter (wall)`);
console.log(`${'CPU'.padEnd(24)} ${(cpuMs / iters).toFixed(2).padStart(9)} ms/iter (user + system)`);
console.log(
  `load average ${(await import('node:os'))
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
