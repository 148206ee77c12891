import type { RankRecommendation, RankSummary } from './types';

/** Options of {@link recommendRank}. */
export interface RecommendOptions {
  /** Standard errors of slack in the cross-validation rule. Default 1. */
  seMultiplier?: number;
}

function fmt(x: number): string {
  return Math.abs(x) >= 1e5 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : x.toPrecision(4);
}

function argmin<T>(items: readonly T[], value: (item: T) => number): T {
  let best = items[0];
  for (const item of items) if (value(item) < value(best)) best = item;
  return best;
}

/**
 * Recommends a rank from a sweep's criteria.
 *
 * Rule, in order of preference:
 *   1. `cv-1se` — with cross-validation at two or more ranks: the smallest rank whose mean
 *      held-out error is within one standard error of the lowest mean (the one-standard-error rule
 *      of Breiman et al. 1984 and Hastie, Tibshirani & Friedman's ESL §7.10): beyond the true rank
 *      extra components fit noise and the held-out error flattens or rises, and among ranks the
 *      folds cannot tell apart the simplest is preferred.
 *   2. `bic` — without cross-validation, with a Poisson log-likelihood (KL loss): the rank of lowest
 *      BIC (p = k(m + n)).
 *   3. `cophenetic` — with consensus only: Brunet et al. (2004)'s rule, the rank just before the
 *      largest drop of the cophenetic correlation (the highest rank when it never drops).
 *   4. `smallest` — nothing to decide on: the smallest rank swept.
 * The reasoning then cross-checks the choice, without overriding it, against the criteria not used:
 * the gain in held-out error from k − 1 to k and from k to k + 1 compared with the same gain on the
 * row-shuffled baseline (a component worth keeping improves the data more than it improves
 * structureless data of the same marginals), whether the data beat the baseline at all, the BIC
 * minimum, the cophenetic correlation around k, and the stability of the components at k.
 *
 * @param ranks per-rank criteria, any order
 */
