// The dense native kernels called one by one on a bench set, CPU time of this thread (fastest of
// R calls), with the multiply-adds a second each reached: the per-kernel figures of
// docs/architecture.md ("Per-iteration speed against the machine's peak"). Not part of the build.
//
//   node scripts/bench.js --case digits-k10-fro-hals --data-dir DIR    # writes DIR/digits.*
//   g++ -std=c++17 -O3 -ffp-contract=off -fno-fast-math -Wno-psabi -I native/src \
//       scripts/bench/native/kernels.cc -o /tmp/kernels -lpthread
//   /tmp/kernels DIR digits 10 [reps]
//
// Build it from another checkout's native/src to compare two versions of the kernels; the last
// line (a sum of every output) must match between versions that keep the bits.
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

namespace {

double cpuMicros() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e6 + 1e-3 * t.tv_nsec;
}

std::vector<double> readDoubles(const std::string& path, size_t count) {
  std::vector<double> v(count);
  FILE* f = fopen(path.c_str(), "rb");
  if (f == nullptr || fread(v.data(), 8, count, f) != count) {
    fprintf(stderr, "cannot read %zu doubles from %s\n", count, path.c_str());
    exit(1);
  }
  fclose(f);
  return v;
}

/** rows and cols from DIR/SET.json ({"rows": m, "cols": n, ...}). */
void readShape(const std::string& path, size_t* m, size_t* n) {
  FILE* f = fopen(path.c_str(), "rb");
  if (f == nullptr) {
    fprintf(stderr, "cannot read %s\n", path.c_str());
    exit(1);
  }
  char text[4096] = {0};
  fread(text, 1, sizeof(text) - 1, f);
  fclose(f);
  const char* r = strstr(text, "\"rows\":");
  const char* c = strstr(text, "\"cols\":");
  if (r == nullptr || c == nullptr) {
    fprintf(stderr, "%s has no rows or cols\n", path.c_str());
    exit(1);
  }
  *m = strtoul(r + 7, nullptr, 10);
  *n = strtoul(c + 7, nullptr, 10);
}

template <class F>
double fastest(F f, int reps) {
  double best = 1e30;
  for (int r = 0; r < reps; r++) {
    const double t = cpuMicros();
    f();
    best = std::min(best, cpuMicros() - t);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: kernels DIR SET K [reps]\n");
    return 2;
  }
  const std::string dir = argv[1], set = argv[2];
  const int k = atoi(argv[3]), kp = (k + 3) & ~3;
  const int reps = argc > 4 ? atoi(argv[4]) : 400;
  size_t m = 0, n = 0;
  readShape(dir + "/" + set + ".json", &m, &n);
  const std::string start = dir + "/" + set + ".k" + std::to_string(k);
  const auto V = readDoubles(dir + "/" + set + ".V.f64", m * n);
  const auto W = readDoubles(start + ".W0.f64", m * k);
  const auto H = readDoubles(start + ".H0.f64", (size_t)k * n);
  std::vector<double> Ht(n * k), htp(n * kp, 0), out(m * k), outH(n * k), G(k * k), rv(std::max(m, n)), sums(3 * m);
  for (size_t j = 0; j < n; j++)
    for (int t = 0; t < k; t++) Ht[j * k + t] = htp[j * kp + t] = H[(size_t)t * n + j];
  std::vector<double> scratch(5 * n + 4 * kp + (n + 1) * kp + 8 * k + 64);
  std::vector<int32_t> order(k);
  for (int t = 0; t < k; t++) order[t] = t;
  double check = 0;
  const auto sum = [&](const std::vector<double>& v) {
    for (double x : v) check += x;
  };
  const double mnk = (double)m * n * k;
  printf("%s %zu x %zu, k = %d, isa %s, fastest of %d, CPU us\n", set.c_str(), m, n, k, isa.name, reps);
  const auto report = [&](const char* name, double us, double madds) {
    if (madds > 0)
      printf("%-28s %9.1f us  %6.2f G multiply-adds/s\n", name, us, madds / us / 1e3);
    else
      printf("%-28s %9.1f us\n", name, us);
  };
  report("W side V.Ht", fastest([&] {
    isa.rowSide(V.data(), n, k, W.data(), H.data(), htp.data(), kp, false, 0, m, out.data(), scratch.data());
  }, reps), mnk);
  sum(out);
  report("H side Vt.W", fastest([&] {
    isa.columnSide(V.data(), m, n, k, W.data(), H.data(), kp, false, 0, n, outH.data(), scratch.data());
  }, reps), mnk);
  sum(outH);
  report("Gram W", fastest([&] { isa.gram(W.data(), m, k, G.data()); }, reps), (double)m * k * k);
  sum(G);
  report("Gram Ht", fastest([&] { isa.gram(Ht.data(), n, k, G.data()); }, reps), (double)n * k * k);
  isa.gram(Ht.data(), n, k, G.data());
  std::vector<double> F = W;
  report("sweep W", fastest([&] {
    memcpy(F.data(), W.data(), m * k * 8);
    isa.cdRows(F.data(), k, G.data(), out.data(), order.data(), 0, m, rv.data(), scratch.data());
  }, reps), (double)m * k * k);
  sum(F);
  isa.gram(W.data(), m, k, G.data());
  F = Ht;
  report("sweep Ht", fastest([&] {
    memcpy(F.data(), Ht.data(), n * k * 8);
    isa.cdRows(F.data(), k, G.data(), outH.data(), order.data(), 0, n, rv.data(), scratch.data());
  }, reps), (double)n * k * k);
  sum(F);
  report("KL W side (WH, ratio)", fastest([&] {
    isa.rowSide(V.data(), n, k, W.data(), H.data(), htp.data(), kp, true, 0, m, out.data(), scratch.data());
  }, reps), 2 * mnk);
  sum(out);
  report("KL H side (WH, ratio)", fastest([&] {
    isa.columnSide(V.data(), m, n, k, W.data(), H.data(), kp, true, 0, n, outH.data(), scratch.data());
  }, reps), 2 * mnk);
  sum(outH);
  report("Frobenius loss rows", fastest([&] {
    isa.rowLosses(2, V.data(), n, k, W.data(), H.data(), 0, m, sums.data(), scratch.data());
  }, reps / 4 + 1), mnk);
  sum(sums);
  report("KL loss rows", fastest([&] {
    isa.rowLosses(1, V.data(), n, k, W.data(), H.data(), 0, m, sums.data(), scratch.data());
  }, reps / 4 + 1), mnk);
  sum(sums);
  printf("sum of every output %.17g\n", check);
  return 0;
}
