import { describe, expect, it } from 'vitest';
import { dense, type DenseMatrix } from '../../linalg/matrix';
import { Rng } from '../../linalg/random';
import { betaDivergence } from '../../nmf';
import {
  adjustedRandIndex,
  alignComponents,
  analyzeConsensus,
  assignModules,
  componentStability,
  heldOutError,
  makeCvFolds,
  maskFold,
  membershipThreshold,
  planSweep,
  recommendRank,
  rowNormalize,
  runSweepJob,
  sampleLabels,
  shuffleWithinRows,
  splitMergeMap,
  summarizeSweep,
  synthesizeGeneModules,
  weightHistogram,
  type RankSummary,
} from '..';
import { emptyCriteria } from './criteria';

function fromRows(rows: number[][]): DenseMatrix {
  return dense(rows.length, rows[0].length, Float64Array.from(rows.flat()));
}

function toCsr(V: DenseMatrix) {
  const indptr = new Int32Array(V.rows + 1);
  const indices: number[] = [];
  const data: number[] = [];
  for (let i = 0; i < V.rows; i++) {
    for (let j = 0; j < V.cols; j++) {
      const v = V.data[i * V.cols + j];
      if (v !== 0) {
        indices.push(j);
        data.push(v);
      }
    }
    indptr[i + 1] = indices.length;
  }
  return {
    kind: 'csr' as const,
    rows: V.rows,
    cols: V.cols,
    indptr,
    indices: Int32Array.from(indices),
    data: Float64Array.from(data),
  };
}

describe('synthesizeGeneModules', () => {
  const data = synthesizeGeneModules({ features: 100, samples: 60, rank: 5, seed: 4 });
  const { W, H, module, moonlighting } = data.truth;

  it('plants one module per feature, two for the moonlighting 5%, columns of W and H summing to one', () => {
    expect(moonlighting).toHaveLength(5);
    const moon = new Set(moonlighting.map((f) => f.index));
    for (let i = 0; i < 100; i++) {
      const nonzero = [0, 1, 2, 3, 4].filter((a) => W.data[i * 5 + a] > 0);
      expect(nonzero.length).toBe(moon.has(i) ? 2 : 1);
      expect(nonzero).toContain(module[i]);
    }
    for (const f of moonlighting) {
      expect(f.modules[0]).toBe(module[f.index]);
      expect(f.modules[1]).not.toBe(f.modules[0]);
      expect(W.data[f.index * 5 + f.modules[1]]).toBeGreaterThan(0);
      expect(f.feature).toBe(`gene${f.index + 1}`);
    }
    for (let a = 0; a < 5; a++) {
      let s = 0;
      for (let i = 0; i < 100; i++) s += W.data[i * 5 + a];
      expect(s).toBeCloseTo(1, 12);
    }
    for (let j = 0; j < 60; j++) {
      let s = 0;
      for (let a = 0; a < 5; a++) s += H.data[a * 60 + j];
      expect(s).toBeCloseTo(1, 12);
    }
    // Balanced modules: 20 features each.
    for (let a = 0; a < 5; a++) expect(module.filter((x) => x === a)).toHaveLength(20);
    expect(data.featureNames[0]).toBe('gene1');
    expect(data.sampleNames[59]).toBe('cond60');
  });

  it('draws integer counts around depth·W·H, in the hundreds, deterministically', () => {
    const values = Array.from(data.V.data).sort((x, y) => x - y);
    for (const v of values) expect(Number.isInteger(v)).toBe(true);
    const median = values[values.length >> 1];
    expect(median).toBeGreaterThan(200);
    expect(median).toBeLessThan(1500);
    // Every sample expects depth = 1000·m counts in all.
    let total = 0;
    for (const v of values) total += v;
    expect(total / 60).toBeGreaterThan(0.97 * 100_000);
    expect(total / 60).toBeLessThan(1.03 * 100_000);
    const again = synthesizeGeneModules({ features: 100, samples: 60, rank: 5, seed: 4 });
    expect(again.V.data).toEqual(data.V.data);
    const other = synthesizeGeneModules({ features: 100, samples: 60, rank: 5, seed: 5 });
    expect(other.V.data).not.toEqual(data.V.data);
  });
});

