import type { ApiError, Result } from '../../../../shared/api';
import type { DatasetSummary, RunEstimate } from '../../../../shared/domain';
import { Estimator } from '../estimator.svelte';
import { fitFormProblems, type FitForm } from '../fitform';
import type { ScreenPorts } from './ports';

/**
 * What one of the New run / New sweep / New consensus forms adds to the shared scaffolding: its
 * own fields ("extra": rank, or a rank range and replicates …), their suggested values and checks,
 * and the requests that start (and price) the job.
 */
export interface FitFormPlan<Extra extends object> {
  /** The extra fields before a dataset is chosen. */
  initial: Extra;
  /** Suggested fit parameters and extra fields for a dataset ("Reset to suggested"). */
  suggest(dataset: DatasetSummary): { fit: FitForm; extra: Extra };
  /** Problems of the extra fields, keyed by field (absent = fine). */
  problems(extra: Extra, dataset: DatasetSummary | null): Partial<Record<keyof Extra, string>>;
  start(ports: ScreenPorts, datasetId: number, fit: FitForm, extra: Extra): Promise<Result<{ id: number }>>;
  /** The time-and-memory forecast; absent when the form shows none. */
  estimate?(ports: ScreenPorts, datasetId: number, fit: FitForm, extra: Extra): Promise<Result<RunEstimate>>;
  /** "Run" → the notice "Run 12 started." */
  noun: string;
  /** Where the started job opens. */
  path(id: number): string;
}

/**
 * Settings a form starts from instead of the dataset's suggestions: an earlier job's, with a change
 * ("Sweep again, a tenth per fold"). `note` says so above the form.
 */
export interface FitFormPreset<Extra extends object> {
  datasetId: number;
  fit: FitForm;
  extra: Extra;
  note: string;
}

/**
 * The state every New … form shares: the dataset list and choice, the engine parameters
 * (`FitFields`), the form's own fields, the checks of both, the estimate, and starting the job.
 */
export class FitFormModel<Extra extends object> {
  datasets = $state<DatasetSummary[]>([]);
  /** The chosen dataset's id, as the select's value. */
  chosen = $state('');
  fit = $state<FitForm | null>(null);
  extra: Extra;
  error = $state<ApiError | null>(null);
  busy = $state(false);
  loaded = $state(false);
  /** What the fields were filled from when a preset was loaded ("The settings of sweep 4 …"). */
  presetNote = $state<string | null>(null);
  /** Why the settings to start from could not be read (the suggestions were filled in instead). */
  presetProblem = $state<string | null>(null);
  readonly estimator = new Estimator();

  readonly dataset = $derived(this.datasets.find((d) => String(d.id) === this.chosen) ?? null);
  readonly fitProblems = $derived(this.fit ? fitFormProblems(this.fit) : {});
  readonly problems = $derived.by(() => this.plan.problems(this.extra, this.dataset));
  readonly valid = $derived(
    !!this.dataset &&
      !!this.fit &&
      Object.keys(this.fitProblems).length === 0 &&
      Object.keys(this.problems).length === 0,
  );

  constructor(
    private readonly ports: ScreenPorts,
    private readonly plan: FitFormPlan<Extra>,
    /** The dataset the address names (`#/new-run?dataset=3`), if any. */
    datasetId: number | null,
    /**
     * Loads settings to start from (an earlier job's), applied after the dataset list instead of
     * the suggestions; when they cannot be read, `presetProblem` says why and the suggestions are used.
     */
    private readonly preset: ((ports: ScreenPorts) => Promise<Result<FitFormPreset<Extra>>>) | null = null,
  ) {
    this.extra = $state({ ...plan.initial });
    this.chosen = datasetId ? String(datasetId) : '';
  }

  /** Lists the datasets, picks the first when none is named, and fills in its suggestions. */
  async loadDatasets(): Promise<void> {
    const result = await this.ports.call('datasets:list', {});
    this.loaded = true;
    if (!result.ok) {
      this.error = result.error;
      return;
    }
    this.datasets = result.value;
    if (this.preset && (await this.applyPreset(this.preset))) return;
    if (!this.chosen && this.datasets.length) this.chosen = String(this.datasets[0].id);
    this.applyDefaults();
  }

  /** Fills every field from the preset; false (with the error shown) when it cannot be loaded. */
  private async applyPreset(
    load: (ports: ScreenPorts) => Promise<Result<FitFormPreset<Extra>>>,
  ): Promise<boolean> {
    const preset = await load(this.ports);
    if (!preset.ok) {
      // Not the form's error box: that one says the job could not start.
      this.presetProblem = preset.error.message;
      return false;
    }
    if (!this.datasets.some((d) => d.id === preset.value.datasetId)) return false;
    this.chosen = String(preset.value.datasetId);
    this.fit = preset.value.fit;
    Object.assign(this.extra, preset.value.extra);
    this.presetNote = preset.value.note;
    return true;
  }

  /** The suggestions for the chosen dataset, in every field (on load, on a new choice, on Reset). */
  applyDefaults(): void {
    const dataset = this.dataset;
    if (!dataset) return;
    const { fit, extra } = this.plan.suggest(dataset);
    this.fit = fit;
    Object.assign(this.extra, extra);
    this.presetNote = null;
  }

  /** Plain copies of the fields, as a request carries them (no reactive proxies). */
  private snapshot(): { fit: FitForm; extra: Extra } | null {
    return this.fit
      ? { fit: $state.snapshot(this.fit) as FitForm, extra: $state.snapshot(this.extra) as Extra }
      : null;
  }

  /**
   * Asks for the forecast after a quiet spell; call from an `$effect`, which re-runs on any field
   * change (every field is read here) and takes the returned cleanup.
   */
  requestEstimate(): () => void {
    const fields = this.snapshot();
    const dataset = this.dataset;
    const estimate = this.plan.estimate;
    return this.estimator.request(
      fields && estimate && dataset && this.valid
        ? () => estimate(this.ports, dataset.id, fields.fit, fields.extra)
        : null,
    );
  }

  /** Starts the job and opens it; a refusal shows under the form and keeps every field. */
  async start(): Promise<void> {
    const fields = this.snapshot();
    const dataset = this.dataset;
    if (!fields || !dataset || !this.valid || this.busy) return;
    this.busy = true;
    this.error = null;
    const result = await this.plan.start(this.ports, dataset.id, fields.fit, fields.extra);
    this.busy = false;
    if (!result.ok) {
      this.error = result.error;
      return;
    }
    this.ports.notify(`${this.plan.noun} ${result.value.id} started.`);
    this.ports.navigate(this.plan.path(result.value.id));
  }
}
