import type { DataArrays, NmfKernels } from '../contract';
import { EPS32, Pow, powBy, powCode, type PowCode } from './numbers';
import { accumulateRow, rowProducts, scatterRow } from './rows';

// ---------------------------------------------------------------------------------------------
// General β (β ∉ {1, 2}) numerators and denominators (Févotte & Idier 2011, scikit-learn's rules)

/**
 * Per-row coefficients of the general-β update (β ∉ {1, 2}), from the products WH_i· already in
 * `num` (length n), in place:
 *   num[j] = V_ij · WHs_ij^(β−2)   where V_ij > 0 (WHs: zeros → EPS32 when β < 2), else 0;
 *   den[j] = WHd_ij^(β−1)          (WHd: zeros → EPS32 when β < 1), 0 where V_ij is missing.
 * β = 0 computes the numerator term as (1/WHs)²·V, as scikit-learn does. `V` is read at
 * `vi + j` for dense rows; for CSR rows pass `vi = -1` and fill `num` at the stored positions with
 * `betaSparseNumerators` afterwards.
 */
function betaRowCoefficients(
  V: Float64Array,
  vi: number,
  n: number,
  beta: number,
  num: Float64Array,
  den: Float64Array,
): void {
  const eNum = beta - 2;
  const eDen = beta - 1;
  const cNum = powCode(eNum);
  powerRow(num, den, n, eDen, powCode(eDen), beta < 1);
  if (vi < 0) return;
  const clampNum = beta < 2;
  for (let j = 0; j < n; j++) {
    const wh = num[j];
    const v = V[vi + j];
    if (v !== v) {
      den[j] = 0;
      num[j] = 0;
    } else if (v > 0) {
      // WH^(β−2) = WH^(β−1) / WH saves a second power where WH > 0 (the clamps only differ at 0);
      // IS keeps scikit-learn's (1/WH)² form.
      num[j] =
        wh > 0 && beta !== 0 ? (den[j] / wh) * v : betaNumeratorTerm(v, wh, beta, eNum, cNum, clampNum);
    } else {
      num[j] = 0;
    }
  }
}

/**
 * out[j] = x[j]^e for j < n (x[j] == 0 → EPS32 first when `clampZero`), with the exponent's
 * numpy fast path chosen once per row rather than per entry.
 */
function powerRow(
  x: Float64Array,
  out: Float64Array,
  n: number,
  e: number,
  code: PowCode,
  clampZero: boolean,
): void {
  switch (code) {
    case Pow.Sqrt:
      for (let j = 0; j < n; j++) out[j] = Math.sqrt(clampZero && x[j] === 0 ? EPS32 : x[j]);
      return;
    case Pow.Square:
      for (let j = 0; j < n; j++) {
        const y = clampZero && x[j] === 0 ? EPS32 : x[j];
        out[j] = y * y;
      }
      return;
    case Pow.Reciprocal:
      for (let j = 0; j < n; j++) out[j] = 1 / (clampZero && x[j] === 0 ? EPS32 : x[j]);
      return;
    case Pow.One:
      for (let j = 0; j < n; j++) out[j] = clampZero && x[j] === 0 ? EPS32 : x[j];
      return;
    case Pow.Zero:
      out.fill(1, 0, n);
      return;
    default:
      for (let j = 0; j < n; j++) out[j] = Math.pow(clampZero && x[j] === 0 ? EPS32 : x[j], e);
  }
}

function betaNumeratorTerm(
  v: number,
  wh: number,
  beta: number,
  eNum: number,
  cNum: PowCode,
  clampNum: boolean,
): number {
  const whs = clampNum && wh === 0 ? EPS32 : wh;
  if (beta === 0) {
    const r = 1 / whs;
    return r * r * v;
  }
  return powBy(whs, eNum, cNum) * v;
}

/**
 * For a CSR row (stored entries p in [start, end)): `num` becomes the sparse row of numerator
 * terms (V_ij·WHs^(β−2) at stored V_ij > 0, 0 elsewhere) and `den` is zeroed at stored NaN.
 * On entry `num` holds WH_i· and `den` the denominator terms of every column.
 */
