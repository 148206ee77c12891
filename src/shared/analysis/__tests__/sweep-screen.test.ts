import { describe, expect, it } from 'vitest';
import { fitNmf } from '../../nmf';
import type { FitResult } from '../../nmf/types';
import { makeCvFolds, maskFold, shuffleWithinRows } from '../crossval';
import { planSweep } from '../sweep-plan';
import { runSweepJob } from '../sweep-job';
import { synthesizeGeneModules } from '../synthetic';

/**
 * Screened fold fits evaluate the loss only where it decides (the end of each screened start):
 * their results must be those of screening with the loss traced every 10 iterations, bit for bit.
 */
function screenedWithTrace(V: Parameters<typeof fitNmf>[0], job: ReturnType<typeof planSweep>[number]) {
  const screen = job.screen!;
  let best: FitResult | null = null;
  for (let t = 0; t < screen.starts; t++) {
    const trial = fitNmf(V, {
      ...job.fit,
      seed: (job.fit.seed ?? 0) + t,
      maxIter: screen.iterations,
      tol: 0,
    });
    if (best === null || trial.loss < best.loss) best = trial;
  }
  return fitNmf(V, { ...job.fit, init: 'custom', W0: best!.W, H0: best!.H, warmup: 0 });
}

describe('screened fold fits', () => {
  for (const [beta, warmup] of [
    [1, 30],
    [1, 0],
    [0.5, 20],
  ] as const) {
    it(`give the same W, H and loss as screening with a traced loss (β = ${beta}, warm-up ${warmup})`, () => {
      for (const seed of [1, 2]) {
        const { V } = synthesizeGeneModules({ features: 60, samples: 24, rank: 3, seed });
        const jobs = planSweep({
          fromRank: 3,
          toRank: 3,
          replicates: 1,
          cvFolds: 3,
          cvScreenIterations: 25,
          consensusReplicates: 0,
          baseline: false,
          fit: { beta, warmup, maxIter: 120, tol: 1e-5, seed },
        });
        const job = jobs.find((j) => j.kind === 'fold' && j.index === 1)!;
        expect(job.screen).not.toBeNull();
        const got = runSweepJob(V, job);
        const folds = makeCvFolds(V.rows, V.cols, 3, job.cv!.seed);
        const want = screenedWithTrace(maskFold(V, folds, 1), job);
        expect(Object.is(got.loss, want.loss)).toBe(true);
        expect(got.iterations - job.screen!.starts * job.screen!.iterations).toBe(want.iterations);
        const fitted = runSweepJob(V, { ...job, keepFactors: true }).factors!;
        expect(Array.from(fitted.W.data)).toEqual(Array.from(want.W.data));
        expect(Array.from(fitted.H.data)).toEqual(Array.from(want.H.data));
        // The kept fit's times, one per trace point, counted from the start of the screen.
        const seconds = fitted.traceSeconds!;
        expect(seconds).toHaveLength(fitted.trace.length);
        expect(seconds.every((t, i) => t >= 0 && (i === 0 || t >= seconds[i - 1]))).toBe(true);
      }
    });
  }
});

describe('log-likelihoods of sweep jobs', () => {
  it('are computed for the data replicates only, and skipping them changes no fit', () => {
    const { V } = synthesizeGeneModules({ features: 40, samples: 20, rank: 2, seed: 3 });
    const jobs = planSweep({
      fromRank: 2,
      toRank: 2,
      replicates: 2,
      cvFolds: 2,
      cvScreenIterations: 10,
      consensusReplicates: 2,
      fit: { maxIter: 60, warmup: 10, seed: 4 },
    });
    for (const job of jobs) {
      const got = runSweepJob(V, job);
      if (job.kind === 'replicate' && !job.baseline) {
        expect(got.loglik).not.toBeNull();
        continue;
      }
      expect(got.loglik).toBeNull();
      if (job.kind === 'fold') continue;
      // Same fit with the log-likelihood on: same loss, to the bit.
      const input = job.baseline ? shuffleWithinRows(V, job.shuffleSeed) : V;
      const want = fitNmf(input, job.fit);
      expect(want.loglik).not.toBeNull();
      expect(Object.is(got.loss, want.loss)).toBe(true);
    }
  });
});
