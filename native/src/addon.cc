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
    std::vector<double> fq(4 * k);
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
 * Reads (indptr, indices, data, m, n) from argv[0..4] for `name` and checks the structure (an
 * O(nnz) pass: a bad index would otherwise write outside the output).
 */
bool getCsrArgs(napi_env env, const napi_value* argv, const char* name, CsrArgs* a) {
  const auto refuse = [&](const std::string& what) { return fail(env, (std::string(name) + ": " + what).c_str()); };
  size_t indptrLength = 0, indicesLength = 0;
  Array data;
  if (!readInt32Array(env, argv[0], &a->indptr, &indptrLength)) return refuse("indptr must be an Int32Array");
  if (!readInt32Array(env, argv[1], &a->indices, &indicesLength)) return refuse("indices must be an Int32Array");
  if (!readArray(env, argv[2], &data)) return refuse("data must be a Float64Array");
  if (!readSize(env, argv[3], &a->m)) return refuse("m must be a non-negative integer");
  if (!readSize(env, argv[4], &a->n)) return refuse("n must be a non-negative integer");
  a->data = data.data;
  if (a->n > (size_t)INT32_MAX || indptrLength < a->m + 1 || a->indptr[0] != 0)
    return refuse("indptr must hold m + 1 offsets from 0");
  for (size_t i = 0; i < a->m; i++)
    if (a->indptr[i + 1] < a->indptr[i]) return refuse("indptr decreases at row " + std::to_string(i));
  a->nnz = (size_t)a->indptr[a->m];
  if (a->nnz > indicesLength || a->nnz > data.length) return refuse("indptr[m] exceeds the stored entries");
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
std::vector<double> padColumns(const double* F, size_t rows, size_t k, size_t kp) {
  std::vector<double> out(rows * kp, 0.0);
  for (size_t r = 0; r < rows; r++)
    for (size_t t = 0; t < k; t++) out[r * kp + t] = F[r * k + t];
  return out;
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

/**
 * (side, indptr, indices, data, m, n, F, k, out, threads): side 0: out (m × k) = V · F for F (n × k);
 * side 1: out (n × k) = Vᵀ · F for F = W (m × k). Stored entries that are not > 0 add nothing.
 */
napi_value CsrProduct(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  if (!getArgs(env, info, 10, argv, "csrProduct: expected (side, indptr, indices, data, m, n, F, k, out, threads)"))
    return nullptr;
  size_t side = 0, k = 0, threads = 1;
  CsrArgs a;
  Array F, out;
  if (!getSize(env, argv[0], &side, "csrProduct: side must be 0 or 1") ||
      !getCsrArgs(env, argv + 1, "csrProduct", &a) ||
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
  const int kp = ((int)k + 3) & ~3;
  const std::vector<double> fp = padColumns(F.data, inRows, k, kp);
  csrProductOver(env, a, (int)side, a.data, fp.data(), (int)k, kp, threads, out.data);
  return nullptr;
}

/**
 * (side, indptr, indices, data, m, n, k, W, Ht, out, ratio, threads): the KL numerators for CSR V,
 * side 0 numW (m × k) = (V ⊘ WH) · Hᵀ, side 1 numHt (n × k) = (Wᵀ (V ⊘ WH))ᵀ, with the ratios at
 * the stored entries left in `ratio` (nnz), as klNumWCsr / klNumHCsr leave them.
 */
napi_value CsrKl(napi_env env, napi_callback_info info) {
  napi_value argv[12];
  if (!getArgs(env, info, 12, argv,
               "csrKl: expected (side, indptr, indices, data, m, n, k, W, Ht, out, ratio, threads)"))
    return nullptr;
  size_t side = 0, k = 0, threads = 1;
  CsrArgs a;
  Array W, Ht, out, ratio;
  if (!getSize(env, argv[0], &side, "csrKl: side must be 0 or 1") || !getCsrArgs(env, argv + 1, "csrKl", &a) ||
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
  const int kk = (int)k, kp = (kk + 3) & ~3;
  // H (k × n) only where some row is dense enough to be served from a whole row of WH.
  bool anyDense = false;
  for (size_t i = 0; i < a.m && !anyDense; i++) anyDense = 3 * (size_t)(a.indptr[i + 1] - a.indptr[i]) > a.n;
  const std::vector<double> h = anyDense ? transposeHt(Ht.data, a.n, k) : std::vector<double>();
  const double* hp = h.data();
  // Ht padded to kp columns: the ratios read four components of a row at once, and the W side's
  // product reads the same rows just after (still in cache).
  const std::vector<double> htp = padColumns(Ht.data, a.n, k, kp);
  if (side == 0) {
    const std::vector<double>& fp = htp;
    const int parts = partsFor(threads, a.m);
    poolOf(env)->run(parts, [&](int p) {
      std::vector<double> row(anyDense ? a.n : 0), acc(kp);
      const size_t i1 = csrRowCut(a.indptr, a.m, a.nnz, parts, p + 1);
      // Row by row, so each row's ratios are still in cache when they are used.
      for (size_t i = csrRowCut(a.indptr, a.m, a.nnz, parts, p); i < i1; i++) {
        csrIsa.ratios(a.indptr, a.indices, a.data, a.n, kk, W.data, htp.data(), kp, hp, i, i + 1, ratio.data,
                      row.data());
        csrIsa.rowProducts(a.indptr, a.indices, ratio.data, kk, fp.data(), kp, i, i + 1, out.data, acc.data());
      }
    });
    return nullptr;
  }
  const std::vector<double> wp = padColumns(W.data, a.m, k, kp);
  if (partsFor(threads, a.n) == 1) {
    // One part owns every column: each row's ratios are scattered while they are in cache, rows in
    // ascending order, so every column's sum has the terms and order of csrColumnProducts.
    std::vector<double> row(anyDense ? a.n : 0), outp(a.n * (size_t)kp, 0.0);
    for (size_t i = 0; i < a.m; i++) {
      csrIsa.ratios(a.indptr, a.indices, a.data, a.n, kk, W.data, htp.data(), kp, hp, i, i + 1, ratio.data, row.data());
      csrIsa.scatterRows(a.indptr, a.indices, ratio.data, wp.data(), kp, i, i + 1, outp.data());
    }
    for (size_t j = 0; j < a.n; j++)
      for (int t = 0; t < kk; t++) out.data[j * k + t] = outp[j * kp + t];
    return nullptr;
  }
  const int rowParts = partsFor(threads, a.m);
  poolOf(env)->run(rowParts, [&](int p) {
    std::vector<double> row(anyDense ? a.n : 0);
    csrIsa.ratios(a.indptr, a.indices, a.data, a.n, kk, W.data, htp.data(), kp, hp,
                  csrRowCut(a.indptr, a.m, a.nnz, rowParts, p), csrRowCut(a.indptr, a.m, a.nnz, rowParts, p + 1),
                  ratio.data, row.data());
  });
  csrProductOver(env, a, 1, ratio.data, wp.data(), kk, kp, threads, out.data);
  return nullptr;
}

/**
 * (indptr, indices, data, m, n, k, W, Ht, sums, threads): the per-row KL loss sums on CSR V into
 * sums (2m), as csrRowLosses (contract.ts) leaves them; rows split over threads where the stored
 * entries are shared evenly, each row summed by one thread (the caller adds the rows in order).
 */
napi_value CsrLosses(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  if (!getArgs(env, info, 10, argv, "csrLosses: expected (indptr, indices, data, m, n, k, W, Ht, sums, threads)"))
    return nullptr;
  size_t k = 0, threads = 1;
  CsrArgs a;
  Array W, Ht, sums;
  if (!getCsrArgs(env, argv, "csrLosses", &a) ||
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
  const std::vector<double> htp = padColumns(Ht.data, a.n, k, kp);
  const int parts = partsFor(threads, a.m);
  poolOf(env)->run(parts, [&](int p) {
    csrIsa.rowLosses(a.indptr, a.indices, a.data, (int)k, W.data, htp.data(), kp,
                     csrRowCut(a.indptr, a.m, a.nnz, parts, p), csrRowCut(a.indptr, a.m, a.nnz, parts, p + 1),
                     sums.data);
  });
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
 * decreases and ends within idx. Checked on every call (O(rows + nnz), small against the sweep)
 * because the kernels index O and F with them.
 */
bool partnersValid(const int32_t* ptr, size_t ptrLength, const int32_t* idx, size_t idxLength, size_t rows,
                   size_t others) {
  if (ptrLength < rows + 1 || ptr[0] != 0) return false;
  for (size_t r = 0; r < rows; r++)
    if (ptr[r + 1] < ptr[r]) return false;
  if ((size_t)ptr[rows] > idxLength) return false;
  for (size_t q = 0; q < (size_t)ptr[rows]; q++)
    if (idx[q] < 0 || (size_t)idx[q] >= others) return false;
  return true;
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
    masked::sumsRows(out.data, F.data, (int)k, total.data, ptr, idx, cut(rows, parts, p), cut(rows, parts, p + 1));
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
  };
  napi_define_properties(env, exports, sizeof(csrProps) / sizeof(csrProps[0]), csrProps);
  napi_property_descriptor orthoProps[] = {
      {"orthonormalize", nullptr, Orthonormalize, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, 1, orthoProps);
  return exports;
}