describe('alignment', () => {
  const rng = new Rng(1);
  const A = dense(
    30,
    4,
    Float64Array.from({ length: 120 }, () => rng.gamma(0.5)),
  );

  it('recovers a permutation and rescaling of the components', () => {
    const order = [2, 0, 3, 1];
    const B = dense(30, 4);
    for (let i = 0; i < 30; i++)
      for (let b = 0; b < 4; b++) B.data[i * 4 + b] = (b + 1) * 7 * A.data[i * 4 + order[b]];
    for (const metric of ['cosine', 'pearson'] as const) {
      const result = alignComponents(A, B, metric);
      for (const match of result.matches) {
        expect(order[match.b]).toBe(match.a);
        expect(match.similarity).toBeCloseTo(1, 12);
      }
      expect(result.unmatchedA).toEqual([]);
      expect(result.unmatchedB).toEqual([]);
    }
  });

  it('leaves the extra components of the larger run unmatched', () => {
    const B = dense(30, 2);
    for (let i = 0; i < 30; i++) {
      B.data[i * 2] = A.data[i * 4 + 3];
      B.data[i * 2 + 1] = A.data[i * 4 + 1];
    }
    const result = alignComponents(A, B);
    expect(result.matches.map((m) => [m.a, m.b])).toEqual([
      [1, 1],
      [3, 0],
    ]);
    expect(result.unmatchedA).toEqual([0, 2]);
    expect(result.unmatchedB).toEqual([]);
    expect(result.similarity).toHaveLength(4);
    expect(result.similarity[0]).toHaveLength(2);
  });

  it('maps rank k + 1 onto rank k and flags the component that split', () => {
    // k = 2: columns x and y; k + 1 = 3: x's support split in two halves, and y.
    const m = 40;
    const Wk = dense(m, 2);
    const Wk1 = dense(m, 3);
    for (let i = 0; i < m; i++) {
      const inX = i < 20;
      Wk.data[i * 2 + (inX ? 0 : 1)] = 1 + (i % 3);
      if (inX) Wk1.data[i * 3 + (i < 10 ? 2 : 0)] = 1 + (i % 3);
      else Wk1.data[i * 3 + 1] = 1 + (i % 3);
    }
    const map = splitMergeMap(Wk, Wk1);
    expect(map.children.map((e) => [e.child, e.parent, e.split])).toEqual([
      [0, 0, true],
      [1, 1, false],
      [2, 0, true],
    ]);
    expect(map.children[1].similarity).toBeCloseTo(1, 12);
    expect(map.children[0].similarity).toBeLessThan(0.8);
    expect(map.parents[0].children).toEqual([0, 2]);
  });

  it('measures stability against the lowest-loss replicate', () => {
    const same = componentStability([A, A, A], [3, 1, 2]);
    expect(same.reference).toBe(1);
    expect(same.overall).toBeCloseTo(1, 12);
    const noisy = dense(
      30,
      4,
      Float64Array.from(A.data, (v) => v + rng.uniform()),
    );
    const mixed = componentStability([A, noisy], [1, 2]);
    expect(mixed.overall).toBeLessThan(0.99);
    expect(mixed.overall).toBeGreaterThan(0);
    expect(mixed.perComponent).toHaveLength(4);
  });
});

