import { describe, expect, it } from 'vitest';
import type { ResponseOf, Result } from '../../../../../shared/api';
import type { ClusterExportProgress } from '../../../../../shared/api/cluster-export';
import {
  ClusterJob,
  consensusClusterTarget,
  EXPORT_CANCELLED,
  exportProgressText,
  sweepClusterTarget,
} from '../cluster-job.svelte';
import { FitFormModel } from '../fit-form.svelte';
import { consensusPlan, sweepPlan } from '../fit-form-plans';
import { failed, fakePorts, ok } from './fake-ports';
import { fakeTransfers } from './fake-transfers';
import { dataset, sweep } from './records';

/**
 * The cluster panel while the main process makes the job folder: the status line follows the
 * steps (`cluster:exportProgress`), Cancel is there from the start, a cancel ends in "Cancelled"
 * with the panel ready again — also when the folder was finished before the cancel reached it, or
 * while it downloads — and leaving the screen stops the folder being made.
 */

const GiB = 2 ** 30;

type Archive = ResponseOf<'sweeps:clusterExport'>;

/** A promise settled from outside (the main process answering later). */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** The New sweep form's cluster panel on a fake main process whose export answers when told. */
async function panel() {
  const transfers = fakeTransfers(1000);
  const answer = deferred<Result<Archive>>();
  const fake = fakePorts({
    ...transfers.handlers,
    'datasets:list': () => ok([dataset({ id: 1, name: 'counts' })]),
    'sweeps:estimate': () =>
      ok({ seconds: 12, peakBytes: 1e6, basis: 'measured' } as ResponseOf<'sweeps:estimate'>),
    'sweeps:start': () => ok(sweep({ id: 3 })),
    'sweeps:clusterExport': () => answer.promise,
  });
  const model = new FitFormModel(fake.ports, sweepPlan, 1);
  const saved: string[] = [];
  const job = new ClusterJob(fake.ports, sweepClusterTarget(fake.ports, model), (name, blob) =>
    saved.push(`${name} ${blob.size}`),
  );
  await model.loadDatasets();
  const archive = (): Archive => ({
    fileName: 'nmf-sweep-counts-abcdef.tar.gz',
    download: transfers.offer('nmf-sweep-counts-abcdef.tar.gz', new Uint8Array(2500)),
    byteLength: 2500,
    fits: 7,
    tasks: 8,
  });
  const exportId = (): string =>
    (fake.calls.find((c) => c.channel === 'sweeps:clusterExport')!.request as { exportId: string }).exportId;
  return { fake, transfers, answer, job, saved, archive, exportId };
}

const step = (
  exportId: string,
  phase: ClusterExportProgress['phase'],
  done: number,
  total: number,
  left: number | null,
) =>
  ({
    exportId,
    phase,
    doneBytes: done,
    totalBytes: total,
    elapsedMs: 5000,
    remainingMs: left,
  }) as ClusterExportProgress;

