import { describe, expect, it } from 'vitest';
import { inspectMatrixFile, readMatrixFile } from '../index';
import { TextDecoding } from '../text';
import { refusal, tempDirForEachTest, toRows } from './helpers';

const tmp = tempDirForEachTest();

/** The text TextDecoding makes of `bytes` cut into chunks of `size` bytes. */
function decodeInChunks(bytes: Buffer, size: number): string {
  const decoding = new TextDecoding();
  let text = '';
  for (let at = 0; at < bytes.length; at += size) text += decoding.write(bytes.subarray(at, at + size));
  return text + decoding.end();
}

const TABLE = 'gene\tS1\tS2\nACTB\t1\t2.5\nMüller\t0\t3\n';
const utf16be = (text: string): Buffer => Buffer.from(text, 'utf16le').swap16();

describe('TextDecoding', () => {
  it.each([1, 2, 3, 7, 1000])('gives the same text whatever the chunks (%i bytes)', (size) => {
    expect(decodeInChunks(Buffer.from(TABLE), size)).toBe(TABLE);
    expect(decodeInChunks(Buffer.from(TABLE.replaceAll('\n', '\r\n')), size)).toBe(
      TABLE.replaceAll('\n', '\r\n'),
    );
    expect(decodeInChunks(Buffer.from(TABLE.replaceAll('\n', '\r')), size)).toBe(TABLE);
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TABLE, 'utf16le')]);
    expect(decodeInChunks(le, size)).toBe(`\uFEFF${TABLE}`);
    const be = Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(TABLE)]);
    expect(decodeInChunks(be, size)).toBe(`\uFEFF${TABLE}`);
  });

  it('keeps a CR inside a CRLF file, and a lone CR at the very end', () => {
    expect(decodeInChunks(Buffer.from('a\r\nb\rc\r\n'), 4)).toBe('a\r\nb\rc\r\n');
    expect(decodeInChunks(Buffer.from('a\tb\r'), 1)).toBe('a\tb\n');
    expect(decodeInChunks(Buffer.from('x'), 1)).toBe('x');
  });
});