describe('module assignment', () => {
  // 60 single-module features with small noise, 3 features shared 0.3/0.7 (after column scaling).
  function plantedW(): { W: DenseMatrix; moon: number[] } {
    const rng = new Rng(3);
    const k = 3;
    const m = 63;
    const W = dense(m, k);
    for (let i = 0; i < 60; i++) {
      for (let a = 0; a < k; a++) W.data[i * k + a] = rng.uniform() * 0.02;
      W.data[i * k + (i % k)] = 1 + rng.uniform();
    }
    const moon = [60, 61, 62];
    for (const i of moon) {
      W.data[i * k + 0] = 0.3;
      W.data[i * k + 1] = 0.7;
      W.data[i * k + 2] = 0.005;
    }
    return { W, moon };
  }

  it('row-normalises after scaling each column by its typical member', () => {
    const W = fromRows([
      [1, 10],
      [3, 30],
    ]);
    const N = rowNormalize(W);
    expect(Array.from(N.data)).toEqual([0.5, 0.5, 0.5, 0.5]);
  });

  it('finds a threshold in the valley that keeps 0.3/0.7 features in both modules', () => {
    const { W, moon } = plantedW();
    const result = assignModules(W);
    expect(result.defaultThreshold).toBeGreaterThan(0.05);
    expect(result.defaultThreshold).toBeLessThan(0.25);
    expect(result.moonlighting).toEqual(moon);
    expect(result.multiModule).toEqual([]);
    for (const i of moon) expect(result.modules[i].length).toBe(2);
    for (let i = 0; i < 60; i++) expect(result.modules[i]).toEqual([i % 3]);
    expect(result.histogram.counts.reduce((s, c) => s + c, 0)).toBe(63 * 3);
    expect(result.histogram.edges).toHaveLength(51);
  });

  it('honours an explicit threshold and reports features in more than two components', () => {
    const W = fromRows([
      [1, 1, 1],
      [1, 0, 0],
      [0, 1, 1],
    ]);
    const result = assignModules(W, { threshold: 0.3 });
    expect(result.modules[0]).toEqual([0, 1, 2]);
    expect(result.multiModule).toEqual([0]);
    expect(result.moonlighting).toEqual([2]);
    expect(() => assignModules(W, { threshold: 0 })).toThrow(RangeError);
  });

  it('places the threshold at the end of the background mode of a histogram', () => {
    const counts = new Array<number>(50).fill(0);
    counts[0] = 500;
    counts[1] = 120;
    counts[2] = 30;
    counts[3] = 5;
    counts[12] = 2;
    counts[15] = 3;
    counts[47] = 200;
    counts[48] = 150;
    const edges = Array.from({ length: 51 }, (_, b) => b / 50);
    const t = membershipThreshold({ edges, counts });
    expect(t).toBeGreaterThan(0.08);
    expect(t).toBeLessThan(0.24);
    expect(weightHistogram(rowNormalize(fromRows([[1, 0]])), 10).counts).toEqual([
      1, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    ]);
  });
});

