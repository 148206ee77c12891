import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadH5wasm } from '../hdf5';
import { readMatrixFile } from '../index';
import type { ReadProgress } from '../index';
import { CELLS, fixture, GENES, refusal, tempDirForEachTest, toRows, transposeRows, V } from './helpers';

const tmp = tempDirForEachTest();

const VI = V.map((row) => row.map((v) => (v === 7.5 ? 7 : v)));

describe('Matrix Market', () => {
  it.each([
    ['v-real.mtx', V],
    ['v-integer.mtx', VI],
    ['v-array.mtx', V],
  ])('reads %s as written by SciPy', async (name, expected) => {
    const r = await readMatrixFile(fixture(name));
    expect(r.format).toBe('mtx');
    expect(toRows(r.matrix)).toEqual(expected);
    expect(r.nnz).toBe(5);
    expect(r.rowNames).toEqual(['feature1', 'feature2', 'feature3', 'feature4']);
    expect(r.colNames).toEqual(['sample1', 'sample2', 'sample3']);
  });

  it('builds CSR for coordinate files and dense for array files', async () => {
    expect((await readMatrixFile(fixture('v-real.mtx'))).matrix.kind).toBe('csr');
    expect((await readMatrixFile(fixture('v-array.mtx'))).matrix.kind).toBe('dense');
  });

  it('reads pattern matrices as ones', async () => {
    const r = await readMatrixFile(fixture('v-pattern.mtx'));
    expect(toRows(r.matrix)).toEqual(V.map((row) => row.map((v) => (v === 0 ? 0 : 1))));
  });

  it('mirrors symmetric coordinate and array files', async () => {
    const S = [
      [2, 1, 0],
      [1, 0, 4],
      [0, 4, 3],
    ];
    expect(toRows((await readMatrixFile(fixture('symmetric.mtx'))).matrix)).toEqual(S);
    expect(toRows((await readMatrixFile(fixture('symmetric-array.mtx'))).matrix)).toEqual(S);
  });

  it('transposes while reading', async () => {
    const r = await readMatrixFile(fixture('v-real.mtx'), { transpose: true });
    expect(r.transposed).toBe(true);
    expect(toRows(r.matrix)).toEqual(transposeRows(V));
    expect(toRows((await readMatrixFile(fixture('v-array.mtx'), { transpose: true })).matrix)).toEqual(
      transposeRows(V),
    );
  });

  it('sums duplicates, drops explicit zeros and sorts unsorted entries', async () => {
    const path = tmp.file(
      'dup.mtx',
      '%%MatrixMarket matrix coordinate real general\n2 3 5\n2 3 1\n1 2 1.5\n1 2 2\n2 1 0\n1 1 4\n',
    );
    const r = await readMatrixFile(path);
    if (r.matrix.kind !== 'csr') throw new Error('expected CSR');
    expect(Array.from(r.matrix.indptr)).toEqual([0, 2, 3]);
    expect(Array.from(r.matrix.indices)).toEqual([0, 1, 2]);
    expect(Array.from(r.matrix.data)).toEqual([4, 3.5, 1]);
  });

  it('reads a 10x folder: gzipped matrix with features and barcodes beside it', async () => {
    const r = await readMatrixFile(fixture('10x/matrix.mtx.gz'));
    expect(r.rowNames).toEqual(GENES);
    expect(r.colNames).toEqual(CELLS);
    expect(toRows(r.matrix)).toEqual(VI);
    expect(r.warnings).toContain('feature names from features.tsv.gz');
    const t = await readMatrixFile(fixture('10x/matrix.mtx.gz'), { transpose: true });
    expect(t.rowNames).toEqual(CELLS);
    expect(t.colNames).toEqual(GENES);
    expect(toRows(t.matrix)).toEqual(transposeRows(VI));
  });

  it('finds prefixed GEO-style names files and genes.tsv', async () => {
    tmp.file('GSM1_matrix.mtx', '%%MatrixMarket matrix coordinate integer general\n2 2 2\n1 1 3\n2 2 4\n');
    tmp.file('GSM1_genes.tsv', 'ENSG1\tACTB\nENSG2\tGAPDH\n');
    tmp.file('GSM1_barcodes.tsv.gz', 'AAAC-1\nAAAG-1\n');
    const r = await readMatrixFile(join(tmp.dir, 'GSM1_matrix.mtx'));
    expect(r.rowNames).toEqual(['ACTB', 'GAPDH']);
    expect(r.colNames).toEqual(['AAAC-1', 'AAAG-1']);
  });

  it('reads a cells × genes matrix.mtx transposed, as its names files show', async () => {
    tmp.file('matrix.mtx', '%%MatrixMarket matrix coordinate integer general\n3 2 2\n1 1 3\n3 2 4\n');
    tmp.file('features.tsv', 'E1\tA\tGene Expression\nE2\tB\tGene Expression\n');
    tmp.file('barcodes.tsv', 'c1\nc2\nc3\n');
    const r = await readMatrixFile(join(tmp.dir, 'matrix.mtx'));
    expect(r.rowNames).toEqual(['A', 'B']);
    expect(r.colNames).toEqual(['c1', 'c2', 'c3']);
    expect(toRows(r.matrix)).toEqual([
      [3, 0, 0],
      [0, 0, 4],
    ]);
    expect(r.transposed).toBe(true);
    expect(r.warnings[0]).toBe(
      'matrix.mtx is cells × genes (its 3 rows match the barcodes): it was transposed so that rows are genes',
    );
  });

  it('refuses names files that do not match the matrix', async () => {
    tmp.file('matrix.mtx', '%%MatrixMarket matrix coordinate integer general\n3 2 1\n1 1 3\n');
    tmp.file('features.tsv', 'E1\tA\nE2\tB\nE3\tC\nE4\tD\n');
    const e = await refusal(join(tmp.dir, 'matrix.mtx'));
    expect(e.message).toBe('features.tsv: has 4 names, expected 3 (the rows of matrix.mtx)');
    tmp.file('features.tsv', 'E1\tA\nE2\tB\nE3\tC\n');
    tmp.file('barcodes.tsv', 'c1\n');
    expect((await refusal(join(tmp.dir, 'matrix.mtx'))).message).toBe(
      'barcodes.tsv: has 1 names, expected 2 (the columns of matrix.mtx)',
    );
  });

  it.each([
    [
      '%%MatrixMarket matrix coordinate real general\n2 2 1\n1 2 -2\n',
      'm.mtx: line 3, row 1, column 2: "-2" is negative (NMF needs non-negative data)',
    ],
    [
      '%%MatrixMarket matrix coordinate real general\n2 2 1\n1 2 abc\n',
      'm.mtx: line 3, row 1, column 2: "abc" is not a number',
    ],
    [
      '%%MatrixMarket matrix coordinate real general\n2 2 1\n1 2 inf\n',
      'm.mtx: line 3, row 1, column 2: "inf" is infinite (NMF needs finite values)',
    ],
    [
      '%%MatrixMarket matrix coordinate real general\n% c\n2 2 1\n3 1 1\n',
      'm.mtx: line 4: row index 3 is outside 1..2 (line 3)',
    ],
    [
      '%%MatrixMarket matrix coordinate real general\n2 2 1\n1 0 1\n',
      'm.mtx: line 3: column index 0 is outside 1..2 (line 2)',
    ],
    [
      '%%MatrixMarket matrix coordinate real general\n2 2 1\nx 1 1\n',
      'm.mtx: line 3: "x" is not a row index',
    ],
    [
      '%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 1\n2 2 2\n',
      'm.mtx: line 4: more entries than the 1 declared on line 2',
    ],
    [
      '%%MatrixMarket matrix coordinate real general\n2 2 3\n1 1 1\n',
      'm.mtx: has 1 entries, but line 2 declares 3',
    ],
    [
      '%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 1 9\n',
      'm.mtx: line 3: has more fields than an entry holds',
    ],
    [
      '%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n',
      'm.mtx: has 3 values, but line 2 declares a 2 × 2 matrix',
    ],
    [
      '%%MatrixMarket matrix array real general\n2 1\n1\n-4\n',
      'm.mtx: line 4, row 2, column 1: "-4" is negative (NMF needs non-negative data)',
    ],
    [
      '%%MatrixMarket matrix coordinate complex general\n1 1 1\n1 1 1 0\n',
      'm.mtx: line 1: unsupported Matrix Market field "complex" (real, integer or pattern)',
    ],
    [
      '%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 1\n2 1 1\n',
      'm.mtx: line 1: unsupported Matrix Market symmetry "skew-symmetric": it implies negative entries (general or symmetric)',
    ],
    [
      'hello world\n',
      'm.mtx: line 1: "hello world" is not a Matrix Market banner (expected "%%MatrixMarket matrix coordinate real general")',
    ],
    [
      '%%MatrixMarket matrix coordinate real general\n2 2\n',
      'm.mtx: line 2: "2 2" is not a size line (expected rows, columns and entries)',
    ],
    [
      '%%MatrixMarket matrix coordinate real general\n% only comments\n',
      'm.mtx: has no size line after the banner',
    ],
    ['', 'm.mtx: is empty'],
    [
      '%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n2 2',
      'm.mtx: line 4, row 2, column 2: has no value: the banner declares real values, so an entry holds row, column and value',
    ],
    [
      '%%MatrixMarket matrix coordinate integer general\n2 2 2\n1 1 1\n2 2 \r\n',
      'm.mtx: line 4, row 2, column 2: has no value: the banner declares integer values, so an entry holds row, column and value',
    ],
    [
      '%%MatrixMarket matrix coordinate integer general\n2 2 2\n1 1 3\n2 1 1.5\n',
      'm.mtx: line 4, row 2, column 1: "1.5" is not a whole number: the banner declares integer values',
    ],
    [
      '%%MatrixMarket matrix coordinate integer general\n2 2 2\n1 2 1e3\n2 1 NaN\n',
      'm.mtx: 2 problems (nothing was imported); the first: line 3, row 1, column 2: "1e3" is not a whole number: the banner declares integer values',
    ],
    [
      '%%MatrixMarket matrix array integer general\n2 1\n4\n2.0\n',
      'm.mtx: line 4, row 2, column 1: "2.0" is not a whole number: the banner declares integer values',
    ],
    [
      '%%MatrixMarket matrix coordinate real general\n2 2 1\n123456789012345678901 1 1\n',
      'm.mtx: line 3: row index 12345678901234567890… (21 digits) is outside 1..2 (line 2)',
    ],
    [
      '%%MatrixMarket matrix coordinate pattern general\n2 2 1\n1 99999999999999999999\n',
      'm.mtx: line 3: column index 99999999999999999999 is outside 1..2 (line 2)',
    ],
  ])('refuses %j', async (content, message) => {
    const e = await refusal(tmp.file('m.mtx', content));
    expect(e.message).toBe(message);
  });

  it('reports progress and can be cancelled', async () => {
    const lines = ['%%MatrixMarket matrix coordinate integer general', '1000 1000 200000'];
    for (let k = 0; k < 200000; k++)
      lines.push(`${(k % 1000) + 1} ${Math.floor(k / 200) + 1} ${(k % 9) + 1}`);
    const path = tmp.file('big.mtx', `${lines.join('\n')}\n`);
    const progress: ReadProgress[] = [];
    const r = await readMatrixFile(path, { onProgress: (p) => progress.push(p) });
    expect(r.nnz).toBe(200000);
    expect(progress.some((p) => p.phase === 'reading' && p.bytesRead > 0 && p.bytesRead < p.totalBytes)).toBe(
      true,
    );
    const controller = new AbortController();
    const read = readMatrixFile(path, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.bytesRead > 0) controller.abort();
      },
    });
    await expect(read).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('NumPy .npy', () => {
  it.each(['v-f8.npy', 'v-f4.npy', 'v-big-endian.npy', 'v-fortran.npy', 'v-version2.npy', 'v-version3.npy'])(
    'reads %s',
    async (name) => {
      const r = await readMatrixFile(fixture(name));
      expect(r.format).toBe('npy');
      expect(r.matrix.kind).toBe('dense');
      expect(toRows(r.matrix)).toEqual(V);
      expect(r.nnz).toBe(5);
    },
  );

  it.each(['v-i8.npy', 'v-i4.npy', 'v-u1.npy'])('reads integer dtype %s', async (name) => {
    expect(toRows((await readMatrixFile(fixture(name))).matrix)).toEqual(VI);
  });

  it('transposes C and Fortran arrays', async () => {
    expect(toRows((await readMatrixFile(fixture('v-f8.npy'), { transpose: true })).matrix)).toEqual(
      transposeRows(V),
    );
    expect(toRows((await readMatrixFile(fixture('v-fortran.npy'), { transpose: true })).matrix)).toEqual(
      transposeRows(V),
    );
  });

  it('reads NaN as missing', async () => {
    const r = await readMatrixFile(fixture('v-nan.npy'));
    expect(r.missing).toBe(1);
    expect(Number.isNaN(r.matrix.data[1])).toBe(true);
  });

  it.each([
    ['bad-1d.npy', 'bad-1d.npy: holds a 1-D array (shape (5)); a matrix must be 2-D'],
    [
      'bad-complex.npy',
      'bad-complex.npy: has unsupported dtype "<c16" (float16/32/64, signed or unsigned integers, or bool)',
    ],
    ['bad-negative.npy', 'bad-negative.npy: row 2, column 2: "-2" is negative (NMF needs non-negative data)'],
    ['bad-inf.npy', 'bad-inf.npy: row 1, column 2: "Infinity" is infinite (NMF needs finite values)'],
  ])('refuses %s', async (name, message) => {
    const e = await refusal(fixture(name));
    expect(e.message).toBe(message);
  });

  it('refuses files that are not .npy, empty or truncated', async () => {
    expect((await refusal(tmp.file('x.npy', 'hello, world'))).message).toBe(
      'x.npy: is not a NumPy .npy file (no \\x93NUMPY magic)',
    );
    expect((await refusal(tmp.file('e.npy', ''))).message).toBe('e.npy: is empty');
    const { readFileSync } = await import('node:fs');
    const bytes = readFileSync(fixture('v-f8.npy'));
    const cut = tmp.file('cut.npy', bytes.subarray(0, bytes.length - 8));
    expect((await refusal(cut)).message).toBe(
      'cut.npy: is truncated: shape (4, 3) needs 224 bytes, the file has 216',
    );
  });

  it('refuses bytes after the data, which the shape does not describe', async () => {
    const { readFileSync } = await import('node:fs');
    const bytes = readFileSync(fixture('v-f8.npy'));
    const twice = tmp.file('twice.npy', Buffer.concat([bytes, bytes]));
    expect((await refusal(twice)).message).toBe(
      `twice.npy: has ${bytes.length} bytes after the data: shape (4, 3) needs 224 bytes, the file has ${2 * bytes.length}`,
    );
  });

  it('names gzip compression of formats read by random access (.npy, .h5ad, .h5)', async () => {
    const { readFileSync } = await import('node:fs');
    for (const [name, source] of [
      ['v.npy.gz', 'v-f8.npy'],
      ['v.npy', 'v-f8.npy'],
      ['x.h5ad.gz', 'csr.h5ad'],
      ['x.h5', '10x-v3.h5'],
    ]) {
      // tmp.file gzips a name ending .gz; the others are gzipped here, under a plain name.
      const bytes = readFileSync(fixture(source));
      const path = tmp.file(name, name.endsWith('.gz') ? bytes : gzipSync(bytes));
      expect((await refusal(path)).message).toBe(
        `${name}: is gzip-compressed: decompress it first (gunzip); this format is read uncompressed`,
      );
    }
  });
});

describe('AnnData .h5ad', () => {
  it.each(['dense.h5ad', 'csr.h5ad', 'csc.h5ad'])('reads %s as genes × cells by default', async (name) => {
    const r = await readMatrixFile(fixture(name));
    expect(r.format).toBe('h5ad');
    expect(r.transposed).toBe(true);
    expect(r.rowNames).toEqual(GENES);
    expect(r.colNames).toEqual(CELLS);
    expect(toRows(r.matrix)).toEqual(V);
    expect(r.matrix.kind).toBe(name === 'dense.h5ad' ? 'dense' : 'csr');
    expect(r.warnings[0]).toBe(
      'AnnData stores cells × genes: X (3 × 4) was transposed so that rows are genes (var) and columns cells (obs); pass transpose to keep the stored layout',
    );
  });

  it.each(['dense.h5ad', 'csr.h5ad', 'csc.h5ad'])('keeps %s as stored with transpose', async (name) => {
    const r = await readMatrixFile(fixture(name), { transpose: true });
    expect(r.transposed).toBe(false);
    expect(r.rowNames).toEqual(CELLS);
    expect(r.colNames).toEqual(GENES);
    expect(toRows(r.matrix)).toEqual(transposeRows(V));
    expect(r.warnings[0]).toBe(
      'X was kept as stored (3 cells × 4 genes): rows are cells (obs), columns genes (var)',
    );
  });

  it('mentions layers it does not read', async () => {
    const r = await readMatrixFile(fixture('dense.h5ad'));
    expect(r.warnings).toContain('read /X; the file also holds layers/counts (not read)');
  });

  it('names the HDF5 dataset, row and column of a refused value', async () => {
    const e = await refusal(fixture('negative.h5ad'));
    expect(e.message).toBe(
      'negative.h5ad/X/data: row 2, column 2: "-5" is negative (NMF needs non-negative data)',
    );
    expect(e).toMatchObject({ datasetPath: '/X/data', row: 2, column: 2, value: '-5' });
  });

  it('refuses a broken indptr, non-numeric X and non-HDF5 files', async () => {
    expect((await refusal(fixture('bad-indptr.h5ad'))).message).toBe(
      'bad-indptr.h5ad/X/indptr: decreases at entry 2 (0-based): 2 then 1',
    );
    expect((await refusal(fixture('string-x.h5ad'))).message).toMatch(
      /^string-x\.h5ad\/X: has unsupported element type ".*" \(integers or float32\/float64\)$/,
    );
    expect((await refusal(tmp.file('x.h5ad', 'not hdf5 at all'))).message).toBe(
      'x.h5ad: is not an HDF5 file (no HDF5 signature)',
    );
    expect((await refusal(fixture('10x-v3.h5'), { format: 'h5ad' })).message).toBe(
      '10x-v3.h5/X: is missing: not an AnnData file: it holds /matrix, as 10x Genomics HDF5 files do (import it as .h5, or with format 10x-h5)',
    );
  });

  it('refuses an empty or absent X, and a file cut short', async () => {
    const h5 = await loadH5wasm();
    const write = (name: string, build: (f: InstanceType<typeof h5.File>) => void): string => {
      const path = join(tmp.dir, name);
      const f = new h5.File(path, 'w');
      build(f);
      f.close();
      return path;
    };
    const dense = write('no-cells.h5ad', (f) => {
      f.create_dataset({ name: 'X', data: new Float64Array(0), shape: [0, 4] });
    });
    expect((await refusal(dense)).message).toBe('no-cells.h5ad/X: declares shape [0, 4]: an empty matrix');
    const sparse = write('no-genes.h5ad', (f) => {
      const x = f.create_group('X');
      x.create_attribute('encoding-type', 'csr_matrix');
      x.create_attribute('shape', new BigInt64Array([2n, 0n]));
      x.create_dataset({ name: 'data', data: new Float32Array(0) });
      x.create_dataset({ name: 'indices', data: new Int32Array(0) });
      x.create_dataset({ name: 'indptr', data: new Int32Array([0, 0, 0]) });
    });
    expect((await refusal(sparse)).message).toBe('no-genes.h5ad/X: declares shape [2, 0]: an empty matrix');
    const layersOnly = write('x-none.h5ad', (f) => {
      f.create_group('layers').create_dataset({ name: 'counts', data: new Float32Array(4), shape: [2, 2] });
    });
    expect((await refusal(layersOnly)).message).toBe(
      'x-none.h5ad/X: is missing: an AnnData file without X (written with X = None?); its layers/counts are not read: store the matrix to factor as X',
    );
    const { readFileSync } = await import('node:fs');
    const whole = readFileSync(fixture('csr.h5ad'));
    const cut = tmp.file('cut.h5ad', whole.subarray(0, 4000));
    expect((await refusal(cut)).message).toBe(
      `cut.h5ad: is truncated: it has 4000 bytes, but its HDF5 superblock says ${whole.length} (an interrupted download or copy?)`,
    );
  });

  it('reports progress and honours cancellation', async () => {
    const progress: ReadProgress[] = [];
    await readMatrixFile(fixture('csr.h5ad'), { onProgress: (p) => progress.push(p) });
    expect(progress.some((p) => p.phase === 'reading')).toBe(true);
    const controller = new AbortController();
    const read = readMatrixFile(fixture('csr.h5ad'), {
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    await expect(read).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('reads a copy opened by path with spaces', async () => {
    const path = join(tmp.dir, 'my data.h5ad');
    copyFileSync(fixture('csc.h5ad'), path);
    expect(toRows((await readMatrixFile(path)).matrix)).toEqual(V);
  });
});

describe('10x Genomics .h5', () => {
  it.each(['10x-v3.h5', '10x-v2.h5'])('reads %s as genes × cells', async (name) => {
    const r = await readMatrixFile(fixture(name));
    expect(r.format).toBe('10x-h5');
    expect(r.transposed).toBe(false);
    expect(r.matrix.kind).toBe('csr');
    expect(r.rowNames).toEqual(GENES);
    expect(r.colNames).toEqual(CELLS);
    expect(toRows(r.matrix)).toEqual(V.map((row) => row.map((v) => (v === 7.5 ? 8 : v))));
  });

  it('transposes to cells × genes on request', async () => {
    const r = await readMatrixFile(fixture('10x-v3.h5'), { transpose: true });
    expect(r.rowNames).toEqual(CELLS);
    expect(toRows(r.matrix)).toEqual(transposeRows(V.map((row) => row.map((v) => (v === 7.5 ? 8 : v)))));
  });

  it('warns when features mix types', async () => {
    const r = await readMatrixFile(fixture('10x-mixed.h5'));
    expect(r.warnings).toContain(
      'features mix several types (3 Gene Expression, 1 Antibody Capture); all were read',
    );
  });

  it('refuses an AnnData file read as 10x', async () => {
    expect((await refusal(fixture('csr.h5ad'), { format: '10x-h5' })).message).toBe(
      'csr.h5ad/matrix: is missing: not a 10x Genomics HDF5 file: it holds /X, as AnnData files do (import it as .h5ad, or with format h5ad)',
    );
  });
});
