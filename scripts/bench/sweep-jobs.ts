/**
 * A rank sweep's jobs run one by one in this process, one thread, timed by kind — where a sweep's
 * CPU goes without the pool around it (and, under `node --cpu-prof`, a profile of them).
 *
 *   node --import tsx scripts/bench/sweep-jobs.ts [--file e2e/fixtures/golub/golub.tsv.gz | FILE.mtx]
 *       [--ranks 2..5] [--kinds replicate,fold,consensus] [--baseline both|no|only] [--limit N]
 *       [--fingerprint] [--kernel-times] [--old-native FILE] [--beta 2] [--solver mu|hals]
 *       [--threads N]
 *
 * The sweep is planned as `nmf-studio sweep FILE --ranks A..B` plans it (the sweep defaults:
 * KL multiplicative updates with the HALS warm-up, 5 replicates, 3 folds, the baseline, 20
 * consensus fits), then the selected jobs run through `runSweepJob` with the native kernels on
 * one thread. Prints one JSON line per job (CPU ms) and per kind a summary line; with
 * `--fingerprint` each job's line carries a hash of its loss, held-out error and iteration count,
 * so two builds can be compared job by job (the jobs keep their factors, and the hash covers the
 * bits of W, H and the trace too); with `--kernel-times` every kernel call is timed and the sums
 * are printed by kernel (CPU ms; the rest of a job's time is JavaScript between them).
 * `--old-native FILE`: the jobs compute with that native module (another build's
 * nmf_kernels.node, copied aside) instead of this tree's, for runs alternated with this tree's.
 * `--beta B`, `--solver mu|hals`: the sweep's fits minimise that β-divergence with that solver
 * (default KL by multiplicative updates; `hals` needs β = 2 and runs without the warm-up).
 * `--threads N`: the jobs' kernels split their passes over N threads (default: one).
 * `--alternate FILE`: every job runs twice, with this tree's module and with FILE's, in turn
 * (which goes first alternates from job to job, so both meet the same load), the kinds' sums kept
 * apart ("… (old)", "… (new)") and the two runs' hashes of W, H, trace, loss and held-out error
 * compared (a difference is printed and the exit status is 1).
 */
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { benchArgs } from './args';

const { installNativeKernels } = await import('../../src/main/native');
const { planSweep } = await import('../../src/shared/analysis/sweep-plan');
const { runSweepJob } = await import('../../src/shared/analysis/sweep-job');
const { dense } = await import('../../src/shared/linalg/matrix');
const { SWEEP_DEFAULTS, SWEEP_FIT_DEFAULTS } = await import('../../src/shared/domain/defaults');
const { selectKernels } = await import('../../src/shared/nmf/kernels');

const { get, has } = benchArgs();
const file = get('--file', 'e2e/fixtures/golub/golub.tsv.gz');
const [fromRank, toRank] = get('--ranks', '2..5').split('..').map(Number);
const kinds = new Set(get('--kinds', 'replicate,fold,consensus').split(','));
const baseline = get('--baseline', 'both');
const limit = Number(get('--limit', '100000'));
const oldNativeFile = get('--old-native', '');
const beta = Number(get('--beta', '1'));
const threads = Number(get('--threads', '1'));
const solver = get('--solver', 'mu') as 'mu' | 'hals';
if (oldNativeFile !== '') {
  const { registerNativeKernels } = await import('../../src/shared/nmf/kernels/native');
  registerNativeKernels(
    createRequire(import.meta.url)(oldNativeFile) as Parameters<typeof registerNativeKernels>[0],
  );
}
installNativeKernels();

/** A features × samples TSV (header row, name column), gzip or plain. */
function readTsv(path: string): ReturnType<typeof dense> {
  const raw = readFileSync(path);
  const text = (path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  const lines = text.split('\n').filter((line) => line.length > 0);
  const rows = lines.length - 1;
  const cols = lines[0].split('\t').length - 1;
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const cells = lines[i + 1].split('\t');
    for (let j = 0; j < cols; j++) data[i * cols + j] = Number(cells[j + 1]);
  }
  return dense(rows, cols, data);
}

// A Matrix Market file (a CSR matrix, as a sweep of an imported .mtx runs on) or a TSV.
const V = file.endsWith('.mtx')
  ? (await (await import('../../src/main/io/mtx')).readMatrixMarket(file, { transpose: false })).matrix
  : readTsv(file);
