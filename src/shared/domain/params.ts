import { z } from 'zod';
import { defaultSolverFor, MINIBATCH_DEFAULTS } from '../nmf/defaults';
import {
  cvFoldsProblem,
  cvHoldoutProblem,
  RUN_DEFAULTS,
  RUN_FIT_DEFAULTS,
  SWEEP_DEFAULTS,
  SWEEP_FIT_DEFAULTS,
} from './defaults';

/**
 * Parameters of runs and sweeps as users and the API see them. Schemas double as validators at the
 * process boundary (the renderer is untrusted) and as the one place where defaults live.
 */

/** Named losses; `beta` means "use the β field". */
export const lossNames = ['kl', 'frobenius', 'is', 'beta'] as const;
export type LossName = (typeof lossNames)[number];

/** β of a named loss (Frobenius 2, generalized KL 1, Itakura–Saito 0). */
export function betaOfLoss(loss: LossName, beta: number): number {
  switch (loss) {
    case 'frobenius':
      return 2;
    case 'kl':
      return 1;
    case 'is':
      return 0;
    case 'beta':
      return beta;
  }
}

/** A loss as CLI.md spells it: `kl`, `frobenius`, `is` or `beta=<b>`. */
export function formatLoss(loss: LossName, beta: number): string {
  return loss === 'beta' ? `beta=${beta}` : loss;
}

/** Parses CLI.md's `--loss` value. Returns null when it is not one of the accepted forms. */
export function parseLoss(text: string): { loss: LossName; beta: number } | null {
  const named: Record<string, Exclude<LossName, 'beta'>> = {
    kl: 'kl',
    'kullback-leibler': 'kl',
    frobenius: 'frobenius',
    is: 'is',
    'itakura-saito': 'is',
  };
  const hit = Object.hasOwn(named, text.toLowerCase()) ? named[text.toLowerCase()] : undefined;
  if (hit) return { loss: hit, beta: betaOfLoss(hit, Number.NaN) };
  const match = /^beta=([0-9]*\.?[0-9]+(?:e[-+]?\d+)?)$/i.exec(text);
  if (!match) return null;
  const beta = Number(match[1]);
  return Number.isFinite(beta) && beta >= 0 ? { loss: 'beta', beta } : null;
}

const penalty = z.number().min(0).max(1e9).default(RUN_DEFAULTS.penalty);

/** Solvers (`als` and `hals` fit the Frobenius loss only). */
export const solverNames = ['mu', 'hals', 'als', 'minibatch'] as const;
/** Starts a user may choose (the engine also takes `custom`, given W0 and H0). */
export const initNames = ['random', 'nndsvd', 'nndsvda', 'nndsvdar'] as const;

/** One fit (or the best of several replicates). Field defaults follow CLI.md's `fit`. */
export const runParamsSchema = z
  .object({
    rank: z.number().int().min(1).max(10_000),
    loss: z.enum(lossNames).default(RUN_DEFAULTS.loss),
    /** Used only when loss is `beta`. */
    beta: z.number().min(0).max(10).default(RUN_DEFAULTS.beta),
    /**
     * Default: `hals` for Frobenius, `mu` otherwise (filled in by `completeRunParams`); `als` is
     * Frobenius only; `minibatch` is online MU over batches of samples (maxIter counts passes).
     */
    solver: z.enum(solverNames).optional(),
    /** Samples per batch, `minibatch` only (default MINIBATCH_DEFAULTS.batchSize, filled in by `completeRunParams`). */
    batchSize: z.number().int().min(1).max(100_000_000).optional(),
    init: z.enum(initNames).default(RUN_FIT_DEFAULTS.init),
    maxIter: z.number().int().min(1).max(1_000_000).default(RUN_FIT_DEFAULTS.maxIter),
    tol: z.number().min(0).max(1).default(RUN_FIT_DEFAULTS.tol),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(RUN_FIT_DEFAULTS.seed),
    l1W: penalty,
    l2W: penalty,
    l1H: penalty,
    l2H: penalty,
    shuffle: z.boolean().default(RUN_DEFAULTS.shuffle),
    /**
     * HALS iterations before multiplicative updates (mu only; see the engine's FitOptions.warmup).
     * Default RUN_FIT_DEFAULTS.warmup for mu, filled in by `completeRunParams` (0 under HALS).
     */
    warmup: z.number().int().min(0).max(100_000).optional(),
    /**
     * The warm-up goes on past `warmup` until HALS settles (engine FitOptions.warmupTol; 0: exactly
     * `warmup` iterations). Default RUN_FIT_DEFAULTS.warmupTol with a warm-up, filled in by
     * `completeRunParams` (0 without one). Runs stored before the field ran a fixed warm-up.
     */
    warmupTol: z.number().min(0).max(0.5).optional(),
    replicates: z.number().int().min(1).max(1000).default(RUN_DEFAULTS.replicates),
  })
  .strict();

