import { describe, expect, it } from 'vitest';
import { csrFromDense } from '../../linalg/ops';
import { recommendRank } from '../recommend';
import { planSweep, runSweepJob, summarizeSweep } from '../sweep';
import { hardCase } from '../synthetic-cases';
import type { SweepSpec } from '../types';

/**
 * Real sweeps without folds, with the default plan's shuffled baseline (consensus fits only), on
 * small sets where BIC — what such a sweep decided by before — gives a confident wrong rank: it
 * must now give the planted rank, or none on data without structure.
 */
function noFolds(
  fromRank: number,
  toRank: number,
  replicates: number,
  consensus: number,
  maxIter: number,
): SweepSpec {
  return {
    fromRank,
    toRank,
    replicates,
    cvFolds: 0,
    consensusReplicates: consensus,
    baseline: true,
    baselineReplicates: 0,
    fit: { beta: 1, maxIter, seed: 0 },
  };
}

/** What the criteria would have given without the baseline: BIC where its Poisson model holds. */
function bicAlone(
  summary: ReturnType<typeof summarizeSweep>,
  spec: SweepSpec,
): { rank: number | null; criterion: string } {
  return recommendRank(
    summary.ranks.map((r) => ({ ...r, baseline: null })),
    { integerData: true, fromRank: spec.fromRank, toRank: spec.toRank },
  );
}

describe('a sweep without folds, with the shuffled baseline', () => {
  it('finds 5 unequal modules (100 × 300 sparse counts) where BIC says 3', { timeout: 120_000 }, () => {
    // Module sizes 60/20/10/6/4 % of the genes, 0.5 counts per entry on average.
    const data = hardCase('unequal-sizes', { features: 100, samples: 300, rank: 5, depth: 50, seed: 1 });
    const spec = noFolds(3, 7, 3, 8, 150);
    const V = csrFromDense(data.V);
    const summary = summarizeSweep(
      spec,
      planSweep(spec).map((job) => runSweepJob(V, job)),
    );
    expect(bicAlone(summary, spec)).toMatchObject({ rank: 3, criterion: 'bic' });
    expect(summary.recommendation).toMatchObject({ rank: 5, criterion: 'baseline-agreement' });
  });

  it('recommends no rank on independent Poisson counts where BIC says 2', { timeout: 60_000 }, () => {
    const data = hardCase('null', { features: 60, samples: 100, depth: 60, seed: 1 });
    const spec = noFolds(2, 4, 2, 6, 100);
    const summary = summarizeSweep(
      spec,
      planSweep(spec).map((job) => runSweepJob(data.V, job)),
    );
    expect(bicAlone(summary, spec)).toMatchObject({ rank: 2, criterion: 'bic' });
    expect(summary.recommendation).toMatchObject({ rank: null, criterion: 'none' });
    expect(summary.recommendation.warnings.map((w) => w.code)).toContain('weak_evidence');
    expect(summary.recommendation.warnings.find((w) => w.code === 'weak_evidence')!.message).toContain(
      'cross-validation folds',
    );
  });
});
