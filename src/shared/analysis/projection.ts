import { dense, type DataMatrix, type DenseMatrix } from '../linalg/matrix';
import { fitNmf } from '../nmf';
import type { FitHooks, FitOptions, FitOptionsInput, FitResult } from '../nmf/types';

/**
 * Projecting new samples onto saved components: W held, H fitted (scikit-learn's
 * `NMF.transform` / `non_negative_factorization(update_H=False)`, RcppML's `project`), after
 * matching the new matrix's features to the run's by name.
 */

/** How the features of a new matrix line up with a run's. */
export interface FeatureMatch {
  /** For each matched feature, its row in the run's W … */
  runRows: number[];
  /** … and its row in the new matrix (same order: the run's). */
  newRows: number[];
  /** Run features absent from the new matrix (their W rows are left out). */
  missing: string[];
  /** New-matrix features the run does not have (their rows are left out). */
  dropped: string[];
}

/** Thrown when a new matrix cannot be projected: too few matching features, duplicate names. */
export class ProjectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProjectionError';
  }
}

/** Lists at most `limit` names, then "… and N more". */
export function nameList(names: readonly string[], limit = 10): string {
  const shown = names.slice(0, limit).join(', ');
  return names.length > limit ? `${shown} … and ${names.length - limit} more` : shown;
}

/**
 * Matches the new matrix's features to the run's by exact name. Refuses (ProjectionError, naming
 * them) a duplicated name in the new matrix, and a match of fewer than `minShare` of the run's
 * features (default 0.5) or fewer than `rank` features (the fit would be underdetermined).
 */
export function matchFeatures(
  runFeatures: readonly string[],
  newFeatures: readonly string[],
  options: { rank: number; minShare?: number },
): FeatureMatch {
  const position = new Map<string, number>();
  newFeatures.forEach((name, row) => {
    if (position.has(name)) {
      throw new ProjectionError(
        `feature '${name}' appears twice in the new matrix (rows ${position.get(name)! + 1} and ${row + 1})`,
      );
    }
    position.set(name, row);
  });
  const runRows: number[] = [];
  const newRows: number[] = [];
  const missing: string[] = [];
  const known = new Set<string>();
  runFeatures.forEach((name, row) => {
    known.add(name);
    const at = position.get(name);
    if (at === undefined) missing.push(name);
    else {
      runRows.push(row);
      newRows.push(at);
    }
  });
  const dropped = newFeatures.filter((name) => !known.has(name));
  const minShare = options.minShare ?? 0.5;
  const needed = Math.max(options.rank, Math.ceil(minShare * runFeatures.length));
  if (runRows.length < needed) {
    throw new ProjectionError(
      `only ${runRows.length} of the run's ${runFeatures.length} features are in the new matrix (at least ${needed} needed); ` +
        `missing: ${nameList(missing)}` +
        (dropped.length > 0 ? `; the new matrix has instead: ${nameList(dropped)}` : ''),
    );
  }
  return { runRows, newRows, missing, dropped };
}

/** Rows `rows` of W (m × k), in that order. */
export function selectRows(W: DenseMatrix, rows: readonly number[]): DenseMatrix {
  const k = W.cols;
  const out = new Float64Array(rows.length * k);
  rows.forEach((i, r) => out.set(W.data.subarray(i * k, i * k + k), r * k));
  return dense(rows.length, k, out);
}

/** Rows `rows` of a dense or CSR matrix, in that order (the same layout out). */
export function selectDataRows(V: DataMatrix, rows: readonly number[]): DataMatrix {
  const n = V.cols;
  if (V.kind === 'dense') {
    const out = new Float64Array(rows.length * n);
    rows.forEach((i, r) => out.set(V.data.subarray(i * n, i * n + n), r * n));
    return dense(rows.length, n, out);
  }
  let nnz = 0;
  for (const i of rows) nnz += V.indptr[i + 1] - V.indptr[i];
  const indptr = new Int32Array(rows.length + 1);
  const indices = new Int32Array(nnz);
  const data = new Float64Array(nnz);
  let q = 0;
  rows.forEach((i, r) => {
    for (let p = V.indptr[i]; p < V.indptr[i + 1]; p++, q++) {
      indices[q] = V.indices[p];
      data[q] = V.data[p];
    }
    indptr[r + 1] = q;
  });
  return { kind: 'csr', rows: rows.length, cols: n, indptr, indices, data };
}

/** Columns `cols` of a dense matrix (m × n), in that order. */
export function selectColumns(V: DenseMatrix, cols: readonly number[]): DenseMatrix {
  const { rows: m, cols: n } = V;
  const out = new Float64Array(m * cols.length);
  for (let i = 0; i < m; i++) cols.forEach((j, c) => (out[i * cols.length + c] = V.data[i * n + j]));
  return dense(m, cols.length, out);
}

/**
 * H (k × n) of new samples V (m × n) on held components W (m × k): the engine's one-sided fit with
 * the fit options of the run (loss, solver, iterations, tolerance, penalties); the start of H is
 * scikit-learn's for `update_H=False` (see `FitOptions.fixed`).
 */
export function projectSamples(
  V: DataMatrix,
  W: DenseMatrix,
  options: Omit<Partial<FitOptions>, 'fixed' | 'W0' | 'H0' | 'init' | 'rank'>,
  hooks: FitHooks = {},
): FitResult {
  return fitNmf(V, { ...options, rank: W.cols, fixed: 'W', W0: W }, hooks);
}

/** Result of `heldOutSampleError`. */
export interface HeldOutSampleError {
  /** Loss of the fit on the training samples. */
  trainLoss: number;
  /** β-divergence of the held-out samples on the training W with their H projected, per entry observed. */
  heldOutLoss: number;
  /** The same, divided by the held-out entries (comparable across splits of different sizes). */
  heldOutLossPerEntry: number;
  train: FitResult;
  projected: FitResult;
}

/**
 * Sample-wise hold-out (the cheap half of bi-cross-validation, Owen & Perry 2009): fit W on the
 * training samples, project the held-out samples onto it (W held, H fitted), and report their
 * loss. Meant as a second criterion for a rank sweep. V is dense, m × n; `heldOut` lists columns.
 */
export function heldOutSampleError(
  V: DenseMatrix,
  heldOut: readonly number[],
  options: FitOptionsInput,
  hooks: FitHooks = {},
): HeldOutSampleError {
  const held = new Set(heldOut);
  for (const j of held) {
    if (!Number.isInteger(j) || j < 0 || j >= V.cols)
      throw new RangeError(`held-out column ${j} is not in 0..${V.cols - 1}`);
  }
  const trainCols = Array.from({ length: V.cols }, (_, j) => j).filter((j) => !held.has(j));
  if (trainCols.length < options.rank || held.size === 0) {
    throw new RangeError(`a hold-out needs at least rank (${options.rank}) training and 1 held-out sample`);
  }
  const train = fitNmf(selectColumns(V, trainCols), options, hooks);
  const test = selectColumns(
    V,
    [...held].sort((a, b) => a - b),
  );
  const { fixed: _fixed, W0: _w0, H0: _h0, init: _init, rank: _rank, ...rest } = options;
  const projected = projectSamples(test, train.W, rest, hooks);
  let observed = 0;
  for (const v of test.data) if (v === v) observed++;
  return {
    trainLoss: train.loss,
    heldOutLoss: projected.loss,
    heldOutLossPerEntry: observed > 0 ? projected.loss / observed : NaN,
    train,
    projected,
  };
}
