import { describe, expect, it } from 'vitest';
import { RUN_FIT_DEFAULTS, SWEEP_FIT_DEFAULTS } from '../defaults';
import { completeRunParams, sweepParamsSchema } from '../params';

describe('run and sweep parameters', () => {
  it('resolve the solver from the loss and keep a warm-up only for multiplicative updates', () => {
    const kl = completeRunParams({ rank: 3, warmup: 150 });
    expect(kl).toEqual(expect.objectContaining({ loss: 'kl', beta: 1, solver: 'mu', warmup: 150 }));
    const frobenius = completeRunParams({ rank: 3, loss: 'frobenius', warmup: 150 });
    expect(frobenius).toEqual(expect.objectContaining({ beta: 2, solver: 'hals', warmup: 0 }));
    // Multiplicative updates get the warm-up by default; 0 asks for plain MU.
    expect(completeRunParams({ rank: 3 }).warmup).toBe(RUN_FIT_DEFAULTS.warmup);
    expect(RUN_FIT_DEFAULTS.warmup).toBeGreaterThan(0);
    expect(completeRunParams({ rank: 3, warmup: 0 }).warmup).toBe(0);
    expect(completeRunParams({ rank: 3, loss: 'frobenius' }).warmup).toBe(0);
    expect(() => completeRunParams({ rank: 3, warmup: -1 })).toThrow();
    expect(() => completeRunParams({ rank: 3, warmup: 1.5 })).toThrow();
  });

  it('let a warm-up go on until HALS settles by default, and record 0 where there is no warm-up', () => {
    expect(RUN_FIT_DEFAULTS.warmupTol).toBeGreaterThan(0);
    expect(completeRunParams({ rank: 3 }).warmupTol).toBe(RUN_FIT_DEFAULTS.warmupTol);
    expect(completeRunParams({ rank: 3, warmupTol: 0 }).warmupTol).toBe(0);
    expect(completeRunParams({ rank: 3, warmupTol: 0.01 }).warmupTol).toBe(0.01);
    expect(completeRunParams({ rank: 3, warmup: 0, warmupTol: 0.01 }).warmupTol).toBe(0);
    expect(completeRunParams({ rank: 3, loss: 'frobenius' }).warmupTol).toBe(0);
    expect(() => completeRunParams({ rank: 3, warmupTol: -0.1 })).toThrow();
    expect(() => completeRunParams({ rank: 3, warmupTol: 0.6 })).toThrow();
    // A sweep stores it, so that one stored before the field can be told apart (absent: fixed).
    expect(sweepParamsSchema.parse({ fromRank: 2, toRank: 4 }).fit.warmupTol).toBe(
      SWEEP_FIT_DEFAULTS.warmupTol,
    );
  });

  it('give sweeps their own fit defaults, the warm-up among them', () => {
    const sweep = sweepParamsSchema.parse({ fromRank: 2, toRank: 4 });
    expect(sweep.fit).toEqual(
      expect.objectContaining({
        init: SWEEP_FIT_DEFAULTS.init,
        maxIter: SWEEP_FIT_DEFAULTS.maxIter,
        tol: SWEEP_FIT_DEFAULTS.tol,
        warmup: SWEEP_FIT_DEFAULTS.warmup,
      }),
    );
    expect(sweepParamsSchema.parse({ fromRank: 2, toRank: 4, fit: { warmup: 0 } }).fit.warmup).toBe(0);
  });
});
