import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './in-process';

/** `synth --cells` and `fit --solver minibatch` through the command line (in-process). */
const dir = mkdtempSync(join(tmpdir(), 'nmf-cli-minibatch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('nmf-studio synth --cells and fit --solver minibatch', () => {
  it('generates an .h5ad of planted cells and fits it in passes, recording the batch size', async () => {
    const out = join(dir, 'cells');
    const synth = await cli(
      ...['synth', '--cells', '2000', '--features', '100', '--rank', '4', '--seed', '2', '--format', 'h5ad'],
      ...['--out', out],
    );
    expect(synth.stderr).toBe('');
    expect(synth.code).toBe(0);
    const written = JSON.parse(synth.stdout);
    expect(written).toMatchObject({ rows: 100, cols: 2000 });
    expect(written.density).toBeGreaterThan(0.05);
    expect(written.density).toBeLessThan(0.9);
    const truth = JSON.parse(readFileSync(join(out, 'truth.json'), 'utf8'));
    expect(truth.W.length).toBe(100);
    expect(truth.W[0].length).toBe(4);

    const fit = await cli(
      ...['fit', join(out, 'cells.h5ad'), '--rank', '4', '--solver', 'minibatch', '--batch-size', '500'],
      ...['--max-iter', '3', '--tol', '0', '--no-save', '--out', join(dir, 'fit')],
    );
    expect(fit.stderr).toBe('');
    expect(fit.code).toBe(0);
    const run = JSON.parse(readFileSync(join(dir, 'fit', 'run.json'), 'utf8'));
    expect(run.iterations).toBe(3);
    expect(run.params).toMatchObject({ solver: 'minibatch', batchSize: 500, maxIter: 3, warmup: 0 });
    expect(run.trace.map((point: [number, number]) => point[0])).toEqual([0, 1, 2, 3]);
    // trace_seconds (an addition to CLI.md's run.json): when each trace point was reached.
    expect(run.trace_seconds).toHaveLength(run.trace.length);
    const seconds = run.trace_seconds as number[];
    for (let p = 1; p < seconds.length; p++) expect(seconds[p]).toBeGreaterThanOrEqual(seconds[p - 1]);
    expect(seconds[0]).toBeGreaterThanOrEqual(0);
  }, 120_000);

  it('takes --memory-budget SIZE and refuses one that is not a size or too small', async () => {
    const matrix = join(dir, 'cells', 'cells.h5ad');
    const fit = (...flags: string[]) =>
      cli(
        'fit',
        matrix,
        '--rank',
        '4',
        '--solver',
        'minibatch',
        '--max-iter',
        '1',
        '--tol',
        '0',
        '--no-save',
        ...flags,
      );
    const ok = await fit('--memory-budget', '1G', '--out', join(dir, 'budget'));
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const bad = await fit('--memory-budget', '12Q', '--out', join(dir, 'bad'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--memory-budget: "12Q" is not a size');
    const small = await fit('--memory-budget', '1M', '--out', join(dir, 'small'));
    expect(small.code).toBe(2);
    expect(small.stderr).toContain('below the smallest memory budget, 64M');
  }, 120_000);

  it('refuses --batch-size without the minibatch solver', async () => {
    const fit = await cli(
      'fit',
      join(dir, 'cells', 'cells.h5ad'),
      '--rank',
      '4',
      '--batch-size',
      '10',
      '--no-save',
      '--out',
      join(dir, 'x'),
    );
    expect(fit.code).toBe(2);
    expect(fit.stderr).toContain('--batch-size applies to --solver minibatch only');
  });
});
