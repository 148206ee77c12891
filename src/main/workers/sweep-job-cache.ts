import { shuffleWithinRows } from '../../shared/analysis/crossval';
import type { DataMatrix } from '../../shared/linalg/matrix';

/**
 * The row-shuffled copy of V a worker's baseline sweep jobs fit, kept from one job to the next.
 * Every baseline job of a sweep shuffles V with the same seed (the same copy at every rank, see
 * `planSweep`), so making it again per job — a permutation of each row, 0.7 s of CPU on
 * 2000 × 20 000 counts with 4 × 10⁶ stored entries, 180 times in a 9-rank sweep with 10 replicates
 * — only repeats work. One copy at a time: a job on other data or with another seed replaces it,
 * and any other task lets it go, so a worker holds at most one copy of V beyond V itself (as it
 * does while a baseline job runs anyway).
 *
 * V arrives anew with every task (its SharedArrayBuffers are shared, not copied, but the wrapper
 * objects are new), so the copy is matched by a key naming V's contents — the dataset's hash — not
 * by identity.
 */
export class ShuffledCopyCache {
  private kept: { key: string; seed: number; rows: number; cols: number; copy: DataMatrix } | null = null;

  /** The copy of V shuffled with `seed`, kept under `key`; a fresh one every time without a key. */
  get(key: string | undefined, V: DataMatrix, seed: number): DataMatrix {
    if (key === undefined) return shuffleWithinRows(V, seed);
    const kept = this.kept;
    if (kept && kept.key === key && kept.seed === seed && kept.rows === V.rows && kept.cols === V.cols)
      return kept.copy;
    this.kept = null; // let the old copy go before making the new one
    const copy = shuffleWithinRows(V, seed);
    this.kept = { key, seed, rows: V.rows, cols: V.cols, copy };
    return copy;
  }

  /** Lets the kept copy go. */
  clear(): void {
    this.kept = null;
  }
}
