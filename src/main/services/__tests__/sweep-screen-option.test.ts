import { describe, expect, it } from 'vitest';
import { planSweep } from '../../../shared/analysis';
import { sweepParamsSchema } from '../../../shared/domain';
import { sweepSpecOf } from '../sweeps';

/** A sweep's stored `cvScreenAfterWarmup` reaches its fold fits' screens; absent, nothing changes. */
describe('cvScreenAfterWarmup in stored sweep parameters', () => {
  it('reaches the spec and the fold jobs when set, and is left out when absent', () => {
    const plain = sweepParamsSchema.parse({ fromRank: 2, toRank: 3 });
    expect(plain).not.toHaveProperty('cvScreenAfterWarmup');
    expect(sweepSpecOf(plain)).not.toHaveProperty('cvScreenAfterWarmup');
    // The default screen: a 200-iteration warm-up and as many updates again, three starts.
    const plainFold = planSweep(sweepSpecOf(plain)).find((job) => job.kind === 'fold')!;
    expect(plainFold.screen).toStrictEqual({ starts: 3, iterations: 400 });

    const atWarmup = sweepParamsSchema.parse({ fromRank: 2, toRank: 3, cvScreenAfterWarmup: 0 });
    expect(sweepSpecOf(atWarmup).cvScreenAfterWarmup).toBe(0);
    const folds = planSweep(sweepSpecOf(atWarmup)).filter((job) => job.kind === 'fold');
    expect(folds.length).toBeGreaterThan(0);
    for (const job of folds) expect(job.screen).toStrictEqual({ starts: 3, iterations: 200, afterWarmup: 0 });
  });

  it('is refused when negative or fractional', () => {
    for (const cvScreenAfterWarmup of [-1, 2.5]) {
      expect(sweepParamsSchema.safeParse({ fromRank: 2, toRank: 3, cvScreenAfterWarmup }).success).toBe(
        false,
      );
    }
  });
});
