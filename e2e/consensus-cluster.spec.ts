import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { importClusterResults, saveJobFolder, unpackJobFolder } from './fixtures';
import { axe, collectPageErrors, go, shot, synthesize } from './flows';
import { serverForThisFile } from './server';

/**
 * A consensus run on a cluster from the app, in browser mode: "Run on a cluster…" on the New
 * consensus screen downloads the job folder as a .tar.gz; it is unpacked with tar, its array tasks
 * are run with `nmf-studio sweep-task` as the cluster's nodes would, and "Import cluster results…"
 * takes the packed folder back: refused (library unchanged) while a task is missing, merged into a
 * consensus once all are in, whose screen says where the replicates ran.
 */

const server = serverForThisFile({ threads: 1 });

test('export a consensus run for a cluster, run its tasks, import the results', async ({ page }) => {
  const pageErrors = collectPageErrors(page);
  await page.goto(server().url);
  const datasetId = await synthesize(page, {
    features: 40,
    samples: 20,
    rank: 3,
    seed: 6,
    name: 'planted-c',
  });

  await go(page, `#/new-consensus?dataset=${datasetId}`);
  await page.getByLabel('From rank').fill('2');
  await page.getByLabel('To rank').fill('3');
  await page.getByLabel('Replicates per k').fill('4');
  await page.getByLabel('Max iterations').fill('100');
  await page.getByText('Run on a cluster…').click();
  await page.getByLabel('Array tasks').fill('3');
  await shot(page, 'consensus-cluster-01-new-consensus');
  await axe(page, 'new consensus with the cluster panel');

  const download = await saveJobFolder(page);
  expect(download.suggestedFilename()).toMatch(/^nmf-consensus-planted-c-[0-9a-f]{6}\.tar\.gz$/);
  await expect(page.getByTestId('cluster-status')).toContainText('8 replicate fits in 3 array tasks');
  const job = await unpackJobFolder(download, join(server().dir, 'consensus-cluster'));
  const folder = job.folder;
  expect(readdirSync(folder).sort()).toEqual(
    ['README.md', 'consensus.sbatch', 'data.nmf', 'logs', 'merge.sbatch', 'plan.json', 'results'].sort(),
  );

  await importClusterResults(page, job, [0, 1], 'partial.tar.gz');
  await expect(page.getByText('partial.tar.gz was not merged — your library is unchanged')).toBeVisible();
  await expect(page.getByText(/sbatch --array=2 consensus\.sbatch/)).toBeVisible();
  await shot(page, 'consensus-cluster-02-refused');

  await importClusterResults(page, job, [2], 'finished.tar.gz');
  await expect(page.getByRole('heading', { level: 1, name: /Consensus #\d+ on planted-c/ })).toBeVisible();
  await expect(page.getByTestId('consensus-cluster')).toContainText(
    'Replicates fitted on a cluster: 3 array tasks',
  );
  await expect(page.locator('.state-done')).toHaveText('done');
  await expect(page.getByRole('button', { name: /Open the consensus run/ })).toBeVisible();
  await shot(page, 'consensus-cluster-03-merged');
  expect(pageErrors).toEqual([]);
});
