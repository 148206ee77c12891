// Native (C++, Node-API) kernels of the NMF engine for dense V: the KL multiplicative-update
// numerators, the products V·F and Vᵀ·W that HALS and Frobenius MU are made of, the per-row sums of
// the KL and Frobenius losses, and HALS's Gram matrices, k × k products and coordinate-descent
// sweeps, with the same contracts and the same bits as the scalar reference (src/shared/nmf/kernels/, rules in
// contract.ts). Loaded by src/main/native (Node and Electron main and worker threads); the engine falls back to
// WebAssembly where this module is not built.
//
// Why native next to WebAssembly: WebAssembly SIMD is 128 bits wide (two doubles), and V8's code
// for it keeps these loops well below the machine's arithmetic peak; here the same loops run on
// 256-bit vectors (AVX2, or AVX-512VL's 32 registers, chosen at load time) and read V where
// JavaScript holds it (no copy).
//
// Threads: each call may split its outputs over `threads` threads of a pool owned by the calling
// JavaScript thread (one pool per Node environment, so worker threads never share one). W-side
// products, losses and sweeps split the rows, H-side products the columns of V; every output entry
// is computed by one thread in the one-thread order, so the result has the same bits at any thread
// count.

#include <node_api.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <new>
#include <string>
#include <vector>

#include "cpu_dispatch.h"
#include "csr_dispatch.h"
#include "thread_pool.h"

// Files: numbers.h (constants), fdlibm_log.h (Math.log's algorithm), kernels.inl (the SIMD
// bodies), cpu_dispatch.h (one build per instruction set, chosen at load time), thread_pool.h, and
// this file, the Node-API glue.

namespace {

// ---------------------------------------------------------------------------------------------
// Node-API glue

struct Array {
  double* data = nullptr;
  size_t length = 0;
};

bool fail(napi_env env, const char* message) {
  napi_throw_type_error(env, "ERR_NMF_NATIVE_ARGUMENT", message);
  return false;
}

/** A Float64Array's data and length into out; false if value is not one. */
bool readArray(napi_env env, napi_value value, Array* out) {
  bool isTyped = false;
  napi_is_typedarray(env, value, &isTyped);
  if (!isTyped) return false;
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != napi_float64_array)
    return false;
  out->data = static_cast<double*>(data);
  out->length = length;
  return true;
}

/** A non-negative integer (a safe one, as JavaScript numbers go) into out; false otherwise. */
bool readSize(napi_env env, napi_value value, size_t* out) {
  double x = 0;
  if (napi_get_value_double(env, value, &x) != napi_ok || !(x >= 0) || x > 9007199254740991.0 ||
      x != (double)(int64_t)x)
    return false;
  *out = (size_t)x;
  return true;
}

bool getArray(napi_env env, napi_value value, Array* out, const char* name) {
  return readArray(env, value, out) || fail(env, name);
}

bool getSize(napi_env env, napi_value value, size_t* out, const char* name) {
  return readSize(env, value, out) || fail(env, name);
}

/** The call's `count` arguments into argv; false (after a TypeError showing `usage`) if there are not exactly that
 * many. */
bool getArgs(napi_env env, napi_callback_info info, size_t count, napi_value* argv, const char* usage) {
  size_t argc = count;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  return argc == count || fail(env, usage);
}

/** Threads for a call over `units` independent pieces of output: 1 to 64, and no more than units. */
int partsFor(size_t threads, size_t units) {
  size_t parts = threads < 1 ? 1 : threads > 64 ? 64 : threads;
  if (parts > units) parts = units;
  return parts < 1 ? 1 : (int)parts;
}

/** Whether a·b fits in size_t (array lengths are compared with such products). */
bool productFits(size_t a, size_t b) { return b == 0 || a <= SIZE_MAX / b; }

/** Whether m·n, m·k, n·k and 2m fit in size_t. */
bool productsFit(size_t m, size_t n, size_t k) {
  return productFits(m, n) && productFits(m, k) && productFits(n, k) && productFits(2, m);
}

/** Refuses sizes whose products (m·n, m·k, n·k) would overflow before they are compared. */
bool sizesFit(napi_env env, size_t m, size_t n, size_t k, const char* name) {
  return productsFit(m, n, k) || fail(env, name);
}

Pool* poolOf(napi_env env) {
  void* data = nullptr;
  napi_get_instance_data(env, &data);
  return static_cast<Pool*>(data);
}

/** The arguments every dense entry point takes: V (m × n), W (m × k), Ht (n × k), the output, threads. */
struct DenseArgs {
  Array V, W, Ht, out;
  size_t m = 0, n = 0, k = 0, threads = 1;
};

/**
 * Reads (V, m, n, k, W, Ht, out, threads) from argv[0..7] for the entry point `name`, naming the
 * first argument of the wrong type (`outName`: what the output is called) and refusing sizes whose
 * products would overflow. Lengths are the caller's to check: which arrays are read depends on it.
 */
bool getDenseArgs(napi_env env, const napi_value* argv, const char* name, const char* outName, DenseArgs* a) {
  // The messages are built only when an argument is refused (this runs on every kernel call).
  const auto refuse = [&](const std::string& what) { return fail(env, (std::string(name) + ": " + what).c_str()); };
  if (!readArray(env, argv[0], &a->V)) return refuse("V must be a Float64Array");
  if (!readSize(env, argv[1], &a->m)) return refuse("m must be a non-negative integer");
  if (!readSize(env, argv[2], &a->n)) return refuse("n must be a non-negative integer");
  if (!readSize(env, argv[3], &a->k)) return refuse("k must be a non-negative integer");
  if (!readArray(env, argv[4], &a->W)) return refuse("W must be a Float64Array");
  if (!readArray(env, argv[5], &a->Ht)) return refuse("Ht must be a Float64Array");
  if (!readArray(env, argv[6], &a->out)) return refuse(std::string(outName) + " must be a Float64Array");
  if (!readSize(env, argv[7], &a->threads)) return refuse("threads must be a non-negative integer");
  return productsFit(a->m, a->n, a->k) || refuse("m, n and k are too large");
}

/** H (k × n) from Ht (n × k): the products of a row of WH read rows of H. */
std::vector<double> transposeHt(const double* Ht, size_t n, size_t k) {
  std::vector<double> h(n * k);
  for (size_t j = 0; j < n; j++)
    for (size_t t = 0; t < k; t++) h[t * n + j] = Ht[j * k + t];
  return h;
}

/**
 * (side, ratio, V, m, n, k, W, Ht, out, threads):
 *   side 0: out (m × k) = C · Ht, side 1: out (n × k) = Cᵀ · W, where C = V ⊘ WH where V > 0,
 *   else 0 (ratio = true: the KL numerators), or C = V where V > 0, else 0 (ratio = false: V·F and
 *   Vᵀ·W, with F passed as Ht). H is formed from Ht here.
 */
napi_value Product(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  if (!getArgs(env, info, 10, argv, "product: expected (side, ratio, V, m, n, k, W, Ht, out, threads)")) return nullptr;
  size_t side = 0;
  bool ratio = false;
  if (!getSize(env, argv[0], &side, "product: side must be 0 or 1")) return nullptr;
  if (side > 1) {
    fail(env, "product: side must be 0 or 1");
    return nullptr;
  }
  if (napi_get_value_bool(env, argv[1], &ratio) != napi_ok) {
    fail(env, "product: ratio must be a boolean");
    return nullptr;
  }
  DenseArgs args;
  if (!getDenseArgs(env, argv + 2, "product", "out", &args)) return nullptr;
  const Array &V = args.V, &W = args.W, &Ht = args.Ht, &out = args.out;
  const size_t m = args.m, n = args.n, k = args.k, threads = args.threads;
  // Ht is read on the W side and by the ratio, W on the H side and by the ratio.
  const bool needHt = side == 0 || ratio, needW = side == 1 || ratio;
  if (k < 1 || k > 4096 || V.length < m * n || (needHt && Ht.length < n * k) || (needW && W.length < m * k) ||
      out.length < (side == 0 ? m : n) * k) {
    fail(env, "product: array lengths do not match m, n and k");
    return nullptr;
  }
  if (m == 0 || n == 0) {
    for (size_t x = 0; x < (side == 0 ? m : n) * k; x++) out.data[x] = 0;
    return nullptr;
  }
  const int kk = (int)k;
  // Components padded to a multiple of four, so every vector loop runs whole lanes (the padding
  // lanes compute zeros and are never written out).
  const int kp = (kk + 3) & ~3;
  const std::vector<double> h = ratio ? transposeHt(Ht.data, n, k) : std::vector<double>();
  // Ht padded to kp columns, for the W side.
  std::vector<double> htp(side == 0 ? n * (size_t)kp : 0, 0.0);
  if (side == 0)
    for (size_t j = 0; j < n; j++)
      for (size_t t = 0; t < k; t++) htp[j * kp + t] = Ht.data[j * k + t];
  const size_t outer = side == 0 ? m : n;
  const int parts = partsFor(threads, outer);
  const double* hp = h.data();
  const double* htpp = htp.data();
  auto task = [&](int p) {
    const size_t a = cut(outer, parts, p), b = cut(outer, parts, p + 1);
    std::vector<double> scratch(5 * n + 4 * (size_t)kp + (side == 1 ? (b - a) * (size_t)kp : 0));
    if (side == 0)
      isa.rowSide(V.data, n, kk, W.data, hp, htpp, kp, ratio, a, b, out.data, scratch.data());
    else
      isa.columnSide(V.data, m, n, kk, W.data, hp, kp, ratio, a, b, out.data, scratch.data());
  };
  poolOf(env)->run(parts, task);
  return nullptr;
}

