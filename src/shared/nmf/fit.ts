import { dense, type DataMatrix, type DenseMatrix } from '../linalg/matrix';
import { transpose } from '../linalg/ops';
import { Rng } from '../linalg/random';
import { observedMean, prepareData, type PreparedData } from './data';
import { divergenceOf, klAndLogLikelihoodOf, logLikelihoodOf } from './divergence';
import { initializePrepared } from './init';
import { resolveWith } from './options';
import { alsIteration } from './als';
import { fitMinibatchPrepared } from './minibatch';
import { createWorkspace, halsIteration, muIteration, type Penalties } from './solvers';
import { selectKernels } from './kernels';
import {
  FitCancelledError,
  type FitHooks,
  type FitOptions,
  type FitOptionsInput,
  type FitResult,
  type InitMethod,
} from './types';

/**
 * Fits V (m × n) ≈ W (m × k) · H (k × n), synchronously.
 *
 * - Settings are resolved and validated by `resolveFitOptions` (throws `FitSettingsError`).
 * - Start: `options.init` (W0/H0 copied for `custom`).
 * - `mu`: multiplicative updates for the β-divergence, scikit-learn 1.2's rules exactly. Every
 *   `checkEvery` iterations the loss is evaluated (trace); with tol > 0 the fit stops when
 *   (e_prev − e)/min(e_init, 10·e) < tol, e = sqrt(2·D_β): scikit-learn's test (every 10
 *   iterations, relative to the initial error) unless the start was more than 10× worse than the
 *   current fit, which would make it stop on a plateau (see PLATEAU_GUARD).
 * - `hals`: coordinate descent on ½‖V − WH‖² (scikit-learn's `cd`); it stops as scikit-learn does,
 *   when the projected-gradient violation of an iteration falls to tol × that of the first. The loss
 *   is still traced every `checkEvery` iterations.
 * - `als`: alternating NNLS (./als.ts): each half step's coordinate-descent sweeps repeated until its
 *   sub-problem is solved; stops by HALS's rule on the first sweep of each half step.
 * - `warmup` (mu only): the first min(warmup, ⌊maxIter/2⌋) iterations are HALS sweeps on the
 *   Frobenius loss (traced in the fit's own loss, no convergence test); then the entries HALS left
 *   at exactly 0 are lifted to 1e-3 × the factor's mean (a multiplicative update can never move a
 *   zero), and MU continues, its tol test measured from that point.
 * - `minibatch`: online MU over batches of samples (./minibatch.ts, scikit-learn's `MiniBatchNMF`);
 *   `maxIter` counts passes over the data, its own stopping rules apply.
 * - `fixed` ('W' or 'H'): that factor is held (copied, never updated) and only the other is fitted,
 *   scikit-learn's `non_negative_factorization(update_H=False)`; see `FitOptions.fixed`.
 * - `hooks.kernels` is the kernel set the fit computes with (./kernels/select.ts; default: the
 *   one-thread set of what is loaded here); every set gives the same bits.
 * - `hooks.isCancelled()` is read before every iteration (true → `FitCancelledError`);
 *   `hooks.onProgress` is called after every iteration with the latest traced loss.
 * Same V, options and seed → bit-identical W and H.
 */
export function fitNmf(V: DataMatrix, options: FitOptionsInput, hooks: FitHooks = {}): FitResult {
  const data = prepareData(V);
  return fitPrepared(data, resolveWith(options, data), hooks);
}

/** Result of `fitReplicates`. */
export interface ReplicatesResult {
  /** The replicate with the lowest final loss (the first of equals). */
  best: FitResult;
  /** Every replicate, in seed order: seed, seed + 1, … (each with its start in `options`). */
  replicates: FitResult[];
}

/** Where replicate r of a fit starts: its initialisation method and seed. */
export interface ReplicateStart {
  init: InitMethod;
  seed: number;
}

/**
 * The start of replicate r (0-based) of a best-of-R fit. Replicate 0 starts as asked, with the
 * given seed; replicate r > 0 uses seed + r and, unless the start asked for is already random,
 * random factors. NNDSVD and NNDSVDa starts do not depend on the seed (the randomized SVD they
 * come from converges to the same vectors: four replicates from NNDSVDa ended with losses equal to
 * 1e-10), NNDSVDar only perturbs NNDSVD's zeros by 1 % of mean(V), and a custom start is one point:
 * replicates from them would repeat one fit, so "best of R" would mean nothing.
 */
