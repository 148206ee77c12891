import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Download, Page } from '@playwright/test';

/** The built command line, as `nmf-studio` runs it. */
const cliPath = join(process.cwd(), 'out', 'main', 'cli.js');

/**
 * Runs the built command line (`nmf-studio …`) and returns what it printed on stdout; throws, with
 * its stderr in the message, when it exits with a failure. Its stderr is captured, not echoed: the
 * warnings some imports give (AnnData's cells × genes turned to genes × cells) are expected.
 */
export function runCli(...args: string[]): string {
  return execFileSync(process.execPath, [cliPath, ...args], {
    env: { ...process.env, NMF_STUDIO_CLI: '1' },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** One array task of an unpacked job folder, run as a cluster's node runs it (`nmf-studio sweep-task`). */
function runClusterTask(folder: string, index: number): void {
  runCli('sweep-task', folder, '--task', String(index));
}

/** A planted data set as `nmf-studio synth` makes it (`depth`: its default when absent). */
export interface Planted {
  features: number;
  samples: number;
  rank: number;
  depth?: number;
  seed: number;
}

/** `nmf-studio synth` of `planted` into `out` (V.tsv and truth.json). */
export function synthesizeWithCli(planted: Planted, out: string): void {
  runCli(
    'synth',
    '--features',
    String(planted.features),
    '--samples',
    String(planted.samples),
    '--rank',
    String(planted.rank),
    ...(planted.depth === undefined ? [] : ['--depth', String(planted.depth)]),
    '--seed',
    String(planted.seed),
    '--out',
    out,
  );
}

/** `nmf-studio synth --cells`: a cells × genes AnnData file, `out`/cells.h5ad, as single-cell data come. */
export function synthesizeCellsWithCli(
  cells: { cells: number; features: number; rank: number; seed: number },
  out: string,
): void {
  runCli(
    'synth',
    '--cells',
    String(cells.cells),
    '--features',
    String(cells.features),
    '--rank',
    String(cells.rank),
    '--seed',
    String(cells.seed),
    '--format',
    'h5ad',
    '--out',
    out,
  );
}

/**
 * A new temporary folder with a library holding one fit made by the command line (run #1): the
 * planted data synthesized into syn/, fitted at its planted rank into library.sqlite and fit/.
 * Returns the folder, for a server to start on.
 */
export function libraryWithOneRun(
  prefix: string,
  planted: Planted,
  fit: { maxIter: number; seed: number },
): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  synthesizeWithCli(planted, join(dir, 'syn'));
  runCli(
    'fit',
    join(dir, 'syn', 'V.tsv'),
    '--rank',
    String(planted.rank),
    '--max-iter',
    String(fit.maxIter),
    '--seed',
    String(fit.seed),
    '--db',
    join(dir, 'library.sqlite'),
    '--out',
    join(dir, 'fit'),
  );
  return dir;
}

/**
 * A new temporary folder with a library prepared as a user splitting planted data by samples
 * would, with the command line: 120 × 60 planted at rank 4 (seed 3), its odd columns written to
 * training.tsv and fitted at rank 4 (dataset #1, run #1, files in fit/), its even columns written to
 * new-samples.tsv and imported (dataset #2). Returns the folder and its library file.
 */
export function splitPlantedLibrary(prefix: string): { dir: string; db: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const db = join(dir, 'library.sqlite');
  synthesizeWithCli({ features: 120, samples: 60, rank: 4, seed: 3 }, join(dir, 'syn'));
  const rows = readFileSync(join(dir, 'syn', 'V.tsv'), 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => l.split('\t'));
  const half = (odd: number): string =>
    rows.map((row) => row.filter((_, c) => c === 0 || (c - 1) % 2 === odd).join('\t')).join('\n') + '\n';
  writeFileSync(join(dir, 'training.tsv'), half(0));
  writeFileSync(join(dir, 'new-samples.tsv'), half(1));
  runCli('fit', join(dir, 'training.tsv'), '--rank', '4', '--db', db, '--out', join(dir, 'fit'));
  runCli('import', join(dir, 'new-samples.tsv'), '--db', db);
  return { dir, db };
}

/** A job folder downloaded from the app and unpacked with tar, where its results are brought back from. */
export interface UnpackedJobFolder {
  /** The folder the archive was saved and unpacked in. */
  work: string;
  /** The archive's top folder's name (the archive's name without .tar.gz). */
  top: string;
  /** The unpacked job folder. */
  folder: string;
}

/** Saves a downloaded job folder (.tar.gz) into `work` and unpacks it there with tar. */
export async function unpackJobFolder(download: Download, work: string): Promise<UnpackedJobFolder> {
  mkdirSync(work, { recursive: true });
  const archive = join(work, download.suggestedFilename());
  await download.saveAs(archive);
  execFileSync('tar', ['xzf', archive, '-C', work]);
  const top = download.suggestedFilename().replace(/\.tar\.gz$/, '');
  return { work, top, folder: join(work, top) };
}

/** Packs the job folder again with tar, as its results are taken back to the app: the archive's path. */
function packJobFolder(job: UnpackedJobFolder, name: string): string {
  const archive = join(job.work, name);
  execFileSync('tar', ['czf', archive, '-C', job.work, job.top]);
  return archive;
}

/** "Save job folder (.tar.gz)" on the cluster panel, which is open: the download it starts. */
export async function saveJobFolder(page: Page): Promise<Download> {
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Save job folder (.tar.gz)' }).click();
  return downloading;
}

/**
 * Runs `tasks` of the unpacked job folder as the cluster's nodes would, packs the folder as
 * `archive` (a file name, in its work folder) and gives it to the screen's "Import cluster results…".
 */
export async function importClusterResults(
  page: Page,
  job: UnpackedJobFolder,
  tasks: readonly number[],
  archive: string,
): Promise<void> {
  for (const task of tasks) runClusterTask(job.folder, task);
  await page.getByTestId('cluster-import-file').setInputFiles(packJobFolder(job, archive));
}
