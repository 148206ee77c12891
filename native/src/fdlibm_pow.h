// fdlibm's pow (V8's Math.pow), so that the native general-β terms have the bits of the JavaScript
// loops (src/shared/nmf/kernels/scalar/beta.ts).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

/*
 * ====================================================
 * Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
 *
 * Developed at SunSoft, a Sun Microsystems, Inc. business.
 * Permission to use, copy, modify, and distribute this
 * software is freely granted, provided that this notice
 * is preserved.
 * ====================================================
 */

namespace fdlibm {

inline uint32_t highWord(double x) {
  uint64_t bits;
  std::memcpy(&bits, &x, 8);
  return (uint32_t)(bits >> 32);
}

inline uint32_t lowWord(double x) {
  uint64_t bits;
  std::memcpy(&bits, &x, 8);
  return (uint32_t)bits;
}

inline double fromWords(uint32_t high, uint32_t low) {
  const uint64_t bits = ((uint64_t)high << 32) | low;
  double x;
  std::memcpy(&x, &bits, 8);
  return x;
}

inline double withHighWord(double x, uint32_t high) { return fromWords(high, lowWord(x)); }
inline double withLowWord(double x, uint32_t low) { return fromWords(highWord(x), low); }

}  // namespace fdlibm

/**
 * x^y with the algorithm, constants and order of operations of fdlibm's e_pow.c, which V8 uses for
 * Math.pow and `**` (its `ieee754::legacy::pow`, the only one in the Node and Electron versions the
 * app runs on: no `--use-std-math-pow` flag exists there). The C library's pow is correctly rounded
 * or nearly so and differs from fdlibm's in the last place for some inputs, which would change a
 * fit's bits; this one agrees with Math.pow bit for bit (tested on 10⁷ random inputs and the
 * special cases, src/shared/nmf/kernels/__tests__/native-pow.test.ts). Method: log2(x) = t1 + t2
 * in extra precision (t1 with 29 trailing zero bits), y·log2(x) = n + y' with |y'| ≤ 0.5 by split
 * multiplications, then x^y = 2^n · exp(y'·ln 2). ECMAScript's one difference from IEEE 754 is
 * kept: (±1)^(±∞) is NaN.
 */
