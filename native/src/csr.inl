// Kernels for CSR V: the KL ratios V ⊘ WH at the stored entries, and the two products of a CSR
// coefficient matrix C (the ratios, or V itself) with a factor: C · F (W side, rows of C) and
// Cᵀ · W (H side, columns of C). The scalar counterparts: klSparseRatios, klNumWCsr, klNumHCsr in
// src/shared/nmf/kernels/scalar/kl.ts, csrTimes and csrTransposeTimes in scalar/products.ts, with
// sparseAccumulateRow and sparseScatterRow in scalar/rows.ts. Bit rules: contract.ts.
// Part of kernels.inl: included inside namespace NMF_KERNEL_NS once per instruction set.

/**
 * (WH) at four stored entries whose columns are j[0..3], one per lane: lane l = Σ_t wi[t]·Ht[j_l, t]
 * with the components added one at a time in t order from 0, the scalar dot product of
 * `klSparseRatios` (rules 1 and 2: lanes across entries, never across the terms of one sum).
 * htp: Ht with its rows padded to kp (a multiple of 4) columns, so four components of each entry's
 * row load at once and are transposed in registers; the padding is loaded but never added.
 */
static inline v4d entryProducts4(const double* wi, const double* htp, int k, int kp, const int32_t* j) {
  const double* h0 = htp + (size_t)j[0] * kp;
  const double* h1 = htp + (size_t)j[1] * kp;
  const double* h2 = htp + (size_t)j[2] * kp;
  const double* h3 = htp + (size_t)j[3] * kp;
  v4d wh = splat4(0);
  for (int t = 0; t < k; t += 4) {
    const v4d r0 = load4(h0 + t), r1 = load4(h1 + t), r2 = load4(h2 + t), r3 = load4(h3 + t);
    const v4d a = __builtin_shufflevector(r0, r1, 0, 4, 2, 6), b = __builtin_shufflevector(r0, r1, 1, 5, 3, 7);
    const v4d c = __builtin_shufflevector(r2, r3, 0, 4, 2, 6), d = __builtin_shufflevector(r2, r3, 1, 5, 3, 7);
    wh = wh + splat4(wi[t]) * __builtin_shufflevector(a, c, 0, 1, 4, 5);
    if (t + 1 == k) break;
    wh = wh + splat4(wi[t + 1]) * __builtin_shufflevector(b, d, 0, 1, 4, 5);
    if (t + 2 == k) break;
    wh = wh + splat4(wi[t + 2]) * __builtin_shufflevector(a, c, 2, 3, 6, 7);
    if (t + 3 == k) break;
    wh = wh + splat4(wi[t + 3]) * __builtin_shufflevector(b, d, 2, 3, 6, 7);
  }
  return wh;
}

/**
 * `entryProducts4` for eight entries (j[0..7]) as two independent groups of four, interleaved so
 * that one group's additions run while the other's wait: the same operations per lane, so the
 * same bits, at about twice the rate when k is small.
 */
