import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_LISTED_PROBLEMS } from '../errors';
import { refusal, tempDirForEachTest } from './helpers';

const tmp = tempDirForEachTest();

/** A table whose header is `gene S1 S2 S3` with three bad cells, a ragged row and a comment. */
const SEVERAL_BAD = [
  '# exported by hand',
  'gene\tS1\tS2\tS3',
  'g1\t1\t2\t3',
  'g2\t4\tabc\t6',
  'g3\t-1\t0\t1',
  'g4\t1\t2',
  'g5\t1\tInf\tNA',
  'g6\t1\t2\t3',
].join('\n');

describe('refusals list every problem', () => {
  for (const [name, content] of [
    ['several.tsv', SEVERAL_BAD],
    ['several.tsv.gz', SEVERAL_BAD],
    ['several.csv', SEVERAL_BAD.replaceAll('\t', ',')],
    ['several.csv.gz', SEVERAL_BAD.replaceAll('\t', ',')],
  ] as const) {
    it(`lists the bad cells and rows of ${name} with line, spreadsheet column and sample name`, async () => {
      const e = await refusal(tmp.file(name, content));
      expect(e.problemCount).toBe(4);
      expect(e.problems.map((p) => p.message)).toEqual([
        'line 4, column 3 (sample "S2"): "abc" is not a number',
        'line 5, column 2 (sample "S1"): "-1" is negative (NMF needs non-negative data)',
        'line 6 has 3 fields, expected 4 (like line 2): column 4 is missing',
        'line 7, column 3 (sample "S2"): "Inf" is infinite (NMF needs finite values)',
      ]);
      expect(e.message).toBe(
        `${name}: 4 problems (nothing was imported); the first: line 4, column 3 (sample "S2"): "abc" is not a number`,
      );
      // The refusal's own location is the first problem's.
      expect(e).toMatchObject({ line: 4, column: 3, value: 'abc', columnName: 'S2' });
      expect(e.problems[1].location).toMatchObject({ line: 5, column: 2, value: '-1', columnName: 'S1' });
    });
  }

  it('names features when the table is read transposed (its header then names features)', async () => {
    const e = await refusal(tmp.file('t.tsv', 'sample\tTP53\tMYC\nS1\t1\tx\n'), { transpose: true });
    expect(e.message).toBe('t.tsv: line 2, column 3 (feature "MYC"): "x" is not a number');
    expect(e.problemCount).toBe(1);
  });

  it('gives no name without a header, and counts the row-name column as column 1', async () => {
    const e = await refusal(tmp.file('n.tsv', 'g1\t1\t2\ng2\t3\tz\n'), { header: false });
    expect(e.message).toBe('n.tsv: line 2, column 3: "z" is not a number');
  });

  it(`lists the first ${MAX_LISTED_PROBLEMS} of many and counts the rest`, async () => {
    const lines = ['gene\ta\tb'];
    for (let i = 0; i < 500; i++) lines.push(`g${i}\tx${i}\ty${i}`);
    const e = await refusal(tmp.file('all-text.tsv', lines.join('\n')));
    expect(e.problemCount).toBe(1000);
    expect(e.problems).toHaveLength(MAX_LISTED_PROBLEMS);
    expect(e.problems[0].message).toBe('line 2, column 2 (sample "a"): "x0" is not a number');
    expect(e.problems[19].message).toBe('line 11, column 3 (sample "b"): "y9" is not a number');
    expect(e.message).toMatch(/^all-text\.tsv: 1000 problems \(nothing was imported\); the first: line 2/);
  });

  it('puts a refusal that stops the read after the problems found before it', async () => {
    const e = await refusal(tmp.file('q.csv', 'gene,a,b\ng1,1,x\ng2,"open,1\n'));
    expect(e.problemCount).toBe(2);
    expect(e.problems[0].message).toBe('line 2, column 3 (sample "b"): "x" is not a number');
    expect(e.problems[1].message).toMatch(/^line 3, column 2: the quoted field .* is never closed/);
  });

  it('lists the bad entries of a Matrix Market file with their gene and barcode', async () => {
    tmp.file(
      'matrix.mtx',
      [
        '%%MatrixMarket matrix coordinate real general',
        '% genes x cells',
        '3 2 5',
        '1 1 3',
        '2 1 -2',
        '3 2 abc',
        '4 1 1',
        '3 1 2',
      ].join('\n'),
    );
    tmp.file('features.tsv', 'E1\tACTB\nE2\tGAPDH\nE3\tCD3E\n');
    tmp.file('barcodes.tsv', 'AAAC-1\nAAAG-1\n');
    const e = await refusal(join(tmp.dir, 'matrix.mtx'));
    expect(e.problems.map((p) => p.message)).toEqual([
      'line 5, row 2 (feature "GAPDH"), column 1 (sample "AAAC-1"): "-2" is negative (NMF needs non-negative data)',
      'line 6, row 3 (feature "CD3E"), column 2 (sample "AAAG-1"): "abc" is not a number',
      'line 7: row index 4 is outside 1..3 (line 3)',
    ]);
    expect(e.message).toMatch(/^matrix\.mtx: 3 problems \(nothing was imported\); the first: line 5, row 2/);
  });

  it('names the barcode of a cells × genes Matrix Market file by its stored column', async () => {
    tmp.file('matrix.mtx', '%%MatrixMarket matrix coordinate real general\n3 2 2\n1 1 3\n3 2 -4\n');
    tmp.file('features.tsv', 'E1\tA\nE2\tB\n');
    tmp.file('barcodes.tsv', 'c1\nc2\nc3\n');
    const e = await refusal(join(tmp.dir, 'matrix.mtx'));
    expect(e.message).toBe(
      'matrix.mtx: line 4, row 3 (sample "c3"), column 2 (feature "B"): "-4" is negative (NMF needs non-negative data)',
    );
  });
});
