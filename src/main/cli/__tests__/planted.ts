import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { cli, type CliOutcome } from './in-process';

/** A planted data set as `nmf-studio synth` makes it. */
export interface Planted {
  features: number;
  samples: number;
  rank: number;
  seed: number;
}

/**
 * The small planted set the job-folder tests (services' cluster.test.ts, sample-cv-sweep.test.ts,
 * cluster-plan-progress.test.ts) plan, run and merge: small enough for every task to run in-process.
 */
export const smallPlanted: Planted = { features: 40, samples: 24, rank: 2, seed: 9 };

/** The short sweep those tests compare, local against planned-and-merged, byte for byte. */
export const shortSweepOptions: readonly string[] = [
  '--ranks',
  '2..3',
  '--replicates',
  '2',
  '--cv-folds',
  '2',
  '--max-iter',
  '60',
  '--seed',
  '3',
];

/**
 * A new temporary folder (named from `prefix`) holding syn/V.tsv and syn/truth.json as
 * `nmf-studio synth` writes `planted`; fails, with synth's stderr, when synth does. The caller
 * removes the folder.
 */
export async function folderWithPlanted(prefix: string, planted: Planted): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const made = await cli(
    'synth',
    '--features',
    String(planted.features),
    '--samples',
    String(planted.samples),
    '--rank',
    String(planted.rank),
    '--seed',
    String(planted.seed),
    '--out',
    join(dir, 'syn'),
  );
  expect(made.code, made.stderr).toBe(0);
  return dir;
}

/**
 * `nmf-studio <command> <source> <options…> --plan slurm --tasks <tasks> --out <job>`: a job folder
 * planned for a cluster from a matrix file (or a library's dataset, with `--db` in `options`).
 */
export function planJobFolder(
  command: 'sweep' | 'consensus',
  source: string,
  options: readonly string[],
  tasks: number,
  job: string,
): Promise<CliOutcome> {
  return cli(command, source, ...options, '--plan', 'slurm', '--tasks', String(tasks), '--out', job);
}

/**
 * `nmf-studio sweep` of the folder's syn/V.tsv with `options`, into `<dir>/<name>.sqlite` and
 * `<dir>/<name>/`: the local sweep a planned one is compared with.
 */
export function sweepInto(dir: string, name: string, options: readonly string[]): Promise<CliOutcome> {
  return cli(
    'sweep',
    join(dir, 'syn', 'V.tsv'),
    ...options,
    '--db',
    join(dir, `${name}.sqlite`),
    '--out',
    join(dir, name),
  );
}

/** `nmf-studio sweep-merge` of the job folder into `<dir>/<name>.sqlite` and `<dir>/<name>/`. */
export function mergeInto(dir: string, name: string, job: string): Promise<CliOutcome> {
  return cli('sweep-merge', job, '--db', join(dir, `${name}.sqlite`), '--out', join(dir, name));
}

/** Each of `files` (paths relative to both folders) has the same bytes in `actual` as in `expected`. */
export function expectSameBytes(files: readonly string[], actual: string, expected: string): void {
  for (const file of files)
    expect(readFileSync(join(actual, file)).equals(readFileSync(join(expected, file))), file).toBe(true);
}
