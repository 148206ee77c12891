import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  frameElementSize,
  reviveFrameJson,
  StagedFile,
  typedArrayFromBytes,
  type TypedArrayName,
} from '../../shared/api';

/**
 * Decodes an NMF1 frame (src/shared/api/codec.ts) as its bytes arrive, without ever holding the
 * whole request: the JSON and the array table are read first (both capped), then each typed array
 * in the order of its offset. A large Uint8Array (an uploaded file) goes straight to a staging file
 * under a fixed name and reaches the handler as a StagedFile; other arrays are copied into memory
 * once, within a cap. Memory is therefore bounded by the caps, not by the request size (a 200 MB
 * upload used to be held about four times over).
 *
 * Refused (FrameError, answered 400; FrameTooLargeError, 413): bad magic, JSON or table past the
 * caps, a reference repeated or missing from the table, extents that overlap, run backwards or
 * are not whole elements, more than 7 bytes after the last array, or a body over `maxBodyBytes`.
 */

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

export class FrameTooLargeError extends FrameError {
  constructor(limit: number) {
    super(`request body larger than ${limit} bytes`);
    this.name = 'FrameTooLargeError';
  }
}

export interface FrameStreamOptions {
  /** Folder for staged uploads (the process's staging folder). */
  stagingDir: string;
  /** Largest body accepted. */
  maxBodyBytes: number;
  /** Largest JSON part. Default 16 MiB. */
  maxJsonBytes?: number;
  /** Largest total of the arrays kept in memory. Default 256 MiB. */
  maxInMemoryBytes?: number;
  /** Uint8Arrays at least this large are staged on disk. Default 1 MiB. */
  stageFromBytes?: number;
}

export interface DecodedFrame {
  value: unknown;
  /** Staging files created for this request: the caller removes them once the request is handled. */
  staged: string[];
}

const align8 = (n: number): number => (n + 7) & ~7;

/** Reads exact byte counts from an async stream of chunks, counting the total against a limit. */
class BodyReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private received = 0;
  /** Bytes consumed so far (the position in the frame). */
  position = 0;

  constructor(
    private readonly source: AsyncIterator<Buffer>,
    private readonly limit: number,
  ) {}

  /** Pulls one more chunk; false at the end of the body. */
  private async pull(): Promise<boolean> {
    const next = await this.source.next();
    if (next.done) return false;
    const chunk = next.value;
    this.received += chunk.length;
    if (this.received > this.limit) throw new FrameTooLargeError(this.limit);
    if (chunk.length) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
    }
    return true;
  }

  /** The next `n` bytes (one copy). */
  async take(n: number): Promise<Buffer> {
    while (this.pendingBytes < n) {
      if (!(await this.pull())) throw new FrameError('truncated NMF1 frame');
    }
    const all = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    const out = Buffer.from(all.subarray(0, n));
    const rest = all.subarray(n);
    this.pending = rest.length ? [rest] : [];
    this.pendingBytes = rest.length;
    this.position += n;
    return out;
  }

  /** Hands the next `n` bytes to `write` chunk by chunk, without gathering them. */
  async pass(n: number, write: (chunk: Buffer) => Promise<void>): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.pendingBytes === 0 && !(await this.pull())) throw new FrameError('truncated NMF1 frame');
      const head = this.pending[0];
      const part = head.length <= left ? head : head.subarray(0, left);
      if (part === head) this.pending.shift();
      else this.pending[0] = head.subarray(left);
      this.pendingBytes -= part.length;
      left -= part.length;
      this.position += part.length;
      await write(part);
    }
  }

  /** Skips `n` bytes (padding). */
  async skip(n: number): Promise<void> {
    await this.pass(n, () => Promise.resolve());
  }

  /** Reads to the end, allowing at most `allowed` more bytes. */
  async expectEnd(allowed: number): Promise<void> {
    let extra = this.pendingBytes;
    while (extra <= allowed && (await this.pull())) extra = this.pendingBytes;
    if (extra > allowed) throw new FrameError('unexpected bytes after the last array of the NMF1 frame');
  }
}

