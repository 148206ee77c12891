import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { importClusterResults, saveJobFolder, unpackJobFolder } from './fixtures';
import { axe, collectPageErrors, go, shot, synthesize } from './flows';
import { serverForThisFile } from './server';

/**
 * Running a sweep on a cluster from the app, in browser mode: "Run on a cluster…" on the New sweep
 * screen downloads the job folder as a .tar.gz; it is unpacked with tar, its array tasks are run with
 * `nmf-studio sweep-task` as the cluster's nodes would, and "Import cluster results…" takes the packed
 * folder back: refused (library unchanged) while a task is missing, merged into a sweep once all are in.
 */

const server = serverForThisFile({ threads: 1 });

test('export a sweep for a cluster, run its tasks, import the results', async ({ page }) => {
  const pageErrors = collectPageErrors(page);
  await page.goto(server().url);
  const datasetId = await synthesize(page, {
    features: 40,
    samples: 20,
    rank: 3,
    seed: 4,
    name: 'planted-3',
  });

  await go(page, `#/new-sweep?dataset=${datasetId}`);
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

  const download = await saveJobFolder(page);
  expect(download.suggestedFilename()).toMatch(/^nmf-sweep-planted-3-[0-9a-f]{6}\.tar\.gz$/);
  await expect(page.getByTestId('cluster-status')).toContainText('in 3 array tasks');
  const job = await unpackJobFolder(download, join(server().dir, 'cluster'));
  const folder = job.folder;
  expect(readdirSync(folder).sort()).toEqual(
    ['README.md', 'data.nmf', 'logs', 'merge.sbatch', 'plan.json', 'results', 'sweep.sbatch'].sort(),
  );
  expect(
    execFileSync('grep', ['-c', '#SBATCH --partition=short', join(folder, 'sweep.sbatch')])
      .toString()
      .trim(),
  ).toBe('1');

  // Two of the three tasks done: the import is refused, naming the task to rerun.
  await importClusterResults(page, job, [0, 1], 'partial.tar.gz');
  await expect(page.getByText('partial.tar.gz was not merged — your library is unchanged')).toBeVisible();
  await expect(page.getByText(/sbatch --array=2 sweep\.sbatch/)).toBeVisible();
  await shot(page, 'cluster-02-refused');

  await importClusterResults(page, job, [2], 'finished.tar.gz');
  await expect(
    page.getByRole('heading', { level: 1, name: /Choosing k: sweep #\d+ on planted-3/ }),
  ).toBeVisible();
  await expect(page.getByTestId('recommended-rank')).toHaveText(/^\d+$/);
  await expect(page.getByTestId('sweep-cluster')).toContainText('Computed on a cluster: 3 array tasks');
  await shot(page, 'cluster-03-merged');
  expect(pageErrors).toEqual([]);
});
