import type { SweepJob } from '../../shared/analysis';

/**
 * Time left in a sweep, from the share of its work done so far in this session. Jobs are weighted
 * by rank (an iteration costs ∝ k); a running job counts for its iterations over the iterations
 * jobs of this sweep have needed so far (the median of the finished ones; maxIter before any has
 * finished, capped at 95 %), since fits usually converge long before maxIter and counting against
 * maxIter would leave the estimate far too high until the end.
 */
export class SweepRemaining {
  private readonly weight = new Map<string, number>();
  private readonly running = new Map<string, number>();
  private readonly iterations: number[] = [];
  private readonly total: number;
  private finishedWeight = 0;

  constructor(
    jobs: readonly SweepJob[],
    private readonly maxIter: number,
  ) {
    let total = 0;
    for (const job of jobs) {
      this.weight.set(job.id, job.rank);
      total += job.rank;
    }
    this.total = total;
  }

  progress(jobId: string, iteration: number): void {
    this.running.set(jobId, iteration);
  }

  finish(jobId: string, iterations: number): void {
    this.running.delete(jobId);
    this.finishedWeight += this.weight.get(jobId) ?? 0;
    this.iterations.push(iterations);
  }

  /** Fraction of this session's work done, in [0, 1]. */
  fraction(): number {
    if (this.total === 0) return 1;
    const sorted = [...this.iterations].sort((a, b) => a - b);
    const expected = sorted.length > 0 ? sorted[Math.floor(sorted.length / 2)] : this.maxIter;
    let done = this.finishedWeight;
    for (const [jobId, iteration] of this.running) {
      done += (this.weight.get(jobId) ?? 0) * Math.min(0.95, iteration / Math.max(1, expected));
    }
    return Math.min(1, done / this.total);
  }

  /** Milliseconds left at this rate, or null before anything measurable is done. */
  remainingMs(elapsedMs: number): number | null {
    const fraction = this.fraction();
    return fraction > 0 ? (elapsedMs * (1 - fraction)) / fraction : null;
  }
}
