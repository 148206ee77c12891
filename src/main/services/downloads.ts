import { randomBytes } from 'node:crypto';
import { open, rm, stat } from 'node:fs/promises';
import { ServiceError } from '../../shared/api';
import type { DownloadPiece, DownloadTicket } from '../../shared/api/channels';
import type { ServiceContext } from './context';

/**
 * Files the main process makes for the user to save (a run's JSON, a cluster job archive, a copy of
 * the library), handed to the window in pieces: the export channel returns a `DownloadTicket`, the
 * window calls `downloads:read` until `done` and appends each piece to the download's Blob (as the
 * W/H tables are assembled, download.ts), or `downloads:cancel`. At 10⁶ samples such a file is
 * hundreds of MB to GB: one byte array (or string) of it would cross the IPC or HTTP boundary whole,
 * and a JSON text would not even fit in one V8 string. The same pieces serve both transports
 * (structured clone over IPC, a binary NMF1 frame over HTTP). The window names a download by the
 * random id it was given, never by a path.
 */

/** Bytes per piece handed out: small enough to keep both processes' memory flat, large enough that calls are few. */
export const DOWNLOAD_PIECE_BYTES = 4 << 20;
/** Downloads open at once per process; the oldest is closed when one more is offered. */
export const MAX_OPEN_DOWNLOADS = 8;
/**
 * A download not read for this long is closed and its file removed: the window that was offered it
 * went away without a word (a browser tab killed, a crash), as an idle upload is removed
 * (uploads.ts UPLOAD_IDLE_MS). A window reads its pieces back to back, so ten minutes is far past
 * any pause of a live one.
 */
export const DOWNLOAD_IDLE_MS = 10 * 60 * 1000;

/** What a download is made from: byte pieces in order, how far along it is, and what to remove afterwards. */
export interface DownloadSource {
  fileName: string;
  mime: string;
  /** Known size in bytes, or null when it is made as it is read (a JSON text). */
  totalBytes: number | null;
  pieces: AsyncIterator<Uint8Array> | Iterator<Uint8Array>;
  /** Fraction made so far, 0..1. */
  progress(): number;
  /** Called once, when the download ends, fails or is cancelled (e.g. removes a temporary file). */
  close?(): Promise<void>;
}

interface OpenDownload {
  source: DownloadSource;
  /** Bytes taken from the source but not yet handed out (a piece larger than DOWNLOAD_PIECE_BYTES). */
  held: Uint8Array | null;
  sent: number;
  /** Reads of one download run one after another. */
  queue: Promise<unknown>;
  closed: boolean;
  /** Reads under way or queued: such a download does not expire. */
  reading: number;
  /** When it was offered or last read (ms since the epoch). */
  lastUsed: number;
  timer: ReturnType<typeof setTimeout> | null;
}

const registries = new WeakMap<ServiceContext, Map<string, OpenDownload>>();

function registry(ctx: ServiceContext): Map<string, OpenDownload> {
  let map = registries.get(ctx);
  if (!map) registries.set(ctx, (map = new Map()));
  return map;
}

async function closeDownload(ctx: ServiceContext, id: string, download: OpenDownload): Promise<void> {
  registry(ctx).delete(id);
  if (download.timer) clearTimeout(download.timer);
  download.timer = null;
  if (download.closed) return;
  download.closed = true;
  download.held = null;
  try {
    const pieces = download.source.pieces;
    if (pieces.return) await pieces.return(undefined);
  } finally {
    await download.source.close?.();
  }
}

/** Registers a download and returns its ticket (the id the window reads it by). */
export async function offerDownload(ctx: ServiceContext, source: DownloadSource): Promise<DownloadTicket> {
  const open = registry(ctx);
  while (open.size >= MAX_OPEN_DOWNLOADS) {
    const [oldestId, oldest] = open.entries().next().value as [string, OpenDownload];
    await closeDownload(ctx, oldestId, oldest);
  }
  const downloadId = randomBytes(16).toString('hex');
  const download: OpenDownload = {
    source,
    held: null,
    sent: 0,
    queue: Promise.resolve(),
    closed: false,
    reading: 0,
    lastUsed: 0,
    timer: null,
  };
  open.set(downloadId, download);
  touch(ctx, download);
  return { downloadId, fileName: source.fileName, mime: source.mime, totalBytes: source.totalBytes };
}

/** Marks a download used now and (re)arms its expiry. */
function touch(ctx: ServiceContext, download: OpenDownload): void {
  download.lastUsed = Date.now();
  if (download.timer) clearTimeout(download.timer);
  download.timer = setTimeout(
    () => void expireIdleDownloads(ctx).catch(() => undefined),
    DOWNLOAD_IDLE_MS + 1000,
  );
  // A pending expiry does not keep the process (the command line, a test) alive.
  download.timer.unref?.();
}

/**
 * Closes the downloads not read for DOWNLOAD_IDLE_MS at `nowMs` (none being read) and removes their
 * files. Returns how many. Run by each download's timer; `nowMs` is a parameter so that the rule
 * can be tested without waiting.
 */
