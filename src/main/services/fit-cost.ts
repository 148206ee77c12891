import { betaOfLoss, type DatasetSummary, type LossName } from '../../shared/domain';

/**
 * What a fit costs, for the time estimates of runs, sweeps, consensus runs and cluster plans.
 *
 * The estimates count work in one unit: the multiply-adds of the calibration fit
 * (services/calibrate.ts, dense KL multiplicative updates on 400 × 200 at k = 8), whose rate this
 * machine measures. A fit of another loss, solver, layout or shape costs what the engine's cost
 * model below says relative to that fit. The model was measured, not derived: counting
 * multiply-adds alone (4·E·k per iteration) priced a dense Itakura–Saito iteration at a fifteenth
 * of its time (its per-entry divisions dominate), a general-β one at a fiftieth (a power per entry),
 * a CSR KL iteration at a third to a tenth (per stored entry and per row costs), and a Frobenius
 * HALS iteration at twice its time.
 *
 * Each family's seconds per iteration on the machine it was measured on:
 *
 *   a·E·k + b·E + c·(m+n)·k + d·(m+n)·k² + e·m + f
 *
 * and the seconds a fit from a random start costs beyond its iterations (preparing V, the initial
 * and final loss passes, the Poisson log-likelihood's log-gamma per entry):
 *
 *   g·E + h·E·k + i·(m+n)·k + j
 *
 * with E the stored entries (m·n dense; nnz for CSR, but m·n where the loss needs every entry of
 * WH) and m × n the data's shape. The coefficients (nanoseconds) are non-negative least squares
 * on relative errors over 7–41 timed cases per family (shapes 64 × 40 to 2000 × 2000, k = 2..32,
 * CPU time after a warm-up; `scripts/measure/engine-cost.ts` times them,
 * `scripts/measure/engine-cost-fit.py` fits them). The model lands within 0.55–1.42× of the
 * measured seconds per iteration in every case; docs/architecture.md, "What a fit costs", has the
 * figures. On another machine every family is scaled by the one calibration rate, so the relative
 * costs are assumed to carry over (they do between the native and WebAssembly kernels only
 * roughly).
 */

/** One family's coefficients in nanoseconds: see the module comment for the two formulas. */
interface FamilyCost {
  /** [a: E·k, b: E, c: (m+n)·k, d: (m+n)·k², e: m, f: 1] */
  iteration: readonly [number, number, number, number, number, number];
  /** [g: E, h: E·k, i: (m+n)·k, j: 1] */
  fixed: readonly [number, number, number, number];
}

/** The kernel families measured (engine-cost-fit.py's output, measured with the native kernels). */
const FAMILY_COSTS = {
  // 28 cases, iteration 0.55–1.36×, fixed 0.20–1.34× of measured
  'dense KL mu': { iteration: [0.2357, 0.3998, 0, 0, 57.89, 1700], fixed: [10.69, 0.005535, 52.86, 1.943e5] },
  // 15 cases (a fifth of the entries missing, as a fold fit has them), iteration 0.65–1.28×
  'dense KL mu masked': {
    iteration: [0.3573, 0.57, 0, 0.2826, 78.07, 0],
    fixed: [25.73, 0.2056, 51.4, 1.302e5],
  },
  // 28 cases, iteration 0.57–1.42×
  'dense Frobenius hals': {
    iteration: [0.07766, 0.4916, 0, 0.1273, 18.83, 3110],
    fixed: [2.896, 0.1335, 34.02, 3.03e5],
  },
  // 7 cases, iteration 0.58–1.42×
  'dense Frobenius mu': { iteration: [0.1619, 0, 0, 0, 55.81, 1.065e4], fixed: [0, 0.3624, 80.21, 1.467e5] },
  // 15 cases, iteration 0.69–1.24×
  'dense Frobenius als': {
    iteration: [0.2363, 0.5694, 0, 0.3018, 23.12, 5.812e4],
    fixed: [1.129, 0.3475, 119.6, 9.394e4],
  },
  // 22 cases, iteration 0.69–1.13×
  'dense IS mu': {
    iteration: [0.6452, 29.34, 0, 0.364, 220.8, 2504],
    fixed: [46.05, 0.1966, 2.868, 1.098e6],
  },
  // β = 0.5, 7 cases, iteration 0.77–1.23×: a power per entry
  'dense general-beta mu': { iteration: [5.789, 125.1, 0, 23.85, 0, 0], fixed: [42.34, 11.37, 0, 3.793e5] },
  // 41 cases (10 % and 30 % stored), iteration 0.66–1.24×
  'csr KL mu': {
    iteration: [0.5178, 1.517, 9.559, 0.04369, 22.45, 6979],
    fixed: [41.03, 1.547, 50.28, 1.489e5],
  },
  // 20 cases, iteration 0.68–1.26×
  'csr Frobenius hals': {
    iteration: [0.05669, 2.973, 1.606, 0.1698, 11.85, 743.1],
    fixed: [14.87, 0, 55.87, 1.503e5],
  },
} as const satisfies Record<string, FamilyCost>;

