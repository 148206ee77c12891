import { describe, expect, it } from 'vitest';
import { FileExport } from '../file-export.svelte';
import { fakePorts, ok } from './fake-ports';
import { fakeTransfers } from './fake-transfers';

/** The export of a file the main process makes: status while it is read, save, cancel, error. */

function exporter(pieceBytes: number) {
  const transfers = fakeTransfers(pieceBytes);
  const fake = fakePorts(transfers.handlers);
  const saved: Array<{ fileName: string; blob: Blob }> = [];
  const exporting = new FileExport(
    fake.ports.call,
    (fileName, blob) => saved.push({ fileName, blob }),
    (bytes) => `${bytes} B`,
  );
  return { transfers, fake, saved, exporting };
}

describe('FileExport', () => {
  it('reads the offered file in pieces, shows its progress and saves it under the name given', async () => {
    const { transfers, saved, exporting } = exporter(4);
    const text = 'component\ts1\ts2\nc1\t1\t2\n';
    const statuses: string[] = [];
    const done = exporting.start('H as TSV', 'projection-3-H.tsv', async () => {
      statuses.push(exporting.status);
      return ok(transfers.offer('projection-3-H.tsv', new TextEncoder().encode(text)));
    });
    expect(exporting.busy).toBe(true);
    await done;
    expect(statuses).toEqual(['Writing H as TSV…']);
    expect(exporting.busy).toBe(false);
    expect(exporting.status).toBe('');
    expect(exporting.error).toBeNull();
    expect(saved.map((s) => s.fileName)).toEqual(['projection-3-H.tsv']);
    expect(await saved[0].blob.text()).toBe(text);
  });

  it('drops a cancelled export (the main process told) without an error or a file', async () => {
    const { transfers, fake, saved, exporting } = exporter(4);
    const done = exporting.start('H as CSV', 'h.csv', async () => {
      exporting.cancel();
      return ok(transfers.offer('h.csv', new Uint8Array(64)));
    });
    await done;
    expect(saved).toEqual([]);
    expect(exporting.error).toBeNull();
    expect(transfers.cancelled).toHaveLength(1);
    expect(fake.calls.map((c) => c.channel)).toEqual(['downloads:cancel']);
  });

  it('shows a refused export and ignores a second one while the first runs', async () => {
    const { saved, exporting } = exporter(4);
    let offers = 0;
    const refuse = async () => {
      offers++;
      return {
        ok: false as const,
        error: { code: 'not_found' as const, message: 'projection 9 does not exist' },
      };
    };
    const first = exporting.start('H as TSV', 'a.tsv', refuse);
    await exporting.start('H as TSV', 'b.tsv', refuse);
    await first;
    expect(offers).toBe(1);
    expect(exporting.error?.message).toBe('projection 9 does not exist');
    expect(saved).toEqual([]);
  });
});