export function replicateStart(init: InitMethod, seed: number, replicate: number): ReplicateStart {
  if (replicate === 0) return { init, seed };
  return { init: 'random', seed: seed + replicate };
}

/**
 * Fits `replicates` times (V is scanned once), replicate r from {@link replicateStart}, and
 * returns all fits and the best (lowest final β-divergence). Cancellation stops the whole series.
 */
export function fitReplicates(
  V: DataMatrix,
  options: FitOptionsInput,
  replicates: number,
  hooks: FitHooks = {},
): ReplicatesResult {
  if (!Number.isInteger(replicates) || replicates < 1) {
    throw new RangeError(`replicates ${replicates} must be a positive integer`);
  }
  const data = prepareData(V);
  const base = resolveWith(options, data);
  const results: FitResult[] = [];
  let best: FitResult | null = null;
  for (let r = 0; r < replicates; r++) {
    const result = fitPrepared(data, { ...base, ...replicateStart(base.init, base.seed, r) }, hooks);
    results.push(result);
    if (best === null || result.loss < best.loss) best = result;
  }
  return { best: best as FitResult, replicates: results };
}

/**
 * MU's stopping test measures each decrease of e = sqrt(2·D) against the initial error, as
 * scikit-learn does, but against at most this many times the current error. A start far from the
 * data makes the initial error huge (NNDSVDa fills with mean(V): on 300 × 100 counts of mean 1000
 * its loss is 3.9e10, the optimum 1.4e4), so scikit-learn's test then accepts as converged a fit
 * still losing 4 % of its error every 10 iterations (stopped at iteration 110, loss 107 291).
 * Where the start is within 10× of the current error, which is the usual case and every
 * scikit-learn fixture here, the test is scikit-learn's exactly.
 */
const PLATEAU_GUARD = 10;

/**
 * The same guard for coordinate descent (HALS, ALS), whose test (scikit-learn's `cd`) compares the
 * projected-gradient violation with the first iteration's. From NNDSVDa on count data the first
 * violation is so large that the test passed at iteration 2 on 2000 × 500 planted counts, at 450×
 * the loss the fit reaches. So when the violation test passes, the error e = sqrt(2·D) must also
 * have fallen, per `checkEvery` iterations, by less than tol × PLATEAU_GUARD × e since the last
 * loss evaluation; if not, the fit goes on and the guard is tried again at the next check. A fit
 * that has levelled off passes at once, so where scikit-learn's test stops a settled fit (every
 * scikit-learn fixture here) the stopping iteration is scikit-learn's. Fits with a fixed factor
 * (projections) keep scikit-learn's test unchanged: they are convex, and agreeing with its
 * `update_H=False` from the same start is their contract.
 */
