import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { libraryWithOneRun } from './fixtures';
import { open, shot } from './flows';
import { serverForThisFile } from './server';

/**
 * A run over 100 000 samples in browser mode: `runs:get` sends W and the summaries of H (made in
 * the main process) instead of H; the H map, the activation chart and the coefficient map are
 * drawn from them with their counts, the sample order switches, and the W and H tables are made
 * in the main process and arrive with every number of H as the CLI's H.tsv has it.
 */

let dir: string;
const server = serverForThisFile(() => {
  dir = libraryWithOneRun(
    'nmf-e2e-summary-',
    { features: 10, samples: 100000, rank: 3, seed: 6 },
    { maxIter: 5, seed: 1 },
  );
  return { dir, threads: 1 };
});

/** The numbers of a table's rows (after the header), row after row. */
function tableNumbers(text: string, delimiter: string): number[] {
  return text
    .trim()
    .split('\n')
    .slice(1)
    .flatMap((line) => line.split(delimiter).slice(1).map(Number));
}

test('a run over 100 000 samples is drawn from summaries and exports H whole', async ({ page }) => {
  test.setTimeout(240_000);
  const gets: number[] = [];
  page.on('response', async (response) => {
    if (response.url().endsWith('/api/runs:get')) gets.push((await response.body()).byteLength);
  });
  await page.goto(server().url);
  await open(page, '#/runs/1', /Run #1/);
  await expect(page.getByTestId('h-summary-note')).toContainText(
    '100000 samples in 1200 columns, each the largest entry of 83–84 samples;',
  );
  await expect(
    page.getByText('Activations H over samples: 100000 samples in 1000 bins', { exact: false }),
  ).toBeVisible();
  await expect(page.locator('.figure-svg svg').first()).toContainText(
    /100000 samples in 240 columns, each the mean of 416–417/,
  );
  await expect(page.getByTestId('dominant-counts')).toContainText(/C1 \d+ · C2 \d+ · C3 \d+/);
  // The whole record, H left out: well under H's 2.4 MB of doubles.
  expect(gets.length).toBeGreaterThan(0);
  for (const bytes of gets) expect(bytes).toBeLessThan(1_000_000);
  await shot(page, 'run-summary-fitted');

  await page.locator('#h-order').selectOption('clustered');
  await expect(page.getByText('Too many items for hierarchical clustering here')).toBeVisible();
  await expect(page.getByTestId('h-summary-note')).toContainText('(in the dominant-component order)');
  await shot(page, 'run-summary-dominant');

  const [h] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'H as TSV' }).click(),
  ]);
  expect(h.suggestedFilename()).toBe('run-1-H.tsv');
  const hText = readFileSync(await h.path(), 'utf8');
  expect(hText.split('\n')[0].startsWith('component\t')).toBe(true);
  expect(hText.split('\n')[0].split('\t')).toHaveLength(100_001);
  const fromCli = tableNumbers(readFileSync(join(dir, 'fit', 'H.tsv'), 'utf8'), '\t');
  const fromScreen = tableNumbers(hText, '\t');
  expect(fromScreen).toHaveLength(3 * 100_000);
  let differing = 0;
  for (let i = 0; i < fromCli.length; i++) if (fromCli[i] !== fromScreen[i]) differing++;
  expect(differing).toBe(0);

  const [w] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'W as CSV' }).click(),
  ]);
  expect(w.suggestedFilename()).toBe('run-1-W.csv');
  const wText = readFileSync(await w.path(), 'utf8');
  expect(wText.split('\n')[0]).toBe('feature,C1,C2,C3');
  expect(tableNumbers(wText, ',')).toEqual(
    tableNumbers(readFileSync(join(dir, 'fit', 'W.tsv'), 'utf8'), '\t'),
  );
  await expect(page.getByRole('button', { name: 'H as TSV' })).toBeEnabled();
});
