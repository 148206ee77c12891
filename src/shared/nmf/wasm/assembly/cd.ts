// Coordinate-descent sweeps, plain and weighted, and the masked KL denominators (the scalar counterpart:
// ../../kernels/scalar/cd.ts).

/**
 * One coordinate-descent sweep over the rows of F (rows × k) with G (k × k) and B (rows × k)
 * frozen, components in `order` (k int32): scikit-learn's `_update_cdnmf_fast`, the same
 * operations in the same order as `cdSweep` in ../../kernels/scalar/cd.ts. Returns Σ|projected gradient|,
 * summed per row first as there.
 */
export function cdSweep(f: usize, rows: i32, k: i32, g: usize, b: usize, order: usize, rv: usize): f64 {
  // Components outside, rows inside (scikit-learn's loop order): the rows are independent, so each
  // row sees exactly the operations of the row-by-row scalar sweep, while consecutive rows' update
  // chains overlap in the pipeline instead of waiting on one another. `rv` (rows) keeps each row's
  // violation so the total is summed per row first, in row order, as the scalar sweep sums it.
  const kStride = <usize>k << 3;
  memory.fill(rv, 0, <usize>rows << 3);
  for (let s = 0; s < k; s++) {
    const t = <usize>load<i32>(order + (<usize>s << 2));
    const gt = g + t * kStride;
    const hess = load<f64>(gt + (t << 3));
    for (let i = 0; i < rows; i++) {
      const fi = f + <usize>i * kStride;
      let grad = -load<f64>(b + <usize>i * kStride + (t << 3));
      for (let q = 0; q < k; q++) grad += load<f64>(gt + (<usize>q << 3)) * load<f64>(fi + (<usize>q << 3));
      const current = load<f64>(fi + (t << 3));
      const pg = current == 0 ? min<f64>(grad, 0) : grad;
      const ri = rv + (<usize>i << 3);
      store<f64>(ri, load<f64>(ri) + abs<f64>(pg));
      if (hess != 0) {
        const next = current - grad / hess;
        store<f64>(fi + (t << 3), next > 0 ? next : 0);
      }
    }
  }
  let violation: f64 = 0;
  for (let i = 0; i < rows; i++) violation += load<f64>(rv + (<usize>i << 3));
  return violation;
}

/**
 * Upper triangle (t ≥ s) of G (k × k) += sign · a aᵀ for the k-vector a at `op`: `addOuterUpper`
 * in ../../solvers.ts, entry by entry. `sign` is +1 or −1 (x + (−a)·b is exactly x − a·b). Rows
 * with a_s = 0, which the scalar code skips, are added here as ±0, which leaves every entry as it
 * was (the entries are sums of non-negative products, never −0): a branch on the many zeros HALS
 * leaves in the factors would mispredict and cost more than the arithmetic it saves.
 */
function addOuterUpper(g: usize, op: usize, k: i32, sign: f64): void {
  const kStride = <usize>k << 3;
  for (let s = 0; s < k; s++) {
    const a = sign * load<f64>(op + (<usize>s << 3));
    const as = f64x2.splat(a);
    const gs = g + <usize>s * kStride;
    let t = s;
    for (; t + 2 <= k; t += 2) {
      const q = gs + (<usize>t << 3);
      v128.store(q, f64x2.add(v128.load(q), f64x2.mul(as, v128.load(op + (<usize>t << 3)))));
    }
    if (t < k) {
      const q = gs + (<usize>t << 3);
      store<f64>(q, load<f64>(q) + a * load<f64>(op + (<usize>t << 3)));
    }
  }
}

/** Copies the upper triangle of G (k × k) onto the lower one. */
function mirrorUpper(g: usize, k: i32): void {
  const kStride = <usize>k << 3;
  for (let s = 0; s < k; s++) {
    for (let t = s + 1; t < k; t++) {
      store<f64>(g + <usize>t * kStride + (<usize>s << 3), load<f64>(g + <usize>s * kStride + (<usize>t << 3)));
    }
  }
}

/** Coordinate-descent updates of row fi (k entries) with Gram matrix g: `cdRow` in ../../kernels/scalar/cd.ts. */
function cdRowAt(fi: usize, k: i32, g: usize, bi: usize, order: usize): f64 {
  const kStride = <usize>k << 3;
  let violation: f64 = 0;
  for (let s = 0; s < k; s++) {
    const t = <usize>load<i32>(order + (<usize>s << 2));
    const gt = g + t * kStride;
    let grad = -load<f64>(bi + (t << 3));
    for (let q = 0; q < k; q++) grad += load<f64>(gt + (<usize>q << 3)) * load<f64>(fi + (<usize>q << 3));
    const current = load<f64>(fi + (t << 3));
    const pg = current == 0 ? min<f64>(grad, 0) : grad;
    violation += abs<f64>(pg);
    const hess = load<f64>(gt + (t << 3));
    if (hess != 0) {
      const next = current - grad / hess;
      store<f64>(fi + (t << 3), next > 0 ? next : 0);
    }
  }
  return violation;
}

