// Kernels for CSR V: the KL ratios V ⊘ WH at the stored entries, and the two products of a CSR
// coefficient matrix C (the ratios, or V itself) with a factor: C · F (W side, rows of C) and
// Cᵀ · W (H side, columns of C). The scalar counterparts: klSparseRatios, klNumWCsr, klNumHCsr in
// src/shared/nmf/kernels/scalar/kl.ts, csrTimes and csrTransposeTimes in scalar/products.ts, with
// sparseAccumulateRow and sparseScatterRow in scalar/rows.ts. Bit rules: contract.ts.
// Part of csr_kernels.inl: included inside namespace NMF_KERNEL_NS once per instruction set.

/**
 * ratio[p] for the stored entries of rows [i0, i1): V_ij / WHs_ij where V_ij > 0 (WHs: WH, EPS32
 * where WH is exactly 0), else 0. A row with more than n/3 stored entries reads (WH)_ij from a
 * whole row of WH (whRow over h = H, k × n, the four-component grouping of `rowProducts`), a
 * sparser one from one dot product per entry, its components added one at a time in t order
 * (as `klSparseRatios` does: the two give different bits, and every backend chooses per row as it
 * does). `row`: n doubles (unused when no row is dense).
 */
static void csrRatios(const int32_t* indptr, const int32_t* indices, const double* data, size_t n, int k,
                      const double* W, const double* Ht, const double* h, size_t i0, size_t i1, double* ratio,
                      double* row) {
  for (size_t i = i0; i < i1; i++) {
    const size_t start = (size_t)indptr[i], end = (size_t)indptr[i + 1];
    const double* wi = W + i * (size_t)k;
    if (3 * (end - start) > n) {
      whRow(wi, h, n, k, row);
      for (size_t p = start; p < end; p++) {
        const double v = data[p];
        if (!(v > 0)) {
          ratio[p] = 0;
          continue;
        }
        const double wh = row[indices[p]];
        ratio[p] = v / (wh == 0 ? EPS32 : wh);
      }
      continue;
    }
    // Four stored entries at a time, one per lane (lanes across independent outputs): each lane
    // adds its components one at a time in t order, as the scalar loop below does. Entries that
    // are not > 0 are computed and then replaced by 0, as the scalar code writes for them.
    const v4d zero = splat4(0), eps = splat4(EPS32);
    size_t p = start;
    for (; p + 4 <= end; p += 4) {
      const double* h0 = Ht + (size_t)indices[p] * k;
      const double* h1 = Ht + (size_t)indices[p + 1] * k;
      const double* h2 = Ht + (size_t)indices[p + 2] * k;
      const double* h3 = Ht + (size_t)indices[p + 3] * k;
      v4d wh = zero;
      for (int t = 0; t < k; t++) wh = wh + splat4(wi[t]) * v4d{h0[t], h1[t], h2[t], h3[t]};
      const v4d v = load4(data + p);
      store4(ratio + p, select4(v > zero, v / select4(wh == zero, eps, wh), zero));
    }
    for (; p < end; p++) {
      const double v = data[p];
      if (!(v > 0)) {
        ratio[p] = 0;
        continue;
      }
      const double* hj = Ht + (size_t)indices[p] * k;
      double wh = 0;
      for (int t = 0; t < k; t++) wh += wi[t] * hj[t];
      ratio[p] = v / (wh == 0 ? EPS32 : wh);
    }
  }
}

/**
 * Rows [i0, i1) of out (m × k) = C · F: out_it = Σ_p c_p · F_{j_p, t} over the stored entries of
 * row i in p order, skipping coefficients that are not > 0 (`sparseAccumulateRow`). Lanes run
 * across t (independent sums). fp: F padded to kp columns with zeros (n × kp); `acc`: kp doubles.
 */
