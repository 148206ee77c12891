import { describe, expect, it } from 'vitest';
import { requestSchemas } from '../../api/channels';
import { planSweep } from '../../analysis';
import { cvFoldsFor, CV_FULL_MAX_ENTRIES, makeCvFolds } from '../../analysis/crossval';
import { cvFoldsProblem, cvHoldoutProblem, MAX_CV_FOLDS, SWEEP_DEFAULTS } from '../defaults';
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

/**
 * "cvHoldout above 0 and at most 1/cvFolds" is one rule too (`cvHoldoutProblem`): the schema, the
 * planner and the fold builders refuse a holdout with the same sentence, naming the value and the
 * folds.
 */
describe('the cross-validation holdout rule', () => {
  const sweep = (cvFolds: number, cvHoldout: number) => ({ fromRank: 2, toRank: 3, cvFolds, cvHoldout });

  it('names the value and the bound its folds set', () => {
    expect(cvHoldoutProblem(3, 0.4)).toBe(
      'cvHoldout must be above 0 and at most 1/cvFolds = 1/3 (0.333), got 0.4',
    );
    expect(cvHoldoutProblem(20, 0.06)).toBe(
      'cvHoldout must be above 0 and at most 1/cvFolds = 1/20 (0.05), got 0.06',
    );
    expect(cvHoldoutProblem(0, 0.7)).toBe(
      'cvHoldout must be above 0 and at most 1/2 (0.5, the most 2 folds allow; cvFolds is 0), got 0.7',
    );
  });

  it('accepts up to 1/cvFolds within rounding, and refuses 0, negatives and NaN', () => {
    for (const [folds, holdout] of [
      [3, 1 / 3],
      [3, 0.1],
      [2, 0.5],
      [7, 1 / 7],
      [0, 0.5],
    ])
      expect(cvHoldoutProblem(folds, holdout), `${folds} ${holdout}`).toBeNull();
    // Rounding: 3 × (1/3 + 1e-14) is above 1 by less than the tolerance; 1e-9 is not.
    expect(cvHoldoutProblem(3, 1 / 3 + 1e-14)).toBeNull();
    expect(cvHoldoutProblem(3, 1 / 3 + 1e-9)).not.toBeNull();
    for (const holdout of [0, -0.1, Number.NaN]) expect(cvHoldoutProblem(3, holdout)).not.toBeNull();
  });

  it('is the one message of the schema, the planner and the fold builders', () => {
    for (const [folds, holdout] of [
      [3, 0.4],
      [3, 0],
      [3, -1],
      [5, 0.25],
      [0, 0.7],
    ]) {
      const message = cvHoldoutProblem(folds, holdout)!;
      const result = sweepParamsSchema.safeParse(sweep(folds, holdout));
      expect(result.error?.issues).toEqual([expect.objectContaining({ path: ['cvHoldout'], message })]);
      expect(() => planSweep(sweep(folds, holdout))).toThrow(message);
      if (folds >= 2) {
        expect(() => makeCvFolds(10, 10, folds, 0, holdout)).toThrow(message);
        expect(() => cvFoldsFor(10, 10, folds, 0, CV_FULL_MAX_ENTRIES, holdout)).toThrow(message);
      }
    }
  });
});