static inline void entryProducts8(const double* wi, const double* htp, int k, int kp, const int32_t* j, v4d* lo,
                                  v4d* hi) {
  const double* h0 = htp + (size_t)j[0] * kp;
  const double* h1 = htp + (size_t)j[1] * kp;
  const double* h2 = htp + (size_t)j[2] * kp;
  const double* h3 = htp + (size_t)j[3] * kp;
  const double* h4 = htp + (size_t)j[4] * kp;
  const double* h5 = htp + (size_t)j[5] * kp;
  const double* h6 = htp + (size_t)j[6] * kp;
  const double* h7 = htp + (size_t)j[7] * kp;
  v4d x = splat4(0), y = x;
  for (int t = 0; t < k; t += 4) {
    const v4d r0 = load4(h0 + t), r1 = load4(h1 + t), r2 = load4(h2 + t), r3 = load4(h3 + t);
    const v4d r4 = load4(h4 + t), r5 = load4(h5 + t), r6 = load4(h6 + t), r7 = load4(h7 + t);
    const v4d a = __builtin_shufflevector(r0, r1, 0, 4, 2, 6), b = __builtin_shufflevector(r0, r1, 1, 5, 3, 7);
    const v4d c = __builtin_shufflevector(r2, r3, 0, 4, 2, 6), d = __builtin_shufflevector(r2, r3, 1, 5, 3, 7);
    const v4d e = __builtin_shufflevector(r4, r5, 0, 4, 2, 6), f = __builtin_shufflevector(r4, r5, 1, 5, 3, 7);
    const v4d g = __builtin_shufflevector(r6, r7, 0, 4, 2, 6), h = __builtin_shufflevector(r6, r7, 1, 5, 3, 7);
    const v4d w0 = splat4(wi[t]);
    x = x + w0 * __builtin_shufflevector(a, c, 0, 1, 4, 5);
    y = y + w0 * __builtin_shufflevector(e, g, 0, 1, 4, 5);
    if (t + 1 == k) break;
    const v4d w1 = splat4(wi[t + 1]);
    x = x + w1 * __builtin_shufflevector(b, d, 0, 1, 4, 5);
    y = y + w1 * __builtin_shufflevector(f, h, 0, 1, 4, 5);
    if (t + 2 == k) break;
    const v4d w2 = splat4(wi[t + 2]);
    x = x + w2 * __builtin_shufflevector(a, c, 2, 3, 6, 7);
    y = y + w2 * __builtin_shufflevector(e, g, 2, 3, 6, 7);
    if (t + 3 == k) break;
    const v4d w3 = splat4(wi[t + 3]);
    x = x + w3 * __builtin_shufflevector(b, d, 2, 3, 6, 7);
    y = y + w3 * __builtin_shufflevector(f, h, 2, 3, 6, 7);
  }
  *lo = x;
  *hi = y;
}

/**
 * ratio[p] for the stored entries of rows [i0, i1): V_ij / WHs_ij where V_ij > 0 (WHs: WH, EPS32
 * where WH is exactly 0), else 0. A row with more than n/3 stored entries reads (WH)_ij from a
 * whole row of WH (whRow over h = H, k × n, the four-component grouping of `rowProducts`), a
 * sparser one from one dot product per entry, its components added one at a time in t order
 * (as `klSparseRatios` does: the two give different bits, and every backend chooses per row as it
 * does). htp: Ht (n × k) with rows padded to kp columns (`entryProducts4`). `row`: n doubles
 * (unused when no row is dense).
 */
