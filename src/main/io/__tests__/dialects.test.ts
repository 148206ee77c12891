import { describe, expect, it } from 'vitest';
import { inspectMatrixFile, readMatrixFile } from '../index';
import { detectCsvDelimiter, detectTxtDelimiter } from '../sniff';
import { refusal, tempDirForEachTest, toRows } from './helpers';

const tmp = tempDirForEachTest();

const SEMICOLON_WARNING = 'read as semicolon-separated, decimal commas as points (1,5 = 1.5)';

describe('semicolon-separated tables', () => {
  it('sniffs semicolons alongside commas, tabs and whitespace', () => {
    expect(detectCsvDelimiter(['gene;S1;S2', 'ACTB;1,5;2', 'GAPDH;0;3'])).toBe(';');
    // Every data cell with a decimal comma: comma counts are even too, but not larger.
    expect(detectCsvDelimiter(['1,5;2,5', '3,1;4,2'])).toBe(';');
    // R's write.csv2 without a label for the row names: the header is one field short.
    expect(detectCsvDelimiter(['S1;S2', 'ACTB;1,5;2', 'GAPDH;0;3'])).toBe(';');
    expect(detectCsvDelimiter(['gene,S1,S2', '"a;b",1,2', 'c,3,4'])).toBe(',');
    expect(detectCsvDelimiter(['gene,desc,S1', 'x,u;v,1', 'y,w;z,2'])).toBe(',');
    expect(detectCsvDelimiter(['a;b,c,d', 'e;f,1,2'])).toBe(',');
    expect(detectCsvDelimiter(['gene,S1', 'x,1'])).toBe(',');
    expect(detectTxtDelimiter(['gene;S1;S2', 'x;1,5;2'])).toBe(';');
    expect(detectTxtDelimiter(['gene\tS1', 'x\t1;2'])).toBe('\t');
    expect(detectTxtDelimiter(['gene,S1,S2', 'x,1,2'])).toBe(',');
    expect(detectTxtDelimiter(['gene S1 S2', 'x 1 2'])).toBe('whitespace');
  });

  it('reads a semicolon-separated CSV with decimal commas, and says so', async () => {
    const path = tmp.file('eu.csv', '\uFEFFgene;S1;S2\r\nACTB;1,5;2\r\nGAPDH;0;3,25\r\nCD3E;NA;1e3\r\n');
    const r = await readMatrixFile(path);
    expect(r.format).toBe('csv');
    expect(r.colNames).toEqual(['S1', 'S2']);
    expect(r.rowNames).toEqual(['ACTB', 'GAPDH', 'CD3E']);
    expect(toRows(r.matrix)).toEqual([
      [1.5, 2],
      [0, 3.25],
      [NaN, 1000],
    ]);
    expect(r.warnings).toContain(SEMICOLON_WARNING);
  });

  it('reads gzipped and .txt semicolon tables, quoted names included', async () => {
    const text = '"gene";"S 1";"S;2"\n"A;B";0,5;1\nC;2;,25\n';
    for (const name of ['eu.csv.gz', 'eu.txt']) {
      const r = await readMatrixFile(tmp.file(name, text));
      expect(r.colNames).toEqual(['S 1', 'S;2']);
      expect(r.rowNames).toEqual(['A;B', 'C']);
      expect(toRows(r.matrix)).toEqual([
        [0.5, 1],
        [2, 0.25],
      ]);
      expect(r.warnings).toContain(SEMICOLON_WARNING);
    }
  });

  it('names the line, column and value of a refused semicolon cell', async () => {
    const head = 'gene;a;b\nx;1,5;2\n# note\n';
    expect((await refusal(tmp.file('t1.csv', `${head}y;1,2,3;4\n`))).message).toBe(
      't1.csv: line 4, column 2 (sample "a"): "1,2,3" is not a number',
    );
    expect((await refusal(tmp.file('t2.csv', `${head}y;1.234,5;4\n`))).message).toBe(
      't2.csv: line 4, column 2 (sample "a"): "1.234,5" is not a number',
    );
    const negative = await refusal(tmp.file('t3.csv', `${head}y;4;-0,5\n`));
    expect(negative.message).toBe(
      't3.csv: line 4, column 3 (sample "b"): "-0,5" is negative (NMF needs non-negative data)',
    );
    expect(negative).toMatchObject({ line: 4, column: 3, value: '-0,5' });
  });

  it('never reads decimal commas in comma- or tab-separated files', async () => {
    expect((await refusal(tmp.file('t.tsv', 'gene\ta\tb\nx\t1,5\t2\n'))).message).toBe(
      't.tsv: line 2, column 2 (sample "a"): "1,5" is not a number',
    );
    expect((await refusal(tmp.file('q.csv', 'gene,a,b\nx,"1,5",2\n'))).message).toBe(
      'q.csv: line 2, column 2 (sample "a"): "1,5" is not a number',
    );
    const plain = await readMatrixFile(tmp.file('p.csv', 'gene,a,b\nx,1.5,2\n'));
    expect(plain.warnings).toEqual([]);
  });

  it('shows the semicolon in the preview, with decimal commas read as values', async () => {
    const p = await inspectMatrixFile(tmp.file('eu.csv', 'gene;S1;S2\nACTB;1,5;2\nGAPDH;0;-3,25\n'));
    expect(p).toMatchObject({
      delimiter: ';',
      hasHeader: true,
      hasRowNames: true,
      colNames: ['S1', 'S2'],
      rowNames: ['ACTB', 'GAPDH'],
      estimatedCols: 2,
      estimatedRows: 2,
    });
    expect(p.cells[1]).toEqual(['ACTB', '1,5', '2']);
    expect(p.hints).toContain('Semicolon-separated: decimal commas are read as points (1,5 = 1.5).');
    expect(p.hints).toContain(
      'Some values are negative: NMF needs non-negative data (z-scores or log-ratios cannot be factored).',
    );
    const bare = await inspectMatrixFile(tmp.file('bare.csv', '1,5;2,5\n3,5;4\n'));
    expect(bare).toMatchObject({ delimiter: ';', hasHeader: false, hasRowNames: false, estimatedCols: 2 });
  });
});

