import { describe, expect, it } from 'vitest';
import { frigyesiRank, recommendRank, stabilityRank } from '../recommend';
import type { RankCriteria, RankSummary } from '../types';
import { emptyCriteria } from './criteria';

/**
 * The rank a sweep without folds recommends when it has the row-shuffled baseline: only where the
 * loss rule against the baseline (Frigyesi & Höglund 2008) and stability against the baseline
 * agree; otherwise no rank, the candidates named, folds asked for. Criteria are constructed.
 */
function criteria(
  k: number,
  loss: number,
  stability: number,
  extra: Partial<RankCriteria> = {},
): RankCriteria {
  return emptyCriteria(k, { loss, stability, consensusFits: 10, ...extra });
}

interface Row {
  k: number;
  loss: number;
  stability: number;
  baseLoss: number;
  baseStability: number;
  bic?: number;
  cophenetic?: number;
}

function sweep(rows: Row[], extra: Partial<RankCriteria> = {}): RankSummary[] {
  return rows.map((r) => ({
    ...criteria(r.k, r.loss, r.stability, {
      bic: r.bic ?? null,
      cophenetic: r.cophenetic ?? null,
      pearsonDispersion: r.bic !== undefined ? 1.0 : null,
      ...extra,
    }),
    baseline: criteria(r.k, r.baseLoss, r.baseStability, extra),
  }));
}

/**
 * Shaped like planted sparse counts with modules of unequal sizes (600 × 2500, 5 modules): the
 * data's loss falls ~3 % per rank up to 5 and ~0.6 % after, the baseline's ~0.8 % throughout;
 * stability peaks at 5; BIC, penalising k(m + n) parameters, is lowest at 2; the cophenetic
 * correlation falls most after 6.
 */
const unequal: Row[] = [
  {
    k: 2,
    loss: 310569,
    baseLoss: 326716,
    stability: 0.862,
    baseStability: 0.933,
    bic: 100,
    cophenetic: 0.758,
  },
  {
    k: 3,
    loss: 301417,
    baseLoss: 323987,
    stability: 0.789,
    baseStability: 0.839,
    bic: 101,
    cophenetic: 0.818,
  },
  {
    k: 4,
    loss: 292542,
    baseLoss: 321433,
    stability: 0.848,
    baseStability: 0.775,
    bic: 102,
    cophenetic: 0.919,
  },
  {
    k: 5,
    loss: 283507,
    baseLoss: 319022,
    stability: 0.994,
    baseStability: 0.711,
    bic: 103,
    cophenetic: 0.9935,
  },
  {
    k: 6,
    loss: 281699,
    baseLoss: 316555,
    stability: 0.889,
    baseStability: 0.657,
    bic: 104,
    cophenetic: 0.9812,
  },
  {
    k: 7,
    loss: 280207,
    baseLoss: 314228,
    stability: 0.808,
    baseStability: 0.618,
    bic: 105,
    cophenetic: 0.9402,
  },
  {
    k: 8,
    loss: 278554,
    baseLoss: 311865,
    stability: 0.745,
    baseStability: 0.574,
    bic: 106,
    cophenetic: 0.9377,
  },
];

