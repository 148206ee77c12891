import { expect, test } from '@playwright/test';
import { join } from 'node:path';
import { axe, go, shot } from './flows';
import { serverForThisFile } from './server';

/**
 * Browser mode, on Golub: the New sweep form says which loss the values suggest and why (values
 * spanning orders of magnitude: KL, with the measured evidence); the Sweep screen fills in each
 * rank's criteria as that rank's fits finish, before the recommendation, which comes at the end.
 */
const server = serverForThisFile({ threads: 2 });

const golub = join(process.cwd(), 'e2e', 'fixtures', 'golub', 'golub.tsv.gz');

test('the loss suggestion gives its reasons, and sweep criteria fill in rank by rank', async ({ page }) => {
  test.setTimeout(400_000);
  await page.goto(server().url);
  await go(page, '#/import');
  await page.getByTestId('import-file').setInputFiles(golub);
  await expect(page.getByRole('heading', { name: 'Preview' })).toBeVisible();
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.waitForURL(/#\/datasets\/\d+/);
  const datasetId = Number(/datasets\/(\d+)/.exec(page.url())![1]);

  await go(page, `#/new-sweep?dataset=${datasetId}`);
  const hint = page.getByTestId('loss-suggestion');
  await expect(hint).toContainText('Positive values spanning 3.5 orders of magnitude (20–61225)');
  await expect(hint).toContainText('KL suggested');
  await expect(hint).toContainText('ARI 0.92 under KL and 0.76 under Frobenius');
  await shot(page, 'sweep-progress-01-loss-suggestion');
  await axe(page, 'new sweep');

  await page.getByLabel('From rank').fill('2');
  await page.getByLabel('To rank').fill('4');
  await page.getByLabel('Replicates per k').fill('6');
  // Each fold holding out its own tenth: offered only with folds to hold out.
  const tenth = page.getByLabel('A tenth per fold');
  await page.getByLabel('CV folds').fill('0');
  await expect(tenth).toBeDisabled();
  await page.getByLabel('CV folds').fill('2');
  await expect(tenth).toBeEnabled();
  await tenth.check();
  await page.getByLabel('Max iterations').fill('300');
  // Enough work per rank that the screen can be seen between ranks: with 3 replicates of 100
  // iterations the whole sweep can end between two refreshes of a loaded machine's screen.
  await page.locator('#sweep-baseline').uncheck();
  await page.getByRole('button', { name: 'Start sweep' }).click();
  await expect(page.getByRole('heading', { level: 1, name: /Choosing k: sweep #\d+/ })).toBeVisible();

  // While it runs, some ranks' criteria are in and the recommendation is not.
  const soFar = page.getByTestId('criteria-so-far');
  await expect(soFar).toContainText(/[12] of 3 ranks so far \(k = 2/, { timeout: 300_000 });
  await expect(page.getByTestId('recommendation')).toHaveCount(0);
  const rows = page.getByTestId('sweep-table').locator('tbody tr');
  expect(await rows.count()).toBeGreaterThanOrEqual(1);
  expect(await rows.count()).toBeLessThan(3);
  await expect(rows.first().locator('td').first()).toHaveText('2');
  await shot(page, 'sweep-progress-02-partial-criteria');
  await axe(page, 'sweep running');

  // At the end: every rank, the recommendation, the runs.
  await expect(page.getByTestId('recommendation')).toBeVisible({ timeout: 300_000 });
  await expect(page.getByTestId('recommendation')).toContainText(
    'Each of the 2 folds holds out 10 % of the entries',
  );
  await expect(rows).toHaveCount(3);
  await expect(soFar).toHaveCount(0);
  await shot(page, 'sweep-progress-03-done');

  // R NMF's rank-survey measures, each with a number at every rank (no baseline in this sweep).
  const survey = page.getByTestId('sweep-survey-table');
  await expect(survey.locator('tbody tr')).toHaveCount(3);
  await expect(survey.locator('thead th')).toHaveText([
    'k',
    'RSS',
    'Explained variance (evar)',
    'Sparseness of W',
    'Sparseness of H',
    'Silhouette of the samples',
    'Silhouette of the features',
    'Silhouette of the consensus',
  ]);
  for (const row of await survey.locator('tbody tr').all()) {
    const cells = await row.locator('td').allTextContents();
    for (const cell of cells) expect(cell.trim()).toMatch(/^-?\d[\d.,]*(e[-+]\d+)?$/);
  }
  await expect(page.getByTestId('sweep-survey-charts').getByText(/R NMF's evar/)).toBeVisible();
  await survey.scrollIntoViewIfNeeded();
  await shot(page, 'sweep-progress-04-survey');
  await axe(page, 'sweep survey measures');
});
