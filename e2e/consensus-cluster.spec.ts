import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { axe, shot } from './flows';
import { startServer, type RunningServer } from './server';

/**
 * A consensus run on a cluster from the app, in browser mode: "Run on a cluster…" on the New
 * consensus screen downloads the job folder as a .tar.gz; it is unpacked with tar, its array tasks
 * are run with `nmf-studio sweep-task` as the cluster's nodes would, and "Import cluster results…"
 * takes the packed folder back: refused (library unchanged) while a task is missing, merged into a
 * consensus once all are in, whose screen says where the replicates ran.
 */

const artifacts = 'e2e-artifacts';
mkdirSync(artifacts, { recursive: true });
const cli = join(process.cwd(), 'out', 'main', 'cli.js');

let server: RunningServer;

test.beforeAll(async () => {
  server = await startServer({ threads: 1 });
});

test.afterAll(async () => {
  await server?.stop();
  server?.cleanup();
});

function task(folder: string, index: number): void {
  execFileSync(process.execPath, [cli, 'sweep-task', folder, '--task', String(index)], {
    env: { ...process.env, NMF_STUDIO_CLI: '1' },
  });
}

test('export a consensus run for a cluster, run its tasks, import the results', async ({ page }) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(server.url);
  await page.evaluate(() => (window.location.hash = '#/synthesize'));
  await page.getByLabel('Features').fill('40');
  await page.getByLabel('Samples').fill('20');
  await page.getByLabel('Modules (rank)').fill('3');
  await page.getByLabel('Seed').fill('6');
  await page.getByLabel('Name').fill('planted-c');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'planted-c' })).toBeVisible();
  const datasetId = Number(/datasets\/(\d+)/.exec(page.url())?.[1]);

  await page.evaluate((id) => (window.location.hash = `#/new-consensus?dataset=${id}`), datasetId);
  await page.getByLabel('From rank').fill('2');
  await page.getByLabel('To rank').fill('3');
  await page.getByLabel('Replicates per k').fill('4');
  await page.getByLabel('Max iterations').fill('100');
  await page.getByText('Run on a cluster…').click();
  await page.getByLabel('Array tasks').fill('3');
  await shot(page, 'consensus-cluster-01-new-consensus');
  await axe(page, 'new consensus with the cluster panel');

  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Save job folder (.tar.gz)' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^nmf-consensus-planted-c-[0-9a-f]{6}\.tar\.gz$/);
  await expect(page.getByTestId('cluster-status')).toContainText('8 replicate fits in 3 array tasks');
  const work = join(server.dir, 'consensus-cluster');
  mkdirSync(work, { recursive: true });
  const archive = join(work, download.suggestedFilename());
  await download.saveAs(archive);
  execFileSync('tar', ['xzf', archive, '-C', work]);
  const top = download.suggestedFilename().replace(/\.tar\.gz$/, '');
  const folder = join(work, top);
  expect(readdirSync(folder).sort()).toEqual(
    ['README.md', 'consensus.sbatch', 'data.nmf', 'logs', 'merge.sbatch', 'plan.json', 'results'].sort(),
  );

  task(folder, 0);
  task(folder, 1);
  const partial = join(work, 'partial.tar.gz');
  execFileSync('tar', ['czf', partial, '-C', work, top]);
  await page.getByTestId('cluster-import-file').setInputFiles(partial);
  await expect(page.getByText('partial.tar.gz was not merged — your library is unchanged')).toBeVisible();
  await expect(page.getByText(/sbatch --array=2 consensus\.sbatch/)).toBeVisible();
  await shot(page, 'consensus-cluster-02-refused');

  task(folder, 2);
  const finished = join(work, 'finished.tar.gz');
  execFileSync('tar', ['czf', finished, '-C', work, top]);
  await page.getByTestId('cluster-import-file').setInputFiles(finished);
  await expect(page.getByRole('heading', { level: 1, name: /Consensus #\d+ on planted-c/ })).toBeVisible();
  await expect(page.getByTestId('consensus-cluster')).toContainText(
    'Replicates fitted on a cluster: 3 array tasks',
  );
  await expect(page.locator('.state-done')).toHaveText('done');
  await expect(page.getByRole('button', { name: /Open the consensus run/ })).toBeVisible();
  await shot(page, 'consensus-cluster-03-merged');
  expect(pageErrors).toEqual([]);
});
