import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../index';
import { cli } from './in-process';

/**
 * --out folders: one the system will not create is refused before any work (Node's recursive
 * mkdir never returned under /proc), and an earlier output of the same kind in the folder is
 * replaced (a reused sweep folder kept the k<rank>/ folders of a wider sweep beside the new
 * ranks.json) while everything else there is left alone.
 */
let dir: string;
let db: string;
let matrix: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nmf-out-folders-'));
  db = join(dir, 'library.sqlite');
  matrix = join(dir, 'm.tsv');
  const lines = ['gene\ts1\ts2\ts3\ts4\ts5\ts6'];
  for (let i = 0; i < 16; i++) {
    const row = Array.from({ length: 6 }, (_, j) => 1 + ((i * 7 + j * 3 + i * j) % 11));
    lines.push(`g${i}\t${row.join('\t')}`);
  }
  writeFileSync(matrix, `${lines.join('\n')}\n`);
  expect((await cli('import', matrix, '--db', db)).code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const quick = (): string[] => ['--max-iter', '30', '--db', db];
/** A quick sweep without folds over `ranks` into `out`. */
const sweepArgs = (ranks: string, out: string): string[] => [
  'sweep',
  matrix,
  '--ranks',
  ranks,
  '--replicates',
  '2',
  '--cv-folds',
  '0',
  ...quick(),
  '--out',
  out,
];

/** Datasets and runs (sweeps' included), as the command line lists them. */
async function libraryState(): Promise<string> {
  return `${(await cli('datasets', 'list', '--db', db)).stdout}${(await cli('runs', 'list', '--db', db)).stdout}`;
}

/** The folder's entries, sub-folders' entries as `k2/W.tsv`. */
function listing(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' }).sort();
}

/** Expects exit 2 with `message` as the one line on stderr, and the library unchanged. */
async function refused(args: string[], message: string | RegExp): Promise<void> {
  const before = await libraryState();
  const result = await cli(...args);
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr.split('\n').length, result.stderr).toBe(2);
  if (typeof message === 'string') expect(result.stderr).toBe(`nmf-studio: ${message}\n`);
  else expect(result.stderr).toMatch(message);
  expect(await libraryState()).toBe(before);
}

describe('an --out folder the system will not create', () => {
  // ENAMETOOLONG: a portable reason; the old check saw only a missing path under a writable folder.
  const tooLong = (): string => join(dir, 'n'.repeat(300), 'out');
  const commands = (out: string): string[][] => [
    ['fit', matrix, '--rank', '2', ...quick(), '--out', out],
    ['sweep', matrix, '--ranks', '2..3', '--replicates', '2', ...quick(), '--out', out],
    ['consensus', matrix, '--rank', '2', '--replicates', '3', ...quick(), '--out', out],
    ['sweep', matrix, '--ranks', '2..3', '--plan', 'slurm', '--out', out],
    ['runs', 'export', '1', '--db', db, '--out', out],
    ['synth', '--features', '10', '--samples', '6', '--rank', '2', '--out', out],
    ['synth', '--cells', '20', '--features', '10', '--rank', '2', '--out', out],
  ];

  it('is refused in one line before any work, by every command that takes --out', async () => {
    expect((await cli('fit', matrix, '--rank', '2', ...quick(), '--out', join(dir, 'fit0'))).code).toBe(0);
    const entries = readdirSync(dir).sort();
    for (const args of commands(tooLong())) {
      await refused(
        args,
        /^nmf-studio: --out .* cannot be created: mkdir .* failed: ENAMETOOLONG, name too long\n$/,
      );
    }
    await refused(
      ['project', '1', matrix, '--db', db, '--out', tooLong()],
      /cannot be created: mkdir .* failed: ENAMETOOLONG/,
    );
    // sweep-merge: checked before the merge (this job has no results yet, which the merge would refuse).
    const job = join(dir, 'job');
    expect((await cli('sweep', matrix, '--ranks', '2..3', '--plan', 'slurm', '--out', job)).code).toBe(0);
    await refused(
      ['sweep-merge', job, '--db', db, '--out', tooLong()],
      /cannot be created: mkdir .* failed: ENAMETOOLONG/,
    );
    rmSync(job, { recursive: true });
    // Nothing created on the way (the probe's levels are removed again).
    expect(readdirSync(dir).sort()).toEqual(entries);
  });

  const proc = existsSync('/proc/self') ? it : it.skip;
  if (!existsSync('/proc/self')) console.log('skipped: /proc does not exist here (not Linux)');
  proc(
    'is refused under /proc, where a recursive mkdir never returns, and so is a --db there',
    async () => {
      for (const args of commands('/proc/nmf-studio-out')) {
        await refused(
          args,
          /^nmf-studio: --out \/proc\/nmf-studio-out cannot be created: mkdir \/proc\/nmf-studio-out failed: ENOENT/,
        );
      }
      const result = await cli('import', matrix, '--db', '/proc/nmf-studio-db/library.sqlite');
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /^nmf-studio: \/proc\/nmf-studio-db cannot be created: mkdir \/proc\/nmf-studio-db failed: ENOENT/,
      );
    },
    // Without the fix the first command never returns.
    20_000,
  );
});

