import type { Result } from '../../../../shared/api';
import type { UploadRef } from '../../../../shared/api/transfer';
import { formatBytes } from '../format';
import { sendPicked, type PickedFile } from '../transfers';
import type { ScreenPorts } from './ports';

/** A file as a channel's `file` takes it once it has been sent in pieces. */
export type SentFile = { fileName: string; bytes: UploadRef };

/**
 * Sends the files a form picked (annotations, W and H tables, a GMT file) to the main process in
 * pieces before the form's channel names them by upload id, so the window never reads a file
 * whole ("Sending genes.tsv: 41 % (12.0 MiB) of 29.3 MiB…", with a Cancel while bytes move). Every
 * file takes this path, small ones too: a small file costs one `uploads:begin` more than one call,
 * and one path is simpler than two.
 */
export class FileSender {
  /** The line shown while a file is being sent; empty otherwise. */
  status = $state('');
  private transfer = $state.raw<AbortController | null>(null);

  constructor(private readonly ports: Pick<ScreenPorts, 'call'>) {}

  /** Whether bytes are moving (then `cancel` stops them). */
  get sending(): boolean {
    return this.transfer !== null;
  }

  cancel(): void {
    this.transfer?.abort();
  }

  /**
   * Sends each file in turn. A refusal or a cancel removes what was sent of every one of them and
   * returns the error; on success the files are the channel's to consume.
   */
  async send(files: PickedFile[]): Promise<Result<SentFile[]>> {
    const controller = new AbortController();
    this.transfer = controller;
    const sent: SentFile[] = [];
    try {
      for (const picked of files) {
        const result = await sendPicked(
          this.ports.call,
          picked,
          (status) => (this.status = status),
          formatBytes,
          controller.signal,
        );
        if (!result.ok) {
          for (const earlier of sent) await this.ports.call('uploads:cancel', earlier.bytes);
          return result;
        }
        sent.push(result.value);
      }
      return { ok: true, value: sent };
    } finally {
      this.transfer = null;
      this.status = '';
    }
  }
}
