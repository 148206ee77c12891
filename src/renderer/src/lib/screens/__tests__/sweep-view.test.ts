import { describe, expect, it } from 'vitest';
import type { SweepDetail } from '../../../../../shared/domain';
import { marginalComparison } from '../sweep-view';

/** A sweep's recommendation and ranks as the Sweep screen reads them (only runId matters here). */
function sweepWith(
  rank: number | null,
  codes: string[],
  runIds: Record<number, number | null>,
  cvErrors: Record<number, number> = {},
): Pick<SweepDetail, 'recommendation' | 'ranks'> {
  return {
    recommendation: {
      rank,
      criterion: 'cv-1se',
      reasoning: [],
      warnings: codes.map((code) => ({ code, message: code })),
    },
    ranks: Object.entries(runIds).map(
      ([k, runId]) =>
        ({
          rank: Number(k),
          runId,
          cvError: cvErrors[Number(k)] ?? 10 - Number(k),
        }) as unknown as SweepDetail['ranks'][number],
    ),
  };
}

describe('the Sweep screen offers to compare a marginal choice with the rank below', () => {
  it('links the rank below and the chosen rank when the chosen one barely beats it', () => {
    // Errors fall to k = 6 and rise after it: the chosen rank is the lowest.
    const sweep = sweepWith(6, ['non_count_data', 'marginal_gain'], { 4: 7, 5: 8, 6: 9, 7: 10 }, { 7: 5 });
    expect(marginalComparison(sweep)).toEqual({
      lower: 8,
      higher: 9,
      lowerRank: 5,
      higherRank: 6,
      href: '#/compare?runs=8,9',
    });
  });

  it('links the chosen rank and the better one when the tolerance took the simpler rank', () => {
    // k = 7 has the lowest error, k = 6 the next: the comparison is 5 against 7.
    const sweep = sweepWith(
      5,
      ['marginal_gain'],
      { 4: 7, 5: 8, 6: 9, 7: 10 },
      { 4: 2, 5: 1, 6: 0.996, 7: 0.995 },
    );
    expect(marginalComparison(sweep)).toMatchObject({
      lowerRank: 5,
      higherRank: 7,
      href: '#/compare?runs=8,10',
    });
  });

  it('offers nothing without the warning, without a rank, or when either run is missing', () => {
    expect(marginalComparison(sweepWith(6, ['edge_of_range'], { 5: 8, 6: 9 }))).toBeNull();
    expect(marginalComparison(sweepWith(null, ['marginal_gain'], { 5: 8, 6: 9 }))).toBeNull();
    expect(marginalComparison(sweepWith(6, ['marginal_gain'], { 5: null, 6: 9 }))).toBeNull();
    expect(marginalComparison(sweepWith(3, ['marginal_gain'], { 3: 4 }))).toBeNull();
    expect(marginalComparison({ recommendation: null, ranks: [] })).toBeNull();
  });
});
