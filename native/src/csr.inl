// Kernels for CSR V: the KL ratios V ⊘ WH at the stored entries, and the two products of a CSR
// coefficient matrix C (the ratios, or V itself) with a factor: C · F (W side, rows of C) and
// Cᵀ · W (H side, columns of C). The scalar counterparts: klSparseRatios, klNumWCsr, klNumHCsr in
// src/shared/nmf/kernels/scalar/kl.ts, csrTimes and csrTransposeTimes in scalar/products.ts, with
// sparseAccumulateRow and sparseScatterRow in scalar/rows.ts; the KL numerators and loss rows run
// column block by column block (below, "Column-blocked KL passes"; csrRowLosses in
// scalar/losses.ts). Bit rules: contract.ts.
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
 * The term a product with a CSR coefficient adds: xs·f (xs: the coefficient in every lane) where
 * `keep` (the coefficient is > 0), else +0 — in place of the scalar code's skip of a coefficient
 * that is not > 0, without a branch. Exact: every running sum these terms go into starts at +0
 * (zeroed output or accumulator), a sum that starts at +0 is never −0 (x + y is −0 only when both
 * are −0), and s + (+0) = s for every other s, NaN included; the product is masked after it is
 * formed, so an infinite or NaN f changes nothing. Why: a fold's masked copy of V stores its
 * held-out entries as NaN, a third of V's entries at random, and the skip's branch mispredicted on
 * them (the HALS warm-up's V·F products took 0.93 ms a call on a 5000 × 400 fold against 0.29 ms on
 * as many stored entries without NaN).
 */
static inline v4d keptProduct4(v4l keep, v4d xs, v4d f) { return select4(keep, xs * f, splat4(0)); }

/**
 * Rows [i0, i1) of out (m × k) = C · F: out_it = Σ_p c_p · F_{j_p, t} over the stored entries of
 * row i in p order, coefficients that are not > 0 adding +0 where `sparseAccumulateRow` skips them
 * (`keptProduct4`: the same sums). Lanes run across t (independent sums). fp: F padded to kp
 * columns with zeros (n × kp); `acc`: kp doubles.
 */
static void csrRowProducts(const int32_t* indptr, const int32_t* indices, const double* c, int k, const double* fp,
                           int kp, size_t i0, size_t i1, double* out, double* acc) {
  const v4d zero = splat4(0);
  for (size_t i = i0; i < i1; i++) {
    const size_t start = (size_t)indptr[i], end = (size_t)indptr[i + 1];
    if (kp == 4) {
      // The common small ranks keep their accumulators in registers.
      v4d a0 = splat4(0);
      for (size_t p = start; p < end; p++) {
        const v4d xs = splat4(c[p]);
        a0 = a0 + keptProduct4(xs > zero, xs, load4(fp + (size_t)indices[p] * 4));
      }
      store4(acc, a0);
    } else if (kp == 8) {
      v4d a0 = splat4(0), a1 = a0;
      for (size_t p = start; p < end; p++) {
        const double* f = fp + (size_t)indices[p] * 8;
        const v4d xs = splat4(c[p]);
        const v4l keep = xs > zero;
        a0 = a0 + keptProduct4(keep, xs, load4(f));
        a1 = a1 + keptProduct4(keep, xs, load4(f + 4));
      }
      store4(acc, a0);
      store4(acc + 4, a1);
    } else if (kp == 12) {
      v4d a0 = splat4(0), a1 = a0, a2 = a0;
      for (size_t p = start; p < end; p++) {
        const double* f = fp + (size_t)indices[p] * 12;
        const v4d xs = splat4(c[p]);
        const v4l keep = xs > zero;
        a0 = a0 + keptProduct4(keep, xs, load4(f));
        a1 = a1 + keptProduct4(keep, xs, load4(f + 4));
        a2 = a2 + keptProduct4(keep, xs, load4(f + 8));
      }
      store4(acc, a0);
      store4(acc + 4, a1);
      store4(acc + 8, a2);
    } else {
      for (int t = 0; t < kp; t++) acc[t] = 0;
      for (size_t p = start; p < end; p++) {
        const double* f = fp + (size_t)indices[p] * kp;
        const v4d xs = splat4(c[p]);
        const v4l keep = xs > zero;
        for (int t = 0; t < kp; t += 4) store4(acc + t, load4(acc + t) + keptProduct4(keep, xs, load4(f + t)));
      }
    }
    double* oi = out + i * (size_t)k;
    for (int t = 0; t < k; t++) oi[t] = acc[t];
  }
}

/**
 * Columns [j0, j1) of out (n × k) = Cᵀ · W: out_jt = Σ_i c_ij · W_it over rows i in ascending order,
 * coefficients that are not > 0 adding +0 where `sparseScatterRow` (row after row) skips them
 * (`keptProduct4`). Each row's entries in [j0, j1) are found by binary search (indices are sorted
 * within a row). wp: W padded to kp columns (m × kp); outp: (j1 − j0) × kp doubles of scratch.
 */
static void csrColumnProducts(const int32_t* indptr, const int32_t* indices, const double* c, size_t m, int k,
                              const double* wp, int kp, size_t j0, size_t j1, double* out, double* outp) {
  const v4d zero = splat4(0);
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
        double* o = outp + (size_t)(*q - lo) * 4;
        const v4d xs = splat4(*ci);
        store4(o, load4(o) + keptProduct4(xs > zero, xs, w0));
      }
    } else if (kp == 8) {
      const v4d w0 = load4(wi), w1 = load4(wi + 4);
      for (; q < last && *q < hi; q++, ci++) {
        double* o = outp + (size_t)(*q - lo) * 8;
        const v4d xs = splat4(*ci);
        const v4l keep = xs > zero;
        store4(o, load4(o) + keptProduct4(keep, xs, w0));
        store4(o + 4, load4(o + 4) + keptProduct4(keep, xs, w1));
      }
    } else {
      for (; q < last && *q < hi; q++, ci++) {
        double* o = outp + (size_t)(*q - lo) * kp;
        const v4d xs = splat4(*ci);
        const v4l keep = xs > zero;
        for (int t = 0; t < kp; t += 4) store4(o + t, load4(o + t) + keptProduct4(keep, xs, load4(wi + t)));
      }
    }
  }
  for (size_t j = j0; j < j1; j++)
    for (int t = 0; t < k; t++) out[j * k + t] = outp[(j - j0) * kp + t];
}

