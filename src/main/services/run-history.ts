import type { RunParams } from '../../shared/domain';
import type { Db } from '../db/connection';
import { doneRunIterations } from '../db/queries/runs';
import { earlierLike, fitSettingsKey } from './sweep-history';

/**
 * What earlier runs' fits needed of their iteration budgets, for the New run form's forecast, as
 * `sweep-history.ts` does for sweeps: the forecast prices a fit at its budget (maxIter, or the
 * minibatch schedule's passes), and most fits stop well before it. Runs whose settings equal the
 * new run's but for the seed, the rank and the number of replicates are read (sweeps' saved runs
 * among them, where their settings are the same), those of the same dataset when there are any.
 */
export interface RunHistory {
  runs: number;
  sameDataset: boolean;
  /** The runs' iterations over their budgets, in (0, 1]. */
  share: number;
}

/** Ended runs read at most, newest first. */
const HISTORY_RUNS = 20;

/** Settings that do not change how far one fit runs before it stops. */
const NOT_COMPARED = ['seed', 'rank', 'replicates'] as const;

/**
 * The share of their budgets that the newest ended runs with `params`' settings ran, `budget`
 * giving a run's budget from its settings; null without such a run.
 */
export function runHistory(
  db: Db,
  datasetId: number,
  params: RunParams,
  budget: (params: RunParams) => number,
): RunHistory | null {
  const earlier = doneRunIterations(db, HISTORY_RUNS * 10).map((row) => {
    const settings = JSON.parse(row.params) as RunParams;
    return {
      datasetId: row.dataset_id,
      key: fitSettingsKey(settings, NOT_COMPARED),
      budget: budget(settings),
      iterations: row.iterations,
    };
  });
  const { chosen, sameDataset } = earlierLike(
    earlier,
    fitSettingsKey(params, NOT_COMPARED),
    datasetId,
    HISTORY_RUNS,
  );
  const budgets = chosen.reduce((sum, run) => sum + run.budget, 0);
  if (chosen.length === 0 || budgets <= 0) return null;
  const iterations = chosen.reduce((sum, run) => sum + run.iterations, 0);
  return { runs: chosen.length, sameDataset, share: Math.min(1, iterations / budgets) };
}
