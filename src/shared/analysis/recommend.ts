import type { RankCriteria, RankRecommendation, RankSummary, SweepWarning } from './types';

/** Options of {@link recommendRank}. */
export interface RecommendOptions {
  /** Standard errors of slack in the cross-validation rule. Default 1. */
  seMultiplier?: number;
  /** Whether every value of V is an integer (null or absent: unknown, assumed counts). */
  integerData?: boolean | null;
  /** First and last rank the sweep asked for (default: the first and last rank given). */
  fromRank?: number;
  toRank?: number;
  /**
   * Pearson dispersion above which integer data count as overdispersed and BIC is not used.
   * Default 1.5: Poisson counts give ≈ 1 at and above the true rank (1.0 on planted modules);
   * negative-binomial counts of size 5 at a mean of 1000 give ≈ 200, microarray intensities more.
   */
  dispersionLimit?: number;
  /**
   * The fraction of the entries each entry-wise fold holds out (`SweepSpec.cvHoldout`); absent
   * when every entry is in some fold. Only changes what the `extreme_entries` warning suggests.
   */
  cvHoldout?: number;
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
 * The held-out error a rank is judged by: the mean per-entry divergence, the proper score of the
 * fitted model. The 1 %-trimmed mean is reported beside it but does not decide: on the Golub data
 * it favoured k = 4 over 3 by 1.0 ± 0.17 while the mean had them level (95.51 / 95.56), i.e. the
 * trimmed entries carried real evidence; the paired standard errors and screened fold fits are what
 * keep a few badly predicted entries from deciding.
 */
function heldOut(r: RankCriteria | null | undefined): number | null {
  return r ? r.cvError : null;
}

/** Per-fold held-out errors matching {@link heldOut}. */
function heldOutFolds(r: RankCriteria): number[] {
  return r.cvErrors;
}

/**
 * Whether the data predict their held-out entries clearly better than the row-shuffled copy does
 * at this rank. Compared on the 1 %-trimmed errors when both sides have them: a shuffled copy's
 * folds are often dominated by a few entries its fit predicts as ≈ 0 (planted 100 × 60 counts at
 * k = 5: 3370, 609 and 512 per entry), which would inflate the standard error and hide even a
 * thousand-fold difference. Clearly better = the fold-by-fold difference (the same entries are
 * held out in both) is negative by more than two standard errors and by at least 1 % of the
 * baseline's error, or every fold's error is below half the baseline's. Null without a baseline.
 */
function beatsBaseline(r: RankSummary): { beats: boolean; data: number; baseline: number } | null {
  const base = r.baseline;
  if (!base || heldOut(r) === null || heldOut(base) === null) return null;
  const trimmed =
    r.cvErrorTrimmed != null &&
    base.cvErrorTrimmed != null &&
    r.cvErrorsTrimmed.length > 0 &&
    r.cvErrorsTrimmed.length === base.cvErrorsTrimmed.length;
  const data = trimmed ? r.cvErrorTrimmed! : heldOut(r)!;
  const baseline = trimmed ? base.cvErrorTrimmed! : heldOut(base)!;
  const a = trimmed ? r.cvErrorsTrimmed : heldOutFolds(r);
  const b = trimmed ? base.cvErrorsTrimmed : heldOutFolds(base);
  const count = Math.min(a.length, b.length);
  let mean = data - baseline;
  let se = 0;
  let halved = data < 0.5 * baseline;
  if (count >= 2) {
    const d = Array.from({ length: count }, (_, f) => a[f] - b[f]);
    mean = d.reduce((x, y) => x + y, 0) / count;
    se = Math.sqrt(d.reduce((x, y) => x + (y - mean) ** 2, 0) / (count - 1) / count);
    halved = a.slice(0, count).every((value, f) => value < 0.5 * b[f]);
  }
  return { beats: (mean < -2 * se && mean < -0.01 * baseline) || halved, data, baseline };
}

/**
 * The cross-validated rule's tolerance and the `marginal_gain` flag. A rank counts as within reach
 * of the lowest held-out error when it is within one paired standard error or within this fraction
 * of that error: with three folds the paired SE has two degrees of freedom, and when every fold
 * agrees on a tiny improvement it is tinier still. The warning `marginal_gain` then names the rank
 * the SE alone would have taken. A chosen rank that still gains less than a tenth
 * ({@link ELBOW_GAIN_RATIO}) of the largest step up to it is flagged as well (not moved: past the
 * elbow, a gain of a few per cent may be a small program).
 *
 * Evidence (`scripts/measure/fold-rank.ts`; docs/architecture.md, "A cross-validated rank that
 * barely beats another"): 48 fold sweeps of the hard cases, ranks 3..7, 5 planted modules.
 * With the SE alone, 38 chose the planted rank; the misses were one or two components more,
 * gaining 0.02–0.28 % on planted, correlated and unequal-size counts at 300 × 1000 and 0.51 % on
 * log1p intensities at 300 × 100, and 2.3–2.5 % on log1p intensities at 300 × 1000 (log(1 + x) of
 * a rank-5 signal is not of rank 5; further components follow its curvature). With the tolerance,
 * 43 chose the planted rank, none that was right before changed, and the three intensities at
 * 300 × 1000 (6) are flagged; the step into a planted rank was at least 19.5 % and 0.73–1 times
 * the largest step.
 */
export const MARGINAL_CV_GAIN = 0.01;
/** See {@link MARGINAL_CV_GAIN}. */
export const ELBOW_GAIN_RATIO = 0.1;

/**
 * How many folds hold the evidence against a smaller rank: the folds in which `r`'s held-out error
 * exceeds `lowest`'s by more than `tolerance` of `lowest`'s error in that fold (the same tolerance
 * the rule applies to the means, fold by fold). Null when the two ranks' per-fold errors are not
 * paired (fewer than two folds, or stored without them).
 *
 * Why it matters: a fold's mean KL is heavy-tailed. With entry-wise folds, a sample whose entries
 * of a small module are all held out (probability (1/F)^size, so about 12 of 1000 samples for a
 * module of 4 features and 3 folds) leaves that component's activity in the sample undetermined by
 * the training entries, and its prediction there can be off by a factor of 30: on 300 × 1000
 * counts with modules of 270/12/8/6/4 features (`hardCase('unequal-sizes')`, seed 2), one sample's
 * seven entries made one fold's error 18.8 at k = 5 against 0.52 in the other folds, and 1.9 and
 * 8.3 at k = 6 and 7. When one fold alone carries the difference, the paired mean and its standard
 * error are equal by construction (differences (ε, D, ε): mean ≈ D/3, SE ≈ D/3), so the one-SE
 * rule's verdict is decided by the folds that show no difference. See
 * {@link FOLD_MAJORITY} and docs/architecture.md, "A difference carried by one fold".
 */
function foldsClearlyWorse(
  r: RankSummary,
  lowest: RankSummary,
  tolerance: number,
): { worse: number[]; folds: number } | null {
  const errors = heldOutFolds(r);
  const best = heldOutFolds(lowest);
  if (errors.length < 2 || errors.length !== best.length) return null;
  const worse: number[] = [];
  for (let f = 0; f < errors.length; f++) if (errors[f] - best[f] > tolerance * best[f]) worse.push(f);
  return { worse, folds: errors.length };
}

/**
 * A smaller rank is held to be worse than the lowest only when more than this fraction of the
 * folds say so (beyond the tolerance) — with 3 folds, two of them; otherwise the difference is
 * carried by a minority of folds and counted as none (`fold_outlier`). See {@link foldsClearlyWorse}.
 */
export const FOLD_MAJORITY = 0.5;

/**
 * The step from k − 1 to the chosen k when it lies only in the most extreme held-out entries: the
 * mean held-out error put k − 1 out of reach of the lowest, but with each fold's largest 1 % of
 * entry errors left out (`cvErrorTrimmed`) k − 1 is within {@link MARGINAL_CV_GAIN} of both k and
 * the rank of lowest mean error. Null when it is not so, or when a trimmed error is missing.
 *
 * Why a warning and not a rule: two different things give this pattern. (1) Samples in which a
 * fold held out every entry of a small program: the training entries do not determine that
 * program's activity there, and the fit's prediction of those few entries is off by a factor of
 * tens, by different amounts at different ranks (see {@link foldsClearlyWorse}); the mean then
 * follows those entries, and on planted counts with modules of 270/12/8/6/4 features at 1000
 * samples it chose 6 and 7 for seeds 4 and 5, with the trimmed errors of 5, 6 and 7 within
 * 0.3 %. (2) A program carried by a few samples only, which k captures and k − 1 does not: its
 * entries are under 1 % of the held-out ones, so the trimmed errors need not see it, and the mean
 * is right (planted counts plus 10 features carried by 5 samples: the planted 6 chosen, the
 * trimmed errors of 5 and 6 0.2 % apart). The held-out errors alone do not tell the two apart
 * (the researcher can: a component of k active in a few samples), so the rank stays the mean's
 * and the warning says what to look at. Over the 62 stored
 * fold sweeps of the hard cases that have trimmed errors it fired on 6 of the 11 whose choice was
 * wrong and on none of the 51 whose choice was right (docs/architecture.md, "A step carried by the
 * most extreme entries").
 */
function extremeEntriesStep(
  candidate: RankSummary,
  below: RankSummary | undefined,
  lowest: RankSummary,
): { below: RankSummary; trimmedBelow: number; trimmedChosen: number } | null {
  if (below === undefined || heldOut(below) === null) return null;
  const trimmedBelow = below.cvErrorTrimmed;
  const trimmedChosen = candidate.cvErrorTrimmed;
  const trimmedLowest = lowest.cvErrorTrimmed;
  if (trimmedBelow == null || trimmedChosen == null || trimmedLowest == null) return null;
  const reference = Math.min(trimmedChosen, trimmedLowest);
  if (!(trimmedBelow - reference <= MARGINAL_CV_GAIN * reference)) return null;
  return { below, trimmedBelow, trimmedChosen };
}

/** A flagged gain: the chosen rank's, and the largest step up to it (rank and gain). */
interface MarginalGain {
  gain: number;
  largest: { rank: number; gain: number };
}

/**
 * Whether the cross-validated choice is a marginal gain ({@link MARGINAL_CV_GAIN}); null when it
 * is not, or when the rank below has no held-out error.
 *
 * @param withCv ranks with a held-out error, ascending
 */
function marginalGainOf(chosen: RankSummary, withCv: readonly RankSummary[]): MarginalGain | null {
  const gainInto = (r: RankSummary): number | null => {
    const below = withCv.find((x) => x.rank === r.rank - 1);
    const before = heldOut(below);
    return before !== null && before > 0 ? (before - heldOut(r)!) / before : null;
  };
  const gain = gainInto(chosen);
  if (gain === null || !(gain > 0)) return null;
  let largest = { rank: chosen.rank, gain };
  for (const r of withCv) {
    const g = r.rank < chosen.rank ? gainInto(r) : null;
    if (g !== null && g > largest.gain) largest = { rank: r.rank, gain: g };
  }
  return gain < MARGINAL_CV_GAIN || gain < ELBOW_GAIN_RATIO * largest.gain ? { gain, largest } : null;
}

/** The loss's decrease from one rank to the next, on the data and on the shuffled baseline. */
export interface LossStep {
  /** From k = `from` to k = `from` + 1. */
  from: number;
  /** L_k − L_k+1 on the data. */
  data: number;
  /** The same on the row-shuffled baseline. */
  baseline: number;
}

/**
 * Band within which the data's decrease in loss and the baseline's count as a tie: the data's
 * decrease must be at most (1 − band) times the baseline's to be flat, at least (1 + band) times to
 * be structure. Measured with `scripts/measure/nofolds-rank.ts` on 70 planted sweeps and 12 without
 * structure (docs/architecture.md, "The rank a sweep without folds recommends"): with two modules
 * whose activities correlate at ρ ≈ 0.97 (5 planted), the step from k = 4 to 5 was 0.90–0.94 of
 * the baseline's at 300 × 1000 and 0.84–0.86 at 600 × 2500, and read as flat it gives a confident 4
 * (a band of 0.15 did so on two of three sets at 600 × 2500); where the planted rank was read, the
 * step after it was 0.07–0.79 of the baseline's; on independent counts the ratio ran 0.96–1.23.
 */
export const LOSS_TIE_BAND = 0.2;

/**
 * Frigyesi & Höglund (2008, Cancer Informatics 6:275–292), as R NMF's documentation recommends:
 * the smallest rank k after which the data's decrease in loss is no larger than the decrease on
 * randomised data (here the row-shuffled baseline). The decreases are compared as they are,
 * L_k − L_k+1 on each side, as the paper compares decreases in the residual sum of squares: the
 * shuffled copy holds the same values, so its loss is on the data's scale, and past the data's rank
 * both decreases are what one more component takes out of structureless variation. (Decreases
 * relative to each side's own loss were used before: the data's loss is the smaller one, so its
 * relative decrease is inflated by the ratio of the losses, and on log1p intensities, whose loss
 * at the planted rank is 40 % of the baseline's, the rule pointed past the largest rank swept.)
 * A step is only taken between neighbouring ranks that both have a baseline loss.
 *
 * `tieAt` is where that reading is not clear: the first step whose decrease on the data is not
 * clearly larger than the baseline's (by {@link LOSS_TIE_BAND}), when it is not clearly smaller
 * either — there the loss cannot tell k from k + 1.
 *
 * @param ranks per-rank criteria sorted by rank
 * @returns the rank (null when no baseline, or when the data still decrease faster at the last step
 *   swept: `beyondRange`), the tie if any, and every step compared
 */
export function frigyesiRank(ranks: readonly RankSummary[]): {
  rank: number | null;
  tieAt: number | null;
  steps: LossStep[];
  beyondRange: boolean;
} {
  const steps: LossStep[] = [];
  for (let t = 0; t + 1 < ranks.length; t++) {
    const a = ranks[t];
    const b = ranks[t + 1];
    if (b.rank !== a.rank + 1 || !a.baseline || !b.baseline) continue;
    steps.push({ from: a.rank, data: a.loss - b.loss, baseline: a.baseline.loss - b.baseline.loss });
  }
  const flat = steps.find((step) => step.data <= step.baseline);
  const unclear = steps.find((step) => step.data < (1 + LOSS_TIE_BAND) * step.baseline);
  const tieAt =
    unclear !== undefined && unclear.data > (1 - LOSS_TIE_BAND) * unclear.baseline ? unclear.from : null;
  return { rank: flat?.from ?? null, tieAt, steps, beyondRange: steps.length > 0 && flat === undefined };
}

/**
 * Margin by which stability must exceed the shuffled baseline's to count: on row-shuffled 300 × 100
 * counts against their own reshuffle, the two differed by up to 0.03 at k = 2..8 from the noise of
 * 20 fits alone.
 */
export const STABILITY_MARGIN = 0.05;

/**
 * Stability against the shuffled baseline's (the stability side of cNMF's stability/error
 * trade-off, Kotliar et al. 2019, read against randomised data rather than a fixed threshold): the
 * rank whose components are most reproducible *beyond* the baseline's, i.e. the largest
 * stability − baseline stability (the smallest rank among equals), if that excess exceeds
 * {@link STABILITY_MARGIN}; otherwise null.
 *
 * @param ranks per-rank criteria sorted by rank
 */
export function stabilityRank(ranks: readonly RankSummary[]): { rank: number | null; excess: number | null } {
  let best: RankSummary | null = null;
  let excess = -Infinity;
  for (const r of ranks) {
    const base = r.baseline?.stability ?? null;
    if (r.stability === null || base === null) continue;
    if (r.stability - base > excess) {
      excess = r.stability - base;
      best = r;
    }
  }
  if (best === null) return { rank: null, excess: null };
  return { rank: excess > STABILITY_MARGIN ? best.rank : null, excess };
}

/**
 * Whether a sweep without folds can be judged against its shuffled baseline: every rank has the
 * baseline's loss, and stability on both sides from independent random starts (warm-started fits
 * agree on a copy without structure, so their stability says nothing about it).
 */
function againstBaseline(sorted: readonly RankSummary[]): boolean {
  return (
    sorted.length >= 2 &&
    sorted.every(
      (r) =>
        r.baseline !== null &&
        r.stability !== null &&
        r.baseline.stability !== null &&
        r.consensusFromIndependentStarts &&
        r.baseline.consensusFromIndependentStarts,
    )
  );
}

/**
 * Least relative gap between the data's loss and the shuffled baseline's, (L_base − L) / L_base, at
 * the rank recommended without folds: below it the data hold no more structure than their shuffled
 * copy (the same 1 % as the cross-validated rule's baseline check).
 */
const MIN_LOSS_GAP = 0.01;

/**
 * The no-folds rule with a shuffled baseline (`baseline-agreement`): a rank only where the loss
 * rule against the baseline (Frigyesi & Höglund 2008, {@link frigyesiRank}) reads clearly (no tie
 * within {@link LOSS_TIE_BAND}), stability against the baseline ({@link stabilityRank}) names the
 * same rank, and the data's loss there is at least {@link MIN_LOSS_GAP} below the baseline's;
 * otherwise none, with `weak_evidence` naming the candidate ranks and telling the reader to add
 * folds. BIC and Brunet's rule are named in the reasoning only: on planted sparse counts (5
 * modules) they chose 2 and 6–7.
 */
function agreementAgainstBaseline(
  sorted: readonly RankSummary[],
  first: number,
  last: number,
  withBic: readonly RankSummary[],
  warn: (code: SweepWarning['code'], message: string) => void,
  reasoning: string[],
): { rank: number | null; criterion: string } {
  const loss = frigyesiRank(sorted);
  const stable = stabilityRank(sorted);
  const pct = (x: number): string => `${fmt(100 * x)} %`;
  const step = loss.steps.find((s) => s.from === loss.rank);
  const tie = loss.tieAt !== null ? loss.steps.find((s) => s.from === loss.tieAt)! : null;
  const lossText =
    tie !== null
      ? `from k = ${tie.from} to ${tie.from + 1} the loss falls by ${fmt(tie.data)} on the data and by ${fmt(tie.baseline)} on the row-shuffled baseline, within ${Math.round(100 * LOSS_TIE_BAND)} % of each other, so the loss rule (Frigyesi & Höglund 2008) cannot tell k = ${tie.from} from ${tie.from + 1}`
      : loss.rank !== null && step
        ? `the loss falls by no more than on the row-shuffled baseline after k = ${loss.rank} (by ${fmt(step.data)} against ${fmt(step.baseline)} going to k = ${loss.rank + 1}; Frigyesi & Höglund 2008)`
        : loss.beyondRange
          ? `the loss still falls faster than on the row-shuffled baseline at the last step swept (k = ${last - 1} to ${last}), so the loss rule (Frigyesi & Höglund 2008) points beyond the range`
          : 'the loss rule against the row-shuffled baseline (Frigyesi & Höglund 2008) could not be applied';
  const stableRow = stable.rank !== null ? sorted.find((r) => r.rank === stable.rank)! : null;
  const stableText =
    stableRow !== null
      ? `components are most reproducible beyond the baseline's at k = ${stableRow.rank} (stability ${fmt(stableRow.stability!)} against ${fmt(stableRow.baseline!.stability!)})`
      : `no rank's components are more reproducible than the baseline's by more than ${STABILITY_MARGIN} (largest excess ${stable.excess === null ? 'n/a' : fmt(stable.excess)})`;
  const agreed =
    tie === null && loss.rank !== null && loss.rank === stable.rank
      ? sorted.find((r) => r.rank === loss.rank)!
      : null;
  const gap = agreed?.baseline ? (agreed.baseline.loss - agreed.loss) / agreed.baseline.loss : null;
  if (agreed !== null && gap !== null && gap >= MIN_LOSS_GAP) {
    reasoning.push(
      `Without cross-validation, the rank is read against the row-shuffled baseline, which has no structure: ${lossText}, and ${stableText}. Both point to k = ${agreed.rank}, where the data's loss is ${pct(gap)} below the baseline's, so k = ${agreed.rank} is recommended; folds would test it by prediction.`,
    );
    return { rank: agreed.rank, criterion: 'baseline-agreement' };
  }
  const others: string[] = [];
  if (withBic.length >= 2) others.push(`BIC is lowest at k = ${argmin(withBic, (r) => r.bic!).rank}`);
  const withCoph = sorted.filter((r) => r.cophenetic !== null);
  let drop = 0;
  let before: RankSummary | null = null;
  for (let t = 0; t + 1 < withCoph.length; t++) {
    const d = withCoph[t].cophenetic! - withCoph[t + 1].cophenetic!;
    if (d > drop) {
      drop = d;
      before = withCoph[t];
    }
  }
  if (before !== null) others.push(`Brunet et al.'s cophenetic rule says k = ${before.rank}`);
  const candidates = [
    ...new Set(
      [loss.rank, stable.rank, tie?.from ?? null, tie !== null ? tie.from + 1 : null].filter(
        (k): k is number => k !== null,
      ),
    ),
  ].sort((x, y) => x - y);
  const why =
    agreed !== null
      ? `both point to k = ${agreed.rank}, but there the data's loss is only ${pct(gap ?? 0)} below the baseline's (less than ${pct(MIN_LOSS_GAP)}): the data hold no more structure than their shuffled copy`
      : tie !== null
        ? 'the loss does not decide'
        : 'they disagree';
  reasoning.push(
    `Without cross-validation, the rank is read against the row-shuffled baseline, which has no structure: ${lossText}; ${stableText}. ${why[0].toUpperCase()}${why.slice(1)}, so no rank is recommended.${others.length > 0 ? ` For reference, ${others.join(' and ')}; on planted sparse counts with 5 modules BIC chose 2 and Brunet's rule 6 or 7.` : ''}`,
  );
  if (loss.beyondRange) {
    warn(
      'edge_of_range',
      `The loss still falls faster than on the shuffled baseline from k = ${last - 1} to ${last}, the largest rank swept: extend the range.`,
    );
  }
  const problem =
    agreed !== null
      ? 'show no more structure than the shuffled copy'
      : tie !== null
        ? `do not single one out (the loss ties between k = ${tie.from} and ${tie.from + 1})`
        : 'do not agree';
  warn(
    'weak_evidence',
    `No rank is supported without cross-validation: ${candidates.length > 0 ? `the candidates are k = ${candidates.join(', ')}, and ` : ''}the loss and the stability against the shuffled baseline ${problem}. Run the sweep with cross-validation folds${first < last ? ` over k = ${first}..${last}` : ''} to choose by prediction.`,
  );
  return { rank: null, criterion: 'none' };
}

/**
 * Recommends a rank from a sweep's criteria, or none when the evidence supports none, with the
 * cautions a reader needs (`warnings`).
 *
 * Rule, in order of preference:
 *   1. `cv-1se` — with cross-validation at two or more ranks: the smallest rank whose mean
 *      held-out error is within one standard error of the lowest, the standard error being that of
 *      the fold-by-fold paired difference to the lowest rank (every rank holds out the same
 *      entries). This is the one-standard-error rule of Breiman et al. (1984) and ESL §7.10 with
 *      the paired SE. When the shuffled baseline was fitted, a rank counts only if the data
 *      predict its held-out entries clearly better than their row-shuffled copy (see
 *      `beatsBaseline`); if no rank does, none is recommended (`none`).
 *   2. `baseline-agreement` — without cross-validation, when every rank has the row-shuffled
 *      baseline and stability from independent starts on both sides (the default no-folds plan):
 *      the rank where the loss rule against the baseline (Frigyesi & Höglund 2008), read without a
 *      tie, and stability against the baseline agree, the data's loss there at least 1 % below
 *      the baseline's;
 *      otherwise `none` with `weak_evidence` naming the candidate ranks and asking for folds (see
 *      `agreementAgainstBaseline`). BIC and Brunet's rule are not used here: on planted sparse
 *      counts (5 modules) they chose 2 and 6–7.
 *   3. `bic` — without cross-validation or such a baseline, with a Poisson log-likelihood (KL
 *      loss), integer data and a Pearson dispersion near 1 at the BIC minimum: the rank of lowest
 *      BIC, with `weak_evidence`. BIC is never used on data that are not integers
 *      (`non_count_data`) or are overdispersed (`overdispersed`): with a wrong noise model every
 *      extra component "explains" noise and BIC falls monotonically (negative-binomial counts:
 *      lowest at the top of the range).
 *   4. `cophenetic` — otherwise, with consensus: Brunet et al. (2004)'s rule, the rank just before
 *      the largest drop of the cophenetic correlation, always with a `weak_evidence` warning.
 *   5. `none` — nothing to decide on.
 * A chosen rank, or a minimum of held-out error or BIC, at the end of the range is flagged
 * (`edge_of_range`). The reasoning then cross-checks the choice without overriding it: relative
 * gains in held-out error on the data against the shuffled baseline, BIC where it applies, the
 * cophenetic correlation around k, and stability against the baseline's.
 *
 * @param ranks per-rank criteria, any order
 */
export function recommendRank(
  ranks: readonly RankSummary[],
  options: RecommendOptions = {},
): RankRecommendation {
  if (ranks.length === 0) throw new RangeError('no ranks to recommend from');
  const seMultiplier = options.seMultiplier ?? 1;
  const dispersionLimit = options.dispersionLimit ?? 1.5;
  const sorted = [...ranks].sort((a, b) => a.rank - b.rank);
  const first = options.fromRank ?? sorted[0].rank;
  const last = options.toRank ?? sorted[sorted.length - 1].rank;
  const byRank = new Map(sorted.map((r) => [r.rank, r]));
  const reasoning: string[] = [];
  const warnings: SweepWarning[] = [];
  const warn = (code: SweepWarning['code'], message: string): void => {
    warnings.push({ code, message });
  };
  const slack = seMultiplier === 1 ? 'one standard error' : `${seMultiplier} standard errors`;

  // Does the Poisson model behind the log-likelihood and BIC hold?
  const withBic = sorted.filter((r) => r.bic !== null && Number.isFinite(r.bic));
  const hasLikelihood = sorted.some((r) => r.loglik !== null);
  let bicUsable = withBic.length >= 1;
  if (options.integerData === false && hasLikelihood) {
    bicUsable = false;
    warn(
      'non_count_data',
      'The values are not integers, so they are not counts: the Poisson log-likelihood that KL fits maximise does not describe them, and BIC is neither computed nor used.',
    );
  }
  if (bicUsable) {
    const atMinimum = argmin(withBic, (r) => r.bic!);
    const phi = atMinimum.pearsonDispersion;
    if (phi !== null && phi !== undefined && phi > dispersionLimit) {
      bicUsable = false;
      warn(
        'overdispersed',
        `At k = ${atMinimum.rank} the counts vary ${fmt(phi)} times as much around the fit as Poisson counts would (Pearson dispersion; ≈ 1 for Poisson counts): these do not behave as Poisson counts around the fit (overdispersed counts, intensities stored as integers, or fits far from convergence). BIC assumes Poisson noise and keeps rewarding extra components, so it is not used to choose the rank.`,
      );
    }
  }

  let rank: number | null;
  let criterion: string;
  const withCv = sorted.filter((r) => heldOut(r) !== null);
  const withCoph = sorted.filter((r) => r.cophenetic !== null);

  if (withCv.length >= 2) {
    criterion = 'cv-1se';
    const lowest = argmin(withCv, (r) => heldOut(r)!);
    const trimmedRanks = withCv.filter((r) => r.cvErrorTrimmed !== null && r.cvErrorTrimmed !== undefined);
    const lowestTrimmed =
      trimmedRanks.length === withCv.length ? argmin(trimmedRanks, (r) => r.cvErrorTrimmed!) : null;
    // Within one standard error of the lowest, or within MARGINAL_CV_GAIN of it: a difference under
    // 1 % of the error is not counted, however consistent across folds (see MARGINAL_CV_GAIN).
    const within = (r: RankSummary, tolerance: number): boolean => {
      if (r === lowest) return true;
      const difference = r.cvPairedDifference ?? heldOut(r)! - heldOut(lowest)!;
      const se = r.cvPairedSe ?? lowest.cvErrorSe ?? 0;
      return difference <= Math.max(seMultiplier * se, tolerance * heldOut(lowest)!);
    };
    // The rank the means alone (one SE or the tolerance) would take.
    const byMeans = withCv.find((r) => within(r, MARGINAL_CV_GAIN))!;
    // A rank worse than the lowest beyond the tolerance in only a minority of folds is within
    // reach too: that difference is one fold's few extreme entries (see foldsClearlyWorse).
    const carriedByFewFolds = (r: RankSummary): boolean => {
      const folds = foldsClearlyWorse(r, lowest, MARGINAL_CV_GAIN);
      return folds !== null && folds.worse.length <= FOLD_MAJORITY * folds.folds;
    };
    const candidate = withCv.find((r) => within(r, MARGINAL_CV_GAIN) || carriedByFewFolds(r))!;
    // The rank the one-SE rule alone would take, when the tolerance took a smaller one.
    const bySeAlone = withCv.find((r) => within(r, 0))!;
    reasoning.push(
      `Cross-validation: the held-out error (mean divergence per held-out entry) is lowest at k = ${lowest.rank} (${fmt(heldOut(lowest)!)}).`,
    );
    if (lowestTrimmed !== null && lowestTrimmed.rank !== lowest.rank) {
      reasoning.push(
        `With each fold's largest 1 % of entry errors left out, the lowest is at k = ${lowestTrimmed.rank} instead (${fmt(lowestTrimmed.cvErrorTrimmed!)}): the ranks differ in how they predict the most extreme entries.`,
      );
    }
    // The rank the rule picks must predict the data better than their shuffled copy at the same
    // rank; if it does not, nothing is there to find (over-fitted higher ranks can look "better
    // than the baseline" only because the baseline over-fits worse, so they do not count).
    const check = beatsBaseline(candidate);
    if (check !== null && !check.beats) {
      rank = null;
      criterion = 'none';
      reasoning.push(
        `At k = ${candidate.rank}, where that rule lands, the data's held-out entries are predicted no better than those of their row-shuffled copy (${fmt(check.data)} against ${fmt(check.baseline)}): the data show no low-rank structure that NMF can find, so no rank is recommended.`,
      );
      warn(
        'weak_evidence',
        `No rank is supported: at k = ${candidate.rank}, the best rank by cross-validation, the held-out error is not clearly lower than on the row-shuffled copy of the data, which has no structure.`,
      );
    } else {
      rank = candidate.rank;
      const se = candidate === lowest ? (lowest.cvErrorSe ?? 0) : (candidate.cvPairedSe ?? 0);
      reasoning.push(
        candidate === lowest
          ? `No smaller rank comes within ${slack} of it (standard errors of the fold-by-fold paired differences) or within ${100 * MARGINAL_CV_GAIN} % of its error, or is worse by more than that in only a minority of the folds, so k = ${rank} is recommended.`
          : byMeans.rank > candidate.rank
            ? `k = ${rank} is the smallest rank that is worse than that minimum by more than ${100 * MARGINAL_CV_GAIN} % in no more than half of the folds (paired difference ${fmt(candidate.cvPairedDifference ?? heldOut(candidate)! - heldOut(lowest)!)} ± ${fmt(se)}, carried by a minority of folds), so the simpler model is recommended.`
            : `k = ${rank} is the smallest rank within ${slack} or ${100 * MARGINAL_CV_GAIN} % of that minimum (paired difference ${fmt(candidate.cvPairedDifference ?? heldOut(candidate)! - heldOut(lowest)!)} ± ${fmt(se)} over the same held-out entries), so the simpler model is recommended.`,
      );
      if (check === null) {
        reasoning.push(
          'No shuffled baseline was fitted, so whether the data hold any structure at all is not checked.',
        );
      }
      const marginal = marginalGainOf(candidate, withCv);
      if (byMeans.rank > candidate.rank) {
        const folds = foldsClearlyWorse(candidate, lowest, MARGINAL_CV_GAIN)!;
        const ordinal = (f: number): string => `fold ${f + 1}`;
        const where = folds.worse
          .map((f) => `${ordinal(f)}: ${fmt(candidate.cvErrors[f])} against ${fmt(lowest.cvErrors[f])}`)
          .join('; ');
        warn(
          'fold_outlier',
          `k = ${lowest.rank} has the lowest mean held-out error (${fmt(heldOut(lowest)!)} against ${fmt(heldOut(candidate)!)} at k = ${rank}), but k = ${rank} is worse by more than ${100 * MARGINAL_CV_GAIN} % in only ${folds.worse.length} of ${folds.folds} folds (${where || 'none'}); in the others the two differ by less. A difference carried by one fold comes from a few held-out entries that fold's fit predicts far off — typically a sample whose entries of a small program were all held out — not from the rank, so the simpler k = ${rank} is recommended. Compare the runs at k = ${rank} and ${lowest.rank} before choosing; folds that each hold out a tenth of the entries ("A tenth per fold", --cv-holdout 0.1) make such samples rare.`,
        );
      } else if (bySeAlone.rank > candidate.rank) {
        const gain = (heldOut(candidate)! - heldOut(bySeAlone)!) / heldOut(candidate)!;
        warn(
          'marginal_gain',
          `k = ${bySeAlone.rank} predicts the held-out entries ${fmt(100 * gain)} % better than k = ${rank} (${fmt(heldOut(bySeAlone)!)} against ${fmt(heldOut(candidate)!)}), beyond one standard error over the folds but under the ${100 * MARGINAL_CV_GAIN} % this rule counts as a difference, so the simpler k = ${rank} is recommended. Such a gain can be a small program of few features, or noise the folds happen to agree on (on planted counts of 1000 samples, spurious extra components gained 0.02–0.28 %). Compare the runs at k = ${rank} and ${bySeAlone.rank} before choosing.`,
        );
      } else if (marginal !== null) {
        const below = rank - 1;
        const elbow =
          marginal.largest.rank === rank
            ? ''
            : `, small next to the ${fmt(100 * marginal.largest.gain)} % of the step into k = ${marginal.largest.rank}`;
        warn(
          'marginal_gain',
          `k = ${rank} predicts the held-out entries only ${fmt(100 * marginal.gain)} % better than k = ${below} (${fmt(heldOut(candidate)!)} against ${fmt(heldOut(byRank.get(below))!)})${elbow}, consistently enough across folds to pass the one-standard-error rule. A gain this small can be a small program, or a non-linearity of the values rather than a program: log-transformed intensities are one such case (log(1 + x) of a rank-${below} signal is not of rank ${below}, and further components follow its curvature). Compare the runs at k = ${below} and ${rank} before choosing.`,
        );
      }
      const extreme = extremeEntriesStep(candidate, byRank.get(rank - 1), lowest);
      if (extreme !== null) {
        const below = extreme.below.rank;
        const remedy =
          options.cvHoldout === undefined
            ? 'Folds that each hold out a tenth of the entries ("A tenth per fold", --cv-holdout 0.1) make the first rare: on planted counts with modules of 4–12 features they gave the planted rank in 8 of 8 seeds, against 6 of 8 with every entry in some fold.'
            : `This sweep's folds already hold out ${+(100 * options.cvHoldout).toPrecision(3)} % of the entries each, which makes the first rare.`;
        warn(
          'extreme_entries',
          `k = ${rank} predicts the held-out entries better than k = ${below} only in their most extreme ones: the mean held-out error is ${fmt(heldOut(extreme.below)!)} at k = ${below} against ${fmt(heldOut(candidate)!)} at k = ${rank}, but with each fold's largest 1 % of entry errors left out it is ${fmt(extreme.trimmedBelow)} against ${fmt(extreme.trimmedChosen)}, within ${100 * MARGINAL_CV_GAIN} %. Two things do this: samples in which a fold held out every entry of a small program (the fit cannot know that program's activity there and predicts those few entries far off, by different amounts at different ranks), or a program that only a few samples carry, which k = ${rank} captures and k = ${below} does not. Compare the runs at k = ${below} and ${rank}: a component of k = ${rank} active in only a few samples points to the second. ${remedy}`,
        );
      }
      // A lowest error at the top of the range matters unless the chosen rank is within the
      // tolerance of it: then the curve is flat there, not still falling.
      const flatToTheTop =
        candidate !== lowest &&
        (heldOut(candidate)! - heldOut(lowest)! <= MARGINAL_CV_GAIN * heldOut(lowest)! ||
          carriedByFewFolds(candidate));
      if (lowest.rank === last && !flatToTheTop) {
        warn(
          'edge_of_range',
          `The held-out error is lowest at k = ${last}, the largest rank swept: a higher rank may predict better still. Extend the range.`,
        );
      } else if (rank === first && first > 1) {
        warn('edge_of_range', `k = ${first} is the smallest rank swept; a smaller rank was not tried.`);
      }
    }
  } else if (againstBaseline(sorted)) {
    ({ rank, criterion } = agreementAgainstBaseline(
      sorted,
      first,
      last,
      bicUsable ? withBic : [],
      warn,
      reasoning,
    ));
  } else if (bicUsable) {
    const lowest = argmin(withBic, (r) => r.bic!);
    rank = lowest.rank;
    criterion = 'bic';
    reasoning.push(
      `Without cross-validation, the rank is chosen by BIC (Poisson log-likelihood, k(m + n) parameters; the Pearson dispersion${lowest.pearsonDispersion != null ? ` of ${fmt(lowest.pearsonDispersion)}` : ''} is consistent with Poisson counts): lowest at k = ${rank} (${fmt(lowest.bic!)}).`,
    );
    warn(
      'weak_evidence',
      `k = ${rank} rests on BIC alone, whose k(m + n)·ln(N) penalty can outweigh the gain of a small module: on planted sparse counts (600 × 2500, 5 modules) it chose k = 2 when the modules were of unequal sizes. Fit the shuffled baseline with consensus fits, or run the sweep with cross-validation folds.`,
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
    if (drop <= 0) {
      rank = null;
      criterion = 'none';
      reasoning.push(
        'Without cross-validation or a likelihood that fits these data, only consensus clustering is left, and its cophenetic correlation never falls across the range: it does not point to a rank, so none is recommended.',
      );
      warn(
        'weak_evidence',
        'No rank is supported: without cross-validation and without a usable likelihood, the cophenetic correlation does not fall anywhere in the range. Run the sweep with cross-validation folds.',
      );
    } else {
      rank = before.rank;
      criterion = 'cophenetic';
      reasoning.push(
        `Without cross-validation or a likelihood that fits these data, Brunet et al.'s rule applies: the cophenetic correlation drops most after k = ${rank} (by ${fmt(drop)}).`,
      );
      warn(
        'weak_evidence',
        `k = ${rank} rests on consensus clustering alone (Brunet et al.'s cophenetic rule); run the sweep with cross-validation folds for a rank chosen by prediction.`,
      );
    }
  } else {
    rank = null;
    criterion = 'none';
    reasoning.push(
      'No rank-selection criterion could be used (run cross-validation folds, or several replicates for consensus): no rank is recommended.',
    );
    warn('weak_evidence', 'No rank is supported: no rank-selection criterion was computed.');
  }

  if (bicUsable && withBic.length >= 2) {
    const lowestBic = argmin(withBic, (r) => r.bic!).rank;
    if (lowestBic === last) {
      warn(
        'edge_of_range',
        `BIC is lowest at k = ${last}, the largest rank swept: it may fall further at higher ranks.`,
      );
    }
    if (criterion !== 'bic' && rank !== null) {
      reasoning.push(
        lowestBic === rank
          ? `BIC (k(m + n) parameters) is also lowest at k = ${rank}.`
          : `BIC (k(m + n) parameters) is lowest at k = ${lowestBic}${lowestBic > rank ? '; with many observations BIC tends to favour higher ranks' : ''}.`,
      );
    }
  }
  if (criterion !== 'cv-1se' && rank !== null && (rank === last || (rank === first && first > 1))) {
    warn(
      'edge_of_range',
      rank === last
        ? `k = ${rank} is the largest rank swept: the criterion may favour a higher rank still. Extend the range.`
        : `k = ${rank} is the smallest rank swept; a smaller rank was not tried.`,
    );
  }

  if (withCoph.length > 0 && !withCoph[0].consensusFromIndependentStarts && withCoph[0].consensusFits > 0) {
    warn(
      'consensus_warm_started',
      `Consensus and stability come from ${withCoph[0].consensusFits} warm-started replicates, which tend to reach the same solution whatever the data: they measure the optimiser's agreement more than the data's structure.`,
    );
  }

  if (rank === null) return { rank, criterion, warnings, reasoning };

  const chosen = byRank.get(rank)!;
  const previous = byRank.get(rank - 1);
  const next = byRank.get(rank + 1);

  // Baseline cross-check: relative gains in held-out error, data against the shuffled copy (the
  // two live on very different scales — the copy's errors can be hundreds of times the data's —
  // so absolute gains cannot be compared).
  const relativeGain = (
    a: RankCriteria | null | undefined,
    b: RankCriteria | null | undefined,
  ): number | null => {
    const ea = heldOut(a);
    const eb = heldOut(b);
    return ea === null || eb === null || ea === 0 ? null : (ea - eb) / ea;
  };
  const pct = (x: number): string => `${x > 0 ? '−' : x < 0 ? '+' : ''}${fmt(Math.abs(100 * x))} %`;
  const gainIn = relativeGain(previous, chosen);
  const baseGainIn = relativeGain(previous?.baseline, chosen.baseline);
  if (gainIn !== null && baseGainIn !== null) {
    reasoning.push(
      gainIn > baseGainIn
        ? `Going from k = ${rank - 1} to ${rank} changes the held-out error by ${pct(gainIn)} on the data and by ${pct(baseGainIn)} on the row-shuffled baseline: component ${rank} captures structure, not noise.`
        : `Caution: going from k = ${rank - 1} to ${rank} changes the held-out error by ${pct(gainIn)} on the data, no better than on the row-shuffled baseline (${pct(baseGainIn)}).`,
    );
  }
  const gainOut = relativeGain(chosen, next);
  const baseGainOut = relativeGain(chosen.baseline, next?.baseline);
  if (gainOut !== null && baseGainOut !== null) {
    reasoning.push(
      gainOut > baseGainOut && gainOut > 0
        ? `Going on to k = ${rank + 1} still changes the held-out error by ${pct(gainOut)}, more than on the baseline (${pct(baseGainOut)}): a higher rank may hold more structure.`
        : `Going on to k = ${rank + 1} changes the held-out error by ${pct(gainOut)}, no better than on the baseline (${pct(baseGainOut)}): the extra component fits noise.`,
    );
  }

  if (!bicUsable && withBic.length >= 1 && criterion === 'cv-1se') {
    reasoning.push(
      'BIC is not used as a cross-check: the Poisson model it assumes does not hold here (see the warnings).',
    );
  }

  if (criterion !== 'cophenetic' && chosen.cophenetic !== null) {
    const flat = withCoph.length >= 3 && withCoph.every((r) => r.cophenetic! >= 0.995);
    const nextCoph = next?.cophenetic ?? null;
    reasoning.push(
      flat
        ? `Cophenetic correlation is ≥ 0.995 at every rank swept: consensus clustering does not discriminate between these ranks.`
        : nextCoph === null
          ? `Cophenetic correlation at k = ${rank} is ${fmt(chosen.cophenetic)}.`
          : nextCoph < chosen.cophenetic
            ? `Cophenetic correlation is ${fmt(chosen.cophenetic)} at k = ${rank} and falls to ${fmt(nextCoph)} at k = ${rank + 1}, the drop Brunet et al. (2004) read as the rank limit.`
            : `Cophenetic correlation is ${fmt(chosen.cophenetic)} at k = ${rank} and does not fall at k = ${rank + 1} (${fmt(nextCoph)}).`,
    );
  }
  if (chosen.stability !== null) {
    const base = chosen.baseline?.stability ?? null;
    const fits = chosen.consensusFits;
    // Margin: on row-shuffled 300 × 100 counts against their own reshuffle, the two stabilities
    // differed by up to 0.03 at k = 2..8 from the noise of 20 fits alone.
    const margin = 0.05;
    reasoning.push(
      base === null
        ? `Components at k = ${rank} have a mean matched cosine of ${fmt(chosen.stability)} over all pairs of ${fits} fits (no shuffled baseline to compare with).`
        : chosen.stability > base + margin
          ? `Components at k = ${rank} are more reproducible than on the shuffled baseline: mean matched cosine ${fmt(chosen.stability)} over all pairs of ${fits} fits, against ${fmt(base)}.`
          : chosen.stability < base - margin
            ? `Caution: components at k = ${rank} are less reproducible than on the shuffled baseline (mean matched cosine ${fmt(chosen.stability)} over all pairs of ${fits} fits, against ${fmt(base)}).`
            : `Components at k = ${rank} are about as reproducible as on the shuffled baseline (mean matched cosine ${fmt(chosen.stability)} over all pairs of ${fits} fits, against ${fmt(base)}; within ${margin}): stability does not tell this rank from noise.`,
    );
  }
  return { rank, criterion, warnings, reasoning };
}
