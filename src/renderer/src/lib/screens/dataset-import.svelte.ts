import type { ApiError, FilePreview } from '../../../../shared/api';
import type { DatasetSummary, ImportProgress, Transform } from '../../../../shared/domain';
import { formatBytes } from '../format';
import { sendPicked, type PickedFile } from '../transfers';
import type { SentFile } from './file-sender.svelte';
import type { ScreenPorts } from './ports';

/** The dataset name proposed for a file: its name without the matrix extensions. */
export function datasetNameFor(fileName: string): string {
  return fileName.replace(/\.(gz|tsv|csv|txt|mtx|npy|h5ad|h5)+$/i, '').replace(/\.(tsv|csv|txt|mtx)$/i, '');
}

/** A random 32-hex-digit id (randomUUID needs a secure context; getRandomValues works everywhere). */
function randomId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join(
    '',
  );
}

/**
 * The Import screen's state. A picked or dropped file is sent to the main process in pieces
 * (`uploads:*`, never read whole by the window: a 10⁶-cell .h5ad is 1.8 GB), with progress and a
 * Cancel; the preview (`datasets:inspect`) reads that staged upload without consuming it, and the
 * import (`datasets:import`) consumes it. So a file crosses the boundary once for both. An import
 * that is refused or cancelled has used the upload up: importing again sends the file again. A
 * file replaced by another, a refused preview and leaving the screen cancel what is staged.
 */
export class DatasetImport {
  picked = $state.raw<PickedFile | null>(null);
  preview = $state.raw<FilePreview | null>(null);
  inspecting = $state(false);
  error = $state.raw<ApiError | null>(null);
  /** "Sending cells.h5ad: 41 % (740 MiB) of 1.8 GiB…" while bytes move. */
  sendStatus = $state('');
  /** What happened to a file whose sending was cancelled. */
  note = $state('');

  name = $state('');
  transpose = $state(false);
  header = $state(true);
  rowNames = $state(true);
  transform = $state<Transform>('none');

  importId = $state<string | null>(null);
  progress = $state.raw<ImportProgress | null>(null);
  warnings = $state.raw<string[]>([]);
  imported = $state<number | null>(null);

  /** The upload the main process holds for the picked file (until an import consumes it). */
  private staged: SentFile | null = null;
  private transfer = $state.raw<AbortController | null>(null);

  constructor(
    private readonly ports: Pick<ScreenPorts, 'call' | 'notify' | 'navigate'>,
    /** Subscribes to `datasets:importProgress`; returns the unsubscribe. */
    private readonly onImportProgress: (listener: (progress: ImportProgress) => void) => () => void,
  ) {}

  /** Whether the picked file's bytes are moving (then `cancel` stops them). */
  get sending(): boolean {
    return this.transfer !== null;
  }

  /** Whether Cancel has something to stop: bytes moving or an import reading. */
  get busy(): boolean {
    return this.sending || this.importId !== null;
  }

  /** A picked or dropped file: sent in pieces, then previewed from the staged upload. */
  async choose(picked: PickedFile): Promise<void> {
    this.transfer?.abort();
    await this.dropStaged();
    this.error = null;
    this.preview = null;
    this.warnings = [];
    this.imported = null;
    this.note = '';
    this.picked = picked;
    this.name = datasetNameFor(picked.name);
    const staged = await this.stage(picked);
    if (!staged) return;
    this.inspecting = true;
    const result = await this.ports.call('datasets:inspect', { file: staged, maxRows: 20 });
    this.inspecting = false;
    if (this.picked !== picked) return;
    if (!result.ok) {
      this.error = result.error;
      await this.dropStaged();
      return;
    }
    const preview = result.value;
    this.preview = preview;
    this.header = preview.hasHeader;
    this.rowNames = preview.hasRowNames;
    // Only a hint that asks for a transpose ticks it: "it will be imported transposed" (AnnData,
    // which the importer turns to genes × cells by itself) must not, or the cells stay rows.
    this.transpose = preview.hints.some((h) => /import with transpose/i.test(h));
  }

  /** Sends `picked`; null when it was refused, cancelled or replaced by another file meanwhile. */
  private async stage(picked: PickedFile): Promise<SentFile | null> {
    const controller = new AbortController();
    this.transfer = controller;
    const sent = await sendPicked(
      this.ports.call,
      picked,
      (status) => {
        if (this.transfer === controller) this.sendStatus = status;
      },
      formatBytes,
      controller.signal,
    );
    if (this.transfer === controller) {
      this.transfer = null;
      this.sendStatus = '';
    }
    if (this.picked !== picked) {
      if (sent.ok) await this.ports.call('uploads:cancel', sent.value.bytes);
      return null;
    }
    if (!sent.ok) {
      if (sent.error.code === 'cancelled') {
        this.picked = null;
        this.preview = null;
        this.note = `Sending ${picked.name} was cancelled; nothing of it was kept.`;
      } else this.error = sent.error;
      return null;
    }
    this.staged = sent.value;
    return sent.value;
  }

  /** Cancels what is under way: the sending of the file, or the import reading it. */
  async cancel(): Promise<void> {
    if (this.transfer) {
      this.transfer.abort();
      return;
    }
    if (!this.importId) return;
    const result = await this.ports.call('datasets:cancelImport', { importId: this.importId });
    if (!result.ok) this.error = result.error;
  }

  async startImport(): Promise<void> {
    const picked = this.picked;
    if (!picked || !this.preview || this.busy) return;
    this.error = null;
    this.warnings = [];
    this.imported = null;
    const id = randomId();
    this.importId = id;
    // The previous import (refused or cancelled) used the upload up: send the file again.
    const file = this.staged ?? (await this.stage(picked));
    this.staged = null;
    if (!file || this.picked !== picked) {
      this.importId = null;
      return;
    }
    this.progress = { importId: id, bytesRead: 0, totalBytes: picked.blob.size, phase: 'starting' };
    const off = this.onImportProgress((p) => {
      if (p.importId === id) this.progress = p;
    });
    const result = await this.ports.call('datasets:import', {
      file,
      importId: id,
      name: this.name.trim() || undefined,
      transpose: this.transpose,
      header: this.header,
      rowNames: this.rowNames,
      transform: this.transform,
    });
    off();
    this.importId = null;
    this.progress = null;
    if (!result.ok) {
      // A request refused before it reached the file leaves the upload staged: drop it.
      if (result.error.code === 'invalid_request') await this.ports.call('uploads:cancel', file.bytes);
      this.error = result.error;
      return;
    }
    this.done(result.value);
  }

  private done(value: { dataset: DatasetSummary; existing: boolean; warnings: string[] }): void {
    this.warnings = value.warnings;
    const dataset = value.dataset;
    this.ports.notify(
      value.existing
        ? `“${dataset.name}” is already in the library.`
        : `Imported “${dataset.name}” (${dataset.rows} × ${dataset.cols}).`,
    );
    if (this.warnings.length === 0) this.ports.navigate(`/datasets/${dataset.id}`);
    else this.imported = dataset.id;
  }

  private async dropStaged(): Promise<void> {
    const staged = this.staged;
    this.staged = null;
    if (staged) await this.ports.call('uploads:cancel', staged.bytes);
  }

  /** Leaving the screen: stops a sending and removes what the main process staged for it. */
  async dispose(): Promise<void> {
    this.picked = null;
    this.transfer?.abort();
    await this.dropStaged();
  }
}
