import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dense } from '../../../shared/linalg/matrix';
import {
  ImportError,
  readDelimitedTable,
  readFactorsTsv,
  readMatrixFile,
  writeDelimitedTable,
  writeFactorsTsv,
  writeMatrixTable,
  writeMatrixTsv,
} from '../index';
import { tempDirForEachTest, toRows } from './helpers';

const tmp = tempDirForEachTest();

/** Deterministic awkward doubles: long mantissas across many magnitudes, and edge values. */
function awkward(n: number, seed: number): Float64Array {
  const out = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const mantissa = s / 2 ** 32 + (Math.imul(s, 2654435761) >>> 0) / 2 ** 64;
    out[i] = mantissa * 10 ** ((s % 41) - 20);
  }
  const edges = [
    0,
    5e-324,
    2.2250738585072014e-308,
    1.7976931348623157e308,
    0.1 + 0.2,
    1 / 3,
    123456789012345680000,
  ];
  edges.forEach((v, i) => {
    if (i < n) out[i] = v;
  });
  return out;
}

function sameBits(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

describe('writeFactorsTsv / readFactorsTsv', () => {
  const m = 30;
  const k = 4;
  const n = 12;
  const features = Array.from({ length: m }, (_, i) =>
    i === 0 ? 'gene\twith tab' : i === 1 ? '#hash "quoted"' : `g${i}`,
  );
  const samples = Array.from({ length: n }, (_, j) => `sample ${j}`);
  const W = dense(m, k, awkward(m * k, 1));
  const H = dense(k, n, awkward(k * n, 2));

  it('writes the layout of CLI fit and reads it back bit for bit', async () => {
    const { wPath, hPath } = await writeFactorsTsv(join(tmp.dir, 'out'), {
      W,
      H,
      featureNames: features,
      sampleNames: samples,
    });
    const wText = readFileSync(wPath, 'utf8').split('\n');
    expect(wText[0]).toBe('feature\tc1\tc2\tc3\tc4');
    expect(wText[1].startsWith('"gene\twith tab"\t')).toBe(true);
    expect(wText[2].startsWith('"#hash ""quoted"""\t')).toBe(true);
    const hText = readFileSync(hPath, 'utf8').split('\n');
    expect(hText[0]).toBe(['component', ...samples].join('\t'));
    expect(hText[1].startsWith('c1\t')).toBe(true);

    const w = await readFactorsTsv(wPath);
    expect(w.kind).toBe('W');
    expect(w.transposed).toBe(false);
    expect(w.reason).toBe('header starts with "feature"');
    expect(w.names).toEqual(features);
    expect(w.componentNames).toEqual(['c1', 'c2', 'c3', 'c4']);
    expect([w.matrix.rows, w.matrix.cols]).toEqual([m, k]);
    expect(sameBits(w.matrix.data, W.data)).toBe(true);

    const h = await readFactorsTsv(hPath);
    expect(h.kind).toBe('H');
    expect(h.names).toEqual(samples);
    expect(sameBits(h.matrix.data, H.data)).toBe(true);
  });

  it('writes CSV on request and takes custom component names', async () => {
    const { wPath, hPath } = await writeFactorsTsv(
      tmp.dir,
      { W, H, featureNames: features, sampleNames: samples, componentNames: ['a', 'b', 'c', 'd'] },
      { format: 'csv' },
    );
    expect(wPath.endsWith('W.csv') && hPath.endsWith('H.csv')).toBe(true);
    const w = await readFactorsTsv(wPath);
    expect(w.componentNames).toEqual(['a', 'b', 'c', 'd']);
    expect(sameBits(w.matrix.data, W.data)).toBe(true);
    expect(sameBits((await readFactorsTsv(hPath)).matrix.data, H.data)).toBe(true);
  });

  it('refuses factors whose shapes disagree', async () => {
    await expect(
      writeFactorsTsv(tmp.dir, { W, H: dense(3, n), featureNames: features, sampleNames: samples }),
    ).rejects.toThrow('W has 4 components but H has 3');
  });

  it('reads scikit-learn matrices saved with numpy.savetxt (no names)', async () => {
    const w = tmp.file('W0.txt', '1.5 0.25\n0 2\n3 1\n4 0\n');
    const h = tmp.file('H0.txt', '1 2 3 4 5\n0 1 0 1 0\n');
    const rw = await readFactorsTsv(w);
    expect(rw.kind).toBe('W');
    expect(rw.names).toBeNull();
    expect(rw.componentNames).toEqual(['c1', 'c2']);
    expect(toRows(rw.matrix)).toEqual([
      [1.5, 0.25],
      [0, 2],
      [3, 1],
      [4, 0],
    ]);
    const rh = await readFactorsTsv(h);
    expect(rh.kind).toBe('H');
    expect([rh.matrix.rows, rh.matrix.cols]).toEqual([2, 5]);
    // Without a telling name, the shape decides: the short side holds the components.
    const tall = await readFactorsTsv(tmp.file('basis.txt', '1 2\n3 4\n5 6\n'));
    expect(tall.kind).toBe('W');
    const wide = await readFactorsTsv(tmp.file('coef.txt', '1 2 3\n4 5 6\n'));
    expect(wide.kind).toBe('H');
  });

  it('reads R write.table output of basis(fit)', async () => {
    const r = await readFactorsTsv(
      tmp.file('basis.txt', '"V1" "V2"\n"ACTB" 0.5 1\n"GAPDH" 2 0\n"CD3E" 1 1\n'),
    );
    expect(r.kind).toBe('W');
    expect(r.names).toEqual(['ACTB', 'GAPDH', 'CD3E']);
    expect(r.componentNames).toEqual(['V1', 'V2']);
  });

  it('reads cNMF spectra (components × genes) and usages (cells × components)', async () => {
    const spectra = tmp.file(
      'run.spectra.k_3.dt_0_1.consensus.txt',
      '\tACTB\tGAPDH\tCD3E\tMALAT1\n1\t1\t2\t3\t4\n2\t0\t1\t0\t1\n3\t5\t0\t0\t2\n',
    );
    const s = await readFactorsTsv(spectra);
    expect(s.kind).toBe('W');
    expect(s.transposed).toBe(true);
    expect(s.reason).toBe('cNMF spectra file (components × genes)');
    expect(s.names).toEqual(['ACTB', 'GAPDH', 'CD3E', 'MALAT1']);
    expect(s.componentNames).toEqual(['1', '2', '3']);
    expect(toRows(s.matrix)).toEqual([
      [1, 0, 5],
      [2, 1, 0],
      [3, 0, 0],
      [4, 1, 2],
    ]);
    const usages = tmp.file(
      'run.usages.k_3.dt_0_1.consensus.txt',
      '\t1\t2\t3\nAAAC-1\t0.5\t0.25\t0.25\nAAAG-1\t1\t0\t0\n',
    );
    const u = await readFactorsTsv(usages);
    expect(u.kind).toBe('H');
    expect(u.transposed).toBe(true);
    expect(u.names).toEqual(['AAAC-1', 'AAAG-1']);
    expect(u.componentNames).toEqual(['1', '2', '3']);
    expect(toRows(u.matrix)).toEqual([
      [0.5, 1],
      [0.25, 0],
      [0.25, 0],
    ]);
  });

  it('detects orientation from the dataset names and reorders to the dataset', async () => {
    const file = tmp.file('factors.tsv', '\tGAPDH\tACTB\tCD3E\nk1\t1\t2\t3\nk2\t4\t5\t6\n');
    const r = await readFactorsTsv(file, { featureNames: ['ACTB', 'GAPDH', 'CD3E'] });
    expect(r.kind).toBe('W');
    expect(r.transposed).toBe(true);
    expect(r.reason).toBe('column names match the features');
    expect(r.names).toEqual(['ACTB', 'GAPDH', 'CD3E']);
    expect(toRows(r.matrix)).toEqual([
      [2, 5],
      [1, 4],
      [3, 6],
    ]);
    expect(r.warnings).toEqual(['features were reordered to match the dataset']);
    const h = await readFactorsTsv(tmp.file('h.tsv', '\ts1\ts2\nk1\t1\t2\n'), { sampleNames: ['s1', 's2'] });
    expect(h.kind).toBe('H');
    expect(h.reason).toBe('column names match the samples');
  });

  it('refuses a factor whose size does not fit the dataset, and negative values', async () => {
    const file = tmp.file('W.tsv', 'feature\tc1\nA\t1\nB\t2\n');
    const e = await readFactorsTsv(file, { featureNames: ['A', 'B', 'C'] }).catch((error: unknown) => error);
    expect(e).toBeInstanceOf(ImportError);
    expect((e as ImportError).message).toBe(
      'W.tsv: holds 2 features, but the dataset has 3 (read as W: row names match the features)',
    );
    const partly = await readFactorsTsv(tmp.file('W2.tsv', 'feature\tc1\nB\t1\nA\t2\nA1\t3\n'), {
      featureNames: ['A', 'B', 'C'],
    }).catch((error: unknown) => error);
    expect((partly as ImportError).message).toBe(
      `W2.tsv: the feature names do not match the dataset's (read as W: row names match the features): 1 not in the dataset ("A1"); 1 of the dataset's missing ("C")`,
    );
    const twice = await readFactorsTsv(tmp.file('H.tsv', 'component\ts2\ts1\ts2\nk1\t1\t2\t3\n'), {
      sampleNames: ['s1', 's2', 's3'],
    }).catch((error: unknown) => error);
    expect((twice as ImportError).message).toBe(
      `H.tsv: the sample names do not match the dataset's (read as H: column names match the samples): 1 listed twice ("s2"); 1 of the dataset's missing ("s3")`,
    );
    // Names neutralised against spreadsheet formulas when exported match without their quote.
    const exported = await readFactorsTsv(tmp.file('W4.tsv', "feature\tc1\n'=B\t1\nA\t2\nC\t3\n"), {
      featureNames: ['A', '=B', 'C'],
    });
    expect(toRows(exported.matrix)).toEqual([[2], [1], [3]]);
    // An index (NumPy, pandas) names none of the features: the file's order is the link.
    const index = await readFactorsTsv(tmp.file('W3.tsv', '\tc1\n0\t1\n1\t2\n2\t3\n'), {
      featureNames: ['A', 'B', 'C'],
    });
    expect(index.warnings).toEqual([
      "the feature names differ from the dataset's; the file's order was kept",
    ]);
    const neg = await readFactorsTsv(tmp.file('W1.tsv', 'feature\tc1\nA\t-1\n')).catch(
      (error: unknown) => error,
    );
    expect((neg as ImportError).message).toBe(
      'W1.tsv: line 2, column 2 ("c1"): "-1" is negative (NMF needs non-negative data)',
    );
  });
});

describe('table writers', () => {
  it('writes V.tsv with integer counts, zeros of CSR, NA for missing, and reads it back', async () => {
    const csr = {
      kind: 'csr' as const,
      rows: 2,
      cols: 3,
      indptr: new Int32Array([0, 2, 3]),
      indices: new Int32Array([0, 2, 1]),
      data: new Float64Array([5, 12, NaN]),
    };
    const path = join(tmp.dir, 'V.tsv');
    await writeMatrixTsv(path, { matrix: csr, rowNames: ['g1', 'g2'], colNames: ['a', 'b', 'c'] });
    expect(readFileSync(path, 'utf8')).toBe('feature\ta\tb\tc\ng1\t5\t0\t12\ng2\t0\tNA\t0\n');
    const back = await readMatrixFile(path);
    expect(back.missing).toBe(1);
    expect(back.nnz).toBe(2);
  });

  it('writes gzip and CSV', async () => {
    const m = dense(2, 2, new Float64Array([1, 0.5, 0, 3]));
    const path = join(tmp.dir, 'V.csv.gz');
    await writeMatrixTable(
      path,
      { matrix: m, rowNames: ['x,1', 'y'], colNames: ['a', 'b'], corner: 'gene' },
      { delimiter: ',' },
    );
    const back = await readMatrixFile(path);
    expect(back.rowNames).toEqual(['x,1', 'y']);
    expect(toRows(back.matrix)).toEqual([
      [1, 0.5],
      [0, 3],
    ]);
    await expect(
      writeMatrixTsv(join(tmp.dir, 'bad.tsv'), { matrix: m, rowNames: ['x'], colNames: ['a', 'b'] }),
    ).rejects.toThrow('names (1 rows, 2 columns) do not fit a 2 × 2 matrix');
  });

  it('round-trips text tables through writeDelimitedTable / readDelimitedTable', async () => {
    const rows = [
      ['module', 'genes', 'note'],
      ['c1', 'ACTB,GAPDH', 'say "hi"'],
      ['c2', '', 'two\nlines'],
    ];
    for (const name of ['t.csv', 't.tsv']) {
      const path = join(tmp.dir, name);
      await writeDelimitedTable(path, rows, { delimiter: name.endsWith('.csv') ? ',' : '\t' });
      expect(await readDelimitedTable(path)).toEqual(rows);
    }
  });
});
