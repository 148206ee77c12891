import { describe, expect, it } from 'vitest';
import type { SweepDetail } from '../../../../../shared/domain';
import { marginalComparison } from '../sweep-view';

/** A sweep's recommendation and ranks as the Sweep screen reads them (only runId matters here). */
function sweepWith(
  rank: number | null,
  codes: string[],
  runIds: Record<number, number | null>,
): Pick<SweepDetail, 'recommendation' | 'ranks'> {
  return {
    recommendation: {
      rank,
      criterion: 'cv-1se',
      reasoning: [],
      warnings: codes.map((code) => ({ code, message: code })),
    },
    ranks: Object.entries(runIds).map(
      ([k, runId]) => ({ rank: Number(k), runId }) as unknown as SweepDetail['ranks'][number],
    ),
  };
}

describe('the Sweep screen offers to compare a marginal choice with the rank below', () => {
  it('links the rank below and the chosen rank, in that order', () => {
    expect(
      marginalComparison(sweepWith(6, ['non_count_data', 'marginal_gain'], { 4: 7, 5: 8, 6: 9 })),
    ).toEqual({
      below: 8,
      chosen: 9,
      href: '#/compare?runs=8,9',
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
