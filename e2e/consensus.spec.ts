import { expect, test } from '@playwright/test';
import { splitPlantedLibrary } from './fixtures';
import { open, shot } from './flows';
import { serverForThisFile } from './server';

/**
 * Projection of new samples onto a saved run (from the Run and the Dataset screens), and a cNMF
 * consensus started from the app, looked at (rank plot, density histogram with its threshold moved,
 * clustergram) and its consensus run opened. The library is prepared with the command line: planted
 * data split by samples, a run fitted on one half, the other half imported as new samples.
 */
const server = serverForThisFile(() => ({ dir: splitPlantedLibrary('nmf-e2e-consensus-').dir }));

test('projects new samples onto a saved run from the Run screen and from the Dataset screen', async ({
  page,
}) => {
  await page.goto(server().url);
  await open(page, '#/runs/1', /k = 4/);
  const panel = page.getByTestId('project-panel');
  await panel.getByLabel('Dataset of new samples').selectOption({ label: 'new-samples (120 × 30)' });
  await panel.getByRole('button', { name: 'Project', exact: true }).click();
  const result = panel.getByTestId('projection-result');
  await expect(result).toContainText('120 features matched');
  await expect(result).toContainText("0 of the run's features missing");
  await expect(result.locator('canvas')).toBeVisible();
  await expect(panel.getByTestId('projection-list')).toContainText('new-samples');
  await result.scrollIntoViewIfNeeded();
  await shot(page, 'consensus-project-from-run');

  await open(page, '#/datasets/2', /new-samples/);
  const fromDataset = page.getByTestId('project-panel');
  await expect(fromDataset.getByTestId('projection-list')).toContainText('Run #1');
  await fromDataset.getByLabel('Run').selectOption({ index: 0 });
  await fromDataset.getByRole('button', { name: 'Project', exact: true }).click();
  await expect(fromDataset.getByTestId('projection-result')).toContainText('120 features matched');
  await expect(fromDataset.getByTestId('projection-list').locator('tbody tr')).toHaveCount(2);
  await fromDataset.scrollIntoViewIfNeeded();
  await shot(page, 'consensus-project-from-dataset');

  await open(page, '#/library', /Library/);
  await expect(page.getByTestId('library-projections').locator('tbody tr')).toHaveCount(2);
});

test('runs a consensus from the app, moves the density threshold and opens the consensus run', async ({
  page,
}) => {
  await page.goto(server().url);
  await open(page, '#/new-consensus?dataset=1', /New consensus/);
  await page.getByLabel('From rank').fill('3');
  await page.getByLabel('To rank').fill('5');
  await page.getByLabel('Replicates per k').fill('8');
  await page.getByLabel('Max iterations').fill('200');
  await page.getByRole('button', { name: 'Start consensus' }).click();
  await page.waitForURL(/#\/consensus\/\d+/);
  await expect(page.getByTestId('consensus-table').locator('tbody tr')).toHaveCount(3, { timeout: 120_000 });
  await expect(page.locator('.state').first()).toHaveText('done');
  const rank = page.getByTestId('consensus-rank');
  await expect(rank).toContainText('replicate components kept');
  await page.getByRole('button', { name: 'k = 4', exact: true }).click();
  await expect(rank.getByRole('heading')).toHaveText('k = 4');
  await expect(page.getByText('Clustergram of the replicate components')).toBeVisible();
  await expect(page.locator('canvas').last()).toBeVisible();
  await shot(page, 'consensus-screen');

  // Keep every component: threshold 2.
  await page.getByLabel('Threshold').fill('2');
  await expect(page.getByText('0 of 32 components at or above it would be dropped')).toBeVisible();
  await page.getByRole('button', { name: 'Rebuild k = 4 at this threshold' }).click();
  await expect(rank).toContainText('32 of 32 replicate components kept, 0 dropped');

  await rank.getByRole('button', { name: /Open the consensus run/ }).click();
  await page.waitForURL(/#\/runs\/\d+/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('k = 4');
  await page.getByText('Provenance', { exact: true }).click();
  await expect(page.getByTestId('consensus-provenance')).toContainText('Consensus of 8 replicate fits');
  await shot(page, 'consensus-run');

  await open(page, '#/library', /Library/);
  await expect(page.getByTestId('library-consensus')).toContainText('done');
});