describe('encodings and line ends of delimited tables', () => {
  it('reads classic Mac line ends (lone CR), as Excel for Mac writes "CSV (Macintosh)"', async () => {
    for (const name of ['mac.csv', 'mac.csv.gz', 'mac.tsv']) {
      const text = 'gene,S1,S2\rACTB,1,2\rGAPDH,"3",4\r\r# note\rCD3E,5,NA';
      const r = await readMatrixFile(
        tmp.file(name, name.endsWith('.tsv') ? text.replaceAll(',', '\t') : text),
      );
      expect(r.colNames).toEqual(['S1', 'S2']);
      expect(r.rowNames).toEqual(['ACTB', 'GAPDH', 'CD3E']);
      expect(toRows(r.matrix)).toEqual([
        [1, 2],
        [3, 4],
        [5, NaN],
      ]);
    }
    const e = await refusal(tmp.file('bad.csv', 'gene,S1\rA,1\rB,-2\r'));
    expect(e.message).toBe(
      'bad.csv: line 3, column 2 (sample "S1"): "-2" is negative (NMF needs non-negative data)',
    );
  });

  it('reads UTF-16 with a byte-order mark, as Excel\'s "Unicode Text" and pandas write it', async () => {
    const le = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from(TABLE.replaceAll('\n', '\r\n'), 'utf16le'),
    ]);
    const be = Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(TABLE)]);
    for (const [name, bytes] of [
      ['unicode.txt', le],
      ['unicode.tsv.gz', le],
      ['big-endian.tsv', be],
    ] as const) {
      const r = await readMatrixFile(tmp.file(name, bytes));
      expect(r.colNames, name).toEqual(['S1', 'S2']);
      expect(r.rowNames, name).toEqual(['ACTB', 'Müller']);
      expect(toRows(r.matrix), name).toEqual([
        [1, 2.5],
        [0, 3],
      ]);
    }
    const e = await refusal(
      tmp.file(
        'bad16.csv',
        Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('g,a\nx,abc\n', 'utf16le')]),
      ),
    );
    expect(e.message).toBe('bad16.csv: line 2, column 2 (sample "a"): "abc" is not a number');
  });

  it('reads a file that does not start as UTF-8 as Windows-1252, and says so', async () => {
    // Excel's "CSV" on Windows: é as E9, the euro sign and curly quotes in 0x80–0x9F.
    const bytes = Buffer.from('gene,S1,S2\nMüller \x80,1,2\n\x93x\x94,3,4\n', 'latin1');
    const r = await readMatrixFile(tmp.file('excel.csv', bytes));
    expect(r.rowNames).toEqual(['Müller €', '“x”']);
    expect(r.warnings).toEqual(['read as Windows-1252 (Latin-1) text: the file is not UTF-8']);
    // Valid UTF-8 at the start and a stray byte past the first 64 KiB: read as UTF-8, flagged.
    const lines = [
      'gene\tS1',
      ...Array.from({ length: 8000 }, (_, i) => `gène${i}\t${i + 1}`),
      'M\xfcller\t1',
    ];
    const late = Buffer.concat([
      Buffer.from(lines.slice(0, -1).join('\n') + '\n'),
      Buffer.from(`${lines.at(-1)}\n`, 'latin1'),
    ]);
    const flagged = await readMatrixFile(tmp.file('late.tsv', late));
    expect(flagged.rowNames[0]).toBe('gène0');
    expect(flagged.rowNames.at(-1)).toBe('M\uFFFDller');
    expect(flagged.warnings).toEqual([
      'holds bytes that are not UTF-8 (read as "\uFFFD"): names may have lost letters; save the file as UTF-8',
    ]);
  });

  it('refuses NUL characters at their line: binary data, UTF-16 without a mark, a zero-padded download', async () => {
    const NUL =
      'holds a NUL character: not a text table (a binary file, UTF-16 text without a byte-order mark, or a download cut short and padded with zeros?)';
    const lines = ['gene\tS1', ...Array.from({ length: 40 }, (_, i) => `g${i}\t${i}`)];
    const padded = Buffer.concat([Buffer.from(`${lines.join('\n')}\ng40\t4`), Buffer.alloc(5000)]);
    expect((await refusal(tmp.file('cut.tsv', padded))).message).toBe(`cut.tsv: line 42: ${NUL}`);
    expect((await refusal(tmp.file('cut.tsv.gz', padded))).message).toBe(`cut.tsv.gz: line 42: ${NUL}`);
    expect((await refusal(tmp.file('u16.csv', Buffer.from('gene,S1\nA,1\n', 'utf16le')))).message).toBe(
      `u16.csv: line 1: ${NUL}`,
    );
    expect((await refusal(tmp.file('name.tsv', 'gene\tS1\nA\t1\nB\u0000\t2\n'))).line).toBe(3);
  });
});

