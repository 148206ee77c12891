import { expect, test } from '@playwright/test';
import { gzipSync } from 'node:zlib';
import { axe, open, shot } from './flows';
import { serverForThisFile } from './server';

/**
 * Browser mode: a table with several bad cells (and a ragged row) is refused with every problem
 * listed — line, spreadsheet column, the sample's name from the header and the value — and nothing
 * is added to the library.
 */
const server = serverForThisFile();

test('an import refusal lists every bad cell with its line, column and sample', async ({ page }) => {
  await page.goto(server().url);
  await open(page, '#/import', /Import a matrix/);
  const table = [
    'gene\tS1\tS2\tS3',
    'g1\t1\t2\t3',
    'g2\t4\tabc\t6',
    'g3\t-1\t0\t1',
    'g4\t1\t2',
    'g5\t1\t2\t3',
  ];
  await page.getByTestId('import-file').setInputFiles({
    name: 'several.tsv.gz',
    mimeType: 'application/gzip',
    buffer: gzipSync(table.join('\n')),
  });
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  const refusal = page.getByRole('alert');
  await expect(refusal).toContainText('several.tsv.gz: 3 problems (nothing was imported)');
  await expect(refusal).toContainText('All 3 problems');
  const items = refusal.locator('.error-problems li');
  await expect(items).toHaveText([
    'line 3, column 3 (sample "S2"): "abc" is not a number',
    'line 4, column 2 (sample "S1"): "-1" is negative (NMF needs non-negative data)',
    'line 5 has 3 fields, expected 4 (like line 1): column 4 is missing',
  ]);
  await expect(refusal).toContainText('nothing was added');
  await shot(page, 'import-problems-listed');
  await axe(page, 'import refused with its problems');
  await open(page, '#/library', /Library/);
  await expect(page.getByText(/No datasets yet/)).toBeVisible();
});
