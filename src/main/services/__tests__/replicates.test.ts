import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunDetail } from '../../../shared/domain';
import { RUN_FIT_DEFAULTS } from '../../../shared/domain/defaults';
import { createServices, type Services } from '..';
import { dispatch } from '../dispatch';

/** Runs started as the app starts them: replicates from distinct starts, recorded in the provenance. */
const workerPath = join(__dirname, '..', '..', 'workers', 'nmf.worker.ts');
let services: Services | null = null;
let dir: string | null = null;

afterEach(async () => {
  await services?.close().catch(() => undefined);
  if (dir) rmSync(dir, { recursive: true, force: true });
  services = null;
  dir = null;
});

async function call<T>(channel: string, payload: unknown): Promise<T> {
  const result = await dispatch(services!.handlers, channel, payload);
  if (!result.ok) throw new Error(`${channel}: ${result.error.code}: ${result.error.message}`);
  return result.value as T;
}

async function finished(id: number): Promise<RunDetail> {
  for (let tries = 0; tries < 2400; tries++) {
    const run = await call<RunDetail>('runs:get', { id });
    if (run.state !== 'queued' && run.state !== 'running') return run;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`run ${id} did not finish`);
}

describe('replicates of a run', () => {
  it('start from NNDSVDa and then from random factors, each recorded, the best kept', async () => {
    dir = mkdtempSync(join(tmpdir(), 'nmf-rep-'));
    services = createServices({
      libraryPath: join(dir, 'library.sqlite'),
      workerPath,
      mode: 'browser',
      threads: 2,
    });
    const { dataset } = await call<{ dataset: { id: number } }>('datasets:synthesize', {
      features: 120,
      samples: 50,
      rank: 4,
      seed: 2,
    });
    const { id } = await call<{ id: number }>('runs:start', {
      datasetId: dataset.id,
      params: { rank: 4, replicates: 3, seed: 5, maxIter: 300 },
    });
    const run = await finished(id);
    expect(run.state).toBe('done');
    // A run by multiplicative updates gets the default warm-up.
    expect(run.params.warmup).toBe(RUN_FIT_DEFAULTS.warmup);
    const starts = run.provenance!.replicateStarts!;
    expect(starts.map((s) => [s.init, s.seed])).toEqual([
      ['nndsvda', 5],
      ['random', 6],
      ['random', 7],
    ]);
    expect(starts.map((s) => s.loss)).toEqual(run.provenance!.replicateLosses);
    // Distinct starts, distinct fits (from one NNDSVDa start they agreed to 1e-10).
    expect(new Set(starts.map((s) => s.loss.toPrecision(8))).size).toBe(3);
    const bestIndex = starts.findIndex((s) => s.loss === run.loss);
    expect(run.provenance!.bestSeed).toBe(starts[bestIndex].seed);
    // The kept replicate is reproduced by a run from its recorded start alone.
    const alone = await call<{ id: number }>('runs:start', {
      datasetId: dataset.id,
      params: { rank: 4, seed: starts[bestIndex].seed, init: starts[bestIndex].init, maxIter: 300 },
    });
    const single = await finished(alone.id);
    expect(Buffer.from(single.W!.buffer).equals(Buffer.from(run.W!.buffer))).toBe(true);
  });
});