// ---------------------------------------------------------------------------------------------
// Column-blocked KL passes. Each pass over all of V used to sweep the whole of Ht (n × kp) once per
// row of V (and the H side's n × kp output too), 2 × 1.9 MB per row on the 2000 × 20 000 bench set,
// so the gathers ran from L3. The blocked passes take V's columns in blocks whose slice of Ht (and
// of the H side's output) stays in L2, and visit every row's stored entries in that block before
// moving to the next block. No sum changes order: a W-side or loss row keeps its running sums in
// memory across blocks, which come in ascending column order, so its terms are still added in
// stored order; an H-side column takes its terms from rows in ascending order as before; a ratio
// depends only on its own entry. Same bits as the unblocked passes (csrRatios, then csrRowProducts
// or csrColumnProducts of the ratios) and as the scalar csrRowLosses, at any block width.
//
// blockPtr (m × (blocks + 1)): blockPtr[i·(blocks + 1) + b] = the first stored position of row i
// whose column is ≥ b·width (the last one: indptr[i + 1]). Rows denser than n/3 (the whole-row
// path, whose ratios have other bits) have their ratios computed beforehand into `ratio` by
// csrRatios, and the blocked passes read them from there.

/**
 * Prefetches stored positions [p0, p1) of V (indices and values): the blocked passes read V in
 * short runs, one row's entries of one block after another, too short for the hardware
 * prefetcher to find (measured: the loads of V's indices and values were half of the W side's
 * samples before this), so each run asks for the next row's while it works on its own.
 */
static inline void prefetchRun(const int32_t* indices, const double* data, size_t p0, size_t p1) {
  for (size_t p = p0; p < p1; p += 16) __builtin_prefetch(indices + p);
  for (size_t p = p0; p < p1; p += 8) __builtin_prefetch(data + p);
}

/**
 * Rows [j0, j1) of out (n × k) from one column block's padded rows ob ((j1 − j0) × kp): the H-side
 * passes sum a block into a scratch of one block's rows (in L2 while the block is worked on) and
 * copy it out at once, so no n × kp padded output is ever held (0.26 GB at 10⁶ columns, kp 32).
 */
static inline void blockRowsOut(const double* ob, int kp, size_t j0, size_t j1, int k, double* out) {
  for (size_t j = j0; j < j1; j++)
    for (int t = 0; t < k; t++) out[j * (size_t)k + t] = ob[(j - j0) * (size_t)kp + t];
}

/**
 * r[0 .. p1 − p0) = the ratios of stored positions [p0, p1) of a row sparser than n/3 (wi: its
 * W row), with `csrRatios`' per-entry arithmetic: (WH)_ij added one component at a time in t order.
 */
static inline void segmentRatios(const int32_t* indices, const double* data, int k, const double* wi, const double* htp,
                                 int kp, size_t p0, size_t p1, double* r) {
  const v4d zero = splat4(0), eps = splat4(EPS32);
  size_t p = p0;
  for (; p + 8 <= p1; p += 8) {
    v4d lo, hi;
    entryProducts8(wi, htp, k, kp, indices + p, &lo, &hi);
    const v4d v0 = load4(data + p), v1 = load4(data + p + 4);
    store4(r + (p - p0), select4(v0 > zero, v0 / select4(lo == zero, eps, lo), zero));
    store4(r + (p - p0) + 4, select4(v1 > zero, v1 / select4(hi == zero, eps, hi), zero));
  }
  for (; p + 4 <= p1; p += 4) {
    const v4d wh = entryProducts4(wi, htp, k, kp, indices + p);
    const v4d v = load4(data + p);
    store4(r + (p - p0), select4(v > zero, v / select4(wh == zero, eps, wh), zero));
  }
  for (; p < p1; p++) {
    const double v = data[p];
    if (!(v > 0)) {
      r[p - p0] = 0;
      continue;
    }
    const double* hj = htp + (size_t)indices[p] * kp;
    double wh = 0;
    for (int t = 0; t < k; t++) wh += wi[t] * hj[t];
    r[p - p0] = v / (wh == 0 ? EPS32 : wh);
  }
}

/**
 * acc (KV vectors, or kp / 4 when KV is 0) += Σ_e r[e] · fp[j_e] over e in order, r[e] not > 0
 * adding +0 (`keptProduct4`: the sums of the scalar skip; acc starts at +0 at its caller's).
 */
template <int KV>
static inline void gatherAdd(const double* r, const int32_t* j, size_t count, const double* fp, int kp, double* acc) {
  const v4d zero = splat4(0);
  if (KV > 0) {
    v4d a[KV > 0 ? KV : 1];
    for (int q = 0; q < KV; q++) a[q] = load4(acc + 4 * q);
    for (size_t e = 0; e < count; e++) {
      const double* f = fp + (size_t)j[e] * (KV * 4);
      const v4d xs = splat4(r[e]);
      const v4l keep = xs > zero;
      for (int q = 0; q < KV; q++) a[q] = a[q] + keptProduct4(keep, xs, load4(f + 4 * q));
    }
    for (int q = 0; q < KV; q++) store4(acc + 4 * q, a[q]);
    return;
  }
  for (size_t e = 0; e < count; e++) {
    const double* f = fp + (size_t)j[e] * kp;
    const v4d xs = splat4(r[e]);
    const v4l keep = xs > zero;
    for (int t = 0; t < kp; t += 4) store4(acc + t, load4(acc + t) + keptProduct4(keep, xs, load4(f + t)));
  }
}

/**
 * outp[j_e − j0] (rows of kp) += r[e] · wi over e in order (KV vectors, or kp / 4), r[e] not > 0
 * adding +0 (`keptProduct4`; outp starts at +0 at its caller's).
 */
template <int KV>
static inline void scatterAdd(const double* r, const int32_t* j, size_t count, const double* wi, int kp, int32_t j0,
                              double* outp) {
  const v4d zero = splat4(0);
  if (KV > 0) {
    v4d w[KV > 0 ? KV : 1];
    for (int q = 0; q < KV; q++) w[q] = load4(wi + 4 * q);
    for (size_t e = 0; e < count; e++) {
      double* o = outp + (size_t)(j[e] - j0) * (KV * 4);
      const v4d xs = splat4(r[e]);
      const v4l keep = xs > zero;
      for (int q = 0; q < KV; q++) store4(o + 4 * q, load4(o + 4 * q) + keptProduct4(keep, xs, w[q]));
    }
    return;
  }
  for (size_t e = 0; e < count; e++) {
    double* o = outp + (size_t)(j[e] - j0) * kp;
    const v4d xs = splat4(r[e]);
    const v4l keep = xs > zero;
    for (int t = 0; t < kp; t += 4) store4(o + t, load4(o + t) + keptProduct4(keep, xs, load4(wi + t)));
  }
}

