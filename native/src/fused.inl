// Fused iteration kernels: one Node-API call per half-iteration of HALS and of KL multiplicative
// updates on dense V, instead of one per product, Gram matrix and sweep. Included by addon.cc
// inside its anonymous namespace (it uses the Node-API helpers, the pool and `isa` defined there).
//
// Why: on small data (scikit-learn's digits, 1797 × 64, k = 10) each kernel call's arithmetic
// takes tens of microseconds, so the calls' fixed costs (argument reading, the per-call buffers
// of `product`, the thread hand-over of every split call) are a large share of an iteration.
// Each fused call runs the existing kernels (`isa.rowSide`, `isa.columnSide`, `isa.gram`,
// `isa.cdRows`) in the order src/shared/nmf/solvers.ts calls them one by one, so its results have
// the same bits (src/shared/nmf/kernels/contract.ts, `halsHalf` and `klHalf`, and the bit rules);
// the buffers it needs are kept from one call to the next on the calling JavaScript thread.

namespace fused {

/**
 * Buffers kept between calls on one JavaScript thread (one Node environment, like its pool), so
 * an iteration allocates nothing: they grow to the largest problem seen and are never shrunk.
 * Only the calling thread names them; a pool thread gets pointers into them.
 */
struct Buffers {
  std::vector<double> htp;                 // the factor a W-side product reads, padded to kp columns
  std::vector<double> h;                   // H (k × n) for the KL ratio
  std::vector<double> rv;                  // per-row violations of a sweep
  std::vector<double> sums;                // k column sums (KL denominators)
  std::vector<std::vector<double>> parts;  // per-part scratch of the products and sweeps
};

thread_local Buffers buffers;

/** v grown to at least `size` entries (contents unspecified); its data. */
inline double* atLeast(std::vector<double>& v, size_t size) {
  if (v.size() < size) v.resize(size);
  return v.data();
}

/** Per-part scratch for `parts` parts of at least `size` doubles each. */
inline void partScratch(int parts, size_t size) {
  if (buffers.parts.size() < (size_t)parts) buffers.parts.resize(parts);
  for (int p = 0; p < parts; p++) atLeast(buffers.parts[p], size);
}

/**
 * The `product` entry point's arithmetic (addon.cc) on kept buffers: side 0 out (m × k) = C · Ht,
 * side 1 out (n × k) = Cᵀ · W, C the positive part of V or (ratio) V ⊘ WH; rows (side 0) or
 * columns (side 1) split over `threads` as `product` splits them. Each part then runs
 * `then(a, b)` on the output rows [a, b) it has just computed, before it ends: the work that
 * depends on those rows only (a sweep, an update) rides on the same hand-over to the pool.
 * Neither side reads Ht itself during the parts (only copies of it: H for the ratio, the padded
 * Ht), so `then` may update Ht's rows; on side 0, W's rows [a, b) are read by that part only.
 */
template <typename Then>
void product(Pool* pool, int side, bool ratio, const double* V, size_t m, size_t n, int k, const double* W,
             const double* Ht, double* out, size_t threads, const Then& then) {
  const int kp = (k + 3) & ~3;
  const double* h = nullptr;
  if (ratio) {
    double* hb = atLeast(buffers.h, n * (size_t)k);
    for (size_t j = 0; j < n; j++)
      for (int t = 0; t < k; t++) hb[(size_t)t * n + j] = Ht[j * k + t];
    h = hb;
  }
  const double* htp = nullptr;
  if (side == 0) {
    double* hp = atLeast(buffers.htp, n * (size_t)kp);
    for (size_t j = 0; j < n; j++) {
      for (int t = 0; t < k; t++) hp[j * kp + t] = Ht[j * k + t];
      for (int t = k; t < kp; t++) hp[j * kp + t] = 0;
    }
    htp = hp;
  }
  const size_t outer = side == 0 ? m : n;
  const int parts = partsFor(threads, outer);
  // The largest part's scratch: 5n + 4kp, on the H side its columns' kp-wide sums, and 8k for a
  // sweep that follows.
  partScratch(parts, 5 * n + 4 * (size_t)kp + (side == 1 ? (outer / parts + 1) * (size_t)kp : 0) + 8 * (size_t)k);
  // The calling thread's buffers: `buffers` named inside the task would be the pool thread's own.
  std::vector<double>* partBuffers = buffers.parts.data();
  pool->run(parts, [&](int p) {
    const size_t a = cut(outer, parts, p), b = cut(outer, parts, p + 1);
    double* scratch = partBuffers[p].data();
    if (side == 0)
      isa.rowSide(V, n, k, W, h, htp, kp, ratio, a, b, out, scratch);
    else
      isa.columnSide(V, m, n, k, W, h, kp, ratio, a, b, out, scratch);
    then(a, b, scratch);
  });
}

}  // namespace fused

