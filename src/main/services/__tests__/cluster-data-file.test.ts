import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_DATA_FORMAT, CLUSTER_PLAN_VERSION } from '../../../shared/analysis/cluster-plan';
import { encodeFrame } from '../../../shared/api';
import type { DataMatrix } from '../../../shared/linalg/matrix';
import { Rng } from '../../../shared/linalg/random';
import {
  clusterDataOfDataset,
  planClusterSweep,
  readPlanData,
  writeDataFile,
  writeJobFolder,
  type ClusterData,
} from '../cluster';
import type { ServiceContext } from '../context';
import { contentHash, getDatasetSummary, loadDataset, storeDataset } from '../datasets';
import { servicesInTempFolders } from './harness';

/**
 * data.nmf written in pieces (cluster-data-file.ts): the same bytes as `encodeFrame` of the whole
 * data file — what the planner wrote before — from the library's chunks and from a matrix in
 * memory; read back by the tasks with its hash; a damaged library refused with nothing left.
 */

const open = servicesInTempFolders('nmf-cluster-data-');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nmf-cluster-data-folders-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const names = (prefix: string, n: number): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

/** Seeded counts, `density` of them stored, as CSR. */
function sparseCounts(rows: number, cols: number, density: number, seed: number): DataMatrix {
  const rng = new Rng(seed);
  const indptr = new Int32Array(rows + 1);
  const indices: number[] = [];
  const data: number[] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      if (rng.uniform() >= density) continue;
      indices.push(j);
      data.push(1 + Math.floor(rng.uniform() * 20));
    }
    indptr[i + 1] = indices.length;
  }
  return {
    kind: 'csr',
    rows,
    cols,
    indptr,
    indices: Int32Array.from(indices),
    data: Float64Array.from(data),
  };
}

function denseValues(rows: number, cols: number, seed: number): DataMatrix {
  const rng = new Rng(seed);
  const data = new Float64Array(rows * cols).map(() => Math.floor(rng.uniform() * 9));
  return { kind: 'dense', rows, cols, data };
}

/** The folder data the planner held in memory before, for a stored dataset (loadDataset). */
function loadedClusterData(ctx: ServiceContext, id: number): ClusterData {
  const summary = getDatasetSummary(ctx, id);
  const { matrix, rowNames, colNames } = loadDataset(ctx, id);
  return {
    matrix,
    rowNames,
    colNames,
    name: summary.name,
    sourceName: summary.sourceName,
    format: summary.format,
    transform: summary.transform,
    transposed: summary.transposed,
  };
}

/** What the planner wrote as data.nmf before: the whole data file encoded at once. */
function encodedWhole(data: ClusterData): Buffer {
  const hash = contentHash(data.matrix, data.rowNames, data.colNames, data.transform);
  return Buffer.from(
    encodeFrame({ ...data, fileFormat: CLUSTER_DATA_FORMAT, version: CLUSTER_PLAN_VERSION, hash }),
  );
}

const sweep = { fromRank: 2, toRank: 3, replicates: 2, fit: { maxIter: 20 } };

