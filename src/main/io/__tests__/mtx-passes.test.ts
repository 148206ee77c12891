import { beforeEach, describe, expect, it, vi } from 'vitest';
import { readMatrixFile } from '../index';
import type { ReadProgress } from '../index';
import { readMatrixMarket } from '../mtx';
import * as source from '../source';
import { tempDirForEachTest, toRows } from './helpers';

// Counts how often each file is opened (and, for .gz, decompressed) without changing the reads.
vi.mock('../source', async (importOriginal) => {
  const original = await importOriginal<typeof source>();
  return { ...original, openByteSource: vi.fn(original.openByteSource) };
});
const openByteSource = vi.mocked(source.openByteSource);

const tmp = tempDirForEachTest();
beforeEach(() => {
  openByteSource.mockClear();
});

function opensOf(path: string): number {
  return openByteSource.mock.calls.filter(([p]) => p === path).length;
}

/** A 10x-style coordinate file: genes × cells, entries sorted by cell, one duplicate, one zero. */
function tenXText(genes: number, cells: number): string {
  const entries: string[] = [];
  for (let c = 1; c <= cells; c++) {
    for (let g = 1; g <= genes; g++) if ((g * 7 + c * 3) % 5 === 0) entries.push(`${g} ${c} ${(g + c) % 9}`);
  }
  entries.push(`1 1 2`);
  return `%%MatrixMarket matrix coordinate integer general\n%metadata_json: {}\n${genes} ${cells} ${entries.length}\n${entries.join('\n')}\n`;
}

describe('Matrix Market passes', () => {
  it('reads a .mtx.gz with 10x companions in one pass, opening it once', async () => {
    tmp.file(
      'features.tsv',
      Array.from({ length: 40 }, (_, i) => `ENSG${i}\tG${i}\tGene Expression`).join('\n'),
    );
    tmp.file('barcodes.tsv', Array.from({ length: 30 }, (_, j) => `CELL${j}-1`).join('\n'));
    const path = tmp.file('matrix.mtx.gz', tenXText(40, 30));
    const progress: ReadProgress[] = [];
    const r = await readMatrixFile(path, { onProgress: (p) => progress.push(p) });
    expect(opensOf(path)).toBe(1);
    expect([r.matrix.rows, r.matrix.cols]).toEqual([40, 30]);
    expect(r.rowNames[0]).toBe('G0');
    const reading = progress.filter((p) => p.phase === 'reading').map((p) => p.bytesRead);
    expect(reading).toEqual([...reading].sort((a, b) => a - b));
    expect(reading[reading.length - 1]).toBe(progress[0].totalBytes);
  });

  it('decides a cells × genes orientation from the size line without reading the head first', async () => {
    tmp.file('features.tsv', 'g1\tA\ng2\tB\n');
    tmp.file('barcodes.tsv', 'c1\nc2\nc3\n');
    const path = tmp.file(
      'matrix.mtx.gz',
      '%%MatrixMarket matrix coordinate integer general\n3 2 2\n1 1 3\n3 2 4\n',
    );
    const r = await readMatrixFile(path);
    expect(opensOf(path)).toBe(1);
    expect(r.transposed).toBe(true);
    expect(toRows(r.matrix)).toEqual([
      [3, 0, 0],
      [0, 0, 4],
    ]);
  });

  it.each([
    ['general', tenXText(25, 17), false],
    ['general, transposed', tenXText(25, 17), true],
    [
      'symmetric',
      '%%MatrixMarket matrix coordinate real symmetric\n3 3 4\n1 1 1.5\n2 1 2\n3 2 0\n3 1 4\n',
      false,
    ],
  ])(
    'gives the same CSR when a %s file is read twice because it exceeds the buffer',
    async (_, text, transpose) => {
      const path = tmp.file('m.mtx.gz', text);
      const once = await readMatrixMarket(path, { transpose });
      expect(opensOf(path)).toBe(1);
      const twice = await readMatrixMarket(path, { transpose, bufferedEntries: 0 });
      expect(opensOf(path)).toBe(3);
      expect(twice.matrix).toEqual(once.matrix);
      expect(twice.nnz).toBe(once.nnz);
    },
  );

  it('refuses a bad entry at the same line and column in either mode', async () => {
    const path = tmp.file(
      'bad.mtx.gz',
      '%%MatrixMarket matrix coordinate real general\n% comment\n2 2 2\n1 1 1\n2 1 x1\n',
    );
    for (const bufferedEntries of [undefined, 0]) {
      await expect(readMatrixMarket(path, { transpose: false, bufferedEntries })).rejects.toMatchObject({
        message: 'bad.mtx.gz: line 5, row 2, column 1: "x1" is not a number',
        line: 5,
        row: 2,
        column: 1,
        value: 'x1',
      });
    }
  });

  it('can be cancelled during a single-pass read', async () => {
    const path = tmp.file('big.mtx.gz', tenXText(2000, 600));
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
