import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecentFiles } from '../recent-files';

describe('RecentFiles', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nmf-recent-'));
    file = join(dir, 'nested', 'recent-files.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the most recent first, without duplicates, up to the limit, across launches', () => {
    const recent = new RecentFiles(file, 3);
    for (const path of ['/a.tsv', '/b.csv', '/c.mtx', '/a.tsv', '/d.h5ad']) recent.add(path);
    expect(recent.list()).toEqual(['/d.h5ad', '/a.tsv', '/c.mtx']);
    expect(new RecentFiles(file, 3).list()).toEqual(['/d.h5ad', '/a.tsv', '/c.mtx']);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(['/d.h5ad', '/a.tsv', '/c.mtx']);
  });

  it('removes and clears', () => {
    const recent = new RecentFiles(file);
    recent.add('/a.tsv');
    recent.add('/b.tsv');
    recent.remove('/a.tsv');
    expect(new RecentFiles(file).list()).toEqual(['/b.tsv']);
    recent.clear();
    expect(new RecentFiles(file).list()).toEqual([]);
  });

  it('treats a missing or damaged file as an empty list and ignores entries that are not paths', () => {
    expect(new RecentFiles(join(dir, 'none.json')).list()).toEqual([]);
    const damaged = join(dir, 'damaged.json');
    writeFileSync(damaged, '{not json');
    expect(new RecentFiles(damaged).list()).toEqual([]);
    writeFileSync(damaged, JSON.stringify(['/a.tsv', 3, '', null, '/a.tsv', '/b.csv']));
    expect(new RecentFiles(damaged).list()).toEqual(['/a.tsv', '/b.csv']);
    writeFileSync(damaged, JSON.stringify({ files: ['/a.tsv'] }));
    expect(new RecentFiles(damaged).list()).toEqual([]);
  });

  it('returns a copy, so callers cannot change the list behind its back', () => {
    const recent = new RecentFiles(file);
    recent.add('/a.tsv');
    recent.list().push('/x.tsv');
    expect(recent.list()).toEqual(['/a.tsv']);
  });
});
