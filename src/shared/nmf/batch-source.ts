import type { PreparedData } from './data';

/**
 * Where the minibatch solver (./minibatch.ts) takes V (m × n, features × samples) from: batch by
 * batch, as the prepared data Vᵀ_b (b × m) of the samples [j0, j1). The solver asks for batches
 * in increasing order from sample 0 on an aligned grid (j0 a multiple of the batch size; a batch
 * starting at 0 starts a new pass), and for nothing else of V: its start, its losses and its
 * log-likelihood are all computed batch by batch, so a source may hold V in memory (the batches
 * cut from it) or read them from disk (src/main/services/sample-file.ts) with the same bits.
 */
export interface SampleBatchSource {
  /** Features: the rows of V (the columns of each batch). */
  readonly m: number;
  /** Samples: the columns of V. */
  readonly n: number;
  /** Observed (non-NaN) entries of V, stored or not (PreparedData.observed). */
  readonly observed: number;
  /** Sum of the observed entries of V, in prepareData's order (PreparedData.sum). */
  readonly sum: number;
  /** The batch of samples [j0, j1) as Vᵀ_b (b × m) with its part of the missing pattern. */
  batch(j0: number, j1: number): PreparedData;
  /** Bytes of the source's own buffers (not V when it is held elsewhere), for the memory account. */
  readonly heldBytes: number;
}

/**
 * Bytes a fit holds, by what they are for, with the peak of their total: what the memory budget
 * is checked against (src/main/services/memory-budget.ts). Entries are the typed arrays the fit
 * allocates (counted when allocated, dropped when let go), so the account is of the fit's own
 * buffers, not of the process (the JavaScript heap, code and the worker's stack come on top).
 */
export class MemoryAccount {
  private readonly items = new Map<string, number>();
  private current = 0;
  private highest = 0;

  /** Counts `bytes` under `label` (replacing what that label held). */
  hold(label: string, bytes: number): void {
    this.current += bytes - (this.items.get(label) ?? 0);
    this.items.set(label, bytes);
    if (this.current > this.highest) this.highest = this.current;
  }

  /** Drops what `label` held. */
  release(label: string): void {
    this.current -= this.items.get(label) ?? 0;
    this.items.delete(label);
  }

  /** Bytes held now. */
  get heldBytes(): number {
    return this.current;
  }

  /** The most bytes held at once. */
  get peakBytes(): number {
    return this.highest;
  }

  /** What is held now, by label. */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.items);
  }
}
