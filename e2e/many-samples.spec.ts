import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { open, shot } from './flows';
import { startServer, type RunningServer } from './server';

/**
 * A run over 6000 samples in browser mode: the H heatmap and the coefficient map say how many
 * samples each pixel or cell stands for, and the activation chart is drawn from bins with the
 * counts in its title. The library is filled through the CLI before the server starts.
 */

const cli = join(process.cwd(), 'out', 'main', 'cli.js');
let server: RunningServer;

test.beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nmf-e2e-many-'));
  const run = (...args: string[]): void => {
    const result = spawnSync(process.execPath, [cli, ...args], {
      env: { ...process.env, NMF_STUDIO_CLI: '1' },
    });
    if (result.status !== 0) throw new Error(`${args[0]} failed: ${result.stderr.toString()}`);
  };
  run(
    'synth',
    '--features',
    '30',
    '--samples',
    '6000',
    '--rank',
    '3',
    '--depth',
    '3000',
    '--seed',
    '4',
    '--out',
    join(dir, 'syn'),
  );
  run(
    'fit',
    join(dir, 'syn', 'V.tsv'),
    '--rank',
    '3',
    '--max-iter',
    '30',
    '--seed',
    '1',
    '--db',
    join(dir, 'library.sqlite'),
    '--out',
    join(dir, 'fit'),
  );
  server = await startServer({ dir, threads: 1 });
});
test.afterAll(async () => {
  await server?.stop();
  server?.cleanup();
});

test('a run over 6000 samples shows binned maps with their counts', async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto(server.url);
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
