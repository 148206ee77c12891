/**
 * The sweep forecast against the sweep: for each sweep named, in order, on one library, the
 * New sweep form's estimate (the bound, and the expected time once earlier sweeps with the same fit
 * settings have ended; services/sweep-history.ts) is taken, then the sweep is run through the
 * services and timed. Each line: the sweep, its fits, the bound, the expected time, the sweep's wall
 * time and the two ratios to it. The datasets must be in the library already
 * (`nmf-studio import FILE --db LIB`).
 *
 *   npx electron-vite build   (the workers run from out/main/nmf.worker.js)
 *   node --import tsx scripts/measure/sweep-forecast.ts --db LIB \
 *        --sweep 'dataset=1 ranks=2..5 seed=0' --sweep 'dataset=1 ranks=2..5 seed=1' …
 *
 * A sweep's words: dataset=ID, ranks=A..B, seed=S, and optionally replicates=R, folds=F,
 * consensus=C, baseline=0, maxIter=N.
 */
import { parseArgs } from 'node:util';
import { createSweep, estimateSweep, executeSweep } from '../../src/main/services/sweeps';
import { cpuSecondsSince, estimateThreads, forecastServices, sweepOf } from './built-services';

const { values } = parseArgs({
  options: {
    db: { type: 'string' },
    sweep: { type: 'string', multiple: true },
    threads: { type: 'string', default: '2' },
  },
});
if (values.db === undefined || !values.sweep?.length) throw new Error('--db LIB and --sweep … are required');

const { services, rate } = await forecastServices(values.db, Number(values.threads));
for (const words of values.sweep) {
  const { datasetId, params } = sweepOf(words);
  const estimate = estimateSweep(services.ctx, datasetId, params, rate);
  const started = Date.now();
  const cpuBefore = process.cpuUsage();
  const made = createSweep(services.ctx, datasetId, params);
  const outcome = await executeSweep(services.ctx, made.id);
  const seconds = (Date.now() - started) / 1000;
  // The process's CPU time over every thread, its workers' included: on a shared machine the
  // wall time also holds other work's share of the cores, so the bound's thread-seconds are
  // compared with this as well.
  const cpuSeconds = cpuSecondsSince(cpuBefore);
  const expected = estimate.expected?.seconds ?? null;
  console.log(
    JSON.stringify({
      sweep: words,
      outcome,
      fits: made.jobsTotal,
      boundSeconds: +estimate.seconds.toFixed(1),
      expectedSeconds: expected === null ? null : +expected.toFixed(1),
      seconds: +seconds.toFixed(1),
      cpuSeconds: +cpuSeconds.toFixed(1),
      boundThreadSecondsOverCpu: +((estimate.seconds * estimateThreads(estimate)) / cpuSeconds).toFixed(2),
      expectedThreadSecondsOverCpu:
        expected === null ? null : +((expected * estimateThreads(estimate)) / cpuSeconds).toFixed(2),
      boundOverActual: +(estimate.seconds / seconds).toFixed(2),
      expectedOverActual: expected === null ? null : +(expected / seconds).toFixed(2),
      expectedBasis: estimate.expected?.basis ?? null,
      rateMultiplyAddsPerSecond: Math.round(rate),
    }),
  );
}
await services.close();
