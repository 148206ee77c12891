/**
 * Files moved between the window and the main process in pieces (services/downloads.ts,
 * services/uploads.ts): the shapes the channels carry and the piece sizes both sides use. Kept
 * out of channels.ts so the renderer can import them without zod.
 */

/** A file the main process made for the user to save, read piece by piece with `downloads:read`. */
export interface DownloadTicket {
  /** Random id (32 hex digits) naming the download; never a path. */
  downloadId: string;
  /** The name to save it under (made by the main process from safe characters). */
  fileName: string;
  mime: string;
  /** Size in bytes when known before it is made (files), else null (a JSON text made as it is read). */
  totalBytes: number | null;
}

/** One piece of a download: at most 4 MiB; `done` on the last, after which the id is gone. */
export interface DownloadPiece {
  bytes: Uint8Array;
  done: boolean;
  /** Bytes handed out so far, this piece included. */
  sentBytes: number;
  /** Fraction of the file made so far, 0..1 (1 when done). */
  progress: number;
}

/** A file sent piece by piece with `uploads:begin` / `uploads:append`, in place of its bytes. */
export interface UploadRef {
  uploadId: string;
}

/** Bytes per `uploads:append` the window sends (the main process accepts up to 16 MiB). */
export const UPLOAD_PIECE_BYTES = 4 << 20;

/** The id format of downloads and uploads. */
export const TRANSFER_ID_PATTERN = /^[0-9a-f]{32}$/;