describe('frigyesiRank and stabilityRank', () => {
  it('take the first rank whose loss decrease is no larger than the baseline’s', () => {
    const result = frigyesiRank(sweep(unequal));
    expect(result.rank).toBe(5);
    expect(result.beyondRange).toBe(false);
    expect(result.steps).toHaveLength(6);
    const five = result.steps.find((s) => s.from === 5)!;
    expect(five.data).toBe(283507 - 281699);
    expect(five.baseline).toBe(319022 - 316555);
  });

  it('compares decreases as they are, so intensities whose loss is far below the baseline’s read at their rank', () => {
    // Shaped like a no-folds KL sweep of log1p intensities (300 × 1000, 5 planted modules, seed 1):
    // past k = 5 each component takes out 140–240 on the data and 290–310 on the shuffled copy, but
    // the data's loss is 40 % of the baseline's, so relative decreases (0.6–1.0 % against 0.5 %)
    // read as structure up to the last rank swept.
    const intensities: Row[] = [
      [2, 44632.5, 59369.2],
      [3, 37095.6, 58969.1],
      [4, 29762.1, 58657.3],
      [5, 23496.5, 58333.0],
      [6, 23261.8, 58036.3],
      [7, 23125.0, 57728.2],
      [8, 22908.3, 57438.5],
    ].map(([k, loss, baseLoss]) => ({ k, loss, baseLoss, stability: 0.9, baseStability: 0.9 }));
    expect(frigyesiRank(sweep(intensities))).toMatchObject({ rank: 5, tieAt: null, beyondRange: false });
    const r = recommendRank(sweep(intensities), { integerData: false, fromRank: 2, toRank: 8 });
    // Stability does not single out a rank on these data: none, with 5 named and folds asked for,
    // and no advice to extend the range.
    expect(r).toMatchObject({ rank: null, criterion: 'none' });
    expect(r.warnings.map((w) => w.code)).not.toContain('edge_of_range');
    expect(r.warnings.find((w) => w.code === 'weak_evidence')!.message).toContain('the candidates are k = 5');
  });

  it('points beyond the range when the data still fall faster at the last step, and needs the baseline', () => {
    const steep = sweep(unequal.map((r) => ({ ...r, loss: 400000 * 0.95 ** r.k })));
    expect(frigyesiRank(steep)).toMatchObject({ rank: null, beyondRange: true });
    const bare = sweep(unequal).map((r) => ({ ...r, baseline: null }));
    expect(frigyesiRank(bare)).toEqual({ rank: null, tieAt: null, steps: [], beyondRange: false });
  });

  it('takes the largest stability excess over the baseline, if above the margin', () => {
    expect(stabilityRank(sweep(unequal))).toMatchObject({ rank: 5 });
    expect(stabilityRank(sweep(unequal)).excess).toBeCloseTo(0.994 - 0.711, 12);
    const level = sweep(unequal.map((r) => ({ ...r, baseStability: r.stability - 0.03 })));
    expect(stabilityRank(level).rank).toBeNull();
    expect(stabilityRank(level).excess).toBeCloseTo(0.03, 12);
  });
});

