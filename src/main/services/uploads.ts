import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ServiceError } from '../../shared/api';
import type { UploadRef } from '../../shared/api/channels';
import { StagedFile } from '../../shared/api/staged';
import { escapeText } from '../io/errors';
import type { ServiceContext } from './context';
import { stagedFileName } from './staging';

/**
 * Files the window sends in pieces (a dataset, annotations, factor tables, a GMT file, a cluster
 * job archive, a library to merge): `uploads:begin` (the name and size), `uploads:append` (the next
 * bytes, in order), then the usual channel with `{ fileName, bytes: { uploadId } }` in place of the
 * bytes. Over desktop IPC a file used to be one byte array — the window read it whole and Electron
 * cloned it whole; in pieces neither process ever holds it. Each piece is appended to a file in
 * this process's staging folder, `chunked-<id>/upload.<ext>` (named here from the extension only,
 * never by the window; the readers pick the format by extension), which the consuming channel
 * takes over exactly as it takes a file the browser-mode server streamed (`StagedFile`), so the
 * importers see no difference.
 *
 * A staged upload's life: most channels consume it (`takeUpload`: the file is theirs and removed
 * when they finish, whether they store it, refuse it or are cancelled). A preview
 * (`datasets:inspect`) only reads it (`readUpload`), so the import that follows reads the same
 * file: the window sends a 1.8 GB .h5ad once, not twice. An upload is removed when it is cancelled,
 * when a piece is refused, when it sits unused for UPLOAD_IDLE_MS (`expireIdleUploads`), when the
 * desktop window closes or the services close, and — the oldest one not being read — when a fifth
 * begins (at most MAX_OPEN_UPLOADS are kept). Nothing reaches the library until the consuming
 * channel has it all.
 */

/** Largest piece accepted by `uploads:append`; the window sends UPLOAD_PIECE_BYTES (channels.ts). */
export const MAX_UPLOAD_PIECE_BYTES = 16 << 20;
/** Uploads kept at once per process; the oldest one not being read is removed when one more begins. */
export const MAX_OPEN_UPLOADS = 4;
/**
 * An upload neither appended to nor read for this long is removed (the window that sent it went
 * away, or the user left the preview standing). Ten minutes: long past a preview's read, and a
 * staged 1.8 GB file is not left on disk for the life of the process.
 */
export const UPLOAD_IDLE_MS = 10 * 60 * 1000;

interface OpenUpload {
  fileName: string;
  byteLength: number;
  received: number;
  /** The upload's own folder, `chunked-<id>`, removed with it. */
  dir: string;
  /** The staged file inside it, `upload.<ext>` after the user's extension. */
  path: string;
  handle: FileHandle | null;
  /** Appends, reads and the hand-over run one after another. */
  queue: Promise<unknown>;
  /** Reads (previews) under way: such an upload is neither expired nor evicted. */
  readers: number;
  /** When it was last appended to or read (ms since the epoch). */
  lastUsed: number;
  timer: ReturnType<typeof setTimeout> | null;
}

const registries = new WeakMap<ServiceContext, Map<string, OpenUpload>>();

function registry(ctx: ServiceContext): Map<string, OpenUpload> {
  let map = registries.get(ctx);
  if (!map) registries.set(ctx, (map = new Map()));
  return map;
}

async function discard(ctx: ServiceContext, uploadId: string, upload: OpenUpload): Promise<void> {
  registry(ctx).delete(uploadId);
  if (upload.timer) clearTimeout(upload.timer);
  upload.timer = null;
  const handle = upload.handle;
  upload.handle = null;
  await handle?.close().catch(() => undefined);
  await rm(upload.dir, { recursive: true, force: true });
}

/** Marks an upload used now and (re)arms its expiry. */
function touch(ctx: ServiceContext, upload: OpenUpload): void {
  upload.lastUsed = Date.now();
  if (upload.timer) clearTimeout(upload.timer);
  upload.timer = setTimeout(() => void expireIdleUploads(ctx).catch(() => undefined), UPLOAD_IDLE_MS + 1000);
  // A pending expiry does not keep the process (the command line, a test) alive.
  upload.timer.unref?.();
}