/**
 * (side, V, m, n, k, F, O, B, G, order, l1, l2, threads): one half of a HALS iteration on dense V
 * (m × n). side 0 updates F = W (m × k) against O = Ht (n × k): B = V·Ht − l1, G = HtᵀHt + l2·I;
 * side 1 updates F = Ht against O = W: B = Vᵀ·W − l1, G = WᵀW + l2·I; then one coordinate-descent
 * sweep of F with components in `order`. Returns the sweep's Σ|projected gradient|. B (rows × k)
 * and G (k × k) are left as the separate calls leave them.
 */
napi_value HalsHalf(napi_env env, napi_callback_info info) {
  napi_value argv[13];
  if (!getArgs(env, info, 13, argv, "halsHalf: expected (side, V, m, n, k, F, O, B, G, order, l1, l2, threads)"))
    return nullptr;
  size_t side = 0, m = 0, n = 0, k = 0, threads = 1;
  double l1 = 0, l2 = 0;
  Array V, F, O, B, G;
  const int32_t* order = nullptr;
  size_t orderLength = 0;
  if (!getSize(env, argv[0], &side, "halsHalf: side must be 0 or 1") ||
      !getArray(env, argv[1], &V, "halsHalf: V must be a Float64Array") ||
      !getSize(env, argv[2], &m, "halsHalf: m must be a non-negative integer") ||
      !getSize(env, argv[3], &n, "halsHalf: n must be a non-negative integer") ||
      !getSize(env, argv[4], &k, "halsHalf: k must be a non-negative integer") ||
      !getArray(env, argv[5], &F, "halsHalf: F must be a Float64Array") ||
      !getArray(env, argv[6], &O, "halsHalf: O must be a Float64Array") ||
      !getArray(env, argv[7], &B, "halsHalf: B must be a Float64Array") ||
      !getArray(env, argv[8], &G, "halsHalf: G must be a Float64Array") ||
      !getSize(env, argv[12], &threads, "halsHalf: threads must be a non-negative integer"))
    return nullptr;
  if (!readInt32Array(env, argv[9], &order, &orderLength)) {
    fail(env, "halsHalf: order must be an Int32Array");
    return nullptr;
  }
  if (napi_get_value_double(env, argv[10], &l1) != napi_ok || napi_get_value_double(env, argv[11], &l2) != napi_ok) {
    fail(env, "halsHalf: l1 and l2 must be numbers");
    return nullptr;
  }
  if (side > 1) {
    fail(env, "halsHalf: side must be 0 or 1");
    return nullptr;
  }
  if (!sizesFit(env, m, n, k, "halsHalf: m, n and k are too large")) return nullptr;
  const size_t rows = side == 0 ? m : n, others = side == 0 ? n : m;
  if (k < 1 || k > 4096 || m == 0 || n == 0 || V.length < m * n || F.length < rows * k || O.length < others * k ||
      B.length < rows * k || G.length < k * k || orderLength < k) {
    fail(env, "halsHalf: array lengths do not match m, n and k");
    return nullptr;
  }
  for (size_t s = 0; s < k; s++)
    if (order[s] < 0 || (size_t)order[s] >= k) {
      fail(env, "halsHalf: order holds a component outside 0..k-1");
      return nullptr;
    }
  const int kk = (int)k;
  // The Gram matrix of the factor this half holds fixed first (the separate calls form it after
  // the product; neither reads the other's output), then each part's rows of the product, − l1,
  // and its rows of the sweep (rows are independent in both: contract.ts, rule 4).
  isa.gram(O.data, others, kk, G.data);
  if (l2 != 0)
    for (size_t t = 0; t < k; t++) G.data[t * k + t] += l2;
  double* rv = fused::atLeast(fused::buffers.rv, rows);
  const auto then = [&](size_t a, size_t b, double* scratch) {
    if (l1 != 0)
      for (size_t q = a * k; q < b * k; q++) B.data[q] -= l1;
    isa.cdRows(F.data, kk, G.data, B.data, order, a, b, rv, scratch);
  };
  if (side == 0)
    fused::product(poolOf(env), 0, false, V.data, m, n, kk, F.data, O.data, B.data, threads, then);
  else
    fused::product(poolOf(env), 1, false, V.data, m, n, kk, O.data, F.data, B.data, threads, then);
  double violation = 0;
  for (size_t i = 0; i < rows; i++) violation += rv[i];
  napi_value result;
  napi_create_double(env, violation, &result);
  return result;
}

