import type { ApiError } from '../../../../shared/api';
import { formatBytes } from '../format';
import type { FitFormModel } from './fit-form.svelte';
import { sweepParams, type SweepFields } from './fit-form-plans';
import { clusterProblem } from './form-rules';
import type { PickedFile } from './library-transfer.svelte';
import type { ScreenPorts } from './ports';

/**
 * Run on a cluster: the New sweep form's sweep planned as a SLURM job folder, saved as a .tar.gz
 * (the main process builds it; the window only downloads bytes), and a finished folder merged back.
 */
export class SweepCluster {
  tasks = $state(8);
  cpus = $state(1);
  partition = $state('');
  time = $state('');
  /** MiB per task; null (emptied) to estimate. */
  memMiB = $state<number | null>(null);
  busy = $state<'export' | 'import' | null>(null);
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
  readonly canExport = $derived.by(() => this.form.valid && !this.problem && this.busy === null);

  constructor(
    private readonly ports: ScreenPorts,
    private readonly form: FitFormModel<SweepFields>,
    /** Hands the job folder's bytes to the user (a download in the window). */
    private readonly save: (fileName: string, bytes: Uint8Array) => void,
  ) {}

  async exportJobFolder(): Promise<void> {
    const dataset = this.form.dataset;
    const fit = this.form.fit;
    if (!dataset || !fit || !this.canExport) return;
    this.busy = 'export';
    this.error = null;
    this.status = 'Planning the job folder…';
    const result = await this.ports.call('sweeps:clusterExport', {
      datasetId: dataset.id,
      params: sweepParams($state.snapshot(fit), $state.snapshot(this.form.extra) as SweepFields),
      tasks: this.tasks,
      cpus: this.cpus,
      partition: this.partition.trim() || undefined,
      time: this.time.trim() || undefined,
      memMiB: this.memMiB ?? undefined,
    });
    this.busy = null;
    if (!result.ok) {
      this.status = '';
      this.error = result.error;
      this.errorTitle = 'Could not plan the sweep for a cluster';
      return;
    }
    const { fileName, bytes, fits, tasks } = result.value;
    this.save(fileName, bytes);
    this.status = `Saved ${fileName}: ${fits} fits in ${tasks} array tasks (${formatBytes(bytes.length)}). Unpack it on the cluster and follow its README.md.`;
  }

  /** Merges a finished job folder; on success the merged sweep opens. */
  async importResults(picked: PickedFile): Promise<void> {
    if (this.busy) return;
    this.busy = 'import';
    this.error = null;
    this.status = `Merging ${picked.name}…`;
    const bytes = await picked.bytes();
    const result = await this.ports.call('sweeps:clusterImport', { file: { fileName: picked.name, bytes } });
    this.busy = null;
    this.status = '';
    if (!result.ok) {
      this.error = result.error;
      this.errorTitle = `${picked.name} was not merged — your library is unchanged`;
      return;
    }
    this.ports.notify(`Sweep ${result.value.id} merged from the cluster.`);
    this.ports.navigate(`/sweeps/${result.value.id}`);
  }
}