/** numpy's fast path for x^e (`powCode`, src/shared/nmf/kernels/scalar/numbers.ts), else kPowGeneral. */
int powCodeOf(double e) {
  if (e == 1) return kPowOne;
  if (e == 2) return kPowSquare;
  if (e == 0.5) return kPowSqrt;
  if (e == -1) return kPowReciprocal;
  if (e == 0) return kPowZero;
  return kPowGeneral;
}

/**
 * The arithmetic of `betaTerms` and `betaTermsCsr` once their arguments are checked: V dense
 * (indptr null) or CSR values with indptr and indices; m, n ≥ 1. Side 0 splits rows, side 1
 * columns over `threads` (same bits at any count).
 */
void betaTermsOver(napi_env env, int side, const double* V, const int32_t* indptr, const int32_t* indices, size_t m,
                   size_t n, size_t k, const double* W, const double* Ht, double beta, double* numOut, double* denOut,
                   size_t threads) {
  const BetaExponents e{beta, beta - 2, beta - 1, powCodeOf(beta - 2), powCodeOf(beta - 1)};
  const int kk = (int)k;
  const int kp = (kk + 3) & ~3;
  const std::vector<double> h = transposeHt(Ht, n, k);
  std::vector<double> htp(side == 0 ? n * (size_t)kp : 0, 0.0);
  if (side == 0)
    for (size_t j = 0; j < n; j++)
      for (size_t t = 0; t < k; t++) htp[j * kp + t] = Ht[j * k + t];
  const size_t outer = side == 0 ? m : n;
  const int parts = partsFor(threads, outer);
  auto task = [&](int p) {
    const size_t a = cut(outer, parts, p), b = cut(outer, parts, p + 1);
    std::vector<double> scratch(10 * n + 4 * (size_t)kp + (side == 1 ? 2 * (b - a) * (size_t)kp : 0));
    if (side == 0)
      isa.betaRowSide(V, indptr, indices, n, kk, W, h.data(), htp.data(), kp, e, a, b, numOut, denOut, scratch.data());
    else
      isa.betaColumnSide(V, indptr, indices, m, n, kk, W, h.data(), kp, e, a, b, numOut, denOut, scratch.data());
  };
  poolOf(env)->run(parts, task);
}

/**
 * (side, V, m, n, k, W, Ht, beta, numOut, denOut, threads): the general-β MU terms on dense V
 * (NmfKernels.betaW / betaH, β ∉ {1, 2}): side 0 numOut, denOut (m × k) = (V ⊙ WHs^(β−2)) · Hᵀ,
 * WHd^(β−1) · Hᵀ; side 1 the same (n × k) with Wᵀ, missing entries left out. Fused per block of
 * four rows (beta.inl): no m × n temporary. Side 0 splits rows, side 1 columns over threads; every
 * output entry is summed by one thread in the one-thread order.
 */
napi_value BetaTerms(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  if (!getArgs(env, info, 11, argv, "betaTerms: expected (side, V, m, n, k, W, Ht, beta, numOut, denOut, threads)"))
    return nullptr;
  size_t side = 0, m = 0, n = 0, k = 0, threads = 1;
  double beta = 0;
  Array V, W, Ht, numOut, denOut;
  if (!getSize(env, argv[0], &side, "betaTerms: side must be 0 or 1") ||
      !getArray(env, argv[1], &V, "betaTerms: V must be a Float64Array") ||
      !getSize(env, argv[2], &m, "betaTerms: m must be a non-negative integer") ||
      !getSize(env, argv[3], &n, "betaTerms: n must be a non-negative integer") ||
      !getSize(env, argv[4], &k, "betaTerms: k must be a non-negative integer") ||
      !getArray(env, argv[5], &W, "betaTerms: W must be a Float64Array") ||
      !getArray(env, argv[6], &Ht, "betaTerms: Ht must be a Float64Array") ||
      !getArray(env, argv[8], &numOut, "betaTerms: numOut must be a Float64Array") ||
      !getArray(env, argv[9], &denOut, "betaTerms: denOut must be a Float64Array") ||
      !getSize(env, argv[10], &threads, "betaTerms: threads must be a non-negative integer"))
    return nullptr;
  if (napi_get_value_double(env, argv[7], &beta) != napi_ok || !std::isfinite(beta) || beta == 1 || beta == 2) {
    fail(env, "betaTerms: beta must be a finite number other than 1 and 2");
    return nullptr;
  }
  if (side > 1) {
    fail(env, "betaTerms: side must be 0 or 1");
    return nullptr;
  }
  const size_t outSize = (side == 0 ? m : n) * k;
  if (!productsFit(m, n, k) || k < 1 || k > 4096 || V.length < m * n || W.length < m * k || Ht.length < n * k ||
      numOut.length < outSize || denOut.length < outSize) {
    fail(env, "betaTerms: array lengths do not match m, n and k");
    return nullptr;
  }
  if (m == 0 || n == 0) {
    for (size_t x = 0; x < outSize; x++) numOut.data[x] = denOut.data[x] = 0;
    return nullptr;
  }
  betaTermsOver(env, (int)side, V.data, nullptr, nullptr, m, n, k, W.data, Ht.data, beta, numOut.data, denOut.data,
                threads);
  return nullptr;
}

/**
 * (V, m, n, k, W, Ht, beta, sums): the β = 0 and general-β loss sums on dense V into sums (3), as
 * NmfKernels.betaLossSums (beta.inl): three running sums in row-major order, on the calling thread.
 */
napi_value BetaLoss(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  if (!getArgs(env, info, 8, argv, "betaLoss: expected (V, m, n, k, W, Ht, beta, sums)")) return nullptr;
  size_t m = 0, n = 0, k = 0;
  double beta = 0;
  Array V, W, Ht, sums;
  if (!getArray(env, argv[0], &V, "betaLoss: V must be a Float64Array") ||
      !getSize(env, argv[1], &m, "betaLoss: m must be a non-negative integer") ||
      !getSize(env, argv[2], &n, "betaLoss: n must be a non-negative integer") ||
      !getSize(env, argv[3], &k, "betaLoss: k must be a non-negative integer") ||
      !getArray(env, argv[4], &W, "betaLoss: W must be a Float64Array") ||
      !getArray(env, argv[5], &Ht, "betaLoss: Ht must be a Float64Array") ||
      !getArray(env, argv[7], &sums, "betaLoss: sums must be a Float64Array"))
    return nullptr;
  if (napi_get_value_double(env, argv[6], &beta) != napi_ok || !std::isfinite(beta) || beta == 1 || beta == 2) {
    fail(env, "betaLoss: beta must be a finite number other than 1 and 2");
    return nullptr;
  }
  if (!productsFit(m, n, k) || k < 1 || k > 4096 || V.length < m * n || W.length < m * k || Ht.length < n * k ||
      sums.length < 3) {
    fail(env, "betaLoss: array lengths do not match m, n and k");
    return nullptr;
  }
  const BetaExponents e{beta, beta - 2, beta - 1, powCodeOf(beta - 2), powCodeOf(beta - 1)};
  const std::vector<double> h = transposeHt(Ht.data, n, k);
  std::vector<double> row(6 * n);
  isa.betaLossSums(V.data, m, n, (int)k, W.data, h.data(), e, powCodeOf(beta), sums.data, row.data());
  return nullptr;
}

/**
 * (x, y, out): out[i] = fdlibmPow(x[i], y[i]) for i < out's length (x and y at least as long), four
 * lanes at a time (`pow4`) where four consecutive y are equal and its main path serves them: the
 * pow of the general-β terms, both ways, exported so that its bits can be held to Math.pow's.
 */
napi_value FdlibmPow(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!getArgs(env, info, 3, argv, "fdlibmPow: expected (x, y, out)")) return nullptr;
  Array x, y, out;
  if (!getArray(env, argv[0], &x, "fdlibmPow: x must be a Float64Array") ||
      !getArray(env, argv[1], &y, "fdlibmPow: y must be a Float64Array") ||
      !getArray(env, argv[2], &out, "fdlibmPow: out must be a Float64Array"))
    return nullptr;
  if (x.length < out.length || y.length < out.length) {
    fail(env, "fdlibmPow: x and y must be at least as long as out");
    return nullptr;
  }
  isa.powArray(x.data, y.data, out.length, out.data);
  return nullptr;
}

/**
 * (kind, V, m, n, k, W, Ht, sums, threads): per-row loss sums into sums (2m): kind 1 KL
 * (Σ V·log(V/WHs), Σ V over V > EPS32), kind 2 Frobenius (Σ (V − WH)², 0); kinds 3 (KL with the
 * Poisson log-likelihood) and 4 (the log-likelihood alone) write 3 sums a row (3m); see rowLosses.
 * Rows are split over threads; each row is summed by one thread in j order.
 */
