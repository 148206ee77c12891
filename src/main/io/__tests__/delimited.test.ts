import { describe, expect, it } from 'vitest';
import { inspectMatrixFile, readMatrixFile } from '../index';
import type { ReadProgress } from '../index';
import { fixture, refusal, tempDirForEachTest, toRows } from './helpers';

const tmp = tempDirForEachTest();

describe('delimited tables', () => {
  it('reads a TSV with a header and row names', async () => {
    const r = await readMatrixFile(fixture('basic.tsv'));
    expect(r.format).toBe('tsv');
    expect(r.rowNames).toEqual(['ACTB', 'GAPDH', 'CD3E', 'MALAT1']);
    expect(r.colNames).toEqual(['S1', 'S2', 'S3']);
    expect(r.matrix.kind).toBe('dense');
    expect(toRows(r.matrix)).toEqual([
      [1, 0, 3],
      [0, 5, 0],
      [2, 0, 0],
      [0, 0, 7.5],
    ]);
    expect(r.nnz).toBe(5);
    expect(r.missing).toBe(0);
    expect(r.transposed).toBe(false);
    expect(r.warnings).toEqual([]);
  });

  it('reads gzip-compressed tables like plain ones', async () => {
    const plain = await readMatrixFile(fixture('basic.tsv'));
    const gz = await readMatrixFile(fixture('basic.tsv.gz'));
    expect(gz.format).toBe('tsv');
    expect(toRows(gz.matrix)).toEqual(toRows(plain.matrix));
    expect(gz.rowNames).toEqual(plain.rowNames);
  });

  it('reads RFC 4180 quoting and CRLF in CSV', async () => {
    const r = await readMatrixFile(fixture('quoted.csv'));
    expect(r.colNames).toEqual(['sample 1', 'sample, 2', 'say "hi"']);
    expect(r.rowNames).toEqual(['ACTB', 'GAP,DH']);
    expect(toRows(r.matrix)).toEqual([
      [1, 2.5, 0],
      [0, 0, 3],
    ]);
  });

  it('accepts a quoted field spanning lines and counts physical lines after it', async () => {
    const path = tmp.file('multi.csv', 'gene,a,b\n"two\nline name",1,2\nx,3,-1\n');
    const e = await refusal(path);
    expect(e.message).toBe(
      'multi.csv: line 4, column 3 (sample "b"): "-1" is negative (NMF needs non-negative data)',
    );
    const ok = await readMatrixFile(tmp.file('multi2.csv', 'gene,a,b\n"two\nline name",1,2\n'));
    expect(ok.rowNames).toEqual(['two\nline name']);
  });

  it('skips comment and blank lines, and handles CRLF', async () => {
    const r = await readMatrixFile(fixture('crlf-comments.tsv'));
    expect(r.colNames).toEqual(['A', 'B']);
    expect(r.rowNames).toEqual(['x', 'y']);
    expect(toRows(r.matrix)).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('treats empty, NA and NaN cells (any case) as missing', async () => {
    const r = await readMatrixFile(fixture('missing.tsv'));
    const rows = toRows(r.matrix);
    expect(rows[0][0]).toBe(1);
    expect(Number.isNaN(rows[0][1]) && Number.isNaN(rows[0][2]) && Number.isNaN(rows[0][3])).toBe(true);
    expect(Number.isNaN(rows[1][0]) && Number.isNaN(rows[1][2])).toBe(true);
    expect(rows[1][1]).toBe(2);
    expect(rows[1][3]).toBe(3);
    expect(r.missing).toBe(5);
    expect(r.nnz).toBe(3);
    expect(r.warnings).toContain('5 missing values (empty, NA or NaN)');
  });

  it('reads whitespace-separated .txt with an R write.table header (one field fewer)', async () => {
    const r = await readMatrixFile(fixture('r-write-table.txt'));
    expect(r.colNames).toEqual(['s1', 's2', 's3']);
    expect(r.rowNames).toEqual(['gene A', 'gene B']);
    expect(toRows(r.matrix)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(r.warnings).toContain('read as whitespace-separated');
  });

  it('reads tab-separated .txt keeping empty cells', async () => {
    const r = await readMatrixFile(tmp.file('t.txt', 'g\ta\tb\nx\t\t2\n'));
    expect(r.missing).toBe(1);
    expect(r.colNames).toEqual(['a', 'b']);
  });

  it('reads tables without header or row names and names them', async () => {
    const r = await readMatrixFile(fixture('no-names.txt'), { header: false, rowNames: false });
    expect(r.rowNames).toEqual(['feature1', 'feature2']);
    expect(r.colNames).toEqual(['sample1', 'sample2', 'sample3']);
    expect(toRows(r.matrix)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it('takes the row-name column header as anything, including empty', async () => {
    const r = await readMatrixFile(tmp.file('e.csv', ',a,b\nx,1,2\n'));
    expect(r.colNames).toEqual(['a', 'b']);
  });

  it('transposes on request, with names', async () => {
    const r = await readMatrixFile(fixture('basic.tsv'), { transpose: true });
    expect(r.transposed).toBe(true);
    expect(r.rowNames).toEqual(['S1', 'S2', 'S3']);
    expect(r.colNames).toEqual(['ACTB', 'GAPDH', 'CD3E', 'MALAT1']);
    expect(toRows(r.matrix)).toEqual([
      [1, 0, 2, 0],
      [0, 5, 0, 0],
      [3, 0, 0, 7.5],
    ]);
  });

  it('chooses CSR for a mostly-zero table and dense otherwise', async () => {
    const lines = ['g\ta\tb\tc\td\te'];
    for (let i = 0; i < 50; i++) lines.push(`r${i}\t${i % 5 === 0 ? 3 : 0}\t0\t0\t${i % 7}\t0`);
    const sparse = await readMatrixFile(tmp.file('s.tsv', `${lines.join('\n')}\n`));
    expect(sparse.matrix.kind).toBe('csr');
    if (sparse.matrix.kind !== 'csr') throw new Error('expected CSR');
    expect(sparse.matrix.indptr.length).toBe(51);
    expect(toRows(sparse.matrix)[0]).toEqual([3, 0, 0, 0, 0]);
    expect(toRows(sparse.matrix)[6]).toEqual([0, 0, 0, 6, 0]);
    expect(sparse.nnz).toBe(10 + 42);
    const transposed = await readMatrixFile(tmp.file('s2.tsv', `${lines.join('\n')}\n`), { transpose: true });
    expect(transposed.matrix.kind).toBe('csr');
    expect(toRows(transposed.matrix)[3].slice(0, 8)).toEqual([0, 1, 2, 3, 4, 5, 6, 0]);
  });

  it('keeps missing values as stored NaN in CSR', async () => {
    const lines = ['g\ta\tb\tc\td'];
    for (let i = 0; i < 10; i++) lines.push(`r${i}\t0\t${i === 2 ? 'NA' : 0}\t0\t0`);
    const r = await readMatrixFile(tmp.file('n.tsv', `${lines.join('\n')}\n`));
    expect(r.matrix.kind).toBe('csr');
    expect(Number.isNaN(toRows(r.matrix)[2][1])).toBe(true);
    expect(r.missing).toBe(1);
  });

  it('reads numbers exactly as JavaScript does', async () => {
    const r = await readMatrixFile(tmp.file('x.tsv', 'g\ta\tb\tc\tz\nx\t0.1\t1e-300\t 7 \t-0\n'));
    expect(Array.from(r.matrix.data)).toEqual([0.1, 1e-300, 7, 0]);
    expect(Object.is(r.matrix.data[3], 0)).toBe(true);
  });

  it('warns about rows and columns without a non-zero value, dense or sparse', async () => {
    const table = await readMatrixFile(
      tmp.file('z.tsv', 'g\ta\tb\tc\nx\t0\tNA\t0\ny\t1\t0\t0\nz\t2\t0\t0\n'),
    );
    expect(table.warnings).toContain(
      '1 row (feature) holds no non-zero value ("x"): NMF gives it zero loadings',
    );
    expect(table.warnings).toContain(
      '2 columns (samples) hold no non-zero value ("b", "c"): NMF gives them zero loadings',
    );
    const sparse = await readMatrixFile(
      tmp.file('z.mtx', '%%MatrixMarket matrix coordinate real general\n5 2 2\n2 1 3\n4 1 0\n'),
    );
    expect(sparse.warnings).toEqual([
      '4 rows (features) hold no non-zero value ("feature1", "feature3", "feature4", …): NMF gives them zero loadings',
      '1 column (sample) holds no non-zero value ("sample2"): NMF gives it zero loadings',
    ]);
    const none = await readMatrixFile(tmp.file('none.csv', 'g,a\nx,0\ny,NA\n'));
    expect(none.warnings).toContain('every value is zero or missing: there is nothing to factor');
  });

  it('warns about duplicated and empty names', async () => {
    const r = await readMatrixFile(tmp.file('d.tsv', 'g\ta\ta\nx\t1\t2\nx\t3\t4\n'));
    expect(r.warnings).toContain('1 row names occur more than once ("x")');
    expect(r.warnings).toContain('1 column names occur more than once ("a")');
    const e = await readMatrixFile(tmp.file('e.tsv', 'g\ta\t \nx\t1\t2\n\t3\t4\n'));
    expect(e.warnings).toEqual(['1 row name is empty', '1 column name is empty']);
  });
});

describe('delimited refusals', () => {
  it('names line, column and value of a negative cell', async () => {
    const lines = ['gene\ta\tb\tc'];
    for (let i = 2; i <= 13; i++) lines.push(`g${i}\t1\t2\t3`);
    lines.push('g14\t1\t-2\t3');
    const e = await refusal(tmp.file('data.tsv', `${lines.join('\n')}\n`));
    expect(e.message).toBe(
      'data.tsv: line 14, column 3 (sample "b"): "-2" is negative (NMF needs non-negative data)',
    );
    expect(e).toMatchObject({ line: 14, column: 3, value: '-2' });
    expect(e.file.endsWith('data.tsv')).toBe(true);
  });

  it('refuses text that is not a number', async () => {
    const lines = ['g\ta\tb\tc\td', ...Array.from({ length: 7 }, (_, i) => `g${i}\t1\t2\t3\t4`)];
    lines.push('g9\t1\t2\t3\tabc');
    const e = await refusal(tmp.file('data.tsv', `${lines.join('\n')}\n`));
    expect(e.message).toBe('data.tsv: line 9, column 5 (sample "d"): "abc" is not a number');
  });

  it('refuses hexadecimal and comma-decimal cells', async () => {
    expect((await refusal(tmp.file('h.tsv', 'g\ta\nx\t0x1F\n'))).message).toBe(
      'h.tsv: line 2, column 2 (sample "a"): "0x1F" is not a number',
    );
    expect((await refusal(tmp.file('c.tsv', 'g\ta\nx\t1,5\n'))).message).toBe(
      'c.tsv: line 2, column 2 (sample "a"): "1,5" is not a number',
    );
  });

  it('refuses infinite values', async () => {
    for (const text of ['Inf', '-inf', 'Infinity', '1e999']) {
      const e = await refusal(tmp.file('i.csv', `g,a\nx,${text}\n`));
      expect(e.message).toBe(
        `i.csv: line 2, column 2 (sample "a"): "${text}" is infinite (NMF needs finite values)`,
      );
    }
  });

  it('refuses ragged rows, citing the line that set the width', async () => {
    const header = ['gene', ...Array.from({ length: 60 }, (_, i) => `s${i}`)].join('\t');
    const row = (n: number): string => ['g', ...Array.from({ length: n - 1 }, () => '1')].join('\t');
    const text = [header, row(61), row(61), '# note', row(61), row(61), row(12)].join('\n');
    const e = await refusal(tmp.file('data.tsv', `${text}\n`));
    expect(e.message).toBe('data.tsv: line 7 has 12 fields, expected 61 (like line 1): column 13 is missing');
    expect(e.line).toBe(7);
  });

  it('refuses a first data row that fits no header', async () => {
    const e = await refusal(tmp.file('h.tsv', 'g\ta\tb\nx\t1\t2\t3\t4\n'));
    expect(e.message).toBe('h.tsv: line 2 has 5 fields, expected 3 (like line 1)');
  });

  it('cites the first data line when the header omits the row-name column', async () => {
    const e = await refusal(tmp.file('r.txt', 'a b\nx 1 2\ny 1\n'));
    expect(e.message).toBe('r.txt: line 3 has 2 fields, expected 3 (like line 2): column 3 is missing');
  });

  it('refuses empty files, header-only files and tables without numeric columns', async () => {
    expect((await refusal(tmp.file('empty.tsv', ''))).message).toBe('empty.tsv: is empty');
    expect((await refusal(tmp.file('blank.tsv', '# only a comment\n\n'))).message).toBe(
      'blank.tsv: is empty (no data lines)',
    );
    expect((await refusal(tmp.file('head.tsv', 'g\ta\tb\n'))).message).toBe(
      'head.tsv: line 1: has a header but no data rows',
    );
    expect((await refusal(tmp.file('names.tsv', 'gene\nA\nB\n'))).message).toBe(
      'names.tsv: line 2: no numeric columns: the line has 1 field, all taken by row names',
    );
  });

  it('refuses a quote that never closes', async () => {
    const e = await refusal(tmp.file('q.csv', 'g,a\n"x,1\ny,2\n'));
    expect(e.message).toBe(
      'q.csv: line 2, column 1: the quoted field "x,1" opened here is never closed' +
        ' (a quote opens a field only as its first character; double it to write one inside quotes)',
    );
    expect(e.line).toBe(2);
    expect(e.column).toBe(1);
  });

  it('refuses a folder, naming the matrix file in it', async () => {
    const { mkdirSync } = await import('node:fs');
    const tenX = `${tmp.dir}/filtered_feature_bc_matrix`;
    mkdirSync(tenX);
    tmp.file(
      'filtered_feature_bc_matrix/matrix.mtx.gz',
      '%%MatrixMarket matrix coordinate integer general\n1 1 0\n',
    );
    const message =
      'filtered_feature_bc_matrix: is a folder: give the matrix file in it, matrix.mtx.gz (its features and barcodes files are read beside it)';
    expect((await refusal(tenX)).message).toBe(message);
    await expect(inspectMatrixFile(tenX)).rejects.toThrow(message);
    mkdirSync(`${tmp.dir}/data.tsv`);
    expect((await refusal(`${tmp.dir}/data.tsv`)).message).toBe('data.tsv: is a folder, not a matrix file');
  });

  it('refuses unknown extensions and missing files', async () => {
    expect((await refusal(tmp.file('m.xlsx', 'x'))).message).toBe(
      'm.xlsx: has an unrecognised extension; use .tsv, .csv, .txt, .mtx (optionally .gz), .npy, .h5ad or .h5, or give the format',
    );
    expect((await refusal(`${tmp.dir}/absent.tsv`)).message).toBe(
      'absent.tsv: cannot be read (no such file)',
    );
  });

  it('refuses corrupt gzip data', async () => {
    const good = tmp.file('c.tsv.gz', 'g\ta\nx\t1\n'.repeat(200));
    const { readFileSync, writeFileSync } = await import('node:fs');
    const bytes = readFileSync(good);
    bytes.fill(0xff, 20, 40);
    writeFileSync(good, bytes);
    const e = await refusal(good);
    expect(e.message).toMatch(/^c\.tsv\.gz: is not valid gzip data \(/);
  });

  it('honours the format option over the extension', async () => {
    const r = await readMatrixFile(tmp.file('data.dat', 'g,a\nx,4\n'), { format: 'csv' });
    expect(toRows(r.matrix)).toEqual([[4]]);
  });
});

describe('streaming', () => {
  it('reads a 2000 × 500 table in chunks, exactly, with progress', async () => {
    const rows = 2000;
    const cols = 500;
    const value = (i: number, j: number): number =>
      (i * 31 + j * 17) % 23 === 0 ? 0 : ((i * 7 + j * 13) % 1000) / 8;
    const lines: string[] = [['gene', ...Array.from({ length: cols }, (_, j) => `c${j}`)].join('\t')];
    for (let i = 0; i < rows; i++) {
      const fields = [`g${i}`];
      for (let j = 0; j < cols; j++) fields.push(String(value(i, j)));
      lines.push(fields.join('\t'));
    }
    const path = tmp.file('big.tsv', `${lines.join('\n')}\n`);
    const progress: ReadProgress[] = [];
    const r = await readMatrixFile(path, { onProgress: (p) => progress.push(p) });
    expect(r.matrix.kind).toBe('dense');
    expect(r.matrix.rows).toBe(rows);
    expect(r.matrix.cols).toBe(cols);
    let mismatches = 0;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) if (r.matrix.data[i * cols + j] !== value(i, j)) mismatches++;
    }
    expect(mismatches).toBe(0);
    expect(r.rowNames[1999]).toBe('g1999');
    const reading = progress.filter((p) => p.phase === 'reading');
    expect(reading.length).toBeGreaterThan(2);
    for (let k = 1; k < reading.length; k++)
      expect(reading[k].bytesRead).toBeGreaterThanOrEqual(reading[k - 1].bytesRead);
    expect(progress[progress.length - 1]).toEqual({
      bytesRead: reading[0].totalBytes,
      totalBytes: reading[0].totalBytes,
      phase: 'done',
    });
  });

  it('stops when aborted mid-read', async () => {
    const line = `g${'\t1'.repeat(200)}\n`;
    const path = tmp.file('abort.tsv', `h${'\tc'.repeat(200)}\n${line.repeat(20000)}`);
    const controller = new AbortController();
    let calls = 0;
    const read = readMatrixFile(path, {
      signal: controller.signal,
      onProgress: (p) => {
        calls++;
        if (p.bytesRead > 0 && p.bytesRead < p.totalBytes) controller.abort();
      },
    });
    await expect(read).rejects.toMatchObject({ name: 'AbortError' });
    expect(calls).toBeGreaterThan(0);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(readMatrixFile(fixture('basic.tsv'), { signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
  });
});
