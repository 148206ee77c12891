import type { DataMatrix, DenseMatrix } from '../linalg/matrix';
import { prepareData, type PreparedData } from './data';
import {
  defaultSolverFor,
  ENGINE_DEFAULTS,
  MINIBATCH_DEFAULTS,
  SKLEARN_MINIBATCH_DEFAULTS,
  solverFitsBeta,
} from './defaults';
import {
  FitSettingsError,
  type FitOptions,
  type FitOptionsInput,
  type InitMethod,
  type MinibatchSettings,
  type Solver,
} from './types';

const SOLVERS: readonly Solver[] = ['mu', 'hals', 'als', 'minibatch'];
const INITS: readonly InitMethod[] = ['random', 'nndsvd', 'nndsvda', 'nndsvdar', 'custom'];

/**
 * Fills in defaults and validates a fit's settings, throwing `FitSettingsError` with a message that
 * names the offending value. Defaults: ENGINE_DEFAULTS (shared/nmf/defaults.ts), the solver by
 * `defaultSolverFor(β)`, no fixed factor (`fixed` needs the held factor, W0 or H0, and makes init
 * `custom`).
 *
 * With V (m × n) the data-dependent rules are checked too: rank ≤ min(m, n); no negative or
 * infinite entry (NaN is a missing value and is allowed); no zero when β = 0 (as scikit-learn
 * requires for β ≤ 0); W0 (m × k) and H0 (k × n) shapes for `init: 'custom'`. Indices in messages
 * are 0-based: `V[i, j]` is row i, column j.
 */
export function resolveFitOptions(input: FitOptionsInput, V?: DataMatrix): FitOptions {
  return resolveWith(input, V === undefined ? undefined : prepareData(V));
}

