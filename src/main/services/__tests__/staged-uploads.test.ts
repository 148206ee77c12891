import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FilePreview } from '../../../shared/api';
import type { DatasetDetail, DatasetSummary } from '../../../shared/domain';
import { plantCellModules } from '../../../shared/analysis/synthetic-cells';
import { writeCellsH5ad, writeCellsMtx } from '../../io/cell-writers';
import { expireIdleUploads, MAX_OPEN_UPLOADS, openUploadCount, readUpload, UPLOAD_IDLE_MS } from '../uploads';
import { call, servicesInTempFolders } from './harness';
import type { Services } from '..';

/**
 * Files the window sends in pieces and then previews and imports: the preview
 * (`datasets:inspect`) reads the staged upload without consuming it, the import consumes it, and
 * the dataset stored is the one the one-array path stores, byte for byte (.tsv.gz, .mtx, .h5ad). A
 * refusal late in the file, a cancelled upload, a cancelled import and an upload left unused leave
 * the library and the staging folder as they were.
 */
const start = servicesInTempFolders('nmf-staged-uploads-');
let dir: string;
const files: Record<string, Uint8Array> = {};

/** A planted count table as gzipped TSV, genes × samples, with a header and row names. */
function countTable(genes: number, samples: number, seed: number): string {
  const lines = ['gene\t' + Array.from({ length: samples }, (_, j) => `S${j + 1}`).join('\t')];
  let state = seed;
  for (let i = 0; i < genes; i++) {
    const row: number[] = [];
    for (let j = 0; j < samples; j++) {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      row.push(state % 7 === 0 ? 0 : (state >> 8) % 50);
    }
    lines.push(`g${i + 1}\t${row.join('\t')}`);
  }
  return lines.join('\n') + '\n';
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nmf-staged-files-'));
  const model = plantCellModules({ features: 60, cells: 900, rank: 3, seed: 5 });
  files['counts.tsv.gz'] = gzipSync(countTable(300, 40, 7));
  files['matrix.mtx'] = readFileSync(writeCellsMtx(dir, model, { flushEntries: 700 }).file);
  const h5ad = join(dir, 'cells.h5ad');
  await writeCellsH5ad(h5ad, model, { flushEntries: 700 });
  files['cells.h5ad'] = readFileSync(h5ad);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Sends `bytes` with `uploads:begin` / `uploads:append` in pieces of `piece` bytes. */
async function send(
  services: Services,
  fileName: string,
  bytes: Uint8Array,
  piece = 50_000,
): Promise<string> {
  const { uploadId } = await call<{ uploadId: string }>(services, 'uploads:begin', {
    fileName,
    byteLength: bytes.byteLength,
  });
  for (let offset = 0; offset < bytes.byteLength; offset += piece)
    await call(services, 'uploads:append', { uploadId, offset, bytes: bytes.slice(offset, offset + piece) });
  return uploadId;
}

/** What a stored dataset is, apart from its id and date: the summary, names, preview and every chunk. */
function stored(services: Services, detail: DatasetDetail): unknown {
  const { id, createdAt, ...rest } = detail;
  void createdAt;
  const chunks = services.ctx.db
    .prepare('SELECT part, seq, data FROM dataset_chunks WHERE dataset_id = ? ORDER BY part, seq')
    .all(id) as Array<{ part: string; seq: number; data: Buffer }>;
  return {
    ...rest,
    preview: Array.from(rest.preview.values),
    chunks: chunks.map((c) => [c.part, c.seq, c.data.toString('hex')]),
  };
}

function libraryCounts(services: Services): { datasets: number; chunks: number } {
  const count = (sql: string): number => (services.ctx.db.prepare(sql).get() as { n: number }).n;
  return {
    datasets: count('SELECT COUNT(*) AS n FROM datasets'),
    chunks: count('SELECT COUNT(*) AS n FROM dataset_chunks'),
  };
}

describe('one staged upload serves the preview and then the import', () => {
  for (const fileName of ['counts.tsv.gz', 'matrix.mtx', 'cells.h5ad']) {
    it(`${fileName}: previewed, then imported from the same upload, stored as the one-array path stores it`, async () => {
      const bytes = files[fileName];
      const services = start();
      const uploadId = await send(services, fileName, bytes);
      const preview = await call<FilePreview>(services, 'datasets:inspect', {
        file: { fileName, bytes: { uploadId } },
      });
      const direct = await call<FilePreview>(services, 'datasets:inspect', { file: { fileName, bytes } });
      expect(preview).toEqual(direct);
      // The preview left the upload staged (its folder is the only thing in the staging folder).
      expect(openUploadCount(services.ctx)).toBe(1);
      expect(readdirSync(services.ctx.app.tempDir)).toEqual([`chunked-${uploadId}`]);

      const imported = await call<{ dataset: DatasetSummary }>(services, 'datasets:import', {
        file: { fileName, bytes: { uploadId } },
      });
      expect(openUploadCount(services.ctx)).toBe(0);
      expect(readdirSync(services.ctx.app.tempDir)).toEqual([]);
      // The import used the upload up.
      await expect(
        call(services, 'datasets:import', { file: { fileName, bytes: { uploadId } } }),
      ).rejects.toThrow(/not_found/);

      const other = start();
      const reference = await call<{ dataset: DatasetSummary }>(other, 'datasets:import', {
        file: { fileName, bytes },
      });
      expect(imported.dataset.hash).toBe(reference.dataset.hash);
      const mine = await call<DatasetDetail>(services, 'datasets:get', { id: imported.dataset.id });
      const theirs = await call<DatasetDetail>(other, 'datasets:get', { id: reference.dataset.id });
      expect(stored(services, mine)).toEqual(stored(other, theirs));
    });
  }

  it('the other channels that take a file consume an upload too (annotations)', async () => {
    const services = start();
    const matrix = await send(services, 'counts.tsv.gz', files['counts.tsv.gz']);
    const { dataset } = await call<{ dataset: DatasetSummary }>(services, 'datasets:import', {
      file: { fileName: 'counts.tsv.gz', bytes: { uploadId: matrix } },
    });
    const table = [
      'sample\tgroup',
      ...Array.from({ length: 40 }, (_, j) => `S${j + 1}\t${j % 2 ? 'a' : 'b'}`),
    ];
    const annotations = await send(
      services,
      'groups.tsv',
      new TextEncoder().encode(table.join('\n') + '\n'),
      100,
    );
    const result = await call<{ columns: unknown[] }>(services, 'annotations:import', {
      datasetId: dataset.id,
      axis: 'samples',
      file: { fileName: 'groups.tsv', bytes: { uploadId: annotations } },
    });
    expect(result.columns).toHaveLength(1);
    expect(readdirSync(services.ctx.app.tempDir)).toEqual([]);
  });
});

describe('refusals, cancels and expiry leave nothing behind', () => {
  it('a value refused late in the file: the preview passes, the import names it, nothing is stored or staged', async () => {
    const services = start();
    const text = countTable(2000, 30, 3).split('\n');
    text[1900] = text[1900].replace(/\t(\d+)\t/, '\tx7\t');
    const bytes = gzipSync(text.join('\n'));
    const uploadId = await send(services, 'late.tsv.gz', bytes);
    await call(services, 'datasets:inspect', { file: { fileName: 'late.tsv.gz', bytes: { uploadId } } });
    const refused = call(services, 'datasets:import', {
      file: { fileName: 'late.tsv.gz', bytes: { uploadId } },
    });
    await expect(refused).rejects.toThrow(
      /bad_input: late\.tsv\.gz: line 1901, column 2 \(sample "S1"\): "x7" is not a number/,
    );
    expect(libraryCounts(services)).toEqual({ datasets: 0, chunks: 0 });
    expect(readdirSync(services.ctx.app.tempDir)).toEqual([]);
  });

  it('a refused preview leaves the upload for the window to cancel; cancelling removes it', async () => {
    const services = start();
    const uploadId = await send(
      services,
      'notes.h5ad',
      new TextEncoder().encode('not an HDF5 file at all'),
      4,
    );
    await expect(
      call(services, 'datasets:inspect', { file: { fileName: 'notes.h5ad', bytes: { uploadId } } }),
    ).rejects.toThrow(/bad_input: notes\.h5ad/);
    expect(readdirSync(services.ctx.app.tempDir)).toHaveLength(1);
    expect(await call(services, 'uploads:cancel', { uploadId })).toEqual({ cancelled: true });
    expect(readdirSync(services.ctx.app.tempDir)).toEqual([]);
  });

  it('an import cancelled while it reads stores nothing and leaves nothing staged', async () => {
    const services = start();
    // ≈ 3 MB of plain text: several 1 MiB read chunks, so the cancel is seen between two of them.
    const bytes = new TextEncoder().encode(countTable(1500, 600, 11));
    const uploadId = await send(services, 'big.tsv', bytes, 1 << 20);
    const importId = 'c'.repeat(32);
    let cancels = 0;
    const off = services.ctx.events.subscribe((event, payload) => {
      if (event !== 'datasets:importProgress' || cancels > 0) return;
      const progress = payload as { bytesRead: number; totalBytes: number };
      if (progress.bytesRead < progress.totalBytes) {
        cancels++;
        void call(services, 'datasets:cancelImport', { importId });
      }
    });
    await expect(
      call(services, 'datasets:import', { file: { fileName: 'big.tsv', bytes: { uploadId } }, importId }),
    ).rejects.toThrow(/cancelled/);
    off();
    expect(cancels).toBe(1);
    expect(libraryCounts(services)).toEqual({ datasets: 0, chunks: 0 });
    expect(readdirSync(services.ctx.app.tempDir)).toEqual([]);
  });

  it('an upload cancelled half-way is removed and cannot be imported', async () => {
    const services = start();
    const bytes = files['cells.h5ad'];
    const { uploadId } = await call<{ uploadId: string }>(services, 'uploads:begin', {
      fileName: 'cells.h5ad',
      byteLength: bytes.byteLength,
    });
    await call(services, 'uploads:append', { uploadId, offset: 0, bytes: bytes.slice(0, 10_000) });
    expect(readdirSync(services.ctx.app.tempDir)).toHaveLength(1);
    expect(await call(services, 'uploads:cancel', { uploadId })).toEqual({ cancelled: true });
    expect(readdirSync(services.ctx.app.tempDir)).toEqual([]);
    await expect(
      call(services, 'datasets:inspect', { file: { fileName: 'cells.h5ad', bytes: { uploadId } } }),
    ).rejects.toThrow(/not_found/);
    expect(libraryCounts(services)).toEqual({ datasets: 0, chunks: 0 });
  });

  it('an upload unused for UPLOAD_IDLE_MS is removed; one used since is kept', async () => {
    const services = start();
    const idle = await send(services, 'a.tsv.gz', files['counts.tsv.gz']);
    const used = await send(services, 'b.tsv.gz', files['counts.tsv.gz']);
    const now = Date.now();
    expect(await expireIdleUploads(services.ctx, now + UPLOAD_IDLE_MS / 2)).toBe(0);
    // The preview of `used` counts as use: it expires later than `idle`.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await call(services, 'datasets:inspect', { file: { fileName: 'b.tsv.gz', bytes: { uploadId: used } } });
    const usedAt = Date.now();
    expect(await expireIdleUploads(services.ctx, usedAt - 150 + UPLOAD_IDLE_MS)).toBe(1);
    expect(readdirSync(services.ctx.app.tempDir)).toEqual([`chunked-${used}`]);
    await expect(
      call(services, 'datasets:import', { file: { fileName: 'a.tsv.gz', bytes: { uploadId: idle } } }),
    ).rejects.toThrow(/not_found/);
    expect(await expireIdleUploads(services.ctx, usedAt + UPLOAD_IDLE_MS)).toBe(1);
    expect(readdirSync(services.ctx.app.tempDir)).toEqual([]);
  });

  it(`keeps at most ${MAX_OPEN_UPLOADS} uploads: the oldest not being read goes first`, async () => {
    const services = start();
    const ids: string[] = [];
    for (let i = 0; i < MAX_OPEN_UPLOADS; i++)
      ids.push(await send(services, `f${i}.tsv.gz`, files['counts.tsv.gz']));
    // The oldest is being read (a preview holding it): the second oldest is removed instead.
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const reading = readUpload(services.ctx, { uploadId: ids[0] }, 'f0.tsv.gz', () => held);
    const fifth = await send(services, 'f5.tsv.gz', files['counts.tsv.gz']);
    expect(openUploadCount(services.ctx)).toBe(MAX_OPEN_UPLOADS);
    expect(readdirSync(services.ctx.app.tempDir).sort()).toEqual(
      [ids[0], ids[2], ids[3], fifth].map((id) => `chunked-${id}`).sort(),
    );
    // Nor does an idle expiry remove an upload being read.
    expect(await expireIdleUploads(services.ctx, Date.now() + 2 * UPLOAD_IDLE_MS)).toBe(3);
    release();
    await reading;
    expect(readdirSync(services.ctx.app.tempDir)).toEqual([`chunked-${ids[0]}`]);
    await services.close();
    const tempDir = services.ctx.app.tempDir;
    expect(existsSync(tempDir) ? readdirSync(tempDir) : []).toEqual([]);
  });
});
