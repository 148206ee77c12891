import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { runCli, synthesizeWithCli } from './fixtures';
import { open, shot } from './flows';
import { serverForThisFile } from './server';

/**
 * The Sweep screen of a sweep over 3000 samples with a sample annotation file, in browser mode:
 * the consensus map shows its fixed subsample of 2000 with the annotation tracks, which come with
 * `sweeps:consensus` over the shown samples, with the 240 × 240 cells the figure draws of its
 * matrix; the screen asks no `annotations:list` (every sample's values), and `sweeps:get` and
 * `sweeps:classes` send no per-sample clusters.
 */

const SAMPLES = 3000;

const server = serverForThisFile(() => {
  const dir = mkdtempSync(join(tmpdir(), 'nmf-e2e-sweep-views-'));
  const db = join(dir, 'library.sqlite');
  synthesizeWithCli({ features: 10, samples: SAMPLES, rank: 3, seed: 4 }, join(dir, 'syn'));
  const matrix = join(dir, 'syn', 'V.tsv');
  runCli(
    'sweep',
    matrix,
    '--ranks',
    '2..3',
    '--replicates',
    '2',
    '--cv-folds',
    '0',
    '--max-iter',
    '20',
    '--db',
    db,
    '--out',
    join(dir, 'sweep'),
  );
  const names = readFileSync(matrix, 'utf8').split('\n')[0].split('\t').slice(1);
  const table =
    'sample\ttype\tscore\n' + names.map((name, j) => `${name}\tt${j % 4}\t${(j * 7) % 13}`).join('\n');
  writeFileSync(join(dir, 'samples.tsv'), table + '\n');
  runCli('annotate', '1', '--samples', join(dir, 'samples.tsv'), '--db', db);
  return { dir, threads: 1 };
});

test('a sweep over 3000 samples: the consensus map’s tracks come with the map, no sample’s clusters are sent', async ({
  page,
}) => {
  test.setTimeout(240_000);
  const channelOf = (url: string): string | undefined => /\/api\/([a-z]+:[A-Za-z]+)$/.exec(url)?.[1];
  const asked: string[] = [];
  page.on('request', (request) => {
    const channel = channelOf(request.url());
    if (channel) asked.push(channel);
  });
  const answers = new Map<string, number[]>();
  page.on('response', async (response) => {
    const channel = channelOf(response.url());
    if (channel !== 'sweeps:get' && channel !== 'sweeps:classes' && channel !== 'sweeps:consensus') return;
    const sizes = answers.get(channel) ?? [];
    sizes.push((await response.body()).byteLength);
    answers.set(channel, sizes);
  });
  await page.goto(server().url);
  await open(page, '#/sweeps/1', /sweep #1/);
  await expect(page.getByTestId('sweep-classes')).toContainText('type: ARI');
  const consensus = page.locator('figure.figure-view').filter({ hasText: /Consensus matrix, k = \d/ });
  await expect(consensus.locator('svg')).toBeVisible();
  await expect(consensus.locator('svg')).toContainText('type');
  await expect(consensus.locator('svg')).toContainText('score');
  await expect(consensus).toContainText(`A fixed random subsample of 2000 of ${SAMPLES} samples is shown`);
  await expect(page.getByTestId('contingency').first()).toContainText('cluster 1');
  await shot(page, 'sweep-views-consensus');

  expect(asked).toContain('sweeps:consensus');
  expect(asked).not.toContain('annotations:list');
  // With 3000 clusters a rank they were 15 and 12.6 kB; without, 3.1 kB and 0.6 kB.
  for (const channel of ['sweeps:get', 'sweeps:classes']) {
    expect(answers.get(channel)?.length, channel).toBeGreaterThan(0);
    for (const bytes of answers.get(channel)!) expect(bytes, channel).toBeLessThan(6_000);
  }
  // The figure's 240 × 240 cells, not the 2000 × 2000 matrix (16 MB).
  for (const bytes of answers.get('sweeps:consensus') ?? []) expect(bytes).toBeLessThan(1_000_000);
  expect(answers.get('sweeps:consensus')?.length).toBeGreaterThan(0);
});
