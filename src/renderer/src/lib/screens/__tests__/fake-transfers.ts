import type { Channel } from '../../../../../shared/api';
import type { DownloadTicket } from '../../../../../shared/api/transfer';
import { ok, type Handler } from './fake-ports';

/**
 * The main process's side of files moved in pieces, faked: downloads offered with `offer` are read
 * back in pieces of `pieceBytes`; uploads are gathered by id (`uploaded`).
 */
export function fakeTransfers(pieceBytes = 1000) {
  const downloads = new Map<string, { bytes: Uint8Array; sent: number }>();
  const uploaded = new Map<string, { fileName: string; bytes: number[] }>();
  const cancelled: string[] = [];
  let next = 0;
  const id = (): string => (++next).toString(16).padStart(32, '0');
  function offer(fileName: string, bytes: Uint8Array): DownloadTicket {
    const downloadId = id();
    downloads.set(downloadId, { bytes, sent: 0 });
    return { downloadId, fileName, mime: 'application/octet-stream', totalBytes: bytes.byteLength };
  }
  const handlers: { [C in Channel]?: Handler<C> } = {
    'downloads:read': ({ downloadId }) => {
      const download = downloads.get(downloadId)!;
      const bytes = download.bytes.subarray(download.sent, download.sent + pieceBytes);
      download.sent += bytes.byteLength;
      const done = download.sent >= download.bytes.byteLength;
      return ok({
        bytes,
        done,
        sentBytes: download.sent,
        progress: download.sent / download.bytes.byteLength,
      });
    },
    'downloads:cancel': ({ downloadId }) => {
      cancelled.push(downloadId);
      return ok({ cancelled: downloads.delete(downloadId) });
    },
    'uploads:begin': ({ fileName }) => {
      const uploadId = id();
      uploaded.set(uploadId, { fileName, bytes: [] });
      return ok({ uploadId });
    },
    'uploads:append': ({ uploadId, bytes }) => {
      const upload = uploaded.get(uploadId)!;
      for (const byte of bytes as Uint8Array) upload.bytes.push(byte);
      return ok({ received: upload.bytes.length });
    },
    'uploads:cancel': ({ uploadId }) => {
      cancelled.push(uploadId);
      return ok({ cancelled: uploaded.delete(uploadId) });
    },
  };
  return { offer, handlers, uploaded, cancelled };
}