napi_value Losses(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  if (!getArgs(env, info, 9, argv, "losses: expected (kind, V, m, n, k, W, Ht, sums, threads)")) return nullptr;
  size_t kind = 0;
  if (!getSize(env, argv[0], &kind, "losses: kind must be 1 (KL), 2 (Frobenius), 3 or 4 (log-likelihood)"))
    return nullptr;
  if (kind < 1 || kind > 4) {
    fail(env, "losses: kind must be 1 (KL), 2 (Frobenius), 3 or 4 (log-likelihood)");
    return nullptr;
  }
  DenseArgs args;
  if (!getDenseArgs(env, argv + 1, "losses", "sums", &args)) return nullptr;
  const Array &V = args.V, &W = args.W, &Ht = args.Ht, &sums = args.out;
  const size_t m = args.m, n = args.n, k = args.k, threads = args.threads;
  if (k < 1 || k > 4096 || V.length < m * n || W.length < m * k || Ht.length < n * k ||
      sums.length < (kind >= 3 ? 3 : 2) * m) {
    fail(env, "losses: array lengths do not match m, n and k");
    return nullptr;
  }
  if (m == 0) return nullptr;
  const std::vector<double> h = transposeHt(Ht.data, n, k);
  const int parts = partsFor(threads, m);
  const double* hp = h.data();
  auto task = [&](int p) {
    std::vector<double> scratch(n + 8);
    isa.rowLosses((int)kind, V.data, n, (int)k, W.data, hp, cut(m, parts, p), cut(m, parts, p + 1), sums.data,
                  scratch.data());
  };
  poolOf(env)->run(parts, task);
  return nullptr;
}

/** (A, rows, k, out): out (k × k) = Aᵀ A, each entry summed in row order (one thread: O(rows·k²)). */
napi_value Gram(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!getArgs(env, info, 4, argv, "gram: expected (A, rows, k, out)")) return nullptr;
  size_t rows = 0, k = 0;
  Array A, out;
  if (!getArray(env, argv[0], &A, "gram: A must be a Float64Array") ||
      !getSize(env, argv[1], &rows, "gram: rows must be a non-negative integer") ||
      !getSize(env, argv[2], &k, "gram: k must be a non-negative integer") ||
      !getArray(env, argv[3], &out, "gram: out must be a Float64Array"))
    return nullptr;
  if (!sizesFit(env, rows, 1, k, "gram: rows and k are too large")) return nullptr;
  if (k < 1 || k > 4096 || A.length < rows * k || out.length < k * k) {
    fail(env, "gram: array lengths do not match rows and k");
    return nullptr;
  }
  isa.gram(A.data, rows, (int)k, out.data);
  return nullptr;
}

/** (A, rows, k, G, out): out (rows × k) = A · G for G (k × k), each entry summed in q order (one thread). */
napi_value TimesSmall(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!getArgs(env, info, 5, argv, "timesSmall: expected (A, rows, k, G, out)")) return nullptr;
  size_t rows = 0, k = 0;
  Array A, G, out;
  if (!getArray(env, argv[0], &A, "timesSmall: A must be a Float64Array") ||
      !getSize(env, argv[1], &rows, "timesSmall: rows must be a non-negative integer") ||
      !getSize(env, argv[2], &k, "timesSmall: k must be a non-negative integer") ||
      !getArray(env, argv[3], &G, "timesSmall: G must be a Float64Array") ||
      !getArray(env, argv[4], &out, "timesSmall: out must be a Float64Array"))
    return nullptr;
  if (!sizesFit(env, rows, k, k, "timesSmall: rows and k are too large")) return nullptr;
  if (k < 1 || k > 4096 || A.length < rows * k || G.length < k * k || out.length < rows * k) {
    fail(env, "timesSmall: array lengths do not match rows and k");
    return nullptr;
  }
  isa.timesSmall(A.data, rows, (int)k, G.data, out.data);
  return nullptr;
}

/**
 * (F, rows, k, G, B, order, threads): one coordinate-descent sweep over the rows of F in place;
 * returns Σ|projected gradient|, summed per row first and then in row order (as kernels.ts does),
 * so splitting the rows over threads changes no bit.
 */
napi_value CdSweep(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!getArgs(env, info, 7, argv, "cdSweep: expected (F, rows, k, G, B, order, threads)")) return nullptr;
  size_t rows = 0, k = 0, threads = 1;
  Array F, G, B;
  if (!getArray(env, argv[0], &F, "cdSweep: F must be a Float64Array") ||
      !getSize(env, argv[1], &rows, "cdSweep: rows must be a non-negative integer") ||
      !getSize(env, argv[2], &k, "cdSweep: k must be a non-negative integer") ||
      !getArray(env, argv[3], &G, "cdSweep: G must be a Float64Array") ||
      !getArray(env, argv[4], &B, "cdSweep: B must be a Float64Array") ||
      !getSize(env, argv[6], &threads, "cdSweep: threads must be a non-negative integer"))
    return nullptr;
  bool isTyped = false;
  napi_is_typedarray(env, argv[5], &isTyped);
  napi_typedarray_type type;
  size_t orderLength = 0;
  void* orderData = nullptr;
  if (!isTyped ||
      napi_get_typedarray_info(env, argv[5], &type, &orderLength, &orderData, nullptr, nullptr) != napi_ok ||
      type != napi_int32_array) {
    fail(env, "cdSweep: order must be an Int32Array");
    return nullptr;
  }
  if (!sizesFit(env, rows, 1, k, "cdSweep: rows and k are too large")) return nullptr;
  if (k < 1 || k > 4096 || F.length < rows * k || B.length < rows * k || G.length < k * k || orderLength < k) {
    fail(env, "cdSweep: array lengths do not match rows and k");
    return nullptr;
  }
  const int32_t* order = static_cast<const int32_t*>(orderData);
  for (size_t s = 0; s < k; s++)
    if (order[s] < 0 || (size_t)order[s] >= k) {
      fail(env, "cdSweep: order holds a component outside 0..k-1");
      return nullptr;
    }
  std::vector<double> rv(rows);
  // Rows go four to a vector: at least four rows a part.
  const int parts = partsFor(threads, rows / 4);
  auto task = [&](int p) {
    std::vector<double> fq(8 * k);
    isa.cdRows(F.data, (int)k, G.data, B.data, order, cut(rows, parts, p), cut(rows, parts, p + 1), rv.data(),
               fq.data());
  };
  poolOf(env)->run(parts, task);
  double violation = 0;
  for (size_t i = 0; i < rows; i++) violation += rv[i];
  napi_value result;
  napi_create_double(env, violation, &result);
  return result;
}

// ---------------------------------------------------------------------------------------------
// CSR V (csr.inl, csr_dispatch.h): the KL numerators and the products C · F and Cᵀ · W. W-side
// outputs are split over threads by rows, cut where the stored entries are shared evenly; H-side
// outputs by columns, cut where a sample of the rows shares its entries evenly. Every output entry
// is summed by one thread in the one-thread order (contract.ts, rule 4): same bits at any count.

/** The CSR arrays of V and its shape, checked: indptr (m + 1) from 0, non-decreasing, to nnz ≤ the
 * lengths of indices and data; indices in [0, n) and sorted within each row. */
struct CsrArgs {
  const int32_t* indptr = nullptr;
  const int32_t* indices = nullptr;
  const double* data = nullptr;
  size_t m = 0, n = 0, nnz = 0;
};

/** An Int32Array's data and length into (out, length); false if value is not one. */
bool readInt32Array(napi_env env, napi_value value, const int32_t** out, size_t* length) {
  bool isTyped = false;
  napi_is_typedarray(env, value, &isTyped);
  if (!isTyped) return false;
  napi_typedarray_type type;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, value, &type, length, &data, nullptr, nullptr) != napi_ok ||
      type != napi_int32_array)
    return false;
  *out = static_cast<const int32_t*>(data);
  return true;
}

/**
 * Allocator of 64-byte-aligned blocks: the padded rows the CSR kernels load four doubles at a time
 * (rows of kp doubles, kp a multiple of 4) then never straddle a cache line, which a 16-byte-aligned
 * malloc block makes every other load do (measured: ~10 % of the KL passes at k = 10).
 */
template <class T>
struct Aligned64 {
  using value_type = T;
  Aligned64() = default;
  template <class U>
  Aligned64(const Aligned64<U>&) {}
  T* allocate(size_t count) { return static_cast<T*>(::operator new(count * sizeof(T), std::align_val_t(64))); }
  void deallocate(T* p, size_t) { ::operator delete(p, std::align_val_t(64)); }
  template <class U>
  bool operator==(const Aligned64<U>&) const {
    return true;
  }
  template <class U>
  bool operator!=(const Aligned64<U>&) const {
    return false;
  }
};
typedef std::vector<double, Aligned64<double>> AlignedDoubles;

/**
 * A CSR matrix whose structure has been checked once (`csrHandle`): the kernels given the handle
 * in place of indptr skip the O(nnz) check of every index (about 8 ms a call on 4 × 10⁶ stored
 * entries, three calls an iteration). It holds weak references to the three arrays (the caller
 * keeps them alive, and may key its cache of handles on them without a cycle) and their shape; a
 * call with the handle must pass those very arrays (checked by identity) and that shape. The
 * engine never writes V, which is what makes one check enough; indptr (m + 1 offsets) is
 * re-checked on every call, as it costs nothing against the kernels. The handle also keeps the
 * column-block layout of the blocked KL passes (csr.inl), made once per block width.
 */
struct CsrHandle {
  napi_ref indptr = nullptr, indices = nullptr, data = nullptr;
  size_t m = 0, n = 0, nnz = 0;
  int blockWidth = 0;
  std::vector<int32_t> blockPtr;  // m × (blocks + 1), for blockWidth
  // Scratch of the KL calls (padded Ht, padded W, padded output), kept between calls: allocated
  // per call, their megabytes went back to the system and came back as fresh pages each time (page
  // faults and zeroing measured at a third of a call's time on the 2000 × 20 000 set). Sized for
  // one padded width at a time (scratchKp; see csrScratchAt).
  AlignedDoubles htp, wp, outp;
  int scratchKp = 0;
};

