// The general-β (β ∉ {1, 2}) multiplicative-update terms on dense V, Itakura–Saito (β = 0)
// included: rows of WH, the per-entry terms and their products with the factor, fused per block of
// four rows (the scalar counterpart: src/shared/nmf/kernels/scalar/beta.ts, `betaW` / `betaH`).
// Part of kernels.inl: included inside namespace NMF_KERNEL_NS once per instruction set.

static inline double betaPowBy(double x, double e, int code) {
  switch (code) {
    case kPowOne:
      return x;
    case kPowSquare:
      return x * x;
    case kPowSqrt:
      return std::sqrt(x);
    case kPowReciprocal:
      return 1 / x;
    case kPowZero:
      return 1;
    default:
      return fdlibmPow(x, e);
  }
}

/**
 * Entries [j0, j1) of one row's terms, in place: on entry num[j] = (WH)_ij; on return
 *   num[j] = V_ij · WHs^(β−2) where V_ij > 0 (as `betaRowCoefficients` computes it), else +0;
 *   den[j] = WHd^(β−1), +0 where V_ij is missing;
 * and every entry that is not > 0 (NaN included) set to +0, which the products then add as the
 * scalar loops skip it (contract.ts, rule 5). Each entry is the scalar code's operations in its
 * order: for β = 0 r = 1/WHs, den = r, num = (r·r)·V (WHs = WHd there, so den is the r the
 * numerator squares); otherwise den = WHd^(β−1) by `powBy`'s rules, and num = (den/WH)·V where
 * WH > 0, else WHs^(β−2)·V.
 */
static void betaTermsRow(const double* vi, const BetaExponents& e, size_t j0, size_t j1, double* num, double* den) {
  size_t j = j0;
  const v4d zero = splat4(0);
  if (e.beta == 0) {
    // Itakura–Saito: divisions and products only, four lanes across j (rule 2).
    const v4d eps = splat4(EPS32), ones = splat4(1);
    for (; j + 4 <= j1; j += 4) {
      const v4d wh = load4(num + j);
      const v4d v = load4(vi + j);
      const v4d r = ones / select4(wh == zero, eps, wh);
      const v4d q = (r * r) * v;
      store4(num + j, select4((v > zero) & (q > zero), q, zero));
      store4(den + j, select4((v == v) & (r > zero), r, zero));
    }
    for (; j < j1; j++) {
      const double wh = num[j], v = vi[j];
      const double r = 1 / (wh == 0 ? EPS32 : wh);
      const double q = r * r * v;
      num[j] = v > 0 && q > 0 ? q : 0;
      den[j] = v == v && r > 0 ? r : 0;
    }
    return;
  }
  const bool clampDen = e.beta < 1, clampNum = e.beta < 2;
  for (; j < j1; j++) {
    const double wh = num[j], v = vi[j];
    const double d = betaPowBy(clampDen && wh == 0 ? EPS32 : wh, e.eDen, e.codeDen);
    double q = 0;
    if (v > 0) {
      // WH^(β−2) = WH^(β−1) / WH where WH > 0, as the scalar code saves a second power.
      q = wh > 0 ? (d / wh) * v : betaPowBy(clampNum && wh == 0 ? EPS32 : wh, e.eNum, e.codeNum) * v;
    }
    num[j] = q > 0 ? q : 0;
    den[j] = v == v && d > 0 ? d : 0;
  }
}

/** out[j] = (W_i · H)_j for j in [j0, j1), with `whRow`'s bits (wh16, wh4 and wh1 agree per entry). */
static void whRange(const double* wi, const double* h, size_t n, int k, size_t j0, size_t j1, double* out) {
  size_t j = j0;
  for (; j + 16 <= j1; j += 16) {
    v4d s[4];
    wh16(wi, h, n, k, j, s);
    for (int q = 0; q < 4; q++) store4(out + j + 4 * q, s[q]);
  }
  for (; j + 4 <= j1; j += 4) store4(out + j, wh4(wi, h, n, k, j));
  for (; j < j1; j++) out[j] = wh1(wi, h, n, k, j);
}

