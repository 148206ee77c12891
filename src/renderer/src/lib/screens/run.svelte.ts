import type { ApiError } from '../../../../shared/api';
import type { AssignmentView, RunDetail } from '../../../../shared/domain';
import { componentNames } from '../exporting';
import { rowOrder, transpose, type OrderKind } from '../ordering';
import type { ScreenPorts } from './ports';
import { moduleRows, scaleColumnsToMax, topFeaturesByComponent, warmupHandover } from './run-view';

interface Delays {
  /** Quiet spell after a library change about this run before it is loaded again. */
  reloadMs: number;
  /** Quiet spell while the threshold slider moves before modules are assigned again. */
  thresholdMs: number;
}

/**
 * The Run screen's state: the stored run and its module assignment, the heat-map options, and the
 * actions (cancel, rerun, delete with Undo). Derived views (component names, the scaled W, the
 * orders, the top features) follow the record.
 */
export class RunScreen {
  run = $state<RunDetail | null>(null);
  error = $state<ApiError | null>(null);
  actionError = $state<ApiError | null>(null);
  assignment = $state<AssignmentView | null>(null);
  assignError = $state<ApiError | null>(null);
  /** The membership threshold shown; null until the first assignment brings the default. */
  threshold = $state<number | null>(null);
  wOrderKind = $state<OrderKind>('dominant');
  hOrderKind = $state<OrderKind>('fitted');
  wScale = $state<'raw' | 'column'>('column');

  readonly k = $derived(this.run?.params.rank ?? 0);
  readonly running = $derived(!!this.run && (this.run.state === 'queued' || this.run.state === 'running'));
  readonly canRerun = $derived(
    !!this.run &&
      (this.run.state === 'failed' || this.run.state === 'interrupted' || this.run.state === 'cancelled'),
  );
  /** The user's component names, or C1…Ck. */
  readonly names = $derived(this.run?.componentNames ?? componentNames(this.k));
  readonly handover = $derived(
    this.run ? warmupHandover(this.run.params, this.run.provenance?.warmupIterations) : null,
  );
  /** W as the heat map colours it: raw, or each component scaled to a maximum of 1. */
  readonly wDisplay = $derived.by(() => {
    const run = this.run;
    if (!run?.W) return null;
    return this.wScale === 'raw' ? run.W : scaleColumnsToMax(run.W, run.rows, this.k);
  });
  readonly wOrder = $derived(
    this.run?.W
      ? rowOrder(this.run.W, this.run.rows, this.k, this.wOrderKind)
      : { order: null, used: 'fitted' as OrderKind },
  );
  readonly hOrder = $derived.by((): { order: Int32Array | null; used: OrderKind } => {
    const run = this.run;
    if (run?.H) return rowOrder(transpose(run.H, this.k, run.cols), run.cols, this.k, this.hOrderKind);
    // A summarised H (more samples than clustering takes): its views come in both orders, made
    // by the main process; 'clustered' falls back to the dominant order, as rowOrder does there.
    if (run?.hSummary) return { order: null, used: this.hOrderKind === 'fitted' ? 'fitted' : 'dominant' };
    return { order: null, used: 'fitted' };
  });
  /** The views of a summarised H in the sample order shown; null when H itself was sent. */
  readonly hSummaryView = $derived(
    this.run?.hSummary
      ? this.run.hSummary.orders[this.hOrder.used === 'fitted' ? 'fitted' : 'dominant']
      : null,
  );
  /** Too many items to cluster: the order shown is not the one asked for. */
  readonly orderFellBack = $derived(
    this.wOrder.used !== this.wOrderKind || this.hOrder.used !== this.hOrderKind,
  );
  readonly topFeatures = $derived(
    this.run?.W
      ? topFeaturesByComponent(this.run.W, this.run.rows, this.k, this.names, this.run.featureNames)
      : [],
  );
  readonly shownThreshold = $derived(this.threshold ?? this.assignment?.threshold ?? null);

