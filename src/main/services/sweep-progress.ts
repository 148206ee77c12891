import { decodeFrame } from '../../shared/api';
import { finishedRanks, summarizeFinishedRank, surveyCriteria } from '../../shared/analysis';
import type { RankSummary, SweepJob, SweepJobResult } from '../../shared/analysis';
import type { SweepRankMetrics } from '../../shared/domain';
import { sweepJobResultsOfRanks } from '../db/queries/sweeps';
import type { ServiceContext } from './context';

/**
 * Criteria of a sweep filled in rank by rank while it runs: as soon as every fit of a rank
 * (replicates, folds and consensus fits, of the data and of the shuffled baseline) is stored, that
 * rank's criteria are computed from the stored results (summarizeFinishedRank, the computation
 * summarizeSweep does for it at the end) and published on the sweep's progress events
 * (`jobs:progress`, `ranksDone`), which the Sweep screen draws. What compares ranks — the
 * recommendation and the paired CV differences — waits for the end, when summarizeSweep runs over
 * every result and takes these ranks' criteria as they were computed here (`rankSummaries`)
 * instead of computing them a second time. Nothing here is stored, and it is the same computation
 * on the same stored results, so the final summary and `ranks.json` are the same bytes whether or
 * not a rank was published (a rank that could not be summarised here is computed at the end).
 *
 * Published criteria leave out the per-sample cluster labels (`sampleClusters` is empty): progress
 * events go out several times a second and need not carry n labels per rank.
 */
export class SweepRankProgress {
  private readonly published = new Map<number, SweepRankMetrics>();
  /** The criteria behind `published`, as summarizeFinishedRank gave them (for the final summary). */
  private readonly summaries = new Map<number, RankSummary>();
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

  /**
   * The criteria computed so far, by rank, exactly as summarizeFinishedRank returned them: what
   * summarizeSweep would compute again for those ranks (pass them as its `rankSummaries`).
   */
  rankSummaries(): ReadonlyMap<number, RankSummary> {
    return this.summaries;
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
    const results = sweepJobResultsOfRanks(this.ctx.db, this.sweepId, ready).map(
      (r) =>
        decodeFrame(
          new Uint8Array(r.result.buffer, r.result.byteOffset, r.result.byteLength),
        ) as SweepJobResult,
    );
    for (const rank of ready) {
      const summary = summarizeFinishedRank(rank, results);
      if (summary === null) continue;
      this.summaries.set(rank, summary);
      this.published.set(rank, liveRankMetrics(summary));
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