describe('cross-validation folds and the shuffled baseline', () => {
  const data = synthesizeGeneModules({ features: 20, samples: 13, rank: 3, seed: 2 });
  const V = data.V;

  it('splits entries into balanced folds, reproducibly', () => {
    const folds = makeCvFolds(20, 13, 3, 9);
    const sizes = [0, 0, 0];
    for (const f of folds.assignment) sizes[f]++;
    expect(sizes.sort()).toEqual([86, 87, 87]);
    expect(makeCvFolds(20, 13, 3, 9).assignment).toEqual(folds.assignment);
    expect(makeCvFolds(20, 13, 3, 10).assignment).not.toEqual(folds.assignment);
  });

  it('masks exactly the fold’s entries, in dense and CSR layouts', () => {
    const folds = makeCvFolds(20, 13, 4, 1);
    const masked = maskFold(V, folds, 2);
    if (masked.kind !== 'dense') throw new Error('dense expected');
    for (let t = 0; t < V.data.length; t++) {
      if (folds.assignment[t] === 2) expect(masked.data[t]).toBeNaN();
      else expect(masked.data[t]).toBe(V.data[t]);
    }
    const zeroed = dense(
      20,
      13,
      Float64Array.from(V.data, (v, t) => (t % 5 === 0 ? 0 : v)),
    );
    const sparse = maskFold(toCsr(zeroed), folds, 2);
    if (sparse.kind !== 'csr') throw new Error('csr expected');
    const back = new Float64Array(20 * 13);
    for (let i = 0; i < 20; i++) {
      for (let q = sparse.indptr[i]; q < sparse.indptr[i + 1]; q++)
        back[i * 13 + sparse.indices[q]] = sparse.data[q];
    }
    for (let t = 0; t < back.length; t++) {
      if (folds.assignment[t] === 2) expect(back[t]).toBeNaN();
      else expect(back[t]).toBe(zeroed.data[t]);
    }
  });

  it('scores the held-out entries only, per entry', () => {
    const folds = makeCvFolds(20, 13, 3, 5);
    const W = dense(
      20,
      3,
      Float64Array.from({ length: 60 }, (_, t) => 1 + (t % 7)),
    );
    const H = dense(
      3,
      13,
      Float64Array.from({ length: 39 }, (_, t) => 2 + (t % 5)),
    );
    const onlyHeld = dense(
      20,
      13,
      Float64Array.from(V.data, (v, t) => (folds.assignment[t] === 1 ? v : NaN)),
    );
    const count = folds.assignment.filter((f) => f === 1).length;
    for (const beta of [1, 2]) {
      const expected = betaDivergence(onlyHeld, W, H, beta) / count;
      const dense1 = heldOutError(V, W, H, folds, 1, beta);
      expect(dense1.count).toBe(count);
      expect(dense1.error).toBeCloseTo(expected, 10);
      expect(heldOutError(toCsr(V), W, H, folds, 1, beta).error).toBeCloseTo(expected, 10);
    }
  });

  it('permutes each row and keeps its values', () => {
    const shuffled = shuffleWithinRows(V, 3);
    if (shuffled.kind !== 'dense') throw new Error('dense expected');
    let moved = 0;
    for (let i = 0; i < 20; i++) {
      const a = Array.from(V.data.subarray(i * 13, (i + 1) * 13)).sort((x, y) => x - y);
      const b = Array.from(shuffled.data.subarray(i * 13, (i + 1) * 13)).sort((x, y) => x - y);
      expect(b).toEqual(a);
      for (let j = 0; j < 13; j++) if (shuffled.data[i * 13 + j] !== V.data[i * 13 + j]) moved++;
    }
    expect(moved).toBeGreaterThan(100);
    const sparse = shuffleWithinRows(toCsr(V), 3);
    if (sparse.kind !== 'csr') throw new Error('csr expected');
    for (let i = 0; i < 20; i++) {
      const row = Array.from(sparse.indices.subarray(sparse.indptr[i], sparse.indptr[i + 1]));
      expect([...row].sort((x, y) => x - y)).toEqual(row);
    }
  });
});

describe('planSweep', () => {
  it('plans replicates, folds and the baseline for every rank with seeded, distinct starts', () => {
    const jobs = planSweep({
      fromRank: 2,
      toRank: 4,
      replicates: 3,
      cvFolds: 4,
      fit: { seed: 10, init: 'nndsvda' },
    });
    // Per rank: replicates and folds on both sides, 20 consensus fits on the data and
    // min(20, replicates) on the baseline.
    expect(jobs).toHaveLength(3 * (2 * (3 + 4) + 20 + 3));
    expect(new Set(jobs.map((j) => j.id)).size).toBe(jobs.length);
    const k3 = jobs.filter((j) => j.rank === 3 && !j.baseline && j.kind === 'replicate');
    expect(k3.map((j) => j.fit.seed)).toEqual([10, 11, 12]);
    const consensus = jobs.filter((j) => j.rank === 3 && !j.baseline && j.kind === 'consensus');
    expect(consensus.map((j) => j.fit.seed)).toEqual(Array.from({ length: 20 }, (_, c) => 13 + c));
    expect(consensus.every((j) => j.fit.warmup === 0 && !j.keepFactors)).toBe(true);
    expect(
      planSweep({ fromRank: 2, toRank: 2, replicates: 2, cvFolds: 0, consensusReplicates: 0 }).map(
        (j) => j.kind,
      ),
    ).toEqual(['replicate', 'replicate', 'replicate', 'replicate']);
    for (const j of jobs) expect(j.fit.init).toBe('random');
    expect(jobs.filter((j) => j.keepFactors).every((j) => !j.baseline && j.kind === 'replicate')).toBe(true);
    const folds = jobs.filter((j) => j.kind === 'fold');
    expect(new Set(folds.map((j) => j.cv!.seed)).size).toBe(1);
    expect(folds.every((j) => j.screen?.starts === 5)).toBe(true);
    expect(planSweep({ fromRank: 1, toRank: 1, replicates: 1, cvFolds: 0, baseline: false })).toHaveLength(
      21,
    );
    expect(() => planSweep({ fromRank: 3, toRank: 2 })).toThrow(RangeError);
    expect(() => planSweep({ fromRank: 1, toRank: 2, cvFolds: 1 })).toThrow(RangeError);
    expect(() => planSweep({ fromRank: 1, toRank: 2, fit: { init: 'custom' } })).toThrow(RangeError);
  });
});

