import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { open, shot } from './flows';
import { startServer, type RunningServer } from './server';

/**
 * 100 000 new samples projected onto a run, in browser mode: `projections:get` sends the map of
 * the projected H (made in the main process) instead of H and the sample names; the panel draws
 * it with its note, and "H as TSV" arrives from the main process with the bytes of the CLI's
 * `project --out` H.tsv.
 */

const cli = join(process.cwd(), 'out', 'main', 'cli.js');
let server: RunningServer;
let dir: string;

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nmf-e2e-projection-summary-'));
  const run = (...args: string[]): void => {
    const result = spawnSync(process.execPath, [cli, ...args], {
      env: { ...process.env, NMF_STUDIO_CLI: '1' },
    });
    if (result.status !== 0) throw new Error(`${args[0]} failed: ${result.stderr.toString()}`);
  };
  const library = join(dir, 'library.sqlite');
  for (const [name, samples, seed] of [
    ['small', '300', '6'],
    ['many', '100000', '7'],
  ])
    run(
      'synth',
      '--features',
      '10',
      '--samples',
      samples,
      '--rank',
      '3',
      '--seed',
      seed,
      '--out',
      join(dir, name),
    );
  run(
    'fit',
    join(dir, 'small', 'V.tsv'),
    '--rank',
    '3',
    '--max-iter',
    '5',
    '--seed',
    '1',
    '--db',
    library,
    '--out',
    join(dir, 'fit'),
  );
  run('project', '1', join(dir, 'many', 'V.tsv'), '--db', library, '--out', join(dir, 'projected'));
  server = await startServer({ dir, threads: 1 });
});
test.afterAll(async () => {
  await server?.stop();
  server?.cleanup();
});

test('a projection of 100 000 samples is drawn from its summary and exports H whole', async ({ page }) => {
  test.setTimeout(240_000);
  const gets: number[] = [];
  page.on('response', async (response) => {
    if (response.url().endsWith('/api/projections:get')) gets.push((await response.body()).byteLength);
  });
  await page.goto(server.url);
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
