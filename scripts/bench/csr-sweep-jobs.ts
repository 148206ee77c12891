/**
 * CPU per job of the sparse sweep with a chosen native module, and the bits of what each job
 * returns: runs the named jobs of one rank of a sweep plan (10 replicates, 20 consensus fits, the
 * baseline's consensus fits; `runSweepJob` as a sweep worker runs it, the baseline's shuffled copy
 * made once per process as a worker keeps it) and prints, per job, its CPU time, iterations, loss
 * and a hash of the bits of W, H, the loss and the trace. Running it with two modules (say, a kept
 * copy of the previous build and the current one) alternately on the same machine gives a
 * before/after whose hashes must be equal where the change keeps the bits.
 *
 *   node --import tsx scripts/bench/csr-sweep-jobs.ts --dir DIR --set NAME --rank K
 *       [--module PATH/nmf_kernels.node] [--jobs replicate/0,consensus/0,baseline/consensus/0]
 *       [--max-iter 200] [--reps 1]
 *
 * Job names are the plan's ids without the rank (`replicate/0`, `consensus/3`,
 * `baseline/consensus/0`). One JSON line per job run; wall and CPU milliseconds.
 */
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { benchArgs } from './args';
import { installNativeKernels } from '../../src/main/native';
import { registerNativeKernels, type NativeKernelModule } from '../../src/shared/nmf/kernels';
import { readSet } from './data';
import { planSweep, runSweepJob } from '../../src/shared/analysis/sweep';
import { ShuffledCopyCache } from '../../src/main/workers/sweep-job-cache';
import { SWEEP_FIT_DEFAULTS } from '../../src/shared/domain/defaults';
import type { DataMatrix } from '../../src/shared/linalg/matrix';

const { get } = benchArgs();
const dir = get('--dir');
const set = get('--set');
const rank = Number(get('--rank'));
const maxIter = Number(get('--max-iter', '200'));
const reps = Number(get('--reps', '1'));
const names = get('--jobs', 'replicate/0,consensus/0,baseline/consensus/0').split(',');
const modulePath = get('--module', '');
let isa: string | null;
if (modulePath !== '') {
  const module = createRequire(import.meta.url)(modulePath) as NativeKernelModule;
  registerNativeKernels(module);
  isa = module.isa();
} else {
  isa = installNativeKernels().isa;
}
const { V } = readSet(dir, set, true);

const jobs = planSweep({
  fromRank: rank,
  toRank: rank,
  replicates: 10,
  cvFolds: 0,
  baseline: true,
  fit: {
    beta: 1,
    solver: 'mu',
    init: SWEEP_FIT_DEFAULTS.init,
    maxIter,
    tol: SWEEP_FIT_DEFAULTS.tol,
    seed: 0,
    warmup: SWEEP_FIT_DEFAULTS.warmup,
  },
});
// The worker's own cache: one shuffled copy, made before timing (every baseline job of the plan has
// the same shuffle seed).
const copies = new ShuffledCopyCache();
const shuffled = (data: DataMatrix, seed: number): DataMatrix => copies.get(set, data, seed);

/** SHA-256 (first 16 hex digits) of the bytes of the arrays and numbers given. */
function bitsHash(parts: ReadonlyArray<Float64Array | number[]>): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    const array = part instanceof Float64Array ? part : Float64Array.from(part);
    hash.update(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  }
  return hash.digest('hex').slice(0, 16);
}

console.log(
  JSON.stringify({
    module: modulePath || 'installed',
    isa,
    rank,
    load: loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
  }),
);
for (let rep = 0; rep < reps; rep++) {
  for (const name of names) {
    const id = name.startsWith('baseline/') ? `baseline/k${rank}/${name.slice(9)}` : `k${rank}/${name}`;
    const job = jobs.find((j) => j.id === id);
    if (job === undefined) throw new Error(`no job ${id} in the plan`);
    const keep = { ...job, keepFactors: true };
    if (job.baseline) shuffled(V, job.shuffleSeed);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const result = runSweepJob(V, keep, {}, { shuffled, deferReplicateStatistics: true });
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const factors = result.factors!;
    console.log(
      JSON.stringify({
        id,
        cpuMs: Math.round((cpu.user + cpu.system) / 1000),
        wallMs: Math.round(wall),
        iterations: result.iterations,
        loss: result.loss,
        bits: bitsHash([factors.W.data, factors.H.data, [result.loss], factors.trace.flat()]),
      }),
    );
  }
}
