import { createReadStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { importError, type ImportError } from './errors';
import type { ReadProgress } from './types';

/** Bytes read from disk per chunk: large enough to amortise parsing overhead, small enough to stay cheap. */
export const CHUNK_BYTES = 1 << 20;

export interface ByteSource {
  /** Decompressed chunks of the file. */
  chunks: AsyncIterable<Buffer>;
  /** Size of the file on disk. */
  totalBytes: number;
  /** Bytes of the file on disk consumed so far. */
  bytesRead: () => number;
  compressed: boolean;
  /** Releases the file; safe to call more than once. */
  close: () => void;
}

/** Size of a file, refusing anything that is not a readable regular file. */
export async function fileSize(path: string): Promise<number> {
  try {
    const info = await stat(path);
    if (!info.isFile())
      throw importError({ file: path }, info.isDirectory() ? 'is a folder, not a file' : 'is not a file');
    return info.size;
  } catch (error) {
    if (error instanceof Error && error.name === 'ImportError') throw error;
    throw importError({ file: path }, `cannot be read (${describeSystemError(error)})`);
  }
}

export function describeSystemError(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string') {
    const messages: Record<string, string> = {
      ENOENT: 'no such file',
      EACCES: 'permission denied',
      EISDIR: 'is a directory',
    };
    return messages[error.code] ?? error.code;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * Opens a file for reading; a file the system will not open (no permission, gone since it was
 * listed) is refused as an ImportError naming it and the reason, not as the system's bare error.
 */
export async function openForReading(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (error) {
    throw importError({ file: path }, `cannot be read (${describeSystemError(error)})`);
  }
}

/** True when the file starts with the gzip magic number, whatever its name says. */
export async function isGzipFile(path: string): Promise<boolean> {
  const handle = await openForReading(path);
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/**
 * The refusal of a gzip-compressed file in a format read by random access (.npy, HDF5), which
 * cannot be decompressed as a stream; without it such a file reads as lacking its magic number.
 */
export function compressedRefusal(file: string): ImportError {
  return importError(
    { file },
    'is gzip-compressed: decompress it first (gunzip); this format is read uncompressed',
  );
}

/**
 * Opens a file as a stream of chunks, gunzipping it when it is gzip data. Progress counts bytes of
 * the file on disk, so a .gz file's progress reaches its compressed size.
 */
export async function openByteSource(path: string, options: { start?: number } = {}): Promise<ByteSource> {
  const totalBytes = await fileSize(path);
  // Opened once first even when too short to be gzip, so that an unreadable file is refused by name.
  const compressed = await isGzipFile(path);
  const raw = createReadStream(path, { highWaterMark: CHUNK_BYTES, start: options.start ?? 0 });
  let consumed = 0;
  if (!compressed) {
    async function* counted(): AsyncGenerator<Buffer> {
      for await (const chunk of raw) {
        const buffer = chunk as Buffer;
        consumed += buffer.length;
        yield buffer;
      }
    }
    return {
      chunks: counted(),
      totalBytes,
      bytesRead: () => consumed,
      compressed,
      close: () => raw.destroy(),
    };
  }
  const gunzip = createGunzip({ chunkSize: CHUNK_BYTES });
  raw.on('data', (chunk: Buffer | string) => {
    consumed += chunk.length;
  });
  raw.on('error', (error) => gunzip.destroy(error));
  raw.pipe(gunzip);
  async function* inflated(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of gunzip) yield chunk as Buffer;
    } catch (error) {
      if (error instanceof Error && 'code' in error && String(error.code).startsWith('Z_')) {
        throw importError({ file: path }, `is not valid gzip data (${error.message})`);
      }
      throw error;
    }
  }
  return {
    chunks: inflated(),
    totalBytes,
    bytesRead: () => consumed,
    compressed,
    close: () => {
      raw.destroy();
      gunzip.destroy();
    },
  };
}

/** Reports progress and honours cancellation between chunks. */
export function checkpoint(
  source: { bytesRead: () => number; totalBytes: number },
  signal: AbortSignal | undefined,
  onProgress: ((progress: ReadProgress) => void) | undefined,
  phase = 'reading',
): void {
  signal?.throwIfAborted();
  onProgress?.({ bytesRead: source.bytesRead(), totalBytes: source.totalBytes, phase });
}

/** Yields to the event loop so that an abort requested meanwhile can be seen. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
