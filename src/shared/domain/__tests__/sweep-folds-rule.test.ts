import { describe, expect, it } from 'vitest';
import { requestSchemas } from '../../api/channels';
import { planSweep } from '../../analysis';
import { cvFoldsProblem, MAX_CV_FOLDS, SWEEP_DEFAULTS } from '../defaults';
import { sweepParamsSchema } from '../params';

/**
 * "0 folds (none) or 2..max" is one rule (`cvFoldsProblem`): the sweep schema refines with it, so
 * the API channels and the command line refuse one fold before anything is stored, and the planner
 * and the New sweep form ask the same function.
 */
describe('the cross-validation folds rule', () => {
  const sweep = (cvFolds: number) => ({ fromRank: 2, toRank: 4, cvFolds });

  it('accepts no cross-validation and 2..MAX_CV_FOLDS folds', () => {
    for (const folds of [0, 2, 3, MAX_CV_FOLDS]) {
      expect(cvFoldsProblem(folds)).toBeNull();
      expect(sweepParamsSchema.safeParse(sweep(folds)).success).toBe(true);
    }
    expect(sweepParamsSchema.parse({ fromRank: 2, toRank: 4 }).cvFolds).toBe(SWEEP_DEFAULTS.cvFolds);
  });

  it('refuses one fold in the schema, naming the field and why', () => {
    const result = sweepParamsSchema.safeParse(sweep(1));
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([
      expect.objectContaining({ path: ['cvFolds'], message: cvFoldsProblem(1) }),
    ]);
    expect(cvFoldsProblem(1)).toMatch(/at least 2 folds/);
  });

  it('refuses negative, fractional and too many folds with one message each', () => {
    for (const folds of [-1, 2.5, MAX_CV_FOLDS + 1]) {
      const result = sweepParamsSchema.safeParse(sweep(folds));
      expect(result.success).toBe(false);
      expect(result.error?.issues).toHaveLength(1);
      expect(result.error?.issues[0].message).toBe(cvFoldsProblem(folds));
    }
    expect(cvFoldsProblem(Number.NaN)).not.toBeNull();
    expect(sweepParamsSchema.safeParse(sweep(Number.NaN)).success).toBe(false);
  });

  it('is what the sweep channels validate and what the planner applies (up to its own limit)', () => {
    for (const channel of ['sweeps:start', 'sweeps:estimate'] as const) {
      const refused = requestSchemas[channel].safeParse({ datasetId: 1, params: sweep(1) });
      expect(refused.success).toBe(false);
      expect(requestSchemas[channel].safeParse({ datasetId: 1, params: sweep(2) }).success).toBe(true);
    }
    expect(() => planSweep({ fromRank: 2, toRank: 3, cvFolds: 1 })).toThrow(cvFoldsProblem(1)!);
    // The planner stores fold ids in a byte (255 marks an entry no fold holds out): more folds than
    // the app offers, but the same rule.
    expect(planSweep({ fromRank: 2, toRank: 2, replicates: 1, cvFolds: 30, baseline: false }).length).toBe(
      1 + 30 + 20,
    );
    expect(() => planSweep({ fromRank: 2, toRank: 2, cvFolds: 255 })).toThrow(cvFoldsProblem(255, 254)!);
  });
});
