import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './in-process';

/**
 * `sweep` and `consensus` take `--memory-budget SIZE` as `fit` does, and refuse a job over it
 * before the matrix is stored. 10 × 2000 is small, but a sweep's consensus matrix on its 2000
 * samples (three 2000 × 2000 arrays, 92 MiB) alone is over a 64 MiB budget.
 */
const dir = mkdtempSync(join(tmpdir(), 'nmf-cli-job-memory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function wideMatrix(): string {
  const path = join(dir, 'wide.tsv');
  const cols = 2000;
  const lines = [['feature', ...Array.from({ length: cols }, (_, j) => `s${j}`)].join('\t')];
  for (let i = 0; i < 10; i++)
    lines.push(
      [`g${i}`, ...Array.from({ length: cols }, (_, j) => String(1 + ((i * 7 + j * 3) % 11)))].join('\t'),
    );
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

describe('--memory-budget for sweep and consensus', () => {
  it('refuses a bad size, and a job over the budget before the matrix is stored', async () => {
    const matrix = wideMatrix();
    const db = join(dir, 'library.sqlite');
    const bad = await cli(
      'sweep',
      matrix,
      '--ranks',
      '2..3',
      '--memory-budget',
      '12Q',
      '--db',
      db,
      '--out',
      join(dir, 'a'),
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--memory-budget: "12Q" is not a size');

    const sweep = await cli(
      'sweep',
      matrix,
      '--ranks',
      '2..3',
      '--memory-budget',
      '64M',
      '--db',
      db,
      '--out',
      join(dir, 'b'),
    );
    expect(sweep.code).not.toBe(0);
    expect(sweep.stderr).toMatch(/V takes 156\.\d+ KiB .* over the memory budget of 64\.0 MiB/);
    expect(sweep.stderr).toContain('--memory-budget');

    // consensus takes the flag too (its refusal is tested through the services).
    const consensus = await cli(
      'consensus',
      matrix,
      '--rank',
      '2',
      '--memory-budget',
      '1M',
      '--db',
      db,
      '--out',
      join(dir, 'c'),
    );
    expect(consensus.code).toBe(2);
    expect(consensus.stderr).toContain('below the smallest memory budget, 64M');

    // Nothing was stored by the refused jobs.
    const listed = await cli('datasets', 'list', '--db', db);
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain('wide');
  }, 60_000);
});
