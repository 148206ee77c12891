import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './in-process';
import { folderWithPlanted, shortSweepOptions, smallPlanted } from './planted';

/**
 * With --progress, `sweep` opens with its forecast on stderr: the bound, and from the second sweep
 * with the same fit settings on, the time expected from what the first one's fits needed
 * (services/sweep-history.ts). Nothing of it without --progress; stdout is the result either way.
 */

let dir: string;

beforeAll(async () => {
  dir = await folderWithPlanted('nmf-sweep-forecast-', smallPlanted);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the forecast a sweep opens with', () => {
  it('gives the bound first, then also the time expected from the earlier sweep', async () => {
    const db = join(dir, 'lib.sqlite');
    const sweep = (out: string, ...more: string[]) =>
      cli(
        'sweep',
        join(dir, 'syn', 'V.tsv'),
        ...shortSweepOptions,
        '--db',
        db,
        '--out',
        join(dir, out),
        ...more,
      );

    const quiet = await sweep('quiet');
    expect(quiet.code, quiet.stderr).toBe(0);
    // Its warnings only.
    expect(quiet.stderr).not.toMatch(/^sweep \d+:/m);

    const first = await sweep('first', '--progress', '--seed', '4');
    expect(first.code, first.stderr).toBe(0);
    // The quiet sweep had other fit settings (seed aside, the same): its record is read.
    const [line] = first.stderr.split('\n');
    expect(line).toMatch(
      /^sweep 2: expected about \d+(\.\d)? s, at most \d+(\.\d)? s \(\d+ fits \(ranks 2–3, per rank: 2 replicate\(s\), 2 fold\(s\)/,
    );
    expect(line).toMatch(
      /; expected from the iterations the fits of 1 earlier sweep of this dataset with these fit settings needed, as shares of their budgets: data replicate \d+ %, data fold \d+ %/,
    );

    const other = await sweep('other', '--progress', '--max-iter', '80');
    expect(other.code, other.stderr).toBe(0);
    expect(other.stderr.split('\n')[0]).toMatch(/^sweep 3: at most \d+(\.\d)? s \(\d+ fits \(ranks 2–3/);
    expect(other.stderr).not.toMatch(/^sweep 3: expected/m);
  });
});
