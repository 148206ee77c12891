import { mkdirSync, rmdirSync, statSync } from 'node:fs';
import { mkdir, rmdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * Creating folders one level at a time, instead of Node's `mkdir(…, { recursive: true })`.
 *
 * Node's recursive mkdir (src/node_file.cc, MKDirpSync and MKDirpAsync) answers ENOENT by creating
 * the parent and trying again; where the parent exists but the system still answers ENOENT (a
 * folder under /proc, which takes no new entries) it loops forever, in the thread pool for the
 * promise version (`fit --out /proc/x` never returned) and on the main thread for the synchronous
 * one (`--db /proc/x/library.sqlite`). Here each missing level is created with a plain mkdir, so
 * any refusal surfaces once, as a {@link FolderError} naming the level and the system's reason.
 */

/** A folder that could not be created: the level that failed and why. */
export class FolderError extends Error {
  constructor(
    /** The path asked for. */
    readonly path: string,
    /** The level whose creation failed (the path itself or one of its parents). */
    readonly level: string,
    /** The system's error code (ENOENT, EACCES, ENOTDIR, ENAMETOOLONG…). */
    readonly code: string,
    /** `mkdir LEVEL failed: CODE, what it means`. */
    readonly detail: string,
  ) {
    super(`${path} cannot be created: ${detail}`);
    this.name = 'FolderError';
  }
}

/** What the system's codes mean for a folder being created. */
const MEANINGS: Record<string, string> = {
  ENOENT: 'no such file or directory, though its parent exists (this file system takes no new folders there)',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a file lies where a folder should',
  ENAMETOOLONG: 'name too long',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ELOOP: 'too many symbolic links',
  EEXIST: 'a file exists there',
};

function folderError(path: string, level: string, error: unknown): FolderError {
  const code = (error as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
  const meaning = MEANINGS[code] ?? (error instanceof Error ? error.message : String(error));
  return new FolderError(resolve(path), level, code, `mkdir ${level} failed: ${code}, ${meaning}`);
}

/**
 * The levels of `path` that do not exist, outermost first (empty when it exists). Stops at the
 * first existing level, whatever it is: creating under a file fails there, with ENOTDIR.
 */
function missingLevels(path: string, exists: (p: string) => boolean): string[] {
  const levels: string[] = [];
  let level = resolve(path);
  while (!exists(level)) {
    levels.unshift(level);
    const parent = dirname(level);
    if (parent === level) break;
    level = parent;
  }
  return levels;
}

function existsSyncNoThrow(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Creates `path` and its missing parents, one level at a time (see the file's comment); does
 * nothing when it exists. Returns the levels it created, outermost first. A level created by
 * someone else meanwhile (EEXIST on a folder) is fine. On failure the levels it created are
 * removed again before the FolderError is thrown.
 */
export function makeFolderSync(path: string): string[] {
  const created: string[] = [];
  for (const level of missingLevels(path, existsSyncNoThrow)) {
    try {
      mkdirSync(level);
      created.push(level);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && isFolderSync(level)) continue;
      for (const made of created.reverse()) rmdirSync(made);
      throw folderError(path, level, error);
    }
  }
  return created;
}

/** makeFolderSync with the creations awaited (the few existence checks stay synchronous). */
export async function makeFolder(path: string): Promise<string[]> {
  const created: string[] = [];
  for (const level of missingLevels(path, existsSyncNoThrow)) {
    try {
      await mkdir(level);
      created.push(level);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && isFolderSync(level)) continue;
      for (const made of created.reverse()) await rmdir(made);
      throw folderError(path, level, error);
    }
  }
  return created;
}

function isFolderSync(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
