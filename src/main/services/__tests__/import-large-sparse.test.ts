import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type h5wasm from 'h5wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataMatrix } from '../../../shared/linalg/matrix';
import { Rng } from '../../../shared/linalg/random';
import { toBlob } from '../../db/blobs';
import { CHUNK_BYTES } from '../../db/queries/datasets';
import { contentHash, importDatasetFile, type ImportOptions } from '../datasets';
import { servicesInTempFolders } from './harness';

/**
 * Sparse single-cell files (AnnData CSR, CSC and dense X; 10x .h5; Matrix Market) imported through
 * the services are stored exactly as the matrix built the plain way — every entry put at its
 * (gene, cell) place, rows ordered by cell — would be: the same content hash and the same chunk
 * BLOBs, byte for byte, over several seeds, with a matrix large enough to span several read blocks
 * (2²⁰ entries) and several stored chunks (8 MiB). A file refused late in the read, or an import
 * cancelled half-way, leaves nothing in the library.
 */
const start = servicesInTempFolders('nmf-import-large-');
let dir: string;

/** A planted count table, genes × cells, as (gene, cell, value) triples in cell-major order. */
interface Table {
  genes: number;
  cells: number;
  /** Per cell, its genes (increasing) and values. */
  byCell: Array<{ genes: number[]; values: number[] }>;
}

function table(genes: number, cells: number, density: number, seed: number): Table {
  const rng = new Rng(seed);
  const byCell: Table['byCell'] = [];
  for (let j = 0; j < cells; j++) {
    const entry = { genes: [] as number[], values: [] as number[] };
    // Every 7th cell and gene 3 stay empty: empty rows and columns must survive the transpose.
    if (j % 7 !== 6) {
      for (let i = 0; i < genes; i++) {
        if (i === 3 || rng.uniform() >= density) continue;
        entry.genes.push(i);
        // Mostly counts, a few non-integers (float32-exact, as AnnData stores float32).
        entry.values.push(rng.uniform() < 0.05 ? 0.5 + rng.int(40) : 1 + rng.int(60));
      }
    }
    byCell.push(entry);
  }
  return { genes, cells, byCell };
}

/** The plain genes × cells CSR of a table: each gene's entries gathered over the cells in order. */
function plainCsr(t: Table): DataMatrix {
  const indptr = new Int32Array(t.genes + 1);
  for (const { genes } of t.byCell) for (const g of genes) indptr[g + 1]++;
  for (let i = 0; i < t.genes; i++) indptr[i + 1] += indptr[i];
  const indices = new Int32Array(indptr[t.genes]);
  const data = new Float64Array(indptr[t.genes]);
  const fill = indptr.slice(0, t.genes);
  t.byCell.forEach(({ genes, values }, j) =>
    genes.forEach((g, q) => {
      indices[fill[g]] = j;
      data[fill[g]++] = values[q];
    }),
  );
  return { kind: 'csr', rows: t.genes, cols: t.cells, indptr, indices, data };
}

function plainDense(t: Table): DataMatrix {
  const data = new Float64Array(t.genes * t.cells);
  t.byCell.forEach(({ genes, values }, j) => genes.forEach((g, q) => (data[g * t.cells + j] = values[q])));
  return { kind: 'dense', rows: t.genes, cols: t.cells, data };
}

const geneNames = (t: Table): string[] => Array.from({ length: t.genes }, (_, i) => `g${i + 1}`);
const cellNames = (t: Table): string[] => Array.from({ length: t.cells }, (_, j) => `c${j + 1}`);

type H5 = typeof h5wasm;
async function h5(): Promise<H5> {
  const module = (await import('h5wasm/node')).default;
  await module.ready;
  return module;
}

function dataframe(file: InstanceType<H5['File']>, name: string, index: string[]): void {
  const group = file.create_group(name);
  group.create_attribute('_index', '_index');
  group.create_attribute('encoding-type', 'dataframe');
  group.create_attribute('encoding-version', '0.2.0');
  group.create_dataset({ name: '_index', data: index });
}

