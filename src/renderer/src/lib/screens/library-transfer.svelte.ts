import type { ApiError, LibraryMergeResult } from '../../../../shared/api';
import { counted as plural, formatBytes } from '../format';
import type { ScreenPorts } from './ports';
import { progressText, saveOffered, sendUpload, type PickedFile, type TransferProgress } from '../transfers';

/** "Merged x.sqlite: 1 dataset added (2 datasets already here, matched by content), 3 runs and 0 sweeps added." */
export function mergeSummary(fileName: string, result: LibraryMergeResult): string {
  const existing = result.datasetsExisting
    ? ` (${plural(result.datasetsExisting, 'dataset')} already here, matched by content)`
    : '';
  return `Merged ${fileName}: ${plural(result.datasetsAdded, 'dataset')} added${existing}, ${plural(result.runsAdded, 'run')} and ${plural(result.sweepsAdded, 'sweep')} added.${alsoAdded(result)}`;
}

/** The projections and consensus records a merge carried, when it carried any. */
function alsoAdded(result: { projectionsAdded?: number; consensusAdded?: number }): string {
  const projections = result.projectionsAdded ?? 0;
  const consensus = result.consensusAdded ?? 0;
  if (!projections && !consensus) return '';
  return ` Also ${plural(projections, 'projection')} and ${plural(consensus, 'consensus')} added.`;
}

export type { PickedFile } from '../transfers';

/**
 * Moving the whole library: a copy to save or hand on (export), and a colleague's library merged
 * into this one. One transfer at a time; a refused merge says the library is unchanged.
 */
export class LibraryTransfer {
  busy = $state<'export' | 'merge' | null>(null);
  /** Aborts the file transfer under way (the library is not changed by a cancelled one). */
  private transfer = $state.raw<AbortController | null>(null);
  error = $state<ApiError | null>(null);
  errorTitle = $state('');
  status = $state('');
  merged = $state<{ fileName: string; result: LibraryMergeResult } | null>(null);
  readonly summary = $derived(this.merged ? mergeSummary(this.merged.fileName, this.merged.result) : null);

  constructor(
    private readonly ports: Pick<ScreenPorts, 'call'>,
    /** Hands the exported file to the user (a download in the window). */
    private readonly save: (fileName: string, blob: Blob) => void,
  ) {}

  /** Whether a file is being sent or received (then it can be cancelled). */
  get transferring(): boolean {
    return this.transfer !== null;
  }

  /** Stops the download or upload under way. */
  cancelTransfer(): void {
    this.transfer?.abort();
  }

  async exportLibrary(): Promise<void> {
    if (this.busy) return;
    this.busy = 'export';
    this.error = null;
    this.merged = null;
    this.status = 'Writing a copy of the library…';
    const result = await this.ports.call('library:export', {});
    if (!result.ok) {
      this.busy = null;
      this.error = result.error;
      this.errorTitle = 'Could not export the library';
      this.status = '';
      return;
    }
    const { fileName } = result.value;
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
    if (saved) this.status = `Exported ${fileName} (${formatBytes(saved.size)}).`;
  }

  /** Returns whether the library changed (then the screen reloads). */
  async merge(picked: PickedFile): Promise<boolean> {
    if (this.busy) return false;
    this.busy = 'merge';
    this.error = null;
    this.merged = null;
    this.transfer = new AbortController();
    const show = (progress: TransferProgress): void => {
      this.status = `Sending ${picked.name}: ${progressText(progress, formatBytes)}…`;
    };
    show({ bytes: 0, fraction: 0 });
    const sent = await sendUpload(this.ports.call, picked, show, this.transfer.signal);
    this.transfer = null;
    const result = sent.ok
      ? await ((this.status = `Merging ${picked.name}…`),
        this.ports.call('library:merge', { file: sent.value }))
      : sent;
    this.busy = null;
    this.status = '';
    if (!result.ok) {
      this.error = result.error;
      this.errorTitle = `${picked.name} was not merged — your library is unchanged`;
      return false;
    }
    this.merged = { fileName: picked.name, result: result.value };
    return true;
  }
}
