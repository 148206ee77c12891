import type { ApiError, Result } from '../../../../shared/api';
import type { ClusterJobArchive } from '../../../../shared/api/channels';
import { formatBytes } from '../format';
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
  /** Plans the job folder; null when the form holds no plan. */
  exportJob(options: ClusterJobOptions): Promise<Result<ClusterJobArchive>> | null;
  importJob(file: { fileName: string; bytes: UploadRef }): Promise<Result<{ id: number }>>;
  /** Where the merged record opens, and what the notice calls it. */
  opened(id: number): { notice: string; path: string };
}

/**
 * Run on a cluster: a form's sweep or consensus planned as a SLURM job folder, saved as a .tar.gz
 * (the main process builds it; the window only downloads bytes), and a finished folder merged back.
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

  /** Whether the archive is being sent or received (then it can be cancelled). */
  get transferring(): boolean {
    return this.transfer !== null;
  }

  /** Stops the download or upload under way. */
  cancelTransfer(): void {
    this.transfer?.abort();
  }

  async exportJobFolder(): Promise<void> {
    if (!this.canExport) return;
    const planned = this.target.exportJob({
      tasks: this.tasks,
      cpus: this.cpus,
      partition: this.partition.trim() || undefined,
      time: this.time.trim() || undefined,
      memMiB: this.memMiB ?? undefined,
    });
    if (!planned) return;
    this.busy = 'export';
    this.error = null;
    this.status = 'Planning the job folder…';
    const result = await planned;
    if (!result.ok) {
      this.busy = null;
      this.status = '';
      this.error = result.error;
      this.errorTitle = `Could not plan the ${this.target.what} for a cluster`;
      return;
    }
    const { fileName, fits, tasks } = result.value;
    this.transfer = new AbortController();
    const saved = await saveOffered(
      this.ports.call,
      result.value,
      this,
      this.save,
      formatBytes,
      this.transfer.signal,
    );
    this.transfer = null;
    this.busy = null;
    if (saved)
      this.status = `Saved ${fileName}: ${fits} ${this.target.fitsWord} in ${tasks} array tasks (${formatBytes(saved.size)}). Unpack it on the cluster and follow its README.md.`;
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
    exportJob(options) {
      const dataset = form.dataset;
      const fit = form.fit;
      if (!dataset || !fit) return null;
      return ports.call('sweeps:clusterExport', {
        datasetId: dataset.id,
        params: sweepParams($state.snapshot(fit), $state.snapshot(form.extra) as SweepFields),
        ...options,
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
    exportJob(options) {
      const dataset = form.dataset;
      const fit = form.fit;
      if (!dataset || !fit) return null;
      return ports.call('consensus:clusterExport', {
        datasetId: dataset.id,
        params: { ...($state.snapshot(form.extra) as ConsensusFields), fit: $state.snapshot(fit) },
        ...options,
      });
    },
    importJob: (file) => ports.call('consensus:clusterImport', { file }),
    opened: (id) => ({ notice: `Consensus ${id} merged from the cluster.`, path: `/consensus/${id}` }),
  };
}