/**
 * Readies the handle's scratch for a call at padded width kp: kept while the calls keep that
 * width (a fit's iterations), given back to the system when one comes at another. A fit's start
 * (the randomized SVD's products at l = k + 10 columns, kp 32 at k = 20) padded F into n × 32
 * doubles (0.26 GB at 10⁶ columns), which the fit's own calls at kp 20 would otherwise have kept
 * (they only grow the buffers) for as long as the data set was held.
 */
void csrScratchAt(CsrHandle* handle, int kp) {
  if (handle == nullptr || handle->scratchKp == kp) return;
  AlignedDoubles().swap(handle->htp);
  AlignedDoubles().swap(handle->wp);
  AlignedDoubles().swap(handle->outp);
  handle->scratchKp = kp;
}

const napi_type_tag csrHandleTag = {0x6e6d6673747564ULL, 0x4353524841444c45ULL};

void DeleteCsrHandle(napi_env env, void* data, void*) {
  CsrHandle* handle = static_cast<CsrHandle*>(data);
  napi_delete_reference(env, handle->indptr);
  napi_delete_reference(env, handle->indices);
  napi_delete_reference(env, handle->data);
  delete handle;
}

/** The handle `value` wraps, or nullptr if it is not one. */
CsrHandle* csrHandleOf(napi_env env, napi_value value) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_object) return nullptr;
  bool typed = false;
  napi_is_typedarray(env, value, &typed);
  if (typed) return nullptr;
  bool tagged = false;
  if (napi_check_object_type_tag(env, value, &csrHandleTag, &tagged) != napi_ok || !tagged) return nullptr;
  void* data = nullptr;
  if (napi_unwrap(env, value, &data) != napi_ok) return nullptr;
  return static_cast<CsrHandle*>(data);
}

/** Whether `value` is the object `ref` refers to. */
bool sameObject(napi_env env, napi_ref ref, napi_value value) {
  napi_value held;
  bool same = false;
  if (napi_get_reference_value(env, ref, &held) != napi_ok || held == nullptr) return false;
  napi_strict_equals(env, held, value, &same);
  return same;
}

/**
 * Reads (indptr, indices, data, m, n) from argv[0..4] for `name` and checks the structure (an
 * O(nnz) pass: a bad index would otherwise write outside the output). argv[0] may instead be a
 * handle from `csrHandle` made for these arrays and shape: then only indptr is checked (O(m)).
 * `handle` (optional) receives the handle, or nullptr.
 */
bool getCsrArgs(napi_env env, const napi_value* argv, const char* name, CsrArgs* a, CsrHandle** handle = nullptr) {
  const auto refuse = [&](const std::string& what) { return fail(env, (std::string(name) + ": " + what).c_str()); };
  size_t indptrLength = 0, indicesLength = 0;
  Array data;
  CsrHandle* checked = csrHandleOf(env, argv[0]);
  if (handle != nullptr) *handle = checked;
  if (checked != nullptr) {
    napi_value indptr;
    if (napi_get_reference_value(env, checked->indptr, &indptr) != napi_ok || indptr == nullptr ||
        !readInt32Array(env, indptr, &a->indptr, &indptrLength))
      return refuse("the CSR handle's indptr is gone");
  } else if (!readInt32Array(env, argv[0], &a->indptr, &indptrLength)) {
    return refuse("indptr must be an Int32Array (or a handle from csrHandle)");
  }
  if (!readInt32Array(env, argv[1], &a->indices, &indicesLength)) return refuse("indices must be an Int32Array");
  if (!readArray(env, argv[2], &data)) return refuse("data must be a Float64Array");
  if (!readSize(env, argv[3], &a->m)) return refuse("m must be a non-negative integer");
  if (!readSize(env, argv[4], &a->n)) return refuse("n must be a non-negative integer");
  a->data = data.data;
  if (checked != nullptr && (!sameObject(env, checked->indices, argv[1]) || !sameObject(env, checked->data, argv[2]) ||
                             checked->m != a->m || checked->n != a->n))
    return refuse("the CSR handle was made for other arrays or another shape");
  if (a->n > (size_t)INT32_MAX || indptrLength < a->m + 1 || a->indptr[0] != 0)
    return refuse("indptr must hold m + 1 offsets from 0");
  for (size_t i = 0; i < a->m; i++)
    if (a->indptr[i + 1] < a->indptr[i]) return refuse("indptr decreases at row " + std::to_string(i));
  a->nnz = (size_t)a->indptr[a->m];
  if (a->nnz > indicesLength || a->nnz > data.length) return refuse("indptr[m] exceeds the stored entries");
  if (checked != nullptr) {
    if (a->nnz != checked->nnz) return refuse("indptr changed since the CSR handle was made");
    return true;
  }
  const int32_t n = (int32_t)a->n;
  for (size_t i = 0; i < a->m; i++) {
    int32_t previous = 0;
    for (size_t p = (size_t)a->indptr[i]; p < (size_t)a->indptr[i + 1]; p++) {
      const int32_t j = a->indices[p];
      if (j < previous || j >= n)
        return refuse("indices of row " + std::to_string(i) + " are not sorted columns in [0, n)");
      previous = j;
    }
  }
  return true;
}

/**
 * (indptr, indices, data, m, n) → a handle: the CSR structure checked once (as every CSR kernel
 * checks it: indptr from 0, non-decreasing, within the stored entries; indices sorted columns in
 * [0, n) in every row), to be passed to csrProduct, csrKl and csrLosses in place of indptr.
 */
napi_value CsrHandleNew(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!getArgs(env, info, 5, argv, "csrHandle: expected (indptr, indices, data, m, n)")) return nullptr;
  CsrArgs a;
  if (csrHandleOf(env, argv[0]) != nullptr) {
    fail(env, "csrHandle: indptr must be an Int32Array");
    return nullptr;
  }
  if (!getCsrArgs(env, argv, "csrHandle", &a)) return nullptr;
  CsrHandle* handle = new CsrHandle();
  handle->m = a.m;
  handle->n = a.n;
  handle->nnz = a.nnz;
  napi_value object;
  napi_create_object(env, &object);
  napi_create_reference(env, argv[0], 0, &handle->indptr);
  napi_create_reference(env, argv[1], 0, &handle->indices);
  napi_create_reference(env, argv[2], 0, &handle->data);
  if (napi_type_tag_object(env, object, &csrHandleTag) != napi_ok ||
      napi_wrap(env, object, handle, DeleteCsrHandle, nullptr, nullptr) != napi_ok) {
    DeleteCsrHandle(env, handle, nullptr);
    fail(env, "csrHandle: could not make the handle");
    return nullptr;
  }
  return object;
}

/** Row where part p of `parts` begins when the stored entries are shared evenly. */
size_t csrRowCut(const int32_t* indptr, size_t m, size_t nnz, int parts, int p) {
  if (p <= 0) return 0;
  if (p >= parts) return m;
  const int32_t target = (int32_t)(nnz * (size_t)p / (size_t)parts);
  return (size_t)(std::lower_bound(indptr, indptr + m + 1, target) - indptr);
}

/** Column cuts (parts + 1) sharing the stored entries of a sample of about 256 rows evenly. */
std::vector<size_t> csrColumnCuts(const CsrArgs& a, int parts) {
  std::vector<size_t> cuts(parts + 1, a.n);
  cuts[0] = 0;
  if (parts == 1) return cuts;
  const size_t stride = a.m > 256 ? a.m / 256 : 1;
  std::vector<uint32_t> count(a.n, 0);
  size_t total = 0;
  for (size_t i = 0; i < a.m; i += stride)
    for (size_t p = (size_t)a.indptr[i]; p < (size_t)a.indptr[i + 1]; p++, total++) count[a.indices[p]]++;
  if (total == 0) {
    for (int p = 1; p < parts; p++) cuts[p] = cut(a.n, parts, p);
    return cuts;
  }
  size_t running = 0, j = 0;
  for (int p = 1; p < parts; p++) {
    const size_t target = total * (size_t)p / (size_t)parts;
    while (j < a.n && running < target) running += count[j++];
    cuts[p] = j;
  }
  return cuts;
}

/** F (rows × k) copied into rows × kp with zero padding, so every vector loop runs whole lanes. */
AlignedDoubles padColumns(const double* F, size_t rows, size_t k, size_t kp) {
  AlignedDoubles out(rows * kp, 0.0);
  for (size_t r = 0; r < rows; r++)
    for (size_t t = 0; t < k; t++) out[r * kp + t] = F[r * k + t];
  return out;
}

/**
 * `padColumns` into `buffer` (its storage reused from an earlier call when large enough): every
 * padded row written whole, values then zeros. Returns the rows.
 */
double* padColumnsInto(AlignedDoubles* buffer, const double* F, size_t rows, size_t k, size_t kp) {
  if (buffer->size() < rows * kp) buffer->resize(rows * kp);
  double* out = buffer->data();
  for (size_t r = 0; r < rows; r++) {
    for (size_t t = 0; t < k; t++) out[r * kp + t] = F[r * k + t];
    for (size_t t = k; t < kp; t++) out[r * kp + t] = 0;
  }
  return out;
}