export type RunParamsInput = z.input<typeof runParamsSchema>;
/** Parameters with every default filled in, the solver resolved. */
export type RunParams = Omit<z.output<typeof runParamsSchema>, 'solver' | 'warmup' | 'warmupTol'> & {
  solver: 'mu' | 'hals' | 'als' | 'minibatch';
  warmup: number;
  /** Absent from runs stored before it existed: those ran a fixed warm-up (0). */
  warmupTol?: number;
};

/**
 * Fills defaults and resolves the solver; throws a ZodError for invalid input. Multiplicative
 * updates get RUN_FIT_DEFAULTS.warmup unless a warm-up is given; a warm-up is recorded as 0 under
 * HALS, which has none (the engine ignores it), so saved runs say what ran.
 */
export function completeRunParams(input: RunParamsInput): RunParams {
  const parsed = runParamsSchema.parse(input);
  const beta = betaOfLoss(parsed.loss, parsed.beta);
  const solver = parsed.solver ?? defaultSolverFor(beta);
  const warmup = solver === 'mu' ? (parsed.warmup ?? RUN_FIT_DEFAULTS.warmup) : 0;
  const warmupTol = warmup > 0 ? (parsed.warmupTol ?? RUN_FIT_DEFAULTS.warmupTol) : 0;
  // A batch size is recorded for the minibatch solver only (the others have none).
  const { batchSize, ...rest } = parsed;
  if (solver === 'minibatch') {
    return { ...rest, beta, solver, warmup, warmupTol, batchSize: batchSize ?? MINIBATCH_DEFAULTS.batchSize };
  }
  return { ...rest, beta, solver, warmup, warmupTol };
}

/**
 * Fit settings of every fit in a sweep, with the defaults of SWEEP_FIT_DEFAULTS (see there why).
 */
export const sweepFitSchema = runParamsSchema.omit({ rank: true, replicates: true }).extend({
  init: z.enum(initNames).default(SWEEP_FIT_DEFAULTS.init),
  maxIter: z.number().int().min(1).max(1_000_000).default(SWEEP_FIT_DEFAULTS.maxIter),
  tol: z.number().min(0).max(1).default(SWEEP_FIT_DEFAULTS.tol),
  warmup: z.number().int().min(0).max(100_000).default(SWEEP_FIT_DEFAULTS.warmup),
  // Stored with every new sweep; a sweep stored before the field ran a fixed warm-up (absent = 0).
  warmupTol: z.number().min(0).max(0.5).default(SWEEP_FIT_DEFAULTS.warmupTol),
});

