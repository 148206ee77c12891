import { randomBytes } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ServiceError } from '../../shared/api';
import type { UploadRef } from '../../shared/api/channels';
import { StagedFile } from '../../shared/api/staged';
import { escapeText } from '../io/errors';
import type { ServiceContext } from './context';

/**
 * Files the window sends in pieces (a cluster job archive, a library to merge, any large upload):
 * `uploads:begin` (the name and size), `uploads:append` (the next bytes, in order), then the usual
 * channel with `{ fileName, bytes: { uploadId } }` in place of the bytes. Over desktop IPC a file
 * used to be one byte array — the window read it whole and Electron cloned it whole; in pieces
 * neither process ever holds it. Each piece is appended to a file in this process's staging folder
 * (named here, never by the window), which the consuming channel takes over exactly as it takes a
 * file the browser-mode server streamed (`StagedFile`), so the importers see no difference. An
 * upload that is cancelled, abandoned (the oldest beyond MAX_OPEN_UPLOADS) or refused is removed;
 * nothing reaches the library until the consuming channel has it all.
 */

/** Largest piece accepted by `uploads:append`; the window sends UPLOAD_PIECE_BYTES (channels.ts). */
export const MAX_UPLOAD_PIECE_BYTES = 16 << 20;
/** Uploads open at once per process; the oldest is removed when one more begins. */
export const MAX_OPEN_UPLOADS = 4;

interface OpenUpload {
  fileName: string;
  byteLength: number;
  received: number;
  path: string;
  handle: FileHandle | null;
  /** Appends run one after another. */
  queue: Promise<unknown>;
}

const registries = new WeakMap<ServiceContext, Map<string, OpenUpload>>();

function registry(ctx: ServiceContext): Map<string, OpenUpload> {
  let map = registries.get(ctx);
  if (!map) registries.set(ctx, (map = new Map()));
  return map;
}

async function discard(ctx: ServiceContext, uploadId: string, upload: OpenUpload): Promise<void> {
  registry(ctx).delete(uploadId);
  const handle = upload.handle;
  upload.handle = null;
  await handle?.close().catch(() => undefined);
  await rm(upload.path, { force: true });
}

/** Starts an upload of `byteLength` bytes; the file is created empty in the staging folder. */
export async function beginUpload(
  ctx: ServiceContext,
  fileName: string,
  byteLength: number,
): Promise<{ uploadId: string }> {
  const open_ = registry(ctx);
  while (open_.size >= MAX_OPEN_UPLOADS) {
    const [oldestId, oldest] = open_.entries().next().value as [string, OpenUpload];
    await discard(ctx, oldestId, oldest);
  }
  const uploadId = randomBytes(16).toString('hex');
  const path = join(ctx.app.tempDir, `chunked-${uploadId}`);
  const handle = await open(path, 'wx', 0o600);
  // The name is only shown in messages, with its control and bidi characters escaped.
  open_.set(uploadId, {
    fileName: escapeText(fileName),
    byteLength,
    received: 0,
    path,
    handle,
    queue: Promise.resolve(),
  });
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
  await discard(ctx, uploadId, upload);
  return { cancelled: true };
}

/**
 * A finished upload handed over to its consumer (withStagedUpload moves the file; it is no longer
 * this registry's). Refused, and removed, when fewer bytes arrived than it began with.
 */
export async function takeUpload(ctx: ServiceContext, ref: UploadRef): Promise<StagedFile> {
  const upload = openUpload(ctx, ref.uploadId);
  await upload.queue;
  if (upload.received !== upload.byteLength) {
    await discard(ctx, ref.uploadId, upload);
    throw new ServiceError(
      'bad_input',
      `the upload of ${upload.fileName} stopped at ${upload.received} of ${upload.byteLength} bytes`,
    );
  }
  registry(ctx).delete(ref.uploadId);
  await upload.handle?.close();
  upload.handle = null;
  return new StagedFile(upload.path, upload.byteLength);
}

/** Removes every open upload of a context (its services are closing). */
export async function closeAllUploads(ctx: ServiceContext): Promise<void> {
  for (const [id, upload] of [...registry(ctx)]) await discard(ctx, id, upload);
}
