import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { axe, collectPageErrors, go, shot, synthesize } from './flows';
import { serverForThisFile } from './server';

/**
 * The Settings screen in browser mode: the memory budget in force (the default: half the machine's
 * memory), a size refused with the reason, one saved to this machine's settings.json (in the app's
 * data folder, here a temporary XDG_CONFIG_HOME, never the tester's own), back to the default, and
 * the budget in the New run estimate.
 */

const config = mkdtempSync(join(tmpdir(), 'nmf-e2e-config-'));

const server = serverForThisFile(() => {
  // The server inherits this process's environment: its app-data folder is `config/NMF Studio`.
  process.env.XDG_CONFIG_HOME = config;
  delete process.env.NMF_STUDIO_MEMORY_BUDGET;
  return { threads: 1 };
});

test.afterAll(() => rmSync(config, { recursive: true, force: true }));

test('the memory budget: shown, refused when not a size, saved, reset, used by the estimate', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const pageErrors = collectPageErrors(page);
  await page.goto(server().url);
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
  const inForce = page.getByTestId('memory-budget');
  await expect(inForce).toContainText('the default: half of this computer’s memory');
  await shot(page, 'settings-01-default');
  await axe(page, 'settings');

  const field = page.getByLabel('Budget');
  await field.fill('12Q');
  await expect(page.getByText('“12Q” is not a size')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Save' })).toBeDisabled();
  await field.fill('10M');
  await expect(page.getByText('below the smallest budget, 64 MiB')).toBeVisible();
  await shot(page, 'settings-02-refused');

  await field.fill('3G');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(inForce).toHaveText('3.0 GiB (saved here)');
  const saved = JSON.parse(readFileSync(join(config, 'NMF Studio', 'settings.json'), 'utf8'));
  expect(saved.memoryBudgetBytes).toBe(3 * 2 ** 30);
  await shot(page, 'settings-03-saved');

  // The New run estimate says how V is held under the budget, and why.
  const datasetId = await synthesize(page, { features: 40, samples: 30, rank: 3, name: 'budgeted' });
  await go(page, `#/new-run?dataset=${datasetId}`);
  await expect(
    page.getByText(/Memory \(in-memory\): V takes .* within the memory budget of 3\.00 GiB/),
  ).toBeVisible();
  await shot(page, 'settings-04-estimate');

  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(inForce).toHaveText('3.0 GiB (saved here)');
  await page.getByRole('button', { name: 'Use the default' }).click();
  await expect(inForce).toContainText('the default');
  await expect(page.getByRole('button', { name: 'Use the default' })).toBeDisabled();
  expect(pageErrors).toEqual([]);
});
