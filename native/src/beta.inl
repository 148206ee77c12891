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

static inline v4l splat4l(long long x) { return v4l{x, x, x, x}; }
static inline v4l select4l(v4l mask, v4l a, v4l b) { return (mask & a) | (~mask & b); }

/** Whether x^y with this y takes fdlibm's main path for every ordinary x (`pow4`'s condition on y). */
static inline bool pow4Serves(double y) {
  const uint32_t hy = fdlibm::highWord(y), ly = fdlibm::lowWord(y), iy = hy & 0x7fffffff;
  if ((iy | ly) == 0 || iy > 0x41e00000) return false;  // y = ±0, |y| > 2^31, ±∞ or NaN
  // y = ±1, 2 and 0.5 have their own returns.
  return !(ly == 0 && (iy == 0x3ff00000 || hy == 0x40000000 || hy == 0x3fe00000));
}

static inline v4l highWords4(v4d x) { return reinterpret_cast<v4l>(x) >> 32; }
static inline v4d lowWordZero4(v4d x) {
  return reinterpret_cast<v4d>(reinterpret_cast<v4l>(x) &
                               (v4l){-4294967296LL, -4294967296LL, -4294967296LL, -4294967296LL});
}
static inline v4d fromHighWords4(v4l high) { return reinterpret_cast<v4d>((high & 0xffffffffLL) << 32); }

/**
 * fdlibmPow(x_q, y) for four lanes q, y a `pow4Serves` exponent: the main path of fdlibm's pow
 * (fdlibm_pow.h) with every operation of one lane the scalar code's (the integer steps on 64-bit
 * lanes holding its 32-bit words), so each lane has the scalar bits. A lane whose x is not a
 * positive normal number other than 1, or whose result over- or underflows or is subnormal, leaves
 * that path in the scalar code: it is computed again there.
 */
