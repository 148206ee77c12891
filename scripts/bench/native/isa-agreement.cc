// The dense loss rows (kinds 1–4) and the plain H-side product at 15–25 columns computed by every
// instruction set compiled into the module (avx512vl, avx2, baseline), compared entry by entry
// (NaN equal to NaN, as Object.is): the tests under src/ reach only the set this CPU dispatches to.
// Special values of WH (fdlibm's slow window, powers of two, subnormal, ±0, negative, infinite,
// NaN) and of V (zeros, −0, NaN, tiny, non-integer, counts around 171 and above 65 536). Not part
// of the build; exit status 1 when any entry differs.
//
//   g++ -std=c++17 -O3 -ffp-contract=off -fno-fast-math -Wno-psabi -I native/src \
//       scripts/bench/native/isa-agreement.cc -o /tmp/isa-agreement && /tmp/isa-agreement
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>
#include "cpu_dispatch.h"
int main() {
  const double specials[] = {1 + 0x1p-30, 1 - 0x1p-40, 0.5,      4,   1,       0x1p-1030, 5e-324, 0,
                             -0.0,        -3,          INFINITY, NAN, M_SQRT2, 1e300,     1e-300};
  const double vs[] = {0,   -0.0,   NAN,   5e-324, 1e-8, 1.1920928955078125e-7, 2e-7, 0.5, 3, 170, 171,
                       172, 1000.5, 18221, 70000,  1e6};
  int bad = 0, checked = 0;
  for (int k : {1, 3, 5, 8})
    for (size_t n : {1, 3, 7, 8, 9, 15, 16, 17, 23, 31, 32, 33, 45, 67, 100}) {
      const size_t m = 23;
      srand(n * 7 + k);
      std::vector<double> V(m * n), W(m * k), H(k * n);
      for (auto& x : V) x = (rand() % 5 == 0) ? vs[rand() % 16] : (double)(rand() % 40);
      for (auto& x : W) x = (rand() % 10 == 0) ? 0.0 : rand() / (double)RAND_MAX * 2;
      for (auto& x : H) x = (rand() % 7 == 0) ? specials[rand() % 15] : rand() / (double)RAND_MAX * 3;
      if (k == 1)
        for (size_t i = 0; i < m; i++) W[i] = (i % 5 == 2) ? 1e303 : 1;
      for (int kind : {1, 2, 3, 4}) {
        std::vector<double> a(3 * m, 7.5), b(3 * m, 7.5), c(3 * m, 7.5), scratch(n + 8);
        avx512vl::rowLosses(kind, V.data(), n, k, W.data(), H.data(), 0, m, a.data(), scratch.data());
        avx2::rowLosses(kind, V.data(), n, k, W.data(), H.data(), 0, m, b.data(), scratch.data());
        base::rowLosses(kind, V.data(), n, k, W.data(), H.data(), 0, m, c.data(), scratch.data());
        checked++;
        auto same = [](double x, double y) { return (x != x && y != y) || memcmp(&x, &y, 8) == 0; };
        for (size_t q = 0; q < a.size(); q++)
          if (!same(a[q], b[q]) || !same(a[q], c[q])) {
            bad++;
            printf("differ kind %d k %d n %zu at %zu: %.17g %.17g %.17g\n", kind, k, n, q, a[q], b[q], c[q]);
            break;
          }
      }
    }
  // products at l = 17..25 (plain), every ISA
  for (int l = 15; l <= 25; l++) {
    const size_t m = 45, n = 61;
    const int lp = (l + 3) & ~3;
    std::vector<double> V(m * n), Q(m * l), a(n * l), b(n * l), c(n * l), scratch(5 * n + 4 * lp + (n + 1) * lp + 64);
    for (auto& x : V) x = (rand() % 3 == 0) ? 0 : rand() % 17;
    for (auto& x : Q) x = rand() / (double)RAND_MAX - 0.5;
    avx512vl::columnSide(V.data(), m, n, l, Q.data(), nullptr, lp, false, 0, n, a.data(), scratch.data());
    avx2::columnSide(V.data(), m, n, l, Q.data(), nullptr, lp, false, 0, n, b.data(), scratch.data());
    base::columnSide(V.data(), m, n, l, Q.data(), nullptr, lp, false, 0, n, c.data(), scratch.data());
    checked++;
    if (memcmp(a.data(), b.data(), 8 * a.size()) || memcmp(a.data(), c.data(), 8 * a.size())) {
      bad++;
      printf("product differs l %d\n", l);
    }
  }
  printf("checked %d, differing %d\n", checked, bad);
  return bad != 0;
}
