import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTarGz, extractTarGz, readTarGz, writeTarGzFile, type ArchiveEntry } from '../tar';

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

  it('writes the same files as reading the whole archive does, gzipped or plain', async () => {
    const archive = createTarGz(entries, 0);
    const whole = readTarGz(archive, 1 << 30);
    const tar = new Uint8Array(gunzipSync(archive));
    writeFileSync(join(dir, 'upload.tar.gz'), archive);
    writeFileSync(join(dir, 'upload.tar'), tar);
    for (const [name, input] of [
      ['gz', archive],
      ['tar', tar],
      // A staged upload is read from disk in pieces.
      ['gz-file', { path: join(dir, 'upload.tar.gz') }],
      ['tar-file', { path: join(dir, 'upload.tar') }],
    ] as const) {
      const target = join(dir, name);
      const paths = await extractTarGz(input, 1 << 30, target);
      expect(paths).toEqual(whole.map((e) => e.path));
      for (const entry of whole) {
        // Buffer equality: a deep toEqual over megabytes of elements is far too slow.
        expect(readFileSync(join(target, entry.path)).equals(entry.bytes), entry.path).toBe(true);
      }
      expect(whole.map((e) => e.bytes.length)).toEqual(entries.map((e) => e.bytes.length));
    }
  });

  it('refuses damaged, truncated, oversized and non-tar input, naming the problem', async () => {
    const tar = new Uint8Array(gunzipSync(createTarGz(entries, 0)));
    const damaged = tar.slice();
    damaged[10] ^= 0xff;
    await expect(extractTarGz(damaged, 1 << 30, join(dir, 'a'))).rejects.toThrow(
      /bad header checksum at byte 0/,
    );
    await expect(extractTarGz(tar.subarray(0, 4096), 1 << 30, join(dir, 'b'))).rejects.toThrow(/truncated/);
    await expect(extractTarGz(createTarGz(entries, 0), 1 << 20, join(dir, 'c'))).rejects.toThrow(
      /more than 1048576 bytes/,
    );
    await expect(extractTarGz(new Uint8Array([1, 2, 3]), 1 << 30, join(dir, 'd'))).rejects.toThrow(
      /not a tar archive/,
    );
    writeFileSync(join(dir, 'damaged.tar'), damaged);
    await expect(extractTarGz({ path: join(dir, 'damaged.tar') }, 1 << 30, join(dir, 'e'))).rejects.toThrow(
      /bad header checksum at byte 0/,
    );
    writeFileSync(join(dir, 'short.tar.gz'), createTarGz(entries, 0).subarray(0, 5000));
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

  it('writes the same bytes as createTarGz, through a gzip stream to a file', async () => {
    const entries: ArchiveEntry[] = [
      { path: 'job/plan.json', bytes: new TextEncoder().encode('{"plan":2}') },
      { path: 'job/data.nmf', bytes: bytes(2 * (1 << 20) + 5, 11) },
      { path: 'job/results/.keep', bytes: new Uint8Array(0) },
      { path: 'job/sweep.sbatch', bytes: new TextEncoder().encode('#!/bin/sh\n'), mode: 0o755 },
    ];
    const path = join(dir, 'job.tar.gz');
    const size = await writeTarGzFile(entries, 1_700_000_000, path);
    const written = readFileSync(path);
    expect(size).toBe(written.length);
    expect(written.equals(createTarGz(entries, 1_700_000_000))).toBe(true);
    const read = readTarGz(new Uint8Array(written), 1 << 30);
    expect(read.map((e) => e.path)).toEqual(entries.map((e) => e.path));
  });
});