static inline double fdlibmPow(double x, double y) {
  using fdlibm::fromWords;
  using fdlibm::highWord;
  using fdlibm::lowWord;
  using fdlibm::withHighWord;
  using fdlibm::withLowWord;
  static const double bp[] = {1.0, 1.5}, dp_h[] = {0.0, 5.84962487220764160156e-01},  // 0x3FE2B803, 0x40000000
      dp_l[] = {0.0, 1.35003920212974897128e-08},                                     // 0x3E4CFDEB, 0x43CFD006
      zero = 0.0, one = 1.0, two = 2.0, two53 = 9007199254740992.0, huge = 1.0e300, tiny = 1.0e-300,
                      // Polynomial coefficients for (3/2)·(log(x) − 2s − 2/3·s³).
      L1 = 5.99999999999994648725e-01, L2 = 4.28571428578550184252e-01, L3 = 3.33333329818377432918e-01,
                      L4 = 2.72728123808534006489e-01, L5 = 2.30660745775561754067e-01, L6 = 2.06975017800338417784e-01,
                      P1 = 1.66666666666666019037e-01, P2 = -2.77777777770155933842e-03,
                      P3 = 6.61375632143793436117e-05, P4 = -1.65339022054652515390e-06,
                      P5 = 4.13813679705723846039e-08, lg2 = 6.93147180559945286227e-01,
                      lg2_h = 6.93147182464599609375e-01, lg2_l = -1.90465429995776804525e-09,
                      ovt = 8.0085662595372944372e-17,  // −(1024 − log2(ovfl + .5ulp))
      cp = 9.61796693925975554329e-01,                  // 2/(3·ln 2)
      cp_h = 9.61796700954437255859e-01,                // (float)cp
      cp_l = -7.02846165095275826516e-09,               // tail of cp_h
      ivln2 = 1.44269504088896338700e+00,               // 1/ln 2
      ivln2_h = 1.44269502162933349609e+00,             // 1/ln 2 to 24 bits
      ivln2_l = 1.92596299112661746887e-08;             // its tail
  const double nan = std::numeric_limits<double>::quiet_NaN();

  const int32_t hx = (int32_t)highWord(x), hy = (int32_t)highWord(y);
  const uint32_t lx = lowWord(x), ly = lowWord(y);
  int32_t ix = hx & 0x7fffffff;
  const int32_t iy = hy & 0x7fffffff;

  // y == 0: x^0 = 1.
  if ((iy | (int32_t)ly) == 0) return one;
  // NaN in either: x + y.
  if (ix > 0x7ff00000 || (ix == 0x7ff00000 && lx != 0) || iy > 0x7ff00000 || (iy == 0x7ff00000 && ly != 0))
    return x + y;

  // For x < 0: yisint 0 (y not an integer), 1 (odd integer), 2 (even integer).
  int yisint = 0;
  if (hx < 0) {
    if (iy >= 0x43400000) {
      yisint = 2;
    } else if (iy >= 0x3ff00000) {
      const int32_t k = (iy >> 20) - 0x3ff;
      if (k > 20) {
        const uint32_t j = ly >> (52 - k);
        if ((j << (52 - k)) == ly) yisint = 2 - (int)(j & 1);
      } else if (ly == 0) {
        const int32_t j = iy >> (20 - k);
        if ((j << (20 - k)) == iy) yisint = 2 - (int)(j & 1);
      }
    }
  }

  // Special values of y.
  if (ly == 0) {
    if (iy == 0x7ff00000) {                                      // y = ±∞
      if (((ix - 0x3ff00000) | (int32_t)lx) == 0) return y - y;  // (±1)^±∞ is NaN
      if (ix >= 0x3ff00000) return hy >= 0 ? y : zero;           // (|x| > 1)^±∞ = ∞, 0
      return hy < 0 ? -y : zero;                                 // (|x| < 1)^∓∞ = ∞, 0
    }
    if (iy == 0x3ff00000) return hy < 0 ? one / x : x;     // y = ±1
    if (hy == 0x40000000) return x * x;                    // y = 2
    if (hy == 0x3fe00000 && hx >= 0) return std::sqrt(x);  // y = 0.5, x ≥ +0
  }

  double ax = std::fabs(x);
  // Special values of x: ±0, ±∞, ±1.
  if (lx == 0 && (ix == 0x7ff00000 || ix == 0 || ix == 0x3ff00000)) {
    double z = ax;
    if (hy < 0) z = one / z;
    if (hx < 0) {
      if (((ix - 0x3ff00000) | yisint) == 0)
        z = nan;  // (−1)^non-integer
      else if (yisint == 1)
        z = -z;  // (x < 0)^odd = −(|x|^odd)
    }
    return z;
  }

  int32_t n = (int32_t)((uint32_t)hx >> 31) ^ 1;  // 1 for x ≥ 0, 0 for x < 0 (fdlibm: (hx >> 31) + 1)
  if ((n | yisint) == 0) return nan;              // (x < 0)^non-integer
  double s = one;                                 // the sign of the result: −1 for (x < 0)^odd
  if ((n | (yisint - 1)) == 0) s = -one;

  double t1, t2;
  if (iy > 0x41e00000) {    // |y| > 2^31
    if (iy > 0x43f00000) {  // |y| > 2^64: must over- or underflow
      if (ix <= 0x3fefffff) return hy < 0 ? huge * huge : tiny * tiny;
      if (ix >= 0x3ff00000) return hy > 0 ? huge * huge : tiny * tiny;
    }
    // Over- or underflow if x is not close to one.
    if (ix < 0x3fefffff) return hy < 0 ? s * huge * huge : s * tiny * tiny;
    if (ix > 0x3ff00000) return hy > 0 ? s * huge * huge : s * tiny * tiny;
    // |1 − x| ≤ 2^-20: log(x) by x − x²/2 + x³/3 − x⁴/4.
    const double t = ax - one;
    const double w = (t * t) * (0.5 - t * (0.3333333333333333333333 - t * 0.25));
    const double u = ivln2_h * t;
    const double v = t * ivln2_l - w * ivln2;
    t1 = withLowWord(u + v, 0);
    t2 = v - (t1 - u);
  } else {
    n = 0;
    if (ix < 0x00100000) {  // subnormal x
      ax *= two53;
      n -= 53;
      ix = (int32_t)highWord(ax);
    }
    n += (ix >> 20) - 0x3ff;
    const int32_t j = ix & 0x000fffff;
    // The interval of x: k = 0 for |x| < √(3/2), 1 for |x| < √3, else x/2 and k = 0.
    int k;
    ix = j | 0x3ff00000;
    if (j <= 0x3988E) {
      k = 0;
    } else if (j < 0xBB67A) {
      k = 1;
    } else {
      k = 0;
      n += 1;
      ix -= 0x00100000;
    }
    ax = withHighWord(ax, (uint32_t)ix);

    // ss = s_h + s_l = (x − 1)/(x + 1) or (x − 1.5)/(x + 1.5).
    double u = ax - bp[k];
    double v = one / (ax + bp[k]);
    const double ss = u * v;
    const double s_h = withLowWord(ss, 0);
    // t_h = ax + bp[k], high part.
    double t_h = fromWords((uint32_t)(((ix >> 1) | 0x20000000) + 0x00080000 + (k << 18)), 0);
    double t_l = ax - (t_h - bp[k]);
    const double s_l = v * ((u - s_h * t_h) - s_h * t_l);
    // log(ax).
    double s2 = ss * ss;
    double r = s2 * s2 * (L1 + s2 * (L2 + s2 * (L3 + s2 * (L4 + s2 * (L5 + s2 * L6)))));
    r += s_l * (s_h + ss);
    s2 = s_h * s_h;
    t_h = withLowWord(3.0 + s2 + r, 0);
    t_l = r - ((t_h - 3.0) - s2);
    // u + v = ss·(1 + …).
    u = s_h * t_h;
    v = s_l * t_h + t_l * ss;
    // 2/(3·log 2)·(ss + …).
    const double p_h = withLowWord(u + v, 0);
    const double p_l = v - (p_h - u);
    const double z_h = cp_h * p_h;
    const double z_l = cp_l * p_h + p_l * cp + dp_l[k];
    // log2(ax) = (ss + …)·2/(3·log 2) = n + dp_h + z_h + z_l.
    const double t = (double)n;
    t1 = withLowWord(((z_h + z_l) + dp_h[k]) + t, 0);
    t2 = z_l - (((t1 - t) - dp_h[k]) - z_h);
  }

  // y = y1 + y2; (y1 + y2)·(t1 + t2).
  const double y1 = withLowWord(y, 0);
  const double p_l = (y - y1) * t1 + y * t2;
  double p_h = y1 * t1;
  double z = p_l + p_h;
  int32_t j = (int32_t)highWord(z);
  int32_t i = (int32_t)lowWord(z);
  if (j >= 0x40900000) {                                      // z ≥ 1024
    if (((j - 0x40900000) | i) != 0) return s * huge * huge;  // z > 1024: overflow
    if (p_l + ovt > z - p_h) return s * huge * huge;
  } else if ((j & 0x7fffffff) >= 0x4090cc00) {                                              // z ≤ −1075
    if ((int32_t)(((uint32_t)j - 0xc090cc00u) | (uint32_t)i) != 0) return s * tiny * tiny;  // z < −1075: underflow
    if (p_l <= z - p_h) return s * tiny * tiny;
  }
  // 2^(p_h + p_l).
  i = j & 0x7fffffff;
  int32_t k = (i >> 20) - 0x3ff;
  n = 0;
  if (i > 0x3fe00000) {  // |z| > 0.5: n = [z + 0.5]
    n = j + (0x00100000 >> (k + 1));
    k = ((n & 0x7fffffff) >> 20) - 0x3ff;  // the new k for n
    const double t = fromWords((uint32_t)(n & ~(0x000fffff >> k)), 0);
    n = ((n & 0x000fffff) | 0x00100000) >> (20 - k);
    if (j < 0) n = -n;
    p_h -= t;
  }
  const double t = withLowWord(p_l + p_h, 0);
  const double u = t * lg2_h;
  const double v = (p_l - (t - p_h)) * lg2 + t * lg2_l;
  z = u + v;
  const double w = v - (z - u);
  const double tt = z * z;
  const double t1e = z - tt * (P1 + tt * (P2 + tt * (P3 + tt * (P4 + tt * P5))));
  const double r = (z * t1e) / ((t1e - two) - (w + z * w));
  z = one - (r - z);
  j = (int32_t)highWord(z);
  j += (int32_t)((uint32_t)n << 20);
  if ((j >> 20) <= 0)
    z = std::scalbn(z, n);  // subnormal result
  else
    z = withHighWord(z, highWord(z) + ((uint32_t)n << 20));
  return s * z;
}
