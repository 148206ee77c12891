import { describe, expect, it } from 'vitest';
import type { FilePreview, ResponseOf, Result } from '../../../../../shared/api';
import type { ImportProgress } from '../../../../../shared/domain';
import { UPLOAD_PIECE_BYTES } from '../../../../../shared/api/transfer';
import { DatasetImport, datasetNameFor } from '../dataset-import.svelte';
import { FileSender } from '../file-sender.svelte';
import { failed, fakePorts, ok } from './fake-ports';
import { fakeTransfers } from './fake-transfers';
import { dataset } from './records';

/**
 * The Import screen's file handling: a picked file goes to the main process in pieces (never read
 * whole), the preview and the import name the same upload, a refused import sends the file again,
 * and a cancel, another file or leaving the screen removes what was staged.
 */
const preview: FilePreview = {
  fileName: 'cells.h5ad',
  format: 'h5ad',
  delimiter: null,
  hasHeader: true,
  hasRowNames: true,
  cells: [
    ['', 'c1'],
    ['g1', '1'],
  ],
  estimatedRows: 2000,
  estimatedCols: 100000,
  hints: [],
  transposedByDefault: true,
};

/** A file of 2¼ pieces: three appends. */
const size = 2 * UPLOAD_PIECE_BYTES + UPLOAD_PIECE_BYTES / 4;
const picked = { name: 'cells.h5ad', blob: new Blob([new Uint8Array(size).fill(7)]) };
/** One piece (the fake main process copies every byte it receives: the big file only where needed). */
const small = { name: 'cells.h5ad', blob: new Blob([new Uint8Array(1000).fill(7)]) };
/** Two pieces. */
const twoPieces = { name: 'cells.h5ad', blob: new Blob([new Uint8Array(UPLOAD_PIECE_BYTES + 1)]) };

function screenWith(extra: Parameters<typeof fakePorts>[0] = {}) {
  const transfers = fakeTransfers();
  const fake = fakePorts({
    ...transfers.handlers,
    'datasets:inspect': () => ok(preview),
    'datasets:import': () =>
      ok({ dataset: dataset({ id: 9, name: 'cells' }), existing: false, warnings: [] }),
    ...extra,
  });
  const listeners: Array<(p: ImportProgress) => void> = [];
  const screen = new DatasetImport(fake.ports, (listener) => {
    listeners.push(listener);
    return () => listeners.splice(listeners.indexOf(listener), 1);
  });
  return { screen, fake, transfers, listeners };
}

const channels = (fake: ReturnType<typeof fakePorts>): string[] => fake.calls.map((c) => c.channel);

