import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AssignmentView, SweepDetail } from '../../../shared/domain';
import { createServices } from '..';
import { dispatch } from '../dispatch';

/**
 * The rank sweep at a larger size, end to end as the app runs it (services, worker pool on two
 * threads, library): planted gene modules N = 2000, M = 500, R = 8 (100 moonlighting genes), ranks
 * 7..9, two replicates and three cross-validation folds per rank, the sweep defaults (random
 * starts, 200 HALS warm-up iterations, up to 2000 iterations) except tol 1e-4 instead of 1e-5,
 * which halves the time and still separates the ranks (held-out error per entry ≈ 44 / 0.519 /
 * 0.520 at k = 7 / 8 / 9). Before the warm-up, KL updates from random starts stopped at
 * 1.6–3× the planted factors' loss at this size and the sweep recommended 9.
 * About 1.5–3 minutes on two cores.
 */
const workerPath = join(__dirname, '..', '..', 'workers', 'nmf.worker.ts');
const dir = mkdtempSync(join(tmpdir(), 'nmf-sweep-large-'));
const services = createServices({
  libraryPath: join(dir, 'library.sqlite'),
  workerPath,
  mode: 'browser',
  threads: 2,
});

afterAll(async () => {
  await services.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

async function call<T>(channel: string, payload: unknown): Promise<T> {
  const result = await dispatch(services.handlers, channel, payload);
  if (!result.ok) throw new Error(`${channel}: ${result.error.code}: ${result.error.message}`);
  return result.value as T;
}

describe('rank sweep on planted modules, N = 2000, M = 500, R = 8', () => {
  it('recommends 8 and the rank-8 run recovers the modules', { timeout: 900_000 }, async () => {
    const { dataset } = await call<{ dataset: { id: number } }>('datasets:synthesize', {
      features: 2000,
      samples: 500,
      rank: 8,
      seed: 1,
    });
    const { id } = await call<{ id: number }>('sweeps:start', {
      datasetId: dataset.id,
      params: { fromRank: 7, toRank: 9, replicates: 2, cvFolds: 3, baseline: false, fit: { tol: 1e-4 } },
    });
    let sweep: SweepDetail;
    for (;;) {
      sweep = await call<SweepDetail>('sweeps:get', { id });
      if (sweep.state !== 'running' && sweep.state !== 'queued') break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(sweep.state).toBe('done');
    console.log(
      'N=2000 sweep',
      JSON.stringify({
        ranks: sweep.ranks.map((r) => [r.rank, r.loss, r.cvError, r.cophenetic, r.stability]),
        recommendation: sweep.recommendation,
      }),
    );
    expect(sweep.recommendation?.rank).toBe(8);
    expect(sweep.recommendation?.criterion).toBe('cv-1se');
    const [k7, k8, k9] = sweep.ranks;
    // One module short explains the data far worse; one too many does not help.
    expect(k7.cvError!).toBeGreaterThan(10 * k8.cvError!);
    expect(k9.cvError!).toBeGreaterThan(0.99 * k8.cvError!);
    expect(k8.bic!).toBeLessThan(Math.min(k7.bic!, k9.bic!));
    expect(k8.cophenetic!).toBeGreaterThan(0.99);
    expect(k8.stability!).toBeGreaterThan(0.99);

    const assignment = await call<AssignmentView>('runs:assign', { id: k8.runId });
    expect(assignment.truth).not.toBeNull();
    expect(assignment.truth!.adjustedRandIndex).toBeGreaterThanOrEqual(0.95);
    expect(assignment.truth!.moonlightingPrecision).toBeGreaterThanOrEqual(0.8);
    expect(assignment.truth!.moonlightingRecall).toBeGreaterThanOrEqual(0.8);
  });
});
