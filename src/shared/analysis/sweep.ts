import { cvFoldsProblem, SWEEP_DEFAULTS } from '../domain/defaults';
import type { DataMatrix } from '../linalg/matrix';
import { Rng } from '../linalg/random';
import { fitNmf } from '../nmf';
import { defaultSolverFor } from '../nmf/defaults';
import type { FitHooks, FitResult, InitMethod } from '../nmf/types';
import { normalizeColumns } from './alignment';
import { CONSENSUS_MAX_SAMPLES, analyzeConsensus, sampleLabels } from './consensus';
import { isIntegerData, pearsonDispersion } from './count-model';
import { heldOutError, heldOutTrimmedError, makeCvFolds, maskFold, shuffleWithinRows } from './crossval';
import { pairwiseStability } from './stability';
import { recommendRank } from './recommend';
import {
  SAMPLE_FOLD_KIND,
  addSampleCvCriteria,
  planSampleFoldJobs,
  runSampleFoldJob,
  sampleCvReasoning,
} from './sample-cv';
import type {
  RankCriteria,
  RankRecommendation,
  RankSummary,
  RanksJson,
  SweepJob,
  SweepJobResult,
  SweepSpec,
  SweepSummary,
} from './types';

/** Initialisations that give the same start whatever the seed (up to NNDSVDar's small random fill). */
const deterministicInits: readonly InitMethod[] = ['nndsvd', 'nndsvda', 'nndsvdar'];

/** Spec with defaults filled in; throws RangeError on impossible settings. */
function resolveSpec(spec: SweepSpec): Required<SweepSpec> {
  const resolved = {
    fromRank: spec.fromRank,
    toRank: spec.toRank,
    replicates: spec.replicates ?? SWEEP_DEFAULTS.replicates,
    cvFolds: spec.cvFolds ?? SWEEP_DEFAULTS.cvFolds,
    cvStarts: spec.cvStarts ?? (isWarmStarted(spec.fit ?? {}) ? 3 : 5),
    cvScreenIterations: spec.cvScreenIterations ?? 150,
    consensusReplicates: spec.consensusReplicates ?? DEFAULT_CONSENSUS_REPLICATES,
    baseline: spec.baseline ?? true,
    sampleFolds: spec.sampleFolds ?? 0,
    fit: spec.fit ?? {},
  };
  if (!Number.isInteger(resolved.fromRank) || resolved.fromRank < 1) {
    throw new RangeError(`fromRank must be a positive integer, got ${resolved.fromRank}`);
  }
  if (!Number.isInteger(resolved.toRank) || resolved.toRank < resolved.fromRank) {
    throw new RangeError(
      `toRank must be an integer ≥ fromRank (${resolved.fromRank}), got ${resolved.toRank}`,
    );
  }
  if (!Number.isInteger(resolved.replicates) || resolved.replicates < 1) {
    throw new RangeError(`replicates must be a positive integer, got ${resolved.replicates}`);
  }
  // The planner takes more folds than the app offers (MAX_CV_FOLDS): fold ids are stored in a byte.
  const foldsProblem = cvFoldsProblem(resolved.cvFolds, 255);
  if (foldsProblem) throw new RangeError(`cvFolds: ${foldsProblem}`);
  const sampleFoldsProblem = cvFoldsProblem(resolved.sampleFolds, 255);
  if (sampleFoldsProblem) throw new RangeError(`sampleFolds: ${sampleFoldsProblem}`);
  if (resolved.fit.init === 'custom') {
    throw new RangeError('a sweep cannot start from custom factors: their rank is fixed');
  }
  if (!Number.isInteger(resolved.cvStarts) || resolved.cvStarts < 1) {
    throw new RangeError(`cvStarts must be a positive integer, got ${resolved.cvStarts}`);
  }
  if (!Number.isInteger(resolved.cvScreenIterations) || resolved.cvScreenIterations < 1) {
    throw new RangeError(`cvScreenIterations must be a positive integer, got ${resolved.cvScreenIterations}`);
  }
  if (!Number.isInteger(resolved.consensusReplicates) || resolved.consensusReplicates < 0) {
    throw new RangeError(`consensusReplicates must be an integer ≥ 0, got ${resolved.consensusReplicates}`);
  }
  return resolved;
}