  private reloadTimer: ReturnType<typeof setTimeout> | undefined;
  private thresholdTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ports: ScreenPorts,
    readonly id: number,
    private readonly delays: Delays = { reloadMs: 200, thresholdMs: 200 },
  ) {}

  async load(): Promise<void> {
    const result = await this.ports.call('runs:get', { id: this.id });
    if (!result.ok) {
      this.error = result.error;
      return;
    }
    this.error = null;
    this.run = result.value;
    if (this.run.state === 'done' && this.run.W) await this.loadAssignment();
  }

  async loadAssignment(): Promise<void> {
    const threshold = this.threshold;
    const result = await this.ports.call(
      'runs:assign',
      threshold === null ? { id: this.id } : { id: this.id, threshold },
    );
    if (!result.ok) {
      this.assignError = result.error;
      return;
    }
    this.assignError = null;
    this.assignment = result.value;
    if (this.threshold === null) this.threshold = result.value.threshold;
  }

  /** The slider moved: show the value now, assign again once it rests. */
  setThreshold(value: number): void {
    this.threshold = value;
    clearTimeout(this.thresholdTimer);
    this.thresholdTimer = setTimeout(() => void this.loadAssignment(), this.delays.thresholdMs);
  }

  /** A library change: reload when it is about this run (or about runs in general). */
  libraryChanged(change: { what: string; id: number | null }): void {
    if (change.what !== 'runs' || (change.id !== this.id && change.id !== null)) return;
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => void this.load(), this.delays.reloadMs);
  }

  /** The live job reported a state: once it is final, fetch the stored result. */
  jobReported(state: string): void {
    if (this.running && state !== 'running' && state !== 'queued') void this.load();
  }

  dispose(): void {
    clearTimeout(this.reloadTimer);
    clearTimeout(this.thresholdTimer);
  }

  async rerun(): Promise<void> {
    this.actionError = null;
    const result = await this.ports.call('runs:rerun', { id: this.id });
    if (!result.ok) {
      this.actionError = result.error;
      return;
    }
    this.ports.notify(`Run ${result.value.id} started with the same parameters.`);
    this.ports.navigate(`/runs/${result.value.id}`);
  }

  async cancel(): Promise<void> {
    this.actionError = null;
    const result = await this.ports.call('runs:cancel', { id: this.id });
    if (!result.ok) this.actionError = result.error;
    else void this.load();
  }

  /**
   * Asks, deletes, and goes back to the Library; the notice's Undo restores the run and opens it
   * again (the id is kept here: the screen is gone by the time Undo is pressed).
   */
  async remove(): Promise<void> {
    const { call, notify, navigate, confirm } = this.ports;
    this.actionError = null;
    const runId = this.id;
    const ok = await confirm(
      `Delete run #${runId}?`,
      'The run leaves the library; the Undo button in the message that follows brings it back.',
    );
    if (!ok) return;
    const result = await call('runs:delete', { id: runId });
    if (!result.ok) {
      this.actionError = result.error;
      return;
    }
    notify(`Run ${runId} deleted.`, {
      action: {
        label: 'Undo',
        run: async () => {
          const restored = await call('runs:restore', { id: runId });
          if (restored.ok) navigate(`/runs/${runId}`);
          else notify(`Could not restore run ${runId}: ${restored.error.message}`, { kind: 'error' });
        },
      },
    });
    navigate('/library');
  }
}

/** The assignment table's search, moonlighting switch and page, over the assignment given. */
export class AssignmentTable {
  readonly pageSize = 25;
  search = $state('');
  onlyMoonlighting = $state(false);
  page = $state(0);

  readonly rows = $derived.by(() => {
    const assignment = this.assignment();
    return assignment ? moduleRows(assignment, this.search, this.onlyMoonlighting) : [];
  });
  readonly pageCount = $derived(Math.max(1, Math.ceil(this.rows.length / this.pageSize)));
  readonly visible = $derived(this.rows.slice(this.page * this.pageSize, (this.page + 1) * this.pageSize));

  constructor(private readonly assignment: () => AssignmentView | null) {}

  /** The search or the switch changed: back to the first page. */
  restart(): void {
    this.page = 0;
  }

  previous(): void {
    this.page = Math.max(0, this.page - 1);
  }

  next(): void {
    this.page = Math.min(this.pageCount - 1, this.page + 1);
  }
}