/** `resolveFitOptions` on already-scanned data (the fit scans V only once). */
export function resolveWith(input: FitOptionsInput, data: PreparedData | undefined): FitOptions {
  const beta = input.beta ?? ENGINE_DEFAULTS.beta;
  if (typeof beta !== 'number' || !Number.isFinite(beta) || beta < 0) {
    throw new FitSettingsError(`β = ${beta} must be a finite number ≥ 0`);
  }
  const rank = input.rank;
  if (typeof rank !== 'number' || !Number.isInteger(rank) || rank < 1) {
    throw new FitSettingsError(`rank ${rank} must be a positive integer`);
  }
  const solver = input.solver ?? defaultSolverFor(beta);
  if (!SOLVERS.includes(solver))
    throw new FitSettingsError(`unknown solver '${solver}' (use mu, hals, als or minibatch)`);
  if (!solverFitsBeta(solver, beta)) {
    throw new FitSettingsError(`solver ${solver} needs β = 2 (Frobenius), got β = ${beta}`);
  }
  const init = input.init ?? ENGINE_DEFAULTS.init;
  if (!INITS.includes(init)) {
    throw new FitSettingsError(`unknown init '${init}' (use random, nndsvd, nndsvda, nndsvdar or custom)`);
  }
  const maxIter = input.maxIter ?? ENGINE_DEFAULTS.maxIter;
  if (!Number.isInteger(maxIter) || maxIter < 0) {
    throw new FitSettingsError(`maxIter ${maxIter} must be an integer ≥ 0`);
  }
  const tol = input.tol ?? ENGINE_DEFAULTS.tol;
  if (!Number.isFinite(tol) || tol < 0) throw new FitSettingsError(`tol ${tol} must be a finite number ≥ 0`);
  const seed = input.seed ?? ENGINE_DEFAULTS.seed;
  if (!Number.isInteger(seed) || Math.abs(seed) > Number.MAX_SAFE_INTEGER) {
    throw new FitSettingsError(`seed ${seed} must be an integer`);
  }
  const checkEvery = input.checkEvery ?? ENGINE_DEFAULTS.checkEvery;
  if (!Number.isInteger(checkEvery) || checkEvery < 1) {
    throw new FitSettingsError(`checkEvery ${checkEvery} must be a positive integer`);
  }
  const penalty = (name: 'l1W' | 'l2W' | 'l1H' | 'l2H'): number => {
    const value = input[name] ?? ENGINE_DEFAULTS.penalty;
    if (!Number.isFinite(value) || value < 0)
      throw new FitSettingsError(`${name} ${value} must be a finite number ≥ 0`);
    return value;
  };
  const warmup = input.warmup ?? ENGINE_DEFAULTS.warmup;
  if (!Number.isInteger(warmup) || warmup < 0) {
    throw new FitSettingsError(`warmup ${warmup} must be an integer ≥ 0`);
  }
  const warmupTol = input.warmupTol ?? ENGINE_DEFAULTS.warmupTol;
  if (!Number.isFinite(warmupTol) || warmupTol < 0 || warmupTol >= 1) {
    throw new FitSettingsError(`warmupTol ${warmupTol} must be a number ≥ 0 and < 1`);
  }
  const iterationsAfterWarmup = input.iterationsAfterWarmup;
  if (
    iterationsAfterWarmup !== undefined &&
    (!Number.isInteger(iterationsAfterWarmup) || iterationsAfterWarmup < 0)
  ) {
    throw new FitSettingsError(`iterationsAfterWarmup ${iterationsAfterWarmup} must be an integer ≥ 0`);
  }
  const loglik = input.loglik ?? ENGINE_DEFAULTS.loglik;
  if (typeof loglik !== 'boolean')
    throw new FitSettingsError(`loglik ${String(loglik)} must be true or false`);
  const shuffle = input.shuffle ?? ENGINE_DEFAULTS.shuffle;
  if (typeof shuffle !== 'boolean')
    throw new FitSettingsError(`shuffle ${String(shuffle)} must be true or false`);

  const fixed = input.fixed;
  if (fixed !== undefined && fixed !== 'W' && fixed !== 'H') {
    throw new FitSettingsError(`fixed '${String(fixed)}' must be W or H`);
  }

  const options: FitOptions = {
    rank,
    beta,
    solver,
    // A fit with a fixed factor starts from given factors (see FitOptions.fixed).
    init: fixed === undefined ? init : 'custom',
    maxIter,
    tol,
    seed,
    l1W: penalty('l1W'),
    l2W: penalty('l2W'),
    l1H: penalty('l1H'),
    l2H: penalty('l2H'),
    shuffle,
    checkEvery,
    warmup,
    warmupTol,
    ...(iterationsAfterWarmup !== undefined ? { iterationsAfterWarmup } : {}),
    loglik,
  };
  if (solver === 'minibatch') {
    if (fixed !== undefined) {
      throw new FitSettingsError('solver minibatch fits both factors; use mu to hold one fixed');
    }
    Object.assign(options, resolveMinibatch(input));
  }
  if (fixed !== undefined) {
    const given = fixed === 'W' ? input.W0 : input.H0;
    if (given === undefined) {
      throw new FitSettingsError(`fixed ${fixed} needs ${fixed}0, the factor to hold`);
    }
    options.fixed = fixed;
    if (input.W0 !== undefined) options.W0 = input.W0;
    if (input.H0 !== undefined) options.H0 = input.H0;
  } else if (init === 'custom') {
    if (input.W0 === undefined || input.H0 === undefined) {
      throw new FitSettingsError(
        `init custom needs W0 and H0 (missing ${input.W0 === undefined ? 'W0' : 'H0'})`,
      );
    }
    options.W0 = input.W0;
    options.H0 = input.H0;
  }
  if (data !== undefined) checkAgainstData(options, data);
  return options;
}

/**
 * The minibatch solver's settings with their defaults filled in (MINIBATCH_DEFAULTS; the batch size
 * and forget factor of the `sklearn` schedule are scikit-learn `MiniBatchNMF`'s,
 * SKLEARN_MINIBATCH_DEFAULTS), each checked: schedule refined or sklearn, batchSize a positive
 * integer, forgetFactor in (0, 1], freshRestartsMaxIter and onlinePasses, innerIter positive
 * integers, polishPasses and finalIter integers ≥ 0, innerTol ≥ 0, maxNoImprovement a positive
 * integer or null.
 */