/** Consensus fits per rank when the spec does not say (Brunet et al. 2004 used 20–100; R NMF 30). */
export const DEFAULT_CONSENSUS_REPLICATES = 20;

/**
 * Whether the fits start with a HALS warm-up before multiplicative updates. Fold fits then screen
 * three starts instead of five: the warm-up brings most starts into a good basin, but not all —
 * with two modules whose activities correlate (ρ ≈ 0.97), single warm-started fold fits at the
 * true rank ended 1–19 % above the best of eight starts, enough to make k + 1 look better.
 */
function isWarmStarted(fit: NonNullable<SweepSpec['fit']>): boolean {
  const beta = fit.beta ?? 1;
  const solver = fit.solver ?? defaultSolverFor(beta);
  return solver === 'mu' && (fit.warmup ?? 0) > 0;
}

/**
 * Seeds of the fold mask and of the shuffled baseline, drawn from the sweep's base seed so they
 * differ from each other and from the fits' seeds, and are the same at every rank: all ranks hold
 * out the same entries and see the same shuffled copy, so their errors are paired comparisons.
 */
function derivedSeeds(seed: number): { cvSeed: number; shuffleSeed: number } {
  const rng = new Rng(seed);
  return { cvSeed: rng.nextUint32(), shuffleSeed: rng.nextUint32() };
}

/**
 * Every fit of a rank sweep, for a worker pool to run in any order. For each rank k from
 * `fromRank` to `toRank`:
 *   - `replicates` full fits of V with seeds seed + r (r = 0…R−1);
 *   - `cvFolds` fits of V with fold f's entries set to missing (the same entries at every rank),
 *     each screening `cvStarts` random starts (seeds seed + t) for `cvScreenIterations` iterations
 *     and running the start with the lowest training loss to convergence. Multiplicative updates
 *     from random starts often stop in poor local minima (on planted data, one start in two to
 *     four reaches the best basin); a fold scored from such a start would make the true rank look
 *     worse than its neighbours. The choice uses the training entries only, and on planted data
 *     the loss after ~150 iterations already ranks the starts as their final losses do. With a
 *     HALS warm-up (`fit.warmup`), the default is a single start (see `isWarmStarted`);
 *   - when `baseline` is set, the same replicates and folds on the row-shuffled copy of V.
 * When the chosen initialisation is an NNDSVD variant, which starts every seed from the same point
 * (up to NNDSVDar's small random fill), every fit starts from `random` instead: consensus,
 * stability and restarts only mean something across different starting points (Brunet et al.
 * 2004 use random restarts), and a deterministic start caught in a poor local minimum would be
 * caught there at every replicate.
 *
 * @returns jobs ordered rank by rank, real data before baseline, replicates before folds
 */
