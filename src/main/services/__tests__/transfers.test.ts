import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DownloadTicket, LibraryMergeResult } from '../../../shared/api';
import type { AssignmentView, RunDetail } from '../../../shared/domain';
import { runExportDocument } from '../../../shared/export/run-document';
import { offerRunJson, runJsonDocument } from '../run-export';
import { extractTarGz } from '../tar';
import { DOWNLOAD_PIECE_BYTES } from '../downloads';
import { jsonPieces } from '../../../shared/export/json-stream';
import {
  call,
  downloadPieces,
  downloadWhole,
  exportedLibrary,
  finishedRunOfShape,
  servicesInTempFolders,
} from './harness';
import type { Services } from '..';

const start = servicesInTempFolders('nmf-transfers-');

/** The text the Run screen's "JSON with provenance" had before it was streamed (renderer `toJson`). */
function windowJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) =>
      ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as Float64Array) : v,
    2,
  );
}

/** What the window did: the stored run, the assignment it showed, one string. */
async function windowDocumentText(
  services: Services,
  id: number,
  threshold: number | undefined,
  exportedAt: string,
) {
  const run = await call<RunDetail>(services, 'runs:get', { id });
  const assignment = await call<AssignmentView>(
    services,
    'runs:assign',
    threshold === undefined ? { id } : { id, threshold },
  );
  return windowJson(runExportDocument(run, assignment, new Date(exportedAt)));
}

function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

describe('a run’s JSON with provenance, made in the main process', () => {
  it('is the document the window made, to the last character, at the default and a chosen threshold', async () => {
    const services = start();
    const id = await finishedRunOfShape(services, { features: 40, samples: 30, rank: 3 }, 60);
    for (const threshold of [undefined, 0.35]) {
      const ticket = await call<DownloadTicket>(
        services,
        'runs:exportJson',
        threshold === undefined ? { id } : { id, threshold },
      );
      expect(ticket).toMatchObject({
        fileName: `run-${id}.json`,
        mime: 'application/json',
        totalBytes: null,
      });
      const exported = text(await downloadWhole(services, ticket.downloadId));
      const exportedAt = (JSON.parse(exported) as { exportedAt: string }).exportedAt;
      expect(exported).toBe(await windowDocumentText(services, id, threshold, exportedAt));
    }
  });

  it('past the longest string allowed, is never one string and holds the full H as stored', async () => {
    // The window made one string of the whole document; V8 refuses strings over 2²⁹ − 24 characters
    // (H of 20 × 10⁶ samples is ~4.8·10⁸). Lowered here to 2¹⁸ characters, the old text is over it
    // and the pieces are not.
    const limit = 1 << 18;
    const services = start();
    const id = await finishedRunOfShape(services, { features: 20, samples: 40_000, rank: 6 }, 2);
    const ticket = await offerRunJson(services.ctx, id, undefined, limit / 2);
    const { pieces, progress } = await downloadPieces(services, ticket.downloadId);
    const exported = text(new Uint8Array(Buffer.concat(pieces)));
    const exportedAt = (JSON.parse(exported) as { exportedAt: string }).exportedAt;
    const before = await windowDocumentText(services, id, undefined, exportedAt);
    expect(before.length).toBeGreaterThan(20 * limit);
    expect(exported).toBe(before);
    // The transfer's pieces are at most 4 MiB; the strings they are made of at most the limit.
    expect(pieces.length).toBeGreaterThan(1);
    expect(Math.max(...pieces.map((p) => p.byteLength))).toBeLessThanOrEqual(DOWNLOAD_PIECE_BYTES);
    const document = runJsonDocument(services.ctx, id, undefined, new Date(exportedAt));
    let longest = 0;
    let joined = '';
    for (const piece of jsonPieces(document, { pieceChars: limit / 2 })) {
      longest = Math.max(longest, piece.length);
      joined += piece;
    }
    expect(longest).toBeLessThanOrEqual(limit);
    expect(joined).toBe(before);
    // Progress rises to 1 with the numbers written.
    expect(progress.at(-1)).toBe(1);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    // Every number of H, bit for bit, none left out or binned.
    const stored = await call<RunDetail>(services, 'runs:get', { id });
    const parsed = JSON.parse(exported) as { H: number[]; W: number[]; shapes: { H: number[] } };
    expect(parsed.shapes.H).toEqual([6, 40_000]);
    expect(Float64Array.from(parsed.H)).toEqual(stored.H);
    expect(Float64Array.from(parsed.W)).toEqual(stored.W);
    // The download is gone once read.
    await expect(call(services, 'downloads:read', { downloadId: ticket.downloadId })).rejects.toThrow(
      /not_found: that download is finished, cancelled or unknown/,
    );
  });

  it('is refused for a run without factors, and for an id that is not a run', async () => {
    const services = start();
    const { dataset } = await call<{ dataset: { id: number } }>(services, 'datasets:synthesize', {
      features: 20,
      samples: 10,
      rank: 2,
      seed: 1,
    });
    const run = await call<{ id: number }>(services, 'runs:start', {
      datasetId: dataset.id,
      params: { rank: 2, maxIter: 100_000, tol: 0, seed: 1 },
    });
    await expect(call(services, 'runs:exportJson', { id: run.id })).rejects.toThrow(
      /conflict: run \d+ is (queued|running): only a finished run has factors to export/,
    );
    await call(services, 'runs:cancel', { id: run.id });
    await expect(call(services, 'runs:exportJson', { id: 999 })).rejects.toThrow(/not_found/);
    await expect(call(services, 'downloads:read', { downloadId: '../../etc/passwd' })).rejects.toThrow(
      /invalid_request/,
    );
  });
});

