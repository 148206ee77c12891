import { describe, expect, it } from 'vitest';
import { hardCase, planSweep, runSweepJob, summarizeSweep, type HardCaseKind, type SweepSpec } from '..';
import { SWEEP_FIT_DEFAULTS } from '../../domain/defaults';

/**
 * Rank choice on data made to break it (synthetic-cases.ts), three seeds each: the recommended
 * rank is right, or the sweep says plainly that the evidence is weak and why. Sizes are reduced
 * where the point survives, to keep the file to a few minutes on one core.
 */

const seeds = [1, 2, 3];

function sweep(kind: HardCaseKind, seed: number, spec: Omit<SweepSpec, 'fit'>, caseOptions = {}) {
  const data = hardCase(kind, { seed, ...caseOptions });
  const full: SweepSpec = {
    ...spec,
    fit: { beta: 1, tol: 1e-5, maxIter: 2000, seed, warmup: SWEEP_FIT_DEFAULTS.warmup },
  };
  const summary = summarizeSweep(
    full,
    planSweep(full).map((job) => runSweepJob(data.V, job)),
  );
  const codes = summary.recommendation.warnings.map((w) => w.code);
  return { data, summary, codes };
}

describe('without cross-validation', () => {
  const noCv = { fromRank: 3, toRank: 7, replicates: 2, cvFolds: 0, baseline: false, consensusReplicates: 6 };

  it.each(seeds)(
    'never picks by BIC on negative-binomial counts (size 5 and 1), seed %i',
    { timeout: 120_000 },
    (seed) => {
      for (const size of [5, 1]) {
        const { summary, codes } = sweep('negative-binomial', seed, noCv, {
          features: 100,
          samples: 50,
          size,
        });
        // BIC falls all the way to the top of the range on these counts; it must not decide.
        expect(summary.recommendation.criterion).not.toBe('bic');
        expect(codes).toContain('overdispersed');
        expect(summary.ranks.find((r) => r.rank === 5)!.pearsonDispersion!).toBeGreaterThan(5);
        if (summary.recommendation.rank !== null) expect(codes).toContain('weak_evidence');
      }
    },
  );

  it.each(seeds)(
    'says microarray-like intensities are not counts and gives no BIC, seed %i',
    { timeout: 60_000 },
    (seed) => {
      const { summary, codes } = sweep('intensities', seed, noCv, { features: 100, samples: 50 });
      expect(codes).toContain('non_count_data');
      expect(summary.ranks.every((r) => r.bic === null)).toBe(true);
      expect(summary.recommendation.criterion).not.toBe('bic');
    },
  );

  it.each(seeds)(
    'uses BIC on Poisson counts and flags its minimum at the top of the range, seed %i',
    { timeout: 60_000 },
    (seed) => {
      const { summary, codes } = sweep(
        'planted',
        seed,
        { fromRank: 3, toRank: 5, replicates: 2, cvFolds: 0, baseline: false, consensusReplicates: 0 },
        { features: 100, samples: 50 },
      );
      expect(summary.recommendation).toMatchObject({ rank: 5, criterion: 'bic' });
      expect(codes).toContain('edge_of_range');
      expect(codes).not.toContain('overdispersed');
      expect(summary.ranks.find((r) => r.rank === 5)!.pearsonDispersion!).toBeLessThan(1.5);
    },
  );
});

describe('with cross-validation and the shuffled baseline', () => {
  it.each(seeds)('recommends no rank on data without structure, seed %i', { timeout: 120_000 }, (seed) => {
    for (const kind of ['null', 'shuffled'] as const) {
      const { summary, codes } = sweep(
        kind,
        seed,
        { fromRank: 2, toRank: 4, replicates: 1, cvFolds: 3, baseline: true, consensusReplicates: 0 },
        { features: 60, samples: 40 },
      );
      expect(summary.recommendation.rank, kind).toBeNull();
      expect(summary.recommendation.criterion).toBe('none');
      expect(codes).toContain('weak_evidence');
    }
  });
});

describe('with cross-validation on structured hard cases (300 × 100, truth 5)', () => {
  // Ranks 4..6 around the truth, one replicate, no consensus fits and no baseline: what is tested
  // is the held-out rule (screened fold fits, trimmed errors, paired standard errors).
  const around = {
    fromRank: 4,
    toRank: 6,
    replicates: 1,
    cvFolds: 3,
    baseline: false,
    consensusReplicates: 0,
  };

  it.each(seeds)(
    'recommends 5 with correlated module activities (ρ = 0.97), seed %i',
    { timeout: 300_000 },
    (seed) => {
      const { summary } = sweep('correlated', seed, around);
      expect(summary.recommendation).toMatchObject({ rank: 5, criterion: 'cv-1se' });
    },
  );

  it.each(seeds)('recommends 5 with module sizes 180/60/30/18/12, seed %i', { timeout: 300_000 }, (seed) => {
    const { summary } = sweep('unequal-sizes', seed, around);
    expect(summary.recommendation).toMatchObject({ rank: 5, criterion: 'cv-1se' });
  });

  // log1p makes the planted rank-5 signal slightly non-linear, so a sixth component can predict a
  // little better: on seed 1 it does, by 0.51 % on every fold — under the rule's 1 % tolerance, so
  // 5 is recommended and 6 is named (`marginal_gain`).
  it.each(seeds)('recommends 5 on log1p intensities, seed %i', { timeout: 300_000 }, (seed) => {
    const { summary, codes } = sweep('intensities', seed, around);
    expect(summary.recommendation).toMatchObject({ rank: 5, criterion: 'cv-1se' });
    expect(codes).toContain('non_count_data');
    if (seed === 1) expect(codes).toContain('marginal_gain');
  });

  it.each(seeds)(
    'recommends 5 on negative-binomial counts (size 5) and keeps BIC out, seed %i',
    { timeout: 300_000 },
    (seed) => {
      const { summary, codes } = sweep('negative-binomial', seed, around);
      expect(summary.recommendation).toMatchObject({ rank: 5, criterion: 'cv-1se' });
      expect(codes).toContain('overdispersed');
    },
  );
});