describe('a reused --out folder', () => {
  it("replaces an earlier sweep's files: no k<rank>/ of a wider sweep is left", async () => {
    const out = join(dir, 'sweep');
    const sweep = (ranks: string) => cli(...sweepArgs(ranks, out));
    expect((await sweep('2..4')).code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['k2', 'k3', 'k4', 'ranks.json']);
    expect((await sweep('2..3')).code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['k2', 'k3', 'ranks.json']);
    const ranks = JSON.parse(readFileSync(join(out, 'ranks.json'), 'utf8')) as { ranks: { rank: number }[] };
    expect(ranks.ranks.map((r) => r.rank)).toEqual([2, 3]);
  });

  it("leaves the user's files and other outputs alone; refuses a rank folder holding one", async () => {
    const out = join(dir, 'sweep');
    writeFileSync(join(out, 'notes.txt'), 'mine\n');
    const before = listing(out);
    // Files the command does not write stay: notes, the data, another command's output.
    const again = await cli(
      'sweep',
      matrix,
      '--ranks',
      '2..2',
      '--replicates',
      '2',
      ...quick(),
      '--out',
      out,
    );
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine\n');
    expect(listing(out)).toEqual(before.filter((entry) => !/^k3\b|^k4\b/.test(entry)));
    const fit = await cli('fit', matrix, '--rank', '2', ...quick(), '--out', out);
    expect(fit.code, fit.stderr).toBe(0);
    expect(existsSync(join(out, 'ranks.json')) && existsSync(join(out, 'k2', 'W.tsv'))).toBe(true);
    // A rank folder the sweep would replace holds a file of the user's: refused, nothing removed.
    writeFileSync(join(out, 'k2', 'mine.tsv'), '');
    const holding = listing(out);
    await refused(
      ['sweep', matrix, '--ranks', '2..2', '--replicates', '2', ...quick(), '--out', out],
      `--out ${out} already holds k2/mine.tsv, which is no part of a sweep folder (ranks.json, k<rank>/ with W.tsv, H.tsv, run.json): its k<rank>/ folders would be replaced; move that file, or choose another folder`,
    );
    expect(listing(out)).toEqual(holding);
    rmSync(join(out, 'k2', 'mine.tsv'));
    // A job folder is planned into a new or empty folder only.
    await refused(
      ['sweep', matrix, '--ranks', '2..3', '--plan', 'slurm', '--out', out],
      /^nmf-studio: --out .* is not empty \(it holds .* and \d+ more\): a job folder is planned into a new or empty folder$/m,
    );
  });

  it('keeps the earlier output when the command fails, and takes a part of its own layout', async () => {
    const out = join(dir, 'fit0');
    const before = readFileSync(join(out, 'W.tsv'), 'utf8');
    const bad = join(dir, 'bad.tsv');
    writeFileSync(bad, 'gene\ta\tb\ng1\t1\tx\ng2\t2\t3\n');
    const failed = await cli('fit', bad, '--rank', '1', ...quick(), '--out', out);
    expect(failed.code).toBe(2);
    expect(readFileSync(join(out, 'W.tsv'), 'utf8')).toBe(before);
    // A consensus over one rank writes a run folder and consensus.json: a fit's folder is part of it.
    const consensus = await cli(
      'consensus',
      matrix,
      '--rank',
      '2',
      '--replicates',
      '3',
      ...quick(),
      '--out',
      out,
    );
    expect(consensus.code, consensus.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['H.tsv', 'W.tsv', 'consensus.json', 'run.json']);
  });

  it("removes the other format's files when synth --cells switches format", async () => {
    const out = join(dir, 'cells');
    const synth = (format: string) =>
      cli('synth', '--cells', '30', '--features', '12', '--rank', '2', '--format', format, '--out', out);
    expect((await synth('mtx')).code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['barcodes.tsv', 'features.tsv', 'matrix.mtx', 'truth.json']);
    expect((await synth('h5ad')).code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['cells.h5ad', 'truth.json']);
  });
});