/** `buffer`'s storage, at least `count` doubles (reused from an earlier call when large enough). */
double* scratchOf(AlignedDoubles* buffer, size_t count) {
  if (buffer->size() < count) buffer->resize(count);
  return buffer->data();
}

/**
 * out (m × k) = C · F (side 0; fp: F padded, n × kp) or out (n × k) = Cᵀ · W (side 1; fp: W padded,
 * m × kp) for the CSR coefficients c (nnz), split over `threads`.
 */
void csrProductOver(napi_env env, const CsrArgs& a, int side, const double* c, const double* fp, int k, int kp,
                    size_t threads, double* out) {
  if (side == 0) {
    const int parts = partsFor(threads, a.m);
    poolOf(env)->run(parts, [&](int p) {
      std::vector<double> acc(kp);
      csrIsa.rowProducts(a.indptr, a.indices, c, k, fp, kp, csrRowCut(a.indptr, a.m, a.nnz, parts, p),
                         csrRowCut(a.indptr, a.m, a.nnz, parts, p + 1), out, acc.data());
    });
    return;
  }
  const int parts = partsFor(threads, a.n);
  const std::vector<size_t> cuts = csrColumnCuts(a, parts);
  poolOf(env)->run(parts, [&](int p) {
    std::vector<double> outp((cuts[p + 1] - cuts[p]) * (size_t)kp);
    csrIsa.columnProducts(a.indptr, a.indices, c, a.m, k, fp, kp, cuts[p], cuts[p + 1], out, outp.data());
  });
}

void csrProductBlocked(napi_env env, const CsrArgs& a, CsrHandle* handle, int side, const double* F, int k,
                       size_t threads, double* out);

/**
 * (side, indptr | handle, indices, data, m, n, k, W, Ht, beta, numOut, denOut, threads): the
 * general-β MU terms on CSR V (NmfKernels.betaW / betaH), as `betaTerms` on dense V but with the
 * numerator terms at the stored entries only (`betaSparseRow`); the denominator terms, over every
 * entry, from whole rows of WH. Side 0 splits rows, side 1 columns over threads.
 */
napi_value BetaTermsCsr(napi_env env, napi_callback_info info) {
  napi_value argv[13];
  if (!getArgs(env, info, 13, argv,
               "betaTermsCsr: expected (side, indptr, indices, data, m, n, k, W, Ht, beta, numOut, denOut, threads)"))
    return nullptr;
  size_t side = 0, k = 0, threads = 1;
  double beta = 0;
  CsrArgs a;
  Array W, Ht, numOut, denOut;
  if (!getSize(env, argv[0], &side, "betaTermsCsr: side must be 0 or 1") ||
      !getCsrArgs(env, argv + 1, "betaTermsCsr", &a) ||
      !getSize(env, argv[6], &k, "betaTermsCsr: k must be a non-negative integer") ||
      !getArray(env, argv[7], &W, "betaTermsCsr: W must be a Float64Array") ||
      !getArray(env, argv[8], &Ht, "betaTermsCsr: Ht must be a Float64Array") ||
      !getArray(env, argv[10], &numOut, "betaTermsCsr: numOut must be a Float64Array") ||
      !getArray(env, argv[11], &denOut, "betaTermsCsr: denOut must be a Float64Array") ||
      !getSize(env, argv[12], &threads, "betaTermsCsr: threads must be a non-negative integer"))
    return nullptr;
  if (napi_get_value_double(env, argv[9], &beta) != napi_ok || !std::isfinite(beta) || beta == 1 || beta == 2) {
    fail(env, "betaTermsCsr: beta must be a finite number other than 1 and 2");
    return nullptr;
  }
  if (side > 1) {
    fail(env, "betaTermsCsr: side must be 0 or 1");
    return nullptr;
  }
  const size_t m = a.m, n = a.n;
  if (!sizesFit(env, m, n, k, "betaTermsCsr: m, n and k are too large")) return nullptr;
  const size_t outSize = (side == 0 ? m : n) * k;
  if (k < 1 || k > 4096 || W.length < m * k || Ht.length < n * k || numOut.length < outSize ||
      denOut.length < outSize) {
    fail(env, "betaTermsCsr: array lengths do not match m, n and k");
    return nullptr;
  }
  if (m == 0 || n == 0) {
    for (size_t x = 0; x < outSize; x++) numOut.data[x] = denOut.data[x] = 0;
    return nullptr;
  }
  betaTermsOver(env, (int)side, a.data, a.indptr, a.indices, m, n, k, W.data, Ht.data, beta, numOut.data, denOut.data,
                threads);
  return nullptr;
}

/**
 * (side, indptr, indices, data, m, n, F, k, out, threads): side 0: out (m × k) = V · F for F (n × k);
 * side 1: out (n × k) = Vᵀ · F for F = W (m × k). Stored entries that are not > 0 add nothing.
 * indptr may be a handle (csrHandle): then the column-blocked products (csrProductBlocked), same bits.
 */
napi_value CsrProduct(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  if (!getArgs(env, info, 10, argv, "csrProduct: expected (side, indptr, indices, data, m, n, F, k, out, threads)"))
    return nullptr;
  size_t side = 0, k = 0, threads = 1;
  CsrArgs a;
  Array F, out;
  CsrHandle* handle = nullptr;
  if (!getSize(env, argv[0], &side, "csrProduct: side must be 0 or 1") ||
      !getCsrArgs(env, argv + 1, "csrProduct", &a, &handle) ||
      !getArray(env, argv[6], &F, "csrProduct: F must be a Float64Array") ||
      !getSize(env, argv[7], &k, "csrProduct: k must be a non-negative integer") ||
      !getArray(env, argv[8], &out, "csrProduct: out must be a Float64Array") ||
      !getSize(env, argv[9], &threads, "csrProduct: threads must be a non-negative integer"))
    return nullptr;
  if (side > 1) {
    fail(env, "csrProduct: side must be 0 or 1");
    return nullptr;
  }
  if (!sizesFit(env, a.m, a.n, k, "csrProduct: m, n and k are too large")) return nullptr;
  const size_t inRows = side == 0 ? a.n : a.m, outRows = side == 0 ? a.m : a.n;
  if (k < 1 || k > 4096 || F.length < inRows * k || out.length < outRows * k) {
    fail(env, "csrProduct: array lengths do not match m, n and k");
    return nullptr;
  }
  if (handle != nullptr) {
    csrProductBlocked(env, a, handle, (int)side, F.data, (int)k, threads, out.data);
    return nullptr;
  }
  const int kp = ((int)k + 3) & ~3;
  const AlignedDoubles fp = padColumns(F.data, inRows, k, kp);
  csrProductOver(env, a, (int)side, a.data, fp.data(), (int)k, kp, threads, out.data);
  return nullptr;
}

/**
 * Column-block width of the blocked KL passes (csr.inl) for rows of kp doubles: a block's slice of
 * Ht (and of the H side's output) in about 256 KiB, which stays in L2 (0.5–2 MiB a core on
 * current x86-64) with room for the streams of V and the ratios, while a row's run of entries in a
 * block stays long enough to stream; at least 64 columns.
 */
int csrBlockWidth(size_t n, int kp) {
  const size_t width = std::max<size_t>(64, (size_t)(256 * 1024) / ((size_t)kp * sizeof(double)));
  return (int)std::min(width, std::max<size_t>(n, 1));
}

/** The block layout of `a` for `width` (csr.inl): m × (blocks + 1) stored positions. */
std::vector<int32_t> csrBlockPtr(const CsrArgs& a, int width, int blocks) {
  const size_t stride = (size_t)blocks + 1;
  std::vector<int32_t> ptr(a.m * stride);
  for (size_t i = 0; i < a.m; i++) {
    const int32_t* first = a.indices + a.indptr[i];
    const int32_t* last = a.indices + a.indptr[i + 1];
    const int32_t* q = first;
    ptr[i * stride] = a.indptr[i];
    for (int b = 1; b < blocks; b++) {
      q = std::lower_bound(q, last, (int32_t)((size_t)b * (size_t)width));
      ptr[i * stride + b] = (int32_t)(q - a.indices);
    }
    ptr[i * stride + blocks] = a.indptr[i + 1];
  }
  return ptr;
}

/**
 * The block layout for `width`: kept in the handle (made on its first use at that width, m ×
 * (blocks + 1) int32: 64 KiB for the 2000-row bench set) or, without a handle, made into `local`.
 */
const int32_t* csrBlocks(const CsrArgs& a, CsrHandle* handle, int width, int blocks, std::vector<int32_t>* local) {
  if (handle == nullptr) {
    *local = csrBlockPtr(a, width, blocks);
    return local->data();
  }
  if (handle->blockWidth != width) {
    handle->blockPtr = csrBlockPtr(a, width, blocks);
    handle->blockWidth = width;
  }
  return handle->blockPtr.data();
}

/** Block cuts (parts + 1) sharing the stored entries of `a`'s column blocks evenly over `parts`. */
std::vector<int> csrBlockCuts(const CsrArgs& a, const int32_t* blockPtr, int blocks, int parts) {
  std::vector<int> blockCuts(parts + 1, blocks);
  blockCuts[0] = 0;
  if (parts > 1) {
    const size_t stride = (size_t)blocks + 1;
    std::vector<size_t> inBlock(blocks, 0);
    for (size_t i = 0; i < a.m; i++)
      for (int b = 0; b < blocks; b++) inBlock[b] += (size_t)(blockPtr[i * stride + b + 1] - blockPtr[i * stride + b]);
    size_t running = 0;
    int b = 0;
    for (int p = 1; p < parts; p++) {
      const size_t target = a.nnz * (size_t)p / (size_t)parts;
      while (b < blocks && running + inBlock[b] / 2 < target) running += inBlock[b++];
      blockCuts[p] = std::max(b, blockCuts[p - 1]);
    }
  }
  return blockCuts;
}