const BIOM = [
  '# Constructed from biom file',
  '#OTU ID\tS1\tS2\ttaxonomy',
  '4479944\t1.0\t2.0\tk__Bacteria; p__Firmicutes; c__Clostridia',
  'OTU_2\t0.0\t5.0\tk__Archaea',
  'OTU_3\t3.0\t0.0\t',
].join('\n');

describe('BIOM tables written as TSV', () => {
  it('takes #OTU ID as the header and leaves out the taxonomy text, with a warning', async () => {
    const r = await readMatrixFile(tmp.file('otu_table.tsv', `${BIOM}\n`));
    expect(r.colNames).toEqual(['S1', 'S2']);
    expect(r.rowNames).toEqual(['4479944', 'OTU_2', 'OTU_3']);
    expect(toRows(r.matrix)).toEqual([
      [1, 2],
      [0, 5],
      [3, 0],
    ]);
    expect(r.warnings).toEqual([
      'left out the last column, "taxonomy" (column 4): it holds text, not values',
    ]);
    const t = await readMatrixFile(tmp.file('otu_table.txt.gz', `${BIOM}\n`), { transpose: true });
    expect(t.rowNames).toEqual(['S1', 'S2']);
    expect(t.colNames).toEqual(['4479944', 'OTU_2', 'OTU_3']);
  });

  it('reads a BIOM table without taxonomy, and keeps a numeric column named taxonomy', async () => {
    const plain = await readMatrixFile(
      tmp.file('plain.tsv', '# Constructed from biom file\n#OTU ID\tS1\tS2\nO1\t1\t2\n'),
    );
    expect(plain.colNames).toEqual(['S1', 'S2']);
    expect(plain.warnings).toEqual([]);
    const numeric = await readMatrixFile(tmp.file('n.tsv', '#OTU ID\tS1\tTaxonomy\nO1\t1\t2\nO2\t3\t4\n'));
    expect(numeric.colNames).toEqual(['S1', 'Taxonomy']);
    expect(toRows(numeric.matrix)).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('names the physical line and column of a refused BIOM cell', async () => {
    const e = await refusal(tmp.file('bad.tsv', `${BIOM}\nOTU_4\t1.0\tx\tk__Bacteria\n`));
    expect(e.message).toBe('bad.tsv: line 6, column 3 (sample "S2"): "x" is not a number');
    expect(e).toMatchObject({ line: 6, column: 3, value: 'x' });
    const ragged = await refusal(tmp.file('ragged.tsv', `${BIOM}\nOTU_4\t1.0\t2.0\n`));
    expect(ragged.message).toBe(
      'ragged.tsv: line 6 has 3 fields, expected 4 (like line 2): column 4 is missing',
    );
  });

  it('still skips ordinary comments, and #OTU ID lines once the header is read', async () => {
    const r = await readMatrixFile(
      tmp.file(
        'c.tsv',
        '# a comment\n#OTU IDs below are 97% clusters\ngene\tA\n# more\nx\t1\n#OTU ID\t2\ny\t3\n',
      ),
    );
    expect(r.colNames).toEqual(['A']);
    expect(r.rowNames).toEqual(['x', 'y']);
    expect(toRows(r.matrix)).toEqual([[1], [3]]);
  });

  it('previews a BIOM table with its OTU ids as row names and without the taxonomy', async () => {
    const p = await inspectMatrixFile(tmp.file('otu_table.tsv', `${BIOM}\n`));
    expect(p).toMatchObject({
      delimiter: '\t',
      hasHeader: true,
      hasRowNames: true,
      colNames: ['S1', 'S2'],
      rowNames: ['4479944', 'OTU_2', 'OTU_3'],
      estimatedCols: 2,
      estimatedRows: 3,
    });
    expect(p.cells[0]).toEqual(['#OTU ID', 'S1', 'S2', 'taxonomy']);
    expect(p.hints).toContain('The last column, taxonomy, holds text: it will be left out of the import.');
  });
});
