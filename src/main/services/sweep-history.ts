import type { SweepJob, SweepJobKind, SweepJobResult } from '../../shared/analysis';
import type { SweepParams } from '../../shared/domain';
import type { Db } from '../db/connection';
import { doneSweepIterationRecords } from '../db/queries/sweeps';

/**
 * What the fits of earlier sweeps needed of their iteration budgets, for the forecast of a new one.
 *
 * A sweep's forecast prices every fit at its budget (maxIter, plus the screened starts of a fold
 * fit), but most fits stop long before it: on Golub (`sweep golub.tsv.gz --ranks 2..5`) the data's
 * consensus fits needed 10 % of theirs, its replicates 18 % and its fold fits 39 %, so the bound
 * was 3.6–4.9× the sweep's time (docs/architecture.md, "The expected time, from earlier sweeps").
 * How far a fit runs depends on the data and the fit settings, which no formula knows before a
 * fit; earlier sweeps with the same fit settings do. So each sweep stores, when it ends, each
 * group's iterations against its budgets ({@link sweepIterationRecord}), and the forecast of a new
 * sweep scales each of its fits by its group's share ({@link sweepHistory}), preferring sweeps of
 * the same dataset.
 */

/** A group of fits that stop alike: the side (data or shuffled baseline) and the kind of fit. */
export type SweepFitGroup = `${'data' | 'baseline'}/${SweepJobKind}`;

/** One group's iterations against its budgets in an ended sweep (stored in `sweeps.fit_iterations`). */
export interface SweepGroupIterations {
  group: SweepFitGroup;
  fits: number;
  /** Iterations the group's fits ran, screened starts included. */
  iterations: number;
  /** Their budgets ({@link sweepJobBudget}) added up. */
  budget: number;
}

export function sweepFitGroupOf(job: Pick<SweepJob, 'baseline' | 'kind'>): SweepFitGroup {
  return `${job.baseline ? 'baseline' : 'data'}/${job.kind}`;
}

/** Iterations a job may run: maxIter, plus its screened starts' iterations (as the forecast counts them). */
export function sweepJobBudget(job: SweepJob, maxIter: number): number {
  return maxIter + (job.screen ? job.screen.starts * job.screen.iterations : 0);
}

/** Each group's iterations against its budgets, from an ended sweep's job results. */
export function sweepIterationRecord(
  jobs: readonly SweepJob[],
  results: readonly SweepJobResult[],
  maxIter: number,
): SweepGroupIterations[] {
  const jobById = new Map(jobs.map((job) => [job.id, job]));
  const groups = new Map<SweepFitGroup, SweepGroupIterations>();
  for (const result of results) {
    const job = jobById.get(result.jobId);
    if (!job) continue;
    const group = sweepFitGroupOf(job);
    const entry = groups.get(group) ?? { group, fits: 0, iterations: 0, budget: 0 };
    entry.fits += 1;
    entry.iterations += result.iterations;
    entry.budget += sweepJobBudget(job, maxIter);
    groups.set(group, entry);
  }
  return [...groups.values()];
}

/** What earlier sweeps' fits needed, by group, as a forecast uses it. */
export interface SweepHistory {
  /** Ended sweeps read, and whether they are of the dataset being forecast. */
  sweeps: number;
  sameDataset: boolean;
  /** Each group's share of its budgets that its fits ran, in (0, 1]. */
  shares: Map<SweepFitGroup, { share: number }>;
}

/** Ended sweeps read at most, newest first. */
const HISTORY_SWEEPS = 20;

/**
 * Fit settings as compared between earlier and new fits: every field but `omit`, keys sorted (so
 * the order a record was written in does not matter).
 */
export function fitSettingsKey(settings: object, omit: readonly string[]): string {
  return JSON.stringify(
    Object.fromEntries(
      Object.entries(settings)
        .filter(([key]) => !omit.includes(key))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    ),
  );
}

/**
 * The earlier fits a forecast goes by: of `earlier` (newest first), those whose settings key is
 * `key`, at most `limit` — those of `datasetId` when there are any, else those of any dataset.
 * One rule for the sweep and the run forecasts.
 */
export function earlierLike<T extends { datasetId: number; key: string }>(
  earlier: readonly T[],
  key: string,
  datasetId: number,
  limit: number,
): { chosen: T[]; sameDataset: boolean } {
  const matching = earlier.filter((fit) => fit.key === key);
  const own = matching.filter((fit) => fit.datasetId === datasetId);
  return { chosen: (own.length > 0 ? own : matching).slice(0, limit), sameDataset: own.length > 0 };
}

/**
 * The iterations that the newest ended sweeps with the same fit settings (all but the seed)
 * needed, by group: those of `datasetId` when there are any, else those of any dataset. Null
 * without such a sweep (stored before the record existed, or none yet).
 */
export function sweepHistory(db: Db, datasetId: number, params: SweepParams): SweepHistory | null {
  const earlier = doneSweepIterationRecords(db, HISTORY_SWEEPS * 5).map((row) => ({
    datasetId: row.dataset_id,
    key: fitSettingsKey((JSON.parse(row.params) as SweepParams).fit, ['seed']),
    iterations: row.iterations,
  }));
  const { chosen, sameDataset } = earlierLike(
    earlier,
    fitSettingsKey(params.fit, ['seed']),
    datasetId,
    HISTORY_SWEEPS,
  );
  if (chosen.length === 0) return null;
  const totals = new Map<SweepFitGroup, { iterations: number; budget: number }>();
  for (const sweep of chosen) {
    for (const entry of JSON.parse(sweep.iterations) as SweepGroupIterations[]) {
      const total = totals.get(entry.group) ?? { iterations: 0, budget: 0 };
      total.iterations += entry.iterations;
      total.budget += entry.budget;
      totals.set(entry.group, total);
    }
  }
  const shares = new Map<SweepFitGroup, { share: number }>();
  for (const [group, total] of totals) {
    if (total.budget > 0) shares.set(group, { share: Math.min(1, total.iterations / total.budget) });
  }
  return { sweeps: chosen.length, sameDataset, shares };
}