export function planSweep(spec: SweepSpec): SweepJob[] {
  const s = resolveSpec(spec);
  const seed = s.fit.seed ?? 0;
  const { cvSeed, shuffleSeed } = derivedSeeds(seed);
  const init = s.fit.init === undefined || deterministicInits.includes(s.fit.init) ? 'random' : s.fit.init;
  const jobs: SweepJob[] = [];
  const sides = s.baseline ? [false, true] : [false];
  for (let rank = s.fromRank; rank <= s.toRank; rank++) {
    for (const baseline of sides) {
      const prefix = `${baseline ? 'baseline/' : ''}k${rank}`;
      for (let r = 0; r < s.replicates; r++) {
        jobs.push({
          id: `${prefix}/replicate/${r}`,
          rank,
          kind: 'replicate',
          index: r,
          baseline,
          shuffleSeed,
          cv: null,
          fit: { ...s.fit, init, rank, seed: seed + r },
          screen: null,
          keepFactors: !baseline,
        });
      }
      for (let f = 0; f < s.cvFolds; f++) {
        jobs.push({
          id: `${prefix}/fold/${f}`,
          rank,
          kind: 'fold',
          index: f,
          baseline,
          shuffleSeed,
          cv: { folds: s.cvFolds, seed: cvSeed },
          fit: { ...s.fit, init, rank, seed },
          screen:
            s.cvStarts > 1 && init === 'random'
              ? { starts: s.cvStarts, iterations: screenIterations(s) }
              : null,
          keepFactors: false,
        });
      }
      const consensusFits = baseline ? Math.min(s.consensusReplicates, s.replicates) : s.consensusReplicates;
      for (let c = 0; c < consensusFits; c++) {
        jobs.push({
          id: `${prefix}/consensus/${c}`,
          rank,
          kind: 'consensus',
          index: c,
          baseline,
          shuffleSeed,
          cv: null,
          fit: { ...s.fit, init, rank, seed: seed + s.replicates + c, warmup: 0 },
          screen: null,
          keepFactors: false,
        });
      }
      if (!baseline && s.sampleFolds > 0) {
        jobs.push(
          ...planSampleFoldJobs(
            rank,
            s.sampleFolds,
            seed,
            { ...s.fit, init, rank, seed },
            s.cvStarts > 1 && init === 'random'
              ? { starts: s.cvStarts, iterations: screenIterations(s) }
              : null,
            shuffleSeed,
          ),
        );
      }
    }
  }
  return jobs;
}

/**
 * Iterations of a screened start: the warm-up and `cvScreenIterations` more, and at least twice
 * the warm-up, since a fit caps its warm-up at half its iterations.
 */
function screenIterations(s: Required<SweepSpec>): number {
  const warmup = isWarmStarted(s.fit) ? (s.fit.warmup ?? 0) : 0;
  return Math.max(2 * warmup, warmup + s.cvScreenIterations);
}

/** Observed (non-NaN) entries of V, stored or not. */
function observedCount(V: DataMatrix): number {
  let missing = 0;
  for (let t = 0; t < V.data.length; t++) if (Number.isNaN(V.data[t])) missing++;
  return V.rows * V.cols - missing;
}

/**
 * The job's fit: a single start, or (with `screen`) several starts run for a few iterations each,
 * the one with the lowest loss then continued from where it stopped (multiplicative and HALS
 * updates depend only on the current factors, so continuing is the same as never stopping).
 */
function screenedFit(input: DataMatrix, job: SweepJob, hooks: FitHooks): FitResult {
  if (job.screen === null || job.screen.starts <= 1) return fitNmf(input, job.fit, hooks);
  const base = job.fit.seed ?? 0;
  let best: FitResult | null = null;
  let screened = 0;
  const started = Date.now();
  for (let t = 0; t < job.screen.starts; t++) {
    const trial = fitNmf(
      input,
      { ...job.fit, seed: base + t, maxIter: job.screen.iterations, tol: 0 },
      hooks,
    );
    screened += trial.iterations;
    if (best === null || trial.loss < best.loss) best = trial;
  }
  const kept = best!;
  // The kept start has had its warm-up during the screen; continuing needs none.
  const fit = fitNmf(input, { ...job.fit, init: 'custom', W0: kept.W, H0: kept.H, warmup: 0 }, hooks);
  return {
    ...fit,
    iterations: fit.iterations + screened,
    // The continued fit's trace, counted from the first screening iteration.
    trace: fit.trace.map(([iteration, loss]): [number, number] => [iteration + screened, loss]),
    seconds: (Date.now() - started) / 1000,
    options: { ...fit.options, init: kept.options.init, seed: kept.options.seed },
  };
}

/**
 * Runs one sweep job: builds the job's input from V (row-shuffled for baseline jobs, one fold
 * masked for fold jobs), fits it, and returns what the summary needs. Pure and synchronous; the
 * hooks pass through to the fit (progress, cancellation).
 *
 * @param V m × n, the data of the whole sweep (never modified)
 */
