// Products with dense V (plain and KL ratio), Gram matrices and k × k products (the scalar
// counterparts: src/shared/nmf/kernels/scalar/products.ts and kl.ts).
// Part of kernels.inl: included inside namespace NMF_KERNEL_NS once per instruction set.

/**
 * Rows [i0, i1) of the W-side product: out_i· = c_i · Ht, where c_i is the KL ratio row (`ratio`)
 * or the positive part of V_i· (V·F). htp: Ht padded to kp columns (zeros). `scratch`: 5n + 4kp
 * doubles.
 */
static void rowSide(const double* V, size_t n, int k, const double* W, const double* h, const double* htp, int kp,
                    bool ratio, size_t i0, size_t i1, double* out, double* scratch) {
#ifdef NMF_WIDE_BYTES
  // Ranks whose eight rows of sums fit the registers: components across wide vectors (wide.inl).
  if (k <= kMaxWideRowRank) {
    rowSideWide(V, n, k, W, h, htp, kp, ratio, i0, i1, out);
    return;
  }
#endif
  double* zeros = scratch + 4 * n;
  double* tmp = scratch + 5 * n;
  for (size_t j = 0; j < n; j++) zeros[j] = 0;
  for (size_t i = i0; i < i1; i += 4) {
    const size_t rows = i1 - i < 4 ? i1 - i : 4;
    const double* c[4];
    for (size_t q = 0; q < 4; q++) {
      c[q] = q < rows ? scratch + q * n : zeros;
      if (q < rows) coefficientRow(V + (i + q) * n, W + (i + q) * k, h, n, k, 0, n, ratio, scratch + q * n);
    }
    accumulate4(c, n, htp, kp, tmp);
    for (size_t q = 0; q < rows; q++)
      for (int t = 0; t < k; t++) out[(i + q) * k + t] = tmp[q * kp + t];
  }
}

/**
 * Columns [j0, j1) of the H-side product over all m rows: out_j· = Σ_i c_ij · W_i·, rows added in
 * order (into a zeroed kp-wide copy, then written to out). `scratch`: 5n + 4kp + (j1 − j0)·kp doubles.
 */
static void columnSide(const double* V, size_t m, size_t n, int k, const double* W, const double* h, int kp, bool ratio,
                       size_t j0, size_t j1, double* out, double* scratch) {
#ifdef NMF_WIDE_BYTES
  // Small ranks: lanes across columns (wide.inl); the last few columns, if any, as below.
  j0 = columnSideWide(V, m, n, k, W, h, ratio, j0, j1, out);
  if (j0 == j1) return;
#endif
  double* zeros = scratch + 4 * n;
  double* wpad = scratch + 5 * n;
  double* outp = wpad + 4 * (size_t)kp;
  for (size_t j = j0; j < j1; j++) zeros[j] = 0;
  for (size_t x = 0; x < (j1 - j0) * kp; x++) outp[x] = 0;
  for (size_t x = 0; x < 4 * (size_t)kp; x++) wpad[x] = 0;
  for (size_t i = 0; i < m; i += 4) {
    const size_t rows = m - i < 4 ? m - i : 4;
    const double* c[4];
    for (size_t q = 0; q < 4; q++) {
      if (q < rows) {
        coefficientRow(V + (i + q) * n, W + (i + q) * k, h, n, k, j0, j1, ratio, scratch + q * n);
        c[q] = scratch + q * n;
        for (int t = 0; t < k; t++) wpad[q * kp + t] = W[(i + q) * k + t];
      } else {
        c[q] = zeros;
        for (int t = 0; t < k; t++) wpad[q * kp + t] = 0;
      }
    }
    scatter4(c, j0, j1, wpad, kp, outp);
  }
  for (size_t j = j0; j < j1; j++)
    for (int t = 0; t < k; t++) out[j * k + t] = outp[(j - j0) * kp + t];
}

/**
 * out (k × k) = Aᵀ A for A (rows × k), each entry summed in row order (`gram` in kernels.ts, which
 * skips the terms of a_s = 0). Lanes run across t.
 *
 * Where every entry of A is finite, the sums are kept in registers: out rows s in groups of four
 * against up to twelve columns t (three vectors) per pass over A, each accumulator adding its
 * entry's terms in row order. A skipped term (a_s = 0) is added here as a_s·a_t = ±0, which
 * changes no sum: a sum that starts at +0 never becomes −0 (x + y is −0 only when both are −0),
 * and x ± 0 = x otherwise; only a non-finite a_t would make 0·a_t a NaN, hence the check. Columns
 * past the last whole vector (t ≥ k & ~3) come from the mirror entries (a_s·a_t = a_t·a_s exactly,
 * in the same row order), their corner one entry at a time. Otherwise the plain loop below.
 */
