/**
 * Row building blocks of the scalar kernels (the reference every backend follows bit for bit: see
 * ../contract.ts). Each reads one row of V, WH or a coefficient row and one factor.
 */

// ---------------------------------------------------------------------------------------------
// Row building blocks. JavaScript engines do not vectorise, so the inner loops run over j with
// four components held in locals (register blocking): every load of a factor row then feeds four
// multiply-adds and the accumulators never go through memory. This is 2–3× faster than the naive
// j-outer, t-inner order with stores into the output row.

/** out[j] = W_i · Ht_j for j < n: row i of WH, computed on the fly (W row starts at `wi`). */
export function rowProducts(
  W: Float64Array,
  wi: number,
  Ht: Float64Array,
  n: number,
  k: number,
  out: Float64Array,
): void {
  out.fill(0, 0, n);
  let t = 0;
  for (; t + 4 <= k; t += 4) {
    const w0 = W[wi + t];
    const w1 = W[wi + t + 1];
    const w2 = W[wi + t + 2];
    const w3 = W[wi + t + 3];
    for (let j = 0, h = t; j < n; j++, h += k)
      out[j] += w0 * Ht[h] + w1 * Ht[h + 1] + w2 * Ht[h + 2] + w3 * Ht[h + 3];
  }
  for (; t < k; t++) {
    const w0 = W[wi + t];
    for (let j = 0, h = t; j < n; j++, h += k) out[j] += w0 * Ht[h];
  }
}

/**
 * out[oi + t] = Σ_j r[ro + j] · F[j·k + t] for t < k (overwrites): a row of coefficients times the
 * factor F (n × k). Coefficients that are not > 0 (zeros, NaN) are skipped, which is exact for the
 * non-negative quantities of NMF and makes NaN count as absent.
 */
export function accumulateRow(
  r: Float64Array,
  ro: number,
  F: Float64Array,
  n: number,
  k: number,
  out: Float64Array,
  oi: number,
): void {
  let t = 0;
  for (; t + 4 <= k; t += 4) {
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    for (let j = 0, f = t; j < n; j++, f += k) {
      const x = r[ro + j];
      if (!(x > 0)) continue;
      a0 += x * F[f];
      a1 += x * F[f + 1];
      a2 += x * F[f + 2];
      a3 += x * F[f + 3];
    }
    out[oi + t] = a0;
    out[oi + t + 1] = a1;
    out[oi + t + 2] = a2;
    out[oi + t + 3] = a3;
  }
  for (; t < k; t++) {
    let a0 = 0;
    for (let j = 0, f = t; j < n; j++, f += k) {
      const x = r[ro + j];
      if (!(x > 0)) continue;
      a0 += x * F[f];
    }
    out[oi + t] = a0;
  }
}

/**
 * out[j·k + t] += r[ro + j] · W[wi + t] for j < n, t < k: the rank-one update of an n × k
 * accumulator by one row of coefficients (skipping coefficients that are not > 0).
 */
export function scatterRow(
  r: Float64Array,
  ro: number,
  W: Float64Array,
  wi: number,
  n: number,
  k: number,
  out: Float64Array,
): void {
  let t = 0;
  for (; t + 4 <= k; t += 4) {
    const w0 = W[wi + t];
    const w1 = W[wi + t + 1];
    const w2 = W[wi + t + 2];
    const w3 = W[wi + t + 3];
    for (let j = 0, o = t; j < n; j++, o += k) {
      const x = r[ro + j];
      if (!(x > 0)) continue;
      out[o] += x * w0;
      out[o + 1] += x * w1;
      out[o + 2] += x * w2;
      out[o + 3] += x * w3;
    }
  }
  for (; t < k; t++) {
    const w0 = W[wi + t];
    for (let j = 0, o = t; j < n; j++, o += k) {
      const x = r[ro + j];
      if (!(x > 0)) continue;
      out[o] += x * w0;
    }
  }
}

/** `accumulateRow` over the stored entries p ∈ [start, end) of a CSR row (values `x[p]`, columns `indices[p]`). */
export function sparseAccumulateRow(
  indices: Int32Array,
  x: Float64Array,
  start: number,
  end: number,
  F: Float64Array,
  k: number,
  out: Float64Array,
  oi: number,
): void {
  let t = 0;
  for (; t + 4 <= k; t += 4) {
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    for (let p = start; p < end; p++) {
      const v = x[p];
      if (!(v > 0)) continue;
      const f = indices[p] * k + t;
      a0 += v * F[f];
      a1 += v * F[f + 1];
      a2 += v * F[f + 2];
      a3 += v * F[f + 3];
    }
    out[oi + t] = a0;
    out[oi + t + 1] = a1;
    out[oi + t + 2] = a2;
    out[oi + t + 3] = a3;
  }
  for (; t < k; t++) {
    let a0 = 0;
    for (let p = start; p < end; p++) {
      const v = x[p];
      if (!(v > 0)) continue;
      a0 += v * F[indices[p] * k + t];
    }
    out[oi + t] = a0;
  }
}

/** `scatterRow` over the stored entries p ∈ [start, end) of a CSR row. */
export function sparseScatterRow(
  indices: Int32Array,
  x: Float64Array,
  start: number,
  end: number,
  W: Float64Array,
  wi: number,
  k: number,
  out: Float64Array,
): void {
  let t = 0;
  for (; t + 4 <= k; t += 4) {
    const w0 = W[wi + t];
    const w1 = W[wi + t + 1];
    const w2 = W[wi + t + 2];
    const w3 = W[wi + t + 3];
    for (let p = start; p < end; p++) {
      const v = x[p];
      if (!(v > 0)) continue;
      const o = indices[p] * k + t;
      out[o] += v * w0;
      out[o + 1] += v * w1;
      out[o + 2] += v * w2;
      out[o + 3] += v * w3;
    }
  }
  for (; t < k; t++) {
    const w0 = W[wi + t];
    for (let p = start; p < end; p++) {
      const v = x[p];
      if (!(v > 0)) continue;
      out[indices[p] * k + t] += v * w0;
    }
  }
}
