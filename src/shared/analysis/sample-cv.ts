import { oneSidedSolver } from '../nmf/defaults';
import { dense, type DataMatrix, type DenseMatrix } from '../linalg/matrix';
import { Rng } from '../linalg/random';
import { betaDivergence } from '../nmf';
import type { FitHooks, FitResult } from '../nmf/types';
import { selectDataRows, selectRows, projectSamples } from './projection';
import type { RankSummary, SweepJob, SweepJobResult } from './types';

/**
 * Sample-wise cross-validation for a rank sweep: bi-cross-validation's cheaper half (Owen & Perry
 * 2009, "Bi-cross-validation of the SVD and the nonnegative matrix factorization", AoAS 3(2)).
 *
 * The samples are split into F folds. For fold f, W (m × k) is fitted on the other samples only;
 * the held-out samples' H is then fitted with W held — but on one half of the features, and their
 * error is scored on the other half (and the halves swapped). Scoring the projected samples on the
 * very entries their H was fitted to would not be held out: H absorbs noise, more components always
 * fit a projected sample better, and the error falls with k past the true rank (`heldOutSampleError`
 * measures exactly that in-sample figure). Splitting the features makes the score a prediction: no
 * entry scored took part in fitting either factor it is predicted from (W from other samples, H from
 * other features), which is the block hold-out of bi-cross-validation with the block's own fit
 * replaced by the NMF projection.
 */

/** The sweep job kind of a sample fold. */
export const SAMPLE_FOLD_KIND = 'sample-fold' as const;

/** Which samples each fold holds out, and which half of the features each feature is in. */
export interface SampleFolds {
  folds: number;
  /** Fold of each sample (column), length n: a seeded shuffle of 0, 1, …, F−1, 0, 1, … */
  sampleFold: Uint8Array;
  /** Half (0 or 1) of each feature (row), length m: a seeded shuffle of 0, 1, 0, 1, … */
  featureHalf: Uint8Array;
}

/**
 * The seed of the sample folds, drawn from the sweep's base seed after the entry-wise folds' and
 * the baseline's seeds (the third draw of the same generator), so it is the same at every rank
 * and differs from both.
 */
export function sampleFoldSeed(seed: number): number {
  const rng = new Rng(seed);
  rng.nextUint32();
  rng.nextUint32();
  return rng.nextUint32();
}

/**
 * Balanced, seeded sample folds and feature halves.
 *
 * @param rows m (≥ 2)
 * @param cols n (≥ folds)
 * @param folds F, 2 ≤ F ≤ 255
 */
export function makeSampleFolds(rows: number, cols: number, folds: number, seed: number): SampleFolds {
  if (!Number.isInteger(folds) || folds < 2 || folds > 255)
    throw new RangeError(`sample folds must be an integer in 2..255, got ${folds}`);
  if (cols < folds) throw new RangeError(`${cols} samples cannot be split into ${folds} sample folds`);
  if (rows < 2) throw new RangeError(`sample-wise cross-validation needs at least 2 features, got ${rows}`);
  const rng = new Rng(seed);
  const sampleFold = new Uint8Array(cols);
  for (let j = 0; j < cols; j++) sampleFold[j] = j % folds;
  rng.shuffle(sampleFold);
  const featureHalf = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) featureHalf[i] = i % 2;
  rng.shuffle(featureHalf);
  return { folds, sampleFold, featureHalf };
}

/** Columns `cols` of a dense or CSR matrix (m × n), in that order; the layout is kept. */
export function selectDataColumns(V: DataMatrix, cols: readonly number[]): DataMatrix {
  const { rows: m, cols: n } = V;
  const width = cols.length;
  if (V.kind === 'dense') {
    const out = new Float64Array(m * width);
    for (let i = 0; i < m; i++) {
      const row = i * n;
      const to = i * width;
      for (let c = 0; c < width; c++) out[to + c] = V.data[row + cols[c]];
    }
    return dense(m, width, out);
  }
  const position = new Int32Array(n).fill(-1);
  cols.forEach((j, c) => (position[j] = c));
  const indptr = new Int32Array(m + 1);
  const indices: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < m; i++) {
    const start = indices.length;
    for (let q = V.indptr[i]; q < V.indptr[i + 1]; q++) {
      const c = position[V.indices[q]];
      if (c >= 0) {
        indices.push(c);
        values.push(V.data[q]);
      }
    }
    // Selected columns may come in any order: keep each row's indices ascending, as CSR requires.
    if (indices.length - start > 1) {
      const order = Array.from({ length: indices.length - start }, (_, t) => start + t).sort(
        (a, b) => indices[a] - indices[b],
      );
      const sortedIndices = order.map((t) => indices[t]);
      const sortedValues = order.map((t) => values[t]);
      for (let t = 0; t < order.length; t++) {
        indices[start + t] = sortedIndices[t];
        values[start + t] = sortedValues[t];
      }
    }
    indptr[i + 1] = indices.length;
  }
  return {
    kind: 'csr',
    rows: m,
    cols: width,
    indptr,
    indices: Int32Array.from(indices),
    data: Float64Array.from(values),
  };
}

