/**
 * Where a rank sweep's time goes, job kind by job kind, on one bench set in this process: one job
 * of each kind the plan has at one rank (data replicate, data consensus fit, baseline replicate,
 * baseline consensus fit), run as a sweep worker runs it (`runSweepJob`), and the parts of a job
 * around its fit timed alone (the shuffled copy, Pearson's dispersion, the integer check, the
 * log-likelihood pass, the consensus labels).
 *
 *   node --import tsx scripts/bench/sweep-job-parts.ts --dir DIR --set NAME --rank K [--max-iter N]
 *       [--replicates R]
 *
 * One JSON line per measurement, wall and CPU milliseconds (on a shared machine compare CPU).
 */
import { performance } from 'node:perf_hooks';
import { benchArgs } from './args';
import { installNativeKernels } from '../../src/main/native';
import { readSet } from './data';
import { planSweep, runSweepJob } from '../../src/shared/analysis/sweep';
import { pearsonDispersion, isIntegerData } from '../../src/shared/analysis/count-model';
import { shuffleWithinRows } from '../../src/shared/analysis/crossval';
import { sampleLabels } from '../../src/shared/analysis/consensus';
import { normalizeColumns } from '../../src/shared/analysis/alignment';
import { fitNmf } from '../../src/shared/nmf';
import { SWEEP_FIT_DEFAULTS } from '../../src/shared/domain/defaults';

const { get } = benchArgs();
const dir = get('--dir');
const set = get('--set');
const rank = Number(get('--rank'));
const maxIter = Number(get('--max-iter', '200'));
const replicates = Number(get('--replicates', '10'));
installNativeKernels();
const { V } = readSet(dir, set, true);

function timed<T>(name: string, work: () => T, extra: Record<string, unknown> = {}): T {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const out = work();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  console.log(
    JSON.stringify({
      name,
      wallMs: Math.round(wall),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      ...extra,
    }),
  );
  return out;
}

const jobs = planSweep({
  fromRank: rank,
  toRank: rank,
  replicates,
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
const counts: Record<string, number> = {};
for (const job of jobs)
  counts[`${job.baseline ? 'baseline ' : ''}${job.kind}`] =
    (counts[`${job.baseline ? 'baseline ' : ''}${job.kind}`] ?? 0) + 1;
console.log(JSON.stringify({ plan: counts, total: jobs.length }));
for (const id of [
  `k${rank}/replicate/0`,
  `k${rank}/consensus/0`,
  `baseline/k${rank}/replicate/0`,
  `baseline/k${rank}/consensus/0`,
]) {
  const job = jobs.find((j) => j.id === id)!;
  const result = timed(`job ${id}`, () => runSweepJob(V, job));
  console.log(
    JSON.stringify({ id, iterations: result.iterations, fitSeconds: result.seconds, loss: result.loss }),
  );
}
const job = jobs.find((j) => j.id === `k${rank}/replicate/0`)!;
const fit = timed('fit with loglik', () => fitNmf(V, job.fit));
timed('fit without loglik', () => fitNmf(V, { ...job.fit, loglik: false }));
timed('pearsonDispersion', () => pearsonDispersion(V, fit.W, fit.H));
timed('isIntegerData', () => isIntegerData(V));
timed('shuffleWithinRows', () => shuffleWithinRows(V, job.shuffleSeed));
timed('sampleLabels', () => sampleLabels(fit.W, fit.H));
timed('normalizeColumns', () => normalizeColumns(fit.W));