describe('sampleLabels', () => {
  const H = fromRows([
    [1, 0, 3],
    [2, 0.5, 1],
  ]);
  it('takes the argmax of each column of H when W has unit column sums', () => {
    const W = fromRows([
      [0.5, 0.25],
      [0.5, 0.75],
    ]);
    expect(sampleLabels(W, H)).toEqual([1, 1, 0]);
  });
  it('does not depend on how the scale is split between W and H', () => {
    // W·D, D⁻¹·H with D = diag(4, 1): the same fit, so the same labels.
    const W = fromRows([
      [2, 0.25],
      [2, 0.75],
    ]);
    const scaledH = fromRows([
      [0.25, 0, 0.75],
      [2, 0.5, 1],
    ]);
    expect(sampleLabels(W, scaledH)).toEqual([1, 1, 0]);
    // Raw H alone would say component 1 for the third sample (0.75 < 1).
  });
});

describe('recommendRank', () => {
  function rank(
    k: number,
    cv: number | null,
    se: number | null,
    extra: Partial<RankSummary> = {},
  ): RankSummary {
    return { ...emptyCriteria(k, { loss: 100 - k, cvError: cv, cvErrorSe: se }), baseline: null, ...extra };
  }

  it('takes the smallest rank within one standard error of the minimum', () => {
    const r = recommendRank([
      rank(2, 5, 0.1),
      rank(3, 1.2, 0.05),
      rank(4, 1.05, 0.05),
      rank(5, 1.0, 0.1),
      rank(6, 1.3, 0.1),
    ]);
    expect(r.rank).toBe(4);
    expect(r.criterion).toBe('cv-1se');
    expect(r.reasoning[0]).toContain('k = 5');
    expect(recommendRank([rank(2, 5, 0.1), rank(3, 1.0, 0.01), rank(4, 1.05, 0.05)]).rank).toBe(3);
  });

  it('falls back to BIC, then to the cophenetic drop, then to no rank', () => {
    expect(
      recommendRank([
        rank(2, null, null, { bic: 10 }),
        rank(3, null, null, { bic: 5 }),
        rank(4, null, null, { bic: 7 }),
      ]),
    ).toMatchObject({
      rank: 3,
      criterion: 'bic',
    });
    expect(
      recommendRank([
        rank(2, null, null, { cophenetic: 0.99 }),
        rank(3, null, null, { cophenetic: 0.98 }),
        rank(4, null, null, { cophenetic: 0.8 }),
        rank(5, null, null, { cophenetic: 0.78 }),
      ]),
    ).toMatchObject({ rank: 3, criterion: 'cophenetic' });
    const none = recommendRank([rank(4, null, null), rank(2, null, null)]);
    expect(none).toMatchObject({ rank: null, criterion: 'none' });
    expect(none.warnings.map((w) => w.code)).toEqual(['weak_evidence']);
  });

  it('cross-checks against the shuffled baseline', () => {
    const base = (cv: number): RankSummary['baseline'] => {
      const { baseline: _unused, ...criteria } = rank(0, cv, 0.1);
      return criteria;
    };
    const r = recommendRank([
      rank(2, 3, 0.1, { baseline: base(10) }),
      rank(3, 1, 0.05, { baseline: base(10.5) }),
      rank(4, 1.02, 0.05, { baseline: base(11) }),
    ]);
    expect(r.rank).toBe(3);
    expect(
      r.reasoning.some(
        (line) => line.includes('row-shuffled baseline') && line.includes('captures structure'),
      ),
    ).toBe(true);
    expect(r.reasoning.some((line) => line.includes('fits noise'))).toBe(true);
  });
});

