import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { runCli, splitPlantedLibrary, synthesizeWithCli } from './fixtures';
import { open, shot } from './flows';
import { serverForThisFile } from './server';

/**
 * Projections as jobs (progress, cancel from the panel and from the Jobs screen, nothing stored),
 * a projection compared with its run in Compare, and a sweep's sample-wise cross-validation on the
 * Sweep screen. The library is prepared with the command line: planted data split by samples, a
 * quick run and a slow one (tol 0, many iterations) fitted on one half, the other half and a large
 * set of new samples imported, and a sweep with sample folds.
 */
const server = serverForThisFile(() => {
  const { dir, db } = splitPlantedLibrary('nmf-e2e-projection-jobs-');
  // A run whose projections take long: 50 000 iterations, no early stop.
  runCli(
    'fit',
    join(dir, 'training.tsv'),
    '--rank',
    '4',
    '--max-iter',
    '50000',
    '--tol',
    '0',
    '--warmup',
    '0',
    '--seed',
    '2',
    '--db',
    db,
    '--out',
    join(dir, 'slow'),
  );
  synthesizeWithCli({ features: 120, samples: 3000, rank: 4, seed: 5 }, join(dir, 'large'));
  runCli('import', join(dir, 'large', 'V.tsv'), '--name', 'large', '--db', db);
  runCli(
    'sweep',
    join(dir, 'training.tsv'),
    '--ranks',
    '3..5',
    '--replicates',
    '2',
    '--cv-folds',
    '3',
    '--consensus-replicates',
    '0',
    '--sample-folds',
    '3',
    '--max-iter',
    '300',
    '--db',
    db,
    '--out',
    join(dir, 'sweep'),
  );
  return { dir };
});

test('a projection shows its progress and is cancelled from the panel and from the Jobs screen, storing nothing', async ({
  page,
}) => {
  await page.goto(server().url);
  await open(page, '#/runs/2', /k = 4/);
  const panel = page.getByTestId('project-panel');
  await panel.getByLabel('Dataset of new samples').selectOption({ label: 'large (120 × 3000)' });
  await panel.getByRole('button', { name: 'Project', exact: true }).click();
  const progress = panel.getByTestId('projection-progress');
  await expect(progress).toContainText(/Iteration [1-9]\d* of 50000 · loss .* · at most \d+ s left/, {
    timeout: 30_000,
  });
  await panel.scrollIntoViewIfNeeded();
  await shot(page, 'projection-job-progress');
  await panel.getByRole('button', { name: 'Cancel projection' }).click();
  await expect(page.getByText('Projection cancelled; nothing was stored.')).toBeVisible();
  await expect(panel.getByRole('button', { name: 'Project', exact: true })).toBeEnabled();
  await expect(panel.getByTestId('projection-list')).toHaveCount(0);

  // Again, cancelled from the Jobs screen this time.
  await panel.getByRole('button', { name: 'Project', exact: true }).click();
  await expect(progress).toContainText('Iteration', { timeout: 30_000 });
  await open(page, '#/jobs', /Jobs/);
  const card = page.getByTestId('job-card').filter({ hasText: 'Projection job' });
  await expect(card).toContainText(/Iteration \d+ of 50000/);
  await shot(page, 'projection-job-in-jobs');
  await card.getByRole('button', { name: 'Cancel projection' }).click();
  await expect(page.getByText('Nothing is running.')).toBeVisible();
  await open(page, '#/runs/2', /k = 4/);
  await expect(page.getByTestId('project-panel').getByTestId('projection-list')).toHaveCount(0);
});

test('a projection is compared with its run by component activity', async ({ page }) => {
  await page.goto(server().url);
  await open(page, '#/runs/1', /k = 4/);
  const panel = page.getByTestId('project-panel');
  await panel.getByLabel('Dataset of new samples').selectOption({ label: 'new-samples (120 × 30)' });
  await panel.getByRole('button', { name: 'Project', exact: true }).click();
  await expect(panel.getByTestId('projection-result')).toContainText('120 features matched');

  await open(page, '#/compare', /Compare runs/);
  await page.getByLabel(/^Run #1 \(k = 4/).check();
  const section = page.getByTestId('projection-compare');
  await section.getByLabel(/^Projection #1: new-samples on run #1/).check();
  await section.getByRole('button', { name: 'Compare activities of 2 items' }).click();
  const items = section.getByTestId('activity-items');
  await expect(items.locator('tbody tr')).toHaveCount(2);
  await expect(items).toContainText('120 (0 missing)');
  await expect(section.getByTestId('activity-pair').locator('tbody tr')).toHaveCount(4);
  await expect(section).toContainText('Different samples: usage is compared');
  await section.scrollIntoViewIfNeeded();
  await shot(page, 'projection-compare');
});

test('the Sweep screen shows sample-wise cross-validation, and the sweep form offers it', async ({
  page,
}) => {
  await page.goto(server().url);
  await open(page, '#/sweeps/1', /sweep #1/);
  const table = page.getByTestId('sample-cv');
  await expect(table.locator('tbody tr')).toHaveCount(3);
  await expect(table).toContainText('The paired one-standard-error rule points to k =');
  await expect(page.getByText(/^Sample-wise cross-validation \(held-out samples projected/)).toBeVisible();
  await table.scrollIntoViewIfNeeded();
  await shot(page, 'sweep-sample-cv');
  await open(page, '#/new-sweep?dataset=1', /New rank sweep/);
  await page.getByLabel('Sample-wise CV').check();
  await expect(page.getByLabel('Sample-wise CV')).toBeChecked();
});