/** AnnData with X cells × genes stored as CSR, CSC or dense (float32, as anndata writes counts). */
async function writeH5ad(path: string, t: Table, layout: 'csr' | 'csc' | 'dense'): Promise<void> {
  const lib = await h5();
  const file = new lib.File(path, 'w');
  try {
    file.create_attribute('encoding-type', 'anndata');
    file.create_attribute('encoding-version', '0.1.0');
    if (layout === 'dense') {
      const x = new Float32Array(t.cells * t.genes);
      t.byCell.forEach(({ genes, values }, j) => genes.forEach((g, q) => (x[j * t.genes + g] = values[q])));
      file.create_dataset({ name: 'X', data: x, shape: [t.cells, t.genes] });
    } else {
      // CSR: major = cells, minor = genes; CSC: major = genes, minor = cells.
      const majors: Array<Array<[number, number]>> = Array.from(
        { length: layout === 'csr' ? t.cells : t.genes },
        () => [],
      );
      t.byCell.forEach(({ genes, values }, j) =>
        genes.forEach((g, q) =>
          (layout === 'csr' ? majors[j] : majors[g]).push([layout === 'csr' ? g : j, values[q]]),
        ),
      );
      const flat = majors.flat();
      const indptr = new BigInt64Array(majors.length + 1);
      majors.forEach((m, k) => (indptr[k + 1] = indptr[k] + BigInt(m.length)));
      const X = file.create_group('X');
      X.create_attribute('encoding-type', `${layout}_matrix`);
      X.create_attribute('encoding-version', '0.1.0');
      X.create_attribute('shape', new BigInt64Array([BigInt(t.cells), BigInt(t.genes)]));
      X.create_dataset({ name: 'data', data: Float32Array.from(flat, ([, v]) => v) });
      X.create_dataset({ name: 'indices', data: Int32Array.from(flat, ([m]) => m) });
      X.create_dataset({ name: 'indptr', data: indptr });
    }
    dataframe(file, 'obs', cellNames(t));
    dataframe(file, 'var', geneNames(t));
  } finally {
    file.close();
  }
}

/** A 10x Genomics .h5 (Cell Ranger ≥ 3): CSC genes × cells under /matrix, integer counts. */
async function writeTenX(path: string, t: Table): Promise<void> {
  const lib = await h5();
  const file = new lib.File(path, 'w');
  try {
    const counts = t.byCell.flatMap(({ values }) => values.map(Math.round));
    const indptr = new BigInt64Array(t.cells + 1);
    t.byCell.forEach(({ genes }, j) => (indptr[j + 1] = indptr[j] + BigInt(genes.length)));
    const matrix = file.create_group('matrix');
    matrix.create_dataset({ name: 'data', data: Int32Array.from(counts) });
    matrix.create_dataset({
      name: 'indices',
      data: BigInt64Array.from(
        t.byCell.flatMap((c) => c.genes),
        BigInt,
      ),
    });
    matrix.create_dataset({ name: 'indptr', data: indptr });
    matrix.create_dataset({ name: 'shape', data: new Int32Array([t.genes, t.cells]) });
    matrix.create_dataset({ name: 'barcodes', data: cellNames(t), dtype: 'S8' });
    const features = matrix.create_group('features');
    features.create_dataset({ name: 'id', data: geneNames(t), dtype: 'S8' });
    features.create_dataset({ name: 'name', data: geneNames(t), dtype: 'S8' });
  } finally {
    file.close();
  }
}

/** Matrix Market genes × cells, entries in cell order as Cell Ranger writes them, with companions. */
function writeMtx(folder: string, t: Table): string {
  const lines = t.byCell.flatMap(({ genes, values }, j) =>
    genes.map((g, q) => `${g + 1} ${j + 1} ${values[q]}`),
  );
  const path = join(folder, 'matrix.mtx');
  writeFileSync(
    path,
    `%%MatrixMarket matrix coordinate real general\n${t.genes} ${t.cells} ${lines.length}\n${lines.join('\n')}\n`,
  );
  writeFileSync(
    join(folder, 'features.tsv'),
    geneNames(t)
      .map((g) => `${g}\t${g}\tGene Expression\n`)
      .join(''),
  );
  writeFileSync(
    join(folder, 'barcodes.tsv'),
    cellNames(t)
      .map((c) => `${c}\n`)
      .join(''),
  );
  return path;
}

/** The chunk rows a stored matrix should have: each part's bytes cut at CHUNK_BYTES. */
function expectedChunks(matrix: DataMatrix): Array<{ part: string; seq: number; data: Buffer }> {
  const parts: Array<[string, Float64Array | Int32Array]> =
    matrix.kind === 'dense'
      ? [['values', matrix.data]]
      : [
          ['values', matrix.data],
          ['indptr', matrix.indptr],
          ['indices', matrix.indices],
        ];
  return parts.flatMap(([part, array]) => {
    const bytes = toBlob(array);
    const out: Array<{ part: string; seq: number; data: Buffer }> = [];
    for (let offset = 0, seq = 0; offset < bytes.length || seq === 0; offset += CHUNK_BYTES, seq++) {
      out.push({
        part,
        seq,
        data: Buffer.from(bytes.subarray(offset, Math.min(bytes.length, offset + CHUNK_BYTES))),
      });
    }
    return out;
  });
}

const options: ImportOptions = { transpose: false, header: true, rowNames: true, transform: 'none' };