template <int KV>
static void klWBlocksOf(const int32_t* indptr, const int32_t* indices, const double* data, size_t n, int k,
                        const double* W, const double* htp, int kp, const int32_t* blockPtr, int blocks, size_t i0,
                        size_t i1, const double* ratio, double* accp, double* r) {
  const size_t stride = (size_t)blocks + 1;
  for (int b = 0; b < blocks; b++) {
    for (size_t i = i0; i < i1; i++) {
      const size_t p0 = (size_t)blockPtr[i * stride + b], p1 = (size_t)blockPtr[i * stride + b + 1];
      if (i + 1 < i1)
        prefetchRun(indices, data, (size_t)blockPtr[(i + 1) * stride + b], (size_t)blockPtr[(i + 1) * stride + b + 1]);
      if (p0 == p1) continue;
      const bool denseRow = 3 * (size_t)(indptr[i + 1] - indptr[i]) > n;
      const double* ri = ratio + p0;
      if (!denseRow) {
        segmentRatios(indices, data, k, W + i * (size_t)k, htp, kp, p0, p1, r);
        ri = r;
      }
      gatherAdd<KV>(ri, indices + p0, p1 - p0, htp, kp, accp + i * (size_t)kp);
    }
  }
}

/**
 * Rows [i0, i1) of the KL W-side numerator into accp (m × kp, zeroed by the caller, padded):
 * accp_i = Σ_p ratio_p · Ht_{j_p} over row i's stored entries in stored order (`csrRowProducts` of
 * the ratios, `csrRatios`' ratios), block by block. r: scratch of the widest block's length.
 */
static void csrKlWBlocks(const int32_t* indptr, const int32_t* indices, const double* data, size_t n, int k,
                         const double* W, const double* htp, int kp, const int32_t* blockPtr, int blocks, size_t i0,
                         size_t i1, const double* ratio, double* accp, double* r) {
  switch (kp) {
    case 4:
      return klWBlocksOf<1>(indptr, indices, data, n, k, W, htp, kp, blockPtr, blocks, i0, i1, ratio, accp, r);
    case 8:
      return klWBlocksOf<2>(indptr, indices, data, n, k, W, htp, kp, blockPtr, blocks, i0, i1, ratio, accp, r);
    case 12:
      return klWBlocksOf<3>(indptr, indices, data, n, k, W, htp, kp, blockPtr, blocks, i0, i1, ratio, accp, r);
    case 16:
      return klWBlocksOf<4>(indptr, indices, data, n, k, W, htp, kp, blockPtr, blocks, i0, i1, ratio, accp, r);
    case 20:
      return klWBlocksOf<5>(indptr, indices, data, n, k, W, htp, kp, blockPtr, blocks, i0, i1, ratio, accp, r);
    default:
      return klWBlocksOf<0>(indptr, indices, data, n, k, W, htp, kp, blockPtr, blocks, i0, i1, ratio, accp, r);
  }
}

template <int KV>
static void klHBlocksOf(const int32_t* indptr, const int32_t* indices, const double* data, size_t m, size_t n, int k,
                        const double* W, const double* wp, const double* htp, int kp, const int32_t* blockPtr,
                        int blocks, int width, int b0, int b1, const double* ratio, double* ob, double* out,
                        double* r) {
  const size_t stride = (size_t)blocks + 1;
  for (int b = b0; b < b1; b++) {
    const int32_t j0 = (int32_t)((size_t)b * (size_t)width);
    const size_t j1 = (size_t)(b + 1) * (size_t)width < n ? (size_t)(b + 1) * (size_t)width : n;
    for (size_t x = 0; x < (j1 - (size_t)j0) * (size_t)kp; x++) ob[x] = 0;
    for (size_t i = 0; i < m; i++) {
      const size_t p0 = (size_t)blockPtr[i * stride + b], p1 = (size_t)blockPtr[i * stride + b + 1];
      if (i + 1 < m)
        prefetchRun(indices, data, (size_t)blockPtr[(i + 1) * stride + b], (size_t)blockPtr[(i + 1) * stride + b + 1]);
      if (p0 == p1) continue;
      const bool denseRow = 3 * (size_t)(indptr[i + 1] - indptr[i]) > n;
      const double* ri = ratio + p0;
      if (!denseRow) {
        segmentRatios(indices, data, k, W + i * (size_t)k, htp, kp, p0, p1, r);
        ri = r;
      }
      scatterAdd<KV>(ri, indices + p0, p1 - p0, wp + i * (size_t)kp, kp, j0, ob);
    }
    blockRowsOut(ob, kp, (size_t)j0, j1, k, out);
  }
}

/**
 * Column blocks [b0, b1) of the KL H-side numerator into out (n × k): out_j = Σ_i ratio_ij · W_i
 * over rows i in ascending order (`sparseScatterRow` row after row), each block summed into ob
 * (one block's rows padded to kp: width × kp doubles of scratch), zeroed first, then copied out
 * (blockRowsOut). wp: W padded to kp columns; width: the block width in columns.
 */
static void csrKlHBlocks(const int32_t* indptr, const int32_t* indices, const double* data, size_t m, size_t n, int k,
                         const double* W, const double* wp, const double* htp, int kp, const int32_t* blockPtr,
                         int blocks, int width, int b0, int b1, const double* ratio, double* ob, double* out,
                         double* r) {
  switch (kp) {
    case 4:
      return klHBlocksOf<1>(indptr, indices, data, m, n, k, W, wp, htp, kp, blockPtr, blocks, width, b0, b1, ratio, ob,
                            out, r);
    case 8:
      return klHBlocksOf<2>(indptr, indices, data, m, n, k, W, wp, htp, kp, blockPtr, blocks, width, b0, b1, ratio, ob,
                            out, r);
    case 12:
      return klHBlocksOf<3>(indptr, indices, data, m, n, k, W, wp, htp, kp, blockPtr, blocks, width, b0, b1, ratio, ob,
                            out, r);
    case 16:
      return klHBlocksOf<4>(indptr, indices, data, m, n, k, W, wp, htp, kp, blockPtr, blocks, width, b0, b1, ratio, ob,
                            out, r);
    case 20:
      return klHBlocksOf<5>(indptr, indices, data, m, n, k, W, wp, htp, kp, blockPtr, blocks, width, b0, b1, ratio, ob,
                            out, r);
    default:
      return klHBlocksOf<0>(indptr, indices, data, m, n, k, W, wp, htp, kp, blockPtr, blocks, width, b0, b1, ratio, ob,
                            out, r);
  }
}

/**
 * Rows [i0, i1) of the per-row KL loss sums, block by block (the scalar `csrRowLosses`' terms in its order:
 * each row's stored entries in stored order), added to sums (2m, zeroed by the caller):
 * sums[2i] += Σ V·log(V / WHs), sums[2i + 1] += Σ V over the stored V > EPS32.
 */
