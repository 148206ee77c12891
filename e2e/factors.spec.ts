import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { runCli } from './fixtures';
import { open, shot } from './flows';
import { serverForThisFile } from './server';

/** Factors from another tool (here: W.tsv and H.tsv written by the command line) become a run. */
const server = serverForThisFile();
let factors: string;
test.beforeAll(() => {
  factors = join(server().dir, 'factors');
  runCli('fit', join('e2e', 'fixtures', 'modules_small.tsv'), '--rank', '4', '--no-save', '--out', factors);
  writeFileSync(join(server().dir, 'broken.tsv'), 'component\tc01\nc1\t-1\n');
});

test('imports W and H from another tool as a run of the dataset, and refuses a broken file', async ({
  page,
}) => {
  await page.goto(server().url);
  await open(page, '#/import', /Import a matrix/);
  await page.getByTestId('import-file').setInputFiles(join('e2e', 'fixtures', 'modules_small.tsv'));
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.waitForURL(/#\/datasets\/\d+/);

  await page.getByLabel('W or spectra').setInputFiles(join(factors, 'W.tsv'));
  await page.getByLabel('H or usages').setInputFiles(join(server().dir, 'broken.tsv'));
  await page.getByLabel('Made with').fill('scikit-learn 1.2');
  await page.getByRole('button', { name: 'Import factors' }).click();
  await expect(page.getByRole('alert')).toContainText('nothing was added');
  await shot(page, 'factors-refused');

  await page.getByLabel('H or usages').setInputFiles(join(factors, 'H.tsv'));
  await page.getByRole('button', { name: 'Import factors' }).click();
  await page.waitForURL(/#\/runs\/\d+/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('k = 4');
  await expect(page.locator('.state').first()).toHaveText('done');
  await shot(page, 'factors-run');
});