describe('a file that appears in --out while the command works', () => {
  /** Every file under the folder with its text (`k2/W.tsv`); folders only through their files. */
  function filesOf(folder: string): Record<string, string> {
    return Object.fromEntries(
      listing(folder)
        .filter((entry) => !statSync(join(folder, entry)).isDirectory())
        .map((entry) => [entry, readFileSync(join(folder, entry), 'utf8')]),
    );
  }

  /**
   * Runs the command in-process with --progress; at its first progress line (the work has begun,
   * the check before it has passed) `during` runs, as another process writing into --out would.
   */
  async function withIntrusion(args: string[], during: () => void): Promise<{ code: number; last: string }> {
    let stderr = '';
    let intruded = false;
    const code = await main([...args, '--progress'], {
      stdout: () => undefined,
      stderr: (text) => {
        if (!intruded) {
          intruded = true;
          during();
        }
        stderr += text;
      },
      stderrIsTty: false,
    });
    expect(intruded).toBe(true);
    return { code, last: stderr.trimEnd().split('\n').at(-1) ?? '' };
  }

  it('is refused after the work with the earlier output untouched, naming the stored sweep and how to export it', async () => {
    const out = join(dir, 'raced-sweep');
    const sweep = sweepArgs('2..3', out);
    expect((await cli(...sweep)).code).toBe(0);
    const before = filesOf(out);
    const runsBefore = (await cli('runs', 'list', '--db', db)).stdout;
    const { code, last } = await withIntrusion(sweep, () =>
      writeFileSync(join(out, 'k3', 'notes.txt'), 'mine\n'),
    );
    expect(code).toBe(2);
    const match = new RegExp(
      `^nmf-studio: --out ${out} already holds k3/notes.txt, which is no part of a sweep folder \\(ranks.json, k<rank>/ with W.tsv, H.tsv, run.json\\): its k<rank>/ folders would be replaced; move that file, or choose another folder. Nothing in --out was changed; sweep (\\d+) is stored in ${db} with its runs (\\d+) \\(k2\\), (\\d+) \\(k3\\): nmf-studio runs export <run> --db ${db} --out DIR writes one again$`,
    ).exec(last);
    expect(match, last).not.toBeNull();
    // The earlier sweep as it was, the file that appeared beside it, nothing of the new one.
    expect(filesOf(out)).toEqual({ ...before, [join('k3', 'notes.txt')]: 'mine\n' });
    // The sweep is stored, and the export the message gives writes its rank 3 run.
    expect((await cli('runs', 'list', '--db', db)).stdout).not.toBe(runsBefore);
    const again = join(dir, 'raced-k3');
    const exported = await cli('runs', 'export', match![3], '--db', db, '--out', again);
    expect(exported.code, exported.stderr).toBe(0);
    const runJson = JSON.parse(readFileSync(join(again, 'run.json'), 'utf8')) as { params: { rank: number } };
    expect(runJson.params.rank).toBe(3);
  });

  it('is refused for a fit whose file name was taken, saying which run holds the result', async () => {
    const out = join(dir, 'raced-fit');
    const fit = ['fit', matrix, '--rank', '2', ...quick(), '--out', out];
    const { code, last } = await withIntrusion(fit, () => mkdirSync(join(out, 'H.tsv'), { recursive: true }));
    expect(code).toBe(2);
    expect(last).toMatch(
      new RegExp(
        `^nmf-studio: --out ${out} holds a folder named H.tsv where the run folder's H.tsv goes: move it, or choose another folder. Nothing in --out was changed; run \\d+ is stored in ${db}: nmf-studio runs export \\d+ --db ${db} --out DIR writes it again$`,
      ),
    );
    expect(readdirSync(out)).toEqual(['H.tsv']);
  });
});