static void csrRatios(const int32_t* indptr, const int32_t* indices, const double* data, size_t n, int k,
                      const double* W, const double* htp, int kp, const double* h, size_t i0, size_t i1, double* ratio,
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
    // Eight, then four stored entries at a time, one per lane (lanes across independent outputs):
    // each lane adds its components one at a time in t order, as the scalar loop below does.
    // Entries that are not > 0 are computed and then replaced by 0, as the scalar code writes.
    const v4d zero = splat4(0), eps = splat4(EPS32);
    size_t p = start;
    for (; p + 8 <= end; p += 8) {
      v4d lo, hi;
      entryProducts8(wi, htp, k, kp, indices + p, &lo, &hi);
      const v4d v0 = load4(data + p), v1 = load4(data + p + 4);
      store4(ratio + p, select4(v0 > zero, v0 / select4(lo == zero, eps, lo), zero));
      store4(ratio + p + 4, select4(v1 > zero, v1 / select4(hi == zero, eps, hi), zero));
    }
    for (; p + 4 <= end; p += 4) {
      const v4d wh = entryProducts4(wi, htp, k, kp, indices + p);
      const v4d v = load4(data + p);
      store4(ratio + p, select4(v > zero, v / select4(wh == zero, eps, wh), zero));
    }
    for (; p < end; p++) {
      const double v = data[p];
      if (!(v > 0)) {
        ratio[p] = 0;
        continue;
      }
      const double* hj = htp + (size_t)indices[p] * kp;
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

/**
 * Per-row KL sums on CSR V over rows [i0, i1) (`csrRowLosses`, scalar/losses.ts):
 * sums[2i] = Σ V·log(V / WHs) and sums[2i + 1] = Σ V over the stored V > EPS32 of row i in stored
 * order, (WH)_ij the t-ordered dot product (`entryProducts4`), WHs = EPS32 where WH is exactly 0.
 * The log is fdlibm's (JavaScript's Math.log) on four lanes (`logMain`, losses.inl); entries left
 * out get the ratio 2 and a +0 term, which adds nothing (the sums are never −0). htp: Ht padded
 * to kp columns, as for `csrRatios`.
 */
static void csrRowLosses(const int32_t* indptr, const int32_t* indices, const double* data, int k, const double* W,
                         const double* htp, int kp, size_t i0, size_t i1, double* sums) {
  const v4d eps = splat4(EPS32), zero = splat4(0), two = splat4(2.0);
  for (size_t i = i0; i < i1; i++) {
    const size_t start = (size_t)indptr[i], end = (size_t)indptr[i + 1];
    const double* wi = W + i * (size_t)k;
    double a = 0, b = 0;
    size_t p = start;
    for (; p + 8 <= end; p += 8) {
      v4d wh[2];
      entryProducts8(wi, htp, k, kp, indices + p, &wh[0], &wh[1]);
      for (int g = 0; g < 2; g++) {
        const v4d v = load4(data + p + 4 * g);
        const v4l keep = v > eps;  // false for NaN
        const v4d terms = select4(keep, v * logMain(select4(keep, v / select4(wh[g] == zero, eps, wh[g]), two)), zero);
        const v4d kept = select4(keep, v, zero);
        a += terms[0];
        a += terms[1];
        a += terms[2];
        a += terms[3];
        b += kept[0];
        b += kept[1];
        b += kept[2];
        b += kept[3];
      }
    }
    for (; p < end; p++) {
      const double v = data[p];
      if (!(v > EPS32)) continue;
      const double* hj = htp + (size_t)indices[p] * kp;
      double wh = 0;
      for (int t = 0; t < k; t++) wh += wi[t] * hj[t];
      a += v * fdlibmLog(v / (wh == 0 ? EPS32 : wh));
      b += v;
    }
    sums[2 * i] = a;
    sums[2 * i + 1] = b;
  }
}

/**
 * Adds rows [i0, i1) of Cᵀ · W to outp (n × kp, padded): outp_j += c_ij · W_i for the stored
 * entries of each row in turn, coefficients that are not > 0 skipped. Called on rows in ascending
 * order, each column's sum takes its terms in the order `csrColumnProducts` (and
 * `sparseScatterRow` row after row) adds them, so a caller may interleave it with the rows'
 * ratios. wp: W padded to kp columns (m × kp).
 */
static void csrScatterRows(const int32_t* indptr, const int32_t* indices, const double* c, const double* wp, int kp,
                           size_t i0, size_t i1, double* outp) {
  for (size_t i = i0; i < i1; i++) {
    const size_t start = (size_t)indptr[i], end = (size_t)indptr[i + 1];
    const double* wi = wp + i * (size_t)kp;
    if (kp == 4) {
      const v4d w0 = load4(wi);
      for (size_t p = start; p < end; p++) {
        const double x = c[p];
        if (!(x > 0)) continue;
        double* o = outp + (size_t)indices[p] * 4;
        store4(o, load4(o) + splat4(x) * w0);
      }
    } else if (kp == 8) {
      const v4d w0 = load4(wi), w1 = load4(wi + 4);
      for (size_t p = start; p < end; p++) {
        const double x = c[p];
        if (!(x > 0)) continue;
        double* o = outp + (size_t)indices[p] * 8;
        const v4d xs = splat4(x);
        store4(o, load4(o) + xs * w0);
        store4(o + 4, load4(o + 4) + xs * w1);
      }
    } else if (kp == 12) {
      const v4d w0 = load4(wi), w1 = load4(wi + 4), w2 = load4(wi + 8);
      for (size_t p = start; p < end; p++) {
        const double x = c[p];
        if (!(x > 0)) continue;
        double* o = outp + (size_t)indices[p] * 12;
        const v4d xs = splat4(x);
        store4(o, load4(o) + xs * w0);
        store4(o + 4, load4(o + 4) + xs * w1);
        store4(o + 8, load4(o + 8) + xs * w2);
      }
    } else {
      for (size_t p = start; p < end; p++) {
        const double x = c[p];
        if (!(x > 0)) continue;
        double* o = outp + (size_t)indices[p] * kp;
        const v4d xs = splat4(x);
        for (int t = 0; t < kp; t += 4) store4(o + t, load4(o + t) + xs * load4(wi + t));
      }
    }
  }
}
