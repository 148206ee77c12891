import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { test, expect } from '@playwright/test';
import { runCli, synthesizeWithCli } from './fixtures';
import { collectPageErrors, open, shot } from './flows';
import { serverForThisFile } from './server';

/**
 * The Sweep screen's warnings that point at two runs (`marginal_gain`, `fold_outlier`,
 * `extreme_entries`): each is shown under its heading with its message, and the screen links the
 * two saved runs to compare. The warnings themselves come from `recommendRank`, tested on the
 * stored sweeps' numbers in `recommend-*.test.ts`; data that make them take minutes to fit, so
 * here a real folded sweep of small planted data is run through the CLI and its stored
 * recommendation is then given the warning to show (the ranks, runs and errors stay the sweep's).
 * The warning's remedy is one click away: "Sweep again, a tenth per fold" opens the New sweep form
 * filled with the sweep's settings and that change, and the sweep it starts holds out 10 % per fold.
 */

/** The rank the stored recommendation chooses (the one of lowest held-out error). */
let chosen = 0;

const server = serverForThisFile(() => {
  const dir = mkdtempSync(join(tmpdir(), 'nmf-e2e-sweep-warnings-'));
  const db = join(dir, 'library.sqlite');
  synthesizeWithCli({ features: 30, samples: 40, rank: 3, seed: 2 }, join(dir, 'syn'));
  runCli(
    'sweep',
    join(dir, 'syn', 'V.tsv'),
    '--ranks',
    '2..4',
    '--replicates',
    '1',
    '--cv-folds',
    '3',
    '--consensus-replicates',
    '0',
    '--no-baseline',
    '--max-iter',
    '60',
    '--db',
    db,
    '--out',
    join(dir, 'sweep'),
  );
  const library = new Database(db);
  const row = library.prepare('SELECT result FROM sweeps WHERE id = 1').get() as { result: string };
  const result = JSON.parse(row.result) as {
    ranks: Array<{ rank: number; cvError: number | null }>;
    recommendation: { rank: number | null; warnings: Array<{ code: string; message: string }> };
  };
  // The chosen rank is the one of lowest held-out error, so the pair is the rank below and it.
  const lowest = result.ranks.reduce((a, b) => ((b.cvError ?? Infinity) < (a.cvError ?? Infinity) ? b : a));
  result.recommendation.rank = lowest.rank;
  result.recommendation.warnings = [
    {
      code: 'extreme_entries',
      message: `k = ${lowest.rank} predicts the held-out entries better than k = ${lowest.rank - 1} only in their most extreme ones.`,
    },
  ];
  library
    .prepare('UPDATE sweeps SET result = ?, recommended = ? WHERE id = 1')
    .run(JSON.stringify(result), lowest.rank);
  library.close();
  chosen = lowest.rank;
  return { dir, threads: 1 };
});

test('a warning that points at two runs is shown with its heading and links them on the Compare screen', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const errors = collectPageErrors(page);
  await page.goto(server().url);
  await open(page, '#/sweeps/1', /sweep #1/);
  const warning = page.getByTestId('sweep-warnings').locator('li[data-code="extreme_entries"]');
  await expect(warning).toContainText('Decided by extreme entries:');
  await expect(warning).toContainText('only in their most extreme ones');
  const link = page.getByTestId('compare-marginal');
  await expect(link).toHaveText(`Compare k = ${chosen - 1} with k = ${chosen}`);
  await expect(link).toHaveAttribute('href', /^#\/compare\?runs=\d+,\d+$/);
  await shot(page, 'sweep-warning-extreme-entries');
  await link.click();
  await expect(page).toHaveURL(/#\/compare\?runs=\d+,\d+$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(/Compare/);
  await expect(page.locator('body')).toContainText(`k = ${chosen - 1}`);
  await expect(page.locator('body')).toContainText(`k = ${chosen}`);
  expect(errors).toEqual([]);
});

test('Sweep again, a tenth per fold: the form holds the sweep’s settings with the change, and the new sweep runs with it', async ({
  page,
}) => {
  test.setTimeout(240_000);
  const errors = collectPageErrors(page);
  await page.goto(server().url);
  await open(page, '#/sweeps/1', /sweep #1/);
  const offers = page.getByTestId('sweep-again');
  await expect(offers).toHaveText(['Sweep again…', 'Sweep again, a tenth per fold']);
  await offers.nth(1).click();
  await expect(page).toHaveURL(/#\/new-sweep\?dataset=1&from=1&holdout=tenth$/);
  await expect(page.getByTestId('form-preset')).toContainText(
    'The settings of sweep 1, with folds that each hold out a tenth of the entries.',
  );
  await expect(page.locator('#sweep-from')).toHaveValue('2');
  await expect(page.locator('#sweep-to')).toHaveValue('4');
  await expect(page.locator('#sweep-replicates')).toHaveValue('1');
  await expect(page.locator('#sweep-folds')).toHaveValue('3');
  await expect(page.locator('#sweep-holdout-tenth')).toBeChecked();
  await expect(page.locator('#sweep-baseline')).not.toBeChecked();
  await shot(page, 'sweep-again-tenth');
  await page.getByRole('button', { name: 'Start sweep' }).click();
  await expect(page).toHaveURL(/#\/sweeps\/2$/);
  await expect(page.locator('body')).toContainText('Each of the 3 folds holds out 10 % of the entries', {
    timeout: 180_000,
  });
  expect(errors).toEqual([]);
});
