// Missing-value kernels (the scalar counterpart: maskedSweep and maskedSums in
// src/shared/nmf/kernels/scalar/cd.ts): the weighted coordinate-descent sweep and the masked KL
// denominators that a fit on data with missing entries runs (cross-validation folds hold entries
// out as missing). Included once by addon.cc (not per instruction set, unlike kernels.inl): each
// row's work is a few short loops over k components and its partners, bound by latency and
// memory, not by vector width; one build keeps the bits trivially equal on every CPU.
//
// Bit rules (src/shared/nmf/kernels/contract.ts): every sum adds its terms in the scalar order,
// no fused multiply-add (-ffp-contract=off, and no target enables FMA), threads own whole rows and
// the per-row violations are summed in row order by the caller.

namespace masked {

/** Upper triangle (t ≥ s) of G (k × k) += a aᵀ for a = O[o … o + k) (negated: −a aᵀ), a_s = 0 skipped. */
inline void addOuterUpper(double* G, const double* O, size_t o, int k, bool negate) {
  for (int s = 0; s < k; s++) {
    // -1 · x is exact, so negating first is the scalar code's `sign * O[o + s]`.
    const double a = negate ? -O[o + s] : O[o + s];
    if (a == 0) continue;
    double* gs = G + (size_t)s * k;
    for (int t = s; t < k; t++) gs[t] += a * O[o + t];
  }
}

/** Copies the upper triangle of G (k × k) onto the lower one. */
inline void mirrorUpper(double* G, int k) {
  for (int s = 0; s < k; s++)
    for (int t = s + 1; t < k; t++) G[(size_t)t * k + s] = G[(size_t)s * k + t];
}

/** The coordinate-descent updates of row i of F with its own Gram matrix G (k × k); returns Σ|pg| (`cdRow`). */
inline double cdRow(double* F, size_t i, int k, const double* G, const double* B, const int32_t* order) {
  double violation = 0;
  double* fi = F + i * k;
  const double* bi = B + i * k;
  for (int s = 0; s < k; s++) {
    const int t = order[s];
    const double* gt = G + (size_t)t * k;
    double grad = -bi[t];
    for (int q = 0; q < k; q++) grad += gt[q] * fi[q];
    const double current = fi[t];
    // Math.min(grad, 0) where current is 0: only a positive gradient changes (to +0).
    const double pg = current == 0 && grad > 0 ? 0.0 : grad;
    violation += pg < 0 ? -pg : pg;
    const double hess = gt[t];
    if (hess != 0) {
      const double next = current - grad / hess;
      fi[t] = next > 0 ? next : 0;
    }
  }
  return violation;
}

/**
 * Weighted coordinate descent over rows [r0, r1) of F (rows × k) against O (others × k): row r's
 * Gram matrix is G (OᵀO + l2·I) less its missing partners' outer products, or, when more than half
 * are missing, the sum over its observed partners (+ l2 on the diagonal). rv[r]: row r's Σ|pg|.
 * `rowGram`: scratch k × k, the calling thread's own.
 */
inline void sweepRows(double* F, const double* O, size_t others, int k, const double* G, const double* B, double l2,
                      const int32_t* ptr, const int32_t* idx, const int32_t* order, size_t r0, size_t r1, double* rv,
                      double* rowGram) {
  const size_t kk = (size_t)k * k;
  for (size_t r = r0; r < r1; r++) {
    const size_t start = (size_t)ptr[r], end = (size_t)ptr[r + 1];
    const size_t missing = end - start;
    if (missing == 0) {
      rv[r] = cdRow(F, r, k, G, B, order);
      continue;
    }
    if (2 * missing <= others) {
      for (size_t x = 0; x < kk; x++) rowGram[x] = G[x];
      for (size_t q = start; q < end; q++) addOuterUpper(rowGram, O, (size_t)idx[q] * k, k, true);
      mirrorUpper(rowGram, k);
    } else {
      // Observed partners: the complement of the sorted missing list, in order.
      for (size_t x = 0; x < kk; x++) rowGram[x] = 0;
      size_t from = 0;
      for (size_t q = start; q <= end; q++) {
        const size_t to = q < end ? (size_t)idx[q] : others;
        for (size_t j = from; j < to; j++) addOuterUpper(rowGram, O, j * k, k, false);
        from = to + 1;
      }
      mirrorUpper(rowGram, k);
      if (l2 != 0)
        for (int t = 0; t < k; t++) rowGram[(size_t)t * k + t] += l2;
    }
    rv[r] = cdRow(F, r, k, rowGram, B, order);
  }
}

/** Masked KL denominators for rows [r0, r1): out_r = total − Σ over r's missing partners of F_o, clamped at 0. */
inline void sumsRows(double* out, const double* F, int k, const double* total, const int32_t* ptr, const int32_t* idx,
                     size_t r0, size_t r1) {
  for (size_t r = r0; r < r1; r++) {
    double* o = out + r * k;
    for (int t = 0; t < k; t++) o[t] = total[t];
    for (int32_t q = ptr[r]; q < ptr[r + 1]; q++) {
      const double* f = F + (size_t)idx[q] * k;
      for (int t = 0; t < k; t++) o[t] -= f[t];
    }
    for (int t = 0; t < k; t++)
      if (o[t] < 0) o[t] = 0;
  }
}

}  // namespace masked