/**
 * Rows [i0, i1) of the W-step terms: numW_i· = num_i · Ht, denW_i· = den_i · Ht, each sum in j
 * order (`accumulateRow`). h: H (k × n); htp: Ht padded to kp columns (zeros). `scratch`:
 * 9n + 4kp doubles.
 */
static void betaRowSide(const double* V, size_t n, int k, const double* W, const double* h, const double* htp, int kp,
                        const BetaExponents& e, size_t i0, size_t i1, double* numOut, double* denOut, double* scratch) {
  double* zeros = scratch + 8 * n;
  double* tmp = scratch + 9 * n;
  for (size_t j = 0; j < n; j++) zeros[j] = 0;
  for (size_t i = i0; i < i1; i += 4) {
    const size_t rows = i1 - i < 4 ? i1 - i : 4;
    const double* cn[4];
    const double* cd[4];
    for (size_t q = 0; q < 4; q++) {
      double* num = scratch + q * n;
      double* den = scratch + (4 + q) * n;
      if (q < rows) {
        whRange(W + (i + q) * k, h, n, k, 0, n, num);
        betaTermsRow(V + (i + q) * n, e, 0, n, num, den);
      }
      cn[q] = q < rows ? num : zeros;
      cd[q] = q < rows ? den : zeros;
    }
    accumulate4(cn, n, htp, kp, tmp);
    for (size_t q = 0; q < rows; q++)
      for (int t = 0; t < k; t++) numOut[(i + q) * k + t] = tmp[q * kp + t];
    accumulate4(cd, n, htp, kp, tmp);
    for (size_t q = 0; q < rows; q++)
      for (int t = 0; t < k; t++) denOut[(i + q) * k + t] = tmp[q * kp + t];
  }
}

/**
 * Columns [j0, j1) of the H-step terms over all m rows: numHt_j· = Σ_i num_ij · W_i·, denHt_j· =
 * Σ_i den_ij · W_i·, rows added in order (`scatterRow`), into zeroed kp-wide copies, then written
 * out. `scratch`: 9n + 4kp + 2(j1 − j0)·kp doubles.
 */
static void betaColumnSide(const double* V, size_t m, size_t n, int k, const double* W, const double* h, int kp,
                           const BetaExponents& e, size_t j0, size_t j1, double* numOut, double* denOut,
                           double* scratch) {
  double* zeros = scratch + 8 * n;
  double* wpad = scratch + 9 * n;
  double* numP = wpad + 4 * (size_t)kp;
  double* denP = numP + (j1 - j0) * kp;
  for (size_t j = j0; j < j1; j++) zeros[j] = 0;
  for (size_t x = 0; x < 2 * (j1 - j0) * kp; x++) numP[x] = 0;
  for (size_t x = 0; x < 4 * (size_t)kp; x++) wpad[x] = 0;
  for (size_t i = 0; i < m; i += 4) {
    const size_t rows = m - i < 4 ? m - i : 4;
    const double* cn[4];
    const double* cd[4];
    for (size_t q = 0; q < 4; q++) {
      double* num = scratch + q * n;
      double* den = scratch + (4 + q) * n;
      if (q < rows) {
        whRange(W + (i + q) * k, h, n, k, j0, j1, num);
        betaTermsRow(V + (i + q) * n, e, j0, j1, num, den);
        cn[q] = num;
        cd[q] = den;
        for (int t = 0; t < k; t++) wpad[q * kp + t] = W[(i + q) * k + t];
      } else {
        cn[q] = zeros;
        cd[q] = zeros;
        for (int t = 0; t < k; t++) wpad[q * kp + t] = 0;
      }
    }
    scatter4(cn, j0, j1, wpad, kp, numP);
    scatter4(cd, j0, j1, wpad, kp, denP);
  }
  for (size_t j = j0; j < j1; j++)
    for (int t = 0; t < k; t++) {
      numOut[j * k + t] = numP[(j - j0) * kp + t];
      denOut[j * k + t] = denP[(j - j0) * kp + t];
    }
}