describe('recommendRank without folds, with the shuffled baseline', () => {
  it('recommends the rank where the loss and stability rules agree, not BIC’s', () => {
    const r = recommendRank(sweep(unequal), { integerData: true });
    expect(r).toMatchObject({ rank: 5, criterion: 'baseline-agreement' });
    expect(r.warnings.map((w) => w.code)).not.toContain('weak_evidence');
    expect(r.reasoning[0]).toContain('Frigyesi & Höglund');
    expect(r.reasoning[0]).toContain('Both point to k = 5');
    // BIC is shown as a cross-check only.
    expect(r.reasoning.some((line) => line.includes('BIC (k(m + n) parameters) is lowest at k = 2'))).toBe(
      true,
    );
    expect(r.warnings).toEqual([]);
    // Without the baseline the same criteria fall back to BIC, now with weak_evidence.
    const bare = recommendRank(
      sweep(unequal).map((x) => ({ ...x, baseline: null })),
      { integerData: true },
    );
    expect(bare).toMatchObject({ rank: 2, criterion: 'bic' });
    expect(bare.warnings.map((w) => w.code)).toContain('weak_evidence');
  });

  it('recommends none, naming both candidates and asking for folds, when they disagree', () => {
    // Stability peaks at 6 instead.
    const rows = unequal.map((r) => (r.k === 6 ? { ...r, stability: 0.999, baseStability: 0.6 } : r));
    const r = recommendRank(sweep(rows), { integerData: true, fromRank: 2, toRank: 8 });
    expect(r).toMatchObject({ rank: null, criterion: 'none' });
    const weak = r.warnings.find((w) => w.code === 'weak_evidence')!;
    expect(weak.message).toContain('k = 5, 6');
    expect(weak.message).toContain('cross-validation folds over k = 2..8');
    expect(r.reasoning[0]).toContain('They disagree');
    expect(r.reasoning[0]).toContain('BIC is lowest at k = 2');
    expect(r.reasoning[0]).toContain("Brunet et al.'s cophenetic rule says k = 6");
  });

  it('recommends none when the agreed rank’s loss is barely below the baseline’s (no structure)', () => {
    // The data's loss falls 2–3 % per rank (the baseline's 0.8 %) from above the baseline's, to 0.6 %
    // below it at k = 5, then flattens; stability peaks at 5.
    const dataLoss = [105, 101.85, 98.79, 97.0, 96.6];
    const rows = unequal.slice(0, 5).map((r, t) => ({ ...r, loss: dataLoss[t], baseLoss: 100 * 0.992 ** t }));
    expect(frigyesiRank(sweep(rows))).toMatchObject({ rank: 5, tieAt: null });
    expect(stabilityRank(sweep(rows)).rank).toBe(5);
    const result = recommendRank(sweep(rows));
    expect(result).toMatchObject({ rank: null, criterion: 'none' });
    expect(result.reasoning[0]).toContain('no more structure than their shuffled copy');
    expect(result.warnings.map((w) => w.code)).toEqual(['weak_evidence']);
  });

  it('recommends none when the loss ties between two ranks, even where stability agrees with one', () => {
    // Shaped like two modules with correlated activities: the step from 4 to 5 is 0.9 of the
    // baseline's (0.86–0.94 measured), the steps after it half of the baseline's; stability peaks at 4.
    const rows = unequal.map((r) => ({ ...r }));
    const step = (k: number): number => rows[k - 2].baseLoss - rows[k - 1].baseLoss;
    rows[3].loss = rows[2].loss - 0.9 * step(4);
    for (let k = 6; k <= 8; k++) rows[k - 2].loss = rows[k - 3].loss - 0.5 * step(k - 1);
    rows[2] = { ...rows[2], stability: 0.999, baseStability: 0.6 };
    expect(frigyesiRank(sweep(rows))).toMatchObject({ rank: 4, tieAt: 4 });
    expect(stabilityRank(sweep(rows)).rank).toBe(4);
    const r = recommendRank(sweep(rows), { integerData: true });
    expect(r).toMatchObject({ rank: null, criterion: 'none' });
    expect(r.reasoning[0]).toContain('cannot tell k = 4 from 5');
    expect(r.warnings.find((w) => w.code === 'weak_evidence')!.message).toContain(
      'the candidates are k = 4, 5',
    );
  });

  it('recommends none with edge_of_range when the loss rule points beyond the range', () => {
    const rows = unequal.map((r) => ({ ...r, loss: 400000 * 0.95 ** r.k }));
    const r = recommendRank(sweep(rows));
    expect(r).toMatchObject({ rank: null, criterion: 'none' });
    expect(r.warnings.map((w) => w.code)).toEqual(['edge_of_range', 'weak_evidence']);
    expect(r.warnings[1].message).toContain('the candidates are k = 5');
  });

  it('keeps the earlier rules when stability is not from independent starts, and with folds', () => {
    const warm = sweep(unequal, { consensusFromIndependentStarts: false });
    expect(recommendRank(warm, { integerData: true })).toMatchObject({ rank: 2, criterion: 'bic' });
    // With folds the cross-validated rule decides, whatever the baseline's loss and stability say.
    const folds = sweep(unequal).map((r) => ({
      ...r,
      cvError: r.rank === 3 ? 1 : 2,
      cvErrorSe: 0.01,
      baseline: { ...r.baseline!, cvError: 5 },
    }));
    expect(recommendRank(folds, { integerData: true })).toMatchObject({ rank: 3, criterion: 'cv-1se' });
  });
});
