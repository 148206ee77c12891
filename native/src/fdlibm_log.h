// fdlibm's natural logarithm (V8's Math.log), so that the native losses have the bits of the
// JavaScript loops (src/shared/nmf/kernels/scalar/losses.ts).
#pragma once

#include <cstdint>
#include <cstring>

/**
 * Natural logarithm, the algorithm and constants of fdlibm's e_log.c (Sun Microsystems, 1993:
 * "Permission to use, copy, modify, and distribute this software is freely granted, provided that
 * this notice is preserved"), which V8 uses for Math.log. The losses computed here therefore have
 * the bits of the JavaScript loops (tested), where the C library's log could differ in the last
 * place. Reduction x = 2^k·(1 + f) with √2/2 < 1 + f < √2, then log(1 + f) = f − s·(f − R) with
 * s = f/(2 + f) and R a minimax polynomial in s².
 */
static inline double fdlibmLog(double x) {
  static const double ln2Hi = 6.93147180369123816490e-01, ln2Lo = 1.90821492927058770002e-10,
                      two54 = 1.80143985094819840000e+16, Lg1 = 6.666666666666735130e-01,
                      Lg2 = 3.999999999940941908e-01, Lg3 = 2.857142874366239149e-01, Lg4 = 2.222219843214978396e-01,
                      Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01, Lg7 = 1.479819860511658591e-01;
  uint64_t bits;
  std::memcpy(&bits, &x, 8);
  int32_t hx = (int32_t)(bits >> 32);
  const uint32_t lx = (uint32_t)bits;
  int32_t k = 0;
  if (hx < 0x00100000) {
    if (((hx & 0x7fffffff) | lx) == 0) return -std::numeric_limits<double>::infinity();
    if (hx < 0) return std::numeric_limits<double>::quiet_NaN();
    k -= 54;
    x *= two54;  // subnormal: scale up
    std::memcpy(&bits, &x, 8);
    hx = (int32_t)(bits >> 32);
  }
  if (hx >= 0x7ff00000) return x + x;
  k += (hx >> 20) - 1023;
  hx &= 0x000fffff;
  int32_t i = (hx + 0x95f64) & 0x100000;
  bits = ((uint64_t)(uint32_t)(hx | (i ^ 0x3ff00000)) << 32) | (bits & 0xffffffffu);  // x or x/2 into [√2/2, √2)
  std::memcpy(&x, &bits, 8);
  k += i >> 20;
  const double f = x - 1.0;
  if ((0x000fffff & (2 + hx)) < 3) {  // |f| < 2^-20
    if (f == 0.0) {
      if (k == 0) return 0.0;
      const double dk = (double)k;
      return dk * ln2Hi + dk * ln2Lo;
    }
    const double r = f * f * (0.5 - 0.33333333333333333 * f);
    if (k == 0) return f - r;
    const double dk = (double)k;
    return dk * ln2Hi - ((r - dk * ln2Lo) - f);
  }
  const double s = f / (2.0 + f);
  const double dk = (double)k;
  const double z = s * s;
  i = hx - 0x6147a;
  const double w = z * z;
  const int32_t j = 0x6b851 - hx;
  const double t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
  const double t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
  i |= j;
  const double r = t2 + t1;
  if (i > 0) {
    const double hfsq = 0.5 * f * f;
    if (k == 0) return f - (hfsq - s * (hfsq + r));
    return dk * ln2Hi - ((hfsq - (s * (hfsq + r) + dk * ln2Lo)) - f);
  }
  if (k == 0) return f - s * (f - r);
  return dk * ln2Hi - ((s * (f - r) - dk * ln2Lo) - f);
}
