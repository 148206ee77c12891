import type { ApiError, Result } from '../../../shared/api';
import type { RunEstimate } from '../../../shared/domain';

/**
 * The time-and-memory forecast of the New run and New sweep forms, asked again after a short quiet
 * spell whenever a parameter changes; only the latest answer is shown, however the replies arrive.
 */
export class Estimator {
  estimate = $state<RunEstimate | null>(null);
  error = $state<ApiError | null>(null);
  private timer: ReturnType<typeof setTimeout> | undefined;
  private ticket = 0;

  /**
   * Asks `fetch` after `delayMs` without a newer request; `null` (an invalid form) clears the
   * estimate. Returns the cleanup for the calling `$effect`.
   */
  request(fetch: (() => Promise<Result<RunEstimate>>) | null, delayMs = 350): () => void {
    clearTimeout(this.timer);
    const mine = ++this.ticket;
    if (!fetch) {
      this.estimate = null;
      return () => undefined;
    }
    this.timer = setTimeout(async () => {
      const result = await fetch();
      if (mine !== this.ticket) return;
      this.estimate = result.ok ? result.value : null;
      this.error = result.ok ? null : result.error;
    }, delayMs);
    return () => clearTimeout(this.timer);
  }
}