const flush = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe('the cluster panel while the job folder is made', () => {
  it('words each step with its bytes and, once known, the time left', () => {
    expect(exportProgressText(step('a', 'data', GiB, 2.5 * GiB, 80_000))).toBe(
      'Writing data.nmf (step 1 of 3): 40 % (1.0 GiB of 2.5 GiB), about 1 min 20 s left…',
    );
    expect(exportProgressText(step('a', 'data', 0, 2.5 * GiB, null))).toBe(
      'Writing data.nmf (step 1 of 3): 0 % (0 B of 2.5 GiB)…',
    );
    expect(exportProgressText(step('a', 'files', 0, 9000, null))).toBe(
      'Writing the scripts, README.md and plan.json (step 2 of 3)…',
    );
    expect(exportProgressText(step('a', 'archive', 2.5 * GiB, 2.5 * GiB, 0))).toBe(
      'Packing the archive (step 3 of 3): 100 % (2.5 GiB of 2.5 GiB)…',
    );
  });

  it('follows its export’s steps with Cancel shown; a cancel says Cancelled and the panel is ready again', async () => {
    const { fake, answer, job, saved, exportId } = await panel();
    expect(job.cancellable).toBe(false);
    const exporting = job.exportJobFolder();
    await flush();
    const id = exportId();
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(job.status).toBe('Planning the job folder…');
    expect(job.cancellable).toBe(true);
    expect(job.canExport).toBe(false);

    job.showExportProgress(step(id, 'data', GiB, 2.5 * GiB, 80_000));
    expect(job.status).toBe(
      'Writing data.nmf (step 1 of 3): 40 % (1.0 GiB of 2.5 GiB), about 1 min 20 s left…',
    );
    // Another window's export (another id) is not this panel's.
    job.showExportProgress(step('f'.repeat(32), 'archive', 1, 2, null));
    expect(job.status).toMatch(/^Writing data\.nmf/);

    // The main process stops the export, removes what it wrote, and answers it with `cancelled`.
    fake.handlers['cluster:cancelExport'] = ({ exportId: cancelled }) => {
      expect(cancelled).toBe(id);
      answer.resolve(failed('the job folder was cancelled; nothing of it was kept', 'cancelled'));
      return ok({ cancelled: true });
    };
    await job.cancel();
    expect(job.cancellable).toBe(false);
    await exporting;
    expect(job.status).toBe(EXPORT_CANCELLED);
    expect(job.error).toBeNull();
    expect(job.busy).toBeNull();
    expect(job.cancellable).toBe(false);
    expect(job.canExport).toBe(true);
    expect(saved).toEqual([]);
    expect(fake.calls.filter((c) => c.channel === 'downloads:read')).toEqual([]);
    // A late step of the cancelled export changes nothing.
    job.showExportProgress(step(id, 'data', 2 * GiB, 2.5 * GiB, 1000));
    expect(job.status).toBe(EXPORT_CANCELLED);
  });

  it('withdraws the offer when the folder was finished before the cancel reached it', async () => {
    const { fake, transfers, answer, job, saved, archive } = await panel();
    const exporting = job.exportJobFolder();
    await flush();
    const offered = archive();
    fake.handlers['cluster:cancelExport'] = () => {
      answer.resolve(ok(offered));
      return ok({ cancelled: false });
    };
    await job.cancel();
    await exporting;
    expect(transfers.cancelled).toEqual([offered.download.downloadId]);
    expect(job.status).toBe(EXPORT_CANCELLED);
    expect(saved).toEqual([]);
    expect(job.canExport).toBe(true);
  });

  it('a cancel while the archive downloads says Cancelled too; an export after it is saved', async () => {
    const { fake, transfers, answer, job, saved, archive } = await panel();
    const read = fake.handlers['downloads:read']!;
    let reads = 0;
    fake.handlers['downloads:read'] = (request) => {
      if (++reads === 1) void job.cancel();
      return read(request);
    };
    const offered = archive();
    answer.resolve(ok(offered));
    await job.exportJobFolder();
    expect(transfers.cancelled).toEqual([offered.download.downloadId]);
    expect(job.status).toBe(EXPORT_CANCELLED);
    expect(job.error).toBeNull();
    expect(saved).toEqual([]);

    fake.handlers['downloads:read'] = read;
    fake.handlers['sweeps:clusterExport'] = () => ok(archive());
    await job.exportJobFolder();
    expect(saved).toEqual(['nmf-sweep-counts-abcdef.tar.gz 2500']);
    expect(job.status).toBe(
      'Saved nmf-sweep-counts-abcdef.tar.gz: 7 fits in 8 array tasks (2.4 KiB). Unpack it on the cluster and follow its README.md.',
    );
  });

  it('the New consensus form’s export carries its id too, and follows its steps', async () => {
    const transfers = fakeTransfers(1000);
    const fake = fakePorts({
      ...transfers.handlers,
      'datasets:list': () => ok([dataset({ id: 1, name: 'counts' })]),
      'consensus:estimate': () =>
        ok({ seconds: 12, peakBytes: 1e6, basis: 'measured' } as ResponseOf<'consensus:estimate'>),
    });
    const answer = deferred<Result<Archive>>();
    fake.handlers['consensus:clusterExport'] = () => answer.promise;
    const model = new FitFormModel(fake.ports, consensusPlan, 1);
    const job = new ClusterJob(fake.ports, consensusClusterTarget(fake.ports, model), () => undefined);
    await model.loadDatasets();
    const exporting = job.exportJobFolder();
    await flush();
    const request = fake.calls.find((c) => c.channel === 'consensus:clusterExport')!.request as {
      exportId: string;
      params: { replicates: number };
    };
    expect(request.exportId).toMatch(/^[0-9a-f]{32}$/);
    expect(request.params.replicates).toBe(100);
    job.showExportProgress(step(request.exportId, 'files', 0, 9000, null));
    expect(job.status).toBe('Writing the scripts, README.md and plan.json (step 2 of 3)…');
    answer.resolve(failed('the job folder was cancelled; nothing of it was kept', 'cancelled'));
    await exporting;
    expect(job.status).toBe(EXPORT_CANCELLED);
  });

  it('leaving the screen stops the folder being made; a refused plan is shown as before', async () => {
    const { fake, answer, job, exportId } = await panel();
    fake.handlers['cluster:cancelExport'] = () => ok({ cancelled: true });
    const exporting = job.exportJobFolder();
    await flush();
    job.dispose();
    expect(fake.calls.at(-1)).toEqual({ channel: 'cluster:cancelExport', request: { exportId: exportId() } });
    answer.resolve(failed('dataset 1 does not exist', 'not_found'));
    await exporting;
    expect(job.errorTitle).toBe('Could not plan the sweep for a cluster');
    expect(job.error?.message).toBe('dataset 1 does not exist');
    expect(job.status).toBe('');
    expect(job.canExport).toBe(true);
  });
});
