import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { libraryWithOneRun, runCli, synthesizeWithCli } from './fixtures';
import { open, shot } from './flows';
import { serverForThisFile } from './server';

/**
 * 100 000 new samples projected onto a run, in browser mode: `projections:get` sends the map of
 * the projected H (made in the main process) instead of H and the sample names; the panel draws
 * it with its note, and "H as TSV" arrives from the main process with the bytes of the CLI's
 * `project --out` H.tsv.
 */

let dir: string;
const server = serverForThisFile(() => {
  dir = libraryWithOneRun(
    'nmf-e2e-projection-summary-',
    { features: 10, samples: 300, rank: 3, seed: 6 },
    { maxIter: 5, seed: 1 },
  );
  synthesizeWithCli({ features: 10, samples: 100000, rank: 3, seed: 7 }, join(dir, 'many'));
  const library = join(dir, 'library.sqlite');
  runCli('project', '1', join(dir, 'many', 'V.tsv'), '--db', library, '--out', join(dir, 'projected'));
  return { dir, threads: 1 };
});

test('a projection of 100 000 samples is drawn from its summary and exports H whole', async ({ page }) => {
  test.setTimeout(240_000);
  const gets: number[] = [];
  page.on('response', async (response) => {
    if (response.url().endsWith('/api/projections:get')) gets.push((await response.body()).byteLength);
  });
  await page.goto(server().url);
  await open(page, '#/runs/1', /Run #1/);
  const panel = page.getByTestId('project-panel');
  await panel.getByTestId('projection-list').getByRole('button', { name: '#1' }).click();
  const result = panel.getByTestId('projection-result');
  await expect(result.getByTestId('projection-summary-note')).toContainText(
    '100000 samples in 1200 columns, each the largest entry of 83–84 samples;',
  );
  await expect(
    result.getByText("H of the 100000 new samples on run #1's components (summarised)"),
  ).toBeVisible();
  await expect(result.locator('canvas').first()).toBeVisible();
  // The record without H (3 × 10⁵ doubles, 2.4 MB) nor 10⁵ sample names.
  expect(gets).toHaveLength(1);
  expect(gets[0]).toBeLessThan(200_000);
  await shot(page, 'projection-summary');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    result.getByRole('button', { name: 'H as TSV' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('projection-1-H.tsv');
  const text = readFileSync(await download.path());
  expect(text.equals(readFileSync(join(dir, 'projected', 'H.tsv')))).toBe(true);
  await expect(result.getByRole('button', { name: 'H as TSV' })).toBeEnabled();
});
