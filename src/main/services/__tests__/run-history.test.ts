import { describe, expect, it } from 'vitest';
import { completeRunParams, type DatasetSummary, type RunEstimate } from '../../../shared/domain';
import { costSettingsOf, fitFixedWork, fitWorkPerIteration } from '../fit-cost';
import { call, finishedRun, servicesInTempFolders, synthesizedDataset } from './harness';

/**
 * The New run form's forecast prices a fit at its iteration budget; once runs with the same
 * settings (seed, rank and replicates aside) have ended, it also gives the time to expect from the
 * share of their budgets those fits needed (services/run-history.ts).
 */
const start = servicesInTempFolders('nmf-run-history-');

describe('the run forecast after earlier runs', () => {
  it('scales the bound by the share of their budgets such fits needed, this dataset’s first', async () => {
    const services = start();
    const first = await synthesizedDataset(services, 4, 30);
    const second = await synthesizedDataset(services, 5, 30);
    const estimate = (datasetId: number, params: Record<string, unknown>): Promise<RunEstimate> =>
      call<RunEstimate>(services, 'runs:estimate', { datasetId, params });
    const settings = { rank: 3, maxIter: 400, seed: 1 };

    expect((await estimate(first, settings)).expected).toBeUndefined();
    const run = await finishedRun(services, first, settings);
    expect(run.iterations).toBeLessThan(400);

    // Another seed, rank and number of replicates: the same settings as far as stopping goes.
    const asked = { ...settings, seed: 7, rank: 4, replicates: 2 };
    const after = await estimate(first, asked);
    // The bound is (iterations · work per iteration + fixed work) at one rate; the expectation
    // scales the iterations only, since every fit still has its start and loss passes.
    const shape = await call<DatasetSummary>(services, 'datasets:get', { id: first });
    const cost = costSettingsOf(completeRunParams(asked));
    const iterationWork = 2 * 400 * fitWorkPerIteration(shape, 4, cost);
    const fixedWork = 2 * fitFixedWork(shape, 4, cost);
    const secondsPerWork = after.seconds / (iterationWork + fixedWork);
    expect(after.expected!.seconds).toBeCloseTo(
      ((iterationWork * run.iterations!) / 400 + fixedWork) * secondsPerWork,
      9,
    );
    expect(after.expected!.basis).toBe(
      `from the iterations 1 earlier run of this dataset with these settings needed: ${Math.round((100 * run.iterations!) / 400)} % of their budgets`,
    );
    expect((await estimate(second, settings)).expected!.basis).toContain('1 earlier run of other datasets');
    // Another budget or tolerance: nothing to go by.
    expect((await estimate(first, { ...settings, maxIter: 500 })).expected).toBeUndefined();
    expect((await estimate(first, { ...settings, tol: 1e-6 })).expected).toBeUndefined();
  });
});
