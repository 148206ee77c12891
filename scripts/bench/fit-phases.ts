/**
 * Where one default fit's time goes, phase by phase, in this process.
 *
 *   node --import tsx scripts/bench/fit-phases.ts --dir DIR --set NAME --rank K --beta B \
 *       --solver mu|hals [--threads T] [--iterations N] [--reps R] [--old-native FILE]
 *
 * Runs the phases of `fitPrepared` (src/shared/nmf/fit.ts) one by one, as it runs them — the data
 * scan, the kernel selection, the NNDSVDa start, the initial loss, N iterations, the final loss
 * (with the Poisson log-likelihood in the same pass for β = 1) and the result copies — and prints, per phase, wall and CPU
 * milliseconds for the first (cold) round and the fastest of the later (warm) rounds (each
 * phase's fastest on its own), plus the time from process start to this script's first line and
 * the module loads. One JSON line per phase, then a summary line with the fixed cost (every phase
 * but the iterations), wall and CPU: on a shared machine the CPU figures are the ones to compare.
 *
 * --old-native FILE: a second native module (another build's nmf_kernels.node, copied aside) is
 * loaded beside this tree's, and the rounds alternate between the two (this tree's first), so
 * both meet the same load; each phase's figures and the fixed cost are printed per module
 * ("old" / "new"), and every round's W, H, losses and log-likelihood are checked `Object.is`-equal
 * between the two (a difference is printed and the exit status is 1).
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import type { NativeKernelModule } from '../../src/shared/nmf/kernels/native';
import { benchArgs, benchFitCase } from './args';
const loadStarted = performance.now();
const { installNativeKernels } = await import('../../src/main/native');
const { prepareData } = await import('../../src/shared/nmf/data');
const { resolveWith } = await import('../../src/shared/nmf/options');
const { initializePrepared } = await import('../../src/shared/nmf/init');
const { divergenceOf, klAndLogLikelihoodOf } = await import('../../src/shared/nmf/divergence');
const { createWorkspace, halsIteration, muIteration } = await import('../../src/shared/nmf/solvers');
const { selectKernels } = await import('../../src/shared/nmf/kernels');
const { transpose } = await import('../../src/shared/linalg/ops');
const { dense } = await import('../../src/shared/linalg/matrix');
const { readSet } = await import('./data');
const modulesMs = performance.now() - loadStarted;

const { get } = benchArgs();
const { dir, set, k, beta, solver } = benchFitCase(get);
const threads = Number(get('--threads', '1'));
const iterations = Number(get('--iterations', '10'));
const reps = Number(get('--reps', '5'));
const oldNativeFile = get('--old-native', '');
const oldNative: NativeKernelModule | null =
  oldNativeFile === '' ? null : (createRequire(import.meta.url)(oldNativeFile) as NativeKernelModule);

const nativeStarted = performance.now();
installNativeKernels();
const nativeMs = performance.now() - nativeStarted;
const { V } = readSet(dir, set);

type Phases = Record<string, { wall: number; cpu: number }>;

function timed<T>(phases: Phases, name: string, work: () => T): T {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const out = work();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  phases[name] = { wall, cpu: (cpu.user + cpu.system) / 1000 };
  return out;
}

/** What a round computed: W, Ht and the losses, for the bit check between two modules. */
let lastOutputs: Float64Array[] = [];

/**
 * One fit, phase by phase, as fitPrepared runs it (no penalties, no shuffle, no warm-up), with
 * `native` (default: the module this thread registered).
 */
function round(native?: NativeKernelModule): Phases {
  const p: Phases = {};
  const data = timed(p, 'scan', () => prepareData(V));
  const options = timed(p, 'options', () =>
    resolveWith({ rank: k, beta, solver, init: 'nndsvda', seed: 0, maxIter: iterations, tol: 0 }, data),
  );
  const kernels = timed(p, 'select', () =>
    selectKernels(native === undefined ? { threads } : { threads, native }),
  );
  const start = timed(p, 'start', () => initializePrepared(data, k, options.init as 'nndsvda', 0, kernels));
  // The start's bits, kept for the check between modules (outside the timed phases).
  const startBits = oldNative === null ? [] : [start.W.data.slice(), start.H.data.slice()];
  const { W, Ht, ws } = timed(p, 'setup', () => ({
    W: start.W.data,
    Ht: transpose(start.H).data,
    ws: createWorkspace(data.m, data.n, k, 0, kernels),
  }));
  const pen = { l1W: 0, l2W: 0, l1H: 0, l2H: 0 };
  const initialLoss = timed(p, 'initialLoss', () => divergenceOf(data, W, Ht, k, beta, kernels));
  timed(p, 'iterations', () => {
    for (let it = 0; it < iterations; it++) {
      if (solver === 'mu') muIteration(data, W, Ht, k, beta, pen, ws, undefined);
      else halsIteration(data, W, Ht, k, pen, ws, () => {}, undefined);
    }
  });
  // β = 1: the final loss and the log-likelihood in one pass, as the fit reads them when the
  // final loss is still to compute.
  const final =
    beta === 1
      ? timed(p, 'finalLossAndLoglik', () => klAndLogLikelihoodOf(data, W, Ht, k, kernels))
      : { loss: timed(p, 'finalLoss', () => divergenceOf(data, W, Ht, k, beta, kernels)), loglik: NaN };
  timed(p, 'copies', () => ({ W: dense(data.m, k, W), H: transpose(dense(data.n, k, Ht)) }));
  lastOutputs = [...startBits, W, Ht, Float64Array.of(initialLoss, final.loss, final.loglik)];
  return p;
}