describe('the Import screen sends a file once, in pieces, for the preview and the import', () => {
  it('proposes the name without the matrix extensions', () => {
    expect(datasetNameFor('cells.h5ad')).toBe('cells');
    expect(datasetNameFor('counts.tsv.gz')).toBe('counts');
    expect(datasetNameFor('GSE1.matrix.mtx')).toBe('GSE1.matrix');
  });

  it('previews and imports one upload, sent in slices of UPLOAD_PIECE_BYTES with progress', async () => {
    const { screen, fake, transfers } = screenWith();
    const statuses: string[] = [];
    const append = transfers.handlers['uploads:append']!;
    fake.handlers['uploads:append'] = (request) => {
      statuses.push(screen.sendStatus);
      expect(screen.sending).toBe(true);
      return append(request);
    };
    await screen.choose(picked);
    expect(statuses).toEqual([
      'Sending cells.h5ad: 0 % (0 B) of 9.0 MiB…',
      'Sending cells.h5ad: 44 % (4.0 MiB) of 9.0 MiB…',
      'Sending cells.h5ad: 88 % (8.0 MiB) of 9.0 MiB…',
    ]);
    expect(screen.sending).toBe(false);
    const appended = fake.calls.filter((c) => c.channel === 'uploads:append');
    expect(appended.map((c) => (c.request as { bytes: Uint8Array }).bytes.byteLength)).toEqual([
      UPLOAD_PIECE_BYTES,
      UPLOAD_PIECE_BYTES,
      UPLOAD_PIECE_BYTES / 4,
    ]);
    const [uploadId] = [...transfers.uploaded.keys()];
    expect(transfers.uploaded.get(uploadId)!.bytes.length).toBe(size);
    expect(fake.calls.find((c) => c.channel === 'datasets:inspect')!.request).toEqual({
      file: { fileName: 'cells.h5ad', bytes: { uploadId } },
      maxRows: 20,
    });
    expect(screen.preview).toEqual(preview);
    expect(screen.name).toBe('cells');

    await screen.startImport();
    const request = fake.calls.find((c) => c.channel === 'datasets:import')!.request as {
      file: unknown;
      importId: string;
    };
    // The same upload, not a second one.
    expect(request.file).toEqual({ fileName: 'cells.h5ad', bytes: { uploadId } });
    expect(channels(fake).filter((c) => c === 'uploads:begin')).toHaveLength(1);
    expect(fake.navigations).toEqual(['/datasets/9']);
    expect(fake.notices.map((n) => n.message)).toEqual(['Imported “cells” (100 × 20).']);
    // Leaving the screen has nothing left to cancel: the import consumed the upload.
    await screen.dispose();
    expect(transfers.cancelled).toEqual([]);
  });

  it('ticks Transpose only for a hint that asks for it, not for an .h5ad the importer turns itself', async () => {
    const annData =
      'AnnData stores cells × genes (5000 × 2000); it will be imported transposed, as genes × cells.';
    const { screen, fake } = screenWith({ 'datasets:inspect': () => ok({ ...preview, hints: [annData] }) });
    await screen.choose(small);
    expect(screen.transpose).toBe(false);
    fake.handlers['datasets:inspect'] = () =>
      ok({
        ...preview,
        format: 'tsv',
        hints: [
          'Row names look like cell barcodes: rows are probably cells. NMF Studio expects features × samples (genes × cells), so import with transpose.',
        ],
      });
    await screen.choose({ name: 'cells.tsv', blob: new Blob(['x']) });
    expect(screen.transpose).toBe(true);
  });

  it('shows the import progress of its own import, and Cancel asks the main process to stop it', async () => {
    let release: (value: Result<ResponseOf<'datasets:import'>>) => void = () => undefined;
    const { screen, fake, listeners } = screenWith({
      'datasets:import': () => new Promise((resolve) => (release = resolve)),
      'datasets:cancelImport': () => ok({ cancelled: true }),
    });
    await screen.choose(small);
    const importing = screen.startImport();
    await new Promise((resolve) => setTimeout(resolve, 0));
    const importId = screen.importId!;
    expect(screen.progress).toMatchObject({ importId, bytesRead: 0, totalBytes: 1000 });
    listeners.forEach((l) => l({ importId: 'other', bytesRead: 5, totalBytes: 10, phase: 'reading' }));
    listeners.forEach((l) => l({ importId, bytesRead: 400, totalBytes: 1000, phase: 'reading' }));
    expect(screen.progress).toMatchObject({ bytesRead: 400, phase: 'reading' });
    await screen.cancel();
    expect(fake.calls.at(-1)).toEqual({ channel: 'datasets:cancelImport', request: { importId } });
    release(failed('the import of cells.h5ad was cancelled', 'cancelled'));
    await importing;
    expect(screen.progress).toBeNull();
    expect(listeners).toHaveLength(0);
    expect(screen.error?.code).toBe('cancelled');
  });

  it('sends the file again for an import after a refused one (the refusal used the upload up)', async () => {
    const { screen, fake, transfers } = screenWith({
      'datasets:import': () => failed('cells.h5ad: X/data holds -1 at entry 7'),
    });
    await screen.choose(small);
    await screen.startImport();
    expect(screen.error?.message).toMatch(/-1 at entry 7/);
    fake.handlers['datasets:import'] = () =>
      ok({ dataset: dataset({ id: 3, name: 'cells' }), existing: false, warnings: ['w'] });
    await screen.startImport();
    const imports = fake.calls.filter((c) => c.channel === 'datasets:import');
    const ids = imports.map(
      (c) => (c.request as { file: { bytes: { uploadId: string } } }).file.bytes.uploadId,
    );
    expect(new Set(ids).size).toBe(2);
    expect([...transfers.uploaded.keys()]).toEqual(ids);
    expect(screen.error).toBeNull();
    expect(screen.warnings).toEqual(['w']);
    expect(screen.imported).toBe(3);
  });

  it('Cancel while sending removes what the main process received, and nothing is previewed', async () => {
    const { screen, fake, transfers } = screenWith();
    const append = transfers.handlers['uploads:append']!;
    fake.handlers['uploads:append'] = (request) => {
      void screen.cancel();
      return append(request);
    };
    await screen.choose(twoPieces);
    expect(transfers.cancelled).toHaveLength(1);
    expect(transfers.uploaded.size).toBe(0);
    expect(channels(fake)).not.toContain('datasets:inspect');
    expect(channels(fake).filter((c) => c === 'uploads:append')).toHaveLength(1);
    expect(screen.picked).toBeNull();
    expect(screen.sending).toBe(false);
    expect(screen.error).toBeNull();
    expect(screen.note).toBe('Sending cells.h5ad was cancelled; nothing of it was kept.');
  });

  it('another file, a refused preview or leaving the screen cancels what was staged', async () => {
    const { screen, fake, transfers } = screenWith();
    await screen.choose(small);
    const [first] = [...transfers.uploaded.keys()];
    await screen.choose({ name: 'counts.tsv', blob: new Blob(['gene\ta\ng1\t1\n']) });
    expect(transfers.cancelled).toEqual([first]);
    const [second] = [...transfers.uploaded.keys()];
    await screen.dispose();
    expect(transfers.cancelled).toEqual([first, second]);

    fake.handlers['datasets:inspect'] = () => failed('notes.h5ad: not an HDF5 file');
    await screen.choose({ name: 'notes.h5ad', blob: new Blob(['text']) });
    expect(screen.error?.message).toBe('notes.h5ad: not an HDF5 file');
    expect(transfers.uploaded.size).toBe(0);
    expect(transfers.cancelled).toHaveLength(3);
  });
});