/**
 * Weighted (missing-value) coordinate-descent sweep over rows of F (rows × k) against the other
 * factor O (others × k): `maskedSweep` in ../../kernels/scalar/cd.ts, the same operations in the same order.
 * Row r's Gram matrix is Σ over its observed partners of O_o O_oᵀ (+ l2·I): the full `g` (OᵀO +
 * l2·I) minus its missing partners' outer products when at most half are missing, else built from
 * the observed partners. `ptr` (rows + 1, absolute: subtract `base`) and `idx` list each row's
 * missing partners, sorted; `gRow` is k × k scratch. Returns `carried` + Σ|projected gradient|, per
 * row first, added row by row (the host streams blocks and carries the running sum across them).
 */
export function maskedSweep(
  f: usize,
  rows: i32,
  o: usize,
  others: i32,
  k: i32,
  g: usize,
  b: usize,
  l2: f64,
  ptr: usize,
  idx: usize,
  base: i32,
  order: usize,
  gRow: usize,
  carried: f64,
): f64 {
  const kStride = <usize>k << 3;
  const gBytes = <usize>k * kStride;
  let violation = carried;
  for (let r = 0; r < rows; r++) {
    const start = load<i32>(ptr + (<usize>r << 2)) - base;
    const end = load<i32>(ptr + (<usize>(r + 1) << 2)) - base;
    const missing = end - start;
    const fi = f + <usize>r * kStride;
    const bi = b + <usize>r * kStride;
    if (missing == 0) {
      violation += cdRowAt(fi, k, g, bi, order);
      continue;
    }
    if (2 * missing <= others) {
      memory.copy(gRow, g, gBytes);
      for (let p = start; p < end; p++) {
        addOuterUpper(gRow, o + <usize>load<i32>(idx + (<usize>p << 2)) * kStride, k, -1);
      }
      mirrorUpper(gRow, k);
    } else {
      // Observed partners: the complement of the sorted missing list, in order.
      memory.fill(gRow, 0, gBytes);
      let from = 0;
      for (let p = start; p <= end; p++) {
        const to = p < end ? load<i32>(idx + (<usize>p << 2)) : others;
        for (let j = from; j < to; j++) addOuterUpper(gRow, o + <usize>j * kStride, k, 1);
        from = to + 1;
      }
      mirrorUpper(gRow, k);
      if (l2 != 0) {
        for (let t = 0; t < k; t++) {
          const q = gRow + <usize>t * kStride + (<usize>t << 3);
          store<f64>(q, load<f64>(q) + l2);
        }
      }
    }
    violation += cdRowAt(fi, k, gRow, bi, order);
  }
  return violation;
}

/**
 * Masked MU denominators: out_r (k) = total − Σ over row r's missing partners of F_idx, clamped
 * at 0, for rows r of a block (`ptr`/`idx`/`base` as in `maskedSweep`): the correction loops of
 * `muNumDenW`/`muNumDenH` in ../../solvers.ts (KL), entry by entry in the same order.
 */
export function maskedSums(out: usize, rows: i32, f: usize, k: i32, total: usize, ptr: usize, idx: usize, base: i32): void {
  const kStride = <usize>k << 3;
  for (let r = 0; r < rows; r++) {
    const start = load<i32>(ptr + (<usize>r << 2)) - base;
    const end = load<i32>(ptr + (<usize>(r + 1) << 2)) - base;
    const o = out + <usize>r * kStride;
    memory.copy(o, total, kStride);
    for (let p = start; p < end; p++) {
      const fp = f + <usize>load<i32>(idx + (<usize>p << 2)) * kStride;
      let t = 0;
      for (; t + 2 <= k; t += 2) {
        const q = o + (<usize>t << 3);
        v128.store(q, f64x2.sub(v128.load(q), v128.load(fp + (<usize>t << 3))));
      }
      if (t < k) {
        const q = o + (<usize>t << 3);
        store<f64>(q, load<f64>(q) - load<f64>(fp + (<usize>t << 3)));
      }
    }
    for (let t = 0; t < k; t++) {
      const q = o + (<usize>t << 3);
      if (load<f64>(q) < 0) store<f64>(q, 0);
    }
  }
}
