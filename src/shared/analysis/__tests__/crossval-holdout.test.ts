import { describe, expect, it } from 'vitest';
import { CV_FULL_MAX_ENTRIES, cvFoldsFor, makeCvFolds, NEVER_HELD_OUT } from '../crossval';
import { planSweep } from '../sweep-plan';
import { runSweepJob } from '../sweep-job';
import { summarizeSweep } from '../sweep';
import { synthesizeGeneModules } from '../synthetic';
import type { CvFolds, SampledCvFolds } from '../types';

/**
 * Folds that hold out a fraction of the entries each (`cvHoldout`), not every entry in some fold:
 * with 3 folds a sample can have every entry of a small program held out at once, and the fit
 * cannot know its activity there (docs/architecture.md, "Folds that hold out a fraction of the entries").
 */
describe('folds holding out a fraction of the entries each', () => {
  it('hold out round(F·h·mn) entries in all, evenly, each entry in at most one fold', () => {
    const folds = makeCvFolds(300, 1000, 3, 7, 0.1);
    const counts = new Map<number, number>();
    for (const a of folds.assignment) counts.set(a, (counts.get(a) ?? 0) + 1);
    expect(counts.get(0)).toBe(30_000);
    expect(counts.get(1)).toBe(30_000);
    expect(counts.get(2)).toBe(30_000);
    expect(counts.get(NEVER_HELD_OUT)).toBe(210_000);
    expect(folds.holdout).toBe(0.1);
  });

  it('leave the partition of sweeps stored before the field as it was, and 1/F gives it too', () => {
    const before = makeCvFolds(40, 30, 3, 5);
    expect(before.holdout).toBeUndefined();
    expect(Math.max(...before.assignment)).toBe(2);
    expect(makeCvFolds(40, 30, 3, 5, 1 / 3).assignment).toEqual(before.assignment);
    expect(() => makeCvFolds(40, 30, 3, 5, 0.34)).toThrow(
      'cvHoldout must be above 0 and at most 1/cvFolds = 1/3 (0.333), got 0.34',
    );
    expect(() => makeCvFolds(40, 30, 3, 5, 0)).toThrow(
      'cvHoldout must be above 0 and at most 1/cvFolds = 1/3 (0.333), got 0',
    );
  });

  it('all but remove samples with every entry of a 4-feature program held out in one fold', () => {
    // Features 0..3 form the program; count, per fold, the samples whose four entries it holds out.
    const wholeProgramHeldOut = (folds: CvFolds): number => {
      let samples = 0;
      for (let f = 0; f < folds.folds; f++)
        for (let j = 0; j < folds.cols; j++) {
          let held = 0;
          for (let i = 0; i < 4; i++) if (folds.assignment[i * folds.cols + j] === f) held++;
          if (held === 4) samples++;
        }
      return samples;
    };
    let partition = 0;
    let tenth = 0;
    for (let seed = 1; seed <= 5; seed++) {
      partition += wholeProgramHeldOut(makeCvFolds(300, 1000, 3, seed));
      tenth += wholeProgramHeldOut(makeCvFolds(300, 1000, 3, seed, 0.1));
    }
    // Expected 5 · 3 · 1000 · (1/3)⁴ ≈ 185 against 5 · 3 · 1000 · 10⁻⁴ = 1.5.
    expect(partition).toBeGreaterThan(120);
    expect(tenth).toBeLessThan(10);
  });

  it('sample at most F·h·mn entries above the full scheme, continuously at its threshold', () => {
    // Above the full scheme: F·h·mn entries (0.3 · 1.6·10⁷), or the cap when that is fewer.
    const big = cvFoldsFor(4000, 4000, 3, 1, CV_FULL_MAX_ENTRIES, 0.1) as SampledCvFolds;
    expect(big.kind).toBe('sampled');
    expect(big.positions.length).toBe(4_800_000);
    expect((cvFoldsFor(1000, 1000, 3, 1, 200_000, 0.1) as SampledCvFolds).positions.length).toBe(200_000);
    const justAbove = cvFoldsFor(1000, 1000, 3, 1, 999_999, 0.1) as SampledCvFolds;
    expect(justAbove.positions.length).toBe(300_000);
    const justBelow = cvFoldsFor(1000, 1000, 3, 1, 1_000_000, 0.1) as CvFolds;
    expect(justBelow.assignment.filter((a) => a !== NEVER_HELD_OUT).length).toBe(300_000);
  });

  it('reach the fold jobs, and only where the sweep has the field', () => {
    const fold = (cvHoldout?: number) =>
      planSweep({
        fromRank: 2,
        toRank: 2,
        replicates: 1,
        cvFolds: 3,
        ...(cvHoldout ? { cvHoldout } : {}),
      }).find((job) => job.kind === 'fold')!;
    expect(fold(0.1).cv).toMatchObject({ folds: 3, holdout: 0.1 });
    expect(fold().cv).not.toHaveProperty('holdout');
    expect(() => fold(0.5)).toThrow('cvHoldout must be above 0 and at most 1/cvFolds = 1/3 (0.333), got 0.5');
  });

  it('are scored on their own entries, and the reasoning says how many', () => {
    const { V } = synthesizeGeneModules({ features: 30, samples: 20, rank: 2, seed: 3 });
    const spec = {
      fromRank: 2,
      toRank: 3,
      replicates: 1,
      cvFolds: 3,
      cvHoldout: 0.1,
      consensusReplicates: 0,
      baseline: false,
      fit: { maxIter: 40 },
    };
    const results = planSweep(spec).map((job) => runSweepJob(V, job));
    expect(results.filter((r) => r.kind === 'fold').map((r) => r.heldOutCount)).toEqual([
      60, 60, 60, 60, 60, 60,
    ]);
    const summary = summarizeSweep(spec, results);
    expect(summary.recommendation.reasoning.join(' ')).toContain(
      'Each of the 3 folds holds out 10 % of the entries (60)',
    );
  });
});