export function runSweepJob(V: DataMatrix, job: SweepJob, hooks: FitHooks = {}): SweepJobResult {
  if (job.kind === SAMPLE_FOLD_KIND) return runSampleFoldJob(V, job, hooks, screenedFit);
  const data = job.baseline ? shuffleWithinRows(V, job.shuffleSeed) : V;
  let input: DataMatrix = data;
  let folds = null;
  if (job.kind === 'fold') {
    if (job.cv === null) throw new RangeError(`fold job ${job.id} has no fold settings`);
    folds = makeCvFolds(V.rows, V.cols, job.cv.folds, job.cv.seed);
    input = maskFold(data, folds, job.index);
  }
  const fit = screenedFit(input, job, hooks);
  let held: { error: number; count: number } | null = null;
  let trimmed: number | null = null;
  if (folds !== null) {
    held = heldOutError(data, fit.W, fit.H, folds, job.index, fit.options.beta);
    trimmed = heldOutTrimmedError(data, fit.W, fit.H, folds, job.index, fit.options.beta);
  }
  const replicate = job.kind === 'replicate';
  const clustered = replicate || job.kind === 'consensus';
  return {
    jobId: job.id,
    rank: job.rank,
    kind: job.kind,
    index: job.index,
    baseline: job.baseline,
    seed: fit.options.seed,
    rows: V.rows,
    cols: V.cols,
    loss: fit.loss,
    loglik: fit.loglik,
    iterations: fit.iterations,
    converged: fit.converged,
    seconds: fit.seconds,
    observed: observedCount(input),
    heldOutError: held ? held.error : null,
    heldOutCount: held ? held.count : 0,
    heldOutErrorTrimmed: trimmed,
    pearsonDispersion: replicate && !job.baseline ? pearsonDispersion(data, fit.W, fit.H) : null,
    integerData: replicate ? isIntegerData(V) : null,
    sampleLabels: clustered ? sampleLabels(fit.W, fit.H) : null,
    normalizedW: clustered ? normalizeColumns(fit.W) : null,
    factors: job.keepFactors ? { W: fit.W, H: fit.H, trace: fit.trace } : null,
    warnings: fit.warnings,
  };
}

/** Labels renumbered 0, 1, … in order of first appearance. */
function relabel(labels: readonly number[]): number[] {
  const map = new Map<number, number>();
  return labels.map((label) => {
    let out = map.get(label);
    if (out === undefined) {
      out = map.size;
      map.set(label, out);
    }
    return out;
  });
}

/** Mean and standard error (sd / √count) of some numbers; SE null with fewer than two. */
function meanAndSe(values: readonly number[]): { mean: number | null; se: number | null } {
  if (values.length === 0) return { mean: null, se: null };
  const mean = values.reduce((s, e) => s + e, 0) / values.length;
  if (values.length < 2) return { mean, se: null };
  const variance = values.reduce((s, e) => s + (e - mean) ** 2, 0) / (values.length - 1);
  return { mean, se: Math.sqrt(variance / values.length) };
}

/** A fold's value, or null when missing or not finite. */
function finiteOrNull(value: number | null | undefined): number | null {
  return value !== null && value !== undefined && Number.isFinite(value) ? value : null;
}

/**
 * Criteria of one rank from its replicate, fold and consensus results (one side: data or
 * baseline). Consensus and stability come from the consensus fits when there are two or more,
 * otherwise from the replicates.
 */
