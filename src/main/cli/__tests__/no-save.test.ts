import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TEMPORARY_LIBRARY_FILE } from '../../services';

/**
 * `nmf-studio fit FILE --no-save` keeps its library in a file of its own in the temporary folder
 * while it works (so a large matrix is not held in memory twice) and leaves nothing behind: not on
 * success, not when the fit is refused, not when the process is stopped by a signal. The built
 * command line runs in a child process with TMPDIR and NMF_STUDIO_DB pointing into the test's
 * folder, so everything it could leave is in view.
 */

const root = process.cwd();
const bin = join(root, 'bin', 'nmf-studio.js');
const matrix = join(root, 'e2e', 'fixtures', 'modules_small.tsv');
let dir: string;
let temp: string;
let library: string;

beforeAll(() => {
  const built = join(root, 'out', 'main', 'cli.js');
  if (!existsSync(built)) throw new Error(`${built} is missing: run "npm run build" before the unit tests`);
  dir = mkdtempSync(join(tmpdir(), 'nmf-no-save-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let runs = 0;
beforeEach(() => {
  temp = join(dir, `temp-${++runs}`);
  mkdirSync(temp);
  library = join(dir, `library-${runs}.sqlite`);
});

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * The built `nmf-studio fit … --no-save` in a child process. `whenRunning` is called once the fit
 * reports progress (its library is open then), with the child, to stop it.
 */
function fitNoSave(args: string[], whenRunning?: (child: ReturnType<typeof spawn>) => void): Promise<Ended> {
  const child = spawn(process.execPath, [bin, 'fit', ...args, '--no-save', '--progress'], {
    env: { ...process.env, TMPDIR: temp, NMF_STUDIO_DB: library },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let stopped = false;
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    stderr += text;
    if (whenRunning !== undefined && !stopped && /fit: running/.test(stderr)) {
      stopped = true;
      whenRunning(child);
    }
  });
  return new Promise((done) => child.on('exit', (code, signal) => done({ code, signal, stderr })));
}

/** Every file under `path`, relative to it (folders are walked, not listed). */
function filesUnder(path: string, prefix = ''): string[] {
  return readdirSync(path).flatMap((entry) =>
    statSync(join(path, entry)).isDirectory()
      ? filesUnder(join(path, entry), `${prefix}${entry}/`)
      : [`${prefix}${entry}`],
  );
}

/** The temporary library's file, in a staging folder under TMPDIR, while the command runs. */
function temporaryLibraries(): string[] {
  return filesUnder(temp).filter((path) => path.endsWith(TEMPORARY_LIBRARY_FILE));
}

/** A fit that runs until it is stopped: no tolerance, more iterations than a test waits for. */
const longFit = ['--rank', '3', '--max-iter', '1000000', '--tol', '0', '--warmup', '0'];

describe('nmf-studio fit FILE --no-save', () => {
  it('writes its folder and leaves no library and no temporary file behind', async () => {
    const out = join(dir, 'fitted');
    const ended = await fitNoSave([matrix, '--rank', '3', '--max-iter', '30', '--seed', '4', '--out', out]);
    expect(ended.code, ended.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['H.tsv', 'W.tsv', 'run.json']);
    expect(filesUnder(temp)).toEqual([]);
    expect(existsSync(library)).toBe(false);
  });

  it('leaves nothing behind when the fit is refused: a rank the matrix cannot have, a file it cannot read', async () => {
    const tooLarge = await fitNoSave([matrix, '--rank', '500', '--out', join(dir, 'refused')]);
    expect(tooLarge.code, tooLarge.stderr).toBe(2);
    expect(tooLarge.stderr).toMatch(/rank/);
    const bad = join(dir, 'bad.tsv');
    writeFileSync(bad, 'gene\ta\tb\ng1\t1\tnot-a-number\n');
    const unreadable = await fitNoSave([bad, '--rank', '1', '--out', join(dir, 'unread')]);
    expect(unreadable.code, unreadable.stderr).toBe(2);
    expect(filesUnder(temp)).toEqual([]);
    expect(existsSync(library)).toBe(false);
    expect(existsSync(join(dir, 'refused'))).toBe(false);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`removes its library when stopped by ${signal}, and ends by that signal`, async () => {
      let whileRunning: string[] = [];
      const ended = await fitNoSave([matrix, ...longFit, '--out', join(dir, signal)], (child) => {
        whileRunning = temporaryLibraries();
        child.kill(signal);
      });
      // The library was a file in the temporary folder while the fit ran (not in memory) …
      expect(whileRunning, ended.stderr).toHaveLength(1);
      // … and is gone, with its folder, once the process has ended by the signal.
      expect(ended.signal, ended.stderr).toBe(signal);
      expect(filesUnder(temp)).toEqual([]);
      expect(existsSync(library)).toBe(false);
    }, 60_000);
  }

  it('leaves its library when killed outright; the next start removes it', async () => {
    const ended = await fitNoSave([matrix, ...longFit, '--out', join(dir, 'killed')], (child) =>
      child.kill('SIGKILL'),
    );
    expect(ended.signal).toBe('SIGKILL');
    expect(temporaryLibraries()).toHaveLength(1);
    const next = await fitNoSave([matrix, '--rank', '2', '--max-iter', '5', '--out', join(dir, 'next')]);
    expect(next.code, next.stderr).toBe(0);
    expect(filesUnder(temp)).toEqual([]);
  }, 60_000);
});
