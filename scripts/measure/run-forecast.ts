/**
 * The New run form's estimate against the run: for each run named, the estimate (services/runs.ts
 * `estimateRun`, at the calibration rate measured as the app measures it) is taken, then the run
 * is made and executed through the services (after one untimed run of the same settings, so the
 * workers and the dataset's matrix are warm, as in a session of the app) and its wall time taken.
 * With `tol: 0` every fit runs its whole budget, so the estimate's bound should equal the run's
 * time. Each line: the run, the bound, the run's time and their ratio. The datasets must be in the
 * library already (`nmf-studio import FILE --db LIB`).
 *
 *   npx electron-vite build   (the workers run from out/main/nmf.worker.js)
 *   node --import tsx scripts/measure/run-forecast.ts --db LIB \
 *        --run 'dataset=1 rank=8 beta=1 maxIter=200' --run 'dataset=2 rank=8 beta=0 maxIter=30' …
 *
 * A run's words: dataset=ID, rank=K, and optionally beta=B, solver=S, maxIter=N, init=I,
 * replicates=R (tol is 0 unless tol=T).
 */
import { parseArgs } from 'node:util';
import { createRun, estimateRun, executeRun } from '../../src/main/services/runs';
import type { RunParamsInput } from '../../src/shared/domain';
import { cpuSecondsSince, estimateThreads, forecastServices } from './built-services';

const { values } = parseArgs({
  options: {
    db: { type: 'string' },
    run: { type: 'string', multiple: true },
    threads: { type: 'string', default: '2' },
  },
});
if (values.db === undefined || !values.run?.length) throw new Error('--db LIB and --run … are required');

/** The run parameters' loss for a β: the named losses, else `beta`. */
function lossOf(beta: number): Pick<RunParamsInput, 'loss' | 'beta'> {
  if (beta === 1) return { loss: 'kl' };
  if (beta === 2) return { loss: 'frobenius' };
  if (beta === 0) return { loss: 'is' };
  return { loss: 'beta', beta };
}

function runOf(words: string): { datasetId: number; params: RunParamsInput } {
  const field = Object.fromEntries(words.split(/\s+/).map((word) => word.split('=') as [string, string]));
  if (!field.dataset || !field.rank) throw new Error(`a run needs dataset=ID and rank=K: ${words}`);
  return {
    datasetId: Number(field.dataset),
    params: {
      rank: Number(field.rank),
      tol: Number(field.tol ?? 0),
      ...(field.beta ? lossOf(Number(field.beta)) : {}),
      ...(field.solver ? { solver: field.solver as RunParamsInput['solver'] } : {}),
      ...(field.maxIter ? { maxIter: Number(field.maxIter) } : {}),
      ...(field.init ? { init: field.init as RunParamsInput['init'] } : {}),
      ...(field.replicates ? { replicates: Number(field.replicates) } : {}),
    },
  };
}

const { services, rate } = await forecastServices(values.db, Number(values.threads));
for (const words of values.run) {
  const { datasetId, params } = runOf(words);
  const estimate = estimateRun(services.ctx, datasetId, params, rate);
  await executeRun(services.ctx, createRun(services.ctx, datasetId, params).id);
  const started = Date.now();
  const cpuBefore = process.cpuUsage();
  const outcome = await executeRun(services.ctx, createRun(services.ctx, datasetId, params).id);
  const seconds = (Date.now() - started) / 1000;
  // Every thread's CPU time, the workers' included (see sweep-forecast.ts).
  const cpuSeconds = cpuSecondsSince(cpuBefore);
  console.log(
    JSON.stringify({
      run: words,
      outcome,
      boundSeconds: +estimate.seconds.toFixed(3),
      seconds: +seconds.toFixed(3),
      cpuSeconds: +cpuSeconds.toFixed(3),
      boundThreadSecondsOverCpu: +((estimate.seconds * estimateThreads(estimate)) / cpuSeconds).toFixed(2),
      boundOverActual: +(estimate.seconds / seconds).toFixed(2),
      rateMultiplyAddsPerSecond: Math.round(rate),
      basis: estimate.basis,
    }),
  );
}
await services.close();