export function recommendRank(
  ranks: readonly RankSummary[],
  options: RecommendOptions = {},
): RankRecommendation {
  if (ranks.length === 0) throw new RangeError('no ranks to recommend from');
  const seMultiplier = options.seMultiplier ?? 1;
  const sorted = [...ranks].sort((a, b) => a.rank - b.rank);
  const byRank = new Map(sorted.map((r) => [r.rank, r]));
  const reasoning: string[] = [];
  let rank: number;
  let criterion: string;

  const withCv = sorted.filter((r) => r.cvError !== null);
  const withBic = sorted.filter((r) => r.bic !== null && Number.isFinite(r.bic));
  const withCoph = sorted.filter((r) => r.cophenetic !== null);

  if (withCv.length >= 2) {
    const lowest = argmin(withCv, (r) => r.cvError!);
    const se = lowest.cvErrorSe ?? 0;
    const cutoff = lowest.cvError! + seMultiplier * se;
    const chosen = withCv.find((r) => r.cvError! <= cutoff)!;
    rank = chosen.rank;
    criterion = 'cv-1se';
    reasoning.push(
      `Cross-validation error is lowest at k = ${lowest.rank} (${fmt(lowest.cvError!)} ± ${fmt(se)} per held-out entry).`,
    );
    reasoning.push(
      chosen.rank === lowest.rank
        ? `No smaller rank comes within ${seMultiplier === 1 ? 'one standard error' : `${seMultiplier} standard errors`} of it, so k = ${rank} is recommended.`
        : `k = ${rank} is the smallest rank within ${seMultiplier === 1 ? 'one standard error' : `${seMultiplier} standard errors`} of that minimum (${fmt(chosen.cvError!)}), so the simpler model is recommended.`,
    );
  } else if (withBic.length >= 1) {
    const lowest = argmin(withBic, (r) => r.bic!);
    rank = lowest.rank;
    criterion = 'bic';
    reasoning.push(
      `Without cross-validation, the rank is chosen by BIC (Poisson log-likelihood, k(m + n) parameters): lowest at k = ${rank} (${fmt(lowest.bic!)}).`,
    );
  } else if (withCoph.length >= 2) {
    let drop = -Infinity;
    let before = withCoph[withCoph.length - 1];
    for (let t = 0; t + 1 < withCoph.length; t++) {
      const d = withCoph[t].cophenetic! - withCoph[t + 1].cophenetic!;
      if (d > drop) {
        drop = d;
        before = withCoph[t];
      }
    }
    if (drop <= 0) before = withCoph[withCoph.length - 1];
    rank = before.rank;
    criterion = 'cophenetic';
    reasoning.push(
      drop > 0
        ? `Without cross-validation or likelihood, Brunet et al.'s rule applies: the cophenetic correlation drops most after k = ${rank} (by ${fmt(drop)}).`
        : `Without cross-validation or likelihood, Brunet et al.'s rule applies: the cophenetic correlation never drops, so the highest rank swept, k = ${rank}, is taken.`,
    );
  } else {
    rank = sorted[0].rank;
    criterion = 'smallest';
    reasoning.push(
      `No rank-selection criterion was computed (use cross-validation folds or several replicates); the smallest rank swept, k = ${rank}, is shown.`,
    );
  }

  const chosen = byRank.get(rank)!;
  const previous = byRank.get(rank - 1);
  const next = byRank.get(rank + 1);

  // Baseline cross-check: gains in held-out error on the data versus on the shuffled copy.
  const gain = (
    a: RankSummary | undefined,
    b: RankSummary | undefined,
    side: 'data' | 'baseline',
  ): number | null => {
    if (!a || !b) return null;
    const ea = side === 'data' ? a.cvError : (a.baseline?.cvError ?? null);
    const eb = side === 'data' ? b.cvError : (b.baseline?.cvError ?? null);
    return ea === null || eb === null ? null : ea - eb;
  };
  const signed = (x: number): string => (x > 0 ? '+' : x < 0 ? '−' : '') + fmt(Math.abs(x));
  const gainIn = gain(previous, chosen, 'data');
  const baseGainIn = gain(previous, chosen, 'baseline');
  if (gainIn !== null && baseGainIn !== null) {
    reasoning.push(
      gainIn > baseGainIn
        ? `Going from k = ${rank - 1} to ${rank} changes the held-out error by ${signed(-gainIn)} on the data and by ${signed(-baseGainIn)} on the row-shuffled baseline: component ${rank} captures structure, not noise.`
        : `Caution: going from k = ${rank - 1} to ${rank} changes the held-out error by ${signed(-gainIn)} on the data, no better than on the row-shuffled baseline (${signed(-baseGainIn)}).`,
    );
  }
  const gainOut = gain(chosen, next, 'data');
  const baseGainOut = gain(chosen, next, 'baseline');
  if (gainOut !== null && baseGainOut !== null) {
    reasoning.push(
      gainOut > baseGainOut && gainOut > 0
        ? `Going on to k = ${rank + 1} still changes the held-out error by ${signed(-gainOut)}, better than on the baseline (${signed(-baseGainOut)}): a higher rank may hold more structure.`
        : `Going on to k = ${rank + 1} changes the held-out error by ${signed(-gainOut)}, no better than on the baseline (${signed(-baseGainOut)}): the extra component fits noise.`,
    );
  }
  if (
    chosen.cvError !== null &&
    chosen.baseline?.cvError != null &&
    chosen.cvError >= chosen.baseline.cvError
  ) {
    reasoning.push(
      `Caution: at k = ${rank} the held-out error of the data (${fmt(chosen.cvError)}) is no lower than that of its row-shuffled copy (${fmt(chosen.baseline.cvError)}): there is little low-rank structure to find.`,
    );
  }

  if (criterion !== 'bic' && withBic.length >= 2) {
    const lowestBic = argmin(withBic, (r) => r.bic!).rank;
    reasoning.push(
      lowestBic === rank
        ? `BIC (k(m + n) parameters) is also lowest at k = ${rank}.`
        : `BIC (k(m + n) parameters) is lowest at k = ${lowestBic}${lowestBic > rank ? '; with many observations BIC tends to favour higher ranks' : ''}.`,
    );
  }

  if (criterion !== 'cophenetic' && chosen.cophenetic !== null) {
    const nextCoph = next?.cophenetic ?? null;
    reasoning.push(
      nextCoph === null
        ? `Cophenetic correlation at k = ${rank} is ${fmt(chosen.cophenetic)}.`
        : nextCoph < chosen.cophenetic
          ? `Cophenetic correlation is ${fmt(chosen.cophenetic)} at k = ${rank} and falls to ${fmt(nextCoph)} at k = ${rank + 1}, the drop Brunet et al. (2004) read as the rank limit.`
          : `Cophenetic correlation is ${fmt(chosen.cophenetic)} at k = ${rank} and does not fall at k = ${rank + 1} (${fmt(nextCoph)}).`,
    );
  }
  if (chosen.stability !== null) {
    reasoning.push(
      `Components at k = ${rank} are ${chosen.stability >= 0.9 ? 'stable' : 'not very stable'} across replicates (mean matched cosine ${fmt(chosen.stability)}).`,
    );
  }
  return { rank, criterion, reasoning };
}
