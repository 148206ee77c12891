// Per-row KL and Frobenius losses with fdlibm's log on four lanes, eight in the AVX-512 build (the
// scalar counterpart: src/shared/nmf/kernels/scalar/losses.ts).
// Part of kernels.inl: included inside namespace NMF_KERNEL_NS once per instruction set.

/** Whether any lane of a comparison's mask is set. */
static inline bool anyLane(v4l mask) { return (mask[0] | mask[1] | mask[2] | mask[3]) != 0; }

/**
 * (double)k in every lane for |k| < 2^51: the bits of 2^52 + 2^51 + k, less 2^52 + 2^51, which is
 * exact, so the same double as the conversion. Without AVX-512DQ there is no instruction
 * converting 64-bit integer lanes, and the compiler converted lane by lane through the scalar
 * unit (four extractions and conversions per logarithm).
 */
template <class D, class L>
static inline D smallIntegersToDouble(L k) {
  return reinterpret_cast<D>(k + 0x4338000000000000LL) - 6755399441055744.0;
}

/**
 * fdlibm's log (see fdlibmLog in fdlibm_log.h) on N lanes of D (L: its integer lanes),
 * operation for operation, for positive normal finite x outside the |x/2^k − 1| < 2^−20 window;
 * a group with any other lane is done lane by lane by fdlibmLog, so every lane gets exactly its
 * bits. `Any` tells whether a mask has a lane set.
 */
template <class D, class L, int N, bool (*Any)(L)>
__attribute__((always_inline)) static inline D logLanes(D x) {
  const L bits = reinterpret_cast<L>(x);
  L hx = bits >> 32;
  L special = (hx < 0x00100000) | (hx >= 0x7ff00000);
  L k = (hx >> 20) - 1023;
  hx &= 0x000fffff;
  const L i = (hx + 0x95f64) & 0x100000;
  const L normalised = ((hx | (i ^ 0x3ff00000)) << 32) | (bits & 0xffffffffLL);
  k += i >> 20;
  const D f = reinterpret_cast<D>(normalised) - 1.0;
  special |= (0x000fffff & (2 + hx)) < 3;
  if (Any(special)) {
    D out;
    for (int lane = 0; lane < N; lane++) out[lane] = fdlibmLog(x[lane]);
    return out;
  }
  const double ln2Hi = 6.93147180369123816490e-01, ln2Lo = 1.90821492927058770002e-10, Lg1 = 6.666666666666735130e-01,
               Lg2 = 3.999999999940941908e-01, Lg3 = 2.857142874366239149e-01, Lg4 = 2.222219843214978396e-01,
               Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01, Lg7 = 1.479819860511658591e-01;
  const D s = f / (2.0 + f);
  const D dk = smallIntegersToDouble<D>(k);
  const D z = s * s;
  L i2 = hx - 0x6147a;
  const D w = z * z;
  const L j = 0x6b851 - hx;
  const D t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
  const D t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
  i2 |= j;
  const D r = t2 + t1;
  const D hfsq = 0.5 * f * f;
  const L kZero = k == 0;
  const auto pick = [](L mask, D a, D b) {
    return reinterpret_cast<D>((mask & reinterpret_cast<L>(a)) | (~mask & reinterpret_cast<L>(b)));
  };
  const D withHfsq =
      pick(kZero, f - (hfsq - s * (hfsq + r)), dk * ln2Hi - ((hfsq - (s * (hfsq + r) + dk * ln2Lo)) - f));
  const D without = pick(kZero, f - s * (f - r), dk * ln2Hi - ((s * (f - r) - dk * ln2Lo) - f));
  return pick(i2 > 0, withHfsq, without);
}

/**
 * fdlibm's log on four lanes (logLanes). Always inlined: called from several loops, it would
 * otherwise become a call with its vectors passed through memory (the KL loss pass measured 35 %
 * slower).
 */
__attribute__((always_inline)) static inline v4d logMain(v4d x) { return logLanes<v4d, v4l, 4, anyLane>(x); }

#if defined(NMF_WIDE_BYTES) && NMF_WIDE_BYTES == 64
/** Whether any of eight lanes is set (the two halves or-ed, then four lanes). */
static inline bool anyLane8(vwl mask) {
  const v4l low = __builtin_shufflevector(mask, mask, 0, 1, 2, 3),
            high = __builtin_shufflevector(mask, mask, 4, 5, 6, 7);
  return anyLane(low | high);
}

/**
 * fdlibm's log on eight lanes (logLanes on 512-bit vectors, AVX-512 build only): each lane the
 * operations of logMain, so the same bits, at twice the lanes per instruction on CPUs with
 * full-width 512-bit units.
 */