/**
 * csrProduct with a handle: the column-blocked products (csr.inl), same bits as csrProductOver.
 * F (side 0: n × k; side 1: W, m × k) is padded into the handle's scratch, kept between calls at
 * one padded width (a fresh 256 MB padding of F per call at n = 10⁶, l = 30 came back as new pages
 * every time). Side 0: rows split over threads where the stored entries are shared evenly, summed
 * in a padded m × kp scratch; side 1: column blocks split over threads by their stored entries (as
 * csrKl), each part summing one block at a time into width × kp doubles, copied out per block.
 */
void csrProductBlocked(napi_env env, const CsrArgs& a, CsrHandle* handle, int side, const double* F, int k,
                       size_t threads, double* out) {
  const int kp = (k + 3) & ~3;
  csrScratchAt(handle, kp);
  const size_t inRows = side == 0 ? a.n : a.m;
  const double* fp = padColumnsInto(side == 0 ? &handle->htp : &handle->wp, F, inRows, (size_t)k, (size_t)kp);
  const int width = csrBlockWidth(a.n, kp);
  const int blocks = (int)((a.n + (size_t)width - 1) / (size_t)width);
  std::vector<int32_t> unused;
  const int32_t* blockPtr = csrBlocks(a, handle, width, blocks, &unused);
  if (side == 0) {
    double* outp = scratchOf(&handle->outp, a.m * (size_t)kp);
    const int parts = partsFor(threads, a.m);
    poolOf(env)->run(parts, [&](int p) {
      const size_t i0 = csrRowCut(a.indptr, a.m, a.nnz, parts, p), i1 = csrRowCut(a.indptr, a.m, a.nnz, parts, p + 1);
      for (size_t x = i0 * (size_t)kp; x < i1 * (size_t)kp; x++) outp[x] = 0;
      csrIsa.rowProductBlocks(a.indices, a.data, fp, kp, blockPtr, blocks, i0, i1, outp);
      for (size_t i = i0; i < i1; i++)
        for (int t = 0; t < k; t++) out[i * (size_t)k + t] = outp[i * (size_t)kp + t];
    });
    return;
  }
  // Each part sums one block at a time into its own block of scratch, copied out block by block.
  const int parts = partsFor(threads, (size_t)blocks);
  const std::vector<int> blockCuts = csrBlockCuts(a, blockPtr, blocks, parts);
  const size_t blockDoubles = (size_t)width * (size_t)kp;
  double* scratch = scratchOf(&handle->outp, (size_t)parts * blockDoubles);
  poolOf(env)->run(parts, [&](int p) {
    csrIsa.columnProductBlocks(a.indices, a.data, a.m, a.n, fp, kp, blockPtr, blocks, width, blockCuts[p],
                               blockCuts[p + 1], scratch + (size_t)p * blockDoubles, k, out);
  });
}

/**
 * Whether x[0 .. count) holds no infinity and no NaN: the rank-specialised KL passes (csr.inl) add
 * (+0)·f where the general ones skip, which is the same only for finite f.
 */
bool allFinite(const double* x, size_t count) {
  bool finite = true;
  for (size_t q = 0; q < count; q++) finite &= x[q] - x[q] == 0;
  return finite;
}

/** Whether some row of `a` is denser than n/3 (the whole-row path of csrRatios). */
bool csrAnyDenseRow(const CsrArgs& a) {
  for (size_t i = 0; i < a.m; i++)
    if (3 * (size_t)(a.indptr[i + 1] - a.indptr[i]) > a.n) return true;
  return false;
}

void csrKlRun(napi_env env, const CsrArgs& a, CsrHandle* handle, int side, size_t k, const Array& W, const Array& Ht,
              const Array& out, const Array& ratio, size_t threads, double* sums);

/**
 * (side, indptr, indices, data, m, n, k, W, Ht, out, ratio, threads): the KL numerators for CSR V,
 * side 0 numW (m × k) = (V ⊘ WH) · Hᵀ, side 1 numHt (n × k) = (Wᵀ (V ⊘ WH))ᵀ. indptr may be a
 * handle (csrHandle). `ratio` (nnz) is scratch: the ratios of rows denser than n/3 are left there,
 * the others are computed block by block and used while in cache (csr.inl, the blocked passes).
 * W side: rows split over threads where the stored entries are shared evenly; H side: column
 * blocks split over threads where the blocks' stored entries are shared evenly.
 */
napi_value CsrKl(napi_env env, napi_callback_info info) {
  napi_value argv[12];
  if (!getArgs(env, info, 12, argv,
               "csrKl: expected (side, indptr, indices, data, m, n, k, W, Ht, out, ratio, threads)"))
    return nullptr;
  size_t side = 0, k = 0, threads = 1;
  CsrArgs a;
  CsrHandle* handle = nullptr;
  Array W, Ht, out, ratio;
  if (!getSize(env, argv[0], &side, "csrKl: side must be 0 or 1") || !getCsrArgs(env, argv + 1, "csrKl", &a, &handle) ||
      !getSize(env, argv[6], &k, "csrKl: k must be a non-negative integer") ||
      !getArray(env, argv[7], &W, "csrKl: W must be a Float64Array") ||
      !getArray(env, argv[8], &Ht, "csrKl: Ht must be a Float64Array") ||
      !getArray(env, argv[9], &out, "csrKl: out must be a Float64Array") ||
      !getArray(env, argv[10], &ratio, "csrKl: ratio must be a Float64Array") ||
      !getSize(env, argv[11], &threads, "csrKl: threads must be a non-negative integer"))
    return nullptr;
  if (side > 1) {
    fail(env, "csrKl: side must be 0 or 1");
    return nullptr;
  }
  if (!sizesFit(env, a.m, a.n, k, "csrKl: m, n and k are too large")) return nullptr;
  if (k < 1 || k > 4096 || W.length < a.m * k || Ht.length < a.n * k || out.length < (side == 0 ? a.m : a.n) * k ||
      ratio.length < a.nnz) {
    fail(env, "csrKl: array lengths do not match m, n, k and the stored entries");
    return nullptr;
  }
  csrKlRun(env, a, handle, (int)side, k, W, Ht, out, ratio, threads, nullptr);
  return nullptr;
}

/**
 * The KL numerator of `side` into out (csrKl) and, on side 0 with `sums` (2m) not null, the loss
 * rows of csrLosses for the same W and Ht: read in the numerator's pass where the rank-specialised
 * one serves (csr.inl: one dot product and one ratio per stored entry for both), else by the loss
 * pass after it. Arguments checked by the caller.
 */
