import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LibraryMergeResult } from '../../../../../shared/api';
import { emptyRunFilter } from '../library-filter';
import {
  LibraryScreen,
  datasetDeletionScope,
  describeDatasetData,
  libraryStatsLine,
} from '../library.svelte';
import { lossLabel } from '../labels';
import { LibraryTransfer, mergeSummary } from '../library-transfer.svelte';
import { failed, fakePorts, ok } from './fake-ports';
import { fakeTransfers } from './fake-transfers';
import { dataset, run, sweep } from './records';

const stats = { datasets: 1, runs: 2, sweepRuns: 0, sweeps: 1, bytesOnDisk: 2048, path: '/tmp/lib' };

function library(runs = [run({ id: 1 }), run({ id: 2 }), run({ id: 3 })]) {
  const fake = fakePorts({
    'datasets:list': () => ok([dataset()]),
    'sweeps:list': () => ok([sweep({ datasetId: 1 }), sweep({ id: 2, datasetId: 9 })]),
    'library:stats': () => ok(stats),
    'runs:list': () => ok(runs),
  });
  const screen = new LibraryScreen(fake.ports, emptyRunFilter(), { filterMs: 250, changeMs: 300 });
  return { ...fake, screen };
}

describe('LibraryScreen', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('loads datasets, sweeps, statistics and the filtered runs', async () => {
    const { screen, calls } = library();
    expect(screen.loading).toBe(true);
    await screen.loadAll();
    expect(screen.loading).toBe(false);
    expect(screen.datasets.map((d) => d.id)).toEqual([1]);
    expect(screen.runs.map((r) => r.id)).toEqual([1, 2, 3]);
    expect(screen.stats?.runs).toBe(2);
    expect(calls.find((c) => c.channel === 'runs:list')?.request).toEqual({ includeSweeps: false });
  });

  it('shows the load error and keeps what did load', async () => {
    const { screen, handlers } = library();
    handlers['sweeps:list'] = () => failed('library locked', 'unavailable');
    await screen.loadAll();
    expect(screen.error?.message).toBe('library locked');
    expect(screen.datasets).toHaveLength(1);
  });

  it('lists runs once typing in the filter pauses, with the filter as the query', async () => {
    const { screen, calls } = library();
    screen.filter.text = 'no';
    screen.filtersChanged();
    screen.filter.text = 'notch';
    screen.filtersChanged();
    screen.filter.rank = 4;
    screen.filtersChanged();
    await vi.advanceTimersByTimeAsync(249);
    expect(calls.filter((c) => c.channel === 'runs:list')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    const lists = calls.filter((c) => c.channel === 'runs:list');
    expect(lists).toHaveLength(1);
    expect(lists[0].request).toMatchObject({ text: 'notch', rank: 4 });
  });

  it('keeps the newest list when an older answer arrives last', async () => {
    const { screen, handlers } = library();
    let releaseSlow: () => void = () => undefined;
    handlers['runs:list'] = () =>
      new Promise((resolve) => (releaseSlow = () => resolve(ok([run({ id: 1 }), run({ id: 2 })]))));
    const slow = screen.loadRuns();
    handlers['runs:list'] = () => ok([run({ id: 2 })]);
    await screen.loadRuns();
    releaseSlow();
    await slow;
    expect(screen.runs.map((r) => r.id)).toEqual([2]);
  });

  it('offers Compare from two picked runs, in the order picked, without repeats', () => {
    const { screen } = library();
    screen.toggleSelected(3, true);
    expect(screen.canCompare).toBe(false);
    screen.toggleSelected(1, true);
    screen.toggleSelected(1, true);
    expect(screen.canCompare).toBe(true);
    expect(screen.compareTarget).toBe('/compare?runs=3,1');
    screen.toggleSelected(3, false);
    expect(screen.selected).toEqual([1]);
    expect(screen.canCompare).toBe(false);
  });

  it('opens one run’s notes at a time and takes the saved run into the list', async () => {
    const { screen } = library();
    await screen.loadAll();
    screen.toggleNotes(2);
    screen.toggleNotes(3);
    expect(screen.editing).toBe(3);
    screen.toggleNotes(3);
    expect(screen.editing).toBeNull();
    screen.noteSaved(run({ id: 2, notes: 'kept', tags: ['liver'] }));
    expect(screen.runs.find((r) => r.id === 2)?.tags).toEqual(['liver']);
    expect(screen.runs.map((r) => r.id)).toEqual([1, 2, 3]);
  });

  it('deletes a run at once, drops it from the comparison, and Undo restores it and reloads', async () => {
    const { screen, handlers, notices, calls } = library();
    await screen.loadAll();
    screen.toggleSelected(2, true);
    screen.toggleSelected(3, true);
    handlers['runs:delete'] = () => ok({ deleted: 1 });
    handlers['runs:restore'] = () => ok(run({ id: 2 }));
    await screen.deleteRun(screen.runs[1]);
    expect(screen.runs.map((r) => r.id)).toEqual([1, 3]);
    expect(screen.selected).toEqual([3]);
    expect(notices[0].message).toBe('Run 2 deleted.');
    expect(notices[0].action?.label).toBe('Undo');
    const before = calls.length;
    await notices[0].action!.run();
    expect(calls.slice(before).map((c) => c.channel)).toContain('runs:restore');
    expect(notices[1].message).toBe('Run 2 restored.');
    expect(calls.slice(before).map((c) => c.channel)).toContain('datasets:list');
  });

  it('says why Undo failed, and leaves the list alone when the delete is refused', async () => {
    const { screen, handlers, notices } = library();
    await screen.loadAll();
    handlers['runs:delete'] = () => failed('run is running', 'conflict');
    await screen.deleteRun(screen.runs[0]);
    expect(screen.actionError?.message).toBe('run is running');
    expect(screen.runs).toHaveLength(3);
    expect(notices).toHaveLength(0);

    handlers['runs:delete'] = () => ok({ deleted: 1 });
    handlers['runs:restore'] = () => failed('gone for good', 'not_found');
    await screen.deleteRun(screen.runs[0]);
    expect(screen.actionError).toBeNull();
    await notices[0].action!.run();
    expect(notices[1]).toMatchObject({ message: 'Could not restore run 1: gone for good', kind: 'error' });
  });

  it('asks before deleting a dataset, naming its runs and sweeps, and does nothing on No', async () => {
    const { screen, handlers, questions, answers, calls } = library();
    await screen.loadAll();
    handlers['runs:list'] = (request) => ok(request.datasetId === 1 ? [run(), run({ id: 5 })] : []);
    handlers['datasets:delete'] = () => ok({ deleted: 1, runsDeleted: 2 });
    answers.push(false);
    await screen.deleteDataset(dataset());
    expect(questions[0].title).toBe('Delete dataset “counts”?');
    expect(questions[0].message).toBe(
      'This deletes the dataset and 2 runs and 1 sweep made from it. This cannot be undone.',
    );
    expect(calls.some((c) => c.channel === 'datasets:delete')).toBe(false);
    answers.push(true);
    await screen.deleteDataset(dataset());
    expect(calls.some((c) => c.channel === 'datasets:delete')).toBe(true);
  });

  it('asks before deleting a sweep and reports a refusal', async () => {
    const { screen, handlers, questions, answers, notices } = library();
    handlers['sweeps:delete'] = () => failed('sweep is running', 'conflict');
    answers.push(true);
    await screen.deleteSweep(sweep({ id: 4, datasetName: 'golub' }));
    expect(questions[0].message).toBe('This deletes the sweep over k = 2…6 on “golub” and its fits.');
    expect(screen.actionError?.message).toBe('sweep is running');
    expect(notices).toHaveLength(0);
  });
});

