// Vector helpers and row building blocks (the scalar counterpart: src/shared/nmf/kernels/scalar/rows.ts).
// Part of kernels.inl: included inside namespace NMF_KERNEL_NS once per instruction set.

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