__attribute__((always_inline)) static inline vw logMain8(vw x) { return logLanes<vw, vwl, 8, anyLane8>(x); }
#endif

#if defined(NMF_WIDE_BYTES) && NMF_WIDE_BYTES == 64
/**
 * whRow (rows.inl) on 512-bit vectors, 32 entries a step: each entry the same sum as wh16 forms it
 * ((((w0·h0 + w1·h1) + w2·h2) + w3·h3) per block of four components, added to the running sum
 * block by block, the components past the last block one at a time), so the same bits; the entries
 * past the last step as whRow computes them.
 */
static void lossWhRow(const double* wi, const double* h, size_t n, int k, double* out) {
  size_t j = 0;
  for (; j + 4 * kWide <= n; j += 4 * kWide) {
    vw a[4];
#pragma GCC unroll 4
    for (int b = 0; b < 4; b++) a[b] = splatw(0);
    int t = 0;
    for (; t + 4 <= k; t += 4) {
      const double* h0 = h + (size_t)t * n + j;
      const vw w0 = splatw(wi[t]), w1 = splatw(wi[t + 1]), w2 = splatw(wi[t + 2]), w3 = splatw(wi[t + 3]);
#pragma GCC unroll 4
      for (int b = 0; b < 4; b++) {
        const double* hb = h0 + b * kWide;
        vw s = w0 * loadw(hb) + w1 * loadw(hb + n);
        s = s + w2 * loadw(hb + 2 * n);
        s = s + w3 * loadw(hb + 3 * n);
        a[b] = a[b] + s;
      }
    }
    for (; t < k; t++) {
      const double* h0 = h + (size_t)t * n + j;
      const vw w0 = splatw(wi[t]);
#pragma GCC unroll 4
      for (int b = 0; b < 4; b++) a[b] = a[b] + w0 * loadw(h0 + b * kWide);
    }
#pragma GCC unroll 4
    for (int b = 0; b < 4; b++) storew(out + j + b * kWide, a[b]);
  }
  for (; j + 4 <= n; j += 4) store4(out + j, wh4(wi, h, n, k, j));
  for (; j < n; j++) out[j] = wh1(wi, h, n, k, j);
}
#else
/** whRow (rows.inl): the baseline and AVX2 builds keep its four-lane loop. */
static inline void lossWhRow(const double* wi, const double* h, size_t n, int k, double* out) {
  whRow(wi, h, n, k, out);
}
#endif

/** Lanczos approximation (g = 7, 9 terms) of log Γ(x), as `lanczos` in src/shared/linalg/random.ts. */
static double lanczosLogGamma(double x) {
  static const double lanczos[9] = {0.99999999999980993,  676.5203681218851,     -1259.1392167224028,
                                    771.32342877765313,   -176.61502916214059,   12.507343278686905,
                                    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7};
  const double z = x - 1;
  double sum = lanczos[0];
  for (int j = 1; j < 9; j++) sum += lanczos[j] / (z + j);
  const double t = z + 7.5;
  return 0.5 * fdlibmLog(2 * 3.141592653589793) + (z + 0.5) * fdlibmLog(t) - t + fdlibmLog(sum);
}

/** Integers below this have their log Γ memoised per thread, as logGamma memoises them. */
static const size_t kLogGammaMemoSize = 65536;

/**
 * This thread's memo of log Γ at the integers below kLogGammaMemoSize (512 KB, kept for the
 * thread's life): 1 … 171 from the running sums log 1 + … + log(x − 1) at once (fdlibm's log,
 * summed in logGamma's order), the others from lanczosLogGamma when first asked (NaN until then).
 * Counts repeat, and most large tables hold counts above 171: without it each entry costs three
 * logarithms and eight divisions.
 */
static double* logGammaMemo() {
  thread_local std::vector<double> memo;
  if (memo.empty()) {
    memo.assign(kLogGammaMemoSize, std::numeric_limits<double>::quiet_NaN());
    double sum = 0;
    memo[1] = 0;
    for (int j = 1; j < 171; j++) memo[j + 1] = sum = sum + fdlibmLog((double)j);
  }
  return memo.data();
}

/**
 * log Γ(x) for x > 1 with the bits of logGamma in src/shared/linalg/random.ts: integers from the
 * memo (logGammaMemo()), others by the same Lanczos approximation.
 */