describe("a job folder's data.nmf written in pieces", () => {
  it('is the frame encodeFrame makes of the loaded dataset, from the library (sparse over several chunks, dense) and from memory', async () => {
    const services = open();
    // 1.2·10⁶ stored values: 9.6 MB of them, more than one 8 MiB library chunk.
    const cases = [
      { matrix: sparseCounts(300, 5000, 0.8, 1), transform: 'none' as const, transposed: true },
      { matrix: denseValues(50, 40, 2), transform: 'log1p' as const, transposed: false },
    ];
    for (const [c, { matrix, transform, transposed }] of cases.entries()) {
      const { dataset } = storeDataset(
        services.ctx,
        matrix,
        names('gene-', matrix.rows),
        names('cell "α"-', matrix.cols),
        { name: `set ${c}`, sourceName: `set${c}.h5ad`, format: 'h5ad', transform, transposed },
      );
      const loaded = loadedClusterData(services.ctx, dataset.id);
      const whole = encodedWhole(loaded);

      const planned = planClusterSweep(
        clusterDataOfDataset(services.ctx, dataset.id),
        sweep,
        { tasks: 2 },
        1e8,
        'now',
      );
      expect(planned.plan.data.hash).toBe(dataset.hash);
      expect(planned.plan.data).toMatchObject({ rows: matrix.rows, cols: matrix.cols, layout: matrix.kind });
      const job = join(dir, `library-${c}`);
      await writeJobFolder(job, planned);
      expect(readFileSync(join(job, 'data.nmf')).equals(whole), `data.nmf of ${matrix.kind} data`).toBe(true);

      // An array task reads it back with its hash checked, into shared memory.
      const read = await readPlanData(job, planned.plan, { shared: true });
      expect(read.hash).toBe(dataset.hash);
      expect(Buffer.from(read.matrix.data.buffer).equals(Buffer.from(loaded.matrix.data.buffer))).toBe(true);

      // A matrix in memory (a file given to the command line) is written in pieces the same way.
      const fromMemory = join(dir, `memory-${c}.nmf`);
      expect(await writeDataFile(fromMemory, loaded, dataset.hash)).toBe(whole.length);
      expect(readFileSync(fromMemory).equals(whole)).toBe(true);
      // The same plan of the same data as from the library, but for its random id.
      const inMemoryPlan = planClusterSweep(loaded, sweep, { tasks: 2 }, 1e8, 'now').plan;
      expect({ ...inMemoryPlan, planId: '' }).toEqual({ ...planned.plan, planId: '' });
    }
  });

  it('refuses a dataset whose chunks no longer hash as the library recorded, leaving no data.nmf', async () => {
    const services = open();
    const { dataset } = storeDataset(
      services.ctx,
      sparseCounts(40, 30, 0.5, 3),
      names('g', 40),
      names('s', 30),
      {
        name: 'damaged',
        sourceName: 'damaged.tsv',
        format: 'tsv',
        transform: 'none',
        transposed: false,
      },
    );
    const chunk = services.ctx.db
      .prepare("SELECT data FROM dataset_chunks WHERE dataset_id = ? AND part = 'values' AND seq = 0")
      .get(dataset.id) as { data: Buffer };
    const changed = Buffer.from(chunk.data);
    changed[3] ^= 0x40;
    const update = services.ctx.db.prepare(
      "UPDATE dataset_chunks SET data = ?, checksum = ? WHERE dataset_id = ? AND part = 'values' AND seq = 0",
    );
    const planned = (): ReturnType<typeof planClusterSweep> =>
      planClusterSweep(clusterDataOfDataset(services.ctx, dataset.id), sweep, { tasks: 1 }, 1e8, 'now');

    // A changed value whose chunk checksum was rewritten with it: only the content hash sees it.
    update.run(changed, crc32(changed), dataset.id);
    const job = join(dir, 'damaged');
    await expect(writeJobFolder(job, planned())).rejects.toThrow(
      /dataset \d+ \("damaged"\) is damaged in the library: its matrix hashes to [0-9a-f]{16}…, the library recorded/,
    );
    expect(existsSync(join(job, 'data.nmf'))).toBe(false);
    expect(existsSync(join(job, 'plan.json'))).toBe(false);
    expect(readdirSync(job).filter((name) => name.endsWith('.tmp'))).toEqual([]);

    // A chunk that does not match its checksum is named, as loading the dataset names it.
    update.run(changed, crc32(chunk.data), dataset.id);
    await expect(writeJobFolder(join(dir, 'corrupt'), planned())).rejects.toThrow(/chunk 0 of its values/);
    expect(existsSync(join(dir, 'corrupt', 'data.nmf'))).toBe(false);
  });
});