function resolveMinibatch(input: FitOptionsInput): MinibatchSettings {
  const schedule = input.schedule ?? MINIBATCH_DEFAULTS.schedule;
  if (schedule !== 'refined' && schedule !== 'sklearn')
    throw new FitSettingsError(`schedule ${String(schedule)} must be refined or sklearn`);
  const defaults = schedule === 'sklearn' ? SKLEARN_MINIBATCH_DEFAULTS : MINIBATCH_DEFAULTS;
  const batchSize = input.batchSize ?? defaults.batchSize;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new FitSettingsError(`batchSize ${batchSize} must be a positive integer`);
  }
  const forgetFactor = input.forgetFactor ?? defaults.forgetFactor;
  if (!Number.isFinite(forgetFactor) || forgetFactor <= 0 || forgetFactor > 1) {
    throw new FitSettingsError(`forgetFactor ${forgetFactor} must be in (0, 1]`);
  }
  const freshRestarts = input.freshRestarts ?? MINIBATCH_DEFAULTS.freshRestarts;
  if (typeof freshRestarts !== 'boolean') {
    throw new FitSettingsError(`freshRestarts ${String(freshRestarts)} must be true or false`);
  }
  const freshRestartsMaxIter = input.freshRestartsMaxIter ?? MINIBATCH_DEFAULTS.freshRestartsMaxIter;
  if (!Number.isInteger(freshRestartsMaxIter) || freshRestartsMaxIter < 1) {
    throw new FitSettingsError(`freshRestartsMaxIter ${freshRestartsMaxIter} must be a positive integer`);
  }
  const maxNoImprovement =
    input.maxNoImprovement === undefined ? MINIBATCH_DEFAULTS.maxNoImprovement : input.maxNoImprovement;
  if (maxNoImprovement !== null && (!Number.isInteger(maxNoImprovement) || maxNoImprovement < 1)) {
    throw new FitSettingsError(`maxNoImprovement ${maxNoImprovement} must be a positive integer or null`);
  }
  const steps = (
    name: 'onlinePasses' | 'polishPasses' | 'innerIter' | 'finalIter',
    least: number,
  ): number => {
    const value = input[name] ?? MINIBATCH_DEFAULTS[name];
    if (!Number.isInteger(value) || value < least)
      throw new FitSettingsError(`${name} ${value} must be an integer ≥ ${least}`);
    return value;
  };
  const innerTol = input.innerTol ?? MINIBATCH_DEFAULTS.innerTol;
  if (!Number.isFinite(innerTol) || innerTol < 0)
    throw new FitSettingsError(`innerTol ${innerTol} must be a number ≥ 0`);
  return {
    batchSize,
    forgetFactor,
    freshRestarts,
    freshRestartsMaxIter,
    maxNoImprovement,
    schedule,
    onlinePasses: steps('onlinePasses', 1),
    polishPasses: steps('polishPasses', 0),
    innerIter: steps('innerIter', 1),
    innerTol,
    finalIter: steps('finalIter', 0),
  };
}

function checkAgainstData(options: FitOptions, data: PreparedData): void {
  const { m, n } = data;
  // With a factor held, the free one is a set of independent least-squares-like problems (one per
  // row of W or column of H): any rank works, e.g. projecting a single sample on 10 components.
  if (options.fixed === undefined && options.rank > Math.min(m, n)) {
    throw new FitSettingsError(`rank ${options.rank} exceeds min(m, n) = ${Math.min(m, n)}`);
  }
  if (data.negative !== null) {
    const { i, j, v } = data.negative;
    throw new FitSettingsError(`V[${i}, ${j}] = ${v} is negative`);
  }
  if (data.infinite !== null) {
    const { i, j, v } = data.infinite;
    throw new FitSettingsError(`V[${i}, ${j}] = ${v} is not finite (only NaN, a missing value, is allowed)`);
  }
  if (options.beta <= 0 && data.zero !== null) {
    const { i, j } = data.zero;
    throw new FitSettingsError(`β = ${options.beta} needs V without zeros: V[${i}, ${j}] = 0`);
  }
  if (options.init === 'custom') {
    if (options.W0 !== undefined) checkFactor('W0', options.W0, m, options.rank);
    if (options.H0 !== undefined) checkFactor('H0', options.H0, options.rank, n);
  }
}

function checkFactor(name: string, F: DenseMatrix, rows: number, cols: number): void {
  if (F.rows !== rows || F.cols !== cols || F.data.length !== rows * cols) {
    throw new FitSettingsError(`${name} is ${F.rows} × ${F.cols}, expected ${rows} × ${cols}`);
  }
  let allZero = true;
  for (let q = 0; q < F.data.length; q++) {
    const v = F.data[q];
    if (!Number.isFinite(v)) {
      throw new FitSettingsError(`${name}[${Math.floor(q / cols)}, ${q % cols}] = ${v} is not finite`);
    }
    if (v < 0) throw new FitSettingsError(`${name}[${Math.floor(q / cols)}, ${q % cols}] = ${v} is negative`);
    if (v !== 0) allZero = false;
  }
  if (allZero) throw new FitSettingsError(`${name} is all zeros`);
}
