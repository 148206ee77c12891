import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { libraryWithOneRun } from './fixtures';
import { open } from './flows';
import { serverForThisFile } from './server';

/**
 * The Run screen's "JSON with provenance" for a run over 60 000 samples, in browser mode: made by
 * the main process and read in 4 MiB pieces (more than one here), it holds every number of H as the
 * CLI's H.tsv has it — not the binned view the screen draws.
 */

let dir: string;
const server = serverForThisFile(() => {
  dir = libraryWithOneRun(
    'nmf-e2e-json-',
    { features: 12, samples: 60000, rank: 4, seed: 2 },
    { maxIter: 5, seed: 1 },
  );
  return { dir, threads: 1 };
});

test('the JSON of a run over 60 000 samples arrives in pieces with H whole', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto(server().url);
  await open(page, '#/runs/1', /Run #1/);
  const reads: number[] = [];
  page.on('request', (request) => {
    if (request.url().endsWith('/api/downloads:read')) reads.push(reads.length);
  });
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'JSON with provenance' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('run-1.json');
  expect(reads.length).toBeGreaterThan(1);
  const parsed = JSON.parse(readFileSync(await download.path(), 'utf8')) as {
    shapes: { H: number[] };
    H: number[];
    run: { id: number; cols: number };
  };
  expect(parsed.shapes.H).toEqual([4, 60000]);
  expect(parsed.H).toHaveLength(4 * 60000);
  // H.tsv: a header, then one line per component (its name, then n values), as fitted.
  const lines = readFileSync(join(dir, 'fit', 'H.tsv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  const fromTsv = lines.flatMap((line) => line.split('\t').slice(1).map(Number));
  expect(fromTsv).toHaveLength(4 * 60000);
  let differing = 0;
  for (let i = 0; i < fromTsv.length; i++) if (fromTsv[i] !== parsed.H[i]) differing++;
  expect(differing).toBe(0);
  await expect(page.getByRole('button', { name: 'JSON with provenance' })).toBeEnabled();
});