describe('the library copy as a download', () => {
  it('is read in pieces from a temporary file that is removed when read or cancelled', async () => {
    const services = start();
    await call(services, 'datasets:synthesize', { features: 30, samples: 20, rank: 2, seed: 1 });
    const file = await exportedLibrary(services);
    expect(Buffer.from(file.bytes.subarray(0, 16)).toString('latin1')).toBe('SQLite format 3\0');
    expect(readdirSync(services.ctx.app.tempDir)).toEqual([]);

    const offered = await call<{ download: DownloadTicket; byteLength: number }>(
      services,
      'library:export',
      {},
    );
    expect(offered.download.totalBytes).toBe(offered.byteLength);
    expect(readdirSync(services.ctx.app.tempDir)).toHaveLength(1);
    expect(await call(services, 'downloads:cancel', { downloadId: offered.download.downloadId })).toEqual({
      cancelled: true,
    });
    expect(readdirSync(services.ctx.app.tempDir)).toEqual([]);
    expect(await call(services, 'downloads:cancel', { downloadId: offered.download.downloadId })).toEqual({
      cancelled: false,
    });
  });
});

describe('closing the services', () => {
  it('closes open downloads and uploads and removes their files', async () => {
    const services = start();
    await call(services, 'datasets:synthesize', { features: 30, samples: 20, rank: 2, seed: 1 });
    await call(services, 'library:export', {});
    const { uploadId } = await call<{ uploadId: string }>(services, 'uploads:begin', {
      fileName: 'x.sqlite',
      byteLength: 100,
    });
    await call(services, 'uploads:append', { uploadId, offset: 0, bytes: new Uint8Array(10) });
    const staging = services.ctx.app.tempDir;
    expect(readdirSync(staging)).toHaveLength(2);
    await services.close();
    expect(existsSync(staging)).toBe(false);
  });
});

describe('a cluster job archive as a download', () => {
  it('is written through a gzip stream to a temporary file, read in pieces, and removed', async () => {
    const services = start();
    const { dataset } = await call<{ dataset: { id: number } }>(services, 'datasets:synthesize', {
      features: 30,
      samples: 20,
      rank: 2,
      seed: 1,
    });
    const archive = await call<{
      fileName: string;
      download: DownloadTicket;
      byteLength: number;
      fits: number;
    }>(services, 'sweeps:clusterExport', {
      datasetId: dataset.id,
      params: { fromRank: 2, toRank: 3, replicates: 2, fit: { maxIter: 20 } },
      tasks: 2,
    });
    expect(archive.download).toMatchObject({ fileName: archive.fileName, totalBytes: archive.byteLength });
    expect(readdirSync(services.ctx.app.tempDir)).toHaveLength(1);
    const bytes = await downloadWhole(services, archive.download.downloadId);
    expect(bytes.byteLength).toBe(archive.byteLength);
    const top = archive.fileName.replace(/\.tar\.gz$/, '');
    const unpacked = mkdtempSync(join(tmpdir(), 'nmf-archive-'));
    const paths = await extractTarGz(bytes, 1 << 30, unpacked);
    rmSync(unpacked, { recursive: true, force: true });
    expect(paths).toEqual(
      expect.arrayContaining([`${top}/plan.json`, `${top}/data.nmf`, `${top}/sweep.sbatch`]),
    );
    expect(readdirSync(services.ctx.app.tempDir)).toEqual([]);
  });
});