static inline v4d pow4(v4d x, double y) {
  const v4d one = splat4(1), zero = splat4(0);
  const v4l hx = highWords4(x);
  // Lanes the main path serves: 2^-1022 ≤ x < ∞, x ≠ 1.
  v4l scalar = (hx < 0x00100000) | (hx >= 0x7ff00000) | (x == one);
  // log2(x) = t1 + t2 (the `else` branch of the scalar code; x is normal here).
  v4l n = (hx >> 20) - 0x3ff;
  const v4l j = hx & 0x000fffff;
  v4l ix = j | 0x3ff00000;
  const v4l upper = j >= 0xBB67A;            // x/2, k = 0
  const v4l k1 = (j > 0x3988E) & ~upper;     // k = 1 (mask)
  n = n - upper;                             // n += 1 where upper (masks are −1)
  ix = ix + (upper & splat4l(-0x00100000));  // ix −= 2^20 where upper
  const v4d ax = reinterpret_cast<v4d>((ix << 32) | (reinterpret_cast<v4l>(x) & 0xffffffffLL));
  const v4d bp = select4(k1, splat4(1.5), one);
  const v4d dpH = select4(k1, splat4(5.84962487220764160156e-01), zero);
  const v4d dpL = select4(k1, splat4(1.35003920212974897128e-08), zero);
  v4d u = ax - bp;
  v4d v = one / (ax + bp);
  const v4d ss = u * v;
  const v4d sH = lowWordZero4(ss);
  v4d tH = fromHighWords4(((ix >> 1) | 0x20000000) + 0x00080000 + (k1 & splat4l(1 << 18)));
  v4d tL = ax - (tH - bp);
  const v4d sL = v * ((u - sH * tH) - sH * tL);
  v4d s2 = ss * ss;
  v4d r = s2 * s2 *
          (splat4(5.99999999999994648725e-01) +
           s2 * (splat4(4.28571428578550184252e-01) +
                 s2 * (splat4(3.33333329818377432918e-01) +
                       s2 * (splat4(2.72728123808534006489e-01) +
                             s2 * (splat4(2.30660745775561754067e-01) + s2 * splat4(2.06975017800338417784e-01))))));
  r = r + sL * (sH + ss);
  s2 = sH * sH;
  tH = lowWordZero4(splat4(3.0) + s2 + r);
  tL = r - ((tH - splat4(3.0)) - s2);
  u = sH * tH;
  v = sL * tH + tL * ss;
  v4d pH = lowWordZero4(u + v);
  v4d pL = v - (pH - u);
  const v4d zH = splat4(9.61796700954437255859e-01) * pH;
  const v4d zL = splat4(-7.02846165095275826516e-09) * pH + pL * splat4(9.61796693925975554329e-01) + dpL;
  const v4d t = __builtin_convertvector(n, v4d);
  const v4d t1 = lowWordZero4(((zH + zL) + dpH) + t);
  const v4d t2 = zL - (((t1 - t) - dpH) - zH);
  // y·log2(x) = p_h + p_l.
  const v4d yv = splat4(y), y1 = lowWordZero4(yv);
  pL = (yv - y1) * t1 + yv * t2;
  pH = y1 * t1;
  v4d z = pL + pH;
  const v4l jz = highWords4(z);  // the high word, sign-extended
  scalar = scalar | (jz >= 0x40900000) | ((jz & 0x7fffffff) >= 0x4090cc00);
  // 2^(p_h + p_l): n = [z + 0.5] where |z| > 0.5.
  const v4l iz = jz & 0x7fffffff;
  const v4l big = iz > 0x3fe00000;
  const v4l kz = big & ((iz >> 20) - 0x3ff);  // ≥ −1 where big; 0 elsewhere (a valid shift)
  v4l nn = jz + (splat4l(0x00100000) >> (kz + 1));
  const v4l k2 = big & (((nn & 0x7fffffff) >> 20) - 0x3ff);
  const v4d tn = fromHighWords4(nn & ~(splat4l(0x000fffff) >> k2));
  nn = ((nn & 0x000fffff) | 0x00100000) >> (20 - k2);
  nn = select4l(jz < 0, -nn, nn);
  nn = big & nn;
  pH = pH - select4(big, tn, zero);
  const v4d tt = lowWordZero4(pL + pH);
  u = tt * splat4(6.93147182464599609375e-01);
  v = (pL - (tt - pH)) * splat4(6.93147180559945286227e-01) + tt * splat4(-1.90465429995776804525e-09);
  z = u + v;
  const v4d w = v - (z - u);
  const v4d zz = z * z;
  const v4d t1e =
      z - zz * (splat4(1.66666666666666019037e-01) +
                zz * (splat4(-2.77777777770155933842e-03) +
                      zz * (splat4(6.61375632143793436117e-05) +
                            zz * (splat4(-1.65339022054652515390e-06) + zz * splat4(4.13813679705723846039e-08)))));
  const v4d rr = (z * t1e) / ((t1e - splat4(2.0)) - (w + z * w));
  z = one - (rr - z);
  const v4l jr = highWords4(z) + (nn << 20);
  // A normal, finite result: the scalar code's SET_HIGH_WORD branch; else it scales (or overflows).
  scalar = scalar | ((jr >> 20) <= 0) | (jr >= 0x7ff00000);
  z = reinterpret_cast<v4d>((jr << 32) | (reinterpret_cast<v4l>(z) & 0xffffffffLL));
  bool any = false;
  for (int q = 0; q < 4; q++) any |= scalar[q] != 0;
  if (any)
    for (int q = 0; q < 4; q++)
      if (scalar[q] != 0) z[q] = fdlibmPow(x[q], y);
  return z;
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
  // den first (the scalar code's `powerRow`), four lanes at a time where fdlibm's main path serves.
  if (e.codeDen == kPowGeneral && pow4Serves(e.eDen)) {
    const v4d eps = splat4(EPS32);
    for (; j + 4 <= j1; j += 4) {
      const v4d wh = load4(num + j);
      store4(den + j, pow4(clampDen ? select4(wh == zero, eps, wh) : wh, e.eDen));
    }
  }
  for (; j < j1; j++) den[j] = betaPowBy(clampDen && num[j] == 0 ? EPS32 : num[j], e.eDen, e.codeDen);
  for (j = j0; j < j1; j++) {
    const double wh = num[j], v = vi[j], d = den[j];
    double q = 0;
    if (v > 0) {
      // WH^(β−2) = WH^(β−1) / WH where WH > 0, as the scalar code saves a second power.
      q = wh > 0 ? (d / wh) * v : betaPowBy(clampNum && wh == 0 ? EPS32 : wh, e.eNum, e.codeNum) * v;
    }
    num[j] = q > 0 ? q : 0;
    den[j] = v == v && d > 0 ? d : 0;
  }
}

