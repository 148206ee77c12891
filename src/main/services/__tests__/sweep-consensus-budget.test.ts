import { describe, expect, it } from 'vitest';
import { sweepParamsSchema, type DatasetSummary } from '../../../shared/domain';
import { planSweep } from '../../../shared/analysis';
import { sweepSpecOf, withConsensusReplicates } from '../sweeps';

function dataset(rows: number, cols: number): DatasetSummary {
  return {
    id: 1,
    name: 'd',
    rows,
    cols,
    nnz: rows * cols,
    missing: 0,
    layout: 'dense',
    hash: 'h',
    format: 'tsv',
    sourceName: 'd.tsv',
    transform: 'none',
    transposed: false,
    integer: true,
    minValue: 0,
    maxValue: 10,
    hasTruth: false,
    sizeBytes: rows * cols * 8,
    createdAt: '2026-01-01T00:00:00Z',
  };
}

describe('withConsensusReplicates', () => {
  it('adds 20 independent consensus fits per rank when they at most triple the work, none otherwise', () => {
    const issueCase = sweepParamsSchema.parse({ fromRank: 2, toRank: 8, replicates: 4, cvFolds: 3 });
    const chosen = withConsensusReplicates(dataset(300, 100), issueCase);
    expect(chosen.consensusReplicates).toBe(20);
    expect(planSweep(sweepSpecOf(chosen)).filter((j) => j.kind === 'consensus')).toHaveLength(7 * (20 + 4));

    const golub = sweepParamsSchema.parse({ fromRank: 2, toRank: 5 });
    expect(withConsensusReplicates(dataset(5000, 38), golub).consensusReplicates).toBe(20);

    // Two replicates, three folds and no baseline (the large planted service test): 20 plain
    // fits would be 2.9 × the rest, so consensus comes from the replicates.
    const lean = sweepParamsSchema.parse({
      fromRank: 7,
      toRank: 9,
      replicates: 2,
      cvFolds: 3,
      baseline: false,
    });
    expect(withConsensusReplicates(dataset(2000, 500), lean).consensusReplicates).toBe(0);

    // A stated choice is kept.
    const stated = sweepParamsSchema.parse({ fromRank: 2, toRank: 3, consensusReplicates: 7 });
    expect(withConsensusReplicates(dataset(300, 100), stated).consensusReplicates).toBe(7);
  });
});

describe('the baseline of a sweep without folds', () => {
  const sparseSweep = sweepParamsSchema.parse({
    fromRank: 2,
    toRank: 10,
    replicates: 10,
    cvFolds: 0,
    fit: { maxIter: 200 },
  });

  it('is planned without warm-started replicates when it has consensus fits, and the choice is stored', () => {
    const chosen = withConsensusReplicates(dataset(2000, 20000), sparseSweep);
    expect(chosen.consensusReplicates).toBe(20);
    expect(chosen.baselineReplicates).toBe(0);
    const jobs = planSweep(sweepSpecOf(chosen));
    // Per rank: 10 replicates and 20 consensus fits on the data, 10 consensus fits on the baseline.
    expect(jobs).toHaveLength(9 * 40);
    expect(jobs.filter((j) => j.baseline && j.kind === 'replicate')).toHaveLength(0);
    expect(jobs.filter((j) => j.baseline && j.kind === 'consensus')).toHaveLength(9 * 10);
    // Stored and read back, the parameters plan the same jobs.
    const stored = sweepParamsSchema.parse(JSON.parse(JSON.stringify(chosen)));
    expect(planSweep(sweepSpecOf(stored))).toEqual(jobs);
  });

  it('keeps its replicates for sweeps stored before the choice, with folds, without consensus fits, or when stated', () => {
    // A sweep stored before the field existed resumes with the plan it was created with.
    const storedBefore = sweepParamsSchema.parse({ ...sparseSweep, consensusReplicates: 20 });
    expect(storedBefore.baselineReplicates).toBeUndefined();
    expect(planSweep(sweepSpecOf(storedBefore))).toHaveLength(9 * 50);

    const golub = withConsensusReplicates(
      dataset(5000, 38),
      sweepParamsSchema.parse({ fromRank: 2, toRank: 5 }),
    );
    expect(golub.baselineReplicates).toBeUndefined();
    expect(planSweep(sweepSpecOf(golub)).filter((j) => j.baseline && j.kind === 'replicate')).toHaveLength(
      4 * 5,
    );

    const noConsensus = withConsensusReplicates(dataset(2000, 20000), {
      ...sparseSweep,
      consensusReplicates: 0,
    });
    expect(noConsensus.baselineReplicates).toBeUndefined();
    const noBaseline = withConsensusReplicates(dataset(2000, 20000), { ...sparseSweep, baseline: false });
    expect(noBaseline.baselineReplicates).toBeUndefined();

    const stated = withConsensusReplicates(dataset(2000, 20000), { ...sparseSweep, baselineReplicates: 3 });
    expect(stated.baselineReplicates).toBe(3);
    expect(planSweep(sweepSpecOf(stated)).filter((j) => j.baseline && j.kind === 'replicate')).toHaveLength(
      9 * 3,
    );
  });
});