function rankCriteria(
  rank: number,
  replicates: SweepJobResult[],
  folds: SweepJobResult[],
  consensusFits: SweepJobResult[],
): RankCriteria {
  replicates.sort((x, y) => x.index - y.index);
  folds.sort((x, y) => x.index - y.index);
  consensusFits.sort((x, y) => x.index - y.index);
  let best = 0;
  for (let r = 1; r < replicates.length; r++) if (replicates[r].loss < replicates[best].loss) best = r;
  const top = replicates[best];
  const parameters = rank * (top.rows + top.cols);
  // BIC rests on a Poisson likelihood: not for values that are not counts.
  const bic =
    top.loglik === null || top.integerData === false
      ? null
      : -2 * top.loglik + parameters * Math.log(top.observed);

  const cvErrors = folds.map((f) => finiteOrNull(f.heldOutError)).filter((e): e is number => e !== null);
  const { mean: cvError, se: cvErrorSe } = meanAndSe(cvErrors);
  const cvErrorsTrimmed = folds
    .map((f) => finiteOrNull(f.heldOutErrorTrimmed))
    .filter((e): e is number => e !== null);
  const { mean: cvErrorTrimmed } = meanAndSe(cvErrorsTrimmed);

  const independent = consensusFits.length >= 2;
  const source = independent ? consensusFits : replicates;
  const labelings = source.map((r) => r.sampleLabels).filter((l): l is number[] => l !== null);
  const ws = source.map((r) => r.normalizedW);
  let cophenetic: number | null = null;
  let dispersionValue: number | null = null;
  let stability: number | null = null;
  const topLabels = top.sampleLabels;
  let sampleClusters = topLabels ? relabel(topLabels) : labelings.length > 0 ? relabel(labelings[0]) : [];
  if (labelings.length > 1) {
    const consensus = analyzeConsensus(labelings, rank);
    cophenetic = consensus.cophenetic;
    dispersionValue = consensus.dispersion;
    sampleClusters = consensus.sampleClusters;
  }
  if (ws.length > 1 && ws.every((w) => w !== null)) stability = pairwiseStability(ws.map((w) => w!));
  return {
    rank,
    loss: top.loss,
    loglik: top.loglik,
    bic,
    cvError,
    cvErrorSe,
    cvErrors,
    cvErrorTrimmed,
    cvErrorsTrimmed,
    cvPairedSe: null,
    cvPairedDifference: null,
    pearsonDispersion: top.pearsonDispersion ?? null,
    consensusFits: labelings.length,
    consensusFromIndependentStarts: independent,
    cophenetic,
    dispersion: dispersionValue,
    stability,
    sampleClusters,
    bestReplicate: top.index,
    bestSeed: top.seed,
    replicateLosses: replicates.map((r) => r.loss),
  };
}

/**
 * Paired comparison of the ranks' mean held-out errors (in place): every rank held out the same
 * entries in fold f, so the difference e_k,f − e_best,f removes what the folds share (which
 * entries, how noisy), and its standard error over folds is the one that says whether rank k
 * predicts worse than the best rank. On correlated-module data the marginal SE at the minimum was
 * 8× the SE of the paired difference between k = 5 and k = 6.
 */
function pairRanks(ranks: RankSummary[], folds: Map<number, Map<number, number>>): void {
  const withCv = ranks.filter((r) => r.cvError !== null);
  if (withCv.length === 0) return;
  let best = withCv[0];
  for (const r of withCv) if (r.cvError! < best.cvError!) best = r;
  const bestFolds = folds.get(best.rank)!;
  for (const r of withCv) {
    const own = folds.get(r.rank)!;
    const differences: number[] = [];
    for (const [fold, value] of own) {
      const other = bestFolds.get(fold);
      if (other !== undefined) differences.push(value - other);
    }
    const { mean, se } = meanAndSe(differences);
    r.cvPairedDifference = mean;
    r.cvPairedSe = r.rank === best.rank ? 0 : se;
  }
}

/**
 * Per-rank criteria of a finished sweep, with the shuffled baseline and a recommended rank.
 *   loss, loglik: of the best replicate (lowest loss);
 *   bic: −2·loglik + p·ln(N), p = k(m + n) free parameters (W and H entries; the k scale
 *        redundancies are not subtracted), N = observed entries; only when the loss is KL (β = 1),
 *        whose minimiser is the Poisson maximum-likelihood fit, and the data are integers;
 *   pearson_dispersion: of the best replicate (≈ 1 for Poisson counts; see count-model.ts);
 *   cv_error: mean over folds of the per-entry held-out β-divergence, with its standard error;
 *   cv_paired_difference, cv_paired_se: the fold-by-fold difference of cv_error to the best rank
 *        (same held-out entries) and its standard error (what the rule uses);
 *   cv_error_trimmed: cv_error with each fold's largest 1 % of entry errors left out (shown, and
 *        compared in the reasoning);
 *   cophenetic, dispersion, sample_clusters: consensus over the consensus fits (independent
 *        random starts without warm-up; the replicates when there are none) (Brunet et al. 2004;
 *        Kim & Park 2007);
 *   stability: mean matched cosine over all pairs of those fits.
 * Ranks without any replicate result (e.g. cancelled) are left out. Results may arrive in any order.
 *
 * @param results results of jobs planned by {@link planSweep} for the same spec
 */