/** out[i] = fdlibmPow(x[i], y[i]) for i < n, by `pow4` where four consecutive y are one it serves. */
static void powArray(const double* x, const double* y, size_t n, double* out) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    if (y[i] == y[i + 1] && y[i] == y[i + 2] && y[i] == y[i + 3] && pow4Serves(y[i])) {
      store4(out + i, pow4(load4(x + i), y[i]));
    } else {
      for (size_t q = i; q < i + 4; q++) out[q] = fdlibmPow(x[q], y[q]);
    }
  }
  for (; i < n; i++) out[i] = fdlibmPow(x[i], y[i]);
}

/** out[j] = powBy(x[j], e, code) for j < n, four lanes at a time where fdlibm's main path serves. */
static void powRow(const double* x, size_t n, double e, int code, double* out) {
  size_t j = 0;
  if (code == kPowGeneral && pow4Serves(e))
    for (; j + 4 <= n; j += 4) store4(out + j, pow4(load4(x + j), e));
  for (; j < n; j++) out[j] = betaPowBy(x[j], e, code);
}

/**
 * `betaTermsRow` for a CSR row (stored entries p in [start, end): columns idx[p], values val[p],
 * columns sorted), entries [j0, j1): on entry num[j] = (WH)_ij; on return den[j] = WHd^(β−1), +0
 * at stored NaN (missing), and num[j] = V_ij · WHs^(β−2) at stored V_ij > 0 (`betaSparseRow`'s
 * term: (r·r)·V for β = 0, else WHs^(β−2)·V, without the dense rows' den/WH shortcut), +0 at every
 * other column; every entry that is not > 0 set to +0. `stash`: the row's stored entries in range.
 */
