import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../../services';
import { leaseDatasetMatrix } from '../../services/runs';
import { importForFit, leaseImported } from '../common';
import { completeRunParams } from '../../../shared/domain';
import type { DataMatrix } from '../../../shared/linalg/matrix';
import { cli } from './in-process';

/**
 * `fit FILE`: the matrix just imported is the one the fit leases (leaseImported), not a second
 * copy read back from the library, when the reader left it in shared memory (the HDF5 and Matrix
 * Market readers);
 * the fit's output is the same bits as a fit of the stored dataset.
 */

const workerPath = join(__dirname, '..', '..', 'workers', 'nmf.worker.ts');
let dir: string;
let services: Services;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nmf-lease-imported-'));
  const synth = await cli(
    ...['synth', '--cells', '400', '--features', '60', '--rank', '3', '--seed', '5'],
    ...['--format', 'h5ad', '--out', join(dir, 'cells')],
  );
  expect(synth.code, synth.stderr).toBe(0);
  const mtx = await cli(
    ...['synth', '--cells', '400', '--features', '60', '--rank', '3', '--seed', '5'],
    ...['--format', 'mtx', '--out', join(dir, 'cells-mtx')],
  );
  expect(mtx.code, mtx.stderr).toBe(0);
  services = createServices({ libraryPath: ':memory:', workerPath, mode: 'cli', tempDir: dir });
});
afterAll(async () => {
  await services.close();
  rmSync(dir, { recursive: true, force: true });
});

const params = completeRunParams({ rank: 3 });

/** Imports `path` as `fit FILE` does; the matrix as stored, and the lease leaseImported gave. */
async function imported(path: string) {
  let held: { matrix: DataMatrix; lease: ReturnType<typeof leaseImported> } | undefined;
  const dataset = await importForFit(
    services.ctx,
    path,
    {},
    params,
    undefined,
    undefined,
    (stored, matrix) => {
      held = { matrix, lease: leaseImported(services.ctx, stored, matrix) };
    },
  );
  if (held === undefined) throw new Error('afterStore was not called');
  return { dataset, ...held };
}

describe('leaseImported', () => {
  it.each([
    ['an .h5ad', join('cells', 'cells.h5ad')],
    ['a Matrix Market', join('cells-mtx', 'matrix.mtx')],
  ])('hands %s matrix to the fit as it was read: its lease is these arrays, not a copy', async (_, path) => {
    const { dataset, matrix, lease } = await imported(join(dir, path));
    expect(lease).not.toBeNull();
    const fits = leaseDatasetMatrix(services.ctx, dataset.id);
    expect(fits.matrix).toBe(matrix);
    fits.release();
    lease?.release();
    // Released by both: the next lease reads the stored copy, equal to the one handed over.
    const readBack = leaseDatasetMatrix(services.ctx, dataset.id);
    expect(readBack.matrix).not.toBe(matrix);
    expect(readBack.matrix).toEqual(matrix);
    readBack.release();
    expect(services.ctx.matrices.size).toBe(0);
  });

  it('leaves a matrix outside shared memory (a TSV) to be read back', async () => {
    const tsv = join(__dirname, '..', '..', '..', '..', 'e2e', 'fixtures', 'modules_small.tsv');
    const { lease } = await imported(tsv);
    expect(lease).toBeNull();
    expect(services.ctx.matrices.size).toBe(0);
  });
});

describe.each([
  ['h5ad', join('cells', 'cells.h5ad')],
  ['mtx', join('cells-mtx', 'matrix.mtx')],
])('nmf-studio fit FILE (%s)', (format, path) => {
  it('fits the handed-over matrix to the same bits as the stored dataset', async () => {
    const file = join(dir, path);
    const db = join(dir, `library-${format}.sqlite`);
    const flags = ['--rank', '3', '--loss', 'kl', '--solver', 'minibatch', '--max-iter', '3', '--seed', '2'];
    expect((await cli('import', file, '--db', db)).code).toBe(0);
    const storedOut = join(dir, `stored-${format}`);
    const fileOut = join(dir, `file-${format}`);
    const stored = await cli('fit', '1', '--db', db, ...flags, '--out', storedOut);
    expect(stored.code, stored.stderr).toBe(0);
    const fromFile = await cli('fit', file, '--no-save', ...flags, '--out', fileOut);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    for (const name of ['W.tsv', 'H.tsv'])
      expect(readFileSync(join(fileOut, name), 'utf8')).toBe(readFileSync(join(storedOut, name), 'utf8'));
    const a = JSON.parse(readFileSync(join(storedOut, 'run.json'), 'utf8'));
    const b = JSON.parse(readFileSync(join(fileOut, 'run.json'), 'utf8'));
    expect([b.loss, b.loglik, b.trace]).toEqual([a.loss, a.loglik, a.trace]);
  }, 60_000);
});