export function summarizeSweep(spec: SweepSpec, results: readonly SweepJobResult[]): SweepSummary {
  const s = resolveSpec(spec);
  const groups = new Map<
    string,
    { replicates: SweepJobResult[]; folds: SweepJobResult[]; consensus: SweepJobResult[] }
  >();
  const sampleFoldResults = results.filter((result) => result.kind === SAMPLE_FOLD_KIND);
  for (const result of results) {
    if (result.kind === SAMPLE_FOLD_KIND) continue;
    const key = `${result.baseline ? 'b' : 'd'}${result.rank}`;
    let group = groups.get(key);
    if (!group) {
      group = { replicates: [], folds: [], consensus: [] };
      groups.set(key, group);
    }
    (result.kind === 'replicate'
      ? group.replicates
      : result.kind === 'fold'
        ? group.folds
        : group.consensus
    ).push(result);
  }
  const foldValues = new Map<number, Map<number, number>>();
  let integerData: boolean | null = null;
  const ranks: RankSummary[] = [];
  let rows = 0;
  let cols = 0;
  for (let rank = s.fromRank; rank <= s.toRank; rank++) {
    const data = groups.get(`d${rank}`);
    if (!data || data.replicates.length === 0) continue;
    rows = data.replicates[0].rows;
    cols = data.replicates[0].cols;
    const base = groups.get(`b${rank}`);
    ranks.push({
      ...rankCriteria(rank, data.replicates, data.folds, data.consensus),
      baseline:
        base && base.replicates.length > 0
          ? rankCriteria(rank, base.replicates, base.folds, base.consensus)
          : null,
    });
    const perFold = new Map<number, number>();
    for (const fold of data.folds) {
      const value = finiteOrNull(fold.heldOutError);
      if (value !== null) perFold.set(fold.index, value);
    }
    foldValues.set(rank, perFold);
    for (const replicate of data.replicates) {
      if (replicate.integerData === true || replicate.integerData === false)
        integerData = replicate.integerData;
    }
  }
  if (ranks.length === 0) throw new RangeError('the sweep has no finished replicate fit at any rank');
  pairRanks(ranks, foldValues);
  if (s.sampleFolds > 0) addSampleCvCriteria(ranks, sampleFoldResults);
  const recommendation = recommendRank(ranks, {
    integerData,
    fromRank: s.fromRank,
    toRank: s.toRank,
  });
  if (s.sampleFolds > 0) recommendation.reasoning.push(...sampleCvReasoning(ranks, recommendation.rank));
  if (cols > CONSENSUS_MAX_SAMPLES && ranks.some((r) => r.cophenetic !== null)) {
    const gigabytes = (cols * cols * 8) / 1e9;
    recommendation.reasoning.push(
      `Cophenetic correlation and dispersion are computed on a fixed random subsample of ${CONSENSUS_MAX_SAMPLES} of the ${cols} samples (the full consensus matrix would take ${gigabytes.toFixed(1)} GB); every sample is still clustered.`,
    );
  }
  return { ranks, recommendation, rows, cols, parameterCount: 'k(m+n)' };
}

/** What `ranks.json` is made from: a summary, or the same criteria as the library stores them. */
export interface RanksJsonSource {
  ranks: ReadonlyArray<
    Pick<
      RankSummary,
      | 'rank'
      | 'loss'
      | 'loglik'
      | 'bic'
      | 'cvError'
      | 'cophenetic'
      | 'dispersion'
      | 'stability'
      | 'sampleClusters'
    > &
      Partial<
        Pick<
          RankSummary,
          | 'cvErrorSe'
          | 'cvErrors'
          | 'cvErrorTrimmed'
          | 'cvErrorsTrimmed'
          | 'cvPairedDifference'
          | 'cvPairedSe'
          | 'pearsonDispersion'
          | 'consensusFits'
          | 'sampleCvError'
          | 'sampleCvSe'
          | 'sampleCvErrors'
          | 'sampleCvPairedDifference'
          | 'sampleCvPairedSe'
        >
      >
  >;
  recommendation: Pick<RankRecommendation, 'rank' | 'criterion'> & {
    warnings?: ReadonlyArray<{ code: string; message: string }>;
  };
}

