import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkOutFolder,
  RUN_LAYOUT,
  storedRanksNote,
  storedRunNote,
  SWEEP_LAYOUT,
  writeOutFolder,
} from '../out-folder';

/**
 * The last step of a command's output (writeOutFolder): the new output is written into a
 * temporary folder inside --out and moved into place only when nothing that is not the output's
 * stands in the way, so that a file appearing in a k<rank>/ folder after the check before the work
 * is refused with the earlier output and that file as they were.
 */
let root: string;
let out: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'nmf-out-write-'));
  out = join(root, 'out');
  // An earlier sweep over 2..4, the user's notes beside it, a system file in a rank folder.
  mkdirSync(out);
  writeFileSync(join(out, 'ranks.json'), 'old ranks\n');
  for (const k of [2, 3, 4]) {
    mkdirSync(join(out, `k${k}`));
    for (const file of ['W.tsv', 'H.tsv', 'run.json'])
      writeFileSync(join(out, `k${k}`, file), `old k${k} ${file}\n`);
  }
  writeFileSync(join(out, 'k2', '.DS_Store'), '');
  writeFileSync(join(out, 'notes.txt'), 'mine\n');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Every file under the folder with its bytes, sub-folders' as `k2/W.tsv`. */
function contents(folder: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(folder, { recursive: true, encoding: 'utf8' }).sort()) {
    const path = join(folder, entry);
    files[entry] = statSync(path).isDirectory() ? '<folder>' : readFileSync(path, 'utf8');
  }
  return files;
}

/** A new sweep over 2..3 into `dir`. */
async function newSweep(dir: string): Promise<void> {
  await writeFile(join(dir, 'ranks.json'), 'new ranks\n');
  for (const k of [2, 3]) {
    await mkdir(join(dir, `k${k}`));
    for (const file of ['W.tsv', 'H.tsv', 'run.json'])
      await writeFile(join(dir, `k${k}`, file), `new k${k} ${file}\n`);
  }
}

const kept = storedRanksNote('/data/library.sqlite', 'sweep 7', [
  { rank: 2, runId: 11 },
  { rank: 3, runId: 12 },
]);