static inline double logGammaAbove1(double x, double* memo) {
  if (x < (double)kLogGammaMemoSize) {
    const int64_t whole = (int64_t)x;
    if ((double)whole == x) {
      double& slot = memo[whole];
      if (slot != slot) slot = lanczosLogGamma(x);
      return slot;
    }
  }
  return lanczosLogGamma(x);
}

#if defined(NMF_WIDE_BYTES) && NMF_WIDE_BYTES == 64
/**
 * Eight entries' KL terms (rowLosses' kind 1): V·log(V / WHs) where V > EPS32, else +0, and in
 * `kept` V where V > EPS32, else +0 (entries left out take the ratio 1.5, on the log's main path).
 */
__attribute__((always_inline)) static inline vw klTerms8(vw v, vw wh, vw* kept) {
  const vw eps = splatw(EPS32), zero = splatw(0);
  const vwl keep = v > eps;  // false for NaN
  *kept = selectw(keep, v, zero);
  return selectw(keep, v * logMain8(selectw(keep, v / selectw(wh == zero, eps, wh), splatw(1.5))), zero);
}

/**
 * Eight entries' log-likelihood terms: V·log(WH) − log Γ(V + 1) where V > 0, else +0 (a +0 term
 * changes no sum here: the sums start at +0 and are never −0). V·log(WH) on the lanes, each lane's
 * product rounded as the scalar one. log Γ(V + 1) from the memo without a branch a lane: x = V + 1
 * is a whole number below the memo's size where x + 2^52 − 2^52 == x (the addition rounds x to a
 * whole number), and then the low bits of x + 2^52 are x. Other lanes read memo[0], which is never
 * filled (NaN), as is a slot not yet computed: those lanes (non-integer V, large counts, a count's
 * first time) go through logGammaAbove1, which fills the memo.
 */
__attribute__((always_inline)) static inline vw logLikTerms8(vw v, vw wh, double* memo) {
  const vw zero = splatw(0);
  const vwl positive = v > zero;  // false for NaN
  const vw vLogWh = v * logMain8(selectw(positive, wh, splatw(1.5)));
  const vw x = v + 1.0;
  const vw shifted = x + 4503599627370496.0;
  const vwl whole = ((shifted - 4503599627370496.0) == x) & (x < (double)kLogGammaMemoSize) & positive;
  const vwl index = whole & (reinterpret_cast<vwl>(shifted) - 0x4330000000000000LL);
  vw logGammas;
#pragma GCC unroll 8
  for (int lane = 0; lane < 8; lane++) logGammas[lane] = memo[index[lane]];
  const vwl missing = positive & (logGammas != logGammas);
  if (anyLane8(missing))
    for (int lane = 0; lane < 8; lane++)
      if (missing[lane]) logGammas[lane] = logGammaAbove1(x[lane], memo);
  return selectw(positive, vLogWh - logGammas, zero);
}
#endif

/**
 * Rows [i0, i1) of the KL loss (when WithKl) and of the Poisson log-likelihood in one read of V
 * and WH: sums[3i], sums[3i + 1] as rowLosses' kind 1 (0 without WithKl) and
 * sums[3i + 2] = Σ_{V > 0} (V·log(WH) − log Γ(V + 1)), each added as one term in j order (the
 * scalar counterpart: rowLossesOver in src/shared/nmf/kernels/scalar/losses.ts). WH = 0 under
 * V > 0 gives −Infinity, as Math.log(0) does. The −Σ WH of the log-likelihood is the caller's
 * (from column sums of W and Ht, as for the KL loss).
 */
