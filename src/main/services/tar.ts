import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';

/**
 * Gzipped tar archives (POSIX ustar) of a folder's regular files, for handing a job folder to the
 * browser as one download and taking a finished one back as one upload. Only what job folders
 * need: regular files with relative paths, directories implied; extraction refuses absolute paths,
 * `..`, links and devices.
 */

/**
 * A regular file to archive: its bytes in memory (small files: plan.json, scripts), or a file on
 * disk read 1 MiB at a time while the archive is written (a job folder's data.nmf, ~2.4 GB at 10⁶
 * cells).
 */
export type ArchiveEntry = {
  /** Relative path with `/` separators. */
  path: string;
  /** Unix permission bits; 0o644 unless given. */
  mode?: number;
} & ({ bytes: Uint8Array; file?: never } | { file: string; bytes?: never });

const BLOCK = 512;

/** Bytes of an entry handed to the gzip stream at a time. */
const PIECE = 1 << 20;

function writeOctal(header: Uint8Array, offset: number, length: number, value: number): void {
  const text = value.toString(8).padStart(length - 1, '0');
  if (text.length > length - 1) throw new RangeError(`${value} does not fit a ${length}-byte tar field`);
  header.set(new TextEncoder().encode(text), offset);
  header[offset + length - 1] = 0;
}

function writeText(header: Uint8Array, offset: number, length: number, text: string): void {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > length) throw new RangeError(`"${text}" is too long for a tar header`);
  header.set(bytes, offset);
}

/** Splits a path into ustar's prefix (≤ 155 bytes) and name (≤ 100 bytes). */
function splitPath(path: string): { prefix: string; name: string } {
  if (new TextEncoder().encode(path).length <= 100) return { prefix: '', name: path };
  for (let cut = path.lastIndexOf('/'); cut > 0; cut = path.lastIndexOf('/', cut - 1)) {
    const prefix = path.slice(0, cut);
    const name = path.slice(cut + 1);
    if (new TextEncoder().encode(prefix).length <= 155 && new TextEncoder().encode(name).length <= 100)
      return { prefix, name };
  }
  throw new RangeError(`path too long for a tar archive: ${path}`);
}

/** The ustar header block of a regular file entry of `size` bytes. */
function entryHeader(entry: ArchiveEntry, size: number, mtimeSeconds: number): Uint8Array {
  checkRelativePath(entry.path);
  const header = new Uint8Array(BLOCK);
  const { prefix, name } = splitPath(entry.path);
  writeText(header, 0, 100, name);
  writeOctal(header, 100, 8, entry.mode ?? 0o644);
  writeOctal(header, 108, 8, 0);
  writeOctal(header, 116, 8, 0);
  // 11 octal digits: files up to 8 GiB, which covers a job folder's data file (NMF1 frames stop at 4 GiB).
  writeOctal(header, 124, 12, size);
  writeOctal(header, 136, 12, Math.floor(mtimeSeconds));
  header.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  header[156] = 0x30; // regular file
  writeText(header, 257, 6, 'ustar');
  writeText(header, 263, 2, '00');
  writeText(header, 345, 155, prefix);
  let sum = 0;
  for (const byte of header) sum += byte;
  writeOctal(header, 148, 7, sum);
  header[155] = 0x20;
  return header;
}

