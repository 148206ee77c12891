import type { SweepDetail } from '../../../../shared/domain';

/**
 * The runs to compare when a sweep's recommendation carries `marginal_gain` (the chosen rank
 * predicts barely better than the rank below: recommend.ts `MARGINAL_CV_GAIN`): the rank below's
 * run and the chosen rank's, as the Compare screen's `?runs=` takes them; null when the warning is
 * absent or either run was not kept.
 */
export function marginalComparison(
  sweep: Pick<SweepDetail, 'recommendation' | 'ranks'>,
): { below: number; chosen: number; href: string } | null {
  const rec = sweep.recommendation;
  if (!rec || rec.rank === null || !rec.warnings?.some((w) => w.code === 'marginal_gain')) return null;
  const runOf = (rank: number): number | null => sweep.ranks.find((r) => r.rank === rank)?.runId ?? null;
  const below = runOf(rec.rank - 1);
  const chosen = runOf(rec.rank);
  return below !== null && chosen !== null
    ? { below, chosen, href: `#/compare?runs=${below},${chosen}` }
    : null;
}
