import { describe, expect, it } from 'vitest';
import { ServiceError } from '../../../shared/api';
import { cvFoldsProblem } from '../../../shared/domain/defaults';
import { dense } from '../../../shared/linalg/matrix';
import { planClusterSweep } from '../cluster-planning';
import type { ClusterData } from '../cluster-folder';

/** 6 × 5, all positive. */
function data(): ClusterData {
  const values = Float64Array.from({ length: 30 }, (_, t) => 1 + (t % 7));
  return {
    matrix: dense(6, 5, values),
    rowNames: ['g1', 'g2', 'g3', 'g4', 'g5', 'g6'],
    colNames: ['s1', 's2', 's3', 's4', 's5'],
    name: 'tiny',
    sourceName: 'tiny.tsv',
    format: 'tsv',
    transform: 'none',
    transposed: false,
  };
}

describe('cluster sweep plans', () => {
  it('refuse one cross-validation fold with the sweep schema’s rule, as local sweeps do', () => {
    const plan = (cvFolds: number) => () =>
      planClusterSweep(data(), { fromRank: 2, toRank: 3, cvFolds }, { tasks: 2 }, 1e8, 'now');
    expect(plan(1)).toThrow(ServiceError);
    expect(plan(1)).toThrow(`cvFolds: ${cvFoldsProblem(1)}`);
    expect(plan(0)).not.toThrow();
  });
});
