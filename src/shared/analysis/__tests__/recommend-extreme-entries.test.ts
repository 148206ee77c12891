import { describe, expect, it } from 'vitest';
import { recommendRank } from '../recommend';
import type { RankSummary } from '../types';
import { foldRank } from './criteria';

/**
 * A step up in rank that only the most extreme held-out entries carry (`extreme_entries`). The
 * errors are those of a KL fold sweep (`scripts/measure/fold-rank.ts --kinds unequal-sizes
 * --module-sizes 270,12,8,6,4 --samples 1000 --seeds 4 --warmup-tol 1e-3`: ranks 3..7, one
 * replicate, 3 folds, 5 planted modules). Every fold held out all entries of a small module in some
 * samples, so the mean errors at k ≥ 5 are 6–22 and erratic, while with each fold's largest 1 %
 * of entry errors left out they are 0.4850, 0.4847 and 0.4859: the mean chose 6, the planted rank
 * is 5.
 */
function withTrimmed(r: RankSummary, trimmed: number): RankSummary {
  return { ...r, cvErrorTrimmed: trimmed };
}

const smallModulesSeed4: RankSummary[] = [
  withTrimmed(
    foldRank(
      3,
      [106.6233600971595, 106.4522872441615, 104.38737345926783],
      99.72095845479284,
      1.421555849027284,
    ),
    52.117292728158816,
  ),
  withTrimmed(
    foldRank(
      4,
      [57.86768278587751, 59.49729540106752, 59.76925759982099],
      52.944696783518566,
      1.4816369239955938,
    ),
    22.762248682548204,
  ),
  withTrimmed(
    foldRank(
      5,
      [24.66898721946587, 18.16097956994064, 21.855140768311195],
      15.461654040502472,
      3.3871105545640527,
    ),
    0.48498345413721894,
  ),
  withTrimmed(
    foldRank(6, [4.545406490513014, 9.286740845688083, 4.467998100009195], 0, 0),
    0.48469891957864175,
  ),
  withTrimmed(
    foldRank(
      7,
      [27.168755477165252, 25.23451324213108, 4.921128610959116],
      13.008083964681717,
      6.5666067562063954,
    ),
    0.48589755964356907,
  ),
];

const options = { integerData: true, fromRank: 3, toRank: 7 } as const;

describe('a step up in rank carried by the most extreme held-out entries', () => {
  it('keeps the rank of the means and says that the trimmed errors do not separate it from the rank below', () => {
    const r = recommendRank(smallModulesSeed4, options);
    expect(r).toMatchObject({ rank: 6, criterion: 'cv-1se' });
    expect(r.warnings.map((w) => w.code)).toEqual(['extreme_entries']);
    const message = r.warnings[0].message;
    expect(message).toContain(
      'k = 6 predicts the held-out entries better than k = 5 only in their most extreme ones',
    );
    expect(message).toContain('21.56 at k = 5 against 6.100 at k = 6');
    expect(message).toContain('it is 0.4850 against 0.4847, within 1 %');
    expect(message).toContain('Compare the runs at k = 5 and 6');
    expect(message).toContain('--cv-holdout 0.1');
  });

  it('names the sweep’s own holdout instead of suggesting one', () => {
    const r = recommendRank(smallModulesSeed4, { ...options, cvHoldout: 0.1 });
    const message = r.warnings.find((w) => w.code === 'extreme_entries')!.message;
    expect(message).toContain("This sweep's folds already hold out 10 % of the entries each");
    expect(message).not.toContain('--cv-holdout 0.1)');
  });

  it('is silent when the trimmed errors also separate the step (beyond 1 %)', () => {
    const ranks = smallModulesSeed4.map((r) => (r.rank === 5 ? withTrimmed(r, 0.4847 * 1.011) : r));
    expect(recommendRank(ranks, options).warnings).toEqual([]);
  });

  it('is silent without trimmed errors (sweeps stored before them)', () => {
    const ranks = smallModulesSeed4.map((r) => ({ ...r, cvErrorTrimmed: null }));
    expect(recommendRank(ranks, options).warnings).toEqual([]);
  });

  it('is silent at the planted rank of a sweep whose step into it shows in the trimmed errors', () => {
    // Seed 8 of the same modules: the means and the trimmed errors agree on 5.
    const ranks = [
      withTrimmed(foldRank(3, [95.1, 94.8, 95.0], 94.4, 1), 58.6),
      withTrimmed(foldRank(4, [47.9, 47.7, 47.9], 47.3, 1), 25.69),
      withTrimmed(foldRank(5, [0.5213, 0.5214, 0.5212], 0, 0), 0.4812),
      withTrimmed(foldRank(6, [0.5226, 0.5225, 0.5226], 0.0013, 0.0001), 0.4816),
      withTrimmed(foldRank(7, [0.5231, 0.5232, 0.523], 0.0018, 0.0001), 0.4821),
    ];
    const r = recommendRank(ranks, options);
    expect(r.rank).toBe(5);
    expect(r.warnings).toEqual([]);
  });
});
