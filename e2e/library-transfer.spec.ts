import { join } from 'node:path';
import { test, expect, type FileChooser } from '@playwright/test';
import { axe, collectPageErrors, go, shot, synthesize } from './flows';
import { serverForThisFile } from './server';

/**
 * Handing a library to a colleague, in browser mode against two real servers with libraries of their
 * own: the first exports its library (a download), the second refuses a file that is not a library
 * and then merges the downloaded one, whose datasets appear; merging it again adds no duplicates.
 */

const mine = serverForThisFile({ threads: 1 });
const theirs = serverForThisFile({ threads: 1 });

test('export a library and merge it into another one', async ({ browser }) => {
  const pageErrors: string[] = [];

  // My library: an imported matrix and planted modules.
  const myContext = await browser.newContext();
  const page = await myContext.newPage();
  collectPageErrors(page, pageErrors);
  await page.goto(mine().url);
  await expect(page.getByRole('heading', { level: 1, name: 'Library' })).toBeVisible();
  await go(page, '#/import');
  const tsv = ['gene\ts1\ts2\ts3', 'g1\t1\t0\t4', 'g2\t2\t5\t0', 'g3\t0\t1\t2'].join('\n') + '\n';
  await page
    .getByTestId('import-file')
    .setInputFiles({ name: 'small.tsv', mimeType: 'text/tab-separated-values', buffer: Buffer.from(tsv) });
  await expect(page.getByRole('heading', { name: 'Preview' })).toBeVisible();
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'small' })).toBeVisible();
  await synthesize(page, { features: 40, samples: 20, rank: 3, seed: 4, name: 'planted-3' });

  // Export, from the keyboard: the file arrives as a download named by date.
  await go(page, '#/library');
  await expect(page.getByTestId('library-stats')).toContainText('2 datasets');
  const exportButton = page.getByRole('button', { name: 'Export library' });
  await exportButton.focus();
  const downloading = page.waitForEvent('download');
  await page.keyboard.press('Enter');
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^nmf-studio-library-\d{4}-\d{2}-\d{2}\.sqlite$/);
  const saved = join(mine().dir, 'handed-over', download.suggestedFilename());
  await download.saveAs(saved);
  await expect(page.getByTestId('library-transfer-status')).toContainText(
    `Exported ${download.suggestedFilename()}`,
  );
  await expect(exportButton).toBeEnabled();
  await shot(page, 'library-exported');
  await axe(page, 'library (exported)');
  await myContext.close();

  // Their library, empty.
  const theirContext = await browser.newContext();
  const other = await theirContext.newPage();
  collectPageErrors(other, pageErrors);
  await other.goto(theirs().url);
  await expect(other.getByRole('heading', { level: 1, name: 'Library' })).toBeVisible();
  await expect(other.getByTestId('library-stats')).toContainText('0 datasets');
  const merge = other.getByLabel('Merge a library…');
  await expect(merge).toHaveAttribute('accept', /\.sqlite/);

  // A file that is not a library is refused, by name, and nothing is added.
  await merge.setInputFiles({
    name: 'notes.sqlite',
    mimeType: 'application/octet-stream',
    buffer: Buffer.from('gene\tsample\n'.repeat(200)),
  });
  const alert = other.getByRole('alert');
  await expect(alert).toContainText('notes.sqlite is not an NMF Studio library');
  await expect(alert).toContainText('unchanged');
  await expect(other.getByTestId('library-stats')).toContainText('0 datasets');
  await axe(other, 'library (merge refused)');

  // The exported file, chosen from the keyboard: its datasets appear. The screen may still be
  // re-rendering after the refusal (library events), which can take the key press before the
  // chooser opens: focus and press again, a few times, until the chooser opens.
  let chooser: FileChooser | null = null;
  for (let attempt = 0; attempt < 3 && chooser === null; attempt++) {
    await merge.focus();
    await expect(merge).toBeFocused();
    const choosing = other.waitForEvent('filechooser', { timeout: 5_000 }).catch(() => null);
    await other.keyboard.press('Space');
    chooser = await choosing;
  }
  expect(chooser, 'the merge file chooser opened from the keyboard').not.toBeNull();
  await (chooser as FileChooser).setFiles(saved);
  const summary = other.getByTestId('merge-summary');
  await expect(summary).toContainText(`Merged ${download.suggestedFilename()}: 2 datasets added`);
  await expect(alert).toHaveCount(0);
  await expect(other.getByTestId('library-stats')).toContainText('2 datasets');
  await expect(other.getByRole('link', { name: 'small', exact: true })).toBeVisible();
  await expect(other.getByRole('link', { name: 'planted-3', exact: true })).toBeVisible();
  await shot(other, 'library-merged');
  await axe(other, 'library (merged)');

  // Merging the same file again: both datasets are matched by content, none is added twice.
  await merge.setInputFiles(saved);
  await expect(summary).toContainText('0 datasets added (2 datasets already here');
  await expect(other.getByTestId('library-stats')).toContainText('2 datasets');

  // The merged dataset opens and reads back.
  await other.getByRole('link', { name: 'planted-3', exact: true }).click();
  await expect(other.getByRole('heading', { level: 1, name: 'planted-3' })).toBeVisible();
  await expect(other.getByText(/40 × 20|40 features/).first()).toBeVisible();

  expect(pageErrors).toEqual([]);
  await theirContext.close();
});
