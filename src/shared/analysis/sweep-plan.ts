/**
 * The plan of a rank sweep: the spec with its defaults filled in and checked, and every fit the
 * sweep needs as a job a worker pool can run in any order.
 */
import { cvFoldsProblem, cvHoldoutProblem, SWEEP_DEFAULTS } from '../domain/defaults';
import { Rng } from '../linalg/random';
import { defaultSolverFor } from '../nmf/defaults';
import type { InitMethod } from '../nmf/types';
import { planSampleFoldJobs } from './sample-cv';
import type { SweepJob, SweepSpec } from './types';
/** Initialisations that give the same start whatever the seed (up to NNDSVDar's small random fill). */
const deterministicInits: readonly InitMethod[] = ['nndsvd', 'nndsvda', 'nndsvdar'];

/**
 * A spec with its defaults filled in; `cvHoldout` stays absent for every entry in one fold, and
 * `cvScreenAfterWarmup` for the `cvScreenIterations` rule.
 */
export type ResolvedSweepSpec = Required<Omit<SweepSpec, 'cvHoldout' | 'cvScreenAfterWarmup'>> &
  Pick<SweepSpec, 'cvHoldout' | 'cvScreenAfterWarmup'>;

/** Spec with defaults filled in; throws RangeError on impossible settings. */
export function resolveSpec(spec: SweepSpec): ResolvedSweepSpec {
  const resolved = {
    fromRank: spec.fromRank,
    toRank: spec.toRank,
    replicates: spec.replicates ?? SWEEP_DEFAULTS.replicates,
    cvFolds: spec.cvFolds ?? SWEEP_DEFAULTS.cvFolds,
    cvHoldout: spec.cvHoldout,
    cvStarts: spec.cvStarts ?? (isWarmStarted(spec.fit ?? {}) ? 3 : 5),
    cvScreenIterations: spec.cvScreenIterations ?? 150,
    cvScreenAfterWarmup: spec.cvScreenAfterWarmup,
    consensusReplicates: spec.consensusReplicates ?? DEFAULT_CONSENSUS_REPLICATES,
    baseline: spec.baseline ?? true,
    baselineReplicates: spec.baselineReplicates ?? spec.replicates ?? SWEEP_DEFAULTS.replicates,
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
  // The planner takes more folds than the app offers (MAX_CV_FOLDS): fold ids are stored in a byte
  // (255 marks an entry no fold holds out).
  const foldsProblem = cvFoldsProblem(resolved.cvFolds, 254);
  if (foldsProblem) throw new RangeError(`cvFolds: ${foldsProblem}`);
  const holdoutProblem =
    resolved.cvHoldout === undefined ? null : cvHoldoutProblem(resolved.cvFolds, resolved.cvHoldout);
  if (holdoutProblem) throw new RangeError(holdoutProblem);
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
  const afterWarmup = resolved.cvScreenAfterWarmup;
  if (afterWarmup !== undefined) {
    if (!Number.isInteger(afterWarmup) || afterWarmup < 0) {
      throw new RangeError(`cvScreenAfterWarmup must be an integer ≥ 0, got ${afterWarmup}`);
    }
    if (!isWarmStarted(resolved.fit)) {
      throw new RangeError(
        'cvScreenAfterWarmup needs warm-started fits (multiplicative updates with fit.warmup > 0)',
      );
    }
  }
  if (!Number.isInteger(resolved.consensusReplicates) || resolved.consensusReplicates < 0) {
    throw new RangeError(`consensusReplicates must be an integer ≥ 0, got ${resolved.consensusReplicates}`);
  }
  if (!Number.isInteger(resolved.baselineReplicates) || resolved.baselineReplicates < 0) {
    throw new RangeError(`baselineReplicates must be an integer ≥ 0, got ${resolved.baselineReplicates}`);
  }
  if (resolved.baseline && resolved.baselineReplicates === 0 && baselineConsensusFits(resolved) === 0) {
    throw new RangeError(
      'baselineReplicates 0 needs consensus fits on the baseline (consensusReplicates ≥ 1): its loss comes from them',
    );
  }
  return resolved;
}

/**
 * Consensus fits on the row-shuffled baseline: as many as on the data, at most `replicates`
 * (the baseline's criteria are read at one rank against the data's; they need not be as fine).
 */
export function baselineConsensusFits(
  s: Pick<Required<SweepSpec>, 'consensusReplicates' | 'replicates'>,
): number {
  return Math.min(s.consensusReplicates, s.replicates);
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
 *     HALS warm-up (`fit.warmup`), the default is 3 starts instead of 5 (see `isWarmStarted`), and
 *     `cvScreenAfterWarmup` sets the screen to the warm-up and that many updates (see `foldScreen`);
 *   - `consensusReplicates` fits from random starts without the warm-up (seeds after the
 *     replicates'), for consensus clustering and stability;
 *   - when `baseline` is set, the same folds on the row-shuffled copy of V, `baselineReplicates`
 *     warm-started replicates (default `replicates`) and min(`consensusReplicates`, `replicates`)
 *     consensus fits. Without replicates the baseline's loss is the best of its consensus fits.
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
      for (let r = 0; r < (baseline ? s.baselineReplicates : s.replicates); r++) {
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
          cv: {
            folds: s.cvFolds,
            seed: cvSeed,
            ...(s.cvHoldout !== undefined ? { holdout: s.cvHoldout } : {}),
          },
          fit: { ...s.fit, init, rank, seed },
          screen: foldScreen(s, init),
          keepFactors: false,
        });
      }
      const consensusFits = baseline ? baselineConsensusFits(s) : s.consensusReplicates;
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
            foldScreen(s, init),
            shuffleSeed,
          ),
        );
      }
    }
  }
  return jobs;
}

/**
 * The screen of a fold fit (`SweepJob.screen`): `cvStarts` starts when there are several and they
 * are random. Each start runs the warm-up and `cvScreenIterations` more, and at least twice the
 * warm-up, since a fit caps its warm-up at half its iterations; or, with `cvScreenAfterWarmup`,
 * the warm-up and exactly that many more (`afterWarmup`, the length the job runs by).
 */
function foldScreen(s: ResolvedSweepSpec, init: InitMethod): SweepJob['screen'] {
  if (s.cvStarts <= 1 || init !== 'random') return null;
  const warmup = isWarmStarted(s.fit) ? (s.fit.warmup ?? 0) : 0;
  if (s.cvScreenAfterWarmup !== undefined) {
    return {
      starts: s.cvStarts,
      iterations: warmup + s.cvScreenAfterWarmup,
      afterWarmup: s.cvScreenAfterWarmup,
    };
  }
  return { starts: s.cvStarts, iterations: Math.max(2 * warmup, warmup + s.cvScreenIterations) };
}