static void betaTermsCsrRow(const int32_t* idx, const double* val, size_t start, size_t end, const BetaExponents& e,
                            size_t j0, size_t j1, double* num, double* den, double* stash) {
  const bool clampDen = e.beta < 1, clampNum = e.beta < 2;
  size_t j = j0;
  if (e.codeDen == kPowGeneral && pow4Serves(e.eDen)) {
    const v4d eps = splat4(EPS32), zero = splat4(0);
    for (; j + 4 <= j1; j += 4) {
      const v4d wh = load4(num + j);
      store4(den + j, pow4(clampDen ? select4(wh == zero, eps, wh) : wh, e.eDen));
    }
  }
  for (; j < j1; j++) den[j] = betaPowBy(clampDen && num[j] == 0 ? EPS32 : num[j], e.eDen, e.codeDen);
  // The stored entries in [j0, j1): their terms from WH first, then num is cleared and they are
  // placed (a later duplicate column overwrites an earlier one, as in the scalar code).
  const size_t pa = (size_t)(std::lower_bound(idx + start, idx + end, (int32_t)j0) - idx);
  const size_t pb = (size_t)(std::lower_bound(idx + pa, idx + end, (int32_t)j1) - idx);
  for (size_t p = pa; p < pb; p++) {
    const size_t c = (size_t)idx[p];
    const double v = val[p];
    if (v != v) den[c] = 0;
    double q = 0;
    if (v > 0) {
      const double wh = num[c];
      const double whs = clampNum && wh == 0 ? EPS32 : wh;
      if (e.beta == 0) {
        const double r = 1 / whs;
        q = r * r * v;
      } else {
        q = betaPowBy(whs, e.eNum, e.codeNum) * v;
      }
    }
    stash[p - pa] = q > 0 ? q : 0;
  }
  for (j = j0; j < j1; j++) {
    num[j] = 0;
    if (!(den[j] > 0)) den[j] = 0;
  }
  for (size_t p = pa; p < pb; p++) num[idx[p]] = stash[p - pa];
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
 * order (`accumulateRow`). V: dense (m × n) when `indptr` is null, else CSR V's values with its
 * indptr and indices. h: H (k × n); htp: Ht padded to kp columns (zeros). `scratch`: 10n + 4kp
 * doubles.
 */
static void betaRowSide(const double* V, const int32_t* indptr, const int32_t* indices, size_t n, int k,
                        const double* W, const double* h, const double* htp, int kp, const BetaExponents& e, size_t i0,
                        size_t i1, double* numOut, double* denOut, double* scratch) {
  double* zeros = scratch + 8 * n;
  double* stash = scratch + 9 * n;
  double* tmp = scratch + 10 * n;
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
        if (indptr == nullptr)
          betaTermsRow(V + (i + q) * n, e, 0, n, num, den);
        else
          betaTermsCsrRow(indices, V, (size_t)indptr[i + q], (size_t)indptr[i + q + 1], e, 0, n, num, den, stash);
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
 * out. V as `betaRowSide`'s. `scratch`: 10n + 4kp + 2(j1 − j0)·kp doubles.
 */
static void betaColumnSide(const double* V, const int32_t* indptr, const int32_t* indices, size_t m, size_t n, int k,
                           const double* W, const double* h, int kp, const BetaExponents& e, size_t j0, size_t j1,
                           double* numOut, double* denOut, double* scratch) {
  double* zeros = scratch + 8 * n;
  double* stash = scratch + 9 * n;
  double* wpad = scratch + 10 * n;
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
        if (indptr == nullptr)
          betaTermsRow(V + (i + q) * n, e, j0, j1, num, den);
        else
          betaTermsCsrRow(indices, V, (size_t)indptr[i + q], (size_t)indptr[i + q + 1], e, j0, j1, num, den, stash);
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

/**
 * The sums of the β = 0 and general-β losses on dense V (`NmfKernels.betaLossSums`), each one
 * running sum over the observed entries in row-major order, as the scalar loop adds them (one
 * thread: contract.ts, rule 4): sums[0] = Σ V/WHs (β = 0) or Σ V^β, sums[1] = Σ log(V/WHs) or
 * Σ V·WHs^(β−1), both over V > EPS32, and sums[2] = Σ WH^β (0 for β = 0). Logs are fdlibm's and
 * powers `powBy`'s (fdlibm's pow), as JavaScript's. h: H (k × n); `row`: 6n doubles.
 */
static void betaLossSums(const double* V, size_t m, size_t n, int k, const double* W, const double* h,
                         const BetaExponents& e, int codeBeta, double* sums, double* row) {
  double keptA = 0, keptB = 0, all = 0;
  for (size_t i = 0; i < m; i++) {
    whRange(W + i * k, h, n, k, 0, n, row);
    const double* vi = V + i * n;
    if (e.beta == 0) {
      // The ratios and their logs four lanes at a time (`logMain`, losses.inl: fdlibm's log, the
      // lanes off its main path by the scalar function; 1.5 in the lanes not kept), then the two
      // sums in column order. NaN (missing) and V ≤ EPS32 add nothing when β = 0.
      double* ratios = row + n;
      double* logs = row + 2 * n;
      const v4d eps = splat4(EPS32), zero = splat4(0), placeholder = splat4(1.5);
      size_t j = 0;
      for (; j + 4 <= n; j += 4) {
        const v4d v = load4(vi + j), wh = load4(row + j);
        const v4d ratio = v / select4(wh == zero, eps, wh);
        store4(ratios + j, ratio);
        store4(logs + j, logMain(select4(v > eps, ratio, placeholder)));
      }
      for (; j < n; j++) {
        ratios[j] = vi[j] / (row[j] == 0 ? EPS32 : row[j]);
        logs[j] = vi[j] > EPS32 ? fdlibmLog(ratios[j]) : 0;
      }
      for (j = 0; j < n; j++) {
        if (!(vi[j] > EPS32)) continue;
        keptA += ratios[j];
        keptB += logs[j];
      }
      continue;
    }
    // The powers of the row first (V^β where V > EPS32, 2 elsewhere: not used; WHs^(β−1); WH^β),
    // then the three sums in column order.
    double* vIn = row + n;
    double* whs = row + 2 * n;
    double* vPow = row + 3 * n;
    double* whsPow = row + 4 * n;
    double* whPow = row + 5 * n;
    for (size_t j = 0; j < n; j++) {
      vIn[j] = vi[j] > EPS32 ? vi[j] : 2;
      whs[j] = row[j] == 0 ? EPS32 : row[j];
    }
    powRow(vIn, n, e.beta, codeBeta, vPow);
    powRow(whs, n, e.eDen, e.codeDen, whsPow);
    powRow(row, n, e.beta, codeBeta, whPow);
    for (size_t j = 0; j < n; j++) {
      const double v = vi[j];
      if (v != v) continue;
      if (v > EPS32) {
        keptA += vPow[j];
        keptB += v * whsPow[j];
      }
      all += whPow[j];
    }
  }
  sums[0] = keptA;
  sums[1] = keptB;
  sums[2] = all;
}
