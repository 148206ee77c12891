import type { SweepDetail } from '../../../../shared/domain';

/**
 * The runs to compare when a sweep's recommendation carries `marginal_gain` (recommend.ts
 * `MARGINAL_CV_GAIN`), as the Compare screen's `?runs=` takes them: when a higher rank predicts
 * better than the chosen one (the rule's tolerance took the simpler rank), the chosen rank and the
 * one of lowest held-out error; otherwise (the chosen rank barely beats the rank below) the rank
 * below and the chosen one. Null when the warning is absent or either run was not kept.
 */
export function marginalComparison(
  sweep: Pick<SweepDetail, 'recommendation' | 'ranks'>,
): { lower: number; higher: number; lowerRank: number; higherRank: number; href: string } | null {
  const rec = sweep.recommendation;
  if (!rec || rec.rank === null || !rec.warnings?.some((w) => w.code === 'marginal_gain')) return null;
  const chosen = sweep.ranks.find((r) => r.rank === rec.rank);
  if (!chosen || chosen.cvError === null) return null;
  let better: (typeof sweep.ranks)[number] | null = null;
  for (const r of sweep.ranks)
    if (r.rank > chosen.rank && r.cvError !== null && r.cvError < (better?.cvError ?? chosen.cvError))
      better = r;
  const pair = better ? [chosen, better] : [sweep.ranks.find((r) => r.rank === chosen.rank - 1), chosen];
  const [lower, higher] = pair;
  if (!lower?.runId || !higher?.runId) return null;
  return {
    lower: lower.runId,
    higher: higher.runId,
    lowerRank: lower.rank,
    higherRank: higher.rank,
    href: `#/compare?runs=${lower.runId},${higher.runId}`,
  };
}