describe('forms that send files before their channel reads them', () => {
  it('sends every file in pieces and names them by upload id', async () => {
    const transfers = fakeTransfers();
    const fake = fakePorts(transfers.handlers);
    const sender = new FileSender(fake.ports);
    const sent = await sender.send([
      { name: 'W.tsv', blob: new Blob(['a\t1\n']) },
      { name: 'H.tsv', blob: new Blob(['b\t2\n']) },
    ]);
    expect(sent.ok).toBe(true);
    const ids = [...transfers.uploaded.keys()];
    if (sent.ok)
      expect(sent.value).toEqual([
        { fileName: 'W.tsv', bytes: { uploadId: ids[0] } },
        { fileName: 'H.tsv', bytes: { uploadId: ids[1] } },
      ]);
    expect(new TextDecoder().decode(new Uint8Array(transfers.uploaded.get(ids[1])!.bytes))).toBe('b\t2\n');
    expect(sender.status).toBe('');
  });

  it('a cancel during the second file removes the first one too', async () => {
    const transfers = fakeTransfers();
    const fake = fakePorts(transfers.handlers);
    const sender = new FileSender(fake.ports);
    const append = transfers.handlers['uploads:append']!;
    let appends = 0;
    fake.handlers['uploads:append'] = (request) => {
      if (++appends === 2) sender.cancel();
      return append(request);
    };
    const big = new Blob([new Uint8Array(UPLOAD_PIECE_BYTES + 1)]);
    const sent = await sender.send([
      { name: 'W.tsv', blob: new Blob(['a\t1\n']) },
      { name: 'H.tsv', blob: big },
    ]);
    expect(sent.ok).toBe(false);
    if (!sent.ok) expect(sent.error.code).toBe('cancelled');
    expect(transfers.uploaded.size).toBe(0);
    expect(transfers.cancelled).toHaveLength(2);
    expect(sender.sending).toBe(false);
  });
});