describe('writeOutFolder', () => {
  it("replaces the earlier output whole and leaves the user's files and no temporary folder", async () => {
    checkOutFolder(out, SWEEP_LAYOUT);
    await writeOutFolder(out, SWEEP_LAYOUT, newSweep, kept);
    expect(readdirSync(out).sort()).toEqual(['k2', 'k3', 'notes.txt', 'ranks.json']);
    expect(readFileSync(join(out, 'ranks.json'), 'utf8')).toBe('new ranks\n');
    expect(readFileSync(join(out, 'k3', 'H.tsv'), 'utf8')).toBe('new k3 H.tsv\n');
    expect(readdirSync(join(out, 'k2')).sort()).toEqual(['H.tsv', 'W.tsv', 'run.json']);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine\n');
  });

  it('refuses a file that appeared in a rank folder during the work, changing nothing, and says where the result is', async () => {
    checkOutFolder(out, SWEEP_LAYOUT);
    const before = contents(out);
    const write = async (dir: string): Promise<void> => {
      await newSweep(dir);
      // Another process writes into the earlier output after the check.
      writeFileSync(join(out, 'k3', 'late.tsv'), 'theirs\n');
    };
    await expect(writeOutFolder(out, SWEEP_LAYOUT, write, kept)).rejects.toThrow(
      `--out ${out} already holds k3/late.tsv, which is no part of a sweep folder (ranks.json, k<rank>/ with W.tsv, H.tsv, run.json): its k<rank>/ folders would be replaced; move that file, or choose another folder. Nothing in --out was changed; sweep 7 is stored in /data/library.sqlite with its runs 11 (k2), 12 (k3): nmf-studio runs export <run> --db /data/library.sqlite --out DIR writes one again`,
    );
    expect(contents(out)).toEqual({ ...before, 'k3/late.tsv': 'theirs\n' });
  });

  it('refuses a file that appeared in a rank folder after the last look, found once the folder is moved aside', async () => {
    const before = contents(out);
    const afterCheck = (): void => writeFileSync(join(out, 'k2', 'later.tsv'), 'theirs\n');
    await expect(writeOutFolder(out, SWEEP_LAYOUT, newSweep, kept, { afterCheck })).rejects.toThrow(
      `--out ${out} already holds k2/later.tsv, which is no part of a sweep folder`,
    );
    expect(contents(out)).toEqual({ ...before, 'k2/later.tsv': 'theirs\n' });
  });

  it('refuses a folder holding a file where a new rank folder goes', async () => {
    rmSync(join(out, 'k3'), { recursive: true });
    checkOutFolder(out, SWEEP_LAYOUT);
    const before = contents(out);
    const write = async (dir: string): Promise<void> => {
      await newSweep(dir);
      mkdirSync(join(out, 'k3'));
      writeFileSync(join(out, 'k3', 'x.tsv'), 'theirs\n');
    };
    await expect(writeOutFolder(out, SWEEP_LAYOUT, write, null)).rejects.toThrow(
      `--out ${out} already holds k3/x.tsv, which is no part of a sweep folder (ranks.json, k<rank>/ with W.tsv, H.tsv, run.json): its k<rank>/ folders would be replaced; move that file, or choose another folder. Nothing in --out was changed`,
    );
    expect(contents(out)).toEqual({ ...before, k3: '<folder>', 'k3/x.tsv': 'theirs\n' });
  });

  it('undoes the moves made when a name is taken by the other kind at the last step', async () => {
    checkOutFolder(out, SWEEP_LAYOUT);
    const before = contents(out);
    // A file named k3 appears where the new rank folder goes: the folder cannot be renamed onto it.
    const write = async (dir: string): Promise<void> => {
      await newSweep(dir);
      rmSync(join(out, 'k3'), { recursive: true });
      writeFileSync(join(out, 'k3'), 'theirs\n');
    };
    await expect(writeOutFolder(out, SWEEP_LAYOUT, write, kept)).rejects.toThrow(
      `--out ${out} holds a file named k3 where the sweep folder's k3 goes: move it, or choose another folder. Nothing in --out was changed; sweep 7`,
    );
    const expected = Object.fromEntries(Object.entries(before).filter(([name]) => !name.startsWith('k3')));
    expect(contents(out)).toEqual({ ...expected, k3: 'theirs\n' });
  });

  it('keeps the earlier output when writing the new one fails', async () => {
    const before = contents(out);
    const write = async (dir: string): Promise<void> => {
      await writeFile(join(dir, 'ranks.json'), 'new ranks\n');
      throw new Error('disk full');
    };
    await expect(writeOutFolder(out, SWEEP_LAYOUT, write, kept)).rejects.toThrow(/^disk full$/);
    expect(contents(out)).toEqual(before);
  });

  it("refuses a folder named as one of the output's files, before the work and after it", async () => {
    const run = join(root, 'run');
    mkdirSync(join(run, 'W.tsv'), { recursive: true });
    const refusal = `--out ${run} holds a folder named W.tsv where the run folder's W.tsv goes: move it, or choose another folder`;
    expect(() => checkOutFolder(run, RUN_LAYOUT)).toThrow(refusal);
    const write = (dir: string): Promise<void> => writeFile(join(dir, 'W.tsv'), 'new\n');
    await expect(
      writeOutFolder(run, RUN_LAYOUT, write, storedRunNote('/data/library.sqlite', 5)),
    ).rejects.toThrow(
      `${refusal}. Nothing in --out was changed; run 5 is stored in /data/library.sqlite: nmf-studio runs export 5 --db /data/library.sqlite --out DIR writes it again`,
    );
    expect(readdirSync(run)).toEqual(['W.tsv']);
  });

  it('says nothing was stored under --no-save, and quotes a library path with spaces', () => {
    expect(storedRunNote(null, 3)).toBe(
      'nothing was stored in the library (--no-save): run the command again',
    );
    expect(storedRunNote("/my data/it's.sqlite", 3)).toBe(
      `run 3 is stored in /my data/it's.sqlite: nmf-studio runs export 3 --db '/my data/it'\\''s.sqlite' --out DIR writes it again`,
    );
  });
});
