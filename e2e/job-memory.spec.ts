import { mkdirSync } from 'node:fs';
import { test, expect } from '@playwright/test';
import { shot } from './flows';
import { startServer, type RunningServer } from './server';

/**
 * The New sweep and New consensus forms show the job's memory plan (job-memory-plan.ts) under the
 * budget in force (here NMF_STUDIO_MEMORY_BUDGET = 64M): the mode and why, with V's size.
 */

mkdirSync('e2e-artifacts', { recursive: true });
let server: RunningServer;
const saved = process.env.NMF_STUDIO_MEMORY_BUDGET;

test.beforeAll(async () => {
  // The server inherits this process's environment.
  process.env.NMF_STUDIO_MEMORY_BUDGET = '64M';
  server = await startServer({ threads: 1 });
});

test.afterAll(async () => {
  await server?.stop();
  server?.cleanup();
  if (saved === undefined) delete process.env.NMF_STUDIO_MEMORY_BUDGET;
  else process.env.NMF_STUDIO_MEMORY_BUDGET = saved;
});

test('the sweep and consensus forms show the memory plan and why', async ({ page }) => {
  test.setTimeout(120_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${server.url}#/synthesize`);
  await page.getByLabel('Features').fill('40');
  await page.getByLabel('Samples').fill('30');
  await page.getByLabel('Modules (rank)').fill('3');
  await page.getByLabel('Name').fill('planned');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'planned' })).toBeVisible();
  const datasetId = Number(/datasets\/(\d+)/.exec(page.url())?.[1]);

  await page.evaluate((id) => (window.location.hash = `#/new-sweep?dataset=${id}`), datasetId);
  await expect(
    page.getByText(
      /Memory \(in-memory\): V takes 9\.38 KiB in memory \(once, shared by the fits\), the sweep .* besides and its largest fit .*: 1 fit\(s\) at once hold .* at most, within the memory budget of 64\.0 MiB\./,
    ),
  ).toBeVisible();
  await shot(page, 'job-memory-01-sweep');

  await page.evaluate((id) => (window.location.hash = `#/new-consensus?dataset=${id}`), datasetId);
  await expect(page.getByText(/This consensus: estimated/)).toBeVisible();
  await expect(
    page.getByText(/Memory \(in-memory\): V takes 9\.38 KiB .* within the memory budget of 64\.0 MiB\./),
  ).toBeVisible();
  await shot(page, 'job-memory-02-consensus');
  expect(pageErrors).toEqual([]);
});
