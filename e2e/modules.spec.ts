import { test, expect, type Page } from '@playwright/test';
import { collectPageErrors, open, shot } from './flows';
import { serverForThisFile } from './server';

/**
 * Replicates, split/merge and the synthesizer's depth in the app, against the real server: a run
 * with two replicates shows where each started; rank 3 against rank 4 of planted 4-module data
 * shows the split of the component that merged two modules.
 */
const server = serverForThisFile({ threads: 2 });

async function runAndWait(
  page: Page,
  datasetId: string,
  rank: number,
  replicates: number,
  earlierRuns = 0,
): Promise<number> {
  await open(page, `#/new-run?dataset=${datasetId}`, /New run/);
  await page.locator('#run-dataset').selectOption(datasetId);
  await page.locator('#run-rank').fill(String(rank));
  await page.locator('#run-replicates').fill(String(replicates));
  await expect(page.getByText(/Estimated/)).toBeVisible();
  // After a run with these settings (rank and replicates aside), the time to expect as well.
  const expected = page.getByTestId('estimate-expected');
  if (earlierRuns === 0) await expect(expected).toHaveCount(0);
  else {
    await expect(page.getByText(/Estimated about .* \(at most .*\)/)).toBeVisible();
    await expect(expected).toHaveText(
      new RegExp(
        `^Expected from the iterations ${earlierRuns} earlier run of this dataset with these settings needed: \\d+ % of their budgets\\.$`,
      ),
    );
  }
  await page.getByRole('button', { name: 'Start run' }).click();
  await page.waitForURL(/#\/runs\/\d+/);
  const id = Number(/#\/runs\/(\d+)/.exec(page.url())![1]);
  await expect(page.locator('.state').first()).toHaveText('done', { timeout: 120_000 });
  return id;
}

test('replicates from distinct starts, and the split/merge map between ranks', async ({ page }) => {
  test.setTimeout(300_000);
  const pageErrors = collectPageErrors(page);
  await page.goto(server().url);

  await open(page, '#/synthesize', /Synthe/);
  await page.getByLabel('Features').fill('120');
  await expect(page.getByLabel('Depth (total count per sample)')).toHaveAttribute(
    'placeholder',
    'default 120000',
  );
  await expect(page.getByText('Expected total count per sample (column)')).toBeVisible();
  await page.getByLabel('Samples').fill('50');
  await page.getByLabel('Modules (rank)').fill('4');
  await page.getByLabel('Seed').fill('3');
  await page.getByLabel('Name').fill('planted-4');
  await page.getByRole('button', { name: 'Generate' }).click();
  await page.waitForURL(/#\/datasets\/\d+/);
  const datasetId = /#\/datasets\/(\d+)/.exec(page.url())![1];

  const three = await runAndWait(page, datasetId, 3, 2);
  await page.getByText('Provenance', { exact: true }).click();
  const starts = page.getByTestId('replicate-starts');
  await expect(starts).toContainText('nndsvda (seed 0)');
  await expect(starts).toContainText('random (seed 1)');
  await shot(page, 'modules-run-replicates');

  const four = await runAndWait(page, datasetId, 4, 1, 1);
  await open(page, `#/compare?runs=${three},${four}`, /Compare/);
  const map = page.getByTestId('split-merge');
  await expect(map).toBeVisible();
  await expect(map.getByRole('listitem')).toHaveCount(4);
  await expect(map).toContainText('split');
  await expect(page.getByTestId('split-merge-lost')).toContainText('Lost (no child in');
  await shot(page, 'modules-compare-split');
  expect(pageErrors).toEqual([]);
});
