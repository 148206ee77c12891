/**
 * Updates of the scalar reference kernels: the multiplicative update, coordinate-descent sweeps
 * (scikit-learn's `_update_cdnmf_fast`) and their missing-value (weighted) forms.
 */
import type { NmfKernels } from '../contract';
import { EPS32, Pow, powBy, powCode } from './numbers';

// ---------------------------------------------------------------------------------------------
// Multiplicative update and coordinate descent

/**
 * In-place multiplicative update F ← F ⊙ (num ⊘ den)^γ over `length` entries, scikit-learn's order
 * of operations: den += l1 (if > 0); den = den + l2·F (if > 0); den == 0 → EPS32; then
 * F ← F·(num/den)^γ; finally entries below `threshold` are set to 0 (pass 0 for none).
 * `den` is overwritten.
 */
export function multiplicativeUpdate(
  F: Float64Array,
  num: Float64Array,
  den: Float64Array,
  length: number,
  l1: number,
  l2: number,
  gamma: number,
  threshold: number,
): void {
  const code = powCode(gamma);
  for (let q = 0; q < length; q++) {
    let d = den[q];
    if (l1 > 0) d += l1;
    if (l2 > 0) d = d + l2 * F[q];
    if (d === 0) d = EPS32;
    let delta = num[q] / d;
    if (code !== Pow.One) delta = powBy(delta, gamma, code);
    const f = F[q] * delta;
    F[q] = f < threshold ? 0 : f;
  }
}

/**
 * One coordinate-descent sweep on the rows of F (rows × k) for min ½‖X − F Gᵀ‖² + penalties, with
 * the Gram matrix G = GᵀG + l2·I (k × k) and B = X·G − l1 (rows × k) frozen for the sweep: for each
 * row, components in `order`, grad = Σ_q G[t,q]·F[i,q] − B[i,t] (using the already-updated entries),
 * F[i,t] ← max(F[i,t] − grad/G[t,t], 0), skipped where G[t,t] = 0. Returns the projected-gradient
 * violation Σ|pg|. This is scikit-learn's `_update_cdnmf_fast`; the rows are independent, so
 * visiting rows outside and components inside gives the same values as its components-outside order.
 */
export const cdSweep: NmfKernels['cdSweep'] = (F, rows, k, G, B, order) => {
  let violation = 0;
  for (let i = 0; i < rows; i++) violation += cdRow(F, i, k, G, B, order);
  return violation;
};

/** The coordinate-descent updates of row i only, with its own Gram matrix G (k × k); returns Σ|pg|. */
export function cdRow(
  F: Float64Array,
  i: number,
  k: number,
  G: Float64Array,
  B: Float64Array,
  order: Int32Array,
): number {
  let violation = 0;
  const fi = i * k;
  for (let s = 0; s < k; s++) {
    const t = order[s];
    const gt = t * k;
    let grad = -B[fi + t];
    for (let q = 0; q < k; q++) grad += G[gt + q] * F[fi + q];
    const current = F[fi + t];
    const pg = current === 0 ? Math.min(grad, 0) : grad;
    violation += Math.abs(pg);
    const hess = G[gt + t];
    if (hess !== 0) {
      const next = current - grad / hess;
      F[fi + t] = next > 0 ? next : 0;
    }
  }
  return violation;
}

// ---------------------------------------------------------------------------------------------
// Missing values (the weighted objective: Ho 2008; Blondel et al. 2008)

/**
 * Weighted coordinate descent over the rows of F (rows × k) against the other factor O
 * (others × k): row r's Gram matrix is Σ over its observed partners o of O_o O_oᵀ (+ l2·I).
 * `ptr`/`idx` list each row's missing partners (sorted); G holds the full OᵀO + l2·I; `rowGram`
 * is scratch (k × k). Cost per row ∝ min(missing, observed)·k²/2 (the Gram matrices are
 * symmetric: the upper triangle is accumulated and mirrored).
 */
export const maskedSweep: NmfKernels['maskedSweep'] = (
  F,
  rows,
  O,
  others,
  k,
  G,
  B,
  l2,
  ptr,
  idx,
  order,
  rowGram,
) => {
  let violation = 0;
  for (let r = 0; r < rows; r++) {
    const start = ptr[r];
    const end = ptr[r + 1];
    const missingCount = end - start;
    if (missingCount === 0) {
      violation += cdRow(F, r, k, G, B, order);
      continue;
    }
    if (2 * missingCount <= others) {
      rowGram.set(G.subarray(0, k * k));
      for (let q = start; q < end; q++) addOuterUpper(rowGram, O, idx[q] * k, k, -1);
      mirrorUpper(rowGram, k);
    } else {
      // Observed partners: the complement of the sorted missing list, in order.
      rowGram.fill(0, 0, k * k);
      let from = 0;
      for (let q = start; q <= end; q++) {
        const to = q < end ? idx[q] : others;
        for (let j = from; j < to; j++) addOuterUpper(rowGram, O, j * k, k, 1);
        from = to + 1;
      }
      mirrorUpper(rowGram, k);
      if (l2 !== 0) for (let t = 0; t < k; t++) rowGram[t * k + t] += l2;
    }
    violation += cdRow(F, r, k, rowGram, B, order);
  }
  return violation;
};

/** Upper triangle (t ≥ s) of G (k × k) += sign · a aᵀ, a = O[o … o + k), rows with a_s = 0 skipped. */
function addOuterUpper(G: Float64Array, O: Float64Array, o: number, k: number, sign: 1 | -1): void {
  for (let s = 0; s < k; s++) {
    const a = sign * O[o + s];
    if (a === 0) continue;
    const gs = s * k;
    for (let t = s; t < k; t++) G[gs + t] += a * O[o + t];
  }
}

/** Copies the upper triangle of G (k × k) onto the lower one. */
function mirrorUpper(G: Float64Array, k: number): void {
  for (let s = 0; s < k; s++) for (let t = s + 1; t < k; t++) G[t * k + s] = G[s * k + t];
}

/**
 * Masked KL denominators: out (rows × k), row r = total − Σ_{o missing in row r} F_o, clamped at 0
 * against rounding (Σ over the observed partners only, at a cost ∝ the missing entries).
 */
export const maskedSums: NmfKernels['maskedSums'] = (out, rows, F, _others, k, total, ptr, idx) => {
  for (let r = 0; r < rows; r++) {
    const o = r * k;
    out.set(total.subarray(0, k), o);
    for (let q = ptr[r]; q < ptr[r + 1]; q++) {
      const f = idx[q] * k;
      for (let t = 0; t < k; t++) out[o + t] -= F[f + t];
    }
    for (let t = 0; t < k; t++) if (out[o + t] < 0) out[o + t] = 0;
  }
};
