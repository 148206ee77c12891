import {
  accessSync,
  constants,
  mkdtempSync,
  readdirSync,
  rmdirSync,
  statSync,
  type Dirent,
  type Stats,
} from 'node:fs';
import { readdir, rmdir, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { FolderError, makeFolder, makeFolderSync } from '../io/make-folder';
import { UsageError } from './args';

/**
 * The `--out` folder of a command: checked before any work, cleared of the command's earlier
 * output just before the new one is written.
 *
 * Other tools read these folders by CLI.md (every `k<rank>/` of a sweep, every file named there),
 * so a folder holding files of an earlier output would pass them off as this one's: a sweep over
 * 2..4 written where one over 2..8 was left k5/–k8/ beside the new ranks.json. Each command
 * therefore owns a layout (the files and per-rank folders it writes): the layout's entries already
 * in `--out` — an earlier output of the same kind, or a part of one — are removed once the work has
 * succeeded, just before the new files are written. Everything else at the top of the folder (the
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
}

function holdings(dir: string, entries: Dirent[], layout: OutputLayout): Holdings {
  const own: Holdings['own'] = [];
  const foreign: string[] = [];
  for (const entry of entries) {
    const name = entry.name;
    if (SYSTEM_FILES.has(name)) continue;
    // Symbolic links are never the layout's: nothing is removed through them.
    if (entry.isFile() && layout.files.includes(name)) {
      own.push({ name, folder: false });
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
  return { own, foreign: foreign.sort() };
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

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
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
  const { foreign } = holdings(target, readdirSync(target, { withFileTypes: true }), layout);
  if (foreign.length > 0) throw foreignRefusal(out, foreign, layout);
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

/**
 * Makes the folder and removes the layout's earlier output from it, just before the new output
 * is written (after the work succeeded, so a failed command leaves the earlier output as it
 * was). The folder is looked at again: an entry that appeared since checkOutFolder is refused,
 * never removed.
 */
export async function prepareOutFolder(out: string, layout: OutputLayout): Promise<void> {
  try {
    await makeFolder(out);
  } catch (error) {
    if (error instanceof FolderError) throw new UsageError(`--out ${out} cannot be created: ${error.detail}`);
    throw error;
  }
  const { own, foreign } = holdings(out, await readdir(out, { withFileTypes: true }), layout);
  if (foreign.length > 0) throw foreignRefusal(out, foreign, layout);
  for (const entry of own) {
    const path = join(out, entry.name);
    if (!entry.folder) {
      await unlink(path);
      continue;
    }
    // A k<rank>/ folder holding the layout's files (and the system's): emptied, then removed.
    for (const inside of await readdir(path)) await unlink(join(path, inside));
    await rmdir(path);
  }
}