template <bool WithKl>
__attribute__((noinline, flatten)) static void rowKlLogLik(const double* V, size_t n, int k, const double* W,
                                                           const double* h, size_t i0, size_t i1, double* sums,
                                                           double* scratch) {
  const v4d eps = splat4(EPS32), zero = splat4(0), placeholder = splat4(1.5);
  double* memo = logGammaMemo();
  for (size_t i = i0; i < i1; i++) {
    lossWhRow(W + i * k, h, n, k, scratch);
    const double* vi = V + i * n;
    double a = 0, b = 0, c = 0;
    size_t j = 0;
#if defined(NMF_WIDE_BYTES) && NMF_WIDE_BYTES == 64
    // AVX-512: eight lanes a group (logMain8), two groups a step so that more logarithm chains
    // are in flight; the sums still take the terms one at a time in j order.
    for (; j + 16 <= n; j += 16) {
      const vw v0 = loadw(vi + j), v1 = loadw(vi + j + 8);
      const vw wh0 = loadw(scratch + j), wh1 = loadw(scratch + j + 8);
      vw t0, t1, u0, u1;
      if (WithKl) {
        t0 = klTerms8(v0, wh0, &u0);
        t1 = klTerms8(v1, wh1, &u1);
      }
      const vw c0 = logLikTerms8(v0, wh0, memo), c1 = logLikTerms8(v1, wh1, memo);
      if (WithKl) {
#pragma GCC unroll 8
        for (int lane = 0; lane < 8; lane++) a += t0[lane];
#pragma GCC unroll 8
        for (int lane = 0; lane < 8; lane++) a += t1[lane];
#pragma GCC unroll 8
        for (int lane = 0; lane < 8; lane++) b += u0[lane];
#pragma GCC unroll 8
        for (int lane = 0; lane < 8; lane++) b += u1[lane];
      }
#pragma GCC unroll 8
      for (int lane = 0; lane < 8; lane++) c += c0[lane];
#pragma GCC unroll 8
      for (int lane = 0; lane < 8; lane++) c += c1[lane];
    }
    for (; j + 8 <= n; j += 8) {
      const vw v = loadw(vi + j);
      const vw wh = loadw(scratch + j);
      if (WithKl) {
        vw u;
        const vw t = klTerms8(v, wh, &u);
#pragma GCC unroll 8
        for (int lane = 0; lane < 8; lane++) a += t[lane];
#pragma GCC unroll 8
        for (int lane = 0; lane < 8; lane++) b += u[lane];
      }
      const vw terms = logLikTerms8(v, wh, memo);
#pragma GCC unroll 8
      for (int lane = 0; lane < 8; lane++) c += terms[lane];
    }
#endif
    for (; j + 4 <= n; j += 4) {
      const v4d v = load4(vi + j);
      const v4d wh = load4(scratch + j);
      if (WithKl) {
        const v4l keep = v > eps;  // false for NaN
        // As in rowLosses: entries left out get the ratio 1.5 and a +0 term.
        const v4d terms = v * logMain(select4(keep, v / select4(wh == zero, eps, wh), placeholder));
        const v4d t = select4(keep, terms, zero);
        const v4d u = select4(keep, v, zero);
        a += t[0];
        a += t[1];
        a += t[2];
        a += t[3];
        b += u[0];
        b += u[1];
        b += u[2];
        b += u[3];
      }
      const v4l positive = v > zero;  // false for NaN
      // Entries left out take the log of 1.5 (the main path), and add nothing.
      const v4d logWh = logMain(select4(positive, wh, placeholder));
      for (int lane = 0; lane < 4; lane++)
        if (positive[lane]) c += v[lane] * logWh[lane] - logGammaAbove1(v[lane] + 1, memo);
    }
    for (; j < n; j++) {
      const double v = vi[j];
      const double wh = scratch[j];
      if (WithKl && v > EPS32) {
        a += v * fdlibmLog(v / (wh == 0 ? EPS32 : wh));
        b += v;
      }
      if (v > 0) c += v * fdlibmLog(wh) - logGammaAbove1(v + 1, memo);
    }
    sums[3 * i] = a;
    sums[3 * i + 1] = b;
    sums[3 * i + 2] = c;
  }
}

/**
 * Per-row sums of a loss over rows [i0, i1), in j order (NaN entries of V skipped):
 *   kind 1 (KL): sums[2i] = Σ_{V > EPS32} V·log(V / WHs), sums[2i + 1] = Σ_{V > EPS32} V, with
 *                WHs = WH, or EPS32 where WH is exactly 0 (scikit-learn's `_beta_divergence`);
 *   kind 2 (Frobenius): sums[2i] = Σ (V − WH)², sums[2i + 1] = 0;
 *   kind 3 (KL and Poisson log-likelihood, 3 sums a row): sums[3i], sums[3i + 1] as kind 1's, and
 *                sums[3i + 2] = Σ_{V > 0} (V·log(WH) − log Γ(V + 1)) (see rowKlLogLik);
 *   kind 4 (log-likelihood only): kind 3 with sums[3i] = sums[3i + 1] = 0.
 * `log` is fdlibm's, as JavaScript's Math.log, so the sums have the bits of the JavaScript loop.
 * `scratch`: n doubles.
 */
