import { betaOfLoss, type DatasetSummary, type LossName } from '../../shared/domain';
import { MINIBATCH_DEFAULTS, defaultSolverFor } from '../../shared/nmf/defaults';

/**
 * What a fit costs, for the time estimates of runs, sweeps, consensus runs and cluster plans.
 *
 * The estimates count work in one unit: the multiply-adds of the calibration fit
 * (services/calibrate.ts, dense KL multiplicative updates on 400 × 200 at k = 8), whose rate this
 * machine measures. A fit of another loss, solver, layout or shape costs what the engine's cost
 * model below says relative to that fit. The model was measured, not derived: counting
 * multiply-adds alone (4·E·k per iteration) priced a dense Itakura–Saito iteration at a fifteenth
 * of its time (its per-entry divisions dominated, before the native terms; now they cost about a
 * KL iteration's), a general-β one at a fiftieth (a power per entry; now about a twelfth),
 * a CSR KL iteration at a third to a tenth (per stored entry and per row costs), and a Frobenius
 * HALS iteration at twice its time.
 *
 * Each family's seconds per iteration on the machine it was measured on:
 *
 *   M · (a·E·k + b·E + c·(m+n)·k + d·(m+n)·k² + e·m + f)
 *
 * and the seconds a fit from a random start costs beyond its iterations (preparing V, the initial
 * and final loss passes, the Poisson log-likelihood's log-gamma per entry):
 *
 *   M · (g·E + h·E·k + i·(m+n)·k + j)
 *
 * with E the stored entries (m·n dense; nnz for CSR, but m·n where the loss needs every entry of
 * WH), m × n the data's shape and M the memory factor of V's size (`memoryFactor`). The
 * coefficients (nanoseconds) are non-negative least squares on relative errors over 7–44 timed
 * cases per family (shapes 64 × 40 to 2000 × 60 000, k = 2..32, CPU time after a warm-up fit on an
 * otherwise idle machine; `scripts/measure/engine-cost.ts` times them,
 * `scripts/measure/engine-cost-fit.py` fits them). The model lands within 0.53–1.45× of the
 * measured seconds per iteration in every case; docs/architecture.md, "What a fit costs", has the
 * figures. On another machine every family is scaled by the one calibration rate, so the relative
 * costs are assumed to carry over; they were measured with the native kernels, not the
 * WebAssembly ones a machine without the native module runs.
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
  // 29 cases, iteration 0.63–1.45×, fixed 0.21–1.31× of measured
  'dense KL mu': {
    iteration: [0.2057, 0.2771, 0, 0.07313, 46.74, 4891],
    fixed: [7.739, 0.05886, 47.36, 2.297e5],
  },
  // 15 cases (a fifth of the entries missing, as a fold fit has them), iteration 0.77–1.17×
  'dense KL mu masked': {
    iteration: [0.3511, 0.3205, 0, 0.3157, 66.46, 0],
    fixed: [21.03, 0.3943, 55.89, 1.287e5],
  },
  // 29 cases, iteration 0.70–1.31×
  'dense Frobenius hals': {
    iteration: [0.07829, 0.2975, 0, 0.1379, 16.57, 6289],
    fixed: [1.473, 0.188, 34.6, 1.859e5],
  },
  // 7 cases, iteration 0.93–1.05×
  'dense Frobenius mu': {
    iteration: [0.1359, 0, 0, 0.172, 36.02, 1.883e4],
    fixed: [3.132, 0, 28.58, 3.944e5],
  },
  // 15 cases, iteration 0.60–1.23×
  'dense Frobenius als': {
    iteration: [0.2113, 0.2981, 0, 0.3186, 31.12, 3.82e4],
    fixed: [0.07225, 0.3633, 104.5, 2.234e4],
  },
  // 22 cases, iteration 0.81–1.19×: two divisions and a product per entry (native terms, 3–18 ns
  // an entry, k = 2..32)
  'dense IS mu': {
    iteration: [0.3412, 2.125, 0, 0.1237, 29.38, 6300],
    fixed: [8.956, 0, 44.18, 2.237e5],
  },
  // β = 0.5, 7 cases, iteration 0.88–1.10×: a power per entry (native terms, fdlibm's pow on four
  // lanes, 36–51 ns an entry)
  'dense general-beta mu': {
    iteration: [0.8064, 28.29, 0, 5.085, 359.2, 0],
    fixed: [31.03, 0, 28.72, 3.588e5],
  },
  // 44 cases (10 % and 30 % stored, up to 1.2·10⁷ stored), iteration 0.63–1.27×
  'csr KL mu': {
    iteration: [0.3345, 1.897, 9.028, 0.112, 12.95, 5728],
    fixed: [38.24, 1.613, 51.01, 1.217e5],
  },
  // 21 cases, iteration 0.53–1.18×
  'csr Frobenius hals': {
    iteration: [0.1242, 2.337, 0, 0.2114, 14.89, 2322],
    fixed: [10.38, 0, 50.54, 1.235e5],
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
  /**
   * With `masked` on CSR V: the entries the fit holds out. The masked copy of a CSR V stores only
   * V's entries (analysis/crossval.ts `maskFoldApart`; β = 1 and 2, the CSR families), but the
   * missing-value kernels (`maskedSums`, `maskedSweep`) run over every held-out entry, stored or
   * not: at 5000 × 400 with 10 % stored, one fold of three holds out 6.7·10⁵ entries beside V's
   * 2·10⁵ stored ones. See {@link HELD_OUT_ENTRY_WEIGHT}.
   */
  heldOutEntries?: number;
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
 * than dense KL cost as the dense KL ones do relative to their plain version (1.28–1.96×, median
 * 1.65, over 15 cases with a fifth of the entries held out); ALS on CSR as dense ALS does relative
 * to dense HALS (2×).
 */
