import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  planSweep,
  runSweepJob,
  summarizeSweep,
  surveyCriteria,
  toRanksJson,
} from '../../../shared/analysis';
import type { SweepDetail, SweepParams } from '../../../shared/domain';
import { Rng } from '../../../shared/linalg/random';
import { importDatasetFile } from '../datasets';
import { leaseDatasetMatrix } from '../runs';
import { getRunDetail } from '../runs';
import { getSweepDetail, sweepSpecOf } from '../sweeps';
import { call, servicesInTempFolders } from './harness';

/**
 * A sweep of sparse counts run by the services — data replicates whose log-likelihood and Pearson
 * dispersion are computed afterwards for each rank's best replicate only, baseline jobs sharing a
 * worker's shuffled copy of V — gives the same bytes as every job run whole and alone
 * (`runSweepJob` without options, as a cluster array task runs it): the same `ranks.json`, the same
 * baseline criteria, the same saved runs. Over several seeds.
 */
const start = servicesInTempFolders('nmf-sweep-sparse-');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nmf-sweep-sparse-files-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Planted Poisson counts, genes × cells, mostly zeros, as Matrix Market. */
function writePlantedMtx(seed: number, genes: number, cells: number, rank: number): string {
  const rng = new Rng(seed);
  const W = Array.from({ length: genes * rank }, () => (rng.uniform() < 0.6 ? 0 : 2 * rng.uniform()));
  const H = Array.from({ length: rank * cells }, () => (rng.uniform() < 0.6 ? 0 : 2 * rng.uniform()));
  const lines: string[] = [];
  for (let j = 0; j < cells; j++) {
    for (let i = 0; i < genes; i++) {
      let mu = 0.02;
      for (let a = 0; a < rank; a++) mu += W[i * rank + a] * H[a * cells + j];
      const count = rng.poisson(mu);
      if (count > 0) lines.push(`${i + 1} ${j + 1} ${count}`);
    }
  }
  const folder = mkdtempSync(join(dir, `s${seed}-`));
  const path = join(folder, 'matrix.mtx');
  writeFileSync(
    path,
    `%%MatrixMarket matrix coordinate integer general\n${genes} ${cells} ${lines.length}\n${lines.join('\n')}\n`,
  );
  return path;
}

describe('a sparse sweep through the services', () => {
  it.each([1, 2, 3])(
    'gives the bytes of its jobs run whole and alone, seed %i',
    { timeout: 120_000 },
    async (seed) => {
      const services = start();
      const { dataset } = await importDatasetFile(services.ctx, writePlantedMtx(seed, 40, 150, 3), {
        transpose: false,
        header: false,
        rowNames: false,
        transform: 'none',
      });
      expect(dataset.layout).toBe('csr');
      const started = await call<{ id: number }>(services, 'sweeps:start', {
        datasetId: dataset.id,
        params: {
          fromRank: 2,
          toRank: 4,
          replicates: 4,
          cvFolds: 0,
          consensusReplicates: 3,
          baseline: true,
          fit: { maxIter: 80, seed },
        },
      });
      let detail: SweepDetail;
      for (;;) {
        detail = await call<SweepDetail>(services, 'sweeps:get', { id: started.id });
        if (detail.state === 'done' || detail.state === 'failed') break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(detail.error ?? null).toBeNull();
      expect(detail.state).toBe('done');

      // The reference: every job of the same plan run whole, in this thread.
      const params = detail.params as SweepParams;
      const spec = sweepSpecOf(params);
      const lease = leaseDatasetMatrix(services.ctx, dataset.id);
      const results = planSweep(spec).map((job) => runSweepJob(lease.matrix, job));
      lease.release();
      const reference = summarizeSweep(spec, results);
      // The stored record (sweeps:get leaves out the sample clusters, which ranks.json carries).
      const stored = {
        ranks: getSweepDetail(services.ctx, started.id).ranks,
        recommendation: detail.recommendation!,
      };
      expect(JSON.stringify(toRanksJson(stored))).toBe(JSON.stringify(toRanksJson(reference)));
      // The statistics left to the best replicate are there (counts: BIC and dispersion apply).
      for (const rank of detail.ranks) {
        expect(rank.loglik).not.toBeNull();
        expect(rank.pearsonDispersion).not.toBeNull();
        // R NMF's survey measures, left to the best replicate too, and of the baseline's replicates.
        expect(rank.rss).not.toBeNull();
        expect(rank.sparsenessBasis).not.toBeNull();
        expect(rank.silhouetteConsensus).not.toBeNull();
        expect(rank.baseline?.rss).not.toBeNull();
      }
      // What ranks.json leaves out: the baseline's criteria, and the runs saved per rank.
      expect(JSON.stringify(detail.ranks.map((r) => r.baseline))).toBe(
        JSON.stringify(
          reference.ranks.map((r) =>
            r.baseline
              ? {
                  loss: r.baseline.loss,
                  cvError: r.baseline.cvError,
                  cophenetic: r.baseline.cophenetic,
                  stability: r.baseline.stability,
                  cvErrorTrimmed: r.baseline.cvErrorTrimmed,
                  ...surveyCriteria(r.baseline),
                }
              : null,
          ),
        ),
      );
      for (const rank of detail.ranks) {
        const run = getRunDetail(services.ctx, rank.runId!);
        const best = results.find(
          (r) =>
            !r.baseline &&
            r.kind === 'replicate' &&
            r.rank === rank.rank &&
            r.factors !== null &&
            r.loss === rank.loss,
        )!;
        expect(run.loglik).toBe(best.loglik);
      }
    },
  );
});
