import { test, expect } from '@playwright/test';
import { libraryWithOneRun } from './fixtures';
import { open, shot } from './flows';
import { serverForThisFile } from './server';

/**
 * A run over 6000 samples in browser mode: the H heatmap and the coefficient map say how many
 * samples each pixel or cell stands for, and the activation chart is drawn from bins with the
 * counts in its title. The library is filled through the CLI before the server starts.
 */

const server = serverForThisFile(() => ({
  dir: libraryWithOneRun(
    'nmf-e2e-many-',
    { features: 30, samples: 6000, rank: 3, depth: 3000, seed: 4 },
    { maxIter: 30, seed: 1 },
  ),
  threads: 1,
}));

test('a run over 6000 samples shows binned maps with their counts', async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto(server().url);
  await open(page, '#/runs/1', /Run #1/);
  await expect(page.getByTestId('heatmap-binned').first()).toContainText(/6000 samples in \d+ pixel columns/);
  await expect(
    page.getByText('Activations H over samples: 6000 samples in 1000 bins', { exact: false }),
  ).toBeVisible();
  await expect(page.locator('.figure-svg svg').first()).toContainText(
    /6000 samples in 240 columns, each the mean of 25/,
  );
  await shot(page, 'many-samples-run');
});