/** Observed (non-NaN) entries of V, stored or implicit. */
function observedEntries(V: DataMatrix): number {
  let missing = 0;
  for (let t = 0; t < V.data.length; t++) if (Number.isNaN(V.data[t])) missing++;
  return V.rows * V.cols - missing;
}

/** Fit settings of a held-out sample's projection: the sweep's loss, solver, stopping rule and H penalties. */
export interface ProjectionSettings {
  beta: number;
  solver: 'mu' | 'hals' | 'als';
  maxIter: number;
  tol: number;
  l1H?: number;
  l2H?: number;
}

/**
 * Error of held-out samples predicted from W: their H fitted on one half of the features with W's
 * rows of that half held, scored on the other half, and the halves swapped; the two β-divergence
 * sums are added and divided by the entries scored.
 *
 * @param test m × h, the held-out samples
 * @param W m × k, fitted on the other samples
 * @returns mean β-divergence per scored entry (NaN when none is observed) and the count
 */
export function predictHeldOutSamples(
  test: DataMatrix,
  W: DenseMatrix,
  featureHalf: Uint8Array,
  settings: ProjectionSettings,
  hooks: FitHooks = {},
): { error: number; count: number } {
  const halves = [0, 1].map((half) => {
    const rows: number[] = [];
    for (let i = 0; i < featureHalf.length; i++) if (featureHalf[i] === half) rows.push(i);
    return rows;
  });
  let sum = 0;
  let count = 0;
  for (const [fitHalf, scoreHalf] of [
    [0, 1],
    [1, 0],
  ] as const) {
    const fitRows = halves[fitHalf];
    const scoreRows = halves[scoreHalf];
    const projected = projectSamples(
      selectDataRows(test, fitRows),
      selectRows(W, fitRows),
      { ...settings, warmup: 0 },
      hooks,
    );
    const scored = selectDataRows(test, scoreRows);
    const observed = observedEntries(scored);
    if (observed === 0) continue;
    sum += betaDivergence(scored, selectRows(W, scoreRows), projected.H, settings.beta);
    count += observed;
  }
  return { error: count > 0 ? sum / count : NaN, count };
}

/**
 * The sample folds of one rank: F jobs `k<rank>/sample-fold/<f>` on the data (never the shuffled
 * baseline), each fitted as the entry-wise folds are (same start screening), sharing one split at
 * every rank so the ranks' errors are paired.
 */
export function planSampleFoldJobs(
  rank: number,
  folds: number,
  seed: number,
  fit: SweepJob['fit'],
  screen: SweepJob['screen'],
  shuffleSeed: number,
): SweepJob[] {
  const jobs: SweepJob[] = [];
  for (let f = 0; f < folds; f++) {
    jobs.push({
      id: `k${rank}/${SAMPLE_FOLD_KIND}/${f}`,
      rank,
      kind: SAMPLE_FOLD_KIND,
      index: f,
      baseline: false,
      shuffleSeed,
      cv: { folds, seed: sampleFoldSeed(seed) },
      fit: { ...fit, rank, seed },
      screen,
      keepFactors: false,
    });
  }
  return jobs;
}

/**
 * Runs a sample-fold job: fits W on the samples outside fold `job.index` (with `fitTraining`, the
 * sweep's own fit with start screening), then scores the held-out samples by
 * {@link predictHeldOutSamples}.
 *
 * @param V m × n, the sweep's data (never modified)
 */
export function runSampleFoldJob(
  V: DataMatrix,
  job: SweepJob,
  hooks: FitHooks,
  fitTraining: (input: DataMatrix, job: SweepJob, hooks: FitHooks) => FitResult,
): SweepJobResult {
  if (job.cv === null) throw new RangeError(`sample-fold job ${job.id} has no fold settings`);
  const split = makeSampleFolds(V.rows, V.cols, job.cv.folds, job.cv.seed);
  const train: number[] = [];
  const held: number[] = [];
  for (let j = 0; j < V.cols; j++) (split.sampleFold[j] === job.index ? held : train).push(j);
  if (train.length < job.rank)
    throw new RangeError(
      `sample fold ${job.index + 1} leaves ${train.length} training samples, fewer than rank ${job.rank}`,
    );
  const trainData = selectDataColumns(V, train);
  const fit = fitTraining(trainData, job, hooks);
  const beta = fit.options.beta;
  const scored = predictHeldOutSamples(
    selectDataColumns(V, held),
    fit.W,
    split.featureHalf,
    {
      beta,
      solver: oneSidedSolver(fit.options.solver),
      maxIter: fit.options.maxIter,
      tol: fit.options.tol,
      l1H: fit.options.l1H,
      l2H: fit.options.l2H,
    },
    hooks,
  );
  return {
    jobId: job.id,
    rank: job.rank,
    kind: job.kind,
    index: job.index,
    baseline: false,
    seed: fit.options.seed,
    rows: V.rows,
    cols: V.cols,
    loss: fit.loss,
    loglik: fit.loglik,
    iterations: fit.iterations,
    converged: fit.converged,
    seconds: fit.seconds,
    observed: observedEntries(trainData),
    heldOutError: scored.error,
    heldOutCount: scored.count,
    heldOutErrorTrimmed: null,
    pearsonDispersion: null,
    integerData: null,
    sampleLabels: null,
    normalizedW: null,
    factors: null,
    warnings: fit.warnings,
  };
}

