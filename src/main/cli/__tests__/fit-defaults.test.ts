import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_FIT_DEFAULTS } from '../../../shared/domain/defaults';
import { dense } from '../../../shared/linalg/matrix';
import { betaDivergence } from '../../../shared/nmf';
import { cli } from './in-process';

/**
 * `fit` with its defaults on the planted case `synth --features 300 --samples 100 --rank 5`: KL by
 * multiplicative updates after the HALS warm-up, the same fit the app's run form starts. Without
 * the warm-up it stopped at iteration 110 with loss 107 291 and called that converged (the planted
 * factors' loss is 15 016).
 */
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nmf-fit-defaults-'));
  const synth = await cli(
    ...['synth', '--features', '300', '--samples', '100', '--rank', '5', '--seed', '0'],
    ...['--out', join(dir, 'syn')],
  );
  expect(synth.code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fit with its defaults', () => {
  it(
    'warms up with HALS, reaches the planted loss and keeps R distinct replicates',
    { timeout: 60_000 },
    async () => {
      const result = await cli(
        ...['fit', join(dir, 'syn', 'V.tsv'), '--rank', '5', '--replicates', '3', '--no-save'],
        ...['--out', join(dir, 'fit')],
      );
      expect(result.code).toBe(0);
      const run = JSON.parse(readFileSync(join(dir, 'fit', 'run.json'), 'utf8'));
      expect(run.params).toEqual(
        expect.objectContaining({
          loss: 'kl',
          solver: 'mu',
          init: 'nndsvda',
          warmup: RUN_FIT_DEFAULTS.warmup,
        }),
      );
      const truth = JSON.parse(readFileSync(join(dir, 'syn', 'truth.json'), 'utf8'));
      const W = dense(
        300,
        5,
        Float64Array.from((truth.W as number[][]).flat(), (w) => w * truth.depth),
      );
      const H = dense(5, 100, Float64Array.from((truth.H as number[][]).flat()));
      const V = dense(300, 100);
      const lines = readFileSync(join(dir, 'syn', 'V.tsv'), 'utf8')
        .trimEnd()
        .split('\n')
        .slice(1);
      lines.forEach((line, i) =>
        line
          .split('\t')
          .slice(1)
          .forEach((v, j) => (V.data[i * 100 + j] = Number(v))),
      );
      expect(run.loss).toBeLessThan(betaDivergence(V, W, H, 1));
      // A fit stopped by the iteration budget says so.
      if (run.iterations === run.params.maxIter) expect(run.converged).toBe(false);
      const starts = run.provenance.replicateStarts as Array<{ init: string; seed: number; loss: number }>;
      expect(starts.map((s) => `${s.init}:${s.seed}`)).toEqual(['nndsvda:0', 'random:1', 'random:2']);
      expect(new Set(starts.map((s) => s.loss)).size).toBe(3);
      expect(run.loss).toBe(Math.min(...starts.map((s) => s.loss)));
    },
  );
});