static void csrLossBlocks(const int32_t* indptr, const int32_t* indices, const double* data, int k, const double* W,
                          const double* htp, int kp, const int32_t* blockPtr, int blocks, size_t i0, size_t i1,
                          double* sums) {
  (void)indptr;
  const v4d eps = splat4(EPS32), zero = splat4(0), two = splat4(2.0);
  const size_t stride = (size_t)blocks + 1;
  for (int b = 0; b < blocks; b++) {
    for (size_t i = i0; i < i1; i++) {
      const size_t p0 = (size_t)blockPtr[i * stride + b], end = (size_t)blockPtr[i * stride + b + 1];
      if (i + 1 < i1)
        prefetchRun(indices, data, (size_t)blockPtr[(i + 1) * stride + b], (size_t)blockPtr[(i + 1) * stride + b + 1]);
      if (p0 == end) continue;
      const double* wi = W + i * (size_t)k;
      double a = sums[2 * i], s = sums[2 * i + 1];
      size_t p = p0;
      for (; p + 8 <= end; p += 8) {
        v4d wh[2];
        entryProducts8(wi, htp, k, kp, indices + p, &wh[0], &wh[1]);
#if defined(NMF_WIDE_BYTES) && NMF_WIDE_BYTES == 64
        // Eight lanes at once (logMain8, as in klWRankOf): the same bits in half the instructions.
        const vw v = loadw(data + p), eps8 = splatw(EPS32), zero8 = splatw(0);
        const vw whs = __builtin_shufflevector(wh[0], wh[1], 0, 1, 2, 3, 4, 5, 6, 7);
        const vwl keep = v > eps8;  // false for NaN
        const vw terms =
            selectw(keep, v * logMain8(selectw(keep, v / selectw(whs == zero8, eps8, whs), splatw(2.0))), zero8);
        const vw kept = selectw(keep, v, zero8);
#pragma GCC unroll 8
        for (int e = 0; e < 8; e++) a += terms[e];
#pragma GCC unroll 8
        for (int e = 0; e < 8; e++) s += kept[e];
#else
        for (int g = 0; g < 2; g++) {
          const v4d v = load4(data + p + 4 * g);
          const v4l keep = v > eps;  // false for NaN
          const v4d terms =
              select4(keep, v * logMain(select4(keep, v / select4(wh[g] == zero, eps, wh[g]), two)), zero);
          const v4d kept = select4(keep, v, zero);
          a += terms[0];
          a += terms[1];
          a += terms[2];
          a += terms[3];
          s += kept[0];
          s += kept[1];
          s += kept[2];
          s += kept[3];
        }
#endif
      }
      for (; p < end; p++) {
        const double v = data[p];
        if (!(v > EPS32)) continue;
        const double* hj = htp + (size_t)indices[p] * kp;
        double wh = 0;
        for (int t = 0; t < k; t++) wh += wi[t] * hj[t];
        a += v * fdlibmLog(v / (wh == 0 ? EPS32 : wh));
        s += v;
      }
      sums[2 * i] = a;
      sums[2 * i + 1] = s;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Column-blocked products C · F and Cᵀ · W (the randomized SVD of the NNDSVD starts, ../shared/
// linalg/svd.ts). Unblocked, C · F gathers rows of F (n × kp: 256 MB at n = 10⁶, kp = 32) at
// random for every stored entry and Cᵀ · W scatters into rows of the n × kp output, every entry a
// miss to DRAM. These take C's columns in the blocks of the KL passes (blockPtr above), whose slice
// of F (or of the output) stays in L2. No sum changes order, so the bits are those of
// csrRowProducts / csrColumnProducts at any block width: a row of C · F keeps its running sums in
// memory across blocks, which come in ascending column order (its terms in stored order); a row
// of Cᵀ · W takes its terms from rows i in ascending order within its block.

template <int KV>
static void rowProductBlocksOf(const int32_t* indices, const double* c, const double* fp, int kp,
                               const int32_t* blockPtr, int blocks, size_t i0, size_t i1, double* accp) {
  const size_t stride = (size_t)blocks + 1;
  for (int b = 0; b < blocks; b++) {
    for (size_t i = i0; i < i1; i++) {
      const size_t p0 = (size_t)blockPtr[i * stride + b], p1 = (size_t)blockPtr[i * stride + b + 1];
      if (i + 1 < i1)
        prefetchRun(indices, c, (size_t)blockPtr[(i + 1) * stride + b], (size_t)blockPtr[(i + 1) * stride + b + 1]);
      if (p0 == p1) continue;
      gatherAdd<KV>(c + p0, indices + p0, p1 - p0, fp, kp, accp + i * (size_t)kp);
    }
  }
}

/**
 * Rows [i0, i1) of accp (m × kp, zeroed by the caller) = C · F block by block: accp_it = Σ_p c_p ·
 * F_{j_p, t} over row i's stored entries in stored order, coefficients not > 0 skipped (the sums of
 * `csrRowProducts`). fp: F padded to kp columns (n × kp).
 */
static void csrRowProductBlocks(const int32_t* indices, const double* c, const double* fp, int kp,
                                const int32_t* blockPtr, int blocks, size_t i0, size_t i1, double* accp) {
  switch (kp) {
    case 4:
      return rowProductBlocksOf<1>(indices, c, fp, kp, blockPtr, blocks, i0, i1, accp);
    case 8:
      return rowProductBlocksOf<2>(indices, c, fp, kp, blockPtr, blocks, i0, i1, accp);
    case 12:
      return rowProductBlocksOf<3>(indices, c, fp, kp, blockPtr, blocks, i0, i1, accp);
    case 16:
      return rowProductBlocksOf<4>(indices, c, fp, kp, blockPtr, blocks, i0, i1, accp);
    case 20:
      return rowProductBlocksOf<5>(indices, c, fp, kp, blockPtr, blocks, i0, i1, accp);
    case 24:
      return rowProductBlocksOf<6>(indices, c, fp, kp, blockPtr, blocks, i0, i1, accp);
    case 32:
      // l = k + 10 columns at the default k = 20 and its neighbours (the randomized SVD).
      return rowProductBlocksOf<8>(indices, c, fp, kp, blockPtr, blocks, i0, i1, accp);
    default:
      return rowProductBlocksOf<0>(indices, c, fp, kp, blockPtr, blocks, i0, i1, accp);
  }
}

template <int KV>
static void columnProductBlocksOf(const int32_t* indices, const double* c, size_t m, size_t n, const double* wp, int kp,
                                  const int32_t* blockPtr, int blocks, int width, int b0, int b1, double* ob, int k,
                                  double* out) {
  const size_t stride = (size_t)blocks + 1;
  for (int b = b0; b < b1; b++) {
    const int32_t j0 = (int32_t)((size_t)b * (size_t)width);
    const size_t j1 = (size_t)(b + 1) * (size_t)width < n ? (size_t)(b + 1) * (size_t)width : n;
    for (size_t x = 0; x < (j1 - (size_t)j0) * (size_t)kp; x++) ob[x] = 0;
    for (size_t i = 0; i < m; i++) {
      const size_t p0 = (size_t)blockPtr[i * stride + b], p1 = (size_t)blockPtr[i * stride + b + 1];
      if (i + 1 < m)
        prefetchRun(indices, c, (size_t)blockPtr[(i + 1) * stride + b], (size_t)blockPtr[(i + 1) * stride + b + 1]);
      if (p0 == p1) continue;
      scatterAdd<KV>(c + p0, indices + p0, p1 - p0, wp + i * (size_t)kp, kp, j0, ob);
    }
    blockRowsOut(ob, kp, (size_t)j0, j1, k, out);
  }
}

/**
 * Column blocks [b0, b1) of out (n × k) = Cᵀ · W: out_j = Σ_i c_ij · W_i over rows i in
 * ascending order, coefficients not > 0 skipped (the sums of `csrColumnProducts`), each block summed
 * into ob (width × kp doubles of scratch), zeroed first, then copied out (blockRowsOut). wp: W
 * padded to kp columns (m × kp); width: the block width in columns.
 */
static void csrColumnProductBlocks(const int32_t* indices, const double* c, size_t m, size_t n, const double* wp,
                                   int kp, const int32_t* blockPtr, int blocks, int width, int b0, int b1, double* ob,
                                   int k, double* out) {
  switch (kp) {
    case 4:
      return columnProductBlocksOf<1>(indices, c, m, n, wp, kp, blockPtr, blocks, width, b0, b1, ob, k, out);
    case 8:
      return columnProductBlocksOf<2>(indices, c, m, n, wp, kp, blockPtr, blocks, width, b0, b1, ob, k, out);
    case 12:
      return columnProductBlocksOf<3>(indices, c, m, n, wp, kp, blockPtr, blocks, width, b0, b1, ob, k, out);
    case 16:
      return columnProductBlocksOf<4>(indices, c, m, n, wp, kp, blockPtr, blocks, width, b0, b1, ob, k, out);
    case 20:
      return columnProductBlocksOf<5>(indices, c, m, n, wp, kp, blockPtr, blocks, width, b0, b1, ob, k, out);
    case 24:
      return columnProductBlocksOf<6>(indices, c, m, n, wp, kp, blockPtr, blocks, width, b0, b1, ob, k, out);
    case 32:
      return columnProductBlocksOf<8>(indices, c, m, n, wp, kp, blockPtr, blocks, width, b0, b1, ob, k, out);
    default:
      return columnProductBlocksOf<0>(indices, c, m, n, wp, kp, blockPtr, blocks, width, b0, b1, ob, k, out);
  }
}

// ---------------------------------------------------------------------------------------------
// Rank-specialised KL passes (k ≤ kMaxRankKl). The general blocked passes above go over a row's
// run of entries twice: segmentRatios (each entry's row of Ht loaded and transposed, k a run-time
// bound, the ratios stored to scratch), then gatherAdd or scatterAdd (the rows of Ht loaded again,
// the ratios read back), and keep no sum in registers across the k components. Here K is a
// compile-time constant: W's row is K broadcasts held in registers, each group of four entries has
// its rows of Ht loaded once, transposed in registers for its four dot products, and (W side) the
// same registers multiplied by the ratios, which never leave the registers; the W side's loss rows
// can be read in the same pass (csrKlWRank with sums), since it computes (WH)_ij and V/WH at every
// stored entry anyway.
//
// Bits: the operations of the general passes, entry by entry and sum by sum. (WH)_ij is added one
// component at a time in t order from +0 (segmentRatios), the ratio is V/WHs where V > 0, else 0
// (csrRatios); W side acc_i = acc_i + ratio·Ht_j over the entries in stored order, lanes across t
// (gatherAdd); H side out_j = out_j + ratio·W_i over rows in ascending order (scatterAdd); the
// loss terms and their order those of csrLossBlocks. One difference in form: where gatherAdd and
// scatterAdd skip a ratio that is not > 0, these add (+0)·Ht_j (or (+0)·W_i). That adds nothing
// when the factor is finite — the product is ±0, a running sum that starts at +0 is never −0, and
// s + (±0) = s for every other s — so the callers take these passes only when the multiplied
// factor (Ht on the W side, W on the H side) is finite, and the general passes otherwise.

/** The largest rank with a specialised KL pass (each rank is compiled separately). */
static constexpr int kMaxRankKl = 16;

/** Rows of kp doubles for rank K: K rounded up to whole four-lane vectors. */
template <int K>
struct RankShape {
  static constexpr int kp = (K + 3) & ~3;
  static constexpr int kv = kp / 4;
};

/**
 * The four dot products (WH)_ij of the entries j[0..3], one per lane, from their padded rows of Ht,
 * which are left in rows[e][q] (components 4q .. 4q + 3 of entry e) for the caller. w[t]: W_it in
 * every lane. Each lane adds its K components one at a time in t order from +0, as
 * entryProducts4 does (the same transposition in registers; the padding is loaded, never added).
 */
template <int K>
__attribute__((always_inline)) static inline v4d rankProducts4(const double* htp, const int32_t* j, const v4d* w,
                                                               v4d (&rows)[4][RankShape<K>::kv]) {
  constexpr int KP = RankShape<K>::kp, KV = RankShape<K>::kv;
#pragma GCC unroll 4
  for (int e = 0; e < 4; e++) {
    const double* h = htp + (size_t)j[e] * KP;
#pragma GCC unroll 4
    for (int q = 0; q < KV; q++) rows[e][q] = load4(h + 4 * q);
  }
  v4d wh = splat4(0);
#pragma GCC unroll 4
  for (int q = 0; q < KV; q++) {
    const v4d a = __builtin_shufflevector(rows[0][q], rows[1][q], 0, 4, 2, 6);
    const v4d b = __builtin_shufflevector(rows[0][q], rows[1][q], 1, 5, 3, 7);
    const v4d c = __builtin_shufflevector(rows[2][q], rows[3][q], 0, 4, 2, 6);
    const v4d d = __builtin_shufflevector(rows[2][q], rows[3][q], 1, 5, 3, 7);
    const int t = 4 * q;
    wh = wh + w[t] * __builtin_shufflevector(a, c, 0, 1, 4, 5);
    if (t + 1 < K) wh = wh + w[t + 1] * __builtin_shufflevector(b, d, 0, 1, 4, 5);
    if (t + 2 < K) wh = wh + w[t + 2] * __builtin_shufflevector(a, c, 2, 3, 6, 7);
    if (t + 3 < K) wh = wh + w[t + 3] * __builtin_shufflevector(b, d, 2, 3, 6, 7);
  }
  return wh;
}

/** The ratios of four entries as csrRatios computes them: V/WHs where V > 0 (WHs: EPS32 where WH is 0), else 0. */
static inline v4d rankRatios4(v4d v, v4d wh) {
  const v4d zero = splat4(0);
  return select4(v > zero, v / select4(wh == zero, splat4(EPS32), wh), zero);
}

/** x where x > 0, else +0: what a skipping sum adds (see the section comment). */
static inline v4d addedPart4(v4d x) { return select4(x > splat4(0), x, splat4(0)); }

/** (WH)_ij of one entry, one component at a time in t order from +0 (the scalar loops of segmentRatios). */
template <int K>
static inline double rankProduct1(const double* wi, const double* hj) {
  double wh = 0;
#pragma GCC unroll 16
  for (int t = 0; t < K; t++) wh += wi[t] * hj[t];
  return wh;
}

/**
 * The loss terms of one run of a row (positions [p0, p1)) added to *a and *s in stored order, as
 * csrLossBlocks adds them: Σ V·log(V/WHs) and Σ V over the V > EPS32. For rows whose numerator
 * ratios come from a whole row of WH (denser than n/3): their loss takes per-entry dot products.
 */
template <int K>
static void rankLossRun(const int32_t* indices, const double* data, const double* wi, const v4d* w, const double* htp,
                        size_t p0, size_t p1, double* a, double* s) {
  constexpr int KP = RankShape<K>::kp, KV = RankShape<K>::kv;
  const v4d eps = splat4(EPS32), zero = splat4(0), two = splat4(2.0);
  double sa = *a, ss = *s;
  size_t p = p0;
  for (; p + 4 <= p1; p += 4) {
    v4d rows[4][KV];
    const v4d wh = rankProducts4<K>(htp, indices + p, w, rows);
    const v4d v = load4(data + p);
    const v4l keep = v > eps;  // false for NaN
    const v4d terms = select4(keep, v * logMain(select4(keep, v / select4(wh == zero, eps, wh), two)), zero);
    const v4d kept = select4(keep, v, zero);
    sa += terms[0];
    sa += terms[1];
    sa += terms[2];
    sa += terms[3];
    ss += kept[0];
    ss += kept[1];
    ss += kept[2];
    ss += kept[3];
  }
  for (; p < p1; p++) {
    const double v = data[p];
    if (!(v > EPS32)) continue;
    const double wh = rankProduct1<K>(wi, htp + (size_t)indices[p] * KP);
    sa += v * fdlibmLog(v / (wh == 0 ? EPS32 : wh));
    ss += v;
  }
  *a = sa;
  *s = ss;
}

/**
 * Row i (denser than n/3) of the W-side KL numerator for rank K into accp, whole: its ratios from
 * the row of WH (whRow over h = H, k × n, into `row`, n doubles), as csrRatios computes them, added
 * with Ht's rows in stored order as gatherAdd adds them (the blocked passes add the same terms in
 * the same order, block after block); with LOSS, the row's loss terms as csrLossBlocks adds them
 * (per-entry dot products, rankLossRun). No ratio is stored.
 */
template <int K, bool LOSS>
static void rankDenseRow(const int32_t* indptr, const int32_t* indices, const double* data, size_t n, const double* W,
                         const double* htp, const double* h, size_t i, double* row, double* accp, double* sums) {
  constexpr int KP = RankShape<K>::kp, KV = RankShape<K>::kv;
  const size_t p0 = (size_t)indptr[i], p1 = (size_t)indptr[i + 1];
  const double* wi = W + i * (size_t)K;
  whRow(wi, h, n, K, row);
  double* acci = accp + i * (size_t)KP;
  v4d acc[KV];
#pragma GCC unroll 4
  for (int q = 0; q < KV; q++) acc[q] = load4(acci + 4 * q);
  for (size_t p = p0; p < p1; p++) {
    const double v = data[p];
    if (!(v > 0)) continue;
    const double wh = row[indices[p]];
    const double x = v / (wh == 0 ? EPS32 : wh);
    if (!(x > 0)) continue;
    const double* hj = htp + (size_t)indices[p] * KP;
    const v4d xs = splat4(x);
#pragma GCC unroll 4
    for (int q = 0; q < KV; q++) acc[q] = acc[q] + xs * load4(hj + 4 * q);
  }
#pragma GCC unroll 4
  for (int q = 0; q < KV; q++) store4(acci + 4 * q, acc[q]);
  if (LOSS) {
    v4d w[K];
#pragma GCC unroll 16
    for (int t = 0; t < K; t++) w[t] = splat4(wi[t]);
    rankLossRun<K>(indices, data, wi, w, htp, p0, p1, &sums[2 * i], &sums[2 * i + 1]);
  }
}

/**
 * The W-side KL numerator of rows [i0, i1) for rank K into accp (m × kp, zeroed by the caller),
 * block by block, and with LOSS the rows' loss sums into sums (2m, zeroed by the caller) as
 * csrLossBlocks leaves them. Ht (padded: htp) must be finite (see the section comment).
 */
template <int K, bool LOSS>
static void klWRankOf(const int32_t* indptr, const int32_t* indices, const double* data, size_t n, const double* W,
                      const double* htp, const double* h, const int32_t* blockPtr, int blocks, size_t i0, size_t i1,
                      double* row, double* accp, double* sums) {
  constexpr int KP = RankShape<K>::kp, KV = RankShape<K>::kv;
  const size_t stride = (size_t)blocks + 1;
  const v4d eps = splat4(EPS32), zero = splat4(0), two = splat4(2.0);
  for (size_t i = i0; i < i1; i++)
    if (3 * (size_t)(indptr[i + 1] - indptr[i]) > n)
      rankDenseRow<K, LOSS>(indptr, indices, data, n, W, htp, h, i, row, accp, sums);
  for (int b = 0; b < blocks; b++) {
    for (size_t i = i0; i < i1; i++) {
      const size_t p0 = (size_t)blockPtr[i * stride + b], p1 = (size_t)blockPtr[i * stride + b + 1];
      if (i + 1 < i1)
        prefetchRun(indices, data, (size_t)blockPtr[(i + 1) * stride + b], (size_t)blockPtr[(i + 1) * stride + b + 1]);
      if (p0 == p1) continue;
      // Rows denser than n/3 were done whole beforehand (rankDenseRow).
      if (3 * (size_t)(indptr[i + 1] - indptr[i]) > n) continue;
      const double* wi = W + i * (size_t)K;
      v4d w[K];
#pragma GCC unroll 16
      for (int t = 0; t < K; t++) w[t] = splat4(wi[t]);
      double* acci = accp + i * (size_t)KP;
      v4d acc[KV];
#pragma GCC unroll 4
      for (int q = 0; q < KV; q++) acc[q] = load4(acci + 4 * q);
      double la = 0, ls = 0;
      if (LOSS) {
        la = sums[2 * i];
        ls = sums[2 * i + 1];
      }
      // Four entries' ratios added into acc in stored order.
      const auto addGroup = [&](const v4d(&rows)[4][KV], v4d x) __attribute__((always_inline)) {
        const v4d c = addedPart4(x);
        const v4d c0 = __builtin_shufflevector(c, c, 0, 0, 0, 0), c1 = __builtin_shufflevector(c, c, 1, 1, 1, 1);
        const v4d c2 = __builtin_shufflevector(c, c, 2, 2, 2, 2), c3 = __builtin_shufflevector(c, c, 3, 3, 3, 3);
#pragma GCC unroll 4
        for (int q = 0; q < KV; q++) acc[q] = acc[q] + c0 * rows[0][q];
#pragma GCC unroll 4
        for (int q = 0; q < KV; q++) acc[q] = acc[q] + c1 * rows[1][q];
#pragma GCC unroll 4
        for (int q = 0; q < KV; q++) acc[q] = acc[q] + c2 * rows[2][q];
#pragma GCC unroll 4
        for (int q = 0; q < KV; q++) acc[q] = acc[q] + c3 * rows[3][q];
      };
      // Four entries' loss terms added into la and ls in stored order: csrLossBlocks' terms (for
      // V > EPS32, which is > 0, the lane of x is V/WHs).
      const auto addLoss = [&](v4d v, v4d x) __attribute__((always_inline)) {
        const v4l keep = v > eps;  // false for NaN
        const v4d terms = select4(keep, v * logMain(select4(keep, x, two)), zero);
        const v4d kept = select4(keep, v, zero);
        la += terms[0];
        la += terms[1];
        la += terms[2];
        la += terms[3];
        ls += kept[0];
        ls += kept[1];
        ls += kept[2];
        ls += kept[3];
      };
      size_t p = p0;
      // Two groups of four side by side: their dot products are independent chains.
      for (; p + 8 <= p1; p += 8) {
        v4d rowsA[4][KV], rowsB[4][KV];
        const v4d whA = rankProducts4<K>(htp, indices + p, w, rowsA);
        const v4d whB = rankProducts4<K>(htp, indices + p + 4, w, rowsB);
        const v4d vA = load4(data + p), vB = load4(data + p + 4);
        const v4d xA = rankRatios4(vA, whA), xB = rankRatios4(vB, whB);
        addGroup(rowsA, xA);
        addGroup(rowsB, xB);
        if (LOSS) {
#if defined(NMF_WIDE_BYTES) && NMF_WIDE_BYTES == 64
          // Both groups' logarithms on eight lanes at once (logMain8: each lane the operations of
          // logMain, so the same bits, in half the instructions), their terms then added in order.
          const vw v = __builtin_shufflevector(vA, vB, 0, 1, 2, 3, 4, 5, 6, 7);
          const vw x = __builtin_shufflevector(xA, xB, 0, 1, 2, 3, 4, 5, 6, 7);
          const vwl keep = v > splatw(EPS32);  // false for NaN
          const vw terms = selectw(keep, v * logMain8(selectw(keep, x, splatw(2.0))), splatw(0));
          const vw kept = selectw(keep, v, splatw(0));
#pragma GCC unroll 8
          for (int e = 0; e < 8; e++) la += terms[e];
#pragma GCC unroll 8
          for (int e = 0; e < 8; e++) ls += kept[e];
#else
          addLoss(vA, xA);
          addLoss(vB, xB);
#endif
        }
      }
      if (p + 4 <= p1) {
        v4d rows[4][KV];
        const v4d v = load4(data + p);
        const v4d x = rankRatios4(v, rankProducts4<K>(htp, indices + p, w, rows));
        addGroup(rows, x);
        if (LOSS) addLoss(v, x);
        p += 4;
      }
      for (; p < p1; p++) {
        const double v = data[p];
        if (!(v > 0)) continue;
        const double* hj = htp + (size_t)indices[p] * KP;
        const double wh = rankProduct1<K>(wi, hj);
        const double x = v / (wh == 0 ? EPS32 : wh);
        if (x > 0) {
          const v4d xs = splat4(x);
#pragma GCC unroll 4
          for (int q = 0; q < KV; q++) acc[q] = acc[q] + xs * load4(hj + 4 * q);
        }
        if (LOSS && v > EPS32) {
          la += v * fdlibmLog(x);
          ls += v;
        }
      }
#pragma GCC unroll 4
      for (int q = 0; q < KV; q++) store4(acci + 4 * q, acc[q]);
      if (LOSS) {
        sums[2 * i] = la;
        sums[2 * i + 1] = ls;
      }
    }
  }
}

/**
 * The H-side KL numerator for rank K over column blocks [b0, b1) into out (n × K), as klHBlocksOf:
 * out_j = Σ_i ratio_ij · W_i over rows i in ascending order, each block summed in ob (width × kp,
 * zeroed here) and copied out.
 * W (padded: wp) must be finite (see the section comment).
 */
template <int K>
static void klHRankOf(const int32_t* indptr, const int32_t* indices, const double* data, size_t m, size_t n,
                      const double* W, const double* wp, const double* htp, const int32_t* blockPtr, int blocks,
                      int width, int b0, int b1, const double* ratio, double* ob, double* out) {
  constexpr int KP = RankShape<K>::kp, KV = RankShape<K>::kv;
  const size_t stride = (size_t)blocks + 1;
  for (int b = b0; b < b1; b++) {
    const int32_t j0 = (int32_t)((size_t)b * (size_t)width);
    const size_t j1 = (size_t)(b + 1) * (size_t)width < n ? (size_t)(b + 1) * (size_t)width : n;
    for (size_t x = 0; x < (j1 - (size_t)j0) * (size_t)KP; x++) ob[x] = 0;
    for (size_t i = 0; i < m; i++) {
      const size_t p0 = (size_t)blockPtr[i * stride + b], p1 = (size_t)blockPtr[i * stride + b + 1];
      if (i + 1 < m)
        prefetchRun(indices, data, (size_t)blockPtr[(i + 1) * stride + b], (size_t)blockPtr[(i + 1) * stride + b + 1]);
      if (p0 == p1) continue;
      const double* wpi = wp + i * (size_t)KP;
      if (3 * (size_t)(indptr[i + 1] - indptr[i]) > n) {
        scatterAdd<KV>(ratio + p0, indices + p0, p1 - p0, wpi, KP, j0, ob);
        continue;
      }
      const double* wi = W + i * (size_t)K;
      v4d w[K];
#pragma GCC unroll 16
      for (int t = 0; t < K; t++) w[t] = splat4(wi[t]);
      v4d wv[KV];
#pragma GCC unroll 4
      for (int q = 0; q < KV; q++) wv[q] = load4(wpi + 4 * q);
      // The four entries' terms added into their rows of outp, in stored order.
      const auto scatterGroup = [&](const int32_t* j, v4d c) __attribute__((always_inline)) {
        double* o0 = ob + (size_t)(j[0] - j0) * KP;
        double* o1 = ob + (size_t)(j[1] - j0) * KP;
        double* o2 = ob + (size_t)(j[2] - j0) * KP;
        double* o3 = ob + (size_t)(j[3] - j0) * KP;
        const v4d c0 = __builtin_shufflevector(c, c, 0, 0, 0, 0), c1 = __builtin_shufflevector(c, c, 1, 1, 1, 1);
        const v4d c2 = __builtin_shufflevector(c, c, 2, 2, 2, 2), c3 = __builtin_shufflevector(c, c, 3, 3, 3, 3);
#pragma GCC unroll 4
        for (int q = 0; q < KV; q++) store4(o0 + 4 * q, load4(o0 + 4 * q) + c0 * wv[q]);
#pragma GCC unroll 4
        for (int q = 0; q < KV; q++) store4(o1 + 4 * q, load4(o1 + 4 * q) + c1 * wv[q]);
#pragma GCC unroll 4
        for (int q = 0; q < KV; q++) store4(o2 + 4 * q, load4(o2 + 4 * q) + c2 * wv[q]);
#pragma GCC unroll 4
        for (int q = 0; q < KV; q++) store4(o3 + 4 * q, load4(o3 + 4 * q) + c3 * wv[q]);
      };
      size_t p = p0;
      // Two groups of four side by side: their dot products are independent chains.
      for (; p + 8 <= p1; p += 8) {
        v4d rowsA[4][KV], rowsB[4][KV];
        const v4d whA = rankProducts4<K>(htp, indices + p, w, rowsA);
        const v4d whB = rankProducts4<K>(htp, indices + p + 4, w, rowsB);
        const v4d cA = addedPart4(rankRatios4(load4(data + p), whA));
        const v4d cB = addedPart4(rankRatios4(load4(data + p + 4), whB));
        scatterGroup(indices + p, cA);
        scatterGroup(indices + p + 4, cB);
      }
      if (p + 4 <= p1) {
        v4d rows[4][KV];
        scatterGroup(indices + p,
                     addedPart4(rankRatios4(load4(data + p), rankProducts4<K>(htp, indices + p, w, rows))));
        p += 4;
      }
      for (; p < p1; p++) {
        const double v = data[p];
        if (!(v > 0)) continue;
        const double wh = rankProduct1<K>(wi, htp + (size_t)indices[p] * KP);
        const double x = v / (wh == 0 ? EPS32 : wh);
        if (!(x > 0)) continue;
        double* o = ob + (size_t)(indices[p] - j0) * KP;
        const v4d xs = splat4(x);
#pragma GCC unroll 4
        for (int q = 0; q < KV; q++) store4(o + 4 * q, load4(o + 4 * q) + xs * wv[q]);
      }
    }
    blockRowsOut(ob, KP, (size_t)j0, j1, K, out);
  }
}

/**
 * csrKlWBlocks for 1 ≤ k ≤ kMaxRankKl with Ht finite, and (sums not null) the loss rows of
 * csrLossBlocks in the same pass: same bits as csrKlWBlocks and csrLossBlocks. kp = (k + 3) & ~3.
 * Rows denser than n/3 are done whole from rows of WH (h: H, k × n, read only when there are
 * such rows; row: n doubles of scratch), so no ratio is stored.
 */
static void csrKlWRank(const int32_t* indptr, const int32_t* indices, const double* data, size_t n, int k,
                       const double* W, const double* htp, const double* h, const int32_t* blockPtr, int blocks,
                       size_t i0, size_t i1, double* row, double* accp, double* sums) {
  switch (k) {
#define NMF_RANK_KL_W(K)                                                                                         \
  case K:                                                                                                        \
    if (sums != nullptr)                                                                                         \
      return klWRankOf<K, true>(indptr, indices, data, n, W, htp, h, blockPtr, blocks, i0, i1, row, accp, sums); \
    return klWRankOf<K, false>(indptr, indices, data, n, W, htp, h, blockPtr, blocks, i0, i1, row, accp, sums);
    NMF_RANK_KL_W(1)
    NMF_RANK_KL_W(2)
    NMF_RANK_KL_W(3)
    NMF_RANK_KL_W(4)
    NMF_RANK_KL_W(5)
    NMF_RANK_KL_W(6)
    NMF_RANK_KL_W(7)
    NMF_RANK_KL_W(8)
    NMF_RANK_KL_W(9)
    NMF_RANK_KL_W(10)
    NMF_RANK_KL_W(11)
    NMF_RANK_KL_W(12)
    NMF_RANK_KL_W(13)
    NMF_RANK_KL_W(14)
    NMF_RANK_KL_W(15)
    NMF_RANK_KL_W(16)
#undef NMF_RANK_KL_W
    default:
      return;
  }
}

/** csrKlHBlocks for 1 ≤ k ≤ kMaxRankKl with W finite: same bits. kp = (k + 3) & ~3. */
static void csrKlHRank(const int32_t* indptr, const int32_t* indices, const double* data, size_t m, size_t n, int k,
                       const double* W, const double* wp, const double* htp, const int32_t* blockPtr, int blocks,
                       int width, int b0, int b1, const double* ratio, double* ob, double* out) {
  switch (k) {
#define NMF_RANK_KL_H(K) \
  case K:                \
    return klHRankOf<K>(indptr, indices, data, m, n, W, wp, htp, blockPtr, blocks, width, b0, b1, ratio, ob, out);
    NMF_RANK_KL_H(1)
    NMF_RANK_KL_H(2)
    NMF_RANK_KL_H(3)
    NMF_RANK_KL_H(4)
    NMF_RANK_KL_H(5)
    NMF_RANK_KL_H(6)
    NMF_RANK_KL_H(7)
    NMF_RANK_KL_H(8)
    NMF_RANK_KL_H(9)
    NMF_RANK_KL_H(10)
    NMF_RANK_KL_H(11)
    NMF_RANK_KL_H(12)
    NMF_RANK_KL_H(13)
    NMF_RANK_KL_H(14)
    NMF_RANK_KL_H(15)
    NMF_RANK_KL_H(16)
#undef NMF_RANK_KL_H
    default:
      return;
  }
}