/**
 * Removes the uploads unused for UPLOAD_IDLE_MS at `nowMs` (none being read). Returns how many.
 * Run by each upload's timer; `nowMs` is a parameter so that the rule can be tested without waiting.
 */
export async function expireIdleUploads(ctx: ServiceContext, nowMs = Date.now()): Promise<number> {
  let removed = 0;
  for (const [id, upload] of [...registry(ctx)]) {
    if (upload.readers > 0 || nowMs - upload.lastUsed < UPLOAD_IDLE_MS) continue;
    await discard(ctx, id, upload);
    removed++;
  }
  return removed;
}

/** Starts an upload of `byteLength` bytes; the file is created empty in the staging folder. */
export async function beginUpload(
  ctx: ServiceContext,
  fileName: string,
  byteLength: number,
): Promise<{ uploadId: string }> {
  const open_ = registry(ctx);
  while (open_.size >= MAX_OPEN_UPLOADS) {
    // The oldest first (a Map keeps insertion order); one a preview is reading stays.
    const oldest = [...open_].find(([, upload]) => upload.readers === 0);
    if (!oldest)
      throw new ServiceError(
        'conflict',
        `${MAX_OPEN_UPLOADS} uploads are being read; try again when one of them is done`,
      );
    await discard(ctx, oldest[0], oldest[1]);
  }
  const uploadId = randomBytes(16).toString('hex');
  const dir = join(ctx.app.tempDir, `chunked-${uploadId}`);
  await mkdir(dir, { mode: 0o700 });
  const path = join(dir, stagedFileName(fileName));
  const handle = await open(path, 'wx', 0o600);
  // The name is only shown in messages, with its control and bidi characters escaped.
  const upload: OpenUpload = {
    fileName: escapeText(fileName),
    byteLength,
    received: 0,
    dir,
    path,
    handle,
    queue: Promise.resolve(),
    readers: 0,
    lastUsed: Date.now(),
    timer: null,
  };
  open_.set(uploadId, upload);
  touch(ctx, upload);
  return { uploadId };
}

function openUpload(ctx: ServiceContext, uploadId: string): OpenUpload {
  const upload = registry(ctx).get(uploadId);
  if (!upload) throw new ServiceError('not_found', 'that upload is finished, cancelled or unknown');
  return upload;
}

/**
 * Appends the next piece. `offset` must be the bytes received so far (pieces in order, none twice)
 * and the upload may not grow past the size it began with; either mistake removes the upload.
 * A piece the browser-mode server staged to a file (≥ 1 MiB) is copied from it and that file removed.
 */
export function appendUpload(
  ctx: ServiceContext,
  uploadId: string,
  offset: number,
  bytes: Uint8Array | StagedFile,
): Promise<{ received: number }> {
  const upload = openUpload(ctx, uploadId);
  const next = upload.queue.then(() => appendPiece(ctx, uploadId, upload, offset, bytes));
  upload.queue = next.catch(() => undefined);
  return next;
}

async function appendPiece(
  ctx: ServiceContext,
  uploadId: string,
  upload: OpenUpload,
  offset: number,
  bytes: Uint8Array | StagedFile,
): Promise<{ received: number }> {
  try {
    if (!upload.handle) throw new ServiceError('cancelled', `the upload of ${upload.fileName} was cancelled`);
    if (offset !== upload.received)
      throw new ServiceError(
        'bad_input',
        `the upload of ${upload.fileName} got bytes at ${offset} where ${upload.received} were expected`,
      );
    const length = bytes.byteLength;
    if (upload.received + length > upload.byteLength)
      throw new ServiceError(
        'bad_input',
        `the upload of ${upload.fileName} got ${upload.received + length} bytes, more than the ${upload.byteLength} it began with`,
      );
    if (bytes instanceof StagedFile) await copyStaged(bytes, upload.handle, upload.received);
    else await writeAll(upload.handle, bytes, upload.received);
    upload.received += length;
    touch(ctx, upload);
    return { received: upload.received };
  } catch (error) {
    await discard(ctx, uploadId, upload);
    throw error;
  } finally {
    if (bytes instanceof StagedFile) await rm(bytes.path, { force: true });
  }
}

async function writeAll(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let written = 0;
  while (written < bytes.byteLength) {
    const result = await handle.write(bytes, written, bytes.byteLength - written, position + written);
    written += result.bytesWritten;
  }
}

