import { copyFileSync } from 'node:fs';
import type * as FsPromises from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { inspectMatrixFile } from '../index';
import { fixture, refusal, tempDirForEachTest } from './helpers';

// A file the system refuses to open (tests run as root, where permissions do not refuse): every
// path with "locked" in its name fails to open with EACCES, as a file without read permission does.
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof FsPromises>();
  return {
    ...actual,
    open: vi.fn((path: Parameters<typeof actual.open>[0], ...rest: [string?]) =>
      String(path).includes('locked')
        ? Promise.reject(
            Object.assign(new Error(`EACCES: permission denied, open '${String(path)}'`), { code: 'EACCES' }),
          )
        : actual.open(path, ...rest),
    ),
  };
});

const tmp = tempDirForEachTest();

describe('files that cannot be opened', () => {
  it.each([
    ['locked.tsv', 'basic.tsv'],
    ['locked.csv.gz', 'basic.tsv.gz'],
    ['locked.mtx', 'v-real.mtx'],
    ['locked.npy', 'v-f8.npy'],
    ['locked.h5ad', 'csr.h5ad'],
    ['locked.h5', '10x-v3.h5'],
    // Too short to be gzip: opened all the same, so that it is refused by name too.
    ['locked-1-byte.tsv', null],
  ])('refuses %s by name, with the reason, in the reader and the preview', async (name, source) => {
    const path = join(tmp.dir, name);
    if (source === null) tmp.file(name, '1');
    else copyFileSync(fixture(source), path);
    const message = `${name}: cannot be read (permission denied)`;
    expect((await refusal(path)).message).toBe(message);
    await expect(inspectMatrixFile(path)).rejects.toThrow(message);
  });
});