/** An entry's bytes in pieces of at most {@link PIECE}: slices of its bytes, or reads of its file. */
async function* entryPieces(entry: ArchiveEntry, size: number): AsyncGenerator<Uint8Array> {
  if (entry.file === undefined) {
    for (let at = 0; at < size; at += PIECE) yield entry.bytes.subarray(at, at + PIECE);
    return;
  }
  const handle = await open(entry.file, 'r');
  try {
    for (let at = 0; at < size;) {
      // A fresh buffer per piece: the gzip stream may still hold the previous one.
      const piece = new Uint8Array(Math.min(PIECE, size - at));
      const { bytesRead } = await handle.read(piece, 0, piece.length, at);
      if (bytesRead === 0) throw new Error(`${entry.file} became shorter while it was archived`);
      yield piece.subarray(0, bytesRead);
      at += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

/** Bytes an entry of `size` bytes takes in the tar stream: its header, its bytes and their padding. */
function entryBlocksBytes(size: number): number {
  return BLOCK + Math.ceil(size / BLOCK) * BLOCK;
}

/** How far a tar stream is: its bytes handed to the gzip stream so far, of its total. */
export type TarProgressListener = (doneBytes: number, totalBytes: number) => void;

/**
 * The tar stream of the entries: header, bytes and padding of each, then the two end blocks. An
 * aborted `signal` stops it before the next block or piece (throwing the signal's reason); `sizes`
 * are the entries' sizes taken before the stream starts (so its total is known for progress).
 */
async function* tarBlocks(
  entries: readonly ArchiveEntry[],
  sizes: readonly number[],
  mtimeSeconds: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array> {
  for (const [index, entry] of entries.entries()) {
    // The size taken before the stream started goes in the header, before the bytes.
    const size = sizes[index];
    signal?.throwIfAborted();
    yield entryHeader(entry, size, mtimeSeconds);
    for await (const piece of entryPieces(entry, size)) {
      signal?.throwIfAborted();
      yield piece;
    }
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad) yield new Uint8Array(pad);
  }
  yield new Uint8Array(2 * BLOCK);
}

/**
 * Writes a .tar.gz of the entries, in the order given (mtime fixed at `mtimeSeconds`), to `path`
 * through a gzip stream: the tar blocks are fed 1 MiB at a time, files read from disk as they go,
 * so neither the tar nor its compressed form, nor a large file, is ever held whole.
 * Returns the archive's size in bytes. `onProgress` is told the tar bytes fed to gzip of the tar's
 * total, at the start and after each piece; an aborted `signal` stops the stream between pieces
 * and rejects (the partial file at `path` is the caller's to remove).
 */
export async function writeTarGzFile(
  entries: readonly ArchiveEntry[],
  mtimeSeconds: number,
  path: string,
  { signal, onProgress }: { signal?: AbortSignal; onProgress?: TarProgressListener } = {},
): Promise<number> {
  signal?.throwIfAborted();
  // Every size is taken before the first byte, so the stream's total is known from the start.
  const sizes: number[] = [];
  for (const entry of entries)
    sizes.push(entry.file === undefined ? entry.bytes.length : (await stat(entry.file)).size);
  const totalBytes = sizes.reduce((sum, size) => sum + entryBlocksBytes(size), 2 * BLOCK);
  let doneBytes = 0;
  async function* counted(): AsyncGenerator<Uint8Array> {
    onProgress?.(0, totalBytes);
    for await (const block of tarBlocks(entries, sizes, mtimeSeconds, signal)) {
      yield block;
      doneBytes += block.length;
      onProgress?.(doneBytes, totalBytes);
    }
  }
  const output = createWriteStream(path, { mode: 0o600 });
  await pipeline(Readable.from(counted(), { objectMode: false }), createGzip(), output, { signal });
  return output.bytesWritten;
}

function checkRelativePath(path: string): void {
  if (path === '' || path.startsWith('/') || /^[A-Za-z]:/.test(path) || path.includes('\\'))
    throw new RangeError(`archive path must be relative with / separators, got "${path}"`);
  if (path.split('/').some((part) => part === '..' || part === ''))
    throw new RangeError(`archive path must not contain ".." or empty parts, got "${path}"`);
}

function readText(block: Uint8Array, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return new TextDecoder().decode(end >= 0 ? field.subarray(0, end) : field);
}

function readOctal(block: Uint8Array, offset: number, length: number): number {
  const text = readText(block, offset, length).trim();
  if (!/^[0-7]*$/.test(text)) throw new RangeError(`bad number "${text}" in a tar header`);
  return text === '' ? 0 : parseInt(text, 8);
}

/** Bytes of a plain (not gzipped) archive handed to the parser at a time. */
const PLAIN_CHUNK = 1 << 20;

/**
 * Unpacks the regular files of a .tar.gz (or plain .tar) under `dir`, streaming: the archive is
 * inflated chunk by chunk and each file's bytes go to disk as they arrive, so memory holds the
 * compressed archive and one chunk, not the unpacked tar (up to `maxBytes`, 4 GiB for a job
 * folder with a 10⁶-cell data file) nor a copy of any file. Checks: header checksums,
 * truncation, regular files only, relative paths without `..`.
 *
 * @param maxBytes refuse archives that unpack to more than this
 * @returns the files' relative paths, in archive order
 */
export async function extractTarGz(
  archive: Uint8Array | { path: string },
  maxBytes: number,
  dir: string,
): Promise<string[]> {
  // An archive on disk (an upload staged in pieces) is read 1 MiB at a time, never whole.
  let magic: Uint8Array = archive instanceof Uint8Array ? archive : new Uint8Array(2);
  if (!(archive instanceof Uint8Array)) {
    const handle = await open(archive.path, 'r');
    try {
      const { bytesRead } = await handle.read(magic, 0, 2, 0);
      magic = magic.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }
  const gzipped = magic.length >= 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  const source: Readable =
    archive instanceof Uint8Array
      ? Readable.from([archive], { objectMode: false })
      : createReadStream(archive.path, { highWaterMark: 1 << 20 });
  const chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array> = gzipped
    ? source.pipe(createGunzip({ chunkSize: 1 << 16 }))
    : archive instanceof Uint8Array
      ? plainChunks(archive)
      : source;
  const paths: string[] = [];
  // Parser state: a header being gathered, or the body (and padding) of the current entry.
  const header = new Uint8Array(BLOCK);
  let headerFill = 0;
  let bodyLeft = 0;
  let padLeft = 0;
  let total = 0;
  let ended = false;
  let type = '0';
  let out: FileHandle | null = null;
  let longNameBytes: Uint8Array | null = null;
  let longNameFill = 0;
  let longName: string | null = null;

  const startEntry = async (offset: number): Promise<void> => {
    let stored = 0;
    for (let i = 0; i < BLOCK; i++) stored += i >= 148 && i < 156 ? 0x20 : header[i];
    if (readOctal(header, 148, 8) !== stored)
      throw new RangeError(`the archive is damaged (bad header checksum at byte ${offset})`);
    const size = readOctal(header, 124, 12);
    type = String.fromCharCode(header[156] || 0x30);
    const prefix = readText(header, 257, 6).startsWith('ustar') ? readText(header, 345, 155) : '';
    const name = readText(header, 0, 100);
    const path = longName ?? (prefix ? `${prefix}/${name}` : name);
    bodyLeft = size;
    padLeft = (BLOCK - (size % BLOCK)) % BLOCK;
    if (type === 'L') {
      // GNU long name: the next entry's path (a short body, kept in memory).
      longNameBytes = new Uint8Array(size);
      longNameFill = 0;
      return;
    }
    longName = null;
    if (type === '5' || type === 'x' || type === 'g') return; // directories, pax headers: skipped
    if (type !== '0' && type !== '7')
      throw new RangeError(`the archive holds "${path}", which is not a regular file (type ${type})`);
    const clean = path.replace(/^\.\//, '');
    checkRelativePath(clean);
    const target = join(dir, clean);
    await mkdir(dirname(target), { recursive: true });
    out = await open(target, 'w');
    paths.push(clean);
  };
  const endEntry = async (): Promise<void> => {
    if (out !== null) {
      await out.close();
      out = null;
    }
    if (type === 'L' && longNameBytes !== null) {
      longName = new TextDecoder().decode(longNameBytes).replace(/\0+$/, '');
      longNameBytes = null;
    }
  };

  try {
    for await (const chunk of chunks) {
      total += chunk.length;
      if (total > maxBytes) throw new RangeError(`the archive unpacks to more than ${maxBytes} bytes`);
      let at = 0;
      while (at < chunk.length && !ended) {
        if (bodyLeft > 0) {
          const take = Math.min(bodyLeft, chunk.length - at);
          const piece = chunk.subarray(at, at + take);
          if (out !== null) await (out as FileHandle).write(piece);
          else if (longNameBytes !== null) {
            (longNameBytes as Uint8Array).set(piece, longNameFill);
            longNameFill += take;
          }
          bodyLeft -= take;
          at += take;
          if (bodyLeft === 0 && padLeft === 0) await endEntry();
        } else if (padLeft > 0) {
          const take = Math.min(padLeft, chunk.length - at);
          padLeft -= take;
          at += take;
          if (padLeft === 0) await endEntry();
        } else {
          const take = Math.min(BLOCK - headerFill, chunk.length - at);
          header.set(chunk.subarray(at, at + take), headerFill);
          headerFill += take;
          at += take;
          if (headerFill < BLOCK) continue;
          headerFill = 0;
          if (header.every((b) => b === 0)) {
            ended = true;
            break;
          }
          await startEntry(total - chunk.length + at - BLOCK);
          if (bodyLeft === 0 && padLeft === 0) await endEntry();
        }
      }
    }
    if (!ended && (bodyLeft > 0 || padLeft > 0 || headerFill > 0 || total < BLOCK))
      throw new RangeError(
        total < BLOCK || headerFill > 0
          ? `${total} bytes is not a tar archive (a whole number of 512-byte blocks)`
          : 'the archive is truncated',
      );
  } finally {
    if (out !== null) await (out as FileHandle).close();
  }
  return paths;
}

function* plainChunks(archive: Uint8Array): Iterable<Uint8Array> {
  for (let at = 0; at < archive.length; at += PLAIN_CHUNK) yield archive.subarray(at, at + PLAIN_CHUNK);
}