void csrKlRun(napi_env env, const CsrArgs& a, CsrHandle* handle, int side, size_t k, const Array& W, const Array& Ht,
              const Array& out, const Array& ratio, size_t threads, double* sums) {
  const int kk = (int)k, kp = (kk + 3) & ~3;
  // H (k × n) only where some row is dense enough to be served from a whole row of WH.
  const bool anyDense = csrAnyDenseRow(a);
  const std::vector<double> h = anyDense ? transposeHt(Ht.data, a.n, k) : std::vector<double>();
  const double* hp = h.data();
  // Ht padded to kp columns: four components of an entry's row load at once. Scratch kept in the
  // handle when there is one (see CsrHandle), else this call's own.
  AlignedDoubles ownHtp, ownWp, ownOut;
  csrScratchAt(handle, kp);
  AlignedDoubles* htpBuffer = handle != nullptr ? &handle->htp : &ownHtp;
  AlignedDoubles* wpBuffer = handle != nullptr ? &handle->wp : &ownWp;
  AlignedDoubles* outBuffer = handle != nullptr ? &handle->outp : &ownOut;
  const double* htp = padColumnsInto(htpBuffer, Ht.data, a.n, k, kp);
  const int width = csrBlockWidth(a.n, kp);
  const int blocks = (int)((a.n + (size_t)width - 1) / (size_t)width);
  std::vector<int32_t> localBlocks;
  const int32_t* blockPtr = csrBlocks(a, handle, width, blocks, &localBlocks);
  const int rowParts = partsFor(threads, a.m);
  // The rank-specialised passes (csr.inl) where k is small and the factor they multiply finite.
  const bool rankPath = side == 0 ? kk <= base::kMaxRankKl && allFinite(Ht.data, a.n * k)
                                  : kk <= base::kMaxRankKl && allFinite(W.data, a.m * k);
  // The dense rows' ratios (csrRatios) where a pass reads them stored: `ratio` when the caller gave
  // nnz of it (csrKl), else this call's own (csrKlLoss, whose W-side rank pass stores none).
  std::vector<double> ownRatio;
  double* ratioData = ratio.data;
  if (anyDense && ratio.length < a.nnz && !(side == 0 && rankPath)) {
    ownRatio.resize(a.nnz);
    ratioData = ownRatio.data();
  }
  if (side == 0) {
    // The padded output (aligned, as htp: `out`'s rows may straddle cache lines), copied to out.
    double* outp = scratchOf(outBuffer, a.m * (size_t)kp);
    poolOf(env)->run(rowParts, [&](int p) {
      const size_t i0 = csrRowCut(a.indptr, a.m, a.nnz, rowParts, p),
                   i1 = csrRowCut(a.indptr, a.m, a.nnz, rowParts, p + 1);
      std::vector<double> row(anyDense ? a.n : 0);
      for (size_t x = i0 * (size_t)kp; x < i1 * (size_t)kp; x++) outp[x] = 0;
      if (sums != nullptr)
        for (size_t x = 2 * i0; x < 2 * i1; x++) sums[x] = 0;
      if (rankPath) {
        // Dense rows are done whole inside, from rows of WH: no ratio is stored.
        csrIsa.klWRank(a.indptr, a.indices, a.data, a.n, kk, W.data, htp, hp, blockPtr, blocks, i0, i1, row.data(),
                       outp, sums);
      } else {
        for (size_t i = i0; anyDense && i < i1; i++)
          if (3 * (size_t)(a.indptr[i + 1] - a.indptr[i]) > a.n)
            csrIsa.ratios(a.indptr, a.indices, a.data, a.n, kk, W.data, htp, kp, hp, i, i + 1, ratioData, row.data());
        AlignedDoubles r((size_t)width);
        csrIsa.klWBlocks(a.indptr, a.indices, a.data, a.n, kk, W.data, htp, kp, blockPtr, blocks, i0, i1, ratioData,
                         outp, r.data());
        if (sums != nullptr)
          csrIsa.lossBlocks(a.indptr, a.indices, a.data, kk, W.data, htp, kp, blockPtr, blocks, i0, i1, sums);
      }
      for (size_t i = i0; i < i1; i++)
        for (int t = 0; t < kk; t++) out.data[i * k + t] = outp[i * kp + t];
    });
    return;
  }
  if (anyDense) {
    poolOf(env)->run(rowParts, [&](int p) {
      std::vector<double> row(a.n);
      for (size_t i = csrRowCut(a.indptr, a.m, a.nnz, rowParts, p);
           i < csrRowCut(a.indptr, a.m, a.nnz, rowParts, p + 1); i++)
        if (3 * (size_t)(a.indptr[i + 1] - a.indptr[i]) > a.n)
          csrIsa.ratios(a.indptr, a.indices, a.data, a.n, kk, W.data, htp, kp, hp, i, i + 1, ratioData, row.data());
    });
  }
  const double* wp = padColumnsInto(wpBuffer, W.data, a.m, k, kp);
  // Blocks shared over the parts by their stored entries; each part sums one block at a time into
  // its own block of padded scratch (aligned, as htp), copied to out block by block.
  const int parts = partsFor(threads, (size_t)blocks);
  const std::vector<int> blockCuts = csrBlockCuts(a, blockPtr, blocks, parts);
  const size_t blockDoubles = (size_t)width * (size_t)kp;
  double* scratch = scratchOf(outBuffer, (size_t)parts * blockDoubles);
  poolOf(env)->run(parts, [&](int p) {
    double* ob = scratch + (size_t)p * blockDoubles;
    if (rankPath) {
      csrIsa.klHRank(a.indptr, a.indices, a.data, a.m, a.n, kk, W.data, wp, htp, blockPtr, blocks, width, blockCuts[p],
                     blockCuts[p + 1], ratioData, ob, out.data);
    } else {
      AlignedDoubles r((size_t)width);
      csrIsa.klHBlocks(a.indptr, a.indices, a.data, a.m, a.n, kk, W.data, wp, htp, kp, blockPtr, blocks, width,
                       blockCuts[p], blockCuts[p + 1], ratioData, ob, out.data, r.data());
    }
  });
}

/**
 * (indptr, indices, data, m, n, k, W, Ht, sums, threads): the per-row KL loss sums on CSR V into
 * sums (2m), as csrRowLosses (contract.ts) leaves them; rows split over threads where the stored
 * entries are shared evenly, each row summed by one thread (the caller adds the rows in order),
 * column block by column block (csr.inl). indptr may be a handle (csrHandle).
 */
napi_value CsrLosses(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  if (!getArgs(env, info, 10, argv, "csrLosses: expected (indptr, indices, data, m, n, k, W, Ht, sums, threads)"))
    return nullptr;
  size_t k = 0, threads = 1;
  CsrArgs a;
  CsrHandle* handle = nullptr;
  Array W, Ht, sums;
  if (!getCsrArgs(env, argv, "csrLosses", &a, &handle) ||
      !getSize(env, argv[5], &k, "csrLosses: k must be a non-negative integer") ||
      !getArray(env, argv[6], &W, "csrLosses: W must be a Float64Array") ||
      !getArray(env, argv[7], &Ht, "csrLosses: Ht must be a Float64Array") ||
      !getArray(env, argv[8], &sums, "csrLosses: sums must be a Float64Array") ||
      !getSize(env, argv[9], &threads, "csrLosses: threads must be a non-negative integer"))
    return nullptr;
  if (!sizesFit(env, a.m, a.n, k, "csrLosses: m, n and k are too large")) return nullptr;
  if (k < 1 || k > 4096 || W.length < a.m * k || Ht.length < a.n * k || sums.length < 2 * a.m) {
    fail(env, "csrLosses: array lengths do not match m, n and k");
    return nullptr;
  }
  const int kp = ((int)k + 3) & ~3;
  csrScratchAt(handle, kp);
  AlignedDoubles ownHtp;
  const double* htp = padColumnsInto(handle != nullptr ? &handle->htp : &ownHtp, Ht.data, a.n, k, kp);
  const int width = csrBlockWidth(a.n, kp);
  const int blocks = (int)((a.n + (size_t)width - 1) / (size_t)width);
  std::vector<int32_t> localBlocks;
  const int32_t* blockPtr = csrBlocks(a, handle, width, blocks, &localBlocks);
  const int parts = partsFor(threads, a.m);
  poolOf(env)->run(parts, [&](int p) {
    const size_t i0 = csrRowCut(a.indptr, a.m, a.nnz, parts, p), i1 = csrRowCut(a.indptr, a.m, a.nnz, parts, p + 1);
    for (size_t x = 2 * i0; x < 2 * i1; x++) sums.data[x] = 0;
    csrIsa.lossBlocks(a.indptr, a.indices, a.data, (int)k, W.data, htp, kp, blockPtr, blocks, i0, i1, sums.data);
  });
  return nullptr;
}

/**
 * (indptr, indices, data, m, n, k, W, Ht, numW, sums, threads): csrKl's W side into numW (m × k)
 * and csrLosses' rows into sums (2m) for the same W and Ht, in one pass where the rank-specialised
 * one serves (k ≤ 16, Ht finite: one dot product and one ratio per stored entry for both), else the
 * two passes one after the other: the bits of those two calls. No ratio scratch is passed: the
 * rank pass stores none, the general one makes its own where a row is denser than n/3. indptr may
 * be a handle (csrHandle).
 */
napi_value CsrKlLoss(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  if (!getArgs(env, info, 11, argv, "csrKlLoss: expected (indptr, indices, data, m, n, k, W, Ht, numW, sums, threads)"))
    return nullptr;
  size_t k = 0, threads = 1;
  CsrArgs a;
  CsrHandle* handle = nullptr;
  Array W, Ht, numW, sums;
  if (!getCsrArgs(env, argv, "csrKlLoss", &a, &handle) ||
      !getSize(env, argv[5], &k, "csrKlLoss: k must be a non-negative integer") ||
      !getArray(env, argv[6], &W, "csrKlLoss: W must be a Float64Array") ||
      !getArray(env, argv[7], &Ht, "csrKlLoss: Ht must be a Float64Array") ||
      !getArray(env, argv[8], &numW, "csrKlLoss: numW must be a Float64Array") ||
      !getArray(env, argv[9], &sums, "csrKlLoss: sums must be a Float64Array") ||
      !getSize(env, argv[10], &threads, "csrKlLoss: threads must be a non-negative integer"))
    return nullptr;
  if (!sizesFit(env, a.m, a.n, k, "csrKlLoss: m, n and k are too large")) return nullptr;
  if (k < 1 || k > 4096 || W.length < a.m * k || Ht.length < a.n * k || numW.length < a.m * k ||
      sums.length < 2 * a.m) {
    fail(env, "csrKlLoss: array lengths do not match m, n and k");
    return nullptr;
  }
  csrKlRun(env, a, handle, 0, k, W, Ht, numW, Array(), threads, sums.data);
  return nullptr;
}

napi_value Isa(napi_env env, napi_callback_info) {
  napi_value result;
  napi_create_string_utf8(env, isa.name, NAPI_AUTO_LENGTH, &result);
  return result;
}

void DeletePool(napi_env, void* data, void*) { delete static_cast<Pool*>(data); }

// ---------------------------------------------------------------------------------------------
// Missing-value kernels (masked.inl): maskedSweep and maskedSums, for fits on data with missing
// entries (cross-validation folds). Rows are split over threads; each row is one thread's.

#include "masked.inl"

// readInt32Array (above, with the CSR kernels) reads the partner lists.

/**
 * Whether ptr (rows + 1) and idx describe rows of partners in 0..others-1: ptr starts at 0, never
 * decreases and ends within idx. Checked on every call (O(rows + nnz)) because the kernels index O
 * and F with them. The loops test every entry without leaving early, so that they compile to
 * vector compares: with an early exit they ran one entry a cycle, ~20 µs of a ~130 µs call on the
 * W side of a Golub fold (63 000 partners).
 */