/**
 * (side, V, m, n, k, W, Ht, num, threads, l1, l2, threshold): one half of a KL (β = 1)
 * multiplicative-update iteration on dense V (m × n) without missing entries. side 0: num (m × k)
 * = (V ⊘ WH)·Hᵀ, the denominator of every row the column sums of Ht (n × k), then W updated;
 * side 1: num (n × k) = Wᵀ(V ⊘ WH), the column sums of W with zeros replaced by 1, then Ht updated.
 * The update is `multiplicativeUpdate` (src/shared/nmf/kernels/scalar/cd.ts) with γ = 1: per entry
 * d = den (+ l1 if l1 > 0) (+ l2·F if l2 > 0), d = 0 → EPS32, F ← F·(num/d), then 0 below
 * `threshold`.
 */
napi_value KlHalf(napi_env env, napi_callback_info info) {
  napi_value argv[12];
  if (!getArgs(env, info, 12, argv, "klHalf: expected (side, V, m, n, k, W, Ht, num, threads, l1, l2, threshold)"))
    return nullptr;
  size_t side = 0, threads = 1;
  double l1 = 0, l2 = 0, threshold = 0;
  if (!getSize(env, argv[0], &side, "klHalf: side must be 0 or 1")) return nullptr;
  if (side > 1) {
    fail(env, "klHalf: side must be 0 or 1");
    return nullptr;
  }
  DenseArgs args;
  if (!getDenseArgs(env, argv + 1, "klHalf", "num", &args)) return nullptr;
  if (napi_get_value_double(env, argv[9], &l1) != napi_ok || napi_get_value_double(env, argv[10], &l2) != napi_ok ||
      napi_get_value_double(env, argv[11], &threshold) != napi_ok) {
    fail(env, "klHalf: l1, l2 and threshold must be numbers");
    return nullptr;
  }
  threads = args.threads;
  const size_t m = args.m, n = args.n, k = args.k;
  const size_t rows = side == 0 ? m : n, others = side == 0 ? n : m;
  if (k < 1 || k > 4096 || m == 0 || n == 0 || args.V.length < m * n || args.W.length < m * k ||
      args.Ht.length < n * k || args.out.length < rows * k) {
    fail(env, "klHalf: array lengths do not match m, n and k");
    return nullptr;
  }
  const int kk = (int)k;
  double* F = side == 0 ? args.W.data : args.Ht.data;
  const double* O = side == 0 ? args.Ht.data : args.W.data;
  double* num = args.out.data;
  // The denominators first: column sums of the factor this half holds fixed (columnSums in
  // src/shared/nmf/kernels/scalar/products.ts, rows added in order).
  double* sums = fused::atLeast(fused::buffers.sums, k);
  for (size_t t = 0; t < k; t++) sums[t] = 0;
  for (size_t o = 0; o < others; o++)
    for (size_t t = 0; t < k; t++) sums[t] += O[o * k + t];
  // scikit-learn replaces zero column sums of W by 1 (muNumDenH).
  if (side == 1)
    for (size_t t = 0; t < k; t++)
      if (sums[t] == 0) sums[t] = 1;
  // Each part updates the rows of F whose numerators it has just formed.
  const auto then = [&](size_t a, size_t b, double*) {
    for (size_t r = a; r < b; r++) {
      double* fr = F + r * k;
      const double* nr = num + r * k;
      for (size_t t = 0; t < k; t++) {
        double d = sums[t];
        if (l1 > 0) d += l1;
        if (l2 > 0) d = d + l2 * fr[t];
        if (d == 0) d = EPS32;
        const double f = fr[t] * (nr[t] / d);
        fr[t] = f < threshold ? 0 : f;
      }
    }
  };
  fused::product(poolOf(env), (int)side, true, args.V.data, m, n, kk, args.W.data, args.Ht.data, num, threads, then);
  return nullptr;
}

/** Adds halsHalf and klHalf to the module's exports. */
void defineFusedExports(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"halsHalf", nullptr, HalsHalf, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"klHalf", nullptr, KlHalf, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}