static void gramRows(const double* A, size_t rows, int k, double* out) {
  bool finite = true;
  for (size_t x = 0; x < rows * (size_t)k; x++) finite &= A[x] - A[x] == 0;
  const int k4 = k & ~3;
#ifdef NMF_WIDE_BYTES
  if (finite && gramSideWide(A, rows, k, out)) return;
#endif
  if (finite && k4 > 0) {
    for (int s0 = 0; s0 < k; s0 += 4) {
      // Out rows s0 … s0 + 3 (a short last group repeats its last row and stores it once).
      int s[4];
      for (int q = 0; q < 4; q++) s[q] = s0 + q < k ? s0 + q : k - 1;
      for (int t0 = 0; t0 < k4; t0 += 12) {
        const int vectors = k4 - t0 >= 12 ? 3 : (k4 - t0) / 4;
        v4d acc[4][3];
        for (int q = 0; q < 4; q++)
          for (int x = 0; x < 3; x++) acc[q][x] = splat4(0);
        const double* ai = A;
        if (vectors == 3) {
          for (size_t i = 0; i < rows; i++, ai += k) {
            const v4d x0 = load4(ai + t0), x1 = load4(ai + t0 + 4), x2 = load4(ai + t0 + 8);
            for (int q = 0; q < 4; q++) {
              const v4d a = splat4(ai[s[q]]);
              acc[q][0] = acc[q][0] + a * x0;
              acc[q][1] = acc[q][1] + a * x1;
              acc[q][2] = acc[q][2] + a * x2;
            }
          }
        } else if (vectors == 2) {
          for (size_t i = 0; i < rows; i++, ai += k) {
            const v4d x0 = load4(ai + t0), x1 = load4(ai + t0 + 4);
            for (int q = 0; q < 4; q++) {
              const v4d a = splat4(ai[s[q]]);
              acc[q][0] = acc[q][0] + a * x0;
              acc[q][1] = acc[q][1] + a * x1;
            }
          }
        } else {
          for (size_t i = 0; i < rows; i++, ai += k) {
            const v4d x0 = load4(ai + t0);
            for (int q = 0; q < 4; q++) acc[q][0] = acc[q][0] + splat4(ai[s[q]]) * x0;
          }
        }
        for (int q = 0; q < 4 && s0 + q < k; q++)
          for (int x = 0; x < vectors; x++) store4(out + (size_t)s[q] * k + t0 + 4 * x, acc[q][x]);
      }
    }
    // The corner s, t ≥ k4 one entry at a time, then the mirrored columns t ≥ k4 of rows s < k4.
    for (int s = k4; s < k; s++)
      for (int t = k4; t < k; t++) {
        double sum = 0;
        for (size_t i = 0; i < rows; i++) sum += A[i * k + s] * A[i * k + t];
        out[(size_t)s * k + t] = sum;
      }
    for (int s = 0; s < k4; s++)
      for (int t = k4; t < k; t++) out[(size_t)s * k + t] = out[(size_t)t * k + s];
    return;
  }
  for (size_t x = 0; x < (size_t)k * k; x++) out[x] = 0;
  for (size_t i = 0; i < rows; i++) {
    const double* ai = A + i * k;
    for (int s = 0; s < k; s++) {
      const double a = ai[s];
      if (a == 0) continue;
      const v4d as = splat4(a);
      double* os = out + (size_t)s * k;
      int t = 0;
      for (; t + 4 <= k; t += 4) store4(os + t, load4(os + t) + as * load4(ai + t));
      for (; t < k; t++) os[t] += a * ai[t];
    }
  }
}

/** out (rows × k) = A · G for A (rows × k), G (k × k): each entry Σ_q A_iq·G_qt in q order (`timesSmall`). */
static void timesSmallRows(const double* A, size_t rows, int k, const double* G, double* out) {
  for (size_t i = 0; i < rows; i++) {
    const double* ai = A + i * k;
    double* oi = out + i * k;
    int t = 0;
    for (; t + 4 <= k; t += 4) {
      v4d acc = splat4(0);
      for (int q = 0; q < k; q++) acc = acc + splat4(ai[q]) * load4(G + (size_t)q * k + t);
      store4(oi + t, acc);
    }
    for (; t < k; t++) {
      double acc = 0;
      for (int q = 0; q < k; q++) acc += ai[q] * G[(size_t)q * k + t];
      oi[t] = acc;
    }
  }
}