bool partnersValid(const int32_t* ptr, size_t ptrLength, const int32_t* idx, size_t idxLength, size_t rows,
                   size_t others) {
  if (ptrLength < rows + 1 || ptr[0] != 0) return false;
  int decreasing = 0;
  for (size_t r = 0; r < rows; r++) decreasing |= ptr[r + 1] < ptr[r];
  if (decreasing != 0 || (size_t)ptr[rows] > idxLength) return false;
  // A negative index read as unsigned is ≥ 2³¹, so one unsigned compare tests both ends.
  const uint32_t limit = others < 0x80000000u ? (uint32_t)others : 0x80000000u;
  int outside = 0;
  for (size_t q = 0; q < (size_t)ptr[rows]; q++) outside |= (uint32_t)idx[q] >= limit;
  return outside == 0;
}

/**
 * (F, rows, O, others, k, G, B, l2, ptr, idx, order, threads): one weighted coordinate-descent
 * sweep over the rows of F (rows × k) in place against O (others × k), with G (k × k) = OᵀO + l2·I
 * and B (rows × k); returns Σ|projected gradient|, per row and then in row order.
 */
napi_value MaskedSweep(napi_env env, napi_callback_info info) {
  napi_value argv[12];
  if (!getArgs(env, info, 12, argv,
               "maskedSweep: expected (F, rows, O, others, k, G, B, l2, ptr, idx, order, threads)"))
    return nullptr;
  size_t rows = 0, others = 0, k = 0, threads = 1;
  double l2 = 0;
  Array F, O, G, B;
  const int32_t *ptr = nullptr, *idx = nullptr, *order = nullptr;
  size_t ptrLength = 0, idxLength = 0, orderLength = 0;
  if (!getArray(env, argv[0], &F, "maskedSweep: F must be a Float64Array") ||
      !getSize(env, argv[1], &rows, "maskedSweep: rows must be a non-negative integer") ||
      !getArray(env, argv[2], &O, "maskedSweep: O must be a Float64Array") ||
      !getSize(env, argv[3], &others, "maskedSweep: others must be a non-negative integer") ||
      !getSize(env, argv[4], &k, "maskedSweep: k must be a non-negative integer") ||
      !getArray(env, argv[5], &G, "maskedSweep: G must be a Float64Array") ||
      !getArray(env, argv[6], &B, "maskedSweep: B must be a Float64Array") ||
      !getSize(env, argv[11], &threads, "maskedSweep: threads must be a non-negative integer"))
    return nullptr;
  if (napi_get_value_double(env, argv[7], &l2) != napi_ok) {
    fail(env, "maskedSweep: l2 must be a number");
    return nullptr;
  }
  if (!readInt32Array(env, argv[8], &ptr, &ptrLength) || !readInt32Array(env, argv[9], &idx, &idxLength) ||
      !readInt32Array(env, argv[10], &order, &orderLength)) {
    fail(env, "maskedSweep: ptr, idx and order must be Int32Arrays");
    return nullptr;
  }
  if (!sizesFit(env, rows, others, k, "maskedSweep: rows, others and k are too large")) return nullptr;
  if (k < 1 || k > 4096 || F.length < rows * k || B.length < rows * k || O.length < others * k || G.length < k * k ||
      orderLength < k) {
    fail(env, "maskedSweep: array lengths do not match rows, others and k");
    return nullptr;
  }
  for (size_t s = 0; s < k; s++)
    if (order[s] < 0 || (size_t)order[s] >= k) {
      fail(env, "maskedSweep: order holds a component outside 0..k-1");
      return nullptr;
    }
  if (!partnersValid(ptr, ptrLength, idx, idxLength, rows, others)) {
    fail(env, "maskedSweep: ptr and idx do not list partners in 0..others-1 for each row");
    return nullptr;
  }
  std::vector<double> rv(rows);
  const int parts = partsFor(threads, rows);
  auto task = [&](int p) {
    std::vector<double> rowGram(k * k);
    masked::sweepRows(F.data, O.data, others, (int)k, G.data, B.data, l2, ptr, idx, order, cut(rows, parts, p),
                      cut(rows, parts, p + 1), rv.data(), rowGram.data());
  };
  poolOf(env)->run(parts, task);
  double violation = 0;
  for (size_t r = 0; r < rows; r++) violation += rv[r];
  napi_value result;
  napi_create_double(env, violation, &result);
  return result;
}

/**
 * (out, rows, F, others, k, total, ptr, idx, threads): out (rows × k), row r = total (k) − Σ over
 * r's missing partners o of F_o (F: others × k), clamped at 0.
 */
napi_value MaskedSums(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  if (!getArgs(env, info, 9, argv, "maskedSums: expected (out, rows, F, others, k, total, ptr, idx, threads)"))
    return nullptr;
  size_t rows = 0, others = 0, k = 0, threads = 1;
  Array out, F, total;
  const int32_t *ptr = nullptr, *idx = nullptr;
  size_t ptrLength = 0, idxLength = 0;
  if (!getArray(env, argv[0], &out, "maskedSums: out must be a Float64Array") ||
      !getSize(env, argv[1], &rows, "maskedSums: rows must be a non-negative integer") ||
      !getArray(env, argv[2], &F, "maskedSums: F must be a Float64Array") ||
      !getSize(env, argv[3], &others, "maskedSums: others must be a non-negative integer") ||
      !getSize(env, argv[4], &k, "maskedSums: k must be a non-negative integer") ||
      !getArray(env, argv[5], &total, "maskedSums: total must be a Float64Array") ||
      !getSize(env, argv[8], &threads, "maskedSums: threads must be a non-negative integer"))
    return nullptr;
  if (!readInt32Array(env, argv[6], &ptr, &ptrLength) || !readInt32Array(env, argv[7], &idx, &idxLength)) {
    fail(env, "maskedSums: ptr and idx must be Int32Arrays");
    return nullptr;
  }
  if (!sizesFit(env, rows, others, k, "maskedSums: rows, others and k are too large")) return nullptr;
  if (k < 1 || k > 4096 || out.length < rows * k || F.length < others * k || total.length < k) {
    fail(env, "maskedSums: array lengths do not match rows, others and k");
    return nullptr;
  }
  if (!partnersValid(ptr, ptrLength, idx, idxLength, rows, others)) {
    fail(env, "maskedSums: ptr and idx do not list partners in 0..others-1 for each row");
    return nullptr;
  }
  const int parts = partsFor(threads, rows);
  auto task = [&](int p) {
    masked::sumsRows(out.data, F.data, others, (int)k, total.data, ptr, idx, cut(rows, parts, p),
                     cut(rows, parts, p + 1));
  };
  poolOf(env)->run(parts, task);
  return nullptr;
}

/** Adds maskedSweep and maskedSums to the module's exports. */
void defineMaskedExports(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"maskedSweep", nullptr, MaskedSweep, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maskedSums", nullptr, MaskedSums, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}

// ---------------------------------------------------------------------------------------------
// The randomized SVD's re-orthonormalisation (orthonormalize.inl).

#include "orthonormalize.inl"

// ---------------------------------------------------------------------------------------------
// The randomized SVD's Jacobi sweeps (jacobi.inl).

#include "jacobi.inl"

// ---------------------------------------------------------------------------------------------
// Fused half-iterations of HALS and KL MU on dense V (fused.inl).

#include "fused.inl"

// ---------------------------------------------------------------------------------------------
// The data scan of a fit on dense V (scan.inl).

#include "scan.inl"

// ---------------------------------------------------------------------------------------------
// The minibatch solver's batch gather from CSR V (minibatch.inl).

#include "minibatch.inl"

}  // namespace

NAPI_MODULE_INIT() {
  napi_set_instance_data(env, new Pool(), DeletePool, nullptr);
  napi_property_descriptor props[] = {
      {"product", nullptr, Product, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"losses", nullptr, Losses, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gram", nullptr, Gram, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"cdSweep", nullptr, CdSweep, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"timesSmall", nullptr, TimesSmall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"isa", nullptr, Isa, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  defineMaskedExports(env, exports);
  // The CSR kernels (csr.inl).
  napi_property_descriptor csrProps[] = {
      {"csrProduct", nullptr, CsrProduct, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"csrKl", nullptr, CsrKl, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"csrLosses", nullptr, CsrLosses, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"csrHandle", nullptr, CsrHandleNew, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"csrKlLoss", nullptr, CsrKlLoss, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(csrProps) / sizeof(csrProps[0]), csrProps);
  napi_property_descriptor orthoProps[] = {
      {"orthonormalize", nullptr, Orthonormalize, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, 1, orthoProps);
  defineFusedExports(env, exports);
  defineScanExports(env, exports);
  defineMinibatchExports(env, exports);
  // The randomized SVD's Jacobi sweeps (jacobi.inl).
  napi_property_descriptor jacobiProps[] = {
      {"jacobiSweeps", nullptr, JacobiSweeps, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, 1, jacobiProps);
  // The general-β terms on dense V (beta.inl) and their pow.
  napi_property_descriptor betaProps[] = {
      {"betaTerms", nullptr, BetaTerms, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"fdlibmPow", nullptr, FdlibmPow, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"betaLoss", nullptr, BetaLoss, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"betaTermsCsr", nullptr, BetaTermsCsr, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(betaProps) / sizeof(betaProps[0]), betaProps);
  return exports;
}
