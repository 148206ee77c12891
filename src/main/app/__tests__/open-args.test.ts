import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { filesFromArgv, isOpenableFile } from '../open-args';

describe('filesFromArgv', () => {
  const cwd = resolve('/home/ana/data');

  it('keeps openable files, skips the executable, the app folder and switches', () => {
    const argv = [
      '/opt/NMF Studio/nmf-studio',
      '.',
      '--no-sandbox',
      '-psn_0_12345',
      'counts.tsv',
      'notes.md',
    ];
    expect(filesFromArgv(argv, cwd)).toEqual([join(cwd, 'counts.tsv')]);
  });

  it('resolves relative paths against the given working directory (a second instance’s)', () => {
    expect(filesFromArgv(['exe', 'sub/m.mtx'], cwd)).toEqual([join(cwd, 'sub', 'm.mtx')]);
    const absolute = resolve('/tmp/a.h5ad');
    expect(filesFromArgv(['exe', absolute], cwd)).toEqual([absolute]);
  });

  it('turns file:// URIs from Linux desktop entries into paths', () => {
    const path = resolve('/tmp/My Data/expr.csv');
    expect(filesFromArgv(['exe', pathToFileURL(path).href], cwd)).toEqual([path]);
  });

  it('drops duplicates and the executable itself even when it looks like a data file', () => {
    expect(filesFromArgv(['x.csv', 'a.csv', 'a.csv'], cwd)).toEqual([join(cwd, 'a.csv')]);
  });

  it('recognises extensions case-insensitively, including compressed tables', () => {
    expect(isOpenableFile('C:\\Data\\COUNTS.TSV')).toBe(true);
    expect(isOpenableFile('counts.tsv.gz')).toBe(true);
    expect(isOpenableFile('matrix.npy')).toBe(true);
    expect(isOpenableFile('report.pdf')).toBe(false);
    expect(isOpenableFile('csv')).toBe(false);
  });
});