type CostFamily = keyof typeof FAMILY_COSTS;

/** The shape of V a cost is asked for. */
export type CostShape = Pick<DatasetSummary, 'rows' | 'cols' | 'nnz' | 'layout'>;

/** The fit settings that decide its kernels. Absent fields take the defaults (KL, `mu`). */
export interface CostSettings {
  beta?: number;
  solver?: 'mu' | 'hals' | 'als' | 'minibatch';
  /** Entries held out as missing (a sweep's fold fit): the masked kernels. */
  masked?: boolean;
}

/** The cost settings of stored run, sweep or consensus parameters, whose β is named by `loss`. */
export function costSettingsOf(params: {
  loss: LossName;
  beta: number;
  solver?: CostSettings['solver'];
  init?: FitStart;
}): CostSettings & { init?: FitStart } {
  return {
    beta: betaOfLoss(params.loss, params.beta),
    ...(params.solver !== undefined ? { solver: params.solver } : {}),
    ...(params.init !== undefined ? { init: params.init } : {}),
  };
}

/** A fit's start, as its cost sees it: the NNDSVD family adds a randomized SVD. */
type FitStart = 'random' | 'nndsvd' | 'nndsvda' | 'nndsvdar' | 'custom';

/**
 * Where the model has no family of its own, the nearest one and a factor: masked kernels other
 * than dense KL cost as the dense KL ones do relative to their plain version (1.4× over the
 * measured cases); ALS on CSR as dense ALS does relative to dense HALS (2×); a minibatch pass
 * about 1.25 multiplicative-update iterations (online: up to 3 H steps, W's products and the
 * batch's loss; polish: the two products).
 */
const MASKED_FACTOR = 1.4;
const CSR_ALS_FACTOR = 2;
const MINIBATCH_PASS_FACTOR = 1.25;

function familyOf(
  shape: CostShape,
  settings: CostSettings,
): { family: CostFamily; entries: number; factor: number } {
  const beta = settings.beta ?? 1;
  const solver = settings.solver ?? (beta === 2 ? 'hals' : 'mu');
  const csr = shape.layout === 'csr';
  const all = shape.rows * shape.cols;
  const stored = csr ? shape.nnz : all;
  const minibatch = solver === 'minibatch' ? MINIBATCH_PASS_FACTOR : 1;
  const masked = settings.masked === true;
  if (beta === 2 && solver !== 'mu' && solver !== 'minibatch') {
    if (csr)
      return {
        family: 'csr Frobenius hals',
        entries: stored,
        factor: (solver === 'als' ? CSR_ALS_FACTOR : 1) * (masked ? MASKED_FACTOR : 1),
      };
    return {
      family: solver === 'als' ? 'dense Frobenius als' : 'dense Frobenius hals',
      entries: stored,
      factor: masked ? MASKED_FACTOR : 1,
    };
  }
  if (beta === 1) {
    if (csr)
      return { family: 'csr KL mu', entries: stored, factor: minibatch * (masked ? MASKED_FACTOR : 1) };
    return { family: masked ? 'dense KL mu masked' : 'dense KL mu', entries: stored, factor: minibatch };
  }
  if (beta === 2)
    return {
      family: csr ? 'csr Frobenius hals' : 'dense Frobenius mu',
      entries: stored,
      factor: minibatch * (masked ? MASKED_FACTOR : 1),
    };
  // Itakura–Saito and other β: every entry of WH enters the updates, stored or not.
  return {
    family: beta === 0 ? 'dense IS mu' : 'dense general-beta mu',
    entries: all,
    factor: minibatch * (masked ? MASKED_FACTOR : 1),
  };
}

/** Seconds of one iteration on the machine the model was measured on. */
function modelIterationSeconds(shape: CostShape, k: number, settings: CostSettings): number {
  const { family, entries, factor } = familyOf(shape, settings);
  const [a, b, c, d, e, f] = FAMILY_COSTS[family].iteration;
  const side = shape.rows + shape.cols;
  return (
    (factor * (a * entries * k + b * entries + c * side * k + d * side * k * k + e * shape.rows + f)) / 1e9
  );
}

/** Seconds one fit costs beyond its iterations, from a random start, on the model's machine. */
function modelFixedSeconds(shape: CostShape, k: number, settings: CostSettings): number {
  const { family, entries, factor } = familyOf(shape, settings);
  const [g, h, i, j] = FAMILY_COSTS[family].fixed;
  return (factor * (g * entries + h * entries * k + i * (shape.rows + shape.cols) * k + j)) / 1e9;
}

