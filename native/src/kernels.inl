// The dense kernels' bodies. Included three times by cpu_dispatch.h: for the baseline instruction
// set and, on x86-64, under `target("avx2")` and `target("avx2,avx512f,avx512vl")`, so that one
// binary runs everywhere and uses 256-bit vectors where the CPU has them (dispatch at load time).
//
// Same bits as the scalar reference (src/shared/nmf/kernels/scalar/) and the WebAssembly kernels,
// by the bit rules of src/shared/nmf/kernels/contract.ts. What they mean here: coefficients the
// scalar code skips (not > 0) are set to +0 before use, and there is no fused multiply-add (the
// build passes -ffp-contract=off and no target enables FMA).
//
// Shapes (row-major float64): V m × n, W m × k, H k × n, Ht n × k.

namespace NMF_KERNEL_NS {

typedef double v4d __attribute__((vector_size(32)));
typedef double v4du __attribute__((vector_size(32), aligned(8)));
typedef long long v4l __attribute__((vector_size(32)));

static inline v4d load4(const double* p) { return *reinterpret_cast<const v4du*>(p); }
static inline void store4(double* p, v4d x) { *reinterpret_cast<v4du*>(p) = x; }
static inline v4d splat4(double x) { return v4d{x, x, x, x}; }
/** a where mask is all ones, else b (mask from a vector comparison). */
static inline v4d select4(v4l mask, v4d a, v4d b) {
  return reinterpret_cast<v4d>((mask & reinterpret_cast<v4l>(a)) | (~mask & reinterpret_cast<v4l>(b)));
}
static inline double positive(double x) { return x > 0 ? x : 0.0; }

/**
 * Entries j .. j+15 of row i of WH into s[0..3], grouped as everywhere: (((w0·h0 + w1·h1) + w2·h2)
 * + w3·h3) per block of four components, added to the running sum block by block, as
 * `rowProducts` does. `wi`: row i of W; h: H (k × n). The four-wide and scalar versions below give
 * the same bits per entry.
 */
static inline void wh16(const double* wi, const double* h, size_t n, int k, size_t j, v4d s[4]) {
  v4d a = splat4(0), b = a, c = a, d = a;
  int t = 0;
  for (; t + 4 <= k; t += 4) {
    const double* h0 = h + (size_t)t * n + j;
    const double* h1 = h0 + n;
    const double* h2 = h1 + n;
    const double* h3 = h2 + n;
    const v4d w0 = splat4(wi[t]), w1 = splat4(wi[t + 1]), w2 = splat4(wi[t + 2]), w3 = splat4(wi[t + 3]);
    v4d sa = w0 * load4(h0) + w1 * load4(h1);
    v4d sb = w0 * load4(h0 + 4) + w1 * load4(h1 + 4);
    v4d sc = w0 * load4(h0 + 8) + w1 * load4(h1 + 8);
    v4d sd = w0 * load4(h0 + 12) + w1 * load4(h1 + 12);
    sa = sa + w2 * load4(h2);
    sb = sb + w2 * load4(h2 + 4);
    sc = sc + w2 * load4(h2 + 8);
    sd = sd + w2 * load4(h2 + 12);
    sa = sa + w3 * load4(h3);
    sb = sb + w3 * load4(h3 + 4);
    sc = sc + w3 * load4(h3 + 8);
    sd = sd + w3 * load4(h3 + 12);
    a = a + sa;
    b = b + sb;
    c = c + sc;
    d = d + sd;
  }
  for (; t < k; t++) {
    const double* h0 = h + (size_t)t * n + j;
    const v4d w0 = splat4(wi[t]);
    a = a + w0 * load4(h0);
    b = b + w0 * load4(h0 + 4);
    c = c + w0 * load4(h0 + 8);
    d = d + w0 * load4(h0 + 12);
  }
  s[0] = a;
  s[1] = b;
  s[2] = c;
  s[3] = d;
}

/** Entries j .. j+3 of row i of WH (see wh16). */
static inline v4d wh4(const double* wi, const double* h, size_t n, int k, size_t j) {
  v4d a = splat4(0);
  int t = 0;
  for (; t + 4 <= k; t += 4) {
    const double* h0 = h + (size_t)t * n + j;
    v4d sa = splat4(wi[t]) * load4(h0) + splat4(wi[t + 1]) * load4(h0 + n);
    sa = sa + splat4(wi[t + 2]) * load4(h0 + 2 * n);
    sa = sa + splat4(wi[t + 3]) * load4(h0 + 3 * n);
    a = a + sa;
  }
  for (; t < k; t++) a = a + splat4(wi[t]) * load4(h + (size_t)t * n + j);
  return a;
}

/** Entry j of row i of WH (see wh16). */
static inline double wh1(const double* wi, const double* h, size_t n, int k, size_t j) {
  double s = 0;
  int t = 0;
  for (; t + 4 <= k; t += 4) {
    const double* h0 = h + (size_t)t * n + j;
    s += wi[t] * h0[0] + wi[t + 1] * h0[n] + wi[t + 2] * h0[2 * n] + wi[t + 3] * h0[3 * n];
  }
  for (; t < k; t++) s += wi[t] * h[(size_t)t * n + j];
  return s;
}

/** out[j] = (W_i · H)_j for j < n (the losses' rows of WH). */
static void whRow(const double* wi, const double* h, size_t n, int k, double* out) {
  size_t j = 0;
  for (; j + 16 <= n; j += 16) {
    v4d s[4];
    wh16(wi, h, n, k, j, s);
    for (int q = 0; q < 4; q++) store4(out + j + 4 * q, s[q]);
  }
  for (; j + 4 <= n; j += 4) store4(out + j, wh4(wi, h, n, k, j));
  for (; j < n; j++) out[j] = wh1(wi, h, n, k, j);
}

/**
 * out[j] for j in [j0, j1): V_ij / (W_i · H)_j where V_ij > 0 (a product of exactly 0 becomes
 * EPS32, scikit-learn's WH_safe), else 0. With `ratio` false: out[j] = V_ij if V_ij > 0, else 0
 * (the coefficients of V·F and Vᵀ·W). `vi`, `wi`: row i of V and of W; h: H (k × n). The ratio is
 * taken while the products are still in registers (a second pass over the row measured 20–30 %
 * slower on the KL fit).
 */
static void coefficientRow(const double* vi, const double* wi, const double* h, size_t n, int k, size_t j0, size_t j1,
                           bool ratio, double* out) {
  const v4d zero = splat4(0);
  size_t j = j0;
  if (!ratio) {
    for (; j + 4 <= j1; j += 4) {
      v4d v = load4(vi + j);
      store4(out + j, select4(v > zero, v, zero));
    }
    for (; j < j1; j++) out[j] = positive(vi[j]);
    return;
  }
  const v4d eps = splat4(EPS32);
  for (; j + 16 <= j1; j += 16) {
    v4d s[4];
    wh16(wi, h, n, k, j, s);
    for (int q = 0; q < 4; q++) {
      const v4d v = load4(vi + j + 4 * q);
      store4(out + j + 4 * q, select4(v > zero, v / select4(s[q] == zero, eps, s[q]), zero));
    }
  }
  for (; j + 4 <= j1; j += 4) {
    const v4d s = wh4(wi, h, n, k, j);
    const v4d v = load4(vi + j);
    store4(out + j, select4(v > zero, v / select4(s == zero, eps, s), zero));
  }
  for (; j < j1; j++) {
    const double s = wh1(wi, h, n, k, j);
    const double v = vi[j];
    out[j] = v > 0 ? v / (s == 0 ? EPS32 : s) : 0;
  }
}

/**
 * tmp_q (kp) = Σ_j c_q[j] · F_j· for the four coefficient rows c_0..c_3 (each n long; F: n × kp,
 * kp a multiple of 4, its padding columns zero). Each load of F feeds four rows; every sum runs in
 * j order. Outputs overwritten.
 */
static void accumulate4(const double* const c[4], size_t n, const double* f, int kp, double* tmp) {
  const size_t stride = (size_t)kp;
  int t = 0;
  // Twelve components (k = 9..12 in one pass over F): 12 accumulators, 3 loads of F, 4 broadcasts.
  for (; t + 12 <= kp; t += 12) {
    v4d a0 = splat4(0), a1 = a0, a2 = a0, b0 = a0, b1 = a0, b2 = a0;
    v4d c0 = a0, c1 = a0, c2 = a0, d0 = a0, d1 = a0, d2 = a0;
    const double* fj = f + t;
    for (size_t j = 0; j < n; j++, fj += stride) {
      const v4d f0 = load4(fj), f1 = load4(fj + 4), f2 = load4(fj + 8);
      v4d u = splat4(c[0][j]);
      a0 = a0 + u * f0;
      a1 = a1 + u * f1;
      a2 = a2 + u * f2;
      u = splat4(c[1][j]);
      b0 = b0 + u * f0;
      b1 = b1 + u * f1;
      b2 = b2 + u * f2;
      u = splat4(c[2][j]);
      c0 = c0 + u * f0;
      c1 = c1 + u * f1;
      c2 = c2 + u * f2;
      u = splat4(c[3][j]);
      d0 = d0 + u * f0;
      d1 = d1 + u * f1;
      d2 = d2 + u * f2;
    }
    const v4d acc[12] = {a0, a1, a2, b0, b1, b2, c0, c1, c2, d0, d1, d2};
    for (int q = 0; q < 4; q++)
      for (int x = 0; x < 3; x++) store4(tmp + q * stride + t + 4 * x, acc[3 * q + x]);
  }
  for (; t + 8 <= kp; t += 8) {
    v4d a0 = splat4(0), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
    const double* fj = f + t;
    for (size_t j = 0; j < n; j++, fj += stride) {
      const v4d f0 = load4(fj), f1 = load4(fj + 4);
      const v4d u0 = splat4(c[0][j]), u1 = splat4(c[1][j]), u2 = splat4(c[2][j]), u3 = splat4(c[3][j]);
      a0 = a0 + u0 * f0;
      a1 = a1 + u0 * f1;
      b0 = b0 + u1 * f0;
      b1 = b1 + u1 * f1;
      c0 = c0 + u2 * f0;
      c1 = c1 + u2 * f1;
      d0 = d0 + u3 * f0;
      d1 = d1 + u3 * f1;
    }
    store4(tmp + t, a0);
    store4(tmp + t + 4, a1);
    store4(tmp + stride + t, b0);
    store4(tmp + stride + t + 4, b1);
    store4(tmp + 2 * stride + t, c0);
    store4(tmp + 2 * stride + t + 4, c1);
    store4(tmp + 3 * stride + t, d0);
    store4(tmp + 3 * stride + t + 4, d1);
  }
  for (; t < kp; t += 4) {
    v4d a0 = splat4(0), b0 = a0, c0 = a0, d0 = a0;
    const double* fj = f + t;
    for (size_t j = 0; j < n; j++, fj += stride) {
      const v4d f0 = load4(fj);
      a0 = a0 + splat4(c[0][j]) * f0;
      b0 = b0 + splat4(c[1][j]) * f0;
      c0 = c0 + splat4(c[2][j]) * f0;
      d0 = d0 + splat4(c[3][j]) * f0;
    }
    store4(tmp + t, a0);
    store4(tmp + stride + t, b0);
    store4(tmp + 2 * stride + t, c0);
    store4(tmp + 3 * stride + t, d0);
  }
}

/**
 * outp_(j−j0)· += c_0[j]·w_0 + c_1[j]·w_1 + c_2[j]·w_2 + c_3[j]·w_3, added one row after the other,
 * for j in [j0, j1) (outp: (j1 − j0) × kp; w: 4 × kp, padding zero). Each block of twelve, eight or
 * four components keeps the four rows of W in registers for the whole sweep over a tile of j.
 */
static void scatter4(const double* const c[4], size_t j0, size_t j1, const double* w, int kp, double* outp) {
  const size_t stride = (size_t)kp;
  // Columns in tiles whose slice of outp (and of the coefficient rows) stays in L1 across the
  // component blocks; each entry still receives the four rows in order.
  const size_t tile = 96;
  for (size_t ja = j0; ja < j1; ja += tile) {
    const size_t jb = j1 - ja < tile ? j1 : ja + tile;
    int t = 0;
    for (; t + 12 <= kp; t += 12) {
      const double* w0 = w + t;
      const double* w1 = w0 + stride;
      const double* w2 = w1 + stride;
      const double* w3 = w2 + stride;
      const v4d w00 = load4(w0), w01 = load4(w0 + 4), w02 = load4(w0 + 8);
      const v4d w10 = load4(w1), w11 = load4(w1 + 4), w12 = load4(w1 + 8);
      const v4d w20 = load4(w2), w21 = load4(w2 + 4), w22 = load4(w2 + 8);
      const v4d w30 = load4(w3), w31 = load4(w3 + 4), w32 = load4(w3 + 8);
      double* o = outp + (ja - j0) * stride + t;
      for (size_t j = ja; j < jb; j++, o += stride) {
        v4d x = load4(o), y = load4(o + 4), z = load4(o + 8);
        v4d u = splat4(c[0][j]);
        x = x + u * w00;
        y = y + u * w01;
        z = z + u * w02;
        u = splat4(c[1][j]);
        x = x + u * w10;
        y = y + u * w11;
        z = z + u * w12;
        u = splat4(c[2][j]);
        x = x + u * w20;
        y = y + u * w21;
        z = z + u * w22;
        u = splat4(c[3][j]);
        x = x + u * w30;
        y = y + u * w31;
        z = z + u * w32;
        store4(o, x);
        store4(o + 4, y);
        store4(o + 8, z);
      }
    }
    for (; t + 8 <= kp; t += 8) {
      const v4d w00 = load4(w + t), w01 = load4(w + t + 4);
      const v4d w10 = load4(w + stride + t), w11 = load4(w + stride + t + 4);
      const v4d w20 = load4(w + 2 * stride + t), w21 = load4(w + 2 * stride + t + 4);
      const v4d w30 = load4(w + 3 * stride + t), w31 = load4(w + 3 * stride + t + 4);
      double* o = outp + (ja - j0) * stride + t;
      for (size_t j = ja; j < jb; j++, o += stride) {
        const v4d u0 = splat4(c[0][j]), u1 = splat4(c[1][j]), u2 = splat4(c[2][j]), u3 = splat4(c[3][j]);
        v4d x = load4(o), y = load4(o + 4);
        x = x + u0 * w00;
        y = y + u0 * w01;
        x = x + u1 * w10;
        y = y + u1 * w11;
        x = x + u2 * w20;
        y = y + u2 * w21;
        x = x + u3 * w30;
        y = y + u3 * w31;
        store4(o, x);
        store4(o + 4, y);
      }
    }
    for (; t < kp; t += 4) {
      const v4d w0 = load4(w + t), w1 = load4(w + stride + t);
      const v4d w2 = load4(w + 2 * stride + t), w3 = load4(w + 3 * stride + t);
      double* o = outp + (ja - j0) * stride + t;
      for (size_t j = ja; j < jb; j++, o += stride) {
        v4d x = load4(o);
        x = x + splat4(c[0][j]) * w0;
        x = x + splat4(c[1][j]) * w1;
        x = x + splat4(c[2][j]) * w2;
        x = x + splat4(c[3][j]) * w3;
        store4(o, x);
      }
    }
  }
}

/**
 * Rows [i0, i1) of the W-side product: out_i· = c_i · Ht, where c_i is the KL ratio row (`ratio`)
 * or the positive part of V_i· (V·F). htp: Ht padded to kp columns (zeros). `scratch`: 5n + 4kp
 * doubles.
 */
static void rowSide(const double* V, size_t n, int k, const double* W, const double* h, const double* htp, int kp,
                    bool ratio, size_t i0, size_t i1, double* out, double* scratch) {
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
 * fdlibm's log (see fdlibmLog in kernels.cc) on four lanes, operation for operation, for positive
 * normal finite x outside the |x/2^k − 1| < 2^−20 window; a group with any other lane is done
 * lane by lane by fdlibmLog, so every lane gets exactly its bits.
 */
static inline v4d logMain(v4d x) {
  const v4l bits = reinterpret_cast<v4l>(x);
  v4l hx = bits >> 32;
  v4l special = (hx < 0x00100000) | (hx >= 0x7ff00000);
  v4l k = (hx >> 20) - 1023;
  hx &= 0x000fffff;
  const v4l i = (hx + 0x95f64) & 0x100000;
  const v4l normalised = ((hx | (i ^ 0x3ff00000)) << 32) | (bits & 0xffffffffLL);
  k += i >> 20;
  const v4d f = reinterpret_cast<v4d>(normalised) - 1.0;
  special |= (0x000fffff & (2 + hx)) < 3;
  if (special[0] | special[1] | special[2] | special[3])
    return v4d{fdlibmLog(x[0]), fdlibmLog(x[1]), fdlibmLog(x[2]), fdlibmLog(x[3])};
  const double ln2Hi = 6.93147180369123816490e-01, ln2Lo = 1.90821492927058770002e-10, Lg1 = 6.666666666666735130e-01,
               Lg2 = 3.999999999940941908e-01, Lg3 = 2.857142874366239149e-01, Lg4 = 2.222219843214978396e-01,
               Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01, Lg7 = 1.479819860511658591e-01;
  const v4d s = f / (2.0 + f);
  const v4d dk = __builtin_convertvector(k, v4d);
  const v4d z = s * s;
  v4l i2 = hx - 0x6147a;
  const v4d w = z * z;
  const v4l j = 0x6b851 - hx;
  const v4d t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
  const v4d t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
  i2 |= j;
  const v4d r = t2 + t1;
  const v4d hfsq = 0.5 * f * f;
  const v4l kZero = k == 0;
  const v4d withHfsq =
      select4(kZero, f - (hfsq - s * (hfsq + r)), dk * ln2Hi - ((hfsq - (s * (hfsq + r) + dk * ln2Lo)) - f));
  const v4d without = select4(kZero, f - s * (f - r), dk * ln2Hi - ((s * (f - r) - dk * ln2Lo) - f));
  return select4(i2 > 0, withHfsq, without);
}

/**
 * Per-row sums of a loss over rows [i0, i1), in j order (NaN entries of V skipped):
 *   kind 1 (KL): sums[2i] = Σ_{V > EPS32} V·log(V / WHs), sums[2i + 1] = Σ_{V > EPS32} V, with
 *                WHs = WH, or EPS32 where WH is exactly 0 (scikit-learn's `_beta_divergence`);
 *   kind 2 (Frobenius): sums[2i] = Σ (V − WH)², sums[2i + 1] = 0.
 * `log` is fdlibm's, as JavaScript's Math.log, so the sums have the bits of the JavaScript loop.
 * `scratch`: n doubles.
 */
static void rowLosses(int kind, const double* V, size_t n, int k, const double* W, const double* h, size_t i0,
                      size_t i1, double* sums, double* scratch) {
  for (size_t i = i0; i < i1; i++) {
    whRow(W + i * k, h, n, k, scratch);
    const double* vi = V + i * n;
    double a = 0, b = 0;
    if (kind == 1) {
      const v4d eps = splat4(EPS32), zero = splat4(0), two = splat4(2.0);
      size_t j = 0;
      for (; j + 4 <= n; j += 4) {
        const v4d v = load4(vi + j);
        const v4l keep = v > eps;  // false for NaN
        const v4d wh = load4(scratch + j);
        // Entries left out get the ratio 2, any value on the log's main path; their terms are
        // replaced by +0, which adds nothing (the sums are never −0).
        const v4d ratio = select4(keep, v / select4(wh == zero, eps, wh), two);
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

/**
 * out (k × k) = Aᵀ A for A (rows × k), each entry summed in row order (`gram` in kernels.ts; its
 * skipped zeros add +0 here, which changes nothing). Lanes run across t.
 */
static void gramRows(const double* A, size_t rows, int k, double* out) {
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

/**
 * Coordinate-descent sweep (scikit-learn's `_update_cdnmf_fast`; `cdRow` in kernels.ts) over rows
 * [i0, i1) of F (rows × k), in place, with G (k × k) and B (rows × k): four rows at a time, one per
 * lane, each lane doing exactly one row's scalar operations in order. rv[i] = the row's
 * Σ|projected gradient| in component order. `fq`: scratch of 4k doubles.
 */
static void cdRows(double* F, int k, const double* G, const double* B, const int32_t* order, size_t i0, size_t i1,
                   double* rv, double* fq) {
  const v4d zero = splat4(0);
  size_t i = i0;
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

}  // namespace NMF_KERNEL_NS
