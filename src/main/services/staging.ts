import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pidAlive } from '../db/ownership';

/**
 * Where uploads and temporary copies live while they are read: one private folder per process,
 * `<temp>/nmf-studio-staging-<uid>/<pid>-<random>`, removed when the process closes its services. A
 * process that crashed leaves its folder behind; the next start removes the folders of processes
 * that no longer exist (or that are older than STALE_STAGING_MS, for a pid reused since).
 *
 * Files in it get names chosen here (`upload.tsv.gz`), never the user's: `.`, `..`, NUL, path
 * separators or Windows device names (CON, NUL, COM1 …) must never reach the file system. The
 * user's name is kept for messages only.
 */
/**
 * The staging root in a temporary folder: one per user (the system temp folder is shared on Linux
 * and macOS, and the root is private to its owner, mode 0700).
 */
export const STAGING_FOLDER = `nmf-studio-staging${typeof process.getuid === 'function' ? `-${process.getuid()}` : ''}`;
export const STALE_STAGING_MS = 24 * 3600 * 1000;

/** Removes the staging folders of processes that have stopped. Returns how many were removed. */
export function sweepStaging(tempDir: string, nowMs = Date.now()): number {
  const root = join(tempDir, STAGING_FOLDER);
  let removed = 0;
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const pid = Number(/^(\d+)-/.exec(entry)?.[1]);
    const path = join(root, entry);
    let old = false;
    try {
      old = nowMs - statSync(path).mtimeMs > STALE_STAGING_MS;
    } catch {
      continue;
    }
    if (pid === process.pid && !old) continue;
    if (!Number.isInteger(pid) || old || !pidAlive(pid)) {
      rmSync(path, { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}

/** A new private staging folder for this process (mode 0700). */
export function createStagingDir(tempDir: string): string {
  const root = join(tempDir, STAGING_FOLDER);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const dir = join(root, `${process.pid}-${randomBytes(6).toString('hex')}`);
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

/**
 * The fixed staging name for an upload: `upload` plus the user's extension when it is a plain one
 * (letters and digits, at most two parts such as `.tsv.gz`), because the readers pick the format
 * by extension. Nothing else of the user's name is used.
 */
export function stagedFileName(userFileName: string): string {
  const extension = /((?:\.[A-Za-z0-9]{1,10}){1,2})$/.exec(userFileName)?.[1] ?? '';
  // "archive..tsv" or a name that is only an extension still gets a plain, safe name.
  return `upload${extension.toLowerCase()}`;
}
