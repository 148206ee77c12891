/**
 * Peak RSS of a rank sweep run through the services (main thread and pool workers: one process)
 * on a dataset already in a library, against the sweep's memory plan (job-memory-plan.ts). The
 * dataset is imported beforehand (`nmf-studio import FILE --db FILE`), so the import's own peak is
 * not in the figure; the pool's workers are started and V is not yet read when the start is taken.
 *
 *   npx electron-vite build   (the workers run from out/main/nmf.worker.js)
 *   node --expose-gc --import tsx scripts/measure/sweep-memory.ts --db LIB --dataset 1
 *        [--ranks 2..6] [--replicates 2] [--cv-folds 0] [--max-iter 10] [--threads 2]
 */
import { parseArgs } from 'node:util';
import { planSweep } from '../../src/shared/analysis';
import { sweepParamsSchema } from '../../src/shared/domain';
import { servicesOnLibrary } from './built-services';
import { getDatasetSummary } from '../../src/main/services/datasets';
import { sweepMemoryPlan } from '../../src/main/services/job-memory';
import {
  createSweep,
  executeSweep,
  sweepSpecOf,
  withConsensusReplicates,
} from '../../src/main/services/sweeps';

const { values } = parseArgs({
  options: {
    db: { type: 'string' },
    dataset: { type: 'string', default: '1' },
    ranks: { type: 'string', default: '2..6' },
    replicates: { type: 'string', default: '2' },
    'cv-folds': { type: 'string', default: '0' },
    'max-iter': { type: 'string', default: '10' },
    threads: { type: 'string', default: '2' },
  },
});
if (values.db === undefined) throw new Error('--db LIB is required');
const collect = (globalThis as { gc?: () => void }).gc;
if (collect === undefined) throw new Error('run with node --expose-gc');
const MiB = 2 ** 20;
const [fromRank, toRank] = values.ranks.split('..').map(Number);
const datasetId = Number(values.dataset);
const services = servicesOnLibrary(values.db, { threads: Number(values.threads) });
services.ctx.pool.warm();
await new Promise((resolve) => setTimeout(resolve, 3000));
collect();
const start = process.memoryUsage().rss;
let peak = start;
const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
const params = {
  fromRank,
  toRank,
  replicates: Number(values.replicates),
  cvFolds: Number(values['cv-folds']),
  consensusReplicates: 0,
  fit: { maxIter: Number(values['max-iter']) },
};
const dataset = getDatasetSummary(services.ctx, datasetId);
const sweep = withConsensusReplicates(dataset, sweepParamsSchema.parse(params));
const plan = sweepMemoryPlan(services.ctx, dataset, sweep, planSweep(sweepSpecOf(sweep)));
const made = createSweep(services.ctx, datasetId, params);
const outcome = await executeSweep(services.ctx, made.id);
clearInterval(timer);
console.log(
  JSON.stringify({
    data: `${dataset.rows} × ${dataset.cols} ${dataset.layout}`,
    outcome,
    jobs: made.jobsTotal,
    startMiB: +(start / MiB).toFixed(1),
    measuredAboveStartMiB: +((peak - start) / MiB).toFixed(1),
    plannedPeakMiB: +(plan.peakBytes / MiB).toFixed(1),
    plannedV: +(plan.matrixBytes / MiB).toFixed(1),
    plannedShared: +(plan.sharedBytes / MiB).toFixed(1),
    plannedLargestFit: +(plan.fitBytes / MiB).toFixed(1),
  }),
);
await services.close();