describe('analyzeConsensus on many samples', () => {
  /** Replicate labelings of n samples in `k` true groups (j mod k), each label flipped with probability `noise`, permuted per replicate. */
  function noisyLabelings(n: number, k: number, replicates: number, noise: number, seed: number): number[][] {
    const rng = new Rng(seed);
    return Array.from({ length: replicates }, () => {
      const permutation = rng.shuffle(Array.from({ length: k }, (_, c) => c));
      return Array.from({ length: n }, (_, j) => permutation[rng.uniform() < noise ? rng.int(k) : j % k]);
    });
  }

  it('uses every sample up to the limit and a seeded subsample beyond it, still clustering all', () => {
    const labelings = noisyLabelings(600, 3, 5, 0.1, 4);
    const full = analyzeConsensus(labelings, 3);
    expect(full.subsample).toBeNull();
    expect(full.consensus.rows).toBe(600);
    const sampled = analyzeConsensus(labelings, 3, 200);
    expect(sampled.subsample).toHaveLength(200);
    expect(new Set(sampled.subsample).size).toBe(200);
    expect(sampled.subsample).toEqual([...sampled.subsample!].sort((a, b) => a - b));
    expect(analyzeConsensus(labelings, 3, 200).subsample).toEqual(sampled.subsample);
    expect(sampled.consensus.rows).toBe(200);
    expect(sampled.sampleClusters).toHaveLength(600);
    // Nearly the same partition as the full analysis (a sample relabelled in several replicates
    // may land differently), and coefficients close to it.
    expect(adjustedRandIndex(full.sampleClusters, sampled.sampleClusters)).toBeGreaterThan(0.98);
    expect(
      adjustedRandIndex(
        sampled.sampleClusters,
        labelings[0].map((_, j) => j % 3),
      ),
    ).toBeGreaterThan(0.98);
    expect(Math.abs(sampled.cophenetic - full.cophenetic)).toBeLessThan(0.05);
    expect(Math.abs(sampled.dispersion - full.dispersion)).toBeLessThan(0.05);
  });

  it('handles 20 000 samples in bounded memory', () => {
    const labelings = noisyLabelings(20_000, 4, 3, 0.05, 9);
    const result = analyzeConsensus(labelings, 4);
    expect(result.subsample).toHaveLength(2000);
    expect(result.sampleClusters).toHaveLength(20_000);
    expect(
      adjustedRandIndex(
        result.sampleClusters,
        labelings[0].map((_, j) => j % 4),
      ),
    ).toBeGreaterThan(0.95);
  });
});

describe('summarizeSweep on many samples', () => {
  it('says when the consensus criteria come from a subsample', () => {
    const rng = new Rng(3);
    const V = dense(
      12,
      2100,
      Float64Array.from({ length: 12 * 2100 }, () => rng.int(20)),
    );
    const spec = { fromRank: 2, toRank: 2, replicates: 2, cvFolds: 0, baseline: false, fit: { maxIter: 5 } };
    const summary = summarizeSweep(
      spec,
      planSweep(spec).map((job) => runSweepJob(V, job)),
    );
    expect(summary.ranks[0].sampleClusters).toHaveLength(2100);
    expect(summary.recommendation.reasoning.at(-1)).toMatch(/subsample of 2000 of the 2100 samples/);
  });
});