async function copyStaged(staged: StagedFile, target: FileHandle, position: number): Promise<void> {
  const source = await open(staged.path, 'r');
  try {
    const buffer = new Uint8Array(Math.min(staged.byteLength, 1 << 20));
    let copied = 0;
    while (copied < staged.byteLength) {
      const { bytesRead } = await source.read(
        buffer,
        0,
        Math.min(buffer.byteLength, staged.byteLength - copied),
        copied,
      );
      if (bytesRead === 0) throw new Error('a staged upload piece ended early');
      await writeAll(target, buffer.subarray(0, bytesRead), position + copied);
      copied += bytesRead;
    }
  } finally {
    await source.close();
  }
}

/** Stops an upload and removes its file; unknown or finished ids are not an error. */
export async function cancelUpload(ctx: ServiceContext, uploadId: string): Promise<{ cancelled: boolean }> {
  const upload = registry(ctx).get(uploadId);
  if (!upload) return { cancelled: false };
  await upload.queue;
  // It may have been taken or removed while the queue drained.
  if (registry(ctx).get(uploadId) !== upload) return { cancelled: false };
  await discard(ctx, uploadId, upload);
  return { cancelled: true };
}

/**
 * A finished upload's file, checked and named for `fileName` (the consuming request's name: its
 * extension picks the reader). Refused, and removed, when fewer bytes arrived than it began with.
 */
async function finished(
  ctx: ServiceContext,
  uploadId: string,
  upload: OpenUpload,
  fileName: string,
): Promise<void> {
  if (registry(ctx).get(uploadId) !== upload)
    throw new ServiceError('not_found', 'that upload is finished, cancelled or unknown');
  if (upload.received !== upload.byteLength) {
    await discard(ctx, uploadId, upload);
    throw new ServiceError(
      'bad_input',
      `the upload of ${upload.fileName} stopped at ${upload.received} of ${upload.byteLength} bytes`,
    );
  }
  const path = join(upload.dir, stagedFileName(fileName));
  if (path !== upload.path) {
    await rename(upload.path, path);
    upload.path = path;
  }
}

/**
 * A finished upload handed over to its consumer: the file at `path` (named for `fileName`) is no
 * longer this registry's; the consumer removes `dir` when it is done with it, whatever the outcome.
 */
export async function takeUpload(
  ctx: ServiceContext,
  ref: UploadRef,
  fileName: string,
): Promise<{ file: StagedFile; dir: string }> {
  const upload = openUpload(ctx, ref.uploadId);
  const taken = upload.queue.then(async () => {
    await finished(ctx, ref.uploadId, upload, fileName);
    registry(ctx).delete(ref.uploadId);
    if (upload.timer) clearTimeout(upload.timer);
    upload.timer = null;
    await upload.handle?.close();
    upload.handle = null;
    return { file: new StagedFile(upload.path, upload.byteLength), dir: upload.dir };
  });
  upload.queue = taken.catch(() => undefined);
  return taken;
}

/**
 * Runs `use` on a finished upload's file without taking it (a preview): it stays staged for the
 * channel that consumes it, and is neither expired nor evicted while `use` runs. Reads of one
 * upload run one after another, and before a later hand-over or cancel.
 */
export function readUpload<T>(
  ctx: ServiceContext,
  ref: UploadRef,
  fileName: string,
  use: (path: string) => Promise<T>,
): Promise<T> {
  const upload = openUpload(ctx, ref.uploadId);
  upload.readers++;
  const read = upload.queue.then(async () => {
    try {
      await finished(ctx, ref.uploadId, upload, fileName);
      return await use(upload.path);
    } finally {
      upload.readers--;
      if (registry(ctx).get(ref.uploadId) === upload) touch(ctx, upload);
    }
  });
  upload.queue = read.catch(() => undefined);
  return read;
}

/** Removes every open upload of a context (its services are closing, or the desktop window closed). */
export async function closeAllUploads(ctx: ServiceContext): Promise<void> {
  for (const [id, upload] of [...registry(ctx)]) await discard(ctx, id, upload);
}

/** How many uploads a context keeps staged (for tests and the documentation's claims). */
export function openUploadCount(ctx: ServiceContext): number {
  return registry(ctx).size;
}
