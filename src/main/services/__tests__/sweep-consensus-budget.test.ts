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
