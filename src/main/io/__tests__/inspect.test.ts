import { describe, expect, it } from 'vitest';
import { ImportError, inspectMatrixFile } from '../index';
import { CELLS, fixture, GENES, tempDirForEachTest } from './helpers';

const tmp = tempDirForEachTest();

describe('inspectMatrixFile', () => {
  it('shows the corner of a TSV with its header and row names', async () => {
    const p = await inspectMatrixFile(fixture('basic.tsv'), { maxRows: 2, maxCols: 2 });
    expect(p).toMatchObject({
      fileName: 'basic.tsv',
      format: 'tsv',
      delimiter: '\t',
      hasHeader: true,
      hasRowNames: true,
      rowNames: ['ACTB', 'GAPDH'],
      colNames: ['S1', 'S2'],
      estimatedRows: 4,
      estimatedCols: 3,
      rowsExact: true,
      compressed: false,
      transposedByDefault: false,
    });
    expect(p.cells).toEqual([
      ['gene', 'S1', 'S2'],
      ['ACTB', '1', '0'],
      ['GAPDH', '0', '5'],
    ]);
    expect(p.hints).toContain('Row names look like genes: rows are features, as NMF Studio expects.');
  });

  it('detects a table without header or row names', async () => {
    const p = await inspectMatrixFile(fixture('no-names.txt'));
    expect(p).toMatchObject({
      hasHeader: false,
      hasRowNames: false,
      delimiter: ' ',
      estimatedCols: 3,
      estimatedRows: 2,
    });
    expect(p.hints).toContain('No header row detected: columns will be named sample1, sample2, …');
  });

  it('suggests a transpose when rows look like cells or columns like genes', async () => {
    const barcodes = tmp.file('cells.csv', `cell,A,B\n${CELLS.map((c) => `${c},1,2`).join('\n')}\n`);
    expect((await inspectMatrixFile(barcodes)).hints[0]).toMatch(
      /^Row names look like cell barcodes: .* import with transpose\.$/,
    );
    const genesAsColumns = tmp.file(
      'samples.tsv',
      `sample\t${GENES.join('\t')}\ns1\t1\t2\t3\t4\ns2\t1\t2\t3\t4\n`,
    );
    expect((await inspectMatrixFile(genesAsColumns)).hints[0]).toMatch(
      /^Column names look like genes: .* import with transpose\.$/,
    );
    const wide = tmp.file(
      'wide.tsv',
      `id\t${Array.from({ length: 1200 }, (_, j) => `x${j}`).join('\t')}\nr1${'\t1'.repeat(1200)}\n`,
    );
    expect((await inspectMatrixFile(wide)).hints[0]).toMatch(
      /^There are far more columns \(1200\) than rows \(about 1\)/,
    );
  });

  it('warns about negative values', async () => {
    const p = await inspectMatrixFile(tmp.file('z.tsv', 'g\ta\nx\t-1.5\n'));
    expect(p.hints).toContain(
      'Some values are negative: NMF needs non-negative data (z-scores or log-ratios cannot be factored).',
    );
  });

  it('estimates the rows of a big file from the bytes it read', async () => {
    const line = `gene${'\t12'.repeat(100)}\n`;
    const text = `h${'\tc'.repeat(100)}\n${line.repeat(5000)}`;
    const plain = await inspectMatrixFile(tmp.file('big.tsv', text));
    expect(plain.rowsExact).toBe(false);
    expect(Math.abs((plain.estimatedRows ?? 0) - 5000)).toBeLessThan(100);
    expect(plain.cells.length).toBe(21);
    const gz = await inspectMatrixFile(tmp.file('big.tsv.gz', text));
    expect(gz.compressed).toBe(true);
    expect(Math.abs((gz.estimatedRows ?? 0) - 5000)).toBeLessThan(100);
  });

  it('reads a Matrix Market header and 10x names', async () => {
    const p = await inspectMatrixFile(fixture('10x/matrix.mtx.gz'), { maxRows: 2, maxCols: 2 });
    expect(p).toMatchObject({
      format: 'mtx',
      compressed: true,
      estimatedRows: 4,
      estimatedCols: 3,
      nnz: 5,
      rowsExact: true,
      rowNames: GENES.slice(0, 2),
      colNames: CELLS.slice(0, 2),
    });
    expect(p.cells).toEqual([
      ['', ...CELLS.slice(0, 2)],
      ['ACTB', '1', ''],
      ['GAPDH', '', '5'],
    ]);
  });

  it('reads the header and corner of .npy without reading the rest', async () => {
    const p = await inspectMatrixFile(fixture('v-fortran.npy'), { maxRows: 2, maxCols: 3 });
    expect(p).toMatchObject({ format: 'npy', dtype: '<f8', estimatedRows: 4, estimatedCols: 3 });
    expect(p.cells.slice(1)).toEqual([
      ['row1', '1', '0', '3'],
      ['row2', '0', '5', '0'],
    ]);
  });

  it('previews AnnData as stored and says it will be transposed', async () => {
    for (const name of ['dense.h5ad', 'csr.h5ad', 'csc.h5ad']) {
      const p = await inspectMatrixFile(fixture(name), { maxRows: 2, maxCols: 4 });
      expect(p).toMatchObject({
        format: 'h5ad',
        estimatedRows: 3,
        estimatedCols: 4,
        transposedByDefault: true,
      });
      expect(p.rowNames).toEqual(CELLS.slice(0, 2));
      expect(p.colNames).toEqual(GENES);
      expect(p.cells.slice(1)).toEqual([
        [CELLS[0], '1', '0', '2', '0'],
        [CELLS[1], '0', '5', '0', '0'],
      ]);
      expect(p.hints[0]).toBe(
        'AnnData stores cells × genes (3 × 4); it will be imported transposed, as genes × cells.',
      );
    }
  });

  it('previews a 10x .h5', async () => {
    const p = await inspectMatrixFile(fixture('10x-v3.h5'), { maxRows: 4, maxCols: 3 });
    expect(p).toMatchObject({
      format: '10x-h5',
      estimatedRows: 4,
      estimatedCols: 3,
      nnz: 5,
      rowNames: GENES,
      colNames: CELLS,
    });
    expect(p.cells[4]).toEqual(['MALAT1', '0', '0', '8']);
  });

  it('refuses empty and unreadable files with ImportError', async () => {
    await expect(inspectMatrixFile(tmp.file('e.tsv', ''))).rejects.toBeInstanceOf(ImportError);
    await expect(inspectMatrixFile(tmp.file('e.h5ad', 'nope'))).rejects.toThrow(
      'e.h5ad: is not an HDF5 file (no HDF5 signature)',
    );
  });
});
