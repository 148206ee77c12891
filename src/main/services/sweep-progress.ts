import { decodeFrame } from '../../shared/api';
import { finishedRanks, summarizeFinishedRank, surveyCriteria } from '../../shared/analysis';
import type { RankSummary, SweepJob, SweepJobResult } from '../../shared/analysis';
import type { SweepRankMetrics } from '../../shared/domain';
import { sweepJobResults } from '../db/queries/sweeps';
import type { ServiceContext } from './context';

/**
 * Criteria of a sweep filled in rank by rank while it runs: as soon as every fit of a rank
 * (replicates, folds and consensus fits, of the data and of the shuffled baseline) is stored, that
 * rank's criteria are computed from the stored results (summarizeFinishedRank, the computation
 * summarizeSweep does for it at the end) and published on the sweep's progress events
 * (`jobs:progress`, `ranksDone`), which the Sweep screen draws. What compares ranks — the
 * recommendation and the paired CV differences — waits for the end, when summarizeSweep runs over
 * every result as before; nothing here is stored, so the final summary and `ranks.json` are the
 * same bytes whether or not anyone watched.
 *
 * Published criteria leave out the per-sample cluster labels (`sampleClusters` is empty): progress
 * events go out several times a second and need not carry n labels per rank.
 */
export class SweepRankProgress {
  private readonly published = new Map<number, SweepRankMetrics>();
  private readonly finished: Set<string>;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly sweepId: number,
    private readonly jobs: readonly SweepJob[],
    alreadyFinished: Iterable<string>,
  ) {
    this.finished = new Set(alreadyFinished);
  }

  /** Publishes the ranks already complete (a resumed sweep), if any. */
  start(): void {
    this.publishNew();
  }

  /** Records a stored job result; publishes its rank's criteria when that was the rank's last fit. */
  jobFinished(jobId: string): void {
    this.finished.add(jobId);
    this.publishNew();
  }

  /** Criteria published so far, in rank order. */
  ranks(): SweepRankMetrics[] {
    return [...this.published.values()].sort((a, b) => a.rank - b.rank);
  }

  private publishNew(): void {
    try {
      this.publishReady();
    } catch {
      // Live criteria are a preview: a rank that cannot be summarised now is left for the summary
      // at the end (which refuses the same results the same way), and the fits go on.
    }
  }

  private publishReady(): void {
    const ready = finishedRanks(this.jobs, this.finished).filter((rank) => !this.published.has(rank));
    if (ready.length === 0) return;
    const wanted = new Set(ready);
    const results = sweepJobResults(this.ctx.db, this.sweepId)
      .map((r) => decodeFrame(new Uint8Array(r.result.buffer, r.result.byteOffset, r.result.byteLength)))
      .filter((r): r is SweepJobResult => wanted.has((r as SweepJobResult).rank));
    for (const rank of ready) {
      const summary = summarizeFinishedRank(rank, results);
      if (summary !== null) this.published.set(rank, liveRankMetrics(summary));
    }
    this.ctx.jobs.update('sweep', this.sweepId, { ranksDone: this.ranks() });
  }
}

/** A rank's criteria as the Sweep screen reads them, before its run is saved (runId null). */
export function liveRankMetrics(rank: RankSummary): SweepRankMetrics {
  return {
    rank: rank.rank,
    loss: rank.loss,
    loglik: rank.loglik,
    bic: rank.bic,
    cvError: rank.cvError,
    cophenetic: rank.cophenetic,
    dispersion: rank.dispersion,
    stability: rank.stability,
    sampleClusters: [],
    cvErrorSe: rank.cvErrorSe,
    cvErrors: rank.cvErrors,
    cvErrorTrimmed: rank.cvErrorTrimmed,
    cvErrorsTrimmed: rank.cvErrorsTrimmed,
    cvPairedDifference: null,
    cvPairedSe: null,
    pearsonDispersion: rank.pearsonDispersion,
    consensusFits: rank.consensusFits,
    consensusFromIndependentStarts: rank.consensusFromIndependentStarts,
    ...surveyCriteria(rank),
    baseline: rank.baseline
      ? {
          loss: rank.baseline.loss,
          cvError: rank.baseline.cvError,
          cophenetic: rank.baseline.cophenetic,
          stability: rank.baseline.stability,
          cvErrorTrimmed: rank.baseline.cvErrorTrimmed,
          ...surveyCriteria(rank.baseline),
        }
      : null,
    runId: null,
  };
}
