import type { ApiError, Result } from '../../../../shared/api';
import type { ClusterJobArchive } from '../../../../shared/api/channels';
import { CLUSTER_EXPORT_PHASES, type ClusterExportProgress } from '../../../../shared/api/cluster-export';
import { formatBytes, formatDuration } from '../format';
import type { FitFormModel } from './fit-form.svelte';
import { sweepParams, type ConsensusFields, type SweepFields } from './fit-form-plans';
import { clusterProblem } from './form-rules';
import { progressText, saveOffered, sendUpload, type PickedFile, type TransferProgress } from '../transfers';
import type { UploadRef } from '../../../../shared/api/transfer';
import type { ScreenPorts } from './ports';

/** The SLURM options of a job folder, as the export channels take them. */
export interface ClusterJobOptions {
  tasks: number;
  cpus: number;
  partition?: string;
  time?: string;
  memMiB?: number;
}

/** What a job folder plans (a sweep, a consensus run) and the services that plan and merge it. */
export interface ClusterTarget {
  /** What is planned, e.g. "sweep" or "consensus run". */
  what: string;
  /** What the plan's units are called, e.g. "fits" or "replicate fits". */
  fitsWord: string;
  /** Whether the screen's own form holds a plan (dataset chosen, fields valid). */
  ready(): boolean;
  /**
   * Plans the job folder under `exportId` (its `cluster:exportProgress` events and
   * `cluster:cancelExport` name it); null when the form holds no plan.
   */
  exportJob(options: ClusterJobOptions, exportId: string): Promise<Result<ClusterJobArchive>> | null;
  importJob(file: { fileName: string; bytes: UploadRef }): Promise<Result<{ id: number }>>;
  /** Where the merged record opens, and what the notice calls it. */
  opened(id: number): { notice: string; path: string };
}

/** A random 32-hex-digit id (randomUUID needs a secure context; getRandomValues works everywhere). */
function randomExportId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join(
    '',
  );
}

/** What the status line says once a job folder was cancelled (while made or while downloaded). */
export const EXPORT_CANCELLED = 'Cancelled: the job folder was not saved, and nothing of it was kept.';

/**
 * The status line while the main process makes the job folder: the step, bytes of its total and,
 * once its rate is known, the time it still needs —
 * "Writing data.nmf (step 1 of 3): 41 % (1.0 GiB of 2.4 GiB), about 1 min 20 s left…".
 */
export function exportProgressText(progress: ClusterExportProgress): string {
  const step = `(step ${CLUSTER_EXPORT_PHASES.indexOf(progress.phase) + 1} of ${CLUSTER_EXPORT_PHASES.length})`;
  if (progress.phase === 'files') return `Writing the scripts, README.md and plan.json ${step}…`;
  const what = progress.phase === 'data' ? 'Writing data.nmf' : 'Packing the archive';
  const { doneBytes, totalBytes, remainingMs } = progress;
  const percent = totalBytes === 0 ? 100 : Math.floor((100 * doneBytes) / totalBytes);
  const left =
    remainingMs !== null && doneBytes < totalBytes ? `, about ${formatDuration(remainingMs)} left` : '';
  return `${what} ${step}: ${percent} % (${formatBytes(doneBytes)} of ${formatBytes(totalBytes)})${left}…`;
}

/**
 * Run on a cluster: a form's sweep or consensus planned as a SLURM job folder, saved as a .tar.gz
 * (the main process builds it; the window only downloads bytes), and a finished folder merged back.
 * While the main process makes the folder (minutes at 10⁶ cells) the status line follows its steps
 * (`cluster:exportProgress`, handed in by the panel through `showExportProgress`) and Cancel stops
 * it (`cluster:cancelExport`); once offered, Cancel stops the download. Either way the screen says
 * so and is ready again, and nothing of the folder is left in the main process.
 */
export class ClusterJob {
  tasks = $state(8);
  cpus = $state(1);
  partition = $state('');
  time = $state('');
  /** MiB per task; null (emptied) to estimate. */
  memMiB = $state<number | null>(null);
  busy = $state<'export' | 'import' | null>(null);
  /** Aborts the archive's download or upload under way (nothing is merged then). */
  private transfer = $state.raw<AbortController | null>(null);
  /** The export whose job folder the main process is making (until it is offered, refused or cancelled). */
  private exportId = $state<string | null>(null);
  /** Cancel was pressed while the folder was being made; its answer is awaited. */
  private cancelling = $state(false);
  /** The download of the offered archive while it is read (withdrawn when the page goes). */
  private offeredDownload: string | null = null;
  status = $state('');
  error = $state<ApiError | null>(null);
  errorTitle = $state('');

  readonly problem = $derived(
    clusterProblem({
      tasks: this.tasks,
      cpus: this.cpus,
      partition: this.partition,
      time: this.time,
      memMiB: this.memMiB,
    }),
  );
  readonly canExport = $derived.by(() => this.target.ready() && !this.problem && this.busy === null);

  constructor(
    private readonly ports: ScreenPorts,
    readonly target: ClusterTarget,
    /** Hands the job folder's archive to the user (a download in the window). */
    private readonly save: (fileName: string, blob: Blob) => void,
  ) {}

  /** Whether Cancel has something to stop: the folder being made, or the archive moving. */
  get cancellable(): boolean {
    return this.transfer !== null || (this.exportId !== null && !this.cancelling);
  }

  /** A step of the folder being made (the panel's `cluster:exportProgress` subscription). */
  showExportProgress(progress: ClusterExportProgress): void {
    if (progress.exportId !== this.exportId || this.cancelling) return;
    this.status = exportProgressText(progress);
  }

