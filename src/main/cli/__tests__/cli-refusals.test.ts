import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './in-process';

/**
 * Bad flags, bad paths and files beside the matrix: each refused with exit 2 and one line naming
 * the flag or the path, before anything is stored or written.
 */
let dir: string;
let db: string;
let matrix: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nmf-cli-refusals-'));
  db = join(dir, 'library.sqlite');
  matrix = join(dir, 'small.tsv');
  const lines = ['gene\ta\tb\tc\td'];
  for (let i = 0; i < 12; i++)
    lines.push(`g${i}\t${1 + (i % 3)}\t${2 + (i % 5)}\t${1 + (i % 4)}\t${3 + (i % 2)}`);
  writeFileSync(matrix, `${lines.join('\n')}\n`);
  mkdirSync(join(dir, 'folder'));
  // One dataset in the library, so that "unchanged" compares something.
  expect((await cli('import', matrix, '--db', db)).code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What the library holds: datasets and runs, as the command line lists them. */
async function libraryState(): Promise<string> {
  const datasets = await cli('datasets', 'list', '--db', db);
  const runs = await cli('runs', 'list', '--db', db);
  return `${datasets.stdout}\n${runs.stdout}`;
}

/** Runs the command, expecting exit 2 with `message` as its one line, and the library unchanged. */
async function refused(args: string[], message: string): Promise<void> {
  const before = await libraryState();
  const files = readdirSync(dir).sort();
  const result = await cli(...args);
  expect(result.stderr, args.join(' ')).toBe(`nmf-studio: ${message}\n`);
  expect(result.code).toBe(2);
  expect(await libraryState()).toBe(before);
  expect(readdirSync(dir).sort()).toEqual(files);
}

describe('command-line refusals', () => {
  it('names the flag of a negative value, as for any other out-of-range value', async () => {
    const out = join(dir, 'never');
    await refused(
      ['fit', matrix, '--rank', '2', '--max-iter', '-1', '--out', out, '--db', db],
      '--max-iter must be at least 1, got -1',
    );
    await refused(
      ['sweep', matrix, '--ranks', '2..3', '--replicates', '-1', '--out', out, '--db', db],
      '--replicates must be at least 1, got -1',
    );
    await refused(
      ['fit', matrix, '--rank', '2', '--tol', '-.5', '--out', out, '--db', db],
      '--tol must be at least 0, got -.5',
    );
  });

  it('names the flag of a value beyond the settings schema, for fit, sweep and consensus', async () => {
    const out = join(dir, 'never');
    for (const command of [
      ['fit', matrix, '--rank', '2'],
      ['sweep', matrix, '--ranks', '2..3'],
      ['consensus', matrix, '--rank', '2', '--replicates', '4'],
    ]) {
      await refused(
        [...command, '--max-iter', '1e12', '--out', out, '--db', db],
        '--max-iter must be at most 1000000',
      );
    }
    await refused(
      ['fit', matrix, '--rank', '2', '--l1-w', '1e12', '--out', out, '--db', db],
      '--l1-w must be at most 1000000000',
    );
    // Three folds cannot each hold out 40 % of the entries as their own.
    await refused(
      ['sweep', matrix, '--ranks', '2..3', '--cv-holdout', '0.4', '--out', out, '--db', db],
      '--cv-holdout: cvHoldout must be above 0 and at most 1/cvFolds = 1/3 (0.333), got 0.4',
    );
    // The same rule, and the same sentence, for 0 and a negative value.
    await refused(
      ['sweep', matrix, '--ranks', '2..3', '--cv-holdout', '-0.1', '--out', out, '--db', db],
      '--cv-holdout: cvHoldout must be above 0 and at most 1/cvFolds = 1/3 (0.333), got -0.1',
    );
    await refused(
      ['sweep', matrix, '--ranks', '2..3', '--cv-folds', '4', '--cv-holdout', '0', '--out', out, '--db', db],
      '--cv-holdout: cvHoldout must be above 0 and at most 1/cvFolds = 1/4 (0.25), got 0',
    );
  });

  it('refuses an output folder that is a file, or lies under one, before fitting', async () => {
    await refused(
      ['fit', matrix, '--rank', '2', '--out', matrix, '--db', db],
      `--out ${matrix} is a file, not a folder`,
    );
    await refused(
      ['sweep', matrix, '--ranks', '2..3', '--out', join(matrix, 'k'), '--db', db],
      `--out ${join(matrix, 'k')} cannot be created: ${matrix} is a file`,
    );
  });

  it('says what is wrong with an id: negative, zero, fractional, not a number, too large, missing', async () => {
    const what = (text: string, listing: string): string =>
      `"${text}" is not an id (ids are whole numbers from 1; ${listing} list shows them)`;
    for (const [noun, verbs] of [
      ['datasets', ['show', 'delete']],
      ['runs', ['show', 'export', 'delete']],
    ] as const) {
      for (const verb of verbs) {
        const extra = verb === 'export' ? ['--out', join(dir, 'never')] : [];
        for (const id of ['-1', '0', '1.5', 'abc', '-0.5', '99999999999999999999'])
          await refused([noun, verb, id, ...extra, '--db', db], `${noun} ${verb}: ${what(id, noun)}`);
        await refused(
          [noun, verb, ...extra, '--db', db],
          `${noun} ${verb} needs an id (${noun} list shows them)`,
        );
      }
    }
    await refused(['annotate', '-1', '--samples', matrix, '--db', db], `annotate: ${what('-1', 'datasets')}`);
    await refused(['datasets', 'delete', '1', '2', '--db', db], 'datasets delete takes one id, got 2');
  });

  it('says what is wrong with an id in every other place that takes one, path-or-id arguments too', async () => {
    const notAnId = (command: string, text: string, listing: string): string =>
      `${command}: "${text}" is not an id (ids are whole numbers from 1; ${listing} shows them)`;
    const out = join(dir, 'never');
    const gmt = join(dir, 'sets.gmt');
    const cases: Array<[string[], string]> = [
      [['assign', '-1'], notAnId('assign', '-1', 'runs list')],
      [['align', '1.5', matrix], notAnId('align', '1.5', 'runs list')],
      // The second run is read as carefully as the first, before either is loaded.
      [['align', '1', '-2'], notAnId('align', '-2', 'runs list')],
      [['project', '-1', matrix], notAnId('project', '-1', 'runs list')],
      [['markers', '0'], notAnId('markers', '0', 'runs list')],
      [['enrich', '1e3', '--gmt', gmt], notAnId('enrich', '1e3', 'runs list')],
      [
        ['consensus', '-1', '--rank', '2', '--replicates', '4', '--out', out],
        notAnId('consensus', '-1', 'datasets list'),
      ],
      [
        ['consensus', '+2', '--rank', '2', '--replicates', '4', '--plan', 'slurm', '--out', out],
        notAnId('consensus', '+2', 'datasets list'),
      ],
      [
        ['sweep', '-.5', '--ranks', '2..3', '--plan', 'slurm', '--out', out],
        notAnId('sweep', '-.5', 'datasets list'),
      ],
      [
        ['runs', 'import', '--dataset', '-1', '--w', matrix, '--h', matrix],
        notAnId('runs import --dataset', '-1', 'datasets list'),
      ],
      [
        ['runs', 'import', join(dir, 'folder'), '--dataset', '99999999999999999999'],
        notAnId('runs import --dataset', '99999999999999999999', 'datasets list'),
      ],
    ];
    for (const [args, message] of cases) await refused([...args, '--db', db], message);
  });

  it('keeps an existing path with a number-like name a path', async () => {
    // `1.5` as a folder in the working directory: a run folder argument, not a bad id.
    const cwd = process.cwd();
    mkdirSync(join(dir, '1.5'));
    process.chdir(dir);
    try {
      await refused(
        ['assign', '1.5', '--db', db],
        '1.5 is neither a run folder (W.tsv, as fit writes it) nor a run id: W.tsv is missing',
      );
      await refused(
        ['consensus', '1.5', '--rank', '2', '--replicates', '4', '--out', join(dir, 'never'), '--db', db],
        '1.5: is a folder, not a matrix file',
      );
    } finally {
      process.chdir(cwd);
      rmSync(join(dir, '1.5'), { recursive: true });
    }
  });

  it('refuses a folder given as the library', async () => {
    const folder = join(dir, 'folder');
    await refused(
      ['import', matrix, '--db', folder],
      `${folder} is not an NMF Studio library: it is a folder. It was left untouched; choose another file.`,
    );
  });

  it('reads starting factors before storing the matrix: a missing one adds nothing', async () => {
    const changed = join(dir, 'changed.tsv');
    writeFileSync(changed, 'gene\ta\tb\ng1\t1\t2\ng2\t3\t4\ng3\t5\t7\n');
    const absent = join(dir, 'absent-W.tsv');
    await refused(
      [
        'fit',
        changed,
        '--rank',
        '1',
        '--init-w',
        absent,
        '--init-h',
        absent,
        '--out',
        join(dir, 'x'),
        '--db',
        db,
      ],
      'absent-W.tsv: cannot be read (no such file)',
    );
    rmSync(changed);
  });

  it('refuses a missing path and a folder in place of a file, for every command, by name', async () => {
    const missing = join(dir, 'gone.tsv');
    const folder = join(dir, 'folder');
    const out = join(dir, 'never');
    const cases: Array<[string[], string]> = [
      [['import', missing], 'gone.tsv: cannot be read (no such file)'],
      [['sweep', missing, '--ranks', '2..3', '--out', out], 'gone.tsv: cannot be read (no such file)'],
      [['consensus', folder, '--rank', '2', '--out', out], 'folder: is a folder, not a matrix file'],
      [['project', '1', folder], 'folder: is a folder, not a matrix file'],
      [['annotate', '1', '--samples', folder], `${folder}: cannot be read (is a directory)`],
      [['enrich', '1', '--gmt', folder], `${folder}: cannot be read (is a directory)`],
      [
        ['runs', 'import', missing, '--dataset', '1'],
        `${missing} is not a run folder (W.tsv, H.tsv, run.json): no such folder`,
      ],
      [
        ['runs', 'import', folder, '--dataset', '1'],
        `${folder} is not a run folder (W.tsv, H.tsv, run.json): W.tsv and H.tsv are missing`,
      ],
      [['runs', 'import', '--dataset', '1', '--w', folder, '--h', folder], 'folder: is a folder, not a file'],
      [['library', 'import', folder], `${folder} is not an NMF Studio library: it is a folder`],
    ];
    for (const [args, message] of cases) await refused([...args, '--db', db], message);
  });

  it('says what a run argument is when it is not a run folder', async () => {
    const missing = join(dir, 'no-run');
    await refused(
      ['assign', missing],
      `${missing} is neither a run folder (W.tsv, as fit writes it) nor a run id: no such folder`,
    );
    await refused(
      ['align', join(dir, 'folder'), matrix],
      `${join(dir, 'folder')} is neither a run folder (W.tsv, as fit writes it) nor a run id: W.tsv is missing`,
    );
    await refused(
      ['assign', matrix],
      `${matrix} is neither a run folder (W.tsv, as fit writes it) nor a run id: a file, not a folder`,
    );
  });
});
