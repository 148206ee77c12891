import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { plantCellModules, sampleCellMatrix } from '../../../shared/analysis/synthetic-cells';
import { toDense } from '../../../shared/linalg/ops';
import { writeCellsH5ad, writeCellsMtx } from '../cell-writers';
import { readMatrixFile } from '../read';

/**
 * The streamed writers of generated cells: what the importers read back equals the in-memory
 * sample of the same model (same seed, same cells), as genes × cells with the generated names.
 */
const dir = mkdtempSync(join(tmpdir(), 'nmf-cells-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('generated cell writers', () => {
  const model = plantCellModules({ features: 40, cells: 700, rank: 3, seed: 2 });
  const expected = toDense(sampleCellMatrix(model).V);

  it('writes Matrix Market with features.tsv and barcodes.tsv, read back as genes × cells', async () => {
    const written = writeCellsMtx(dir, model, { flushEntries: 500 });
    expect(readFileSync(written.file, 'utf8').split('\n', 3)[2]).toBe(`40 700 ${written.nnz}`);
    const read = await readMatrixFile(written.file);
    expect(read.matrix.rows).toBe(40);
    expect(read.matrix.cols).toBe(700);
    expect(Array.from(toDense(read.matrix).data)).toEqual(Array.from(expected.data));
    expect(read.rowNames.slice(0, 2)).toEqual(['gene1', 'gene2']);
    expect(read.colNames[699]).toBe('cell700');
  });

  it('writes AnnData with CSR X (cells × genes), read back transposed to genes × cells', async () => {
    const path = join(dir, 'cells.h5ad');
    // Small flushes: X/data and X/indices grow by many appends.
    const written = await writeCellsH5ad(path, model, { flushEntries: 500 });
    expect(written.nnz).toBe(sampleCellMatrix(model).V.data.length);
    const read = await readMatrixFile(path);
    expect(read.matrix.kind).toBe('csr');
    expect(read.matrix.rows).toBe(40);
    expect(read.matrix.cols).toBe(700);
    expect(Array.from(toDense(read.matrix).data)).toEqual(Array.from(expected.data));
    expect(read.rowNames[39]).toBe('gene40');
    expect(read.colNames[0]).toBe('cell1');
  });
});