  /** Stops what is under way: the folder being made, or the download or upload of the archive. */
  async cancel(): Promise<void> {
    if (this.transfer) {
      this.transfer.abort();
      return;
    }
    const exportId = this.exportId;
    if (exportId === null || this.cancelling) return;
    this.cancelling = true;
    this.status = 'Cancelling…';
    // The export's own answer ends it ("cancelled", once what it wrote is removed).
    const result = await this.ports.call('cluster:cancelExport', { exportId });
    if (!result.ok) {
      this.error = result.error;
      this.errorTitle = 'Could not cancel the job folder';
    }
  }

  /** Leaving the screen or the page: the folder being made is stopped, a download withdrawn. */
  dispose(): void {
    if (this.exportId !== null) void this.ports.call('cluster:cancelExport', { exportId: this.exportId });
    if (this.offeredDownload !== null)
      void this.ports.call('downloads:cancel', { downloadId: this.offeredDownload });
    this.transfer?.abort();
  }

  async exportJobFolder(): Promise<void> {
    if (!this.canExport) return;
    const exportId = randomExportId();
    const planned = this.target.exportJob(
      {
        tasks: this.tasks,
        cpus: this.cpus,
        partition: this.partition.trim() || undefined,
        time: this.time.trim() || undefined,
        memMiB: this.memMiB ?? undefined,
      },
      exportId,
    );
    if (!planned) return;
    this.busy = 'export';
    this.error = null;
    this.exportId = exportId;
    this.cancelling = false;
    this.status = 'Planning the job folder…';
    const result = await planned;
    const cancelled = this.cancelling;
    this.exportId = null;
    this.cancelling = false;
    if (!result.ok) {
      this.busy = null;
      if (result.error.code === 'cancelled') {
        this.status = EXPORT_CANCELLED;
        return;
      }
      this.status = '';
      this.error = result.error;
      this.errorTitle = `Could not plan the ${this.target.what} for a cluster`;
      return;
    }
    const { fileName, fits, tasks, download } = result.value;
    if (cancelled) {
      // The folder was finished before the cancel reached it: withdrawing the offer removes it.
      await this.ports.call('downloads:cancel', { downloadId: download.downloadId });
      this.busy = null;
      this.status = EXPORT_CANCELLED;
      return;
    }
    this.transfer = new AbortController();
    this.offeredDownload = download.downloadId;
    const saved = await saveOffered(
      this.ports.call,
      result.value,
      this,
      this.save,
      formatBytes,
      this.transfer.signal,
    );
    this.offeredDownload = null;
    this.transfer = null;
    this.busy = null;
    if (saved)
      this.status = `Saved ${fileName}: ${fits} ${this.target.fitsWord} in ${tasks} array tasks (${formatBytes(saved.size)}). Unpack it on the cluster and follow its README.md.`;
    // saveOffered shows a failed download on this screen; a cancelled one is said as above.
    else if ((this.error as ApiError | null)?.code === 'cancelled') {
      this.error = null;
      this.status = EXPORT_CANCELLED;
    }
  }

  /** Merges a finished job folder; on success the merged record opens. */
  async importResults(picked: PickedFile): Promise<void> {
    if (this.busy) return;
    this.busy = 'import';
    this.error = null;
    this.transfer = new AbortController();
    const show = (progress: TransferProgress): void => {
      this.status = `Sending ${picked.name}: ${progressText(progress, formatBytes)}…`;
    };
    show({ bytes: 0, fraction: 0 });
    const sent = await sendUpload(this.ports.call, picked, show, this.transfer.signal);
    this.transfer = null;
    const result = sent.ok
      ? await ((this.status = `Merging ${picked.name}…`), this.target.importJob(sent.value))
      : sent;
    this.busy = null;
    this.status = '';
    if (!result.ok) {
      this.error = result.error;
      this.errorTitle = `${picked.name} was not merged — your library is unchanged`;
      return;
    }
    const { notice, path } = this.target.opened(result.value.id);
    this.ports.notify(notice);
    this.ports.navigate(path);
  }
}

/** The New sweep form's sweep as a job folder (`sweeps:clusterExport` / `sweeps:clusterImport`). */
export function sweepClusterTarget(ports: ScreenPorts, form: FitFormModel<SweepFields>): ClusterTarget {
  return {
    what: 'sweep',
    fitsWord: 'fits',
    ready: () => form.valid,
    exportJob(options, exportId) {
      const dataset = form.dataset;
      const fit = form.fit;
      if (!dataset || !fit) return null;
      return ports.call('sweeps:clusterExport', {
        datasetId: dataset.id,
        params: sweepParams($state.snapshot(fit), $state.snapshot(form.extra) as SweepFields),
        ...options,
        exportId,
      });
    },
    importJob: (file) => ports.call('sweeps:clusterImport', { file }),
    opened: (id) => ({ notice: `Sweep ${id} merged from the cluster.`, path: `/sweeps/${id}` }),
  };
}

/** The New consensus form's consensus as a job folder (`consensus:clusterExport` / `…Import`). */
export function consensusClusterTarget(
  ports: ScreenPorts,
  form: FitFormModel<ConsensusFields>,
): ClusterTarget {
  return {
    what: 'consensus run',
    fitsWord: 'replicate fits',
    ready: () => form.valid,
    exportJob(options, exportId) {
      const dataset = form.dataset;
      const fit = form.fit;
      if (!dataset || !fit) return null;
      return ports.call('consensus:clusterExport', {
        datasetId: dataset.id,
        params: { ...($state.snapshot(form.extra) as ConsensusFields), fit: $state.snapshot(fit) },
        ...options,
        exportId,
      });
    },
    importJob: (file) => ports.call('consensus:clusterImport', { file }),
    opened: (id) => ({ notice: `Consensus ${id} merged from the cluster.`, path: `/consensus/${id}` }),
  };
}