__attribute__((flatten)) static void rowLosses(int kind, const double* V, size_t n, int k, const double* W,
                                               const double* h, size_t i0, size_t i1, double* sums, double* scratch) {
  if (kind == 3 || kind == 4) {
    if (kind == 3)
      rowKlLogLik<true>(V, n, k, W, h, i0, i1, sums, scratch);
    else
      rowKlLogLik<false>(V, n, k, W, h, i0, i1, sums, scratch);
    return;
  }
  for (size_t i = i0; i < i1; i++) {
    lossWhRow(W + i * k, h, n, k, scratch);
    const double* vi = V + i * n;
    double a = 0, b = 0;
    if (kind == 1) {
      const v4d eps = splat4(EPS32), zero = splat4(0), placeholder = splat4(1.5);
      size_t j = 0;
#if defined(NMF_WIDE_BYTES) && NMF_WIDE_BYTES == 64
      // AVX-512: the same two chains on eight lanes each (logMain8), sixteen entries a step.
      const vw epsW = splatw(EPS32), zeroW = splatw(0), placeholderW = splatw(1.5);
      for (; j + 16 <= n; j += 16) {
        const vw v0 = loadw(vi + j), v1 = loadw(vi + j + 8);
        const vwl keep0 = v0 > epsW, keep1 = v1 > epsW;  // false for NaN
        const vw wh0 = loadw(scratch + j), wh1 = loadw(scratch + j + 8);
        const vw ratio0 = selectw(keep0, v0 / selectw(wh0 == zeroW, epsW, wh0), placeholderW);
        const vw ratio1 = selectw(keep1, v1 / selectw(wh1 == zeroW, epsW, wh1), placeholderW);
        const vw t0 = selectw(keep0, v0 * logMain8(ratio0), zeroW);
        const vw t1 = selectw(keep1, v1 * logMain8(ratio1), zeroW);
        const vw u0 = selectw(keep0, v0, zeroW);
        const vw u1 = selectw(keep1, v1, zeroW);
#pragma GCC unroll 8
        for (int lane = 0; lane < 8; lane++) a += t0[lane];
#pragma GCC unroll 8
        for (int lane = 0; lane < 8; lane++) a += t1[lane];
#pragma GCC unroll 8
        for (int lane = 0; lane < 8; lane++) b += u0[lane];
#pragma GCC unroll 8
        for (int lane = 0; lane < 8; lane++) b += u1[lane];
      }
#endif
      // Two groups of four a step: the logarithm is a long chain of dependent operations, and with
      // one group in flight the core waits on it; two independent chains fill the wait. The sums
      // still take the terms one at a time in j order.
      for (; j + 8 <= n; j += 8) {
        const v4d v0 = load4(vi + j), v1 = load4(vi + j + 4);
        const v4l keep0 = v0 > eps, keep1 = v1 > eps;  // false for NaN
        const v4d wh0 = load4(scratch + j), wh1 = load4(scratch + j + 4);
        const v4d ratio0 = select4(keep0, v0 / select4(wh0 == zero, eps, wh0), placeholder);
        const v4d ratio1 = select4(keep1, v1 / select4(wh1 == zero, eps, wh1), placeholder);
        const v4d t0 = select4(keep0, v0 * logMain(ratio0), zero);
        const v4d t1 = select4(keep1, v1 * logMain(ratio1), zero);
        const v4d u0 = select4(keep0, v0, zero);
        const v4d u1 = select4(keep1, v1, zero);
        a += t0[0];
        a += t0[1];
        a += t0[2];
        a += t0[3];
        a += t1[0];
        a += t1[1];
        a += t1[2];
        a += t1[3];
        b += u0[0];
        b += u0[1];
        b += u0[2];
        b += u0[3];
        b += u1[0];
        b += u1[1];
        b += u1[2];
        b += u1[3];
      }
      for (; j + 4 <= n; j += 4) {
        const v4d v = load4(vi + j);
        const v4l keep = v > eps;  // false for NaN
        const v4d wh = load4(scratch + j);
        // Entries left out get the ratio 1.5, a value on the log's main path (2 is not: its f is 0); their terms are
        // replaced by +0, which adds nothing (the sums are never −0).
        const v4d ratio = select4(keep, v / select4(wh == zero, eps, wh), placeholder);
        const v4d terms = v * logMain(ratio);
        const v4d t = select4(keep, terms, zero);
        const v4d u = select4(keep, v, zero);
        a += t[0];
        a += t[1];
        a += t[2];
        a += t[3];
        b += u[0];
        b += u[1];
        b += u[2];
        b += u[3];
      }
      for (; j < n; j++) {
        const double v = vi[j];
        if (!(v > EPS32)) continue;
        const double wh = scratch[j];
        a += v * fdlibmLog(v / (wh == 0 ? EPS32 : wh));
        b += v;
      }
    } else {
      for (size_t j = 0; j < n; j++) {
        const double v = vi[j];
        if (v != v) continue;
        const double r = v - scratch[j];
        a += r * r;
      }
    }
    sums[2 * i] = a;
    sums[2 * i + 1] = b;
  }
}
