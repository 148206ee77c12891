import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LibraryMergeResult } from '../../../shared/api';
import type { ConsensusDetail, ProjectionDetail, ProjectionSummary, RunDetail } from '../../../shared/domain';
import type { Services } from '..';
import { exportLibrary, importLibrary } from '../transfer';
import { call, servicesInTempFolders } from './harness';

/**
 * Merging a library carries its projections and consensus records (the consensus, its replicate
 * fits and the links to its consensus runs), their run and dataset links remapped to the ids here;
 * merging the same file again adds nothing.
 */

const start = servicesInTempFolders('nmf-merge-records-');
const files = mkdtempSync(join(tmpdir(), 'nmf-merge-records-files-'));
afterAll(() => rmSync(files, { recursive: true, force: true }));

async function until<T extends { state: string }>(read: () => Promise<T>): Promise<T> {
  for (;;) {
    const value = await read();
    if (!['queued', 'running'].includes(value.state)) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function synth(services: Services, seed: number, samples: number): Promise<number> {
  const { dataset } = await call<{ dataset: { id: number } }>(services, 'datasets:synthesize', {
    features: 40,
    samples,
    rank: 2,
    seed,
  });
  return dataset.id;
}

async function finishedRun(services: Services, datasetId: number, seed: number): Promise<RunDetail> {
  const { id } = await call<{ id: number }>(services, 'runs:start', {
    datasetId,
    params: { rank: 2, maxIter: 100, seed },
  });
  return until(() => call<RunDetail>(services, 'runs:get', { id }));
}

async function finishedConsensus(services: Services, datasetId: number): Promise<ConsensusDetail> {
  const { id } = await call<{ id: number }>(services, 'consensus:start', {
    datasetId,
    params: { fromRank: 2, toRank: 2, replicates: 4, fit: { maxIter: 60 } },
  });
  return until(() => call<ConsensusDetail>(services, 'consensus:get', { id }));
}

describe('library merge of projections and consensus', () => {
  it('copies them with their links remapped, and a second merge adds nothing', async () => {
    // The other library: a run, a projection onto it, and a consensus with its run.
    const source = start();
    const trainId = await synth(source, 1, 24);
    const run = await finishedRun(source, trainId, 1);
    const projection = await call<ProjectionDetail>(source, 'projections:start', {
      runId: run.id,
      datasetId: await synth(source, 2, 10),
    });
    const consensus = await finishedConsensus(source, trainId);
    expect(consensus.state).toBe('done');
    const consensusRun = await call<RunDetail>(source, 'runs:get', { id: consensus.ranks[0].runId });
    const file = join(files, 'other.sqlite');
    exportLibrary(source.ctx, file);

    // This library already holds other records, so every id is shifted.
    const target = start();
    const ownData = await synth(target, 7, 20);
    const ownRun = await finishedRun(target, ownData, 3);
    await call(target, 'projections:start', { runId: ownRun.id, datasetId: ownData });
    await finishedConsensus(target, ownData);

    const first: LibraryMergeResult = importLibrary(target.ctx, file);
    expect(first).toMatchObject({ projectionsAdded: 1, consensusAdded: 1 });

    const merged = (await call<ProjectionSummary[]>(target, 'projections:list', {})).filter(
      (p) => p.id !== 1,
    );
    expect(merged).toHaveLength(1);
    const mergedProjection = await call<ProjectionDetail>(target, 'projections:get', { id: merged[0].id });
    expect(Array.from(mergedProjection.H)).toEqual(Array.from(projection.H));
    expect(mergedProjection.matched).toBe(projection.matched);
    const projectedOnto = await call<RunDetail>(target, 'runs:get', { id: mergedProjection.runId });
    expect(projectedOnto.id).not.toBe(run.id);
    expect(Array.from(projectedOnto.W!)).toEqual(Array.from(run.W!));

    const list = await call<Array<{ id: number }>>(target, 'consensus:list', {});
    const mergedConsensusId = Math.max(...list.map((c) => c.id));
    expect(mergedConsensusId).not.toBe(consensus.id);
    const mergedConsensus = await call<ConsensusDetail>(target, 'consensus:get', { id: mergedConsensusId });
    expect(mergedConsensus.state).toBe('done');
    expect(mergedConsensus.jobsDone).toBe(consensus.jobsDone);
    const linked = await call<RunDetail>(target, 'runs:get', { id: mergedConsensus.ranks[0].runId });
    expect(linked.id).not.toBe(consensusRun.id);
    expect(Array.from(linked.W!)).toEqual(Array.from(consensusRun.W!));
    expect(linked.provenance?.consensus?.consensusId).toBe(mergedConsensusId);
    expect(mergedConsensus.ranks[0].density).toEqual(consensus.ranks[0].density);
    const link = target.ctx.db
      .prepare('SELECT run_id FROM consensus_runs WHERE consensus_id = ?')
      .all(mergedConsensusId) as Array<{ run_id: number }>;
    expect(link).toEqual([{ run_id: linked.id }]);
    const replicates = target.ctx.db
      .prepare('SELECT count(*) AS n FROM consensus_jobs WHERE consensus_id = ?')
      .get(mergedConsensusId) as { n: number };
    expect(replicates.n).toBe(4);

    const counts = (): unknown =>
      ['runs', 'projections', 'consensus', 'consensus_jobs', 'consensus_runs'].map(
        (table) => (target.ctx.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n,
      );
    const before = counts();
    const second = importLibrary(target.ctx, file);
    expect(second).toMatchObject({ runsAdded: 0, projectionsAdded: 0, consensusAdded: 0 });
    expect(counts()).toEqual(before);
  });

  it('refuses a projection whose H does not fit its shape, naming it, and merges nothing', async () => {
    const source = start();
    const trainId = await synth(source, 1, 24);
    const run = await finishedRun(source, trainId, 1);
    await call(source, 'projections:start', { runId: run.id, datasetId: trainId });
    source.ctx.db.prepare('UPDATE projections SET h = zeroblob(16)').run();
    const file = join(files, 'broken.sqlite');
    exportLibrary(source.ctx, file);
    const target = start();
    expect(() => importLibrary(target.ctx, file, { name: 'broken.sqlite' })).toThrow(
      'broken.sqlite: projection 1: H has 16 bytes, 2 × 24 needs 384; nothing was merged',
    );
    expect(target.ctx.db.prepare('SELECT count(*) AS n FROM runs').get()).toEqual({ n: 0 });
  });
});
