import type { ApiError, LibraryMergeResult } from '../../../../shared/api';
import { counted as plural, formatBytes } from '../format';
import type { ScreenPorts } from './ports';

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

/** A file the user picked: its name and a way to read its bytes. */
export interface PickedFile {
  name: string;
  bytes(): Promise<Uint8Array<ArrayBuffer>>;
}

/**
 * Moving the whole library: a copy to save or hand on (export), and a colleague's library merged
 * into this one. One transfer at a time; a refused merge says the library is unchanged.
 */
export class LibraryTransfer {
  busy = $state<'export' | 'merge' | null>(null);
  error = $state<ApiError | null>(null);
  errorTitle = $state('');
  status = $state('');
  merged = $state<{ fileName: string; result: LibraryMergeResult } | null>(null);
  readonly summary = $derived(this.merged ? mergeSummary(this.merged.fileName, this.merged.result) : null);

  constructor(
    private readonly ports: Pick<ScreenPorts, 'call'>,
    /** Hands the exported bytes to the user (a download in the window). */
    private readonly save: (fileName: string, bytes: Uint8Array) => void,
  ) {}

  async exportLibrary(): Promise<void> {
    if (this.busy) return;
    this.busy = 'export';
    this.error = null;
    this.merged = null;
    this.status = 'Writing a copy of the library…';
    const result = await this.ports.call('library:export', {});
    this.busy = null;
    if (!result.ok) {
      this.error = result.error;
      this.errorTitle = 'Could not export the library';
      this.status = '';
      return;
    }
    const { fileName, bytes } = result.value;
    this.save(fileName, bytes);
    this.status = `Exported ${fileName} (${formatBytes(bytes.length)}).`;
  }

  /** Returns whether the library changed (then the screen reloads). */
  async merge(picked: PickedFile): Promise<boolean> {
    if (this.busy) return false;
    this.busy = 'merge';
    this.error = null;
    this.merged = null;
    this.status = `Merging ${picked.name}…`;
    const bytes = await picked.bytes();
    const result = await this.ports.call('library:merge', { file: { fileName: picked.name, bytes } });
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