function writeTo(stream: WriteStream): (chunk: Buffer) => Promise<void> {
  return (chunk) =>
    new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      stream.once('error', onError);
      // Wait for the OS to take the chunk when the stream's buffer is full (backpressure).
      if (stream.write(chunk)) {
        stream.off('error', onError);
        resolve();
      } else {
        stream.once('drain', () => {
          stream.off('error', onError);
          resolve();
        });
      }
    });
}

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('error', reject);
    stream.end(() => resolve());
  });
}

export async function decodeFrameStream(
  body: AsyncIterable<Buffer>,
  options: FrameStreamOptions,
): Promise<DecodedFrame> {
  const maxJson = options.maxJsonBytes ?? 16 * 1024 * 1024;
  const maxInMemory = options.maxInMemoryBytes ?? 256 * 1024 * 1024;
  const stageFrom = options.stageFromBytes ?? 1024 * 1024;
  const reader = new BodyReader(body[Symbol.asyncIterator](), options.maxBodyBytes);
  const staged: string[] = [];
  try {
    const head = await reader.take(8);
    if (head.toString('latin1', 0, 4) !== 'NMF1') throw new FrameError('not an NMF1 frame');
    const jsonLength = head.readUInt32LE(4);
    if (jsonLength > maxJson) throw new FrameError(`NMF1 frame JSON longer than ${maxJson} bytes`);
    const json = (await reader.take(jsonLength)).toString('utf8');
    // First pass: which arrays the JSON refers to (each once).
    const refs = new Map<number, TypedArrayName>();
    try {
      reviveFrameJson(json, (ref) => {
        refs.set(ref.index, ref.name);
        return null;
      });
    } catch (error) {
      throw new FrameError((error as Error).message);
    }
    const count = refs.size;
    for (let i = 0; i < count; i++) {
      if (!refs.has(i))
        throw new FrameError(`NMF1 frame refers to array ${Math.max(...refs.keys())} of ${count}`);
    }
    await reader.skip(align8(8 + jsonLength) - (8 + jsonLength));
    const table = count ? await reader.take(count * 8) : Buffer.alloc(0);
    const tableEnd = reader.position;
    const extents = Array.from({ length: count }, (_, index) => ({
      index,
      name: refs.get(index)!,
      offset: table.readUInt32LE(index * 8),
      byteLength: table.readUInt32LE(index * 8 + 4),
    })).sort((a, b) => a.offset - b.offset);
    let inMemory = 0;
    let cursor = tableEnd;
    for (const extent of extents) {
      if (extent.offset < cursor) throw new FrameError('overlapping or misplaced typed arrays in NMF1 frame');
      if (extent.byteLength % frameElementSize(extent.name) !== 0)
        throw new FrameError('bad typed array extent in NMF1 frame');
      if (extent.offset + extent.byteLength > options.maxBodyBytes)
        throw new FrameTooLargeError(options.maxBodyBytes);
      cursor = extent.offset + extent.byteLength;
      if (!(extent.name === 'Uint8Array' && extent.byteLength >= stageFrom)) inMemory += extent.byteLength;
    }
    if (inMemory > maxInMemory) throw new FrameTooLargeError(maxInMemory);
    const values = new Map<number, unknown>();
    for (const extent of extents) {
      await reader.skip(extent.offset - reader.position);
      if (extent.name === 'Uint8Array' && extent.byteLength >= stageFrom) {
        const path = join(options.stagingDir, `request-${randomBytes(8).toString('hex')}.part`);
        staged.push(path);
        const stream = createWriteStream(path, { flags: 'wx', mode: 0o600 });
        try {
          await reader.pass(extent.byteLength, writeTo(stream));
        } finally {
          await closeStream(stream).catch(() => undefined);
        }
        values.set(extent.index, new StagedFile(path, extent.byteLength));
      } else {
        values.set(extent.index, typedArrayFromBytes(extent.name, await reader.take(extent.byteLength)));
      }
    }
    await reader.expectEnd(7);
    const value = reviveFrameJson(json, (ref) => values.get(ref.index));
    return { value, staged };
  } catch (error) {
    await removeStaged(staged);
    throw error;
  }
}

export async function removeStaged(paths: readonly string[]): Promise<void> {
  await Promise.all(paths.map((path) => rm(path, { force: true })));
}