describe('Library descriptions', () => {
  it('describe the data as the Datasets table does', () => {
    expect(describeDatasetData(dataset())).toBe('tsv, counts');
    expect(describeDatasetData(dataset({ minValue: 20 }))).toBe('tsv, whole numbers');
    expect(describeDatasetData(dataset({ minValue: 20, layout: 'csr', format: 'mtx' }))).toBe(
      'mtx, counts, sparse',
    );
    expect(describeDatasetData(dataset({ integer: false }))).toBe('tsv, continuous');
  });

  it('name the loss, with β for a β-divergence', () => {
    expect(lossLabel({ loss: 'kl', beta: 1 })).toBe('kl');
    expect(lossLabel({ loss: 'beta', beta: 1.5 })).toBe('β=1.5');
    expect(lossLabel({ loss: 'beta', beta: 0.5 }, ' = ')).toBe('β = 0.5');
  });

  it('count what a dataset deletion takes, or say "all" when the count failed', () => {
    expect(datasetDeletionScope(1, 0)).toBe('1 run and 0 sweeps');
    expect(datasetDeletionScope(null, 3)).toBe('all of its runs and sweeps');
  });

  it('sum up the library, mentioning sweep-saved runs only when there are some', () => {
    expect(libraryStatsLine(stats)).toBe('1 dataset · 2 runs · 1 sweep · 2.0 KiB on disk');
    expect(libraryStatsLine({ ...stats, sweepRuns: 1 })).toContain(
      '2 runs (and 1 run saved by sweeps) · 1 sweep',
    );
  });
});

