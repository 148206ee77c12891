import {
  accessSync,
  constants,
  lstatSync,
  mkdtempSync,
  readdirSync,
  rmdirSync,
  statSync,
  type Dirent,
  type Stats,
} from 'node:fs';
import { mkdtemp, readdir, rename, rm, rmdir, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { FolderError, makeFolder, makeFolderSync } from '../io/make-folder';
import { UsageError } from './args';
import type { AppFacts } from '../services/context';

/**
 * The `--out` folder of a command: checked before any work; after it, the new output is written
 * beside the earlier one in a temporary folder and takes its place in one last step
 * (writeOutFolder).
 *
 * Other tools read these folders by CLI.md (every `k<rank>/` of a sweep, every file named there),
 * so a folder holding files of an earlier output would pass them off as this one's: a sweep over
 * 2..4 written where one over 2..8 was left k5/–k8/ beside the new ranks.json. Each command
 * therefore owns a layout (the files and per-rank folders it writes): the layout's entries already
 * in `--out` — an earlier output of the same kind, or a part of one — are replaced once the work
 * has succeeded and the new files are written. Everything else at the top of the folder (the
 * data, notes, another tool's or another command's output: pipelines such as Snakemake write many
 * rules' outputs into one folder, and `--out .` is common) is left alone, as it cannot be read as
 * part of this output. A `k<rank>/` folder holding anything but the layout's files is refused
 * before any work, naming it: it would have to be replaced, and nothing of the user's is ever
 * removed. A cluster job folder must be new or empty. Files the operating system leaves in folders
 * it has shown (.DS_Store, Thumbs.db, desktop.ini) are neither refused nor removed.
 */

/** What a command writes in its folder. */
export interface OutputLayout {
  /** The folder as a refusal names it: `sweep folder`. */
  what: string;
  /** What it holds, as a refusal lists it: `ranks.json, k<rank>/ with W.tsv, H.tsv, run.json`. */
  contents: string;
  /** Files written at the top of the folder. */
  files: readonly string[];
  /** Files written in each `k<rank>/` folder; undefined when the layout has none. */
  rankFiles?: readonly string[];
  /**
   * False for a folder that must be new or empty and is never cleared: a cluster job folder,
   * which fills with results that took hours to compute.
   */
  replaces: boolean;
}

const RUN_FILES = ['W.tsv', 'H.tsv', 'run.json'] as const;
const CONSENSUS_FILES = [...RUN_FILES, 'consensus.json'] as const;

/** `fit` and `runs export` (CLI.md: W.tsv, H.tsv, run.json). */
export const RUN_LAYOUT: OutputLayout = {
  what: 'run folder',
  contents: 'W.tsv, H.tsv, run.json',
  files: RUN_FILES,
  replaces: true,
};

/** `sweep` and `sweep-merge` of a sweep: ranks.json and k<rank>/ holding a run folder each. */
export const SWEEP_LAYOUT: OutputLayout = {
  what: 'sweep folder',
  contents: 'ranks.json, k<rank>/ with W.tsv, H.tsv, run.json',
  files: ['ranks.json'],
  rankFiles: RUN_FILES,
  replaces: true,
};

/** `consensus` over one rank: a run folder and consensus.json. */
export const CONSENSUS_LAYOUT: OutputLayout = {
  what: 'consensus folder',
  contents: 'W.tsv, H.tsv, run.json, consensus.json',
  files: CONSENSUS_FILES,
  replaces: true,
};

/** `consensus` over a range of ranks: ranks.json and k<rank>/ holding a consensus folder each. */
export const CONSENSUS_RANGE_LAYOUT: OutputLayout = {
  what: 'consensus folder over ranks',
  contents: 'ranks.json, k<rank>/ with W.tsv, H.tsv, run.json, consensus.json',
  files: ['ranks.json'],
  rankFiles: CONSENSUS_FILES,
  replaces: true,
};

/** `project`: H.tsv and run.json. */
export const PROJECTION_LAYOUT: OutputLayout = {
  what: 'projection folder',
  contents: 'H.tsv, run.json',
  files: ['H.tsv', 'run.json'],
  replaces: true,
};

/** `synth --features … --samples …`: V.tsv and truth.json. */
export const SYNTH_LAYOUT: OutputLayout = {
  what: 'synth folder',
  contents: 'V.tsv, truth.json',
  files: ['V.tsv', 'truth.json'],
  replaces: true,
};

/** `synth --cells`: either format's files (so that switching formats leaves no file of the other). */
export const SYNTH_CELLS_LAYOUT: OutputLayout = {
  what: 'synth --cells folder',
  contents: 'cells.h5ad or matrix.mtx, features.tsv, barcodes.tsv; truth.json',
  files: ['cells.h5ad', 'matrix.mtx', 'features.tsv', 'barcodes.tsv', 'truth.json'],
  replaces: true,
};

/** `sweep … --plan slurm` and `consensus … --plan slurm`: a new or empty folder, never cleared. */
export const JOB_LAYOUT: OutputLayout = { what: 'job folder', contents: '', files: [], replaces: false };

/** The consensus layout for a range of ranks (one rank: the folder itself; several: k<rank>/). */
export function consensusLayout(fromRank: number, toRank: number): OutputLayout {
  return fromRank === toRank ? CONSENSUS_LAYOUT : CONSENSUS_RANGE_LAYOUT;
}

/** Files operating systems leave in folders they have shown; neither refused nor removed. */
const SYSTEM_FILES = new Set(['.DS_Store', 'Thumbs.db', 'desktop.ini']);

const RANK_FOLDER = /^k\d+$/;

/** What a folder holds, as the layout sees it: its own entries and those in its way. */
interface Holdings {
  /** Files of the layout at the top, and k<rank>/ folders holding only the layout's files. */
  own: Array<{ name: string; folder: boolean }>;
  /**
   * Entries the output cannot be written beside, as paths inside the folder: files in a
   * k<rank>/ folder the layout writes (`k5/x`), or anything at all in a folder that must be new.
   */
  foreign: string[];
  /** Entries named as a file of the layout that are not files (a folder, a link): never replaced. */
  inWay: Array<{ name: string; kind: string }>;
}

function holdings(dir: string, entries: Dirent[], layout: OutputLayout): Holdings {
  const own: Holdings['own'] = [];
  const foreign: string[] = [];
  const inWay: Holdings['inWay'] = [];
  for (const entry of entries) {
    const name = entry.name;
    if (SYSTEM_FILES.has(name)) continue;
    // Symbolic links are never the layout's: nothing is removed or written through them.
    if (layout.files.includes(name)) {
      if (entry.isFile()) own.push({ name, folder: false });
      else inWay.push({ name, kind: kindOf(entry) });
      continue;
    }
    if (entry.isDirectory() && layout.rankFiles !== undefined && RANK_FOLDER.test(name)) {
      const inside = readdirSync(join(dir, name), { withFileTypes: true }).filter(
        (e) => !SYSTEM_FILES.has(e.name) && !(e.isFile() && layout.rankFiles!.includes(e.name)),
      );
      if (inside.length === 0) own.push({ name, folder: true });
      else foreign.push(...inside.map((e) => `${name}/${e.name}${e.isDirectory() ? '/' : ''}`));
      continue;
    }
    // The user's own files, or another output, beside this one: left alone (see the file's comment).
    if (!layout.replaces) foreign.push(entry.isDirectory() ? `${name}/` : name);
  }
  return { own, foreign: foreign.sort(), inWay };
}

function kindOf(entry: { isDirectory(): boolean; isSymbolicLink(): boolean }): string {
  return entry.isDirectory() ? 'a folder' : entry.isSymbolicLink() ? 'a link' : 'a file';
}

/** The refusal of an entry that holds the name of one of the output's files or folders. */
function inWayRefusal(out: string, name: string, kind: string, layout: OutputLayout): UsageError {
  return new UsageError(
    `--out ${out} holds ${kind} named ${name} where the ${layout.what}'s ${name} goes: move it, or choose another folder`,
  );
}

/** The refusal of a folder holding `foreign`, for `--out out`. */
function foreignRefusal(out: string, foreign: string[], layout: OutputLayout): UsageError {
  const more = foreign.length > 1 ? ` and ${foreign.length - 1} more` : '';
  if (!layout.replaces) {
    return new UsageError(
      `--out ${out} is not empty (it holds ${foreign[0]}${more}): a ${layout.what} is planned into a new or empty folder`,
    );
  }
  return new UsageError(
    `--out ${out} already holds ${foreign[0]}${more}, which is no part of a ${layout.what} (${layout.contents}): its k<rank>/ folders would be replaced; move that file, or choose another folder`,
  );
}

/** What is at `path` (the link itself when `link`), or undefined when nothing can be read there. */
function statOrUndefined(path: string, link = false): Stats | undefined {
  try {
    return link ? lstatSync(path) : statSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Refuses an output folder before any work when it cannot be written or holds what the command
 * does not own (see the file's comment). A missing folder is created and removed again (each
 * missing level with a plain mkdir, see makeFolderSync), so that every reason the system has to
 * refuse it (a file on the way, no permission, a file system that takes no folders like /proc, a
 * name too long) is found now, and a command refused later (a bad matrix) leaves no folder behind.
 * An existing folder is probed with a folder created and removed inside it. Without this the
 * failure came after the work, the run already stored — or never, under /proc, where Node's
 * recursive mkdir loops.
 */
export function checkOutFolder(out: string, layout: OutputLayout): void {
  const target = resolve(out);
  const info = statOrUndefined(target);
  if (info !== undefined && !info.isDirectory()) throw new UsageError(`--out ${out} is a file, not a folder`);
  if (info === undefined) {
    checkNearestFolder(out, dirname(target));
    let created: string[] = [];
    try {
      created = makeFolderSync(target);
    } catch (error) {
      if (error instanceof FolderError)
        throw new UsageError(`--out ${out} cannot be created: ${error.detail}`);
      throw error;
    } finally {
      for (const level of created.reverse()) rmdirSync(level);
    }
    return;
  }
  try {
    accessSync(target, constants.W_OK);
    rmdirSync(mkdtempSync(join(target, '.nmf-studio-probe-')));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `--out ${out} cannot be written: ${target} is not writable${code ? ` (${code})` : ''}`,
    );
  }
  const { foreign, inWay } = holdings(target, readdirSync(target, { withFileTypes: true }), layout);
  if (foreign.length > 0) throw foreignRefusal(out, foreign, layout);
  if (inWay.length > 0) throw inWayRefusal(out, inWay[0].name, inWay[0].kind, layout);
}

/** The nearest existing level above a missing --out: a folder, writable (a file there is named). */
function checkNearestFolder(out: string, from: string): void {
  for (let path = from; ; path = dirname(path)) {
    const info = statOrUndefined(path);
    if (info !== undefined) {
      if (!info.isDirectory()) throw new UsageError(`--out ${out} cannot be created: ${path} is a file`);
      try {
        accessSync(path, constants.W_OK);
      } catch {
        throw new UsageError(`--out ${out} cannot be written: ${path} is not writable`);
      }
      return;
    }
    if (dirname(path) === path) return;
  }
}

/** A path as one shell word (quoted when it holds anything but plain path characters). */
function shellWord(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
}

const NOTHING_STORED = 'nothing was stored in the library (--no-save): run the command again';

/**
 * The library that keeps what a command stored, or null when nothing outlives the command: the
 * temporary library of `--no-save` (removed when the command ends) or one in memory.
 */
export function keptLibrary(app: Pick<AppFacts, 'libraryPath' | 'libraryIsTemporary'>): string | null {
  return app.libraryIsTemporary === true || app.libraryPath === ':memory:' ? null : app.libraryPath;
}

/**
 * What a refusal after a fit says of its run: the library and id that hold it, and the command
 * that writes its folder again (`runs export`).
 *
 * @param library the library that keeps the run (`keptLibrary`; null under --no-save)
 */
export function storedRunNote(library: string | null, runId: number): string {
  if (library === null) return NOTHING_STORED;
  return `run ${runId} is stored in ${library}: nmf-studio runs export ${runId} --db ${shellWord(library)} --out DIR writes it again`;
}

/**
 * The same for a sweep or a consensus: no command writes their folders again, but each rank's
 * run is a library run that `runs export` writes as its k<rank>/ folder.
 *
 * @param what `sweep 4`, `consensus 2`
 * @param runs each rank's run (null: the rank has none)
 */
export function storedRanksNote(
  library: string | null,
  what: string,
  runs: ReadonlyArray<{ rank: number; runId: number | null }>,
): string {
  if (library === null) return NOTHING_STORED;
  const listed = runs
    .filter((r) => r.runId !== null)
    .map((r) => `${r.runId} (k${r.rank})`)
    .join(', ');
  if (listed === '') return `${what} is stored in ${library}, without a run`;
  return `${what} is stored in ${library} with its runs ${listed}: nmf-studio runs export <run> --db ${shellWord(library)} --out DIR writes one again`;
}

/** A temporary folder inside `--out`: `.nmf-studio-new-*` (the new output), `.nmf-studio-old-*`. */
const STAGING_PREFIX = '.nmf-studio-new-';
const ASIDE_PREFIX = '.nmf-studio-old-';

/**
 * Writes a command's output into `--out` after the work, so that the last step succeeds whole or
 * changes nothing there.
 *
 * `write` fills a new temporary folder inside `--out` (the same file system, so that a rename
 * moves an entry without copying it). Then the folder is looked at again (checkOutFolder looked
 * before the work, which can take hours), the earlier output's entries are moved aside into a
 * second temporary folder and looked at once more there — out of reach of anything writing to
 * `--out/k<rank>/…` — and the new entries are renamed into place. Only then are the earlier
 * entries removed, file by file by their layout names, never a whole folder blindly. A file that
 * appeared in a `k<rank>/` folder since the check (or a folder that appeared where a new one
 * goes: renaming a folder onto a folder holding anything fails) undoes every move made so far and
 * refuses, naming the file: the earlier output and that file are as they were, and the temporary
 * folders are gone. A `write` that fails leaves the earlier output as it was too.
 *
 * @param kept what the library holds of the result, for a refusal after the work: which row
 *   holds it and how to write it out again (`storedRunNote`), or null when nothing is stored
 * @param seams where a test acts between the steps (another process writing into --out)
 * @returns what `write` returned
 */
export async function writeOutFolder<T>(
  out: string,
  layout: OutputLayout,
  write: (dir: string) => Promise<T>,
  kept: string | null,
  seams: PlacementSeams = {},
): Promise<T> {
  if (!layout.replaces) throw new Error(`a ${layout.what} is never replaced`);
  const withKept = (refusal: UsageError): UsageError =>
    new UsageError(`${refusal.message}. Nothing in --out was changed${kept === null ? '' : `; ${kept}`}`);
  try {
    await makeFolder(out);
  } catch (error) {
    if (error instanceof FolderError)
      throw withKept(new UsageError(`--out ${out} cannot be created: ${error.detail}`));
    throw error;
  }
  const staging = await mkdtemp(join(out, STAGING_PREFIX));
  let keepStaging = false;
  try {
    const written = await write(staging);
    await placeOutput(out, staging, layout, seams);
    return written;
  } catch (error) {
    if (error instanceof UsageError) throw withKept(error);
    keepStaging = error instanceof NotRestoredError;
    throw error;
  } finally {
    // Empty once placed; the new output otherwise (nothing of the user's is ever written there),
    // kept only when an undone step left part of it there.
    if (!keepStaging) await rm(staging, { recursive: true, force: true });
  }
}

/** A final step that could not be undone: the message says where each part of the output is. */
class NotRestoredError extends Error {}

/** An entry renamed from one folder into another, to be renamed back when the step is undone. */
interface Move {
  from: string;
  to: string;
}

async function moveAll(names: readonly string[], from: string, to: string, done: Move[]): Promise<void> {
  for (const name of names) {
    await rename(join(from, name), join(to, name));
    done.push({ from: join(from, name), to: join(to, name) });
  }
}

/**
 * Renames back, last first, and removes the emptied folder the earlier output was moved into. A
 * move that cannot be undone is reported with where the entry is, never settled by removing.
 */
async function undo(moves: Move[], aside: string, staging: string): Promise<void> {
  try {
    for (const move of moves.reverse()) await rename(move.to, move.from);
    await rmdir(aside);
  } catch (error) {
    throw new NotRestoredError(
      `--out could not be restored (${(error as Error).message}): the earlier output is in ${aside} and --out, the new one in ${staging} and --out`,
    );
  }
}

/** What a k<rank>/ folder holds that is not the layout's (nor the system's), as `k5/x`. */
async function foreignInside(dir: string, name: string, layout: OutputLayout): Promise<string[]> {
  return (await readdir(join(dir, name), { withFileTypes: true }))
    .filter((e) => !SYSTEM_FILES.has(e.name) && !(e.isFile() && (layout.rankFiles ?? []).includes(e.name)))
    .map((e) => `${name}/${e.name}${e.isDirectory() ? '/' : ''}`);
}

/** Points inside writeOutFolder's last step where a test can act as another process would. */
export interface PlacementSeams {
  /** After the folder is looked at again, before the earlier output is moved aside. */
  afterCheck?: () => void;
}

/** The final step of writeOutFolder: check, move the earlier output aside, move the new one in. */
async function placeOutput(
  out: string,
  staging: string,
  layout: OutputLayout,
  seams: PlacementSeams,
): Promise<void> {
  const { own, foreign, inWay } = holdings(out, await readdir(out, { withFileTypes: true }), layout);
  if (foreign.length > 0) throw foreignRefusal(out, foreign, layout);
  if (inWay.length > 0) throw inWayRefusal(out, inWay[0].name, inWay[0].kind, layout);
  seams.afterCheck?.();
  const aside = await mkdtemp(join(out, ASIDE_PREFIX));
  const moved: Move[] = [];
  try {
    await moveAll(
      own.map((entry) => entry.name),
      out,
      aside,
      moved,
    );
    // Moved aside, a rank folder takes nothing more written to --out/k<rank>/: what it holds now
    // is what would be removed.
    const late: string[] = [];
    for (const entry of own) if (entry.folder) late.push(...(await foreignInside(aside, entry.name, layout)));
    if (late.length > 0) throw foreignRefusal(out, late.sort(), layout);
    const incoming = await readdir(staging);
    for (const name of incoming) {
      try {
        await rename(join(staging, name), join(out, name));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOTDIR' && code !== 'EISDIR') throw error;
        // Something took the name since the check (a rank folder holding files: renaming a folder
        // onto one that is not empty fails), or holds it as the other kind (a file or a link
        // named k3, where a folder cannot replace it).
        const inWay = statOrUndefined(join(out, name), true);
        const inside =
          inWay?.isDirectory() && RANK_FOLDER.test(name)
            ? await foreignInside(out, name, layout).catch(() => [])
            : [];
        if (inside.length > 0) throw foreignRefusal(out, inside.sort(), layout);
        throw inWayRefusal(out, name, inWay ? kindOf(inWay) : 'something', layout);
      }
      moved.push({ from: join(staging, name), to: join(out, name) });
    }
  } catch (error) {
    await undo(moved, aside, staging);
    throw error;
  }
  await removeAside(aside, own, layout);
}

/**
 * Removes the earlier output moved aside: the layout's files by name, then the emptied folders.
 * Anything else there arrived after it was looked at (through an open folder, not a path): it is
 * left where it is and named.
 */
async function removeAside(aside: string, own: Holdings['own'], layout: OutputLayout): Promise<void> {
  for (const entry of own) {
    const path = join(aside, entry.name);
    if (!entry.folder) {
      await unlink(path);
      continue;
    }
    for (const inside of await readdir(path, { withFileTypes: true })) {
      if (inside.isFile() && (SYSTEM_FILES.has(inside.name) || layout.rankFiles!.includes(inside.name)))
        await unlink(join(path, inside.name));
    }
  }
  for (const entry of own) if (entry.folder) await rmdir(join(aside, entry.name)).catch(() => undefined);
  try {
    await rmdir(aside);
  } catch {
    // Not a refusal: the new output is in place. Exit 1, naming what is left.
    throw new Error(
      `the new output is in --out; ${aside} holds what was written into its earlier k<rank>/ folders while they were replaced: look at it, then remove it`,
    );
  }
}