/**
 * The NNDSVD family's start beyond a random one: a randomized SVD of l = k + 10 columns, its
 * products with V (per stored entry, dearer through CSR) and its dense orthonormalisations.
 * Fitted as the iteration costs were, dense and CSR apart: 12 dense cases within 0.46–1.35× of
 * measured, 6 CSR cases within 0.81–1.15× (the NNDSVDa start's time less a random start's).
 */
function modelSvdStartSeconds(shape: CostShape, k: number): number {
  const l = k + 10;
  const side = shape.rows + shape.cols;
  const [perEntry, perSide, once] = shape.layout === 'csr' ? [4.95, 0.389, 4.67e6] : [1.08, 1.16, 8.44e5];
  const entries = shape.layout === 'csr' ? shape.nnz : shape.rows * shape.cols;
  return (perEntry * entries * l + perSide * side * l * l + once) / 1e9;
}

/** The calibration fit's shape (services/calibrate.ts) and its multiply-adds per iteration. */
export const CALIBRATION_SHAPE = { rows: 400, cols: 200, rank: 8 } as const;
const CALIBRATION_WORK =
  4 * CALIBRATION_SHAPE.rows * CALIBRATION_SHAPE.cols * CALIBRATION_SHAPE.rank +
  (CALIBRATION_SHAPE.rows + CALIBRATION_SHAPE.cols) * CALIBRATION_SHAPE.rank ** 2;

/**
 * The calibration fit's multiply-adds per second on the model's machine: the factor that turns
 * model seconds into work units, so that the calibration fit's iteration is worth its own
 * multiply-adds and a rate measured on it prices every family.
 */
const WORK_PER_MODEL_SECOND =
  CALIBRATION_WORK /
  modelIterationSeconds(
    { rows: CALIBRATION_SHAPE.rows, cols: CALIBRATION_SHAPE.cols, nnz: 0, layout: 'dense' },
    CALIBRATION_SHAPE.rank,
    { beta: 1, solver: 'mu' },
  );

/** Multiply-adds per iteration of the calibration fit, which `engineRate` divides by its time. */
export function calibrationWorkPerIteration(): number {
  return CALIBRATION_WORK;
}

/**
 * Work of one iteration at rank k (one pass over the data for minibatch), in calibration
 * multiply-adds: divided by `engineRate` it is this machine's seconds.
 */
export function fitWorkPerIteration(shape: CostShape, k: number, settings: CostSettings = {}): number {
  return modelIterationSeconds(shape, k, settings) * WORK_PER_MODEL_SECOND;
}

/**
 * Work one fit costs beyond its iterations, in calibration multiply-adds: preparing V and the loss
 * passes, and with an NNDSVD start its randomized SVD.
 */
export function fitFixedWork(
  shape: CostShape,
  k: number,
  settings: CostSettings & { init?: FitStart },
): number {
  const svd = settings.init?.startsWith('nndsvd') ? modelSvdStartSeconds(shape, k) : 0;
  return (modelFixedSeconds(shape, k, settings) + svd) * WORK_PER_MODEL_SECOND;
}

/** What the loss, solver and layout are priced as, for an estimate's basis. */
function familyLabel(settings: CostSettings): string {
  const beta = settings.beta ?? 1;
  const solver = settings.solver ?? (beta === 2 ? 'hals' : 'mu');
  const loss = beta === 2 ? 'Frobenius' : beta === 1 ? 'KL' : beta === 0 ? 'Itakura–Saito' : `β = ${beta}`;
  return `${loss} ${solver === 'mu' ? 'multiplicative updates' : solver === 'minibatch' ? 'minibatch passes' : solver.toUpperCase()}`;
}

/**
 * The estimate's basis for its speed: the family's measured cost relative to the calibration fit,
 * at the rate that fit achieved here ("KL multiplicative updates priced by the engine's measured
 * cost model, at 12 300 M multiply-adds/s of the calibration fit on this machine").
 */
export function costBasis(rate: number, settings: CostSettings): string {
  return `${familyLabel(settings)} priced by the engine's measured cost model, at the ${(rate / 1e6).toFixed(0)} M multiply-adds/s a calibration fit reached on this machine`;
}

/** Work of one whole fit that runs `iterations` iterations: its iterations and its fixed cost. */
export function fitWork(
  shape: CostShape,
  k: number,
  settings: CostSettings & { init?: FitStart },
  iterations: number,
): number {
  return iterations * fitWorkPerIteration(shape, k, settings) + fitFixedWork(shape, k, settings);
}