describe('LibraryTransfer', () => {
  const result: LibraryMergeResult = {
    datasetsAdded: 1,
    datasetsExisting: 2,
    runsAdded: 3,
    sweepsAdded: 0,
  } as LibraryMergeResult;

  it('sums up a merge, mentioning matched datasets only when there are some', () => {
    expect(mergeSummary('a.sqlite', result)).toBe(
      'Merged a.sqlite: 1 dataset added (2 datasets already here, matched by content), 3 runs and 0 sweeps added.',
    );
    expect(mergeSummary('a.sqlite', { ...result, datasetsExisting: 0 })).toBe(
      'Merged a.sqlite: 1 dataset added, 3 runs and 0 sweeps added.',
    );
  });

  it('exports: busy while writing, then the file read in pieces, saved and named', async () => {
    const saved: Array<{ name: string; size: number }> = [];
    let finish: () => void = () => undefined;
    const transfers = fakeTransfers(1000);
    const { ports, handlers } = fakePorts({
      ...transfers.handlers,
      'library:export': () =>
        new Promise(
          (resolve) =>
            (finish = () =>
              resolve(
                ok({
                  fileName: 'lib.sqlite',
                  download: transfers.offer('lib.sqlite', new Uint8Array(3000).fill(7)),
                  byteLength: 3000,
                }),
              )),
        ),
    });
    const transfer = new LibraryTransfer(ports, (name, blob) => saved.push({ name, size: blob.size }));
    const exporting = transfer.exportLibrary();
    expect(transfer.busy).toBe('export');
    expect(transfer.status).toBe('Writing a copy of the library…');
    // A second press while busy does nothing.
    await transfer.exportLibrary();
    // Progress shows while the pieces arrive.
    const statuses: string[] = [];
    const read = handlers['downloads:read']!;
    handlers['downloads:read'] = (request) => {
      statuses.push(transfer.status);
      return read(request);
    };
    finish();
    await exporting;
    expect(statuses).toEqual([
      'Saving lib.sqlite: 0 % (0 B) of 2.9 KiB…',
      'Saving lib.sqlite: 33 % (1000 B) of 2.9 KiB…',
      'Saving lib.sqlite: 66 % (2.0 KiB) of 2.9 KiB…',
    ]);
    expect(saved).toEqual([{ name: 'lib.sqlite', size: 3000 }]);
    expect(transfer.busy).toBeNull();
    expect(transfer.transferring).toBe(false);
    expect(transfer.status).toBe('Exported lib.sqlite (2.9 KiB).');
  });

  it('a cancelled export saves nothing and tells the main process to drop the file', async () => {
    const transfers = fakeTransfers(1000);
    const saved: string[] = [];
    const { ports, handlers } = fakePorts({
      ...transfers.handlers,
      'library:export': () =>
        ok({
          fileName: 'lib.sqlite',
          download: transfers.offer('lib.sqlite', new Uint8Array(5000)),
          byteLength: 5000,
        }),
    });
    const transfer = new LibraryTransfer(ports, (name) => saved.push(name));
    const read = handlers['downloads:read']!;
    handlers['downloads:read'] = (request) => {
      transfer.cancelTransfer();
      return read(request);
    };
    await transfer.exportLibrary();
    expect(saved).toEqual([]);
    expect(transfers.cancelled).toHaveLength(1);
    expect(transfer.error?.code).toBe('cancelled');
    expect(transfer.errorTitle).toBe('Could not save lib.sqlite');
    expect(transfer.status).toBe('');
    expect(transfer.busy).toBeNull();
  });

  it('merges a file sent in pieces, naming the upload in place of the bytes', async () => {
    const transfers = fakeTransfers();
    const fake = fakePorts({ ...transfers.handlers, 'library:merge': () => ok(result) });
    const transfer = new LibraryTransfer(fake.ports, () => undefined);
    const content = new Uint8Array(10 << 20).map((_, i) => i % 251);
    expect(await transfer.merge({ name: 'big.sqlite', blob: new Blob([content]) })).toBe(true);
    const appends = fake.calls.filter((c) => c.channel === 'uploads:append');
    expect(appends.length).toBe(3); // 4 + 4 + 2 MiB
    const [upload] = [...transfers.uploaded.values()];
    expect(upload!.bytes.length).toBe(content.length);
    expect(upload!.bytes.every((b, i) => b === content[i])).toBe(true);
    const [uploadId] = [...transfers.uploaded.keys()];
    expect(fake.calls.find((c) => c.channel === 'library:merge')!.request).toEqual({
      file: { fileName: 'big.sqlite', bytes: { uploadId } },
    });
  });

  it('refuses a file that is not a library, saying the library is unchanged', async () => {
    const { ports } = fakePorts({
      ...fakeTransfers().handlers,
      'library:merge': () => failed('notes.sqlite is not an NMF Studio library'),
    });
    const transfer = new LibraryTransfer(ports, () => undefined);
    const changed = await transfer.merge({ name: 'notes.sqlite', blob: new Blob([new Uint8Array(4)]) });
    expect(changed).toBe(false);
    expect(transfer.errorTitle).toBe('notes.sqlite was not merged — your library is unchanged');
    expect(transfer.summary).toBeNull();
    expect(transfer.status).toBe('');
  });

  it('merges and sums up, clearing an earlier refusal', async () => {
    const fake = fakePorts({ ...fakeTransfers().handlers, 'library:merge': () => failed('bad') });
    const transfer = new LibraryTransfer(fake.ports, () => undefined);
    await transfer.merge({ name: 'x.sqlite', blob: new Blob([new Uint8Array(1)]) });
    fake.handlers['library:merge'] = () => ok(result);
    expect(await transfer.merge({ name: 'y.sqlite', blob: new Blob([new Uint8Array(1)]) })).toBe(true);
    expect(transfer.error).toBeNull();
    expect(transfer.summary).toMatch(/^Merged y\.sqlite: 1 dataset added/);
  });
});