/** The summary as CLI.md's `ranks.json`. */
export function toRanksJson(summary: RanksJsonSource): RanksJson {
  return {
    ranks: summary.ranks.map((r) => ({
      rank: r.rank,
      loss: r.loss,
      loglik: r.loglik,
      bic: r.bic,
      cv_error: r.cvError,
      cophenetic: r.cophenetic,
      dispersion: r.dispersion,
      stability: r.stability,
      sample_clusters: r.sampleClusters,
      cv_error_se: r.cvErrorSe ?? null,
      cv_errors: r.cvErrors ?? [],
      cv_error_trimmed: r.cvErrorTrimmed ?? null,
      cv_errors_trimmed: r.cvErrorsTrimmed ?? [],
      cv_paired_difference: r.cvPairedDifference ?? null,
      cv_paired_se: r.cvPairedSe ?? null,
      pearson_dispersion: r.pearsonDispersion ?? null,
      consensus_fits: r.consensusFits ?? 0,
      // Only when the sweep had sample folds, so files of sweeps without them keep their bytes.
      ...(r.sampleCvError !== undefined
        ? {
            sample_cv_error: r.sampleCvError,
            sample_cv_se: r.sampleCvSe ?? null,
            sample_cv_errors: r.sampleCvErrors ?? [],
            sample_cv_paired_difference: r.sampleCvPairedDifference ?? null,
            sample_cv_paired_se: r.sampleCvPairedSe ?? null,
          }
        : {}),
    })),
    recommended: summary.recommendation.rank,
    criterion: summary.recommendation.criterion,
    warnings: (summary.recommendation.warnings ?? []).map((w) => ({ code: w.code, message: w.message })),
  };
}

/**
 * Ranks of a sweep whose every fit has finished: replicates, folds and consensus fits of the data
 * and of the row-shuffled baseline. Their criteria can be computed before the other ranks finish
 * (see summarizeFinishedRank).
 *
 * @param jobs the sweep's plan (planSweep)
 * @param finished ids of the jobs whose results are in
 */
export function finishedRanks(jobs: readonly SweepJob[], finished: ReadonlySet<string>): number[] {
  const open = new Set<number>();
  const all = new Set<number>();
  for (const job of jobs) {
    all.add(job.rank);
    if (!finished.has(job.id)) open.add(job.rank);
  }
  return [...all].filter((rank) => !open.has(rank)).sort((a, b) => a - b);
}

/**
 * The criteria of one rank from its own fits, as summarizeSweep computes them for that rank, before
 * the sweep is over. What compares ranks is left out until every rank is in: the paired CV
 * difference to the best rank (cvPairedDifference and cvPairedSe stay null) and the
 * recommendation. Null when the rank has no replicate result.
 *
 * @param results job results of this rank (others are ignored); complete for the rank
 */
export function summarizeFinishedRank(rank: number, results: readonly SweepJobResult[]): RankSummary | null {
  const split = (baseline: boolean): Parameters<typeof rankCriteria> | null => {
    const mine = results.filter((r) => r.rank === rank && r.baseline === baseline);
    const replicates = mine.filter((r) => r.kind === 'replicate');
    if (replicates.length === 0) return null;
    return [
      rank,
      replicates,
      mine.filter((r) => r.kind === 'fold'),
      mine.filter((r) => r.kind === 'consensus'),
    ];
  };
  const data = split(false);
  if (data === null) return null;
  const base = split(true);
  return { ...rankCriteria(...data), baseline: base === null ? null : rankCriteria(...base) };
}
