/**
 * A rank sweep's summary: per-rank criteria from the jobs' results, paired fold comparisons
 * between neighbouring ranks, the recommendation, and the `ranks.json` export. Planning lives in
 * sweep-plan.ts and running one job in sweep-job.ts (re-exported here).
 */
import { CONSENSUS_MAX_SAMPLES, analyzeConsensus } from './consensus';
import { CV_FULL_MAX_ENTRIES, cvHeldOutEntries } from './crossval';
import { pairwiseStability } from './stability';
import { consensusSilhouette } from './survey';
import { recommendRank } from './recommend';
import { SAMPLE_FOLD_KIND, addSampleCvCriteria, sampleCvReasoning } from './sample-cv';
import { resolveSpec } from './sweep-plan';
import type {
  RankCriteria,
  SurveyCriteria,
  SurveyJson,
  RankRecommendation,
  RankSummary,
  RanksJson,
  SweepJob,
  SweepJobResult,
  SweepSpec,
  SweepSummary,
} from './types';

export { DEFAULT_CONSENSUS_REPLICATES, planSweep } from './sweep-plan';
export { replicateStatistics, runSweepJob, type SweepJobOptions } from './sweep-job';
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
 * The replicate a rank's loss, log-likelihood, BIC and Pearson dispersion come from: the lowest
 * loss, the lowest index among equals.
 *
 * @param replicates one rank's replicate results (one side), in index order; at least one
 */
export function bestReplicate(replicates: readonly SweepJobResult[]): SweepJobResult {
  let best = 0;
  for (let r = 1; r < replicates.length; r++) if (replicates[r].loss < replicates[best].loss) best = r;
  return replicates[best];
}

/**
 * Criteria of one rank from its replicate, fold and consensus results (one side: data or
 * baseline). Consensus and stability come from the consensus fits when there are two or more,
 * otherwise from the replicates. A baseline planned without replicates (`baselineReplicates` 0)
 * takes its loss from the best consensus fit.
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
  const lossSource = replicates.length > 0 ? replicates : consensusFits;
  const top = bestReplicate(lossSource);
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
  let silhouetteConsensus: number | null = null;
  let consensusPoints: number | null = null;
  const topLabels = top.sampleLabels;
  let sampleClusters = topLabels ? relabel(topLabels) : labelings.length > 0 ? relabel(labelings[0]) : [];
  if (labelings.length > 1) {
    const consensus = analyzeConsensus(labelings, rank);
    cophenetic = consensus.cophenetic;
    dispersionValue = consensus.dispersion;
    sampleClusters = consensus.sampleClusters;
    // R NMF's silhouette.consensus, on the samples C covers (all, or the cophenetic's subsample).
    const { subsample } = consensus;
    const shownClusters = subsample === null ? sampleClusters : subsample.map((j) => sampleClusters[j]);
    silhouetteConsensus = consensusSilhouette(consensus.consensus, shownClusters);
    if (silhouetteConsensus !== null) consensusPoints = shownClusters.length;
  }
  // R NMF's summary(<NMF>) measures come from the fit the loss comes from: the best replicate, or
  // for a baseline planned without replicates its best consensus fit.
  const survey = top.survey ?? null;
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
    rss: survey?.rss ?? null,
    evar: survey?.evar ?? null,
    sparsenessBasis: survey?.sparsenessBasis ?? null,
    sparsenessCoef: survey?.sparsenessCoef ?? null,
    silhouetteCoef: survey?.silhouetteCoef ?? null,
    silhouetteBasis: survey?.silhouetteBasis ?? null,
    silhouetteConsensus,
    silhouettePoints: {
      coef: survey !== null && survey.silhouetteCoef !== null ? top.cols : null,
      basis: survey !== null && survey.silhouetteBasis !== null ? top.rows : null,
      consensus: consensusPoints,
    },
    sampleClusters,
    bestReplicate: top.index,
    bestSeed: top.seed,
    replicateLosses: lossSource.map((r) => r.loss),
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
 * @param rankSummaries criteria already computed by {@link summarizeFinishedRank} from a rank's
 *   complete results (a running sweep publishes them rank by rank), by rank: used as they are
 *   (copied, since the paired CV difference is filled in place) instead of being computed again.
 *   It is the same computation on the same results, so the summary is the same bytes; on a
 *   seven-rank sweep of 2000 × 4000 counts the per-rank criteria were nearly all of the summary's
 *   5 s.
 */
