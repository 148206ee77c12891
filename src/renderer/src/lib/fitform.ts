import { betaOfLoss, type LossName, type RunParams } from '../../../shared/domain';
import { solverFitsBeta } from '../../../shared/nmf/defaults';

/** The engine parameters a run and a sweep share (everything but rank and replicates). */
export interface FitForm {
  loss: LossName;
  beta: number;
  solver: RunParams['solver'];
  /** Samples per batch (minibatch only; absent: the default). */
  batchSize?: number;
  init: RunParams['init'];
  maxIter: number;
  tol: number;
  seed: number;
  l1W: number;
  l2W: number;
  l1H: number;
  l2H: number;
  shuffle: boolean;
  warmup: number;
  /** The warm-up goes on until HALS settles to this (0: exactly `warmup` iterations). */
  warmupTol: number;
}

/**
 * The form's fit fields copied from parameters that hold them, the solver already resolved (the
 * suggestions for a dataset, a stored sweep's fit settings): only these keys, since the requests'
 * schemas are strict and the sources carry others (rank, replicates).
 */
export function fitFormOf(p: FitForm): FitForm {
  return {
    loss: p.loss,
    beta: p.beta,
    solver: p.solver,
    ...(p.batchSize !== undefined ? { batchSize: p.batchSize } : {}),
    init: p.init,
    maxIter: p.maxIter,
    tol: p.tol,
    seed: p.seed,
    l1W: p.l1W,
    l2W: p.l2W,
    l1H: p.l1H,
    l2H: p.l2H,
    shuffle: p.shuffle,
    warmup: p.warmup,
    warmupTol: p.warmupTol,
  };
}

/** Client-side checks that mirror the request schema, so problems show beside the field at once. */
export function fitFormProblems(form: FitForm): Partial<Record<keyof FitForm, string>> {
  const problems: Partial<Record<keyof FitForm, string>> = {};
  if (!Number.isFinite(form.beta) || form.beta < 0 || form.beta > 10)
    problems.beta = 'β must be between 0 and 10.';
  if (!Number.isInteger(form.maxIter) || form.maxIter < 1) problems.maxIter = 'A whole number of at least 1.';
  if (!Number.isFinite(form.tol) || form.tol < 0 || form.tol > 1) problems.tol = 'Between 0 and 1.';
  if (!Number.isInteger(form.seed) || form.seed < 0) problems.seed = 'A whole number ≥ 0.';
  if (!Number.isInteger(form.warmup) || form.warmup < 0 || form.warmup > 100_000)
    problems.warmup = 'A whole number between 0 and 100 000.';
  if (!Number.isFinite(form.warmupTol) || form.warmupTol < 0 || form.warmupTol > 0.5)
    problems.warmupTol = 'Between 0 and 0.5.';
  for (const key of ['l1W', 'l2W', 'l1H', 'l2H'] as const)
    if (!Number.isFinite(form[key]) || form[key] < 0) problems[key] = 'Must be ≥ 0.';
  const beta = betaOfLoss(form.loss, form.beta);
  if (!solverFitsBeta(form.solver, beta))
    problems.solver = `${form.solver.toUpperCase()} fits only the Frobenius loss; use MU.`;
  if (
    form.solver === 'minibatch' &&
    form.batchSize !== undefined &&
    (!Number.isInteger(form.batchSize) || form.batchSize < 1)
  )
    problems.batchSize = 'A whole number of at least 1.';
  return problems;
}
