import { describe, expect, it } from 'vitest';
import { dense, type CsrMatrix } from '../../linalg/matrix';
import { synthesizeGeneModules } from '../synthetic';
import { planSweep, runSweepJob } from '../sweep';
import { makeSampleFolds, predictHeldOutSamples, selectDataColumns } from '../sample-cv';
import { fitNmf } from '../../nmf';
import type { DenseMatrix } from '../../linalg/matrix';

describe('sample-wise cross-validation', () => {
  it('splits samples into balanced folds and features into halves, the same for the same seed', () => {
    const a = makeSampleFolds(7, 10, 3, 42);
    expect(a).toEqual(makeSampleFolds(7, 10, 3, 42));
    expect([0, 1, 2].map((f) => a.sampleFold.filter((x) => x === f).length)).toEqual([4, 3, 3]);
    expect(a.featureHalf.filter((x) => x === 0).length).toBe(4);
    expect(() => makeSampleFolds(7, 2, 3, 1)).toThrow('2 samples cannot be split into 3 sample folds');
    expect(() => makeSampleFolds(7, 10, 1, 1)).toThrow('sample folds must be an integer in 2..255, got 1');
  });

  it('selects columns of dense and CSR matrices alike, in the order asked', () => {
    const V = dense(2, 4, Float64Array.from([1, 0, 3, 0, 0, 5, 0, 7]));
    const csr: CsrMatrix = {
      kind: 'csr',
      rows: 2,
      cols: 4,
      indptr: Int32Array.from([0, 2, 4]),
      indices: Int32Array.from([0, 2, 1, 3]),
      data: Float64Array.from([1, 3, 5, 7]),
    };
    expect(Array.from((selectDataColumns(V, [3, 0, 2]) as DenseMatrix).data)).toEqual([0, 1, 3, 7, 0, 0]);
    const picked = selectDataColumns(csr, [3, 0, 2]) as CsrMatrix;
    expect(Array.from(picked.indptr)).toEqual([0, 2, 3]);
    expect(Array.from(picked.indices)).toEqual([1, 2, 0]);
    expect(Array.from(picked.data)).toEqual([1, 3, 7]);
  });

  it('leaves the sweep plan as it was when off, and adds F data-side jobs per rank when on', () => {
    const spec = { fromRank: 2, toRank: 3, replicates: 2, cvFolds: 2, consensusReplicates: 2 };
    const plain = planSweep(spec);
    expect(planSweep({ ...spec, sampleFolds: 0 })).toEqual(plain);
    const withFolds = planSweep({ ...spec, sampleFolds: 3 });
    const added = withFolds.filter((job) => job.kind === 'sample-fold');
    expect(withFolds.filter((job) => job.kind !== 'sample-fold')).toEqual(plain);
    expect(added.map((job) => job.id)).toEqual([
      'k2/sample-fold/0',
      'k2/sample-fold/1',
      'k2/sample-fold/2',
      'k3/sample-fold/0',
      'k3/sample-fold/1',
      'k3/sample-fold/2',
    ]);
    expect(added.every((job) => !job.baseline && job.cv!.folds === 3)).toBe(true);
    expect(new Set(added.map((job) => job.cv!.seed)).size).toBe(1);
    expect(() => planSweep({ ...spec, sampleFolds: 1 })).toThrow(
      'sampleFolds: cross-validation needs at least 2 folds (or 0 for none), got 1',
    );
  });

  it('predicts held-out samples from the other features: past the planted rank the error rises, unlike scoring the fitted entries', () => {
    const data = synthesizeGeneModules({ features: 120, samples: 60, rank: 3, seed: 4, depth: 200 * 120 });
    const V = data.V as DenseMatrix;
    const held = Array.from({ length: 20 }, (_, q) => q * 3);
    const train = Array.from({ length: 60 }, (_, j) => j).filter((j) => j % 3 !== 0);
    const split = makeSampleFolds(120, 60, 3, 11);
    const settings = { beta: 1, solver: 'mu' as const, maxIter: 400, tol: 1e-6 };
    const predicted: number[] = [];
    const inSample: number[] = [];
    for (const rank of [2, 3, 6]) {
      const W = fitNmf(selectDataColumns(V, train), { rank, beta: 1, maxIter: 600, warmup: 100, seed: 1 }).W;
      const test = selectDataColumns(V, held);
      predicted.push(predictHeldOutSamples(test, W, split.featureHalf, settings).error);
      // The same samples' H fitted on all features and scored there (not held out).
      inSample.push(fitNmf(test, { ...settings, rank, fixed: 'W', W0: W }).loss);
    }
    expect(predicted[0]).toBeGreaterThan(predicted[1] * 1.2);
    expect(predicted[2]).toBeGreaterThan(predicted[1]);
    expect(inSample[2]).toBeLessThan(inSample[1]);
  });

  it('a sample-fold job reports the held-out error of its fold', () => {
    const data = synthesizeGeneModules({ features: 40, samples: 24, rank: 2, seed: 9 });
    const [job] = planSweep({
      fromRank: 2,
      toRank: 2,
      replicates: 1,
      cvFolds: 0,
      consensusReplicates: 0,
      baseline: false,
      sampleFolds: 2,
      fit: { maxIter: 50 },
    }).filter((j) => j.kind === 'sample-fold');
    const result = runSweepJob(data.V, job);
    expect(result).toMatchObject({
      kind: 'sample-fold',
      rank: 2,
      index: 0,
      baseline: false,
      rows: 40,
      cols: 24,
    });
    expect(result.heldOutError).toBeGreaterThan(0);
    expect(result.heldOutCount).toBe(40 * 12);
  });
});
