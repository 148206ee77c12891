import type { PreparedData } from './data';
import { maskedSweep, type FixedFactor, type Penalties, type Workspace } from './solvers';

/**
 * Alternating non-negative least squares on ½‖V − WH‖² (+ penalties), each half step solved by
 * coordinate descent (the `als` solver), after RcppML's `nmf` (DeBruine, Melton & Sheffield 2021):
 * where HALS makes one coordinate-descent sweep over W's rows and one over H's columns per
 * iteration, ALS repeats the sweep with the same Gram matrix and right-hand side until the
 * projected gradient of the sub-problem has fallen to `ALS_INNER_TOL` × that of its first sweep (at
 * most `ALS_MAX_SWEEPS` sweeps): each half step is then an NNLS solve, as RcppML's column-wise
 * Cholesky-then-coordinate-descent solve is. The products with V (the expensive part: m·n·k) are
 * made once per half step and the extra sweeps cost rows·k² each, so ALS gains where the
 * sweeps are cheap against the products and HALS would need many more iterations.
 *
 * RcppML also rescales W and H to unit sums (a diagonal d) after each half step. Coordinate
 * descent on an unpenalised Frobenius loss is equivariant under that scaling (W·D, D⁻¹·H give the
 * same updates up to rounding: measured, the same iteration counts to equal loss), so it is left
 * out: our penalties follow scikit-learn's convention on the unscaled factors.
 *
 * Returns the sum of the first sweeps' projected-gradient violations (W side and H side): the
 * quantity HALS's stopping rule compares with the first iteration's (scikit-learn's `cd` rule).
 */
export function alsIteration(
  data: PreparedData,
  W: Float64Array,
  Ht: Float64Array,
  k: number,
  pen: Penalties,
  ws: Workspace,
  fixed?: FixedFactor,
): number {
  const { V, m, n, missing } = data;
  const { kernels } = ws;
  let violation = 0;
  if (fixed !== 'W') {
    // W half step: B = VHᵀ − l1W (m × k), G = HHᵀ + l2W·I, solved by repeated sweeps.
    const B = ws.numW;
    if (V.kind === 'dense') kernels.denseTimes(V.data, m, n, Ht, k, B);
    else kernels.csrTimes(V.indptr, V.indices, V.data, m, n, Ht, k, B);
    if (pen.l1W !== 0) for (let q = 0; q < m * k; q++) B[q] -= pen.l1W;
    kernels.gram(Ht, n, k, ws.small);
    if (pen.l2W !== 0) for (let t = 0; t < k; t++) ws.small[t * k + t] += pen.l2W;
    const sweepW = (): number =>
      missing === null
        ? kernels.cdSweep(W, m, k, ws.small, B, ws.order)
        : maskedSweep(W, m, Ht, n, k, ws, B, pen.l2W, missing.rowPtr, missing.cols);
    violation += solveBySweeps(sweepW);
  }
  if (fixed === 'H') return violation;

  // H half step: B = VᵀW − l1H (n × k), G = WᵀW + l2H·I.
  const Bh = ws.numHt;
  if (V.kind === 'dense') kernels.denseTransposeTimes(V.data, m, n, W, k, Bh);
  else kernels.csrTransposeTimes(V.indptr, V.indices, V.data, m, n, W, k, Bh);
  if (pen.l1H !== 0) for (let q = 0; q < n * k; q++) Bh[q] -= pen.l1H;
  kernels.gram(W, m, k, ws.small);
  if (pen.l2H !== 0) for (let t = 0; t < k; t++) ws.small[t * k + t] += pen.l2H;
  const sweepH = (): number =>
    missing === null
      ? kernels.cdSweep(Ht, n, k, ws.small, Bh, ws.order)
      : maskedSweep(Ht, n, W, m, k, ws, Bh, pen.l2H, missing.colPtr, missing.rows);
  violation += solveBySweeps(sweepH);
  return violation;
}

/** A half step's sweeps stop when the violation is this fraction of the first sweep's. */
export const ALS_INNER_TOL = 1e-3;
/** At most this many sweeps per half step (RcppML's coordinate-descent limit is 100 per column). */
export const ALS_MAX_SWEEPS = 50;

/** Repeats `sweep` until its violation is ≤ ALS_INNER_TOL × the first (or ALS_MAX_SWEEPS); returns the first. */
function solveBySweeps(sweep: () => number): number {
  const first = sweep();
  for (let s = 1; s < ALS_MAX_SWEEPS; s++) {
    if (!(sweep() > ALS_INNER_TOL * first)) break;
  }
  return first;
}
