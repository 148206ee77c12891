/**
 * Where one data replicate of the sparse sweep spends its CPU, phase by phase and kernel by
 * kernel: runs the replicate of a sweep plan at one rank (`runSweepJob` as a sweep worker runs it,
 * its statistics deferred) with every method of its kernel set timed, and splits the calls between
 * the start (random start, initial loss), the HALS warm-up (its iterations and the loss checks
 * among them), the KL multiplicative updates and the end (final loss), using the fit's progress
 * reports to know which iteration each call belongs to. Not a test: it prints figures.
 *
 *   node --import tsx scripts/bench/replicate-profile.ts --dir DIR --set NAME --rank K
 *       [--module PATH/nmf_kernels.node] [--index 0] [--max-iter 200]
 *
 * One JSON line: per phase, CPU ms and iterations; per phase and kernel, calls and CPU ms (total
 * and per call); the JavaScript between the kernels is each phase's CPU less its kernels'.
 */
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { benchArgs } from './args';
import { installNativeKernels } from '../../src/main/native';
import {
  registerNativeKernels,
  selectKernels,
  type NativeKernelModule,
  type NmfKernels,
} from '../../src/shared/nmf/kernels';
import { readSet } from './data';
import { planSweep, runSweepJob } from '../../src/shared/analysis/sweep';
import { SWEEP_FIT_DEFAULTS } from '../../src/shared/domain/defaults';

const { get } = benchArgs();
const dir = get('--dir');
const set = get('--set');
const rank = Number(get('--rank'));
const index = Number(get('--index', '0'));
const maxIter = Number(get('--max-iter', '200'));
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
const warmup = SWEEP_FIT_DEFAULTS.warmup;
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
    warmup,
  },
});
const job = jobs.find((j) => j.id === `k${rank}/replicate/${index}`);
if (job === undefined) throw new Error(`no replicate ${index} at rank ${rank} in the plan`);
// The fit's own cap (fit.ts): at most half the iterations are HALS.
const warmupIterations = Math.min(job.fit.warmup ?? 0, Math.floor((job.fit.maxIter ?? maxIter) / 2));

function cpuMs(): number {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
}

type Phase = 'start' | 'warm-up' | 'mu' | 'end';
let phase: Phase = 'start';
let iterationsSeen = 0;
const phaseCpu = new Map<Phase, number>();
const phaseIterations = new Map<Phase, number>();
const calls = new Map<string, { calls: number; cpuMs: number }>();
let phaseStarted = cpuMs();
const enter = (next: Phase): void => {
  const now = cpuMs();
  phaseCpu.set(phase, (phaseCpu.get(phase) ?? 0) + now - phaseStarted);
  phaseStarted = now;
  phase = next;
};

const base = selectKernels();
const timed = { ...base } as Record<string, unknown>;
for (const [name, value] of Object.entries(base)) {
  if (typeof value !== 'function' || name === 'threadsUsed' || name === 'release') continue;
  const method = value as (...args: unknown[]) => unknown;
  timed[name] = (...args: unknown[]): unknown => {
    const at = cpuMs();
    try {
      return method.apply(base, args);
    } finally {
      const key = `${phase} ${name}`;
      const entry = calls.get(key) ?? { calls: 0, cpuMs: 0 };
      entry.cpuMs += cpuMs() - at;
      entry.calls++;
      calls.set(key, entry);
      // The initial loss is the start's last call: the warm-up's first iteration follows.
      if (phase === 'start' && name === 'csrRowLosses') enter('warm-up');
    }
  };
}

const started = cpuMs();
const result = runSweepJob(
  V,
  job,
  {
    kernels: timed as unknown as NmfKernels,
    onProgress: ({ iteration }) => {
      // Reported after each iteration: the next one belongs to the warm-up or to the MU phase.
      if (phase === 'start') enter('warm-up');
      iterationsSeen = iteration;
      phaseIterations.set(phase, (phaseIterations.get(phase) ?? 0) + 1);
      if (iteration === warmupIterations) enter('mu');
    },
  },
  { deferReplicateStatistics: true },
);
enter('end');
const total = cpuMs() - started;
base.release();

const kernels: Record<string, { calls: number; cpuMs: number; msPerCall: number }> = {};
for (const [key, { calls: count, cpuMs: ms }] of [...calls].sort((a, b) => b[1].cpuMs - a[1].cpuMs))
  kernels[key] = { calls: count, cpuMs: +ms.toFixed(1), msPerCall: +(ms / count).toFixed(3) };
const phases: Record<string, { cpuMs: number; iterations: number; kernelCpuMs: number }> = {};
for (const p of ['start', 'warm-up', 'mu', 'end'] as Phase[]) {
  let kernelCpu = 0;
  for (const [key, { cpuMs: ms }] of calls) if (key.startsWith(`${p} `)) kernelCpu += ms;
  phases[p] = {
    cpuMs: +(phaseCpu.get(p) ?? 0).toFixed(1),
    iterations: phaseIterations.get(p) ?? 0,
    kernelCpuMs: +kernelCpu.toFixed(1),
  };
}
console.log(
  JSON.stringify({
    module: modulePath || 'installed',
    isa,
    set,
    rank,
    job: job.id,
    iterations: result.iterations,
    lastIteration: iterationsSeen,
    loss: result.loss,
    cpuMs: +total.toFixed(1),
    load: loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
    phases,
    kernels,
  }),
);
