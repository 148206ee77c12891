// Coordinate-descent sweeps (the scalar counterpart: src/shared/nmf/kernels/scalar/cd.ts).
// Part of kernels.inl: included inside namespace NMF_KERNEL_NS once per instruction set.

/**
 * Coordinate-descent sweep (scikit-learn's `_update_cdnmf_fast`; `cdRow` in kernels.ts) over rows
 * [i0, i1) of F (rows × k), in place, with G (k × k) and B (rows × k): four rows at a time, one per
 * lane, each lane doing exactly one row's scalar operations in order. rv[i] = the row's
 * Σ|projected gradient| in component order. `fq`: scratch of 8k doubles.
 */
static void cdRows(double* F, int k, const double* G, const double* B, const int32_t* order, size_t i0, size_t i1,
                   double* rv, double* fq) {
  const v4d zero = splat4(0);
  const v4l absMask = {INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX};
  size_t i = i0;
#ifdef NMF_WIDE_BYTES
  i = cdRowsWide<4>(F, k, G, B, order, i, i1, rv, cdWideScratch(2 * (size_t)k * 4 * kWide));
#endif
  // Eight rows at a time, two vectors of four: each gradient is a chain of k dependent additions,
  // so two independent chains per step keep the adder busy (the same operations per lane).
  for (; i + 8 <= i1; i += 8) {
    for (int q = 0; q < k; q++) {
      store4(fq + 8 * q, v4d{F[i * k + q], F[(i + 1) * k + q], F[(i + 2) * k + q], F[(i + 3) * k + q]});
      store4(fq + 8 * q + 4, v4d{F[(i + 4) * k + q], F[(i + 5) * k + q], F[(i + 6) * k + q], F[(i + 7) * k + q]});
    }
    v4d violation0 = zero, violation1 = zero;
    for (int s = 0; s < k; s++) {
      const int t = order[s];
      const double* gt = G + (size_t)t * k;
      v4d grad0 = -v4d{B[i * k + t], B[(i + 1) * k + t], B[(i + 2) * k + t], B[(i + 3) * k + t]};
      v4d grad1 = -v4d{B[(i + 4) * k + t], B[(i + 5) * k + t], B[(i + 6) * k + t], B[(i + 7) * k + t]};
      for (int q = 0; q < k; q++) {
        const v4d g = splat4(gt[q]);
        grad0 = grad0 + g * load4(fq + 8 * q);
        grad1 = grad1 + g * load4(fq + 8 * q + 4);
      }
      const v4d current0 = load4(fq + 8 * t), current1 = load4(fq + 8 * t + 4);
      const v4d pg0 = select4((current0 == zero) & (grad0 > zero), zero, grad0);
      const v4d pg1 = select4((current1 == zero) & (grad1 > zero), zero, grad1);
      violation0 = violation0 + reinterpret_cast<v4d>(reinterpret_cast<v4l>(pg0) & absMask);
      violation1 = violation1 + reinterpret_cast<v4d>(reinterpret_cast<v4l>(pg1) & absMask);
      const double hess = gt[t];
      if (hess != 0) {
        const v4d next0 = current0 - grad0 / splat4(hess), next1 = current1 - grad1 / splat4(hess);
        store4(fq + 8 * t, select4(next0 > zero, next0, zero));
        store4(fq + 8 * t + 4, select4(next1 > zero, next1, zero));
      }
    }
    for (int q = 0; q < k; q++)
      for (int r = 0; r < 8; r++) F[(i + r) * k + q] = fq[8 * q + r];
    for (int r = 0; r < 4; r++) {
      rv[i + r] = violation0[r];
      rv[i + 4 + r] = violation1[r];
    }
  }
  for (; i + 4 <= i1; i += 4) {
    // The block transposed: fq[q] holds component q of the four rows.
    for (int q = 0; q < k; q++)
      store4(fq + 4 * q, v4d{F[i * k + q], F[(i + 1) * k + q], F[(i + 2) * k + q], F[(i + 3) * k + q]});
    v4d violation = zero;
    for (int s = 0; s < k; s++) {
      const int t = order[s];
      const double* gt = G + (size_t)t * k;
      v4d grad = -v4d{B[i * k + t], B[(i + 1) * k + t], B[(i + 2) * k + t], B[(i + 3) * k + t]};
      for (int q = 0; q < k; q++) grad = grad + splat4(gt[q]) * load4(fq + 4 * q);
      const v4d current = load4(fq + 4 * t);
      // Math.min(grad, 0) where current is 0: only a positive gradient changes (to +0).
      const v4d pg = select4((current == zero) & (grad > zero), zero, grad);
      const v4d magnitude =
          reinterpret_cast<v4d>(reinterpret_cast<v4l>(pg) & (v4l){INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX});
      violation = violation + magnitude;
      const double hess = gt[t];
      if (hess != 0) {
        const v4d next = current - grad / splat4(hess);
        store4(fq + 4 * t, select4(next > zero, next, zero));
      }
    }
    for (int q = 0; q < k; q++) {
      F[i * k + q] = fq[4 * q];
      F[(i + 1) * k + q] = fq[4 * q + 1];
      F[(i + 2) * k + q] = fq[4 * q + 2];
      F[(i + 3) * k + q] = fq[4 * q + 3];
    }
    rv[i] = violation[0];
    rv[i + 1] = violation[1];
    rv[i + 2] = violation[2];
    rv[i + 3] = violation[3];
  }
  for (; i < i1; i++) {
    double* fi = F + i * k;
    double violation = 0;
    for (int s = 0; s < k; s++) {
      const int t = order[s];
      const double* gt = G + (size_t)t * k;
      double grad = -B[i * k + t];
      for (int q = 0; q < k; q++) grad += gt[q] * fi[q];
      const double current = fi[t];
      const double pg = current == 0 && grad > 0 ? 0.0 : grad;
      violation += pg < 0 ? -pg : pg;
      const double hess = gt[t];
      if (hess != 0) {
        const double next = current - grad / hess;
        fi[t] = next > 0 ? next : 0;
      }
    }
    rv[i] = violation;
  }
}
