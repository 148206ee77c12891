import { describe, expect, it } from 'vitest';
import { ELBOW_GAIN_RATIO, MARGINAL_CV_GAIN, recommendRank } from '../recommend';
import { foldRank } from './criteria';

/**
 * The cross-validated rule counts a difference under 1 % of the lowest held-out error as none
 * (`marginal_gain` names the rank the standard error alone would have taken), and flags a chosen
 * rank that gains under a tenth of the largest step before it. The held-out
 * errors are those of KL fold sweeps (`scripts/measure/fold-rank.ts`, 3 folds, 5 planted modules)
 * of log1p intensities (`hardCase('intensities')`) at 300 × 100 — on seed 1 k = 6 predicts 0.51 %
 * better than k = 5 on all three folds and the one-SE rule picks it; on seed 2 k = 5 is lowest —
 * and at 300 × 1000, where seed 1 picks 6 for 2.3 %; and of correlated counts at 300 × 1000.
 */
const rank = foldRank;

const seed1 = [
  rank(4, [0.012058942085743797, 0.012218841196792066, 0.012150125216950457], 0.00795693944720331, 5.51e-5),
  rank(5, [0.004159805128283658, 0.004183779901156989, 0.00427730345717194], 2.1266109578732192e-5, 1.217e-5),
  rank(6, [0.0041628144821336715, 0.004151903002234393, 0.004242372673508325], 0, 0),
  rank(
    7,
    [0.004333487847819416, 0.004819015364664888, 0.004355048032503354],
    0.0003168203623704228,
    1.759e-4,
  ),
];
const seed2 = [
  rank(4, [0.012719353475152295, 0.01263456202040186, 0.012872684146946069], 0.008673771390896902, 3.48e-5),
  rank(5, [0.0040125361052052, 0.004030429357002221, 0.004162320007602095], 0, 0),
  rank(6, [0.004082544005143057, 0.004100866484383638, 0.004255657544918964], 7.792752154538087e-5, 7.7e-6),
  rank(
    7,
    [0.004165063856754211, 0.004232073312474305, 0.004347458361464631],
    0.00017977002029454393,
    1.44e-5,
  ),
];

const intensities1000 = [
  rank(3, [0.023077307626048368, 0.023324327877274103, 0.023128960401903254], 0.01938585449311102, 7.716e-5),
  rank(4, [0.012725240199153404, 0.012785509558570477, 0.012706495631848589], 0.008948070987893268, 2.731e-5),
  rank(
    5,
    [0.0038773578063635928, 0.003912530104638778, 0.0038870079444323284],
    0.00010128780984734337,
    1.272e-5,
  ),
  rank(
    6,
    [0.0038260506086277525, 0.003785985411113198, 0.003792608557646707],
    1.0537383831662911e-5,
    1.419e-5,
  ),
  rank(7, [0.003787450189687809, 0.0037858425036310125, 0.0037997397325738474], 0, 0),
];
const correlated1000 = [
  rank(3, [42.69795739980687, 42.22425219470676, 42.88596743675573], 42.081817635145434, 0.1966),
  rank(4, [2.348016772860236, 2.3970689896050352, 2.3133195370506403], 1.8318937245609554, 0.02441),
  rank(5, [0.5234929824173746, 0.5179682882854063, 0.5238544868405365], 0.0008638772367576264, 0.002045),
  rank(6, [0.5244600978975894, 0.5193570353470305, 0.5189069925884247], 0, 0),
  rank(7, [0.5273649693711816, 0.520866007674028, 0.5213596456109851], 0.0022888322743834046, 0.0004112),
];

describe('a cross-validated rank that predicts barely better than the rank below', () => {
  it('takes the simpler rank when the better one gains under 1 %: seed 1 gives 5 and names 6', () => {
    const r = recommendRank(seed1, { integerData: false, fromRank: 4, toRank: 7 });
    expect(r).toMatchObject({ rank: 5, criterion: 'cv-1se' });
    const marginal = r.warnings.find((w) => w.code === 'marginal_gain');
    expect(marginal?.message).toContain('k = 6 predicts the held-out entries 0.5055 % better than k = 5');
    expect(marginal?.message).toContain('so the simpler k = 5 is recommended');
    expect(marginal?.message).toContain('Compare the runs at k = 5 and 6');
    expect(r.reasoning.join(' ')).toContain('within one standard error or 1 % of that minimum');
  });

  it('is not flagged where the step into the rank is large: seed 2 gives k = 5 (68 % below k = 4)', () => {
    const r = recommendRank(seed2, { integerData: false, fromRank: 4, toRank: 7 });
    expect(r).toMatchObject({ rank: 5, criterion: 'cv-1se' });
    expect(r.warnings.map((w) => w.code)).not.toContain('marginal_gain');
  });

  it('flags a gain past the elbow: 300 × 1000, seed 1 picks 6 for 2.3 % after 69 % into 5', () => {
    const r = recommendRank(intensities1000, { integerData: false, fromRank: 3, toRank: 7 });
    expect(r).toMatchObject({ rank: 6, criterion: 'cv-1se' });
    const marginal = r.warnings.find((w) => w.code === 'marginal_gain');
    expect(marginal?.message).toContain('only 2.332 % better than k = 5');
    expect(marginal?.message).toContain('small next to the 69.45 % of the step into k = 5');
  });

  it('does not flag counts whose step into the planted rank is most of the largest step', () => {
    const r = recommendRank(correlated1000, { fromRank: 3, toRank: 7 });
    expect(r).toMatchObject({ rank: 5, criterion: 'cv-1se' });
    expect(r.warnings.map((w) => w.code)).not.toContain('marginal_gain');
  });

  it('counts differences under the tolerance as none, and flags gains past the elbow', () => {
    /** Errors 1 at k = 3, then the given relative steps into k = 4 and k = 5; paired SEs 0. */
    const outcome = (into4: number, into5: number): { rank: number | null; codes: string[] } => {
      const errors = [1, 1 - into4, (1 - into4) * (1 - into5)];
      const lowest = Math.min(...errors);
      const rows = errors.map((e, i) => rank(3 + i, [e, e, e], e - lowest, 0));
      const r = recommendRank(rows, { fromRank: 3, toRank: 5 });
      return { rank: r.rank, codes: r.warnings.map((w) => w.code) };
    };
    // A 0.5 % step into 5 is within the tolerance: 4, with 5 named.
    expect(outcome(0.05, MARGINAL_CV_GAIN / 2)).toEqual({ rank: 4, codes: ['marginal_gain'] });
    expect(outcome(0.05, MARGINAL_CV_GAIN * 1.5)).toEqual({ rank: 5, codes: ['edge_of_range'] });
    // Past a 50 % step, a step under a tenth of it (but over 1 %) is kept and flagged.
    expect(outcome(0.5, ELBOW_GAIN_RATIO * 0.5 * 0.9).codes).toContain('marginal_gain');
    expect(outcome(0.5, ELBOW_GAIN_RATIO * 0.5 * 0.9).rank).toBe(5);
    expect(outcome(0.5, ELBOW_GAIN_RATIO * 0.5 * 1.1).codes).not.toContain('marginal_gain');
  });
});
