import { decodeFrame, encodeFrame } from '../../shared/api';
import { bestReplicate } from '../../shared/analysis/sweep';
import type { SweepJob, SweepJobResult } from '../../shared/analysis';
import type { DataMatrix } from '../../shared/linalg/matrix';
import { replaceSweepJobResult, sweepJobResult } from '../db/queries/sweeps';
import type { JobHandle } from '../workers/pool';
import type { SweepStatisticsTaskResult } from '../workers/protocol';
import type { ServiceContext } from './context';

/**
 * The log-likelihood, Pearson dispersion and R NMF survey measures (survey.ts) of each rank's best
 * data replicate, computed once the
 * rank's replicates are all stored. A sweep's data replicates run without them
 * (`deferReplicateStatistics`): the summary reads them from the best replicate only (the lowest
 * loss, `bestReplicate`), and computing them in every replicate — two passes over V, ~3.5 s of CPU
 * per replicate on 2000 × 20 000 counts — threw nine in ten away with 10 replicates. The best
 * replicate's stored result is completed in place with the values `runSweepJob` would have
 * given it (`replicateStatistics`: the same functions on the same factors), so the summary,
 * `ranks.json` and the runs saved are the same bytes.
 *
 * A rank's criteria are published (SweepRankProgress) only after its statistics are in: callers
 * await {@link whenDone} before reporting a job of that rank finished. A resumed sweep completes,
 * at {@link start}, ranks whose replicates were stored before it was interrupted.
 */
export class ReplicateStatistics {
  private readonly pending = new Map<number, Promise<void>>();
  private readonly finished: Set<string>;
  /** Data replicate jobs by rank. */
  private readonly replicates = new Map<number, SweepJob[]>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly sweepId: number,
    jobs: readonly SweepJob[],
    private readonly matrix: DataMatrix,
    /** Where the statistics tasks' handles go, so cancelling the sweep cancels them too. */
    private readonly handles: JobHandle[],
    alreadyFinished: Iterable<string>,
  ) {
    for (const job of jobs) {
      if (job.kind !== 'replicate' || job.baseline) continue;
      const list = this.replicates.get(job.rank) ?? [];
      list.push(job);
      this.replicates.set(job.rank, list);
    }
    this.finished = new Set(alreadyFinished);
  }

  /** Starts the ranks whose replicates are all stored already (a resumed sweep). */
  start(): void {
    for (const rank of this.replicates.keys()) this.startIfReady(rank);
  }

  /** Records a stored job result; starts its rank's statistics when that was the rank's last data replicate. */
  jobFinished(job: SweepJob): void {
    this.finished.add(job.id);
    if (job.kind === 'replicate' && !job.baseline) this.startIfReady(job.rank);
  }

  /** Resolves when rank's statistics are stored (at once when they are not started). */
  whenDone(rank: number): Promise<void> {
    return this.pending.get(rank) ?? Promise.resolve();
  }

  /** Resolves when every started rank's statistics are stored. */
  async all(): Promise<void> {
    await Promise.all(this.pending.values());
  }

  private startIfReady(rank: number): void {
    if (this.pending.has(rank)) return;
    const jobs = this.replicates.get(rank) ?? [];
    if (jobs.length === 0 || !jobs.every((job) => this.finished.has(job.id))) return;
    const done = this.complete(jobs);
    // A failure surfaces where the sweep awaits it (whenDone, all); not as an unhandled rejection meanwhile.
    done.catch(() => undefined);
    this.pending.set(rank, done);
  }

  private async complete(jobs: readonly SweepJob[]): Promise<void> {
    const results = jobs
      .map((job) => {
        const blob = sweepJobResult(this.ctx.db, this.sweepId, job.id);
        if (blob === null) throw new Error(`sweep ${this.sweepId}: no stored result for ${job.id}`);
        return decodeFrame(new Uint8Array(blob.buffer, blob.byteOffset, blob.byteLength)) as SweepJobResult;
      })
      .sort((x, y) => x.index - y.index);
    const best = bestReplicate(results);
    if (!best.statisticsDeferred) return;
    if (best.factors === null) throw new Error(`sweep ${this.sweepId}: ${best.jobId} kept no factors`);
    const job = jobs.find((j) => j.id === best.jobId)!;
    // Ahead of the sweep's waiting fits: the rank's live criteria wait for it.
    const handle = this.ctx.pool.submit(
      { kind: 'sweep-statistics', matrix: this.matrix, job, W: best.factors.W, H: best.factors.H },
      undefined,
      { ahead: true },
    );
    this.handles.push(handle);
    const { loglik, pearsonDispersion, survey } = (await handle.promise) as SweepStatisticsTaskResult;
    const { statisticsDeferred: _deferred, ...whole } = best;
    const completed: SweepJobResult = { ...whole, loglik, pearsonDispersion, survey };
    replaceSweepJobResult(this.ctx.db, this.sweepId, best.jobId, Buffer.from(encodeFrame(completed)));
  }
}