describe('lines ending with a delimiter', () => {
  it('leaves out the empty last field that the header does not name, with a warning', async () => {
    const warning =
      'left out column 4: it has no name in the header and is empty on line 2, the lines ending with a delimiter';
    for (const text of [
      'gene\tS1\tS2\nA\t1\t2\t\nB\t3\t4\t\n',
      'gene\tS1\tS2\t\nA\t1\t2\t\nB\t3\t4\t\n',
      'gene\tS1\tS2\nA\t1\t2\t\nB\t3\t4\n',
    ]) {
      const r = await readMatrixFile(tmp.file('t.tsv', text));
      expect(r.colNames, text).toEqual(['S1', 'S2']);
      expect(r.rowNames).toEqual(['A', 'B']);
      expect(toRows(r.matrix)).toEqual([
        [1, 2],
        [3, 4],
      ]);
      expect(r.warnings).toEqual([warning]);
    }
  });

  it('leaves out several empty unnamed columns, and lines of nothing but delimiters', async () => {
    // A spreadsheet's export after formatting cells beyond the table: columns and rows of nothing.
    for (const text of [
      'gene,S1,S2,,\n,,,,\nA,1,2,,\nB,3,4,,\n,,,,\n,,,,\n',
      'gene,S1,S2\n,,,,\nA,1,2,,\nB,3,4\n,,,,\n,,,,\n',
    ]) {
      const r = await readMatrixFile(tmp.file('sheet.csv', text));
      expect(r.colNames, text).toEqual(['S1', 'S2']);
      expect(r.rowNames).toEqual(['A', 'B']);
      expect(toRows(r.matrix)).toEqual([
        [1, 2],
        [3, 4],
      ]);
      expect(r.warnings).toEqual([
        'left out columns 4–5: they have no name in the header and are empty on line 3, the lines ending with delimiters',
        'left out 3 lines from line 2 on, which hold nothing but delimiters',
      ]);
      const p = await inspectMatrixFile(tmp.file('sheet.csv', text));
      expect(p).toMatchObject({
        colNames: ['S1', 'S2'],
        rowNames: ['A', 'B'],
        estimatedCols: 2,
        estimatedRows: 2,
      });
    }
    const e = await refusal(tmp.file('late.csv', 'gene,S1,,\nA,1,,\nB,2,,x\n'));
    expect(e.message).toBe(
      'late.csv: line 3, column 4: "x" lies beyond the named columns (the header, line 1, names 1; the first data line ends with empty fields there)',
    );
  });

  it('previews such a table as it will be imported', async () => {
    for (const text of ['gene\tS1\tS2\nA\t1\t2\t\n', 'gene\tS1\tS2\t\nA\t1\t2\t\n']) {
      const p = await inspectMatrixFile(tmp.file('t.tsv', text));
      expect(p).toMatchObject({ colNames: ['S1', 'S2'], rowNames: ['A'], estimatedCols: 2 });
      expect(p.hints).toContain(
        'The lines end with a delimiter: the empty last column will be left out of the import.',
      );
    }
  });

  it('refuses a value in that field, which belongs to no column', async () => {
    const e = await refusal(tmp.file('t.csv', 'gene,S1,S2\nA,1,2,\nB,3,4,5\n'));
    expect(e.message).toBe(
      't.csv: line 3, column 4: "5" lies beyond the named columns (the header, line 1, names 2; the first data line ends with empty fields there)',
    );
    expect(e).toMatchObject({ line: 3, column: 4, value: '5' });
  });

  it('still reads a header one name short (R) when the first line ends with a value', async () => {
    const r = await readMatrixFile(tmp.file('r.tsv', 'S1\tS2\nA\t1\t2\nB\t3\t\n'));
    expect(r.colNames).toEqual(['S1', 'S2']);
    expect(toRows(r.matrix)).toEqual([
      [1, 2],
      [3, NaN],
    ]);
  });
});

describe("Excel's delimiter line (sep=…)", () => {
  it.each([
    ['sep=;', 'gene;S1;S2\r\nA;1,5;2\r\nB;3;4\r\n', ';'],
    ['sep=,', 'gene,S1,S2\r\nA,1.5,2\r\nB,3,4\r\n', ','],
    ['sep=\t', 'gene\tS1\tS2\r\nA\t1.5\t2\r\nB\t3\t4\r\n', '<tab>'],
  ])('reads %j as the delimiter, leaves the line out and says so', async (line, table, shown) => {
    // With a byte-order mark too, as Excel's "CSV UTF-8" writes.
    for (const text of [`${line}\r\n${table}`, `\uFEFF${line}\r\n${table}`]) {
      const r = await readMatrixFile(tmp.file('excel.csv', text));
      expect(r.colNames, JSON.stringify(text)).toEqual(['S1', 'S2']);
      expect(r.rowNames).toEqual(['A', 'B']);
      expect(toRows(r.matrix)).toEqual([
        [1.5, 2],
        [3, 4],
      ]);
      expect(r.warnings[0]).toBe(
        `line 1 is Excel's delimiter line (sep=${shown}): the table was read with that delimiter, and the line left out`,
      );
      const p = await inspectMatrixFile(tmp.file('excel.csv', text));
      expect(p).toMatchObject({ colNames: ['S1', 'S2'], rowNames: ['A', 'B'], estimatedCols: 2 });
    }
  });

  it('takes the named delimiter over the extension, and refuses one it cannot split on', async () => {
    const r = await readMatrixFile(tmp.file('named.tsv', 'sep=,\ngene,S1\nA,1\n'));
    expect(r.colNames).toEqual(['S1']);
    const e = await refusal(tmp.file('pipe.csv', 'sep=|\ngene|S1\nA|1\n'));
    expect(e.message).toBe(
      'pipe.csv: line 1: "sep=|" names a delimiter this reader does not take (a comma, semicolon, tab or space)',
    );
  });
});
