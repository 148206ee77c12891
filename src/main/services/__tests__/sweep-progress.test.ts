import { describe, expect, it } from 'vitest';
import {
  finishedRanks,
  planSweep,
  runSweepJob,
  summarizeFinishedRank,
  summarizeSweep,
} from '../../../shared/analysis';
import type { SweepJobResult } from '../../../shared/analysis';
import { synthesizeGeneModules } from '../../../shared/analysis/synthetic';
import type { JobProgress, SweepDetail, SweepRankMetrics, SweepRankView } from '../../../shared/domain';
import { decodeFrame } from '../../../shared/api';
import { recordSweepJob, sweepJobResults, sweepJobResultsOfRanks } from '../../db/queries/sweeps';
import { getSweepSummary } from '../sweep-records';
import { sweepSpecOf } from '../sweeps';
import { call, servicesInTempFolders } from './harness';

const start = servicesInTempFolders('nmf-sweep-progress-');

describe('sweep criteria as fits finish', () => {
  it('summarises a finished rank exactly as the whole sweep does, apart from what compares ranks', () => {
    const { V } = synthesizeGeneModules({ features: 40, samples: 20, rank: 3, seed: 4 });
    const spec = {
      fromRank: 2,
      toRank: 4,
      replicates: 2,
      cvFolds: 2,
      consensusReplicates: 3,
      fit: { maxIter: 60 },
    };
    const jobs = planSweep(spec);
    const results: SweepJobResult[] = jobs.map((job) => runSweepJob(V, job));
    const whole = summarizeSweep(spec, results);
    for (const rank of [2, 3, 4]) {
      const alone = summarizeFinishedRank(
        rank,
        results.filter((r) => r.rank === rank),
      );
      const final = whole.ranks.find((r) => r.rank === rank)!;
      expect(alone).toEqual({ ...final, cvPairedDifference: null, cvPairedSe: null });
    }
    // The final summary takes those per-rank criteria as they are: the same bytes as computing
    // them again, and the summaries handed in are not changed by what the summary fills in place.
    const alone = new Map([2, 3, 4].map((rank) => [rank, summarizeFinishedRank(rank, results)!]));
    const before = structuredClone(alone);
    expect(summarizeSweep(spec, results, alone)).toEqual(whole);
    expect(alone).toEqual(before);
    // …and they are used, not computed again (a marked loss comes through).
    const marked = new Map(alone);
    marked.set(3, { ...alone.get(3)!, loss: -1 });
    expect(summarizeSweep(spec, results, marked).ranks.find((r) => r.rank === 3)!.loss).toBe(-1);
    // A rank is finished when every one of its fits is, baseline included.
    const done = new Set(jobs.filter((j) => j.rank === 2 || (j.rank === 3 && !j.baseline)).map((j) => j.id));
    expect(finishedRanks(jobs, done)).toEqual([2]);
    expect(summarizeFinishedRank(5, results)).toBeNull();
  });

  it('publishes each rank on the progress events before the sweep ends, the final summary unchanged', async () => {
    const services = start();
    const events: JobProgress[] = [];
    services.ctx.events.subscribe((event, payload) => {
      if (event === 'jobs:progress') events.push(structuredClone(payload as JobProgress));
    });
    const { dataset } = await call<{ dataset: { id: number } }>(services, 'datasets:synthesize', {
      features: 60,
      samples: 30,
      rank: 3,
      seed: 8,
    });
    const sweep = await call<{ id: number; jobsTotal: number }>(services, 'sweeps:start', {
      datasetId: dataset.id,
      params: {
        fromRank: 2,
        toRank: 4,
        replicates: 3,
        cvFolds: 2,
        consensusReplicates: 3,
        fit: { maxIter: 150 },
      },
    });
    let detail: SweepDetail;
    for (;;) {
      detail = await call<SweepDetail>(services, 'sweeps:get', { id: sweep.id });
      if (detail.state === 'done' || detail.state === 'failed') break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(detail.state).toBe('done');
    const mine = events.filter((e) => e.kind === 'sweep' && e.id === sweep.id);
    const firstWith = (rank: number): JobProgress | undefined =>
      mine.find((e) => e.ranksDone?.some((r) => r.rank === rank));
    for (const rank of [2, 3, 4]) expect(firstWith(rank), `k = ${rank}`).toBeDefined();
    // The first rank is in long before the last fit.
    expect(firstWith(2)!.jobsDone!).toBeLessThan(sweep.jobsTotal);
    expect(firstWith(2)!.state).toBe('running');
    // Ranks come in order, each once, and stay.
    const last = mine.filter((e) => e.ranksDone !== undefined).at(-1)!;
    expect(last.ranksDone!.map((r) => r.rank)).toEqual([2, 3, 4]);
    // What was published is what the summary stored, but for what only the end knows.
    // sweeps:get sends no sample clusters; the progress sends them empty.
    const published = (r: SweepRankView & { sampleClusters?: number[] }): Partial<SweepRankMetrics> => {
      const { sampleClusters: _s, cvPairedDifference: _d, cvPairedSe: _e, runId: _r, ...rest } = r;
      return rest;
    };
    expect(last.ranksDone!.map(published)).toEqual(detail.ranks.map(published));
    expect(last.ranksDone!.every((r) => r.runId === null && r.sampleClusters.length === 0)).toBe(true);
    // The stored summary, which took the published ranks' criteria, is the one computed afresh from
    // the stored results (as a cluster merge computes it).
    const stored = sweepJobResults(services.ctx.db, sweep.id).map(
      (r) =>
        decodeFrame(
          new Uint8Array(r.result.buffer, r.result.byteOffset, r.result.byteLength),
        ) as SweepJobResult,
    );
    const params = getSweepSummary(services.ctx, sweep.id).params;
    const afresh = summarizeSweep(sweepSpecOf(params), stored);
    const row = services.ctx.db.prepare('SELECT result FROM sweeps WHERE id = ?').get(sweep.id) as {
      result: string;
    };
    const kept = JSON.parse(row.result) as {
      ranks: Array<{ rank: number; loss: number; cophenetic: number | null }>;
    };
    expect(kept.ranks.map((r) => [r.rank, r.loss, r.cophenetic])).toEqual(
      afresh.ranks.map((r) => [r.rank, r.loss, r.cophenetic]),
    );
  }, 120_000);

  it('reads the stored results of some ranks only, in job-key order (k1 is not k10)', async () => {
    const services = start();
    const { dataset } = await call<{ dataset: { id: number } }>(services, 'datasets:synthesize', {
      features: 20,
      samples: 10,
      rank: 2,
      seed: 3,
    });
    const sweep = await call<{ id: number }>(services, 'sweeps:start', {
      datasetId: dataset.id,
      params: { fromRank: 1, toRank: 1, replicates: 1, cvFolds: 0, fit: { maxIter: 5 } },
    });
    for (;;) {
      const detail = await call<SweepDetail>(services, 'sweeps:get', { id: sweep.id });
      if (detail.state === 'done' || detail.state === 'failed') break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const db = services.ctx.db;
    for (const key of ['k10/replicate/0', 'baseline/k10/consensus/1', 'k1/zz/0', 'k1/aa/0'])
      recordSweepJob(db, sweep.id, key, Buffer.from([1]), null);
    const all = sweepJobResults(db, sweep.id).map((r) => r.job_key);
    const ofOne = sweepJobResultsOfRanks(db, sweep.id, [1]).map((r) => r.job_key);
    expect(ofOne).toEqual(all.filter((key) => key.startsWith('k1/') || key.startsWith('baseline/k1/')));
    expect(ofOne).toContain('k1/aa/0');
    expect(ofOne).not.toContain('k10/replicate/0');
    expect(ofOne.indexOf('k1/aa/0')).toBeLessThan(ofOne.indexOf('k1/zz/0'));
    expect(sweepJobResultsOfRanks(db, sweep.id, [10]).map((r) => r.job_key)).toEqual([
      'baseline/k10/consensus/1',
      'k10/replicate/0',
    ]);
    expect(sweepJobResultsOfRanks(db, sweep.id, [])).toEqual([]);
  }, 60_000);
});