/** Whether two rounds' outputs are the same doubles (Object.is: −0 ≠ +0, NaN = NaN). */
function sameOutputs(a: Float64Array[], b: Float64Array[]): boolean {
  return (
    a.length === b.length &&
    a.every((x, q) => x.length === b[q].length && x.every((v, r) => Object.is(v, b[q][r])))
  );
}

if (oldNative !== null) {
  // Alternating rounds: this tree's module, then the old one, `reps` each (the first pair cold).
  const rounds: Record<'new' | 'old', Phases[]> = { new: [], old: [] };
  let differ = 0;
  for (let r = 0; r < reps; r++) {
    rounds.new.push(round());
    const fresh = lastOutputs;
    rounds.old.push(round(oldNative));
    if (!sameOutputs(fresh, lastOutputs)) differ++;
  }
  for (const which of ['old', 'new'] as const) {
    const warmRounds = rounds[which].slice(1);
    let fixedCpu = 0;
    let fixedWall = 0;
    const phases: Record<string, number> = {};
    for (const name of Object.keys(warmRounds[0])) {
      const cpu = Math.min(...warmRounds.map((w) => w[name].cpu));
      const wall = Math.min(...warmRounds.map((w) => w[name].wall));
      phases[name] = Math.round(cpu * 100) / 100;
      if (name !== 'iterations') {
        fixedCpu += cpu;
        fixedWall += wall;
      }
    }
    console.log(
      JSON.stringify({
        module: which,
        set,
        k,
        beta,
        solver,
        threads,
        warmFixedCpuMs: Math.round(fixedCpu * 100) / 100,
        warmFixedMs: Math.round(fixedWall * 100) / 100,
        warmCpuMsByPhase: phases,
      }),
    );
  }
  console.log(JSON.stringify({ sameBits: differ === 0, roundsDiffering: differ }));
  process.exit(differ === 0 ? 0 : 1);
}

const cold = round();
const warm: Phases[] = [];
for (let r = 1; r < reps; r++) warm.push(round());
const best = (name: string): { wall: number; cpu: number } => {
  let b = { wall: Infinity, cpu: Infinity };
  for (const w of warm) {
    b = { wall: Math.min(b.wall, w[name].wall), cpu: Math.min(b.cpu, w[name].cpu) };
  }
  return b;
};
const fmt = (x: number): number => Math.round(x * 100) / 100;
let coldFixed = 0;
let warmFixed = 0;
let coldFixedCpu = 0;
let warmFixedCpu = 0;
for (const name of Object.keys(cold)) {
  const w = best(name);
  if (name !== 'iterations') {
    coldFixed += cold[name].wall;
    warmFixed += w.wall;
    coldFixedCpu += cold[name].cpu;
    warmFixedCpu += w.cpu;
  }
  console.log(
    JSON.stringify({
      phase: name,
      coldWallMs: fmt(cold[name].wall),
      coldCpuMs: fmt(cold[name].cpu),
      warmWallMs: fmt(w.wall),
      warmCpuMs: fmt(w.cpu),
    }),
  );
}
console.log(
  JSON.stringify({
    set,
    k,
    beta,
    solver,
    threads,
    iterations,
    processToScriptMs: fmt(loadStarted - 0),
    moduleLoadMs: fmt(modulesMs),
    nativeLoadMs: fmt(nativeMs),
    coldFixedMs: fmt(coldFixed),
    warmFixedMs: fmt(warmFixed),
    coldFixedCpuMs: fmt(coldFixedCpu),
    warmFixedCpuMs: fmt(warmFixedCpu),
    warmPerIterationMs: fmt(best('iterations').wall / iterations),
    warmPerIterationCpuMs: fmt(best('iterations').cpu / iterations),
  }),
);