export async function expireIdleDownloads(ctx: ServiceContext, nowMs = Date.now()): Promise<number> {
  let closed = 0;
  for (const [id, download] of [...registry(ctx)]) {
    if (download.reading > 0 || nowMs - download.lastUsed < DOWNLOAD_IDLE_MS) continue;
    await closeDownload(ctx, id, download);
    closed++;
  }
  return closed;
}

function openDownload(ctx: ServiceContext, downloadId: string): OpenDownload {
  const download = registry(ctx).get(downloadId);
  if (!download) throw new ServiceError('not_found', 'that download is finished, cancelled or unknown');
  return download;
}

/**
 * The next piece of a download (at most DOWNLOAD_PIECE_BYTES; small source pieces are joined up to
 * it). The last piece has `done: true`, after which the download is closed; so is a download whose
 * source fails (the error is returned and its temporary file removed).
 */
export function readDownload(ctx: ServiceContext, downloadId: string): Promise<DownloadPiece> {
  const download = openDownload(ctx, downloadId);
  download.reading++;
  const next = download.queue
    .then(() => readPiece(ctx, downloadId, download))
    .finally(() => {
      download.reading--;
      if (!download.closed) touch(ctx, download);
    });
  download.queue = next.catch(() => undefined);
  return next;
}

async function readPiece(ctx: ServiceContext, id: string, download: OpenDownload): Promise<DownloadPiece> {
  if (download.closed) throw new ServiceError('cancelled', 'the download was cancelled');
  const parts: Uint8Array[] = [];
  let size = 0;
  let done = false;
  try {
    while (size < DOWNLOAD_PIECE_BYTES) {
      let part = download.held;
      download.held = null;
      if (!part) {
        const result = await download.source.pieces.next();
        if (download.closed) throw new ServiceError('cancelled', 'the download was cancelled');
        if (result.done) {
          done = true;
          break;
        }
        part = result.value;
      }
      const room = DOWNLOAD_PIECE_BYTES - size;
      if (part.byteLength > room) {
        download.held = part.subarray(room);
        part = part.subarray(0, room);
      }
      parts.push(part);
      size += part.byteLength;
    }
  } catch (error) {
    await closeDownload(ctx, id, download);
    throw error;
  }
  let bytes: Uint8Array;
  if (parts.length === 1) bytes = parts[0]!;
  else {
    bytes = new Uint8Array(size);
    let offset = 0;
    for (const part of parts) {
      bytes.set(part, offset);
      offset += part.byteLength;
    }
  }
  download.sent += size;
  const progress = done ? 1 : Math.min(1, download.source.progress());
  if (done) await closeDownload(ctx, id, download);
  return { bytes, done, sentBytes: download.sent, progress };
}

/** Stops a download and removes what it left; unknown or finished ids are not an error. */
export async function cancelDownload(
  ctx: ServiceContext,
  downloadId: string,
): Promise<{ cancelled: boolean }> {
  const download = registry(ctx).get(downloadId);
  if (!download) return { cancelled: false };
  await closeDownload(ctx, downloadId, download);
  return { cancelled: true };
}

/** Closes every open download of a context (its services are closing). */
export async function closeAllDownloads(ctx: ServiceContext): Promise<void> {
  for (const [id, download] of [...registry(ctx)]) await closeDownload(ctx, id, download);
}

/**
 * A file on disk, read DOWNLOAD_PIECE_BYTES at a time; `remove` (a temporary folder or file) is
 * deleted when the download ends, fails or is cancelled.
 */
export async function fileSource(
  fileName: string,
  mime: string,
  path: string,
  remove: string | null,
): Promise<DownloadSource> {
  const size = (await stat(path)).size;
  const handle = await open(path, 'r');
  let position = 0;
  async function* read(): AsyncGenerator<Uint8Array> {
    while (position < size) {
      const buffer = new Uint8Array(Math.min(DOWNLOAD_PIECE_BYTES, size - position));
      const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, position);
      if (bytesRead === 0) throw new Error(`${fileName} ended early while being read`);
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  }
  return {
    fileName,
    mime,
    totalBytes: size,
    pieces: read(),
    progress: () => (size === 0 ? 1 : position / size),
    close: async () => {
      await handle.close();
      if (remove) await rm(remove, { recursive: true, force: true });
    },
  };
}

/** Text made piece by piece (jsonPieces), encoded as UTF-8 one piece at a time. */
export function textSource(
  fileName: string,
  mime: string,
  pieces: Iterator<string>,
  progress: () => number,
): DownloadSource {
  const encoder = new TextEncoder();
  const encoded: Iterator<Uint8Array> = {
    next: () => {
      const result = pieces.next();
      return result.done
        ? { done: true, value: undefined }
        : { done: false, value: encoder.encode(result.value) };
    },
    return: () => {
      pieces.return?.(undefined);
      return { done: true, value: undefined };
    },
  };
  return { fileName, mime, totalBytes: null, pieces: encoded, progress };
}
