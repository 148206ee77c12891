/**
 * The time left a sweep shows, against the time it really had left: each sweep named is run
 * through the services (as the app runs it), every progress report and finished job the time-left
 * estimate (services/sweep-remaining.ts) receives is recorded with its time, and the record is
 * replayed through a fresh estimate. Printed per sweep: at 10, 25, 50, 75 and 90 % of the time to
 * its last fit's end, the time left shown over the true time left (the summary after the last fit,
 * which no estimate counts, is left out), and over every report between 5 and 95 %, the median and
 * the worst factor by which it was off. The estimate uses the rate the sweep has shown so far, so
 * load from other work that changes during the sweep shows up here as error.
 *
 *   npx electron-vite build   (the workers run from out/main/nmf.worker.js)
 *   node --import tsx scripts/measure/sweep-time-left.ts --db LIB --sweep 'dataset=1 ranks=2..5 seed=0' … \
 *       [--record FILE]
 *   node --import tsx scripts/measure/sweep-time-left.ts --replay FILE
 *
 * `--record FILE` also writes each sweep's reports (one JSON line a sweep), and `--replay FILE`
 * measures a changed estimate on those reports again without running the sweeps. A sweep's words
 * as in sweep-forecast.ts (built-services.ts `sweepOf`). The library gets the sweeps; use a copy.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { planSweep } from '../../src/shared/analysis';
import { getDatasetSummary } from '../../src/main/services/datasets';
import { getSweepSummary } from '../../src/main/services/sweep-records';
import { sweepHistory, type SweepFitGroup } from '../../src/main/services/sweep-history';
import type { CostShape } from '../../src/main/services/fit-cost';
import type { SweepParams } from '../../src/shared/domain';
import { SweepRemaining, createSweep, executeSweep, sweepSpecOf } from '../../src/main/services/sweeps';
import { forecastServices, sweepOf } from './built-services';

const { values } = parseArgs({
  options: {
    db: { type: 'string' },
    sweep: { type: 'string', multiple: true },
    threads: { type: 'string', default: '2' },
    record: { type: 'string' },
    replay: { type: 'string' },
  },
});
if (values.replay === undefined && (values.db === undefined || !values.sweep?.length))
  throw new Error('--db LIB and --sweep …, or --replay FILE, are required');

/** What the estimate received: a running job's iteration, or a job's end with its iterations. */
interface Report {
  ms: number;
  kind: 'progress' | 'finish';
  jobId: string;
  iterations: number;
}

type Estimator = Pick<SweepRemaining, 'progress' | 'finish' | 'remainingMs'>;

/** Each report's estimate of the time left, replayed through `estimator`. */
function replay(reports: readonly Report[], estimator: Estimator): (number | null)[] {
  return reports.map((report) => {
    if (report.kind === 'progress') estimator.progress(report.jobId, report.iterations);
    else estimator.finish(report.jobId, report.iterations);
    return estimator.remainingMs(report.ms);
  });
}

/** One sweep as it ran: what the estimators need to replay it. */
interface SweepRecord {
  sweep: string;
  outcome: string;
  params: SweepParams;
  dataset: CostShape;
  earlierShares: [SweepFitGroup, { share: number }][] | null;
  earlierSweeps: number;
  totalMs: number;
  reports: Report[];
}

/** The estimate against the time the sweep really had left. */
function compare(record: SweepRecord): object {
  const { reports, totalMs, params } = record;
  const jobs = planSweep(sweepSpecOf(params));
  const estimates = replay(reports, new SweepRemaining(jobs, params.fit.maxIter));
  // The last job's end is where the estimate reads 0; what follows (the summary) is not a fit's.
  const endMs = reports.reduce((end, report) => Math.max(end, report.ms), 0);
  const ratioAt = (share: number): number | null => {
    const at = reports.findIndex((report) => report.ms >= share * endMs);
    const estimate = at < 0 ? null : estimates[at];
    return estimate === null ? null : +(estimate / (endMs - reports[at].ms)).toFixed(2);
  };
  const offBy = (): { median: number; worst: number } => {
    const factors = reports
      .map((report, i) => ({ report, estimate: estimates[i] }))
      .filter(
        ({ report, estimate }) => report.ms >= 0.05 * endMs && report.ms <= 0.95 * endMs && estimate !== null,
      )
      .map(({ report, estimate }) => {
        const ratio = estimate! / (endMs - report.ms);
        return ratio >= 1 ? ratio : 1 / Math.max(ratio, 1e-9);
      })
      .sort((a, b) => a - b);
    return {
      median: +factors[Math.floor(factors.length / 2)].toFixed(2),
      worst: +factors[factors.length - 1].toFixed(2),
    };
  };
  const shares = [0.1, 0.25, 0.5, 0.75, 0.9];
  return {
    sweep: record.sweep,
    outcome: record.outcome,
    fits: jobs.length,
    seconds: +(totalMs / 1000).toFixed(1),
    lastFitEndsAt: +(endMs / 1000).toFixed(1),
    earlierSweeps: record.earlierSweeps,
    reports: reports.length,
    leftOverTrueLeft: Object.fromEntries(shares.map((share) => [`${share * 100}%`, ratioAt(share)])),
    offBy: offBy(),
  };
}

if (values.replay !== undefined) {
  for (const line of readFileSync(values.replay, 'utf8').split('\n'))
    if (line.trim() !== '') console.log(JSON.stringify(compare(JSON.parse(line) as SweepRecord)));
} else {
  const { services } = await forecastServices(values.db!, Number(values.threads));
  const { ctx } = services;
  for (const words of values.sweep!) {
    const { datasetId, params: input } = sweepOf(words);
    const made = createSweep(ctx, datasetId, input);
    const params = getSweepSummary(ctx, made.id).params;
    const history = sweepHistory(ctx.db, datasetId, params);
    const reports: Report[] = [];
    const progress = SweepRemaining.prototype.progress;
    const finish = SweepRemaining.prototype.finish;
    let started = performance.now();
    SweepRemaining.prototype.progress = function (jobId: string, iteration: number): void {
      reports.push({ ms: performance.now() - started, kind: 'progress', jobId, iterations: iteration });
      progress.call(this, jobId, iteration);
    };
    SweepRemaining.prototype.finish = function (jobId: string, iterations: number): void {
      reports.push({ ms: performance.now() - started, kind: 'finish', jobId, iterations });
      finish.call(this, jobId, iterations);
    };
    started = performance.now();
    const outcome = await executeSweep(ctx, made.id);
    const totalMs = performance.now() - started;
    SweepRemaining.prototype.progress = progress;
    SweepRemaining.prototype.finish = finish;
    const { layout, rows, cols, nnz } = getDatasetSummary(ctx, datasetId);
    const record: SweepRecord = {
      sweep: words,
      outcome,
      params,
      dataset: { layout, rows, cols, nnz },
      earlierShares: history === null ? null : [...history.shares],
      earlierSweeps: history?.sweeps ?? 0,
      totalMs,
      reports,
    };
    if (values.record !== undefined) appendFileSync(values.record, `${JSON.stringify(record)}\n`);
    console.log(JSON.stringify(compare(record)));
  }
  await services.close();
}