const MASKED_FACTOR = 1.65;
const CSR_ALS_FACTOR = 2;
/**
 * What a held-out entry of a CSR fold fit costs per iteration, in stored entries of its family:
 * the missing-value kernels' terms (one dot product and one update of k per held-out entry and
 * side; the HALS warm-up's masked sweeps) on top of the CSR passes over V's stored entries, which
 * the masked factor prices. Fitted on 5000 × 400 counts, 10 % stored, folds of three
 * (`scripts/bench/sweep-jobs.ts --kinds replicate,fold --alternate`, one thread, three runs
 * pooled; 6.7·10⁵ held-out entries a fold beside 2·10⁵ stored): a fold iteration (its warm-up,
 * screen and kept fit over its 1 210 iterations) cost 2.31 / 2.17 / 2.80× a replicate's at
 * k = 2 / 3 / 5, the model with this weight 2.47 / 2.44 / 2.40×. It was 0.5 (3.71 / 3.64 /
 * 3.53×) while the warm-up's CSR products branched on the stored NaN and the H side's masked
 * kernels gathered their partners row by row: then a fold iteration cost 3.37 / 3.53 / 3.53× (see
 * "CSR fold fits: the warm-up's products without a branch" in docs/architecture.md). Without the
 * weight, V's stored entries alone: 1.65×; with the held-out zeros as stored entries, as the copy
 * once held them: 6.1 / 5.9 / 5.7×.
 */
const HELD_OUT_ENTRY_WEIGHT = 0.2;
/**
 * Itakura–Saito and general β on CSR V against the same shape dense: every entry of WH enters the
 * updates either way, and the stored entries add a power each (the CSR numerator terms are formed
 * without the dense rows' shortcut) and the loss's JavaScript pass. Measured with the native terms
 * (scripts/bench/beta-dense.ts, β = 0.5, one process): 1.5× at 10 % stored (2000 × 2000, k = 10
 * and 2000 × 500, k = 8), 1.9× at 30 % (2000 × 500). Itakura–Saito on CSR V (every entry stored,
 * since it refuses zeros) was not measured: the same factor stands in.
 */
const CSR_BETA_FACTOR = 1.7;

/**
 * The minibatch solver (nmf/minibatch.ts, refined schedule) against full-batch MU of the same
 * kernels: an online pass (up to 3 H steps a batch of 128, W's update after each) costs 4 MU
 * iterations (3.7–5.2 measured: CSR 2000 × 20 000 and 2000 × 60 000, k = 10 and 20, batches of
 * 128 and 1024); a polish pass one MU iteration; and the final solve for H (up to 30 steps a
 * batch), counted with the fit's fixed cost, 26 (24–31 measured). Pricing every pass at 1.25
 * iterations and leaving out the final solve, as before, put minibatch estimates at 0.10–0.21×
 * of the run.
 */
const MINIBATCH_ONLINE_PASS = 4;
const MINIBATCH_FINAL_SOLVE = 26;

function familyOf(
  shape: CostShape,
  settings: CostSettings,
): { family: CostFamily; entries: number; factor: number } {
  const beta = settings.beta ?? 1;
  const solver = settings.solver ?? defaultSolverFor(beta);
  const csr = shape.layout === 'csr';
  const all = shape.rows * shape.cols;
  const masked = settings.masked === true;
  // The CSR families (β = 1 and 2) pass over V's stored entries, and a fold fit's missing-value
  // kernels over its held-out entries, each a fraction of a stored entry's cost.
  const heldOut = csr && masked ? HELD_OUT_ENTRY_WEIGHT * (settings.heldOutEntries ?? 0) : 0;
  const stored = csr ? shape.nnz + heldOut : all;
  const maskedFactor = masked ? MASKED_FACTOR : 1;
  // A minibatch fit runs MU's kernels (below); its passes are priced in fitIterationsWork.
  if (beta === 2 && solver !== 'mu' && solver !== 'minibatch') {
    if (csr)
      return {
        family: 'csr Frobenius hals',
        entries: stored,
        factor: (solver === 'als' ? CSR_ALS_FACTOR : 1) * maskedFactor,
      };
    return {
      family: solver === 'als' ? 'dense Frobenius als' : 'dense Frobenius hals',
      entries: stored,
      factor: maskedFactor,
    };
  }
  if (beta === 1) {
    if (csr) return { family: 'csr KL mu', entries: stored, factor: maskedFactor };
    return { family: masked ? 'dense KL mu masked' : 'dense KL mu', entries: stored, factor: 1 };
  }
  if (beta === 2)
    return {
      family: csr ? 'csr Frobenius hals' : 'dense Frobenius mu',
      entries: stored,
      factor: maskedFactor,
    };
  // Itakura–Saito and other β: every entry of WH enters the updates, stored or not.
  return {
    family: beta === 0 ? 'dense IS mu' : 'dense general-beta mu',
    entries: all,
    factor: (csr ? CSR_BETA_FACTOR : 1) * maskedFactor,
  };
}

