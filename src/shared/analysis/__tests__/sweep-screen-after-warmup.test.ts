import { describe, expect, it } from 'vitest';
import { fitNmf } from '../../nmf';
import type { FitResult } from '../../nmf/types';
import { makeCvFolds, maskFold } from '../crossval';
import { planSweep } from '../sweep-plan';
import { runSweepJob } from '../sweep-job';
import { synthesizeGeneModules } from '../synthetic';
import type { SweepJob, SweepSpec } from '../types';

/**
 * The length of a fold fit's screen after the warm-up (`SweepSpec.cvScreenAfterWarmup`): absent,
 * the jobs and their fits are those planned before the option existed; set, every screened start
 * runs its warm-up and exactly that many multiplicative updates, and the start of lowest loss
 * there is the one continued.
 */

/** A sweep at rank 3 with 3 folds, KL with a 30-iteration warm-up (until HALS settles unless `warmupTol` 0). */
function spec(seed: number, extra: Partial<SweepSpec> = {}, warmupTol = 1e-3): SweepSpec {
  return {
    fromRank: 3,
    toRank: 3,
    replicates: 1,
    cvFolds: 3,
    consensusReplicates: 0,
    baseline: false,
    fit: { beta: 1, warmup: 30, warmupTol, maxIter: 300, tol: 1e-5, seed },
    ...extra,
  };
}

const foldJob = (jobs: SweepJob[]): SweepJob => jobs.find((j) => j.kind === 'fold' && j.index === 1)!;

/**
 * A screen written out with `fitNmf`: each start (seeds seed + t) fitted with `trial` options and
 * tol 0, the lowest final loss continued from its factors without a new warm-up.
 */
function screenByHand(
  V: Parameters<typeof fitNmf>[0],
  job: SweepJob,
  trial: { maxIter: number; iterationsAfterWarmup?: number },
): { fit: FitResult; trials: FitResult[] } {
  const trials: FitResult[] = [];
  for (let t = 0; t < job.screen!.starts; t++) {
    trials.push(fitNmf(V, { ...job.fit, seed: (job.fit.seed ?? 0) + t, tol: 0, ...trial }));
  }
  const best = trials.reduce((a, b) => (b.loss < a.loss ? b : a));
  return { fit: fitNmf(V, { ...job.fit, init: 'custom', W0: best.W, H0: best.H, warmup: 0 }), trials };
}

function expectSameFit(V: Parameters<typeof fitNmf>[0], job: SweepJob, want: FitResult): void {
  const got = runSweepJob(V, { ...job, keepFactors: true });
  expect(Object.is(got.loss, want.loss)).toBe(true);
  expect(Array.from(got.factors!.W.data)).toEqual(Array.from(want.W.data));
  expect(Array.from(got.factors!.H.data)).toEqual(Array.from(want.H.data));
}

describe('the screen of a fold fit without cvScreenAfterWarmup', () => {
  it('keeps the job JSON and the fit of a warm-up until HALS settles', () => {
    for (const seed of [1, 2]) {
      const { V } = synthesizeGeneModules({ features: 60, samples: 24, rank: 3, seed });
      const job = foldJob(planSweep(spec(seed)));
      // The warm-up and 150 updates (at least twice the warm-up), and no other field.
      expect(job.screen).toStrictEqual({ starts: 3, iterations: 180 });
      expect(JSON.stringify(job)).not.toContain('afterWarmup');
      // Each start: its settled warm-up and 150 updates, within the fit's own maxIter.
      const input = maskFold(V, makeCvFolds(V.rows, V.cols, 3, job.cv!.seed), 1);
      const { fit } = screenByHand(input, job, { maxIter: 300, iterationsAfterWarmup: 150 });
      expectSameFit(V, job, fit);
    }
  });
});

describe('the screen of a fold fit with cvScreenAfterWarmup', () => {
  it('plans the same jobs but for the screen, which says its length after the warm-up', () => {
    const plain = planSweep(spec(1));
    for (const after of [0, 50]) {
      const jobs = planSweep(spec(1, { cvScreenAfterWarmup: after }));
      expect(jobs.map((j) => j.id)).toEqual(plain.map((j) => j.id));
      for (const [t, job] of jobs.entries()) {
        if (job.kind !== 'fold') {
          expect(job).toStrictEqual(plain[t]);
          continue;
        }
        expect(job.screen).toStrictEqual({ starts: 3, iterations: 30 + after, afterWarmup: after });
        expect({ ...job, screen: plain[t].screen }).toStrictEqual(plain[t]);
      }
    }
  });

  it('with 0, compares the starts where their settled warm-up ends and continues the best', () => {
    for (const seed of [1, 2]) {
      const { V } = synthesizeGeneModules({ features: 60, samples: 24, rank: 3, seed });
      const job = foldJob(planSweep(spec(seed, { cvScreenAfterWarmup: 0 })));
      const input = maskFold(V, makeCvFolds(V.rows, V.cols, 3, job.cv!.seed), 1);
      const { fit, trials } = screenByHand(input, job, { maxIter: 300, iterationsAfterWarmup: 0 });
      // Every start stopped with its warm-up, and one settled past the 30-iteration minimum.
      for (const trial of trials) expect(trial.iterations).toBe(trial.warmupIterations);
      expect(trials.some((trial) => trial.iterations > 30)).toBe(true);
      expectSameFit(V, job, fit);
      const got = runSweepJob(V, job);
      const warmups = trials.reduce((sum, trial) => sum + trial.iterations, 0);
      expect(got.iterations).toBe(warmups + fit.iterations);
    }
  });

  it('with N, runs N updates after each warm-up, fixed or settling, whatever the cap of twice the warm-up', () => {
    const { V } = synthesizeGeneModules({ features: 60, samples: 24, rank: 3, seed: 3 });
    for (const warmupTol of [1e-3, 0]) {
      const job = foldJob(planSweep(spec(3, { cvScreenAfterWarmup: 10 }, warmupTol)));
      const input = maskFold(V, makeCvFolds(V.rows, V.cols, 3, job.cv!.seed), 1);
      const { fit, trials } = screenByHand(input, job, { maxIter: 300, iterationsAfterWarmup: 10 });
      for (const trial of trials) expect(trial.iterations).toBe(trial.warmupIterations! + 10);
      if (warmupTol === 0) expect(trials.every((trial) => trial.warmupIterations === 30)).toBe(true);
      expectSameFit(V, job, fit);
    }
  });

  it('is refused when negative, fractional, or without a warm-up to screen after', () => {
    expect(() => planSweep(spec(1, { cvScreenAfterWarmup: -1 }))).toThrow(/cvScreenAfterWarmup must be/);
    expect(() => planSweep(spec(1, { cvScreenAfterWarmup: 2.5 }))).toThrow(/cvScreenAfterWarmup must be/);
    const noWarmup = spec(1, { cvScreenAfterWarmup: 0 });
    expect(() => planSweep({ ...noWarmup, fit: { ...noWarmup.fit, warmup: 0 } })).toThrow(/warm-started/);
    expect(() => planSweep({ ...noWarmup, fit: { ...noWarmup.fit, solver: 'hals' } })).toThrow(
      /warm-started/,
    );
  });
});
