import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobProgress } from '../../../shared/domain';
import { createServices, type Services } from '..';
import { dispatch } from '../dispatch';
import { call } from './harness';

const workerPath = join(__dirname, '..', '..', 'workers', 'nmf.worker.ts');
const open: Services[] = [];
const dirs: string[] = [];

function start(libraryPath: string, threads = 2): Services {
  const services = createServices({ libraryPath, workerPath, mode: 'browser', threads });
  open.push(services);
  return services;
}

function tempLibrary(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nmf-svc-'));
  dirs.push(dir);
  return join(dir, 'library.sqlite');
}

afterEach(async () => {
  for (const services of open.splice(0)) await services.close().catch(() => undefined);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function waitFor<T>(probe: () => T | undefined | null | false, timeoutMs = 60_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('runs through the services', () => {
  it('runs two fits at once: progress moves, one is cancelled, the other finishes and is stored whole', async () => {
    const services = start(tempLibrary());
    const progress: JobProgress[] = [];
    services.ctx.events.subscribe((event, payload) => {
      if (event === 'jobs:progress') progress.push(payload as JobProgress);
    });
    const { dataset } = await call<{ dataset: { id: number } }>(services, 'datasets:synthesize', {
      features: 300,
      samples: 120,
      rank: 4,
      seed: 3,
    });
    const slow = await call<{ id: number }>(services, 'runs:start', {
      datasetId: dataset.id,
      params: { rank: 6, maxIter: 100000, tol: 0 },
    });
    const quick = await call<{ id: number }>(services, 'runs:start', {
      datasetId: dataset.id,
      params: { rank: 4, maxIter: 300 },
    });
    // Progress is seen moving (two reports with increasing iterations) before the cancel.
    await waitFor(() => {
      const seen = progress.filter((p) => p.id === slow.id && p.state === 'running').map((p) => p.iteration);
      return seen.length >= 2 && seen[seen.length - 1] > seen[0];
    });
    expect((await call<{ state: string }>(services, 'runs:cancel', { id: slow.id })).state).toMatch(
      /running|cancelled/,
    );
    const done = await waitFor(() => {
      const runs = services.ctx.db.prepare('SELECT id, state FROM runs ORDER BY id').all() as Array<{
        id: number;
        state: string;
      }>;
      return runs.every((r) => r.state !== 'running' && r.state !== 'queued') ? runs : null;
    });
    expect(done).toEqual([
      { id: slow.id, state: 'cancelled' },
      { id: quick.id, state: 'done' },
    ]);
    const iterations = progress
      .filter((p) => p.id === slow.id && p.state === 'running')
      .map((p) => p.iteration);
    expect(iterations.length).toBeGreaterThan(1);
    expect(iterations[iterations.length - 1]).toBeGreaterThan(iterations[0]);
    const detail = await call<{
      W: Float64Array;
      H: Float64Array;
      trace: Array<[number, number]>;
      rows: number;
      cols: number;
      provenance: { dataHash: string };
    }>(services, 'runs:get', { id: quick.id });
    expect(detail.W.length).toBe(300 * 4);
    expect(detail.H.length).toBe(4 * 120);
    expect(detail.trace.length).toBeGreaterThan(1);
    expect(detail.provenance.dataHash).toMatch(/^[0-9a-f]{64}$/);
    const cancelled = await call<{ W: Float64Array | null }>(services, 'runs:get', { id: slow.id });
    expect(cancelled.W).toBeNull();
  });

  it('gives the same bits for the same data, parameters and seed', async () => {
    const services = start(tempLibrary());
    const { dataset } = await call<{ dataset: { id: number } }>(services, 'datasets:synthesize', {
      features: 80,
      samples: 40,
      rank: 3,
      seed: 1,
    });
    const a = await call<{ id: number }>(services, 'runs:start', {
      datasetId: dataset.id,
      params: { rank: 3, maxIter: 120, seed: 9 },
    });
    const b = await call<{ id: number }>(services, 'runs:rerun', { id: a.id });
    await waitFor(
      () =>
        (
          services.ctx.db.prepare("SELECT COUNT(*) AS n FROM runs WHERE state = 'done'").get() as {
            n: number;
          }
        ).n === 2,
    );
    const wa = await call<{ W: Float64Array; H: Float64Array }>(services, 'runs:get', { id: a.id });
    const wb = await call<{ W: Float64Array; H: Float64Array }>(services, 'runs:get', { id: b.id });
    expect(Buffer.from(wa.W.buffer).equals(Buffer.from(wb.W.buffer))).toBe(true);
    expect(Buffer.from(wa.H.buffer).equals(Buffer.from(wb.H.buffer))).toBe(true);
  });

  it('runs replicates in parallel and keeps the best, exactly as the same seed run alone', async () => {
    const services = start(tempLibrary());
    const { dataset } = await call<{ dataset: { id: number } }>(services, 'datasets:synthesize', {
      features: 80,
      samples: 40,
      rank: 3,
      seed: 6,
    });
    const many = await call<{ id: number }>(services, 'runs:start', {
      datasetId: dataset.id,
      params: { rank: 3, maxIter: 150, seed: 20, replicates: 3, init: 'random' },
    });
    await waitFor(
      () =>
        (services.ctx.db.prepare('SELECT state FROM runs WHERE id = ?').get(many.id) as { state: string })
          .state === 'done',
    );
    const detail = await call<{
      W: Float64Array;
      loss: number;
      provenance: { bestSeed: number; replicateLosses: number[] };
    }>(services, 'runs:get', { id: many.id });
    expect(detail.provenance.replicateLosses.length).toBe(3);
    expect(detail.loss).toBe(Math.min(...detail.provenance.replicateLosses));
    expect(detail.provenance.bestSeed).toBe(20 + detail.provenance.replicateLosses.indexOf(detail.loss));
    const alone = await call<{ id: number }>(services, 'runs:start', {
      datasetId: dataset.id,
      params: { rank: 3, maxIter: 150, seed: detail.provenance.bestSeed, init: 'random' },
    });
    await waitFor(
      () =>
        (services.ctx.db.prepare('SELECT state FROM runs WHERE id = ?').get(alone.id) as { state: string })
          .state === 'done',
    );
    const single = await call<{ W: Float64Array }>(services, 'runs:get', { id: alone.id });
    expect(Buffer.from(single.W.buffer).equals(Buffer.from(detail.W.buffer))).toBe(true);
  });

  it('refuses impossible parameters before queuing anything', async () => {
    const services = start(tempLibrary());
    const { dataset } = await call<{ dataset: { id: number } }>(services, 'datasets:synthesize', {
      features: 30,
      samples: 12,
      rank: 3,
      seed: 1,
    });
    const tooBig = await dispatch(services.handlers, 'runs:start', {
      datasetId: dataset.id,
      params: { rank: 13 },
    });
    expect(tooBig).toEqual({
      ok: false,
      error: { code: 'bad_input', message: 'rank 13 exceeds min(features, samples) = min(30, 12) = 12' },
    });
    const hals = await dispatch(services.handlers, 'runs:start', {
      datasetId: dataset.id,
      params: { rank: 2, loss: 'kl', solver: 'hals' },
    });
    expect(hals.ok).toBe(false);
    expect(services.ctx.db.prepare('SELECT COUNT(*) AS n FROM runs').get()).toEqual({ n: 0 });
  });

  it("leaves a live process's running fit alone, marks one left by a dead process interrupted, and re-runs it", async () => {
    const path = tempLibrary();
    const first = start(path);
    const { dataset } = await call<{ dataset: { id: number } }>(first, 'datasets:synthesize', {
      features: 200,
      samples: 100,
      rank: 4,
      seed: 2,
    });
    const run = await call<{ id: number }>(first, 'runs:start', {
      datasetId: dataset.id,
      params: { rank: 4, maxIter: 100000, tol: 0 },
    });
    await waitFor(() => first.ctx.jobs.list().some((j) => j.id === run.id && j.iteration > 0));
    const stateOf = (services: Services): { state: string; error: string | null } =>
      services.ctx.db.prepare('SELECT state, error FROM runs WHERE id = ?').get(run.id) as {
        state: string;
        error: string | null;
      };
    // Another process opening the library while the first computes: the run is the first's.
    const second = start(path, 1);
    expect(stateOf(second).state).toBe('running');
    const refused = await dispatch(second.handlers, 'runs:cancel', { id: run.id });
    expect(refused.ok).toBe(false);
    if (!refused.ok)
      expect(refused.error.message).toMatch(/being computed by process \d+ on .*; cancel it there/);
    await second.close();
    open.splice(open.indexOf(second), 1);
    expect(stateOf(first).state).toBe('running');
    // The first process dies (its owner row now names a pid that does not exist).
    first.ctx.db.prepare('UPDATE library_owners SET pid = 2147483646 WHERE id = ?').run(first.ctx.owner);
    const third = start(path, 1);
    const state = stateOf(third);
    expect(state.state).toBe('interrupted');
    expect(state.error).toMatch(/stopped before it finished/);
    const again = await call<{ id: number; params: { rank: number } }>(third, 'runs:rerun', { id: run.id });
    expect(again.params.rank).toBe(4);
    expect(again.id).not.toBe(run.id);
    // The first process's fit is not stored over the interruption: a finished run never changes state.
    await call(first, 'runs:cancel', { id: run.id });
    expect(stateOf(third).state).toBe('interrupted');
  });

  it('quitting while a fit runs leaves it interrupted, not cancelled or half-written', async () => {
    const path = tempLibrary();
    const services = start(path);
    const { dataset } = await call<{ dataset: { id: number } }>(services, 'datasets:synthesize', {
      features: 200,
      samples: 100,
      rank: 4,
      seed: 3,
    });
    const run = await call<{ id: number }>(services, 'runs:start', {
      datasetId: dataset.id,
      params: { rank: 4, maxIter: 100000, tol: 0 },
    });
    await waitFor(() => services.ctx.jobs.list().some((j) => j.id === run.id && j.iteration > 0));
    await services.close();
    open.splice(open.indexOf(services), 1);
    const reopened = start(path);
    const row = reopened.ctx.db.prepare('SELECT state, w FROM runs WHERE id = ?').get(run.id) as {
      state: string;
      w: Buffer | null;
    };
    expect(row).toEqual({ state: 'interrupted', w: null });
  });

  it('filters, tags, deletes with undo', async () => {
    const services = start(tempLibrary());
    const { dataset } = await call<{ dataset: { id: number } }>(services, 'datasets:synthesize', {
      features: 40,
      samples: 20,
      rank: 2,
      seed: 5,
    });
    const kl = await call<{ id: number }>(services, 'runs:start', {
      datasetId: dataset.id,
      params: { rank: 2, maxIter: 50 },
    });
    const fro = await call<{ id: number }>(services, 'runs:start', {
      datasetId: dataset.id,
      params: { rank: 3, loss: 'frobenius', maxIter: 50 },
    });
    await waitFor(
      () =>
        (
          services.ctx.db.prepare("SELECT COUNT(*) AS n FROM runs WHERE state = 'done'").get() as {
            n: number;
          }
        ).n === 2,
    );
    await call(services, 'runs:update', { id: fro.id, notes: 'looks clean', tags: ['keep', 'fro'] });
    const byTag = await call<Array<{ id: number }>>(services, 'runs:list', { tag: 'keep' });
    expect(byTag.map((r) => r.id)).toEqual([fro.id]);
    const bySolver = await call<Array<{ id: number }>>(services, 'runs:list', { solver: 'hals' });
    expect(bySolver.map((r) => r.id)).toEqual([fro.id]);
    const byText = await call<Array<{ id: number }>>(services, 'runs:list', { text: 'clean' });
    expect(byText.map((r) => r.id)).toEqual([fro.id]);
    await call(services, 'runs:delete', { id: kl.id });
    expect((await call<Array<{ id: number }>>(services, 'runs:list', {})).map((r) => r.id)).toEqual([fro.id]);
    await call(services, 'runs:restore', { id: kl.id });
    expect((await call<Array<{ id: number }>>(services, 'runs:list', {})).map((r) => r.id).sort()).toEqual(
      [kl.id, fro.id].sort(),
    );
  });

  it('estimates a single fit split over the idle threads, and replicates side by side', async () => {
    const services = start(tempLibrary(), 2);
    const { dataset } = await call<{ dataset: { id: number } }>(services, 'datasets:synthesize', {
      features: 300,
      samples: 120,
      rank: 4,
      seed: 3,
    });
    type Estimate = { seconds: number; basis: string };
    const one = await call<Estimate>(services, 'runs:estimate', {
      datasetId: dataset.id,
      params: { rank: 4, replicates: 1, maxIter: 100 },
    });
    const two = await call<Estimate>(services, 'runs:estimate', {
      datasetId: dataset.id,
      params: { rank: 4, replicates: 2, maxIter: 100 },
    });
    // One replicate gets both threads for its kernels; two replicates take one thread each and do
    // twice the iterations, so they take splitSpeedup(2) times as long.
    expect(one.basis).toContain('each fit split over 2 threads');
    expect(two.basis).not.toContain('split');
    expect(two.seconds / one.seconds).toBeCloseTo(1.6, 6);
    const { dataset: small } = await call<{ dataset: { id: number } }>(services, 'datasets:synthesize', {
      features: 30,
      samples: 20,
      rank: 2,
      seed: 3,
    });
    const tiny = await call<Estimate>(services, 'runs:estimate', {
      datasetId: small.id,
      params: { rank: 2, replicates: 1, maxIter: 100 },
    });
    expect(tiny.basis).not.toContain('split');
  });
});
