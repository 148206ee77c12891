import { describe, expect, it } from 'vitest';
import type {
  ConsensusClustergram,
  ConsensusDetail,
  ProjectionDetail,
  ProjectionSummary,
  RunDetail,
} from '../../../shared/domain';
import type { Services } from '..';
import { dispatch } from '../dispatch';
import { call, servicesInTempFolders, synthesizedDataset } from './harness';

/** Projections and cNMF consensus through the real services, worker pool and SQLite library. */

const start = servicesInTempFolders('nmf-consensus-');

async function until<T extends { state: string }>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() - started > 120_000) throw new Error(`still ${value.state}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function finishedRun(services: Services, datasetId: number): Promise<RunDetail> {
  const run = await call<{ id: number }>(services, 'runs:start', {
    datasetId,
    params: { rank: 3, maxIter: 300, seed: 1 },
  });
  return until(
    () => call<RunDetail>(services, 'runs:get', { id: run.id }),
    (r) => !['queued', 'running'].includes(r.state),
  );
}

describe('projections through the services', () => {
  it('project a dataset onto a run, store it linked to both, and go when the run goes', async () => {
    const services = start();
    const trainId = await synthesizedDataset(services, 3, 30);
    const run = await finishedRun(services, trainId);
    expect(run.state).toBe('done');
    const newId = await synthesizedDataset(services, 4, 17);
    const projection = await call<ProjectionDetail>(services, 'projections:start', {
      runId: run.id,
      datasetId: newId,
    });
    expect(projection.rank).toBe(3);
    expect(projection.matched).toBe(60);
    expect(projection.missing).toEqual([]);
    expect(projection.H).toHaveLength(3 * 17);
    expect(projection.sampleNames).toHaveLength(17);
    expect(projection.params.loss).toBe('kl');
    for (const x of projection.H) expect(x).toBeGreaterThanOrEqual(0);
    const byRun = await call<ProjectionSummary[]>(services, 'projections:list', { runId: run.id });
    const byDataset = await call<ProjectionSummary[]>(services, 'projections:list', { datasetId: newId });
    expect(byRun.map((p) => p.id)).toEqual([projection.id]);
    expect(byDataset.map((p) => p.id)).toEqual([projection.id]);
    // The same projection again gives the same bits.
    const again = await call<ProjectionDetail>(services, 'projections:start', {
      runId: run.id,
      datasetId: newId,
    });
    expect(Array.from(again.H)).toEqual(Array.from(projection.H));
    // A dataset with other feature names is refused, naming them.
    const other = new TextEncoder().encode('feature\ts1\ts2\ts3\nx1\t1\t2\t3\nx2\t4\t5\t6\nx3\t1\t0\t2\n');
    const imported = await call<{ dataset: { id: number } }>(services, 'datasets:import', {
      file: { fileName: 'other.tsv', bytes: other },
    });
    const refused = await dispatch(services.handlers, 'projections:start', {
      runId: run.id,
      datasetId: imported.dataset.id,
    });
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.error.code).toBe('bad_input');
      expect(refused.error.message).toMatch(
        /^only 0 of the run's 60 features are in the new matrix \(at least 30 needed\); missing: gene1, gene2, .* and 50 more; the new matrix has instead: x1, x2, x3$/,
      );
    }
    // Deleting the dataset of the new samples removes its projections.
    await call(services, 'datasets:delete', { id: newId });
    expect(await call<ProjectionSummary[]>(services, 'projections:list', { runId: run.id })).toEqual([]);
  });
});

describe('consensus through the services', () => {
  const params = { fromRank: 2, toRank: 4, replicates: 6, fit: { maxIter: 150 } };

  it('store a consensus run per rank with provenance, and give the same bits after a cancel and resume', async () => {
    const services = start();
    const datasetId = await synthesizedDataset(services, 8, 30);
    const whole = await call<{ id: number; jobsTotal: number }>(services, 'consensus:start', {
      datasetId,
      params,
    });
    expect(whole.jobsTotal).toBe(18);
    const reference = await until(
      () => call<ConsensusDetail>(services, 'consensus:get', { id: whole.id }),
      (c) => !['queued', 'running'].includes(c.state),
    );
    expect(reference.state).toBe('done');
    expect(reference.ranks.map((r) => r.rank)).toEqual([2, 3, 4]);
    for (const rank of reference.ranks) {
      expect(rank.runId).not.toBeNull();
      expect(rank.density).toHaveLength(6 * rank.rank);
      expect(rank.kept.length + rank.dropped.length).toBe(6 * rank.rank);
      expect(rank.neighbours).toBe(1);
      expect(rank.stability).not.toBeNull();
      expect(rank.error2).toBeGreaterThan(0);
      const run = await call<RunDetail>(services, 'runs:get', { id: rank.runId });
      expect(run.state).toBe('done');
      expect(run.params.rank).toBe(rank.rank);
      expect(run.provenance?.consensus).toMatchObject({
        consensusId: whole.id,
        rank: rank.rank,
        replicates: 6,
        seeds: [0, 1, 2, 3, 4, 5],
        threshold: 0.5,
      });
      // Consensus W columns are distributions.
      const W = run.W!;
      for (let a = 0; a < rank.rank; a++) {
        let sum = 0;
        for (let i = 0; i < 60; i++) sum += W[i * rank.rank + a];
        expect(sum).toBeCloseTo(1, 12);
      }
    }
    const gram = await call<ConsensusClustergram>(services, 'consensus:clustergram', {
      id: whole.id,
      rank: 3,
    });
    expect(gram.order).toHaveLength(18);
    expect(gram.distances).toHaveLength(18 * 18);

    // Cancel after some fits, resume: the same runs, bit for bit.
    const interrupted = await call<{ id: number }>(services, 'consensus:start', { datasetId, params });
    await until(
      () => call<ConsensusDetail>(services, 'consensus:get', { id: interrupted.id }),
      (c) => c.jobsDone >= 4 || c.state === 'done',
    );
    await call(services, 'consensus:cancel', { id: interrupted.id });
    const stopped = await until(
      () => call<ConsensusDetail>(services, 'consensus:get', { id: interrupted.id }),
      (c) => !['queued', 'running'].includes(c.state),
    );
    expect(['cancelled', 'done']).toContain(stopped.state);
    if (stopped.state === 'cancelled') {
      expect(stopped.jobsDone).toBeLessThan(18);
      await call(services, 'consensus:resume', { id: interrupted.id });
    }
    const resumed = await until(
      () => call<ConsensusDetail>(services, 'consensus:get', { id: interrupted.id }),
      (c) => !['queued', 'running'].includes(c.state),
    );
    expect(resumed.state).toBe('done');
    for (let r = 0; r < 3; r++) {
      const a = await call<RunDetail>(services, 'runs:get', { id: reference.ranks[r].runId });
      const b = await call<RunDetail>(services, 'runs:get', { id: resumed.ranks[r].runId });
      expect(Array.from(b.W!)).toEqual(Array.from(a.W!));
      expect(Array.from(b.H!)).toEqual(Array.from(a.H!));
      expect(resumed.ranks[r].density).toEqual(reference.ranks[r].density);
    }

    // Another threshold for one rank: a new run, everything kept at 2.
    const rebuilt = await call<ConsensusDetail>(services, 'consensus:rethreshold', {
      id: whole.id,
      rank: 3,
      threshold: 2,
    });
    const entry = rebuilt.ranks.find((r) => r.rank === 3)!;
    expect(entry.dropped).toEqual([]);
    expect(entry.runId).not.toBe(reference.ranks[1].runId);
  });

  it('refuses parameters the dataset cannot take, naming them', async () => {
    const services = start();
    const datasetId = await synthesizedDataset(services, 2, 30);
    const result = await dispatch(services.handlers, 'consensus:start', {
      datasetId,
      params: { fromRank: 2, toRank: 40, replicates: 3 },
    });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.error.message).toBe('rank 40 exceeds min(features, samples) = min(60, 30) = 30');
  });
});
