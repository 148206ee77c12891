/**
 * Peak memory of one fit of a dataset already in a library, as the app runs it (services
 * `createRun` + `executeRun`, what `startRun` does; with `--dataset-page`, after `datasets:get`, which
 * the dataset's page asks for before its New run form starts one) and, with `--out`, the run folder the command
 * line writes afterwards (`writeRunFolder`: W.tsv, H.tsv, run.json). The dataset is imported
 * beforehand (`nmf-studio import FILE --db LIB`), so the import's own peak is not in the figure.
 *
 * The process's high-water mark (VmHWM, Linux) is read at each phase's end, so the phase that
 * raised it is the one whose line shows it grow; beside it the main thread's JavaScript heap and
 * the ArrayBuffers it holds (`process.memoryUsage()`). Prints one JSON line at the end, with V's
 * CSR size and the factors' (W m × k, H k × n, Float64) and the issue's target 1.5 × V + factors.
 *
 *   npx electron-vite build   (the workers run from out/main/nmf.worker.js)
 *   node --import tsx scripts/measure/stored-fit-memory.ts --db LIB [--dataset 1] [--rank 20]
 *        [--loss kl] [--solver minibatch] [--init nndsvda] [--max-iter 2] [--threads 2] [--out DIR]
 *        [--dataset-page]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { lossNames, solverNames, initNames, type RunParamsInput } from '../../src/shared/domain';
import { servicesOnLibrary } from './built-services';
import { getDatasetDetail, getDatasetSummary } from '../../src/main/services/datasets';
import { createRun, executeRun, getRunDetail } from '../../src/main/services/runs';
import { writeRunFolder } from '../../src/main/cli/folders';

const { values } = parseArgs({
  options: {
    db: { type: 'string' },
    dataset: { type: 'string', default: '1' },
    rank: { type: 'string', default: '20' },
    loss: { type: 'string', default: 'kl' },
    solver: { type: 'string' },
    init: { type: 'string' },
    'max-iter': { type: 'string', default: '2' },
    threads: { type: 'string' },
    out: { type: 'string' },
    'dataset-page': { type: 'boolean' },
  },
});
if (values.db === undefined) throw new Error('--db LIB is required');
const MB = 1e6;

/** The process's peak and current resident set (kB → bytes), Linux's /proc. */
function residentSet(): { peak: number; now: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const field = (name: string): number => {
    const match = new RegExp(`${name}:\\s+(\\d+) kB`).exec(status);
    if (match === null) throw new Error(`no ${name} in /proc/self/status (this measure needs Linux)`);
    return Number(match[1]) * 1024;
  };
  return { peak: field('VmHWM'), now: field('VmRSS') };
}

const phases: Record<string, number | string>[] = [];
function phase(name: string): void {
  const { peak, now } = residentSet();
  const usage = process.memoryUsage();
  const line = {
    phase: name,
    peakMB: Math.round(peak / MB),
    rssMB: Math.round(now / MB),
    heapUsedMB: Math.round(usage.heapUsed / MB),
    arrayBuffersMB: Math.round(usage.arrayBuffers / MB),
  };
  phases.push(line);
  process.stderr.write(JSON.stringify(line) + '\n');
}

/**
 * The resident set every 50 ms while the main thread waits (it sleeps during the fit), labelled
 * with the run's latest progress (iteration, the job's text), so a rise is placed in the fit.
 */
let label = 'start';
const timeline: { seconds: number; rssMB: number; label: string }[] = [];
const sampledFrom = Date.now();
const sampler = setInterval(() => {
  const rssMB = Math.round(residentSet().now / MB);
  const last = timeline[timeline.length - 1];
  if (last === undefined || Math.abs(last.rssMB - rssMB) >= 20 || last.label !== label)
    timeline.push({ seconds: (Date.now() - sampledFrom) / 1000, rssMB, label });
}, 50);

const datasetId = Number(values.dataset);
const services = servicesOnLibrary(values.db, {
  mode: 'cli',
  threads: values.threads === undefined ? undefined : Number(values.threads),
});
// As the command line does: the worker starts before V is read.
services.ctx.pool.warm(1);
phase('opened');
const dataset = getDatasetSummary(services.ctx, datasetId);
if (values['dataset-page'] === true) {
  getDatasetDetail(services.ctx, datasetId);
  phase('dataset page read');
}
const input: RunParamsInput = { rank: Number(values.rank), maxIter: Number(values['max-iter']) };
const loss = values.loss as (typeof lossNames)[number];
if (!lossNames.includes(loss)) throw new Error(`--loss: one of ${lossNames.join(', ')}`);
input.loss = loss;
if (values.solver !== undefined) {
  if (!solverNames.includes(values.solver as never)) throw new Error(`--solver: ${solverNames.join(', ')}`);
  input.solver = values.solver as (typeof solverNames)[number];
}
if (values.init !== undefined) {
  if (!initNames.includes(values.init as never)) throw new Error(`--init: ${initNames.join(', ')}`);
  input.init = values.init as (typeof initNames)[number];
}
services.ctx.events.subscribe((event, payload) => {
  if (event !== 'jobs:progress') return;
  const progress = payload as { iteration: number; fit?: string; state: string };
  label = `${progress.state} iteration ${progress.iteration}${progress.fit ? ` (${progress.fit})` : ''}`;
});
const started = Date.now();
const run = createRun(services.ctx, datasetId, input);
const outcome = await executeRun(services.ctx, run.id);
phase('fitted and stored');
label = 'reading the run back';
const fitSeconds = (Date.now() - started) / 1000;
const detail = getRunDetail(services.ctx, run.id);
phase('run read back');
if (values.out !== undefined) {
  label = 'writing the folder';
  await writeRunFolder(values.out, detail, undefined);
  phase('folder written');
}
await services.close();
clearInterval(sampler);
for (const point of timeline) process.stderr.write(JSON.stringify(point) + '\n');
const k = Number(values.rank);
const csrBytes = 12 * dataset.nnz + 4 * (dataset.rows + 1);
const factorBytes = 8 * (dataset.rows * k + k * dataset.cols);
const peakBytes = residentSet().peak;
console.log(
  JSON.stringify({
    data: `${dataset.rows} × ${dataset.cols} ${dataset.layout}, ${dataset.nnz} stored`,
    outcome,
    error: detail.error,
    params: detail.params,
    memoryMode: detail.provenance?.memory?.mode,
    plannedPeakMB: Math.round((detail.provenance?.memory?.plannedPeakBytes ?? 0) / MB),
    fitSeconds,
    loss: detail.loss,
    loglik: detail.loglik,
    csrMB: Math.round(csrBytes / MB),
    factorsMB: Math.round(factorBytes / MB),
    targetMB: Math.round((1.5 * csrBytes + factorBytes) / MB),
    peakMB: Math.round(peakBytes / MB),
    peakOverV: +(peakBytes / csrBytes).toFixed(2),
    peakOverTarget: +(peakBytes / (1.5 * csrBytes + factorBytes)).toFixed(2),
  }),
);
