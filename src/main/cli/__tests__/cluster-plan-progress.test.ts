import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './in-process';
import { folderWithPlanted, smallPlanted } from './planted';

/**
 * `sweep … --plan slurm` and `consensus … --plan slurm` print the job folder's steps to stderr
 * with `--progress` (CLI.md: progress on stderr when it is a terminal or asked for; stdout carries
 * only the result) — from a matrix file and from a library dataset — and nothing without it.
 */

let dir: string;

beforeAll(async () => {
  dir = await folderWithPlanted('nmf-plan-progress-', smallPlanted);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The progress lines' steps in order, one entry per line. */
function steps(stderr: string): string[] {
  return stderr
    .trimEnd()
    .split('\n')
    .map(
      (line) =>
        /^plan: (writing data\.nmf|writing the scripts, README\.md and plan\.json) /.exec(line)?.[1] ?? line,
    );
}

describe('planning a job folder on the command line', () => {
  it('prints its steps to stderr with --progress, stdout unchanged', async () => {
    const planned = await cli(
      'sweep',
      join(dir, 'syn', 'V.tsv'),
      '--ranks',
      '2..3',
      '--replicates',
      '2',
      '--plan',
      'slurm',
      '--tasks',
      '2',
      '--progress',
      '--out',
      join(dir, 'job'),
    );
    expect(planned.code, planned.stderr).toBe(0);
    expect(JSON.parse(planned.stdout)).toMatchObject({ dir: join(dir, 'job'), tasks: 2 });
    const lines = planned.stderr.trimEnd().split('\n');
    // 40 × 24 counts: a few kB in one piece each array; each step's start and end.
    expect(lines[0]).toMatch(/^plan: writing data\.nmf 0% \(0\.0 kB of \d+\.\d kB\), \d+\.\d s elapsed$/);
    const total = /of (\d+\.\d kB)/.exec(lines[0])![1];
    expect(lines[1]).toMatch(
      new RegExp(`^plan: writing data\\.nmf 100% \\(${total} of ${total}\\), \\d+\\.\\d s elapsed$`),
    );
    expect(steps(planned.stderr)).toEqual([
      'writing data.nmf',
      'writing data.nmf',
      'writing the scripts, README.md and plan.json',
      'writing the scripts, README.md and plan.json',
    ]);
    expect(lines[3]).toMatch(/^plan: writing the scripts, README\.md and plan\.json 100% /);

    const quiet = await cli(
      'sweep',
      join(dir, 'syn', 'V.tsv'),
      '--ranks',
      '2..3',
      '--plan',
      'slurm',
      '--out',
      join(dir, 'quiet'),
    );
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe('');
  });

  it('does so for a consensus run planned from a library dataset', async () => {
    const db = join(dir, 'library.sqlite');
    const imported = await cli('import', join(dir, 'syn', 'V.tsv'), '--db', db);
    expect(imported.code, imported.stderr).toBe(0);
    const id = String((JSON.parse(imported.stdout) as { dataset: number }).dataset);
    const planned = await cli(
      'consensus',
      id,
      '--rank',
      '2',
      '--replicates',
      '4',
      '--plan',
      'slurm',
      '--tasks',
      '2',
      '--progress',
      '--db',
      db,
      '--out',
      join(dir, 'cjob'),
    );
    expect(planned.code, planned.stderr).toBe(0);
    expect(JSON.parse(planned.stdout)).toMatchObject({ tasks: 2 });
    expect(steps(planned.stderr)).toEqual([
      'writing data.nmf',
      'writing data.nmf',
      'writing the scripts, README.md and plan.json',
      'writing the scripts, README.md and plan.json',
    ]);
  });
});
