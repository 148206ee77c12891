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
