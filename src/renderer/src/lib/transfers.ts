import type { ApiError, Result } from '../../../shared/api';
import { UPLOAD_PIECE_BYTES, type DownloadTicket, type UploadRef } from '../../../shared/api/transfer';
import type { ScreenPorts } from './screens/ports';

/**
 * Files moved between the window and the main process in pieces, in both transports (IPC and
 * browser mode): a download the main process offers is read with `downloads:read` and each piece
 * appended to a Blob (a Blob made from a Blob refers to its parts, and Chromium keeps large blobs
 * on disk), and a picked file is sent with
 * `uploads:append` a slice at a time, so neither process holds the file as one array. The window
 * names downloads and uploads by the random ids the main process gave, never by paths.
 */

type Call = ScreenPorts['call'];

/** How far a transfer is: bytes so far and the fraction (null when the size is not known yet). */
export interface TransferProgress {
  bytes: number;
  fraction: number | null;
}

function cancelled(what: string): Result<never> {
  return { ok: false, error: { code: 'cancelled', message: `${what} was cancelled` } };
}

/**
 * Reads a download to its end into a Blob, reporting progress after each piece. When `signal` is
 * aborted the main process is told to drop it (its temporary file is removed) and `cancelled` returned.
 */
export async function receiveDownload(
  call: Call,
  ticket: DownloadTicket,
  onProgress?: (progress: TransferProgress) => void,
  signal?: AbortSignal,
): Promise<Result<Blob>> {
  const type = ticket.mime;
  let blob = new Blob([], { type });
  for (;;) {
    if (signal?.aborted) {
      await call('downloads:cancel', { downloadId: ticket.downloadId });
      return cancelled(`The download of ${ticket.fileName}`);
    }
    const piece = await call('downloads:read', { downloadId: ticket.downloadId });
    if (!piece.ok) return piece;
    blob = new Blob([blob, piece.value.bytes as Uint8Array<ArrayBuffer>], { type });
    onProgress?.({ bytes: piece.value.sentBytes, fraction: piece.value.progress });
    if (piece.value.done) return { ok: true, value: blob };
  }
}

/**
 * `receiveDownload` of a file the main process offered, with `setStatus` told
 * "Saving name: 41 % (12.0 MiB) of 29.3 MiB…" from the start and after each piece.
 */
export function receiveOffered(
  call: Call,
  offered: { fileName: string; download: DownloadTicket; byteLength: number },
  setStatus: (status: string) => void,
  formatBytes: (bytes: number) => string,
  signal?: AbortSignal,
): Promise<Result<Blob>> {
  const show = (progress: TransferProgress): void =>
    setStatus(
      `Saving ${offered.fileName}: ${progressText(progress, formatBytes)} of ${formatBytes(offered.byteLength)}…`,
    );
  show({ bytes: 0, fraction: 0 });
  return receiveDownload(call, offered.download, show, signal);
}

/** What a screen saving an offered file shows: its status line, and an error under a title. */
export interface SavingScreen {
  status: string;
  error: ApiError | null;
  errorTitle: string;
}

/**
 * `receiveOffered`, then the file handed to `save` under its offered name. A failed or cancelled
 * download is shown on `screen` under "Could not save <name>" with its status cleared, and null
 * returned; otherwise the saved Blob.
 */
export async function saveOffered(
  call: Call,
  offered: { fileName: string; download: DownloadTicket; byteLength: number },
  screen: SavingScreen,
  save: (fileName: string, blob: Blob) => void,
  formatBytes: (bytes: number) => string,
  signal?: AbortSignal,
): Promise<Blob | null> {
  const received = await receiveOffered(
    call,
    offered,
    (status) => (screen.status = status),
    formatBytes,
    signal,
  );
  if (!received.ok) {
    screen.error = received.error;
    screen.errorTitle = `Could not save ${offered.fileName}`;
    screen.status = '';
    return null;
  }
  save(offered.fileName, received.value);
  return received.value;
}

/** A file the user picked, as the window has it (a File is a Blob with a name). */
export interface PickedFile {
  name: string;
  blob: Blob;
}

/**
 * Sends a picked file in slices of UPLOAD_PIECE_BYTES (only one slice is read into memory at a
 * time) and returns what a channel's `file` takes in place of the bytes. Aborting `signal`, or a
 * refused piece, removes what the main process had received.
 */
export async function sendUpload(
  call: Call,
  picked: PickedFile,
  onProgress?: (progress: TransferProgress) => void,
  signal?: AbortSignal,
): Promise<Result<{ fileName: string; bytes: UploadRef }>> {
  const size = picked.blob.size;
  const begun = await call('uploads:begin', { fileName: picked.name, byteLength: size });
  if (!begun.ok) return begun;
  const { uploadId } = begun.value;
  for (let offset = 0; offset < size;) {
    if (signal?.aborted) {
      await call('uploads:cancel', { uploadId });
      return cancelled(`The upload of ${picked.name}`);
    }
    const slice = new Uint8Array(await picked.blob.slice(offset, offset + UPLOAD_PIECE_BYTES).arrayBuffer());
    const appended = await call('uploads:append', { uploadId, offset, bytes: slice });
    if (!appended.ok) return appended;
    offset = appended.value.received;
    onProgress?.({ bytes: offset, fraction: size === 0 ? 1 : offset / size });
  }
  return { ok: true, value: { fileName: picked.name, bytes: { uploadId } } };
}

/** "41 % (12.0 MiB)" or "12.0 MiB" when the share is unknown. */
export function progressText(progress: TransferProgress, formatBytes: (bytes: number) => string): string {
  const bytes = formatBytes(progress.bytes);
  return progress.fraction === null ? bytes : `${Math.floor(progress.fraction * 100)} % (${bytes})`;
}

/**
 * `sendUpload` of a picked file, with `setStatus` told "Sending cells.h5ad: 41 % (740 MiB) of
 * 1.8 GiB…" from the start and after each piece.
 */
export function sendPicked(
  call: Call,
  picked: PickedFile,
  setStatus: (status: string) => void,
  formatBytes: (bytes: number) => string,
  signal?: AbortSignal,
): Promise<Result<{ fileName: string; bytes: UploadRef }>> {
  const total = formatBytes(picked.blob.size);
  const show = (progress: TransferProgress): void =>
    setStatus(`Sending ${picked.name}: ${progressText(progress, formatBytes)} of ${total}…`);
  show({ bytes: 0, fraction: 0 });
  return sendUpload(call, picked, show, signal);
}