async function importAndCompare(
  path: string,
  expected: DataMatrix,
  t: Table,
  integer = false,
): Promise<void> {
  const services = start();
  const { dataset, existing } = await importDatasetFile(services.ctx, path, options);
  expect(existing).toBe(false);
  expect([dataset.rows, dataset.cols, dataset.layout]).toEqual([expected.rows, expected.cols, expected.kind]);
  expect(dataset.hash).toBe(contentHash(expected, geneNames(t), cellNames(t), 'none'));
  const stored = services.ctx.db
    .prepare('SELECT part, seq, data FROM dataset_chunks WHERE dataset_id = ? ORDER BY part, seq')
    .all(dataset.id) as Array<{ part: string; seq: number; data: Buffer }>;
  const wanted = expectedChunks(expected).sort((a, b) => a.part.localeCompare(b.part) || a.seq - b.seq);
  expect(stored.map((c) => [c.part, c.seq, c.data.byteLength])).toEqual(
    wanted.map((c) => [c.part, c.seq, c.data.byteLength]),
  );
  stored.forEach((chunk, q) => expect(chunk.data.equals(wanted[q].data)).toBe(true));
  expect(dataset.integer).toBe(integer);
}

/** Rounded counts: the 10x file holds integers. */
function rounded(t: Table): Table {
  return { ...t, byCell: t.byCell.map(({ genes, values }) => ({ genes, values: values.map(Math.round) })) };
}

/** 1600 genes × 3200 cells at 25 % (6 cells in 7): ~1.1 × 10⁶ entries, 2 read blocks, 2 value chunks. */
let big: Table | null = null;
function bigTable(): Table {
  big ??= table(1600, 3200, 0.25, 9);
  return big;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nmf-import-large-files-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sparse single-cell imports are stored as the plain transpose would store them', () => {
  it.each([1, 2, 3])('h5ad with CSR, CSC and dense X (seed %i)', async (seed) => {
    const t = table(40, 260, 0.25, seed);
    for (const layout of ['csr', 'csc', 'dense'] as const) {
      const path = join(dir, `s${seed}-${layout}.h5ad`);
      await writeH5ad(path, t, layout);
      await importAndCompare(path, layout === 'dense' ? plainDense(t) : plainCsr(t), t);
    }
  });

  it.each([4, 5])('10x .h5 and Matrix Market (seed %i)', async (seed) => {
    const t = rounded(table(35, 300, 0.3, seed));
    const tenX = join(dir, `s${seed}.h5`);
    await writeTenX(tenX, t);
    await importAndCompare(tenX, plainCsr(t), t, true);
    const folder = mkdtempSync(join(dir, `mtx${seed}-`));
    await importAndCompare(writeMtx(folder, t), plainCsr(t), t, true);
  });

  it('a CSR h5ad spanning several read blocks and stored chunks', { timeout: 60_000 }, async () => {
    const t = bigTable();
    const path = join(dir, 'large.h5ad');
    await writeH5ad(path, t, 'csr');
    const expected = plainCsr(t);
    expect(expected.kind === 'csr' && expected.data.byteLength > CHUNK_BYTES).toBe(true);
    await importAndCompare(path, expected, t);
  });
});

describe('a refused or cancelled large import stores nothing', () => {
  const emptyLibrary = (services: ReturnType<typeof start>): void => {
    const count = (sql: string): number => (services.ctx.db.prepare(sql).get() as { n: number }).n;
    expect(count('SELECT COUNT(*) AS n FROM datasets')).toBe(0);
    expect(count('SELECT COUNT(*) AS n FROM dataset_chunks')).toBe(0);
  };

  it('refuses a negative value in the last read block, naming it, and stores nothing', async () => {
    const big = bigTable();
    const t = { ...big, byCell: big.byCell.map(({ genes, values }) => ({ genes, values: values.slice() })) };
    const last = t.byCell.filter((c) => c.genes.length > 0).at(-1) as Table['byCell'][number];
    last.values[last.values.length - 1] = -3;
    const path = join(dir, 'negative.h5ad');
    await writeH5ad(path, t, 'csr');
    const services = start();
    await expect(importDatasetFile(services.ctx, path, options)).rejects.toThrow(/-3/);
    emptyLibrary(services);
  });

  it('stores nothing when cancelled half-way through the read', async () => {
    const path = join(dir, 'cancelled.h5ad');
    await writeH5ad(path, bigTable(), 'csr');
    const services = start();
    const controller = new AbortController();
    const phases: number[] = [];
    await expect(
      importDatasetFile(services.ctx, path, options, {
        signal: controller.signal,
        onProgress: (p) => {
          phases.push(p.bytesRead);
          if (p.bytesRead > p.totalBytes / 3) controller.abort();
        },
      }),
    ).rejects.toThrow(/cancel/);
    expect(phases.length).toBeGreaterThan(0);
    emptyLibrary(services);
  });
});
