import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './in-process';
import { folderWithPlanted } from './planted';

/** `nmf-studio fit <dataset-id>`: a dataset imported once, fitted where the library stores it. */
let dir: string;
let db: string;

beforeAll(async () => {
  dir = await folderWithPlanted('nmf-cli-fit-stored-', { features: 50, samples: 300, rank: 3, seed: 4 });
  db = join(dir, 'library.sqlite');
  const imported = await cli('import', join(dir, 'syn', 'V.tsv'), '--db', db);
  expect(imported.code, imported.stderr).toBe(0);
  expect(JSON.parse(imported.stdout)).toMatchObject({ dataset: 1 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fitFlags = ['--rank', '3', '--loss', 'kl', '--solver', 'minibatch', '--max-iter', '3', '--seed', '2'];

describe('nmf-studio fit <dataset-id>', () => {
  it('fits the stored dataset as the file: the same W.tsv and H.tsv, loss and trace; nothing imported again', async () => {
    const stored = await cli('fit', '1', '--db', db, ...fitFlags, '--out', join(dir, 'by-id'));
    expect(stored.code, stored.stderr).toBe(0);
    const fromFile = await cli(
      'fit',
      join(dir, 'syn', 'V.tsv'),
      '--no-save',
      ...fitFlags,
      '--out',
      join(dir, 'by-file'),
    );
    expect(fromFile.code, fromFile.stderr).toBe(0);
    for (const name of ['W.tsv', 'H.tsv'])
      expect(readFileSync(join(dir, 'by-id', name), 'utf8')).toBe(
        readFileSync(join(dir, 'by-file', name), 'utf8'),
      );
    const a = JSON.parse(readFileSync(join(dir, 'by-id', 'run.json'), 'utf8'));
    const b = JSON.parse(readFileSync(join(dir, 'by-file', 'run.json'), 'utf8'));
    expect(a.loss).toBe(b.loss);
    expect(a.loglik).toBe(b.loglik);
    expect(a.trace).toEqual(b.trace);
    expect(a.params).toEqual(b.params);
    const datasets = JSON.parse((await cli('datasets', 'list', '--db', db)).stdout) as unknown[];
    expect(datasets.length).toBe(1);
    const runs = JSON.parse((await cli('runs', 'list', '--db', db)).stdout) as unknown[];
    expect(runs.length).toBe(1);
  });

  it('refuses a dataset id the library does not have, and a dataset id with --no-save', async () => {
    const missing = await cli('fit', '999', '--db', db, ...fitFlags, '--out', join(dir, 'missing'));
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toBe('nmf-studio: dataset 999 does not exist\n');
    const unsaved = await cli('fit', '1', '--no-save', ...fitFlags, '--out', join(dir, 'unsaved'));
    expect(unsaved.code).not.toBe(0);
    expect(unsaved.stderr).toContain('--no-save fits a matrix file in a library of its own');
  });
});