function betaSparseRow(
  indices: Int32Array,
  data: Float64Array,
  start: number,
  end: number,
  n: number,
  beta: number,
  num: Float64Array,
  den: Float64Array,
  scratch: Float64Array,
): void {
  const eNum = beta - 2;
  const cNum = powCode(eNum);
  const clampNum = beta < 2;
  for (let p = start; p < end; p++) {
    const j = indices[p];
    const v = data[p];
    if (v !== v) den[j] = 0;
    scratch[p - start] = v > 0 ? betaNumeratorTerm(v, num[j], beta, eNum, cNum, clampNum) : 0;
  }
  num.fill(0, 0, n);
  for (let p = start; p < end; p++) num[indices[p]] = scratch[p - start];
}

/**
 * The W-step terms for general β over V (m × n), row by row without any m × n temporary:
 *   numW (m × k) = (V ⊙ WHs^(β−2)) · Hᵀ,   denW (m × k) = WHd^(β−1) · Hᵀ,
 * missing entries left out of both. For CSR V the numerator terms are formed only at the stored
 * entries; the denominator needs WH^(β−1) at every entry, so it is built from W_i·H row by row as
 * scikit-learn's sparse path does. `num`, `den`: scratch rows of length n; `scratch`: length ≥ the
 * longest CSR row (unused for dense V). numW and denW are overwritten.
 */
export const betaW: NmfKernels['betaW'] = (V, m, n, k, W, Ht, beta, numW, denW, num, den, scratch) => {
  for (let i = 0; i < m; i++) {
    betaRow(V, i, n, k, W, Ht, beta, num, den, scratch);
    accumulateRow(num, 0, Ht, n, k, numW, i * k);
    accumulateRow(den, 0, Ht, n, k, denW, i * k);
  }
};

/** The H-step mirror of `betaW`: numHt, denHt (n × k) = (Wᵀ(V ⊙ WHs^(β−2)))ᵀ, (Wᵀ WHd^(β−1))ᵀ. */
export const betaH: NmfKernels['betaH'] = (V, m, n, k, W, Ht, beta, numHt, denHt, num, den, scratch) => {
  numHt.fill(0, 0, n * k);
  denHt.fill(0, 0, n * k);
  for (let i = 0; i < m; i++) {
    betaRow(V, i, n, k, W, Ht, beta, num, den, scratch);
    scatterRow(num, 0, W, i * k, n, k, numHt);
    scatterRow(den, 0, W, i * k, n, k, denHt);
  }
};

function betaRow(
  V: DataArrays,
  i: number,
  n: number,
  k: number,
  W: Float64Array,
  Ht: Float64Array,
  beta: number,
  num: Float64Array,
  den: Float64Array,
  scratch: Float64Array,
): void {
  rowProducts(W, i * k, Ht, n, k, num);
  betaCoefficients(V, i, n, beta, num, den, scratch);
}

/** Row i's numerator and denominator terms in `num` and `den`, `num` holding row i of WH on entry. */
function betaCoefficients(
  V: DataArrays,
  i: number,
  n: number,
  beta: number,
  num: Float64Array,
  den: Float64Array,
  scratch: Float64Array,
): void {
  if (V.kind === 'dense') {
    betaRowCoefficients(V.data, i * n, n, beta, num, den);
  } else {
    betaRowCoefficients(V.data, -1, n, beta, num, den);
    betaSparseRow(V.indices, V.data, V.indptr[i], V.indptr[i + 1], n, beta, num, den, scratch);
  }
}

/**
 * `betaCoefficients` over a block of rows i0 … i0 + rows − 1 laid out row-major in `num` and `den`
 * (rows × n): the per-entry part of the general-β passes that stays in JavaScript (powers), between
 * the WebAssembly kernels that make the rows of WH and multiply the terms by the factor.
 */
export function betaBlockCoefficients(
  V: DataArrays,
  n: number,
  beta: number,
  scratch: Float64Array,
): (i0: number, rows: number, num: Float64Array, den: Float64Array) => void {
  return (i0, rows, num, den) => {
    for (let r = 0; r < rows; r++) {
      const row = num.subarray(r * n, (r + 1) * n);
      betaCoefficients(V, i0 + r, n, beta, row, den.subarray(r * n, (r + 1) * n), scratch);
    }
  };
}
