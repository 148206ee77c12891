import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { runCli, synthesizeCellsWithCli } from './fixtures';
import { collectPageErrors, go, shot } from './flows';
import { serverForThisFile } from './server';

/**
 * A generated .h5ad of tens of MB imported through the window in browser mode: the file goes to
 * the server in 4 MiB pieces with "Sending cells.h5ad: N % (…) of … MiB…", the preview and the
 * import read the same staged upload, and the stored dataset has the shape and content hash the
 * command line's import gives the same file. A Cancel while sending leaves nothing staged.
 */

let dataDir: string;
let h5ad: string;

const server = serverForThisFile(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'nmf-window-import-'));
  // 2000 genes × 20 000 cells: a ~36 MB AnnData file, nine 4 MiB pieces.
  synthesizeCellsWithCli({ cells: 20000, features: 2000, rank: 10, seed: 3 }, dataDir);
  h5ad = join(dataDir, 'cells.h5ad');
  return { threads: 1 };
});

test.afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Every file left in the server's staging folders (uploads and their pieces). */
function stagedFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else out.push(join(dir, entry.name));
    }
  };
  for (const entry of readdirSync(server().dir))
    if (entry.startsWith('nmf-studio-staging')) walk(join(server().dir, entry));
  return out;
}

test('a generated .h5ad imported through the window in pieces, as the command line imports it', async ({
  page,
}) => {
  const pageErrors = collectPageErrors(page);
  await page.goto(server().url);
  await expect(page.getByRole('heading', { level: 1, name: 'Library' })).toBeVisible();
  await go(page, '#/import');
  await expect(page.getByRole('heading', { level: 1, name: 'Import a matrix' })).toBeVisible();
  const bytes = statSync(h5ad).size;
  expect(bytes).toBeGreaterThan(20 << 20);

  // Cancel while sending: each piece is held back a little so that the click lands mid-file.
  await page.route('**/api/uploads:append', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 400));
    await route.continue();
  });
  await page.getByTestId('import-file').setInputFiles(h5ad);
  const sending = page.getByTestId('import-sending');
  await expect(sending).toContainText(/Sending cells\.h5ad: \d+ % \([\d.]+ (B|KiB|MiB)\) of 3\d\.?\d* MiB…/);
  await shot(page, 'window-import-sending');
  await sending.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByText('Sending cells.h5ad was cancelled; nothing of it was kept.')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Preview' })).toHaveCount(0);
  await expect.poll(stagedFiles).toEqual([]);
  await page.unroute('**/api/uploads:append');

  // The whole file: sent in pieces, previewed, imported.
  await page.getByTestId('import-file').setInputFiles([]);
  await page.getByTestId('import-file').setInputFiles(h5ad);
  await expect(page.getByRole('heading', { name: 'Preview' })).toBeVisible({ timeout: 120_000 });
  await expect(page.getByText(/Format h5ad/)).toBeVisible();
  await expect(
    page.getByText(/about (2000 rows × 20000|20000 rows × 2000) columns in the file/),
  ).toBeVisible();
  // The preview shows the matrix as it will be imported, genes × cells (AnnData stores cells ×
  // genes): cell names across the header row, gene names down the first column.
  const previewTable = page.locator('.preview-table table');
  await expect(previewTable.locator('th[scope="col"]').nth(1)).toHaveText(/^cell\d+$/);
  await expect(previewTable.locator('th[scope="row"]').first()).not.toHaveText(/^cell\d+$/);
  await shot(page, 'window-import-preview');
  // The preview kept its upload for the import: one staged file.
  expect(stagedFiles()).toHaveLength(1);
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  // The importer says that it turned AnnData's cells × genes into genes × cells.
  const warnings = page.getByRole('status').filter({ hasText: 'Imported with warnings' });
  await expect(warnings).toContainText(
    'was transposed so that rows are genes (var) and columns cells (obs)',
    {
      timeout: 180_000,
    },
  );
  await shot(page, 'window-import-imported');
  await warnings.getByRole('link', { name: 'Open the dataset' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'cells' })).toBeVisible();
  await shot(page, 'window-import-dataset');
  expect(stagedFiles()).toEqual([]);
  expect(pageErrors).toEqual([]);

  // The stored dataset against the command line's import of the same file.
  await server().stop();
  const listed = JSON.parse(runCli('datasets', 'list', '--db', server().dbPath)) as Array<{
    rows: number;
    cols: number;
    nnz: number;
    hash: string;
  }>;
  expect(listed).toHaveLength(1);
  const reference = JSON.parse(runCli('import', h5ad, '--db', join(dataDir, 'cli.sqlite'))) as {
    rows: number;
    cols: number;
    nnz: number;
    hash: string;
  };
  expect({ rows: listed[0].rows, cols: listed[0].cols, nnz: listed[0].nnz, hash: listed[0].hash }).toEqual({
    rows: 2000,
    cols: 20000,
    nnz: reference.nnz,
    hash: reference.hash,
  });
  expect(reference).toMatchObject({ rows: 2000, cols: 20000 });
});