describe('uploads in pieces', () => {
  async function upload(
    services: Services,
    fileName: string,
    bytes: Uint8Array,
    piece: number,
  ): Promise<string> {
    const { uploadId } = await call<{ uploadId: string }>(services, 'uploads:begin', {
      fileName,
      byteLength: bytes.byteLength,
    });
    for (let offset = 0; offset < bytes.byteLength; offset += piece)
      await call(services, 'uploads:append', {
        uploadId,
        offset,
        bytes: bytes.slice(offset, offset + piece),
      });
    return uploadId;
  }

  function datasetCount(services: Services): number {
    return (services.ctx.db.prepare('SELECT COUNT(*) AS n FROM datasets').get() as { n: number }).n;
  }

  it('a library sent in pieces merges as the same bytes sent whole do, and the pieces are removed', async () => {
    const source = start();
    await call(source, 'datasets:synthesize', { features: 30, samples: 20, rank: 2, seed: 1 });
    const { bytes } = await exportedLibrary(source);
    const target = start();
    const uploadId = await upload(target, 'colleague.sqlite', bytes, 100_000);
    const merged = await call<LibraryMergeResult>(target, 'library:merge', {
      file: { fileName: 'colleague.sqlite', bytes: { uploadId } },
    });
    expect(merged).toMatchObject({ datasetsAdded: 1 });
    expect(readdirSync(target.ctx.app.tempDir)).toEqual([]);
    // The id was used up.
    await expect(
      call(target, 'library:merge', { file: { fileName: 'colleague.sqlite', bytes: { uploadId } } }),
    ).rejects.toThrow(/not_found/);
  });

  it('refuses pieces out of order or past the size, an unfinished upload, and a cancelled one; the library is unchanged', async () => {
    const source = start();
    await call(source, 'datasets:synthesize', { features: 30, samples: 20, rank: 2, seed: 1 });
    const { bytes } = await exportedLibrary(source);
    const target = start();

    await expect(call(target, 'uploads:begin', { fileName: '../a.sqlite', byteLength: 10 })).rejects.toThrow(
      /invalid_request/,
    );
    const big = await call<{ uploadId: string }>(target, 'uploads:begin', {
      fileName: 'big',
      byteLength: 2 ** 30,
    });
    await expect(
      call(target, 'uploads:append', {
        uploadId: big.uploadId,
        offset: 0,
        bytes: new Uint8Array((16 << 20) + 1),
      }),
    ).rejects.toThrow(/invalid_request.*at most 16 MiB a piece/);
    await call(target, 'uploads:cancel', { uploadId: big.uploadId });
    const gap = await call<{ uploadId: string }>(target, 'uploads:begin', {
      fileName: 'a.sqlite',
      byteLength: 10,
    });
    await expect(
      call(target, 'uploads:append', { uploadId: gap.uploadId, offset: 4, bytes: new Uint8Array(2) }),
    ).rejects.toThrow(/bad_input: the upload of a\.sqlite got bytes at 4 where 0 were expected/);
    // A refused piece ends the upload.
    await expect(
      call(target, 'uploads:append', { uploadId: gap.uploadId, offset: 0, bytes: new Uint8Array(2) }),
    ).rejects.toThrow(/not_found/);

    const over = await call<{ uploadId: string }>(target, 'uploads:begin', {
      fileName: 'b.sqlite',
      byteLength: 3,
    });
    await expect(
      call(target, 'uploads:append', { uploadId: over.uploadId, offset: 0, bytes: new Uint8Array(4) }),
    ).rejects.toThrow(/got 4 bytes, more than the 3 it began with/);

    const half = await upload(target, 'c.sqlite', bytes.subarray(0, 4096), 1024);
    const { uploadId: halfId } = await call<{ uploadId: string }>(target, 'uploads:begin', {
      fileName: 'c.sqlite',
      byteLength: bytes.byteLength,
    });
    await call(target, 'uploads:append', { uploadId: halfId, offset: 0, bytes: bytes.slice(0, 4096) });
    await expect(
      call(target, 'library:merge', { file: { fileName: 'c.sqlite', bytes: { uploadId: halfId } } }),
    ).rejects.toThrow(/bad_input: the upload of c\.sqlite stopped at 4096 of \d+ bytes/);
    await call(target, 'uploads:cancel', { uploadId: half });

    const cancelled = await upload(target, 'd.sqlite', bytes, 50_000);
    expect(await call(target, 'uploads:cancel', { uploadId: cancelled })).toEqual({ cancelled: true });
    await expect(
      call(target, 'library:merge', { file: { fileName: 'd.sqlite', bytes: { uploadId: cancelled } } }),
    ).rejects.toThrow(/not_found/);

    expect(datasetCount(target)).toBe(0);
    expect(readdirSync(target.ctx.app.tempDir)).toEqual([]);
    expect(existsSync(join(target.ctx.app.tempDir, `chunked-${cancelled}`))).toBe(false);
  });
});
