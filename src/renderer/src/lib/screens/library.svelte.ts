import type { ApiError } from '../../../../shared/api';
import type { DatasetSummary, LibraryStats, RunSummary, SweepSummary } from '../../../../shared/domain';
import { looksLikeCounts } from '../defaults';
import { counted, formatBytes } from '../format';
import type { ScreenPorts } from './ports';
import { emptyRunFilter, runListRequest, type RunFilter } from './library-filter';

/** "counts, sparse": how the Datasets table describes a dataset's values. */
export function describeDatasetData(
  dataset: Pick<DatasetSummary, 'format' | 'integer' | 'minValue' | 'layout'>,
): string {
  const kind = looksLikeCounts(dataset) ? 'counts' : dataset.integer ? 'whole numbers' : 'continuous';
  return `${dataset.format}, ${kind}${dataset.layout === 'csr' ? ', sparse' : ''}`;
}

/** "2 datasets · 5 runs (and 40 runs saved by sweeps) · 1 sweep · 3.1 MiB on disk". */
export function libraryStatsLine(stats: LibraryStats): string {
  const sweepRuns = stats.sweepRuns ? ` (and ${counted(stats.sweepRuns, 'run')} saved by sweeps)` : '';
  return `${counted(stats.datasets, 'dataset')} · ${counted(stats.runs, 'run')}${sweepRuns} · ${counted(stats.sweeps, 'sweep')} · ${formatBytes(stats.bytesOnDisk)} on disk`;
}

/** What deleting a dataset takes with it, for the confirmation ("3 runs and 1 sweep"). */
export function datasetDeletionScope(runCount: number | null, sweepCount: number): string {
  if (runCount === null) return 'all of its runs and sweeps';
  return `${counted(runCount, 'run')} and ${counted(sweepCount, 'sweep')}`;
}

interface Delays {
  /** Quiet spell after a filter edit before the runs are listed again. */
  filterMs: number;
  /** Quiet spell after a library change before everything is loaded again. */
  changeMs: number;
}

/**
 * The Library screen's state: datasets, runs (through the filter), sweeps, statistics, the runs
 * picked for comparison, the run whose notes are open, and the delete flows (runs with Undo,
 * datasets and sweeps after a confirmation).
 */
export class LibraryScreen {
  datasets = $state<DatasetSummary[]>([]);
  runs = $state<RunSummary[]>([]);
  sweeps = $state<SweepSummary[]>([]);
  stats = $state<LibraryStats | null>(null);
  error = $state<ApiError | null>(null);
  actionError = $state<ApiError | null>(null);
  loading = $state(true);
  /** The run whose notes are open under its row. */
  editing = $state<number | null>(null);
  /** Runs picked for comparison, in the order picked. */
  selected = $state<number[]>([]);
  filter = $state<RunFilter>(emptyRunFilter());

  readonly canCompare = $derived(this.selected.length >= 2);
  readonly compareTarget = $derived(`/compare?runs=${this.selected.join(',')}`);

  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Answers that arrive after a newer request was sent are dropped. */
  private runsTicket = 0;

  constructor(
    private readonly ports: ScreenPorts,
    filter: RunFilter,
    private readonly delays: Delays = { filterMs: 250, changeMs: 300 },
  ) {
    this.filter = filter;
  }

  async loadRuns(): Promise<void> {
    const mine = ++this.runsTicket;
    const result = await this.ports.call('runs:list', runListRequest(this.filter));
    if (mine !== this.runsTicket) return;
    if (result.ok) this.runs = result.value;
    else this.error = result.error;
  }

  async loadAll(): Promise<void> {
    const [d, s, st] = await Promise.all([
      this.ports.call('datasets:list', {}),
      this.ports.call('sweeps:list', {}),
      this.ports.call('library:stats', {}),
    ]);
    this.error = null;
    if (d.ok) this.datasets = d.value;
    else this.error = d.error;
    if (s.ok) this.sweeps = s.value;
    else this.error = s.error;
    if (st.ok) this.stats = st.value;
    else this.error = st.error;
    await this.loadRuns();
    this.loading = false;
  }

  /** A filter field changed: list the runs again once typing pauses. */
  filtersChanged(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.loadRuns(), this.delays.filterMs);
  }

  /** Something in the library changed (here or in another window): reload once changes pause. */
  libraryChanged(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.loadAll(), this.delays.changeMs);
  }

  dispose(): void {
    clearTimeout(this.timer);
  }

  toggleSelected(id: number, on: boolean): void {
    this.selected = on
      ? this.selected.includes(id)
        ? this.selected
        : [...this.selected, id]
      : this.selected.filter((x) => x !== id);
  }

  toggleNotes(id: number): void {
    this.editing = this.editing === id ? null : id;
  }

  noteSaved(updated: RunSummary): void {
    this.runs = this.runs.map((r) => (r.id === updated.id ? updated : r));
  }

  /** Deletes at once (no question): the notice that follows offers Undo, which restores the run. */
  async deleteRun(run: RunSummary): Promise<void> {
    const { call, notify } = this.ports;
    this.actionError = null;
    const result = await call('runs:delete', { id: run.id });
    if (!result.ok) {
      this.actionError = result.error;
      return;
    }
    this.runs = this.runs.filter((r) => r.id !== run.id);
    this.selected = this.selected.filter((x) => x !== run.id);
    notify(`Run ${run.id} deleted.`, {
      action: {
        label: 'Undo',
        run: async () => {
          const restored = await call('runs:restore', { id: run.id });
          if (restored.ok) {
            notify(`Run ${run.id} restored.`);
            await this.loadAll();
          } else notify(`Could not restore run ${run.id}: ${restored.error.message}`, { kind: 'error' });
        },
      },
    });
    const stats = await call('library:stats', {});
    if (stats.ok) this.stats = stats.value;
  }

  /** Asks first, naming how many runs and sweeps go with the dataset (this cannot be undone). */
  async deleteDataset(dataset: DatasetSummary): Promise<void> {
    const { call, notify, confirm } = this.ports;
    this.actionError = null;
    const count = await call('runs:list', { datasetId: dataset.id, includeSweeps: true, limit: 10_000 });
    const runCount = count.ok ? count.value.length : null;
    const sweepCount = this.sweeps.filter((s) => s.datasetId === dataset.id).length;
    const ok = await confirm(
      `Delete dataset “${dataset.name}”?`,
      `This deletes the dataset and ${datasetDeletionScope(runCount, sweepCount)} made from it. This cannot be undone.`,
    );
    if (!ok) return;
    const result = await call('datasets:delete', { id: dataset.id });
    if (!result.ok) {
      this.actionError = result.error;
      return;
    }
    notify(`Dataset “${dataset.name}” deleted with ${result.value.runsDeleted} run(s).`);
    await this.loadAll();
  }

  async deleteSweep(sweep: SweepSummary): Promise<void> {
    const { call, notify, confirm } = this.ports;
    const ok = await confirm(
      `Delete sweep ${sweep.id}?`,
      `This deletes the sweep over k = ${sweep.params.fromRank}…${sweep.params.toRank} on “${sweep.datasetName}” and its fits.`,
    );
    if (!ok) return;
    const result = await call('sweeps:delete', { id: sweep.id });
    if (!result.ok) {
      this.actionError = result.error;
      return;
    }
    notify(`Sweep ${sweep.id} deleted.`);
    await this.loadAll();
  }
}
