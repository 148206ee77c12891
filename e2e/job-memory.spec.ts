import { test, expect } from '@playwright/test';
import { collectPageErrors, fillSynthesize, generate, go, shot } from './flows';
import { serverForThisFile } from './server';

/**
 * The New sweep and New consensus forms show the job's memory plan (job-memory-plan.ts) under the
 * budget in force (here NMF_STUDIO_MEMORY_BUDGET = 64M): the mode and why, with V's size.
 */

const saved = process.env.NMF_STUDIO_MEMORY_BUDGET;

const server = serverForThisFile(() => {
  // The server inherits this process's environment.
  process.env.NMF_STUDIO_MEMORY_BUDGET = '64M';
  return { threads: 1 };
});

test.afterAll(() => {
  if (saved === undefined) delete process.env.NMF_STUDIO_MEMORY_BUDGET;
  else process.env.NMF_STUDIO_MEMORY_BUDGET = saved;
});

test('the sweep and consensus forms show the memory plan and why', async ({ page }) => {
  test.setTimeout(120_000);
  const pageErrors = collectPageErrors(page);
  await page.goto(`${server().url}#/synthesize`);
  await fillSynthesize(page, { features: 40, samples: 30, rank: 3, name: 'planned' });
  const datasetId = await generate(page, 'planned');

  await go(page, `#/new-sweep?dataset=${datasetId}`);
  await expect(
    page.getByText(
      /Memory \(in-memory\): V takes 9\.38 KiB in memory \(once, shared by the fits\), the sweep .* besides and its largest fit .*: 1 fit\(s\) at once hold .* at most, within the memory budget of 64\.0 MiB\./,
    ),
  ).toBeVisible();
  await shot(page, 'job-memory-01-sweep');

  await go(page, `#/new-consensus?dataset=${datasetId}`);
  await expect(page.getByText(/This consensus: estimated/)).toBeVisible();
  await expect(
    page.getByText(/Memory \(in-memory\): V takes 9\.38 KiB .* within the memory budget of 64\.0 MiB\./),
  ).toBeVisible();
  await shot(page, 'job-memory-02-consensus');
  expect(pageErrors).toEqual([]);
});

test('the sweep form shows what each group of fits costs, and the consensus choice changes the plan', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const pageErrors = collectPageErrors(page);
  await page.goto(`${server().url}#/synthesize`);
  await fillSynthesize(page, { features: 40, samples: 32, rank: 3, name: 'parts' });
  const datasetId = await generate(page, 'parts');

  await go(page, `#/new-sweep?dataset=${datasetId}`);
  const parts = page.getByTestId('estimate-parts');
  const consensus = parts.locator('[data-part="consensus"]');
  await page.getByLabel('Consensus fits').selectOption('independent');
  await expect(consensus).toContainText(/consensus fits \(cophenetic, stability\): up to .*, 140 fits/);
  await expect(parts.locator('[data-part="replicates"]')).toContainText(/, 35 fits$/);
  await expect(parts.locator('[data-part="folds"]')).toContainText(/, 21 fits$/);
  await expect(parts.locator('[data-part="baseline"]')).toContainText(/shuffled baseline: up to .*, 91 fits/);
  await expect(
    page.getByText(/per rank: 5 replicate\(s\), 3 fold\(s\), 20 consensus fit\(s\) on the data/),
  ).toBeVisible();
  await shot(page, 'job-memory-03-sweep-parts');

  await page.getByLabel('Consensus fits').selectOption('replicates');
  await expect(consensus).toHaveCount(0);
  await expect(page.getByText(/consensus from the replicates, as asked\)/)).toBeVisible();
  await expect(
    page.getByText(/come from the warm-started replicates, which agree more readily/),
  ).toBeVisible();
  await page.locator('#sweep-baseline').uncheck();
  await page.getByLabel('CV folds').fill('0');
  // Only the replicates are left: no list of parts, and nothing yet to expect from.
  await expect(parts).toHaveCount(0);
  await expect(page.getByText(/This sweep: estimated \d/)).toBeVisible();
  await expect(page.getByTestId('estimate-expected')).toHaveCount(0);

  // Once a sweep with these fit settings has ended, the form also says what to expect.
  await page.getByLabel('To rank').fill('3');
  await page.getByRole('button', { name: 'Start sweep' }).click();
  await expect(page.getByTestId('recommendation')).toBeVisible({ timeout: 120_000 });
  await go(page, `#/new-sweep?dataset=${datasetId}`);
  await page.getByLabel('Consensus fits').selectOption('replicates');
  await page.locator('#sweep-baseline').uncheck();
  await page.getByLabel('CV folds').fill('0');
  await expect(page.getByText(/This sweep: estimated about .* \(at most .*\)/)).toBeVisible();
  await expect(page.getByTestId('estimate-expected')).toHaveText(
    /^Expected from the iterations the fits of 1 earlier sweep of this dataset with these fit settings needed, as shares of their budgets: data replicate \d+ %\.$/,
  );
  await shot(page, 'job-memory-04-sweep-expected');
  expect(pageErrors).toEqual([]);
});