static void csrRowProducts(const int32_t* indptr, const int32_t* indices, const double* c, int k, const double* fp,
                           int kp, size_t i0, size_t i1, double* out, double* acc) {
  for (size_t i = i0; i < i1; i++) {
    const size_t start = (size_t)indptr[i], end = (size_t)indptr[i + 1];
    if (kp == 4) {
      // The common small ranks keep their accumulators in registers.
      v4d a0 = splat4(0);
      for (size_t p = start; p < end; p++) {
        const double x = c[p];
        if (!(x > 0)) continue;
        a0 = a0 + splat4(x) * load4(fp + (size_t)indices[p] * 4);
      }
      store4(acc, a0);
    } else if (kp == 8) {
      v4d a0 = splat4(0), a1 = a0;
      for (size_t p = start; p < end; p++) {
        const double x = c[p];
        if (!(x > 0)) continue;
        const double* f = fp + (size_t)indices[p] * 8;
        const v4d xs = splat4(x);
        a0 = a0 + xs * load4(f);
        a1 = a1 + xs * load4(f + 4);
      }
      store4(acc, a0);
      store4(acc + 4, a1);
    } else if (kp == 12) {
      v4d a0 = splat4(0), a1 = a0, a2 = a0;
      for (size_t p = start; p < end; p++) {
        const double x = c[p];
        if (!(x > 0)) continue;
        const double* f = fp + (size_t)indices[p] * 12;
        const v4d xs = splat4(x);
        a0 = a0 + xs * load4(f);
        a1 = a1 + xs * load4(f + 4);
        a2 = a2 + xs * load4(f + 8);
      }
      store4(acc, a0);
      store4(acc + 4, a1);
      store4(acc + 8, a2);
    } else {
      for (int t = 0; t < kp; t++) acc[t] = 0;
      for (size_t p = start; p < end; p++) {
        const double x = c[p];
        if (!(x > 0)) continue;
        const double* f = fp + (size_t)indices[p] * kp;
        const v4d xs = splat4(x);
        for (int t = 0; t < kp; t += 4) store4(acc + t, load4(acc + t) + xs * load4(f + t));
      }
    }
    double* oi = out + i * (size_t)k;
    for (int t = 0; t < k; t++) oi[t] = acc[t];
  }
}

/**
 * Columns [j0, j1) of out (n × k) = Cᵀ · W: out_jt = Σ_i c_ij · W_it over rows i in ascending order,
 * skipping coefficients that are not > 0 (`sparseScatterRow` row after row). Each row's entries in
 * [j0, j1) are found by binary search (indices are sorted within a row). wp: W padded to kp
 * columns (m × kp); outp: (j1 − j0) × kp doubles of scratch.
 */
static void csrColumnProducts(const int32_t* indptr, const int32_t* indices, const double* c, size_t m, int k,
                              const double* wp, int kp, size_t j0, size_t j1, double* out, double* outp) {
  for (size_t x = 0; x < (j1 - j0) * (size_t)kp; x++) outp[x] = 0;
  const int32_t lo = (int32_t)j0, hi = (int32_t)j1;
  for (size_t i = 0; i < m; i++) {
    const int32_t* first = indices + indptr[i];
    const int32_t* last = indices + indptr[i + 1];
    if (first == last || *(last - 1) < lo || *first >= hi) continue;
    const int32_t* q = first;
    if (*q < lo) {
      size_t count = (size_t)(last - first);
      while (count > 0) {
        const size_t half = count / 2;
        if (q[half] < lo) {
          q += half + 1;
          count -= half + 1;
        } else {
          count = half;
        }
      }
    }
    const double* wi = wp + i * (size_t)kp;
    const double* ci = c + (q - indices);
    if (kp == 4) {
      const v4d w0 = load4(wi);
      for (; q < last && *q < hi; q++, ci++) {
        const double x = *ci;
        if (!(x > 0)) continue;
        double* o = outp + (size_t)(*q - lo) * 4;
        store4(o, load4(o) + splat4(x) * w0);
      }
    } else if (kp == 8) {
      const v4d w0 = load4(wi), w1 = load4(wi + 4);
      for (; q < last && *q < hi; q++, ci++) {
        const double x = *ci;
        if (!(x > 0)) continue;
        double* o = outp + (size_t)(*q - lo) * 8;
        const v4d xs = splat4(x);
        store4(o, load4(o) + xs * w0);
        store4(o + 4, load4(o + 4) + xs * w1);
      }
    } else {
      for (; q < last && *q < hi; q++, ci++) {
        const double x = *ci;
        if (!(x > 0)) continue;
        double* o = outp + (size_t)(*q - lo) * kp;
        const v4d xs = splat4(x);
        for (int t = 0; t < kp; t += 4) store4(o + t, load4(o + t) + xs * load4(wi + t));
      }
    }
  }
  for (size_t j = j0; j < j1; j++)
    for (int t = 0; t < k; t++) out[j * k + t] = outp[(j - j0) * kp + t];
}
