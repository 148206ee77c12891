import { mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeGeneModules } from '../../../shared/analysis';
import type { ClusterPlan } from '../../../shared/analysis/cluster-plan';
import { planConsensusReplicates } from '../../../shared/analysis/consensus-plan';
import { decodeFrame, encodeFrame } from '../../../shared/api';
import { dense } from '../../../shared/linalg/matrix';
import { Rng } from '../../../shared/linalg/random';
import {
  importConsensusClusterArchive,
  mergeClusterConsensus,
  mergeClusterSweep,
  planClusterConsensus,
  planConsensusArchive,
  readPlanData,
  runClusterTask,
  writeJobFolder,
  type ClusterData,
} from '../cluster';
import { createConsensus, executeConsensus, getConsensusDetail } from '../consensus';
import { storeDataset } from '../datasets';
import { getRunDetail } from '../runs';
import { offerClusterArchive } from '../export-downloads';
import { extractTarGz, writeTarGzFile } from '../tar';
import { downloadWhole, servicesInTempFolders } from './harness';

/**
 * Consensus runs as cluster job folders, without a scheduler: the plan holds every replicate fit
 * once, dealt to tasks by cost; tasks run in this process; the merge gives the same consensus
 * (every rank's W and H, bit for bit) as the local run, refuses a folder with a task missing,
 * and round-trips through the app's archive. (slurm.test.ts does it on a real cluster.)
 */

const open = servicesInTempFolders('nmf-cluster-consensus-');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nmf-cluster-consensus-folders-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const names = (prefix: string, n: number): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

function plantedData(seed: number, features = 30, samples = 16): ClusterData {
  const synthetic = synthesizeGeneModules({ features, samples, rank: 3, seed });
  return {
    matrix: synthetic.V,
    rowNames: names('g', features),
    colNames: names('s', samples),
    name: 'planted',
    sourceName: 'planted.tsv',
    format: 'tsv',
    transform: 'none',
    transposed: false,
  };
}

describe('planning a consensus run for a cluster', () => {
  it('puts every replicate fit in exactly one task, balanced by cost, over several seeds and task counts', () => {
    const rng = new Rng(17);
    for (let trial = 0; trial < 12; trial++) {
      const fromRank = 2 + Math.floor(rng.uniform() * 4);
      const toRank = fromRank + Math.floor(rng.uniform() * 6);
      const replicates = 2 + Math.floor(rng.uniform() * 20);
      const tasks = 1 + Math.floor(rng.uniform() * 40);
      const seed = Math.floor(rng.uniform() * 1000);
      const params = { fromRank, toRank, replicates, fit: { maxIter: 100, seed } };
      const { plan, files } = planClusterConsensus(plantedData(trial + 1), params, { tasks }, 1e8, 'now');
      const expected = planConsensusReplicates(params);
      expect(plan.kind).toBe('consensus');
      expect(plan.tasks).toBe(Math.min(tasks, expected.length));
      // Every (rank, replicate) once, with seed + replicate, in the local run's order.
      expect(plan.fits.map((f) => f.job)).toEqual(expected);
      expect(new Set(plan.fits.map((f) => f.id)).size).toBe(expected.length);
      for (const fit of plan.fits) expect(fit.seed).toBe(seed + (fit.job.replicate as number));
      // Longest-processing-time: no task carries more than the lightest plus one fit.
      const load = new Array<number>(plan.tasks).fill(0);
      for (const fit of plan.fits) load[fit.task] += fit.cost;
      const costliest = Math.max(...plan.fits.map((f) => f.cost));
      expect(Math.max(...load)).toBeLessThanOrEqual(Math.min(...load) + costliest);
      expect(load.every((l) => l > 0)).toBe(true);
      // A fit at a higher rank costs more.
      const byRank = new Map(plan.fits.map((f) => [f.rank, f.cost]));
      for (let k = fromRank + 1; k <= toRank; k++) expect(byRank.get(k)!).toBeGreaterThan(byRank.get(k - 1)!);
      // data.nmf is written in pieces from the data (cluster-data-file.ts), not held with these.
      expect(files.map((f) => f.path)).toEqual([
        'plan.json',
        'consensus.sbatch',
        'merge.sbatch',
        'README.md',
      ]);
    }
  });

  it('refuses parameters the local run refuses, and scheduler options SLURM would not take', () => {
    const data = plantedData(3);
    expect(() =>
      planClusterConsensus(data, { fromRank: 2, toRank: 3, replicates: 1 }, { tasks: 2 }, 1e8, 'now'),
    ).toThrow(/replicates/);
    expect(() =>
      planClusterConsensus(data, { fromRank: 2, toRank: 40, replicates: 3 }, { tasks: 2 }, 1e8, 'now'),
    ).toThrow(/rank/);
    expect(() =>
      planClusterConsensus(data, { fromRank: 2, toRank: 3, replicates: 3 }, { tasks: 0 }, 1e8, 'now'),
    ).toThrow(/tasks must be/);
    expect(() =>
      planClusterConsensus(
        data,
        { fromRank: 2, toRank: 3, replicates: 3 },
        { tasks: 2, time: 'soon' },
        1e8,
        'now',
      ),
    ).toThrow(/time limit/);
  });
});