function stillFalling(
  previousLoss: number,
  loss: number,
  iterations: number,
  tol: number,
  checkEvery: number,
): boolean {
  const previousError = Math.sqrt(2 * Math.max(previousLoss, 0));
  const error = Math.sqrt(2 * Math.max(loss, 0));
  if (error === 0 || iterations <= 0) return false;
  const perCheck = ((previousError - error) * checkEvery) / iterations;
  return perCheck > tol * PLATEAU_GUARD * error;
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/** The fit loop on scanned data and resolved options. */
export function fitPrepared(data: PreparedData, options: FitOptions, hooks: FitHooks = {}): FitResult {
  const started = now();
  const { m, n } = data;
  const k = options.rank;
  const beta = options.beta;
  // The start can take a while on large data (randomized SVD): honour a cancellation made before it.
  if (hooks.isCancelled?.() === true) throw new FitCancelledError(0);
  let W: Float64Array;
  let Ht: Float64Array;
  const fixed = options.fixed;
  const kernels = hooks.kernels ?? selectKernels();
  if (fixed !== undefined) {
    const start = oneSidedStart(data, options);
    W = start.W;
    Ht = start.Ht;
  } else if (options.init === 'custom') {
    W = Float64Array.from((options.W0 as DenseMatrix).data);
    Ht = transpose(options.H0 as DenseMatrix).data;
  } else {
    const start = initializePrepared(data, k, options.init, options.seed, kernels);
    W = start.W.data;
    Ht = transpose(start.H).data;
  }
  // scikit-learn's scaling (`_compute_regularization`): W's penalties × n, H's × m.
  const pen: Penalties = {
    l1W: options.l1W * n,
    l2W: options.l2W * n,
    l1H: options.l1H * m,
    l2H: options.l2H * m,
  };
  if (options.solver === 'minibatch')
    return fitMinibatchPrepared(data, options, W, Ht, { ...hooks, kernels }, started);
  const ws = createWorkspace(m, n, k, data.V.kind === 'csr' ? data.V.data.length : 0, kernels);
  const shuffleRng = options.shuffle ? new Rng(options.seed) : null;
  const nextOrder = (order: Int32Array): void => {
    if (shuffleRng === null) return;
    for (let t = 0; t < k; t++) order[t] = t;
    shuffleRng.shuffle(order);
  };

  const lossNow = (): number => divergenceOf(data, W, Ht, k, beta, kernels);
  const initLoss = lossNow();
  const trace: Array<[number, number]> = [[0, initLoss]];
  // When each trace point was reached (seconds since `started`), kept beside the trace point for point.
  const traceSeconds: number[] = [(now() - started) / 1000];
  const traced = (): void => void traceSeconds.push((now() - started) / 1000);
  let errorInit = Math.sqrt(2 * Math.max(initLoss, 0));
  let previousError = errorInit;
  let lastLoss = initLoss;
  let lastLossIteration = 0;
  let violationInit = 0;
  // Set once the coordinate-descent guard has refused a stop: it is then tried at checks only.
  let guardRefused = false;
  let converged = false;
  let iteration = 0;

  // At most half the iterations: the fit's own loss is what MU minimises, HALS only finds the basin.
  const warmupCap = Math.floor(options.maxIter / 2);
  const settling = options.solver === 'mu' && options.warmup > 0 && options.warmupTol > 0;
  let warmup = options.solver === 'mu' ? Math.min(settling ? warmupCap : options.warmup, warmupCap) : 0;
  // HALS's own loss at the last settling test (`FitOptions.warmupTol`).
  let previousFrobenius = Number.NaN;
  // The last iteration when `iterationsAfterWarmup` is set: fixed once the warm-up has ended.
  let lastIteration = options.maxIter;
  const afterWarmup = options.iterationsAfterWarmup;
  if (afterWarmup !== undefined && options.solver === 'mu')
    lastIteration = Math.min(lastIteration, warmup + afterWarmup);
  while (iteration < lastIteration) {
    if (hooks.isCancelled?.() === true) throw new FitCancelledError(iteration);
    iteration++;
    if (iteration <= warmup) {
      halsIteration(data, W, Ht, k, pen, ws, nextOrder, fixed);
      // Tested every SETTLING_EVERY iterations counted from the minimum warm-up, from one test
      // before it on: a fit whose HALS has settled by then stops its warm-up where a fixed warm-up
      // would, with the same bits.
      if (
        settling &&
        iteration < warmup &&
        iteration >= options.warmup - SETTLING_EVERY &&
        (iteration - options.warmup) % SETTLING_EVERY === 0
      ) {
        const frobenius = divergenceOf(data, W, Ht, k, 2, kernels);
        const settled = previousFrobenius - frobenius < options.warmupTol * frobenius;
        previousFrobenius = frobenius;
        if (settled && iteration >= options.warmup) {
          warmup = iteration;
          if (afterWarmup !== undefined) lastIteration = Math.min(options.maxIter, warmup + afterWarmup);
        }
      }
      if (iteration === warmup) {
        if (fixed !== 'W') liftZeros(W);
        if (fixed !== 'H') liftZeros(Ht);
        // The multiplicative updates start here: their convergence test is relative to this point.
        lastLoss = lossNow();
        lastLossIteration = iteration;
        if (trace[trace.length - 1][0] === iteration) {
          trace.pop();
          traceSeconds.pop();
        }
        trace.push([iteration, lastLoss]);
        traced();
        previousError = Math.sqrt(2 * Math.max(lastLoss, 0));
        errorInit = previousError;
      } else if (iteration % options.checkEvery === 0) {
        lastLoss = lossNow();
        lastLossIteration = iteration;
        trace.push([iteration, lastLoss]);
        traced();
      }
      hooks.onProgress?.({ iteration, maxIter: options.maxIter, loss: lastLoss, elapsedMs: now() - started });
      continue;
    }
    if (options.solver === 'mu') {
      muIteration(data, W, Ht, k, beta, pen, ws, fixed);
    } else {
      const violation =
        options.solver === 'als'
          ? alsIteration(data, W, Ht, k, pen, ws, fixed)
          : halsIteration(data, W, Ht, k, pen, ws, nextOrder, fixed);
      if (iteration === 1) violationInit = violation;
      if (violationInit === 0 || violation / violationInit <= options.tol)
        converged = !guardRefused || iteration % options.checkEvery === 0;
    }
    if (iteration % options.checkEvery === 0 || converged) {
      const previousLoss = lastLoss;
      const since = iteration - lastLossIteration;
      lastLoss = lossNow();
      lastLossIteration = iteration;
      trace.push([iteration, lastLoss]);
      traced();
      if (
        converged &&
        options.solver !== 'mu' &&
        fixed === undefined &&
        violationInit !== 0 &&
        stillFalling(previousLoss, lastLoss, since, options.tol, options.checkEvery)
      ) {
        converged = false;
        guardRefused = true;
      }
      if (options.solver === 'mu' && options.tol > 0 && iteration % options.checkEvery === 0) {
        const error = Math.sqrt(2 * Math.max(lastLoss, 0));
        const reference = Math.min(errorInit, PLATEAU_GUARD * error);
        if (reference === 0 || (previousError - error) / reference < options.tol) converged = true;
        previousError = error;
      }
    }
    hooks.onProgress?.({ iteration, maxIter: options.maxIter, loss: lastLoss, elapsedMs: now() - started });
    if (converged) break;
  }
  // The Poisson log-likelihood (KL fits): read with the final loss in one pass where that is
  // still to compute, else alone; either way the bits of divergenceOf and logLikelihoodOf.
  const wantLoglik = beta === 1 && options.loglik;
  let loglik: number | null = null;
  if (lastLossIteration !== iteration) {
    if (wantLoglik) ({ loss: lastLoss, loglik } = klAndLogLikelihoodOf(data, W, Ht, k, kernels));
    else lastLoss = lossNow();
    trace.push([iteration, lastLoss]);
    traced();
  }
  if (wantLoglik && loglik === null) loglik = logLikelihoodOf(data, W, Ht, k, kernels);
  const warnings: string[] = [];
  if (!converged && options.maxIter > 0 && options.tol > 0) {
    warnings.push(`maxIter (${options.maxIter}) reached before convergence (tol ${options.tol})`);
  }
  const { W0: _w0, H0: _h0, ...used } = options;
  return {
    W: dense(m, k, W),
    H: transpose(dense(n, k, Ht)),
    iterations: iteration,
    converged,
    loss: lastLoss,
    loglik,
    trace,
    traceSeconds,
    seconds: (now() - started) / 1000,
    options: used,
    warnings,
    ...(warmup > 0 ? { warmupIterations: Math.min(warmup, iteration) } : {}),
  };
}

/**
 * Iterations between two tests of a settling warm-up (`FitOptions.warmupTol`): scikit-learn's
 * cadence for its own convergence test, fixed rather than `checkEvery` so that a screened start,
 * which checks its loss only at its end, still tests the warm-up as a full fit does.
 */
const SETTLING_EVERY = 10;

/**
 * Start of a fit with a fixed factor (`FitOptions.fixed`): the fixed factor copied; the free one
 * copied from its W0/H0 when given, otherwise scikit-learn 1.2's start for `update_H=False`
 * (`NMF._check_w_h`): sqrt(mean(V)/k) everywhere for MU (a zero would never move), zeros for
 * coordinate descent. mean(V) is over the observed entries. W: m × k, Ht: n × k.
 */
function oneSidedStart(data: PreparedData, options: FitOptions): { W: Float64Array; Ht: Float64Array } {
  const k = options.rank;
  const fill = options.solver === 'mu' ? Math.sqrt(observedMean(data) / k) : 0;
  const W =
    options.W0 !== undefined ? Float64Array.from(options.W0.data) : new Float64Array(data.m * k).fill(fill);
  const Ht = options.H0 !== undefined ? transpose(options.H0).data : new Float64Array(data.n * k).fill(fill);
  return { W, Ht };
}

/**
 * Sets the exact zeros of a factor to 1e-3 × its mean entry: after a HALS warm-up, so that the
 * multiplicative updates that follow can still move them (a product with 0 stays 0). Small enough
 * not to change the solution HALS found; leaves an all-zero factor alone.
 */
function liftZeros(F: Float64Array): void {
  let sum = 0;
  for (let q = 0; q < F.length; q++) sum += F[q];
  const lift = (1e-3 * sum) / Math.max(F.length, 1);
  if (!(lift > 0)) return;
  for (let q = 0; q < F.length; q++) if (F[q] === 0) F[q] = lift;
}
