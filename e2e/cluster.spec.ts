import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { axe, shot } from './flows';
import { startServer, type RunningServer } from './server';

/**
 * Running a sweep on a cluster from the app, in browser mode: "Run on a cluster…" on the New sweep
 * screen downloads the job folder as a .tar.gz; it is unpacked with tar, its array tasks are run with
 * `nmf-studio sweep-task` as the cluster's nodes would, and "Import cluster results…" takes the packed
 * folder back: refused (library unchanged) while a task is missing, merged into a sweep once all are in.
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

test('export a sweep for a cluster, run its tasks, import the results', async ({ page }) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(server.url);
  await page.evaluate(() => (window.location.hash = '#/synthesize'));
  await page.getByLabel('Features').fill('40');
  await page.getByLabel('Samples').fill('20');
  await page.getByLabel('Modules (rank)').fill('3');
  await page.getByLabel('Seed').fill('4');
  await page.getByLabel('Name').fill('planted-3');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'planted-3' })).toBeVisible();
  const datasetId = Number(/datasets\/(\d+)/.exec(page.url())?.[1]);

  await page.evaluate((id) => (window.location.hash = `#/new-sweep?dataset=${id}`), datasetId);
  await page.getByLabel('From rank').fill('2');
  await page.getByLabel('To rank').fill('4');
  await page.getByLabel('Replicates per k').fill('2');
  await page.getByLabel('CV folds').fill('2');
  await page.getByLabel('Max iterations').fill('100');
  await page.getByText('Run on a cluster…').click();
  await page.getByLabel('Array tasks').fill('3');
  await page.getByLabel('Partition').fill('short');
  await shot(page, 'cluster-01-new-sweep');
  await axe(page, 'new sweep with the cluster panel');

  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Save job folder (.tar.gz)' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^nmf-sweep-planted-3-[0-9a-f]{6}\.tar\.gz$/);
  await expect(page.getByTestId('cluster-status')).toContainText('in 3 array tasks');
  const work = join(server.dir, 'cluster');
  mkdirSync(work, { recursive: true });
  const archive = join(work, download.suggestedFilename());
  await download.saveAs(archive);
  execFileSync('tar', ['xzf', archive, '-C', work]);
  const top = download.suggestedFilename().replace(/\.tar\.gz$/, '');
  const folder = join(work, top);
  expect(readdirSync(folder).sort()).toEqual(
    ['README.md', 'data.nmf', 'logs', 'merge.sbatch', 'plan.json', 'results', 'sweep.sbatch'].sort(),
  );
  expect(
    execFileSync('grep', ['-c', '#SBATCH --partition=short', join(folder, 'sweep.sbatch')])
      .toString()
      .trim(),
  ).toBe('1');

  // Two of the three tasks done: the import is refused, naming the task to rerun.
  task(folder, 0);
  task(folder, 1);
  const partial = join(work, 'partial.tar.gz');
  execFileSync('tar', ['czf', partial, '-C', work, top]);
  await page.getByTestId('cluster-import-file').setInputFiles(partial);
  await expect(page.getByText('partial.tar.gz was not merged — your library is unchanged')).toBeVisible();
  await expect(page.getByText(/sbatch --array=2 sweep\.sbatch/)).toBeVisible();
  await shot(page, 'cluster-02-refused');

  task(folder, 2);
  const finished = join(work, 'finished.tar.gz');
  execFileSync('tar', ['czf', finished, '-C', work, top]);
  await page.getByTestId('cluster-import-file').setInputFiles(finished);
  await expect(
    page.getByRole('heading', { level: 1, name: /Choosing k: sweep #\d+ on planted-3/ }),
  ).toBeVisible();
  await expect(page.getByTestId('recommended-rank')).toHaveText(/^\d+$/);
  await expect(page.getByTestId('sweep-cluster')).toContainText('Computed on a cluster: 3 array tasks');
  await shot(page, 'cluster-03-merged');
  expect(pageErrors).toEqual([]);
});