describe("reading a job folder's data", () => {
  it('reads data.nmf straight into shared memory, equal to the planned data, and refuses a cut-short file', async () => {
    const data = plantedData(6);
    const job = join(dir, 'read');
    const planned = planClusterConsensus(
      data,
      { fromRank: 2, toRank: 2, replicates: 2 },
      { tasks: 1 },
      1e8,
      'now',
    );
    const { plan } = planned;
    await writeJobFolder(job, planned);
    for (const shared of [true, false]) {
      const read = await readPlanData(job, plan, { shared });
      expect(read.matrix.data.buffer instanceof SharedArrayBuffer).toBe(shared);
      expect(Array.from(read.matrix.data)).toEqual(Array.from(data.matrix.data));
      expect(read.rowNames).toEqual(data.rowNames);
      expect(read.hash).toBe(plan.data.hash);
    }
    const bytes = readFileSync(join(job, 'data.nmf'));
    for (const cut of [4, 20, bytes.length - 8]) {
      writeFileSync(join(job, 'data.nmf'), bytes.subarray(0, cut));
      await expect(readPlanData(job, plan, { shared: true })).rejects.toThrow(
        /is not an NMF Studio data file/,
      );
    }
    unlinkSync(join(job, 'data.nmf'));
    await expect(readPlanData(job, plan)).rejects.toThrow(/data\.nmf is missing/);
  });
});

