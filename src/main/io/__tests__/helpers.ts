import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach } from 'vitest';
import type { DataMatrix } from '../../../shared/linalg/matrix';
import { ImportError, readMatrixFile, type ReadOptions } from '../index';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

export function fixture(name: string): string {
  return join(FIXTURES, name);
}

/** A temporary directory removed by the returned cleanup. */
export function tempDir(): {
  dir: string;
  file: (name: string, content: string | Uint8Array) => string;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'nmf-io-'));
  return {
    dir,
    file: (name, content) => {
      const path = join(dir, name);
      writeFileSync(path, name.endsWith('.gz') ? gzipSync(content) : content);
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * A fresh temporary directory for each test of the file (the beforeEach and afterEach hooks are
 * registered here): `dir` and `file` are those of the test that runs.
 */
export function tempDirForEachTest(): Pick<ReturnType<typeof tempDir>, 'dir' | 'file'> {
  let current: ReturnType<typeof tempDir> | undefined;
  beforeEach(() => {
    current = tempDir();
  });
  afterEach(() => current?.cleanup());
  const now = (): ReturnType<typeof tempDir> => {
    if (!current) throw new Error('no temporary directory outside a test');
    return current;
  };
  return {
    get dir() {
      return now().dir;
    },
    file: (name, content) => now().file(name, content),
  };
}

/** The ImportError a read of `path` rejects with; fails when the read is accepted. */
export async function refusal(path: string, options: ReadOptions = {}): Promise<ImportError> {
  try {
    await readMatrixFile(path, options);
  } catch (error) {
    if (error instanceof ImportError) return error;
    throw error;
  }
  throw new Error(`${path} was accepted`);
}

/** Row-major dense values of any matrix, for comparisons (small matrices only). */
export function toRows(matrix: DataMatrix): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < matrix.rows; i++) {
    const row = new Array<number>(matrix.cols).fill(0);
    if (matrix.kind === 'dense') {
      for (let j = 0; j < matrix.cols; j++) row[j] = matrix.data[i * matrix.cols + j];
    } else {
      for (let k = matrix.indptr[i]; k < matrix.indptr[i + 1]; k++) row[matrix.indices[k]] = matrix.data[k];
    }
    rows.push(row);
  }
  return rows;
}

/** The 4 genes × 3 cells matrix held by the binary fixtures. */
export const V = [
  [1, 0, 3],
  [0, 5, 0],
  [2, 0, 0],
  [0, 0, 7.5],
];
export const GENES = ['ACTB', 'GAPDH', 'CD3E', 'MALAT1'];
export const CELLS = ['AAACCTGAGAAACCAT-1', 'AAACCTGAGAAACCGC-1', 'AAACCTGAGAAACCTA-1'];

export function transposeRows(rows: number[][]): number[][] {
  return rows[0].map((_, j) => rows.map((row) => row[j]));
}
