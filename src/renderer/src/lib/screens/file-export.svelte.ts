import type { ApiError, DownloadTicket, Result } from '../../../../shared/api';
import { progressText, receiveDownload } from '../transfers';
import type { ScreenPorts } from './ports';

/**
 * One export at a time made in the main process and read here in pieces (transfers.ts), with a
 * status line ("Writing H as TSV: 41 % (12.0 MiB)…"), Cancel, and the error when it fails: the
 * Run screen's W/H tables and JSON, the projection panel's H. The window never holds H to make it
 * (at 10⁶ samples it no longer has H at all).
 */
export class FileExport {
  status = $state('');
  error = $state<ApiError | null>(null);
  transfer = $state.raw<AbortController | null>(null);

  constructor(
    private readonly call: ScreenPorts['call'],
    private readonly save: (fileName: string, blob: Blob) => void,
    private readonly formatBytes: (bytes: number) => string,
  ) {}

  /** Whether an export is being written or read now (its buttons are disabled meanwhile). */
  get busy(): boolean {
    return this.transfer !== null;
  }

  /**
   * Asks the main process for the file (`offer`), reads it to its end and saves it as `fileName`;
   * a cancelled export is dropped without an error. Ignored while another export runs.
   */
  async start(what: string, fileName: string, offer: () => Promise<Result<DownloadTicket>>): Promise<void> {
    if (this.transfer) return;
    this.error = null;
    const transfer = (this.transfer = new AbortController());
    this.status = `Writing ${what}…`;
    const offered = await offer();
    const received = offered.ok
      ? await receiveDownload(
          this.call,
          offered.value,
          (progress) => (this.status = `Writing ${what}: ${progressText(progress, this.formatBytes)}…`),
          transfer.signal,
        )
      : offered;
    this.transfer = null;
    this.status = '';
    if (!received.ok) {
      if (received.error.code !== 'cancelled') this.error = received.error;
      return;
    }
    this.save(fileName, received.value);
  }

  cancel(): void {
    this.transfer?.abort();
  }
}