describe('a consensus job folder run without a scheduler', () => {
  it('merges to the same consensus as the local run; a missing task is named with its command', async () => {
    const services = open();
    const data = plantedData(5, 40, 20);
    const params = { fromRank: 2, toRank: 3, replicates: 5, fit: { maxIter: 80, seed: 4 } };
    const job = join(dir, 'merge');
    const planned = planClusterConsensus(data, params, { tasks: 3 }, 1e8, 'now');
    const { plan } = planned;
    await writeJobFolder(job, planned);
    const log: string[] = [];
    for (const task of [0, 1]) await runClusterTask(services.ctx.pool, job, task, (line) => log.push(line));
    expect(log.some((line) => line.includes('k2/replicate/') || line.includes('k3/replicate/'))).toBe(true);

    // Task 2 missing: refused, naming its fits and the command that reruns it; nothing stored.
    const missing = plan.fits.filter((f) => f.task === 2).map((f) => f.id);
    const refusal = await mergeClusterConsensus(services.ctx, job).catch((error: Error) => error);
    expect(refusal).toBeInstanceOf(Error);
    for (const id of missing) expect((refusal as Error).message).toContain(id);
    expect((refusal as Error).message).toContain('sbatch --array=2 consensus.sbatch');
    expect(services.ctx.db.prepare('SELECT COUNT(*) AS n FROM consensus').get()).toEqual({ n: 0 });

    // A result with the wrong W shape is reported, and the rerun task replaces it.
    const spoiled = plan.fits.find((f) => f.task === 0)!;
    const path = join(job, 'results', spoiled.file);
    const envelope = decodeFrame(new Uint8Array(readFileSync(path))) as {
      result: { W: ReturnType<typeof dense> };
    };
    envelope.result.W = dense(40, 7);
    writeFileSync(path, encodeFrame(envelope));
    const problem = await mergeClusterConsensus(services.ctx, job).catch((error: Error) => error.message);
    expect(problem).toContain(`W is 40 × 7, expected 40 × ${spoiled.rank}`);
    expect(problem).toContain('sbatch --array=0,2 consensus.sbatch');
    for (const task of [0, 2]) await runClusterTask(services.ctx.pool, job, task, () => undefined);

    // A sweep merge is not a consensus merge.
    await expect(mergeClusterSweep(services.ctx, job)).rejects.toThrow(/not a sweep/);

    const merged = await mergeClusterConsensus(services.ctx, job);
    expect(merged.state).toBe('done');
    const detail = getConsensusDetail(services.ctx, merged.id);
    expect(detail.cluster?.planId).toBe(plan.planId);
    expect(detail.cluster?.tasks.map((t) => t.task)).toEqual([0, 1, 2]);
    // Merging the same folder again gives the consensus already stored.
    expect((await mergeClusterConsensus(services.ctx, job)).id).toBe(merged.id);

    // The same consensus run here: every rank's W and H bit for bit, the same statistics.
    const { dataset } = storeDataset(services.ctx, data.matrix, data.rowNames, data.colNames, {
      name: 'planted',
      sourceName: 'planted.tsv',
      format: 'tsv',
      transform: 'none',
      transposed: false,
    });
    expect(dataset.id).toBe(detail.datasetId);
    const localId = createConsensus(services.ctx, dataset.id, params);
    expect(await executeConsensus(services.ctx, localId)).toBe('done');
    const local = getConsensusDetail(services.ctx, localId);
    expect(local.cluster).toBeNull();
    expect(local.ranks.length).toBe(2);
    for (const [i, rank] of local.ranks.entries()) {
      const other = detail.ranks[i];
      expect(rank.runId).not.toBeNull();
      const a = getRunDetail(services.ctx, rank.runId!);
      const b = getRunDetail(services.ctx, other.runId!);
      expect(Buffer.from(b.W!.buffer).equals(Buffer.from(a.W!.buffer))).toBe(true);
      expect(Buffer.from(b.H!.buffer).equals(Buffer.from(a.H!.buffer))).toBe(true);
      expect({ ...other, runId: 0 }).toEqual({ ...rank, runId: 0 });
    }
  });

  it('exports a .tar.gz from the library, and importing the finished folder stores the consensus', async () => {
    const services = open();
    const data = plantedData(8);
    const { dataset } = storeDataset(services.ctx, data.matrix, data.rowNames, data.colNames, {
      name: 'planted',
      sourceName: 'planted.tsv',
      format: 'tsv',
      transform: 'none',
      transposed: false,
    });
    const params = { fromRank: 3, toRank: 3, replicates: 4, fit: { maxIter: 60, seed: 2 } };
    const planned = planConsensusArchive(services.ctx, dataset.id, params, { tasks: 2 }, 1e8);
    expect(planned.fileName).toMatch(/^nmf-consensus-planted-[0-9a-f]{6}\.tar\.gz$/);
    expect(planned).toMatchObject({ fits: 4, tasks: 2 });
    const offered = await offerClusterArchive(services.ctx, planned);
    const archive = await downloadWhole(services, offered.download.downloadId);
    // Unpacked as the app unpacks uploads: the folder the plan writes, byte for byte.
    const unpacked = join(dir, 'app-unpacked');
    const paths = await extractTarGz(archive, 1 << 30, unpacked);
    const { top } = planned;
    const inFolder = ['plan.json', 'data.nmf', 'consensus.sbatch', 'merge.sbatch', 'README.md'];
    expect(paths).toEqual([...inFolder, 'results/.keep', 'logs/.keep'].map((p) => `${top}/${p}`));
    const folder = join(dir, 'app');
    await writeJobFolder(folder, planned.folder);
    for (const name of inFolder)
      expect(readFileSync(join(unpacked, top, name)).equals(readFileSync(join(folder, name))), name).toBe(
        true,
      );
    const readme = readFileSync(join(folder, 'README.md'), 'utf8');
    expect(readme).toContain('jobid=$(sbatch --parsable consensus.sbatch)');
    expect(readme).toContain('New consensus');

    for (const task of [0, 1]) await runClusterTask(services.ctx.pool, folder, task, () => undefined);
    const pack = async (): Promise<string> => {
      const path = join(dir, `finished-${Math.random().toString(16).slice(2)}.tar.gz`);
      await writeTarGzFile(
        readdirSync(join(folder, 'results'))
          .filter((name) => name.endsWith('.result'))
          .map((name) => `results/${name}`)
          .concat(['plan.json', 'data.nmf'])
          .map((name) => ({ path: `job/${name}`, file: join(folder, name) })),
        0,
        path,
      );
      return path;
    };
    const plan = JSON.parse(readFileSync(join(folder, 'plan.json'), 'utf8')) as ClusterPlan;
    unlinkSync(join(folder, 'results', plan.fits[0].file));
    await expect(
      importConsensusClusterArchive(services.ctx, { fileName: 'early.tar.gz', path: await pack() }),
    ).rejects.toThrow(`have no result: ${plan.fits[0].id}.`);
    await runClusterTask(services.ctx.pool, folder, plan.fits[0].task, () => undefined);
    const merged = await importConsensusClusterArchive(services.ctx, {
      fileName: 'finished.tar.gz',
      path: await pack(),
    });
    expect(merged.state).toBe('done');
    expect(merged.datasetId).toBe(dataset.id);
    expect(getConsensusDetail(services.ctx, merged.id).ranks[0].runId).not.toBeNull();
  });
});