const jobs = planSweep({
  fromRank,
  toRank,
  replicates: SWEEP_DEFAULTS.replicates,
  cvFolds: SWEEP_DEFAULTS.cvFolds,
  baseline: SWEEP_DEFAULTS.baseline,
  fit: {
    beta,
    solver,
    ...SWEEP_FIT_DEFAULTS,
    // The HALS warm-up precedes multiplicative updates only.
    ...(solver === 'mu' ? {} : { warmup: 0 }),
    seed: 0,
    shuffle: false,
  },
})
  .filter((job) => kinds.has(job.kind))
  .filter((job) => (baseline === 'both' ? true : baseline === 'only' ? job.baseline : !job.baseline))
  .slice(0, limit)
  // Keeping the factors changes no computation, only what the result carries (for the hash).
  .map((job) => (has('--fingerprint') ? { ...job, keepFactors: true } : job));

/** With `--kernel-times`: the one-thread kernel set, each method's CPU time summed by name. */
const kernelMs = new Map<string, { calls: number; ms: number }>();
function timedKernels(): ReturnType<typeof selectKernels> {
  const kernels = selectKernels({ threads });
  const wrapped: Record<string, unknown> = {};
  for (const name of Object.keys(kernels) as (keyof typeof kernels)[]) {
    const method = kernels[name] as unknown;
    if (typeof method !== 'function') {
      wrapped[name] = method;
      continue;
    }
    wrapped[name] = (...args: unknown[]): unknown => {
      const t0 = process.cpuUsage();
      const out = (method as (...a: unknown[]) => unknown).apply(kernels, args);
      const used = process.cpuUsage(t0);
      // Keyed by the kernel and its output rows, so a factor's side shows apart from the other's.
      const key = `${name}/${typeof args[1] === 'number' ? args[1] : '-'}`;
      const entry = kernelMs.get(key) ?? { calls: 0, ms: 0 };
      entry.calls++;
      entry.ms += (used.user + used.system) / 1000;
      kernelMs.set(key, entry);
      return out;
    };
  }
  return wrapped as unknown as ReturnType<typeof selectKernels>;
}
const hooks = { kernels: has('--kernel-times') ? timedKernels() : selectKernels({ threads }) };
const alternateFile = get('--alternate', '');
const alternate =
  alternateFile === ''
    ? null
    : (createRequire(import.meta.url)(alternateFile) as NonNullable<
        Parameters<typeof selectKernels>[0]
      >['native']);

/** The bytes of a factor (every bit, −0 and NaN payloads included); empty when absent. */
function bitsOf(values: Float64Array | undefined): Uint8Array {
  return values === undefined
    ? new Uint8Array(0)
    : new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

const totals = new Map<string, { jobs: number; cpu: number; iterations: number }>();
let differ = 0;
jobs.forEach((job, at) => {
  const runs: Array<'new' | 'old' | null> =
    alternate === null ? [null] : at % 2 === 0 ? ['new', 'old'] : ['old', 'new'];
  const prints: string[] = [];
  for (const which of runs) {
    const runHooks =
      which === 'old' ? { ...hooks, kernels: selectKernels({ threads: 1, native: alternate }) } : hooks;
    const cpu0 = process.cpuUsage();
    const result = runSweepJob(V, { ...job, keepFactors: job.keepFactors || alternate !== null }, runHooks);
    const used = process.cpuUsage(cpu0);
    const cpu = (used.user + used.system) / 1000;
    const kind = `${job.baseline ? 'baseline/' : ''}${job.kind}${which === null ? '' : ` (${which})`}`;
    const total = totals.get(kind) ?? { jobs: 0, cpu: 0, iterations: 0 };
    total.jobs++;
    total.cpu += cpu;
    total.iterations += result.iterations;
    totals.set(kind, total);
    const fingerprint =
      has('--fingerprint') || alternate !== null
        ? createHash('sha256')
            .update(
              JSON.stringify([result.loss, result.heldOutError, result.iterations, result.sampleLabels]),
            )
            .update(bitsOf(result.factors?.W.data))
            .update(bitsOf(result.factors?.H.data))
            .update(bitsOf(Float64Array.from((result.factors?.trace ?? []).flat())))
            .digest('hex')
            .slice(0, 16)
        : undefined;
    prints.push(fingerprint ?? '');
    console.log(
      JSON.stringify({
        job: job.id,
        ...(which === null ? {} : { module: which }),
        cpuMs: Math.round(cpu),
        iterations: result.iterations,
        fingerprint,
      }),
    );
  }
  if (prints.length === 2 && prints[0] !== prints[1]) {
    differ++;
    console.log(JSON.stringify({ job: job.id, differ: true }));
  }
});
if (differ > 0) process.exitCode = 1;
for (const [kind, total] of totals) {
  console.log(
    JSON.stringify({ kind, jobs: total.jobs, cpuMs: Math.round(total.cpu), iterations: total.iterations }),
  );
}
for (const [name, entry] of [...kernelMs].sort((a, b) => b[1].ms - a[1].ms)) {
  console.log(JSON.stringify({ kernel: name, calls: entry.calls, ms: Math.round(entry.ms) }));
}