function meanAndSe(values: readonly number[]): { mean: number | null; se: number | null } {
  if (values.length === 0) return { mean: null, se: null };
  const mean = values.reduce((s, e) => s + e, 0) / values.length;
  if (values.length < 2) return { mean, se: null };
  const variance = values.reduce((s, e) => s + (e - mean) ** 2, 0) / (values.length - 1);
  return { mean, se: Math.sqrt(variance / values.length) };
}

/**
 * Adds the sample-wise criteria to the ranks (in place) from the sample-fold results:
 * `sampleCvError` (mean over folds of the per-entry error), `sampleCvSe` (its standard error),
 * `sampleCvErrors` (per fold), and the paired difference to the rank with the lowest mean with its
 * standard error (every rank holds out the same samples and feature halves). Ranks without sample
 * folds get nulls; nothing is added when there are no sample-fold results at all.
 */
export function addSampleCvCriteria(ranks: RankSummary[], results: readonly SweepJobResult[]): void {
  if (results.length === 0) return;
  const perRank = new Map<number, Map<number, number>>();
  for (const r of results) {
    if (r.kind !== SAMPLE_FOLD_KIND || r.baseline) continue;
    const value = r.heldOutError;
    if (value === null || !Number.isFinite(value)) continue;
    let folds = perRank.get(r.rank);
    if (!folds) perRank.set(r.rank, (folds = new Map()));
    folds.set(r.index, value);
  }
  for (const rank of ranks) {
    const folds = perRank.get(rank.rank);
    const values = folds ? [...folds.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v) : [];
    const { mean, se } = meanAndSe(values);
    rank.sampleCvError = mean;
    rank.sampleCvSe = se;
    rank.sampleCvErrors = values;
    rank.sampleCvPairedDifference = null;
    rank.sampleCvPairedSe = null;
  }
  const scored = ranks.filter((r) => r.sampleCvError !== null);
  if (scored.length === 0) return;
  const best = scored.reduce((a, b) => (b.sampleCvError! < a.sampleCvError! ? b : a));
  const bestFolds = perRank.get(best.rank)!;
  for (const r of scored) {
    const differences: number[] = [];
    for (const [fold, value] of perRank.get(r.rank)!) {
      const other = bestFolds.get(fold);
      if (other !== undefined) differences.push(value - other);
    }
    const { mean, se } = meanAndSe(differences);
    r.sampleCvPairedDifference = mean;
    r.sampleCvPairedSe = r.rank === best.rank ? 0 : se;
  }
}

/**
 * The rank sample-wise cross-validation points to: the smallest rank whose paired difference to
 * the lowest mean error is within one standard error of that difference (the one-standard-error
 * rule of Hastie, Tibshirani & Friedman, paired as the entry-wise rule is). Null without scores.
 */
export function sampleCvRank(
  ranks: ReadonlyArray<
    Pick<RankSummary, 'rank' | 'sampleCvError' | 'sampleCvPairedDifference' | 'sampleCvPairedSe'>
  >,
): number | null {
  const scored = ranks.filter((r) => r.sampleCvError !== null && r.sampleCvError !== undefined);
  if (scored.length === 0) return null;
  for (const r of [...scored].sort((a, b) => a.rank - b.rank)) {
    const difference = r.sampleCvPairedDifference ?? null;
    if (difference === null) continue;
    if (difference <= (r.sampleCvPairedSe ?? 0)) return r.rank;
  }
  return null;
}

/**
 * The sentence the recommendation's reasoning gets when the sweep has sample folds: what
 * sample-wise cross-validation points to, next to the recommended rank. It is a cross-check, not a
 * rule: see docs/architecture.md ("Sample-wise cross-validation") for the measurement behind that.
 */
export function sampleCvReasoning(ranks: readonly RankSummary[], recommended: number | null): string[] {
  const rank = sampleCvRank(ranks);
  if (rank === null) return ['Sample-wise cross-validation scored no rank (no sample fold finished).'];
  const lowest = ranks
    .filter((r) => r.sampleCvError !== null && r.sampleCvError !== undefined)
    .reduce((a, b) => (b.sampleCvError! < a.sampleCvError! ? b : a));
  const agreement =
    recommended === null
      ? 'no rank is recommended'
      : recommended === rank
        ? 'the same rank as recommended'
        : `the recommendation is k = ${recommended}`;
  return [
    `Sample-wise cross-validation (held-out samples projected on half the features, scored on the other half) is lowest at k = ${lowest.rank} and points to k = ${rank} by the paired one-standard-error rule; ${agreement}.`,
  ];
}