/**
 * Past the caches every entry costs more: the model's seconds are multiplied by 1 while V's stored
 * arrays take at most 8 MiB, by 1.45 from 64 MiB on, log-linearly between (8 bytes a dense entry,
 * 12 a CSR one). Fitted with the coefficients: without it the cases of 4·10⁶–1.6·10⁷ entries came
 * out at 0.58–0.77× of their measured time, with it at 0.80–1.05×.
 */
function memoryFactor(shape: CostShape, entries: number): number {
  const bytes = entries * (shape.layout === 'csr' ? 12 : 8);
  const ramp = Math.min(1, Math.max(0, Math.log2(Math.max(bytes, 1) / (8 * 2 ** 20)) / 3));
  return 1 + 0.45 * ramp;
}

/** Seconds of one iteration on the machine the model was measured on. */
function modelIterationSeconds(shape: CostShape, k: number, settings: CostSettings): number {
  const { family, entries, factor } = familyOf(shape, settings);
  const [a, b, c, d, e, f] = FAMILY_COSTS[family].iteration;
  const side = shape.rows + shape.cols;
  const scale = factor * memoryFactor(shape, entries);
  return (
    (scale * (a * entries * k + b * entries + c * side * k + d * side * k * k + e * shape.rows + f)) / 1e9
  );
}

/** Seconds one fit costs beyond its iterations, from a random start, on the model's machine. */
function modelFixedSeconds(shape: CostShape, k: number, settings: CostSettings): number {
  const { family, entries, factor } = familyOf(shape, settings);
  const [g, h, i, j] = FAMILY_COSTS[family].fixed;
  const scale = factor * memoryFactor(shape, entries);
  return (scale * (g * entries + h * entries * k + i * (shape.rows + shape.cols) * k + j)) / 1e9;
}

/**
 * The NNDSVD family's start beyond a random one: a randomized SVD of l = k + 10 columns, its
 * products with V (per stored entry, dearer through CSR) and its dense orthonormalisations.
 * Fitted as the iteration costs were, dense and CSR apart: 12 dense cases within 0.63–1.30× of
 * measured, 6 CSR cases within 0.66–1.17× (the NNDSVDa start's time less a random start's).
 */
function modelSvdStartSeconds(shape: CostShape, k: number): number {
  const l = k + 10;
  const side = shape.rows + shape.cols;
  const [perEntry, perSide, once] = shape.layout === 'csr' ? [2.94, 2.92, 1.09e6] : [1.04, 1.28, 1.35e5];
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

/**
 * Work of one iteration at rank k, in calibration multiply-adds: divided by `engineRate` it is this
 * machine's seconds. For minibatch, one full-batch MU iteration of the same data, what a polish
 * pass costs ({@link fitIterationsWork} prices its online passes).
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
  const finalSolve =
    settings.solver === 'minibatch' ? MINIBATCH_FINAL_SOLVE * modelIterationSeconds(shape, k, settings) : 0;
  return (modelFixedSeconds(shape, k, settings) + svd + finalSolve) * WORK_PER_MODEL_SECOND;
}

/**
 * Work of `iterations` iterations at rank k (passes over the data for minibatch: the first
 * `onlinePasses` online, the rest polish; MINIBATCH_DEFAULTS), without the fit's fixed cost.
 */
export function fitIterationsWork(
  shape: CostShape,
  k: number,
  settings: CostSettings,
  iterations: number,
): number {
  const perIteration = fitWorkPerIteration(shape, k, settings);
  if (settings.solver !== 'minibatch') return iterations * perIteration;
  const online = Math.min(iterations, MINIBATCH_DEFAULTS.onlinePasses);
  return (MINIBATCH_ONLINE_PASS * online + (iterations - online)) * perIteration;
}

/** What the loss, solver and layout are priced as, for an estimate's basis. */
function familyLabel(settings: CostSettings): string {
  const beta = settings.beta ?? 1;
  const solver = settings.solver ?? defaultSolverFor(beta);
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
  return fitIterationsWork(shape, k, settings, iterations) + fitFixedWork(shape, k, settings);
}
