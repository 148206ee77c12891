import { describe, expect, it } from 'vitest';
import { planSweep } from '../../../shared/analysis';
import { SweepRemaining, describeSweepJob } from '../sweeps';

describe('sweep progress', () => {
  const jobs = planSweep({
    fromRank: 2,
    toRank: 4,
    replicates: 2,
    cvFolds: 2,
    baseline: true,
    consensusReplicates: 0,
  });

  it('names each fit', () => {
    expect(describeSweepJob(jobs[0], 2)).toBe('k = 2, replicate 1');
    const fold = jobs.find((j) => j.kind === 'fold' && j.baseline && j.rank === 3 && j.index === 1)!;
    expect(describeSweepJob(fold, 2)).toBe('baseline k = 3, fold 2 of 2');
    const consensus = planSweep({ fromRank: 5, toRank: 5, consensusReplicates: 3 }).find(
      (j) => j.kind === 'consensus' && !j.baseline && j.index === 2,
    )!;
    expect(describeSweepJob(consensus, 3)).toBe('k = 5, consensus fit 3');
  });

  it('weights jobs by rank and counts running fits against the iterations finished fits needed', () => {
    const remaining = new SweepRemaining(jobs, 2000);
    expect(remaining.remainingMs(1000)).toBeNull();
    // Total weight: 8 jobs per rank × (2 + 3 + 4) = 72.
    const [first, second] = jobs; // both k = 2
    remaining.progress(first.id, 500);
    expect(remaining.fraction()).toBeCloseTo((2 * 0.25) / 72, 12);
    remaining.finish(first.id, 500);
    expect(remaining.fraction()).toBeCloseTo(2 / 72, 12);
    // Finished fits needed 500 iterations, so a fit at 250 counts as half done, not an eighth.
    remaining.progress(second.id, 250);
    expect(remaining.fraction()).toBeCloseTo((2 + 1) / 72, 12);
    // A fit past the typical count is not counted as done before it finishes.
    remaining.progress(second.id, 5000);
    expect(remaining.fraction()).toBeCloseTo((2 + 2 * 0.95) / 72, 12);
    expect(remaining.remainingMs(3900)).toBeCloseTo((3900 * (72 - 3.9)) / 3.9, 6);
  });
});