/** A rank sweep: every k in [fromRank, toRank], replicates and cross-validation folds per k. */
export const sweepParamsSchema = z
  .object({
    fromRank: z.number().int().min(1).max(1000),
    toRank: z.number().int().min(1).max(1000),
    replicates: z.number().int().min(1).max(200).default(SWEEP_DEFAULTS.replicates),
    /** 0 (none) or 2..MAX_CV_FOLDS: the rule `cvFoldsProblem` (one fold trains on nothing). */
    cvFolds: z
      .number()
      .check((check) => {
        const problem = cvFoldsProblem(check.value);
        if (problem) check.issues.push({ code: 'custom', message: problem, input: check.value });
      })
      .default(SWEEP_DEFAULTS.cvFolds),
    /**
     * The fraction of V's entries each fold holds out, above 0 and at most 1/cvFolds (`cvFoldsFor`):
     * the rule `cvHoldoutProblem`, asked below where cvFolds is known. Absent: 1/cvFolds, every
     * entry in one fold.
     */
    cvHoldout: z.number().optional(),
    /**
     * Multiplicative updates each screened start of a fold fit runs after its warm-up (0: the
     * starts are compared at the end of the warm-up); `SweepSpec.cvScreenAfterWarmup`. Absent: the
     * default screen, the warm-up and at least as many updates again.
     */
    cvScreenAfterWarmup: z.number().int().min(0).max(100_000).optional(),
    /** Also fit a row-shuffled copy of V as the no-structure baseline. */
    baseline: z.boolean().default(SWEEP_DEFAULTS.baseline),
    /**
     * Fits per rank from independent random starts without warm-up, for consensus clustering and
     * stability (0 = use the replicates). Absent: the service chooses 20 when affordable (see
     * `withConsensusReplicates` in services/sweeps.ts) and stores the choice.
     */
    consensusReplicates: z.number().int().min(0).max(200).optional(),
    /**
     * Warm-started replicates on the shuffled baseline. Absent: as many as `replicates` (sweeps
     * stored before the field existed); the service stores 0 for new sweeps whose baseline has
     * consensus fits, whose best loss then stands for the baseline's (see `withConsensusReplicates`).
     */
    baselineReplicates: z.number().int().min(0).max(200).optional(),
    /**
     * Sample-wise cross-validation folds per rank (held-out samples projected on half the
     * features, scored on the other half; shared/analysis/sample-cv.ts). Absent or 0: none.
     */
    sampleFolds: z
      .number()
      .int()
      .min(0)
      .max(20)
      .refine((folds) => folds !== 1, { message: 'sample folds must be 0 (none) or at least 2, got 1' })
      .optional(),
    fit: sweepFitSchema.default(() => sweepFitSchema.parse({})),
  })
  .strict()
  .refine((s) => s.fromRank <= s.toRank, { message: 'fromRank must not exceed toRank', path: ['toRank'] })
  .check((check) => {
    const { cvFolds, cvHoldout } = check.value;
    const problem = cvHoldout === undefined ? null : cvHoldoutProblem(cvFolds, cvHoldout);
    if (problem)
      check.issues.push({ code: 'custom', message: problem, input: cvHoldout, path: ['cvHoldout'] });
  });

export type SweepParamsInput = z.input<typeof sweepParamsSchema>;
export type SweepParams = z.output<typeof sweepParamsSchema>;

/** Variance-stabilising transforms applied at import and recorded with the dataset. */
export const transforms = ['none', 'sqrt', 'log1p'] as const;
export type Transform = (typeof transforms)[number];

/** Synthetic gene-module data (CLI.md `synth`). */
export const synthParamsSchema = z
  .object({
    features: z.number().int().min(2).max(200_000),
    samples: z.number().int().min(2).max(100_000),
    rank: z.number().int().min(1).max(100),
    moonlighting: z.number().min(0).max(0.5).default(0.05),
    depth: z.number().positive().max(1e9).optional(),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(0),
    name: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((s) => s.rank <= Math.min(s.features, s.samples), {
    message: 'rank must not exceed min(features, samples)',
    path: ['rank'],
  });
export type SynthParamsInput = z.input<typeof synthParamsSchema>;
export type SynthParams = z.output<typeof synthParamsSchema>;
