import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractTarGz, writeTarGzFile, type ArchiveEntry } from '../tar';

/** Seeded pseudo-random bytes (incompressible enough that the gzip stream spans many chunks). */
function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = state & 0xff;
  }
  return out;
}

/** The .tar.gz `writeTarGzFile` writes for `entries`, as bytes. */
async function archived(
  entries: readonly ArchiveEntry[],
  mtimeSeconds: number,
  dir: string,
): Promise<Uint8Array> {
  const path = join(dir, `archive-${Math.random().toString(16).slice(2)}.tar.gz`);
  const size = await writeTarGzFile(entries, mtimeSeconds, path);
  const bytes = new Uint8Array(readFileSync(path));
  expect(size).toBe(bytes.length);
  rmSync(path);
  return bytes;
}

/** What an entry holds (its bytes, or its file's). */
function contents(entry: ArchiveEntry): Buffer {
  return entry.file !== undefined ? readFileSync(entry.file) : Buffer.from(entry.bytes);
}

describe('streamed archive extraction', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nmf-tar-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const entries: ArchiveEntry[] = [
    { path: 'job/plan.json', bytes: new TextEncoder().encode('{"plan":1}') },
    { path: 'job/results/.keep', bytes: new Uint8Array(0) },
    { path: 'job/block.bin', bytes: bytes(512, 3) },
    // Larger than the inflate and plain chunks, and not a whole number of blocks.
    { path: 'job/data.nmf', bytes: bytes(3 * (1 << 20) + 77, 5) },
    { path: `job/${'deep/'.repeat(25)}long-name.txt`, bytes: bytes(1000, 7) },
  ];

  it('unpacks every file byte for byte, gzipped or plain, from memory or from disk, as tar does', async () => {
    const archive = await archived(entries, 0, dir);
    const tar = new Uint8Array(gunzipSync(archive));
    writeFileSync(join(dir, 'upload.tar.gz'), archive);
    writeFileSync(join(dir, 'upload.tar'), tar);
    // An independent reader: GNU tar finds the same files with the same bytes.
    const system = join(dir, 'system');
    mkdirSync(system);
    const untar = spawnSync('tar', ['-xzf', join(dir, 'upload.tar.gz'), '-C', system], { encoding: 'utf8' });
    expect(untar.status, untar.stderr).toBe(0);
    for (const [name, input] of [
      ['gz', archive],
      ['tar', tar],
      // A staged upload is read from disk in pieces.
      ['gz-file', { path: join(dir, 'upload.tar.gz') }],
      ['tar-file', { path: join(dir, 'upload.tar') }],
    ] as const) {
      const target = join(dir, name);
      const paths = await extractTarGz(input, 1 << 30, target);
      expect(paths).toEqual(entries.map((e) => e.path));
      for (const entry of entries) {
        // Buffer equality: a deep toEqual over megabytes of elements is far too slow.
        expect(readFileSync(join(target, entry.path)).equals(contents(entry)), entry.path).toBe(true);
        expect(readFileSync(join(system, entry.path)).equals(contents(entry)), entry.path).toBe(true);
      }
    }
  });

  it('refuses damaged, truncated, oversized and non-tar input, naming the problem', async () => {
    const archive = await archived(entries, 0, dir);
    const tar = new Uint8Array(gunzipSync(archive));
    const damaged = tar.slice();
    damaged[10] ^= 0xff;
    await expect(extractTarGz(damaged, 1 << 30, join(dir, 'a'))).rejects.toThrow(
      /bad header checksum at byte 0/,
    );
    await expect(extractTarGz(tar.subarray(0, 4096), 1 << 30, join(dir, 'b'))).rejects.toThrow(/truncated/);
    await expect(extractTarGz(archive, 1 << 20, join(dir, 'c'))).rejects.toThrow(/more than 1048576 bytes/);
    await expect(extractTarGz(new Uint8Array([1, 2, 3]), 1 << 30, join(dir, 'd'))).rejects.toThrow(
      /not a tar archive/,
    );
    writeFileSync(join(dir, 'damaged.tar'), damaged);
    await expect(extractTarGz({ path: join(dir, 'damaged.tar') }, 1 << 30, join(dir, 'e'))).rejects.toThrow(
      /bad header checksum at byte 0/,
    );
    writeFileSync(join(dir, 'short.tar.gz'), archive.subarray(0, 5000));
    await expect(
      extractTarGz({ path: join(dir, 'short.tar.gz') }, 1 << 30, join(dir, 'f')),
    ).rejects.toThrow();
  });
});

describe('streamed archive writing', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nmf-tar-write-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('archives files read from disk in pieces as it archives the same bytes held in memory', async () => {
    const data = bytes(2 * (1 << 20) + 5, 11);
    writeFileSync(join(dir, 'data.nmf'), data);
    const script = new TextEncoder().encode('#!/bin/sh\n');
    writeFileSync(join(dir, 'sweep.sbatch'), script);
    const inMemory: ArchiveEntry[] = [
      { path: 'job/plan.json', bytes: new TextEncoder().encode('{"plan":2}') },
      { path: 'job/data.nmf', bytes: data },
      { path: 'job/results/.keep', bytes: new Uint8Array(0) },
      { path: 'job/sweep.sbatch', bytes: script, mode: 0o755 },
    ];
    const fromDisk: ArchiveEntry[] = [
      inMemory[0],
      { path: 'job/data.nmf', file: join(dir, 'data.nmf') },
      inMemory[2],
      { path: 'job/sweep.sbatch', file: join(dir, 'sweep.sbatch'), mode: 0o755 },
    ];
    const a = await archived(inMemory, 1_700_000_000, dir);
    const b = await archived(fromDisk, 1_700_000_000, dir);
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
    // Modes and mtime as tar lists them; paths in the order given.
    writeFileSync(join(dir, 'job.tar.gz'), b);
    const listed = spawnSync('tar', ['--utc', '-tvzf', join(dir, 'job.tar.gz')], { encoding: 'utf8' });
    expect(listed.status, listed.stderr).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines.map((line) => line.split(/\s+/).at(-1))).toEqual(inMemory.map((e) => e.path));
    expect(lines[3]).toMatch(/^-rwxr-xr-x .* 10 2023-11-14 22:13 job\/sweep\.sbatch$/);
    expect(lines[1]).toMatch(new RegExp(`^-rw-r--r-- .* ${data.length} `));
    await expect(archived([{ path: '../evil', bytes: new Uint8Array() }], 0, dir)).rejects.toThrow(/\.\./);
  });
});