export function summarizeSweep(
  spec: SweepSpec,
  results: readonly SweepJobResult[],
  rankSummaries?: ReadonlyMap<number, RankSummary>,
): SweepSummary {
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
    const known = rankSummaries?.get(rank);
    ranks.push(
      known !== undefined
        ? structuredClone(known)
        : {
            ...rankCriteria(rank, data.replicates, data.folds, data.consensus),
            baseline:
              base && base.replicates.length + base.consensus.length > 0
                ? rankCriteria(rank, base.replicates, base.folds, base.consensus)
                : null,
          },
    );
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
    ...(s.cvHoldout !== undefined ? { cvHoldout: s.cvHoldout } : {}),
  });
  if (s.sampleFolds > 0) recommendation.reasoning.push(...sampleCvReasoning(ranks, recommendation.rank));
  if (cols > CONSENSUS_MAX_SAMPLES && ranks.some((r) => r.cophenetic !== null)) {
    const gigabytes = (cols * cols * 8) / 1e9;
    recommendation.reasoning.push(
      `Cophenetic correlation and dispersion are computed on a fixed random subsample of ${CONSENSUS_MAX_SAMPLES} of the ${cols} samples (the full consensus matrix would take ${gigabytes.toFixed(1)} GB); every sample is still clustered.`,
    );
  }
  const foldJobs = [...groups.values()].flatMap((group) => group.folds);
  const scored = foldJobs.length > 0 ? Math.max(...foldJobs.map((f) => f.heldOutCount)) : 0;
  if (rows * cols > CV_FULL_MAX_ENTRIES && scored > 0) {
    // Sampled folds (see `cvFoldsFor`): say how many entries were scored, and of how many.
    const sample = cvHeldOutEntries(rows, cols, s.cvFolds, CV_FULL_MAX_ENTRIES, s.cvHoldout);
    recommendation.reasoning.push(
      `Cross-validation holds out a fixed random sample of ${sample} of the ${rows * cols} entries, about ${scored} per fold, the same entries at every rank and in the baseline (all entries would need a fold number each and a masked copy of V per fold).`,
    );
  } else if (s.cvHoldout !== undefined && s.cvHoldout * s.cvFolds < 1 && scored > 0) {
    recommendation.reasoning.push(
      `Each of the ${s.cvFolds} folds holds out ${+(100 * s.cvHoldout).toPrecision(3)} % of the entries (${scored}), its own, the same at every rank and in the baseline; each fold's fits train on the rest. With every entry in some fold, a sample could have every entry of a small program held out at once, and its few entries then outweigh the rest of the fold.`,
    );
  }
  return { ranks, recommendation, rows, cols, parameterCount: 'k(m+n)' };
}

/** A rank's R NMF survey measures (RankCriteria), as the library stores them beside the other criteria. */
export function surveyCriteria(criteria: RankCriteria): Required<SurveyCriteria> {
  return {
    rss: criteria.rss,
    evar: criteria.evar,
    sparsenessBasis: criteria.sparsenessBasis,
    sparsenessCoef: criteria.sparsenessCoef,
    silhouetteCoef: criteria.silhouetteCoef,
    silhouetteBasis: criteria.silhouetteBasis,
    silhouetteConsensus: criteria.silhouetteConsensus,
    silhouettePoints: criteria.silhouettePoints,
  };
}

/** The survey measures as `ranks.json` names them (snake_case), null where absent. */
export function surveyJson(criteria: SurveyCriteria): SurveyJson {
  return {
    rss: criteria.rss ?? null,
    evar: criteria.evar ?? null,
    sparseness_basis: criteria.sparsenessBasis ?? null,
    sparseness_coef: criteria.sparsenessCoef ?? null,
    silhouette_coef: criteria.silhouetteCoef ?? null,
    silhouette_basis: criteria.silhouetteBasis ?? null,
    silhouette_consensus: criteria.silhouetteConsensus ?? null,
    silhouette_points: {
      coef: criteria.silhouettePoints?.coef ?? null,
      basis: criteria.silhouettePoints?.basis ?? null,
      consensus: criteria.silhouettePoints?.consensus ?? null,
    },
  };
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
      > &
      SurveyCriteria
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
      // After the fields above, so they keep their place and bytes.
      ...surveyJson(r),
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
    const consensus = mine.filter((r) => r.kind === 'consensus');
    // The baseline may be planned without replicates; its loss then comes from its consensus fits.
    if (replicates.length === 0 && (!baseline || consensus.length === 0)) return null;
    return [rank, replicates, mine.filter((r) => r.kind === 'fold'), consensus];
  };
  const data = split(false);
  if (data === null) return null;
  const base = split(true);
  return { ...rankCriteria(...data), baseline: base === null ? null : rankCriteria(...base) };
}
