// Per-call CPU time of the dense kernels a KL fit's fixed cost runs on planted 2000 × 500 at k = 8
// (the loss rows of kinds 1, 3 and 4; the NNDSVD start's plain products V·Z and Vᵀ·Q at l = 18),
// fastest of R calls, and a checksum of every output. Not part of the build.
//
//   node --import tsx scripts/bench/data.ts --dir DIR --set planted2000
//   node --import tsx scripts/bench/data.ts --dir DIR --start planted2000 --rank 8 --seed 0
//   g++ -std=c++17 -O3 -ffp-contract=off -fno-fast-math -Wno-psabi -I native/src \
//       scripts/bench/native/fixed-cost.cc -o /tmp/fixed-cost -lpthread
//   /tmp/fixed-cost DIR [reps]
//
// Build it from another checkout's native/src too and run the two alternately to compare
// versions; the checksum must match between versions that keep the bits.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <limits>
#include <string>
#include <vector>
#include "cpu_dispatch.h"
static double cpuMicros() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e6 + 1e-3 * t.tv_nsec;
}
static std::vector<double> readDoubles(const std::string& path, size_t count) {
  std::vector<double> v(count);
  FILE* f = fopen(path.c_str(), "rb");
  if (!f || fread(v.data(), 8, count, f) != count) {
    fprintf(stderr, "cannot read %s\n", path.c_str());
    exit(1);
  }
  fclose(f);
  return v;
}
template <class F>
double fastest(F f, int reps) {
  double b = 1e30;
  for (int r = 0; r < reps; r++) {
    double t = cpuMicros();
    f();
    b = std::min(b, cpuMicros() - t);
  }
  return b;
}
int main(int argc, char** argv) {
  const std::string dir = argv[1];
  const int reps = argc > 2 ? atoi(argv[2]) : 20;
  const size_t m = 2000, n = 500;
  const int k = 8, l = 18, lp = 20;
  auto V = readDoubles(dir + "/planted2000.V.f64", m * n);
  auto W = readDoubles(dir + "/planted2000.k8.W0.f64", m * k);
  auto H = readDoubles(dir + "/planted2000.k8.H0.f64", (size_t)k * n);
  std::vector<double> sums(3 * m), scratch(5 * n + 4 * lp + (n + 1) * lp + 8 * l + 64);
  std::vector<double> Q(m * l), Z(n * l), outQ(m * l), outZ(n * l), zp(n * lp, 0);
  srand(1);
  for (auto& x : Q) x = rand() / (double)RAND_MAX - 0.5;
  for (auto& x : Z) x = rand() / (double)RAND_MAX - 0.5;
  for (size_t j = 0; j < n; j++)
    for (int t = 0; t < l; t++) zp[j * lp + t] = Z[j * l + t];
  double check = 0;
  auto sum = [&](const std::vector<double>& v) {
    for (double x : v) check += x;
  };
  printf("isa %s\n", isa.name);
  for (int kind : {1, 3, 4}) {
    double us = fastest(
        [&] { isa.rowLosses(kind, V.data(), n, k, W.data(), H.data(), 0, m, sums.data(), scratch.data()); }, reps);
    sum(sums);
    printf("losses kind %d %9.1f us\n", kind, us);
  }
  double us = fastest(
      [&] { isa.rowSide(V.data(), n, l, nullptr, nullptr, zp.data(), lp, false, 0, m, outQ.data(), scratch.data()); },
      reps);
  sum(outQ);
  printf("V.Z (l=18)   %9.1f us\n", us);
  us = fastest(
      [&] { isa.columnSide(V.data(), m, n, l, Q.data(), nullptr, lp, false, 0, n, outZ.data(), scratch.data()); },
      reps);
  sum(outZ);
  printf("Vt.Q (l=18)  %9.1f us\n", us);
  printf("check %.17g\n", check);
}
