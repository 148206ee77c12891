import { describe, expect, it } from 'vitest';
import type { JobProgress, ProjectionSummary, RunDetail } from '../../../shared/domain';
import { createServices, type Services } from '..';
import { dispatch } from '../dispatch';
import { call, servicesInTempFolders, synthesizedDataset, workerPath } from './harness';

/** Projections as jobs: progress events, cancel (nothing stored), the outcome as the last event. */

const start = servicesInTempFolders('nmf-projection-jobs-');

/** A finished run whose projections run `maxIter` iterations (tol 0: no early stop). */
async function finishedRun(services: Services, datasetId: number, maxIter: number): Promise<RunDetail> {
  const run = await call<{ id: number }>(services, 'runs:start', {
    datasetId,
    params: { rank: 3, maxIter, tol: 0, seed: 1, warmup: 0 },
  });
  for (;;) {
    const detail = await call<RunDetail>(services, 'runs:get', { id: run.id });
    if (!['queued', 'running'].includes(detail.state)) return detail;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function projectionEvents(services: Services): JobProgress[] {
  const seen: JobProgress[] = [];
  services.ctx.events.subscribe((event, payload) => {
    if (event === 'jobs:progress' && (payload as JobProgress).kind === 'projection')
      seen.push(payload as JobProgress);
  });
  return seen;
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > 120_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('projection jobs', () => {
  it('report iterations, loss and time left; cancelled, they store nothing', async () => {
    const services = start();
    const run = await finishedRun(services, await synthesizedDataset(services, 3, 30), 20_000);
    const target = await synthesizedDataset(services, 4, 4000);
    const events = projectionEvents(services);
    const { jobId } = await call<{ jobId: number }>(services, 'projections:begin', {
      runId: run.id,
      datasetId: target,
    });
    await waitFor(() => events.some((e) => e.id === jobId && e.iteration > 0), 'a progress event');
    const progress = events.find((e) => e.id === jobId && e.iteration > 0)!;
    expect(progress).toMatchObject({ state: 'running', maxIter: 20_000, runId: run.id, datasetId: target });
    expect(progress.loss).toBeGreaterThan(0);
    expect(progress.remainingMs).toBeGreaterThan(0);
    expect((await call<JobProgress[]>(services, 'jobs:list', {})).map((j) => `${j.kind}:${j.id}`)).toContain(
      `projection:${jobId}`,
    );
    expect(await call(services, 'projections:cancel', { id: jobId })).toEqual({ state: 'cancelled' });
    await waitFor(() => events.some((e) => e.id === jobId && e.state === 'cancelled'), 'the cancelled event');
    expect(await call<ProjectionSummary[]>(services, 'projections:list', { runId: run.id })).toEqual([]);
    expect(await call<JobProgress[]>(services, 'jobs:list', {})).toEqual([]);
    const again = await dispatch(services.handlers, 'projections:cancel', { id: jobId });
    expect(again).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('a finished job names its stored projection; projections:start still answers with it', async () => {
    const services = start();
    const run = await finishedRun(services, await synthesizedDataset(services, 3, 30), 200);
    const target = await synthesizedDataset(services, 5, 12);
    const events = projectionEvents(services);
    const { jobId } = await call<{ jobId: number }>(services, 'projections:begin', {
      runId: run.id,
      datasetId: target,
    });
    await waitFor(() => events.some((e) => e.id === jobId && e.state === 'done'), 'the done event');
    const done = events.find((e) => e.id === jobId && e.state === 'done')!;
    const stored = await call<ProjectionSummary[]>(services, 'projections:list', { runId: run.id });
    expect(stored.map((p) => p.id)).toEqual([done.projectionId]);
    const direct = await call<{ id: number; H: Float64Array }>(services, 'projections:start', {
      runId: run.id,
      datasetId: target,
    });
    const first = await call<{ H: Float64Array }>(services, 'projections:get', { id: done.projectionId });
    expect(Array.from(direct.H)).toEqual(Array.from(first.H));
    // Bad input is refused when the job is asked for, before anything runs.
    const refused = await dispatch(services.handlers, 'projections:begin', { runId: run.id, datasetId: 999 });
    expect(refused).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('a library opened read-only starts no projection', async () => {
    const services = start();
    const run = await finishedRun(services, await synthesizedDataset(services, 3, 30), 100);
    const target = await synthesizedDataset(services, 6, 10);
    const readOnly = createServices({
      libraryPath: services.ctx.app.libraryPath,
      workerPath,
      mode: 'browser',
      threads: 1,
      readOnly: true,
    });
    try {
      const refused = await dispatch(readOnly.handlers, 'projections:begin', {
        runId: run.id,
        datasetId: target,
      });
      expect(refused).toMatchObject({ ok: false, error: { code: 'conflict' } });
    } finally {
      await readOnly.close();
    }
  });
});
