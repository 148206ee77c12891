// Wide-vector paths of the dense products (H side, W side), the Gram matrix and the
// coordinate-descent sweep: lanes across independent outputs, as many as the instruction set's
// registers hold, so more adds are in flight (docs/architecture.md, "Per-iteration speed against
// the machine's peak").
// Part of kernels.inl: included inside namespace NMF_KERNEL_NS once per instruction set, after
// rows.inl. cpu_dispatch.h sets NMF_WIDE_BYTES (32 for AVX2, 64 for AVX-512, whose 512-bit
// multiplies and adds run at twice the 256-bit rate on CPUs with full-width units); the baseline
// build has no wide path and keeps the four-lane loops of products.inl and cd.inl.
//
// Bits (src/shared/nmf/kernels/contract.ts): every output is still one lane's scalar sequence in
// the reference's order; only which outputs share a vector, and how many vectors run side by side,
// changes. No multiply-add is fused (-ffp-contract=off, and no target enables FMA).

#ifdef NMF_WIDE_BYTES

/** A vector of kWide doubles (unaligned loads and stores), and its lane mask type. */
typedef double vw __attribute__((vector_size(NMF_WIDE_BYTES)));
typedef double vwu __attribute__((vector_size(NMF_WIDE_BYTES), aligned(8)));
typedef long long vwl __attribute__((vector_size(NMF_WIDE_BYTES)));
static constexpr int kWide = NMF_WIDE_BYTES / 8;
/** Vector registers of the instruction set (AVX-512: 32, AVX2: 16): how many accumulators fit. */
static constexpr int kVectorRegisters = NMF_WIDE_BYTES == 64 ? 32 : 16;

static inline vw loadw(const double* p) { return *reinterpret_cast<const vwu*>(p); }
static inline void storew(double* p, vw x) { *reinterpret_cast<vwu*>(p) = x; }
/** x in every lane: x − 0 is x for every x, −0 included (0 + x would turn −0 into +0), so the
 * compiler drops the subtraction and a broadcast is left. */
static inline vw splatw(double x) { return x - vw{}; }
static inline vw selectw(vwl mask, vw a, vw b) {
  return reinterpret_cast<vw>((mask & reinterpret_cast<vwl>(a)) | (~mask & reinterpret_cast<vwl>(b)));
}

/**
 * Entries j .. j + kWide − 1 of row i of WH, grouped as wh4 (rows.inl) groups them: (((w0·h0 +
 * w1·h1) + w2·h2) + w3·h3) per block of four components, added to the running sum block by block,
 * the components past the last whole block one at a time. `wi`: row i of W (K long); h: H (K × n).
 */
template <int K>
static inline vw whWide(const double* wi, const double* h, size_t n, size_t j) {
  vw a = splatw(0);
  int t = 0;
  for (; t + 4 <= K; t += 4) {
    const double* h0 = h + (size_t)t * n + j;
    vw s = splatw(wi[t]) * loadw(h0) + splatw(wi[t + 1]) * loadw(h0 + n);
    s = s + splatw(wi[t + 2]) * loadw(h0 + 2 * n);
    s = s + splatw(wi[t + 3]) * loadw(h0 + 3 * n);
    a = a + s;
  }
  for (; t < K; t++) a = a + splatw(wi[t]) * loadw(h + (size_t)t * n + j);
  return a;
}

/**
 * Columns j .. j + B·kWide − 1 of the H-side product over all m rows: out_j,t = Σ_i c_ij·W_it, rows
 * added in order from +0 (columnSide's sums), c the positive part of V or (ratio) V ⊘ WH. Lanes run
 * across the columns, so a row of V is one load per block and the K × B sums stay in registers
 * for the whole pass over the rows (no read-modify-write of an output row per row of V).
 */
template <int K, int B>
static void columnBlockWide(const double* V, size_t m, size_t n, const double* W, const double* h, bool ratio, size_t j,
                            double* out) {
  // Every loop over b and t unrolled, so that the sums live in registers, not in a stack array.
  vw acc[B][K];
#pragma GCC unroll 32
  for (int b = 0; b < B; b++)
#pragma GCC unroll 32
    for (int t = 0; t < K; t++) acc[b][t] = splatw(0);
  const vw zero = splatw(0), eps = splatw(EPS32);
  const double* vi = V + j;
  const double* wi = W;
  for (size_t i = 0; i < m; i++, vi += n, wi += K) {
    vw c[B];
#pragma GCC unroll 32
    for (int b = 0; b < B; b++) {
      const vw v = loadw(vi + b * kWide);
      if (ratio) {
        const vw s = whWide<K>(wi, h, n, j + b * kWide);
        c[b] = selectw(v > zero, v / selectw(s == zero, eps, s), zero);
      } else {
        c[b] = selectw(v > zero, v, zero);
      }
    }
#pragma GCC unroll 32
    for (int t = 0; t < K; t++) {
      const vw w = splatw(wi[t]);
#pragma GCC unroll 32
      for (int b = 0; b < B; b++) acc[b][t] = acc[b][t] + c[b] * w;
    }
  }
  double sums[kWide];
#pragma GCC unroll 32
  for (int b = 0; b < B; b++)
#pragma GCC unroll 32
    for (int t = 0; t < K; t++) {
      storew(sums, acc[b][t]);
      for (int lane = 0; lane < kWide; lane++) out[(j + b * kWide + lane) * K + t] = sums[lane];
    }
}

/** Whole blocks of columns from j0 on (two blocks a pass while their sums fit the registers, then one); returns
 * the first column left (fewer than kWide remain). */
template <int K>
static size_t columnsWide(const double* V, size_t m, size_t n, const double* W, const double* h, bool ratio, size_t j0,
                          size_t j1, double* out) {
  size_t j = j0;
  // Two blocks: 2K sums, two coefficient vectors, a broadcast and (ratio) the products' temporaries.
  if (2 * K + 6 <= kVectorRegisters)
    for (; j + 2 * kWide <= j1; j += 2 * kWide) columnBlockWide<K, 2>(V, m, n, W, h, ratio, j, out);
  for (; j + kWide <= j1; j += kWide) columnBlockWide<K, 1>(V, m, n, W, h, ratio, j, out);
  return j;
}

/** The ranks with a wide H-side path (the sums of one block must fit the registers). */
static constexpr int kMaxWideColumnRank = kVectorRegisters == 32 ? 16 : 10;

/**
 * The wide H-side product over columns [j0, j1) for k ≤ kMaxWideColumnRank, and without the ratio
 * for k ≤ 24 on AVX-512 (else nothing); returns
 * the first column it did not compute (the caller computes [that, j1) the four-lane way).
 */
static size_t columnSideWide(const double* V, size_t m, size_t n, int k, const double* W, const double* h, bool ratio,
                             size_t j0, size_t j1, double* out) {
  switch (k) {
#define NMF_WIDE_RANK(K) \
  case K:                \
    return columnsWide<K>(V, m, n, W, h, ratio, j0, j1, out);
    NMF_WIDE_RANK(1)
    NMF_WIDE_RANK(2)
    NMF_WIDE_RANK(3)
    NMF_WIDE_RANK(4)
    NMF_WIDE_RANK(5)
    NMF_WIDE_RANK(6)
    NMF_WIDE_RANK(7)
    NMF_WIDE_RANK(8)
    NMF_WIDE_RANK(9)
    NMF_WIDE_RANK(10)
#if NMF_WIDE_BYTES == 64
    NMF_WIDE_RANK(11)
    NMF_WIDE_RANK(12)
    NMF_WIDE_RANK(13)
    NMF_WIDE_RANK(14)
    NMF_WIDE_RANK(15)
    NMF_WIDE_RANK(16)
#endif
#undef NMF_WIDE_RANK
    default:
      break;
  }
#if NMF_WIDE_BYTES == 64
  // The plain product Vᵀ·Y (no ratio) up to 24 columns on AVX-512: one block's 24 sums, the
  // coefficient vector and a broadcast fit the 32 registers. Its main caller is the NNDSVD starts'
  // randomized SVD, whose products have l = k + 10 columns (18 for k = 8), which took the
  // four-lane loop before.
  if (!ratio) switch (k) {
#define NMF_WIDE_PLAIN_RANK(K) \
  case K:                      \
    return columnsWide<K>(V, m, n, W, h, false, j0, j1, out);
      NMF_WIDE_PLAIN_RANK(17)
      NMF_WIDE_PLAIN_RANK(18)
      NMF_WIDE_PLAIN_RANK(19)
      NMF_WIDE_PLAIN_RANK(20)
      NMF_WIDE_PLAIN_RANK(21)
      NMF_WIDE_PLAIN_RANK(22)
      NMF_WIDE_PLAIN_RANK(23)
      NMF_WIDE_PLAIN_RANK(24)
#undef NMF_WIDE_PLAIN_RANK
      default:
        break;
    }
#endif
  return j0;
}

/**
 * Coordinate-descent sweep (cdRows, cd.inl) over rows [i, i1) in blocks of NV·kWide rows, one row
 * per lane: each gradient is a chain of k dependent additions, so NV independent chains per step
 * hide the adder's latency. Each lane does exactly one row's scalar operations in order. Returns
 * the first row not swept (fewer than NV·kWide remain). `fq`: 2k·NV·kWide doubles.
 */
template <int NV>
static size_t cdRowsWide(double* F, int k, const double* G, const double* B, const int32_t* order, size_t i, size_t i1,
                         double* rv, double* fq) {
  constexpr int R = NV * kWide;
  double* bq = fq + (size_t)k * R;
  const vw zero = splatw(0);
  vwl absMask;
  for (int lane = 0; lane < kWide; lane++) absMask[lane] = INT64_MAX;
  for (; i + R <= i1; i += R) {
    // The block transposed: fq[(q·NV + v)·kWide + lane] is component q of row i + v·kWide + lane,
    // bq the same of −B. Each vector is built in registers and stored whole (scalar stores read
    // back as a vector would miss the store buffer's forwarding).
    for (int q = 0; q < k; q++)
      for (int v = 0; v < NV; v++) {
        vw f, b;
        for (int lane = 0; lane < kWide; lane++) {
          f[lane] = F[(i + v * kWide + lane) * k + q];
          b[lane] = -B[(i + v * kWide + lane) * k + q];
        }
        storew(fq + (size_t)q * R + v * kWide, f);
        storew(bq + (size_t)q * R + v * kWide, b);
      }
    vw violation[NV];
    for (int v = 0; v < NV; v++) violation[v] = zero;
    for (int s = 0; s < k; s++) {
      const int t = order[s];
      const double* gt = G + (size_t)t * k;
      vw grad[NV];
      for (int v = 0; v < NV; v++) grad[v] = loadw(bq + (size_t)t * R + v * kWide);
      for (int q = 0; q < k; q++) {
        const vw g = splatw(gt[q]);
        for (int v = 0; v < NV; v++) grad[v] = grad[v] + g * loadw(fq + (size_t)q * R + v * kWide);
      }
      const double hess = gt[t];
      for (int v = 0; v < NV; v++) {
        const vw current = loadw(fq + (size_t)t * R + v * kWide);
        // Math.min(grad, 0) where current is 0: only a positive gradient changes (to +0).
        const vw pg = selectw((current == zero) & (grad[v] > zero), zero, grad[v]);
        violation[v] = violation[v] + reinterpret_cast<vw>(reinterpret_cast<vwl>(pg) & absMask);
        if (hess != 0) {
          const vw next = current - grad[v] / splatw(hess);
          storew(fq + (size_t)t * R + v * kWide, selectw(next > zero, next, zero));
        }
      }
    }
    // Read back whole vectors, as they were stored (a lane read from memory would again miss forwarding).
    for (int q = 0; q < k; q++)
      for (int v = 0; v < NV; v++) {
        const vw f = loadw(fq + (size_t)q * R + v * kWide);
        for (int lane = 0; lane < kWide; lane++) F[(i + v * kWide + lane) * k + q] = f[lane];
      }
    for (int v = 0; v < NV; v++)
      for (int lane = 0; lane < kWide; lane++) rv[i + v * kWide + lane] = violation[v][lane];
  }
  return i;
}

/**
 * out[j] for j < n: V_ij / (W_i · H)_j where V_ij > 0 (a product of exactly 0 becomes EPS32), else
 * 0 — coefficientRow's ratio row (rows.inl) with the products formed on wide vectors, four at a
 * time (four independent chains of sums), each entry grouped as wh4 groups it; the last n mod
 * kWide entries by coefficientRow itself.
 */
static void ratioRowWide(const double* vi, const double* wi, const double* h, size_t n, int k, double* out) {
  const vw zero = splatw(0), eps = splatw(EPS32);
  size_t j = 0;
  for (; j + 4 * kWide <= n; j += 4 * kWide) {
    vw a[4] = {zero, zero, zero, zero};
    int t = 0;
    for (; t + 4 <= k; t += 4) {
      const double* h0 = h + (size_t)t * n + j;
      const vw w0 = splatw(wi[t]), w1 = splatw(wi[t + 1]), w2 = splatw(wi[t + 2]), w3 = splatw(wi[t + 3]);
#pragma GCC unroll 4
      for (int b = 0; b < 4; b++) {
        const double* hb = h0 + b * kWide;
        vw sum = w0 * loadw(hb) + w1 * loadw(hb + n);
        sum = sum + w2 * loadw(hb + 2 * n);
        sum = sum + w3 * loadw(hb + 3 * n);
        a[b] = a[b] + sum;
      }
    }
    for (; t < k; t++) {
      const vw w = splatw(wi[t]);
      const double* ht = h + (size_t)t * n + j;
#pragma GCC unroll 4
      for (int b = 0; b < 4; b++) a[b] = a[b] + w * loadw(ht + b * kWide);
    }
#pragma GCC unroll 4
    for (int b = 0; b < 4; b++) {
      const vw v = loadw(vi + j + b * kWide);
      storew(out + j + b * kWide, selectw(v > zero, v / selectw(a[b] == zero, eps, a[b]), zero));
    }
  }
  if (j < n) coefficientRow(vi, wi, h, n, k, j, n, true, out);
}

/**
 * Eight rows' W-side sums: tmp_q (NV·kWide) = Σ_j c_q[j] · F_j· in j order, F (n × NV·kWide, its
 * padding columns zero), components across the lanes of NV vectors a row. Each load of F feeds the
 * eight rows; the 8·NV sums stay in registers for the whole pass over j.
 */
template <int NV>
static void rowBlockWide(const double* const c[8], size_t n, const double* f, double* tmp) {
  constexpr size_t stride = (size_t)NV * kWide;
  vw acc[8][NV];
#pragma GCC unroll 32
  for (int q = 0; q < 8; q++)
#pragma GCC unroll 32
    for (int v = 0; v < NV; v++) acc[q][v] = splatw(0);
  const double* fj = f;
  for (size_t j = 0; j < n; j++, fj += stride) {
    vw x[NV];
#pragma GCC unroll 32
    for (int v = 0; v < NV; v++) x[v] = loadw(fj + v * kWide);
#pragma GCC unroll 32
    for (int q = 0; q < 8; q++) {
      const vw u = splatw(c[q][j]);
#pragma GCC unroll 32
      for (int v = 0; v < NV; v++) acc[q][v] = acc[q][v] + u * x[v];
    }
  }
#pragma GCC unroll 32
  for (int q = 0; q < 8; q++)
#pragma GCC unroll 32
    for (int v = 0; v < NV; v++) storew(tmp + q * stride + v * kWide, acc[q][v]);
}

/** The widest rank the wide W-side product takes (eight rows of three vectors of sums fill the registers). */
static constexpr int kMaxWideRowRank = kVectorRegisters == 32 ? 3 * kWide : 0;

/**
 * Rows [i0, i1) of the W-side product (rowSide, products.inl) for k ≤ kMaxWideRowRank: eight rows
 * at a time against Ht padded to a whole number of wide vectors (kp = a multiple of four on entry,
 * `htp`, n × kp; re-padded here). Each output is the same j-ordered sum of c_ij·Ht_jt.
 */
static void rowSideWide(const double* V, size_t n, int k, const double* W, const double* h, const double* htp, int kp,
                        bool ratio, size_t i0, size_t i1, double* out) {
  const int nv = (k + kWide - 1) / kWide;
  const size_t stride = (size_t)nv * kWide;
  static thread_local std::vector<double> buffer;
  // Eight coefficient rows, a row of zeros for a short last block, F padded, eight rows of sums.
  if (buffer.size() < 9 * n + n * stride + 8 * stride) buffer.resize(9 * n + n * stride + 8 * stride);
  double* rows = buffer.data();
  double* zeros = rows + 8 * n;
  double* f = zeros + n;
  double* tmp = f + n * stride;
  for (size_t j = 0; j < n; j++) {
    zeros[j] = 0;
    for (size_t t = 0; t < stride; t++) f[j * stride + t] = t < (size_t)kp ? htp[j * kp + t] : 0;
  }
  for (size_t i = i0; i < i1; i += 8) {
    const size_t count = i1 - i < 8 ? i1 - i : 8;
    const double* c[8];
    for (size_t q = 0; q < 8; q++) {
      c[q] = q < count ? rows + q * n : zeros;
      if (q < count) {
        if (ratio)
          ratioRowWide(V + (i + q) * n, W + (i + q) * k, h, n, k, rows + q * n);
        else
          coefficientRow(V + (i + q) * n, W + (i + q) * k, h, n, k, 0, n, false, rows + q * n);
      }
    }
    if (nv == 1)
      rowBlockWide<1>(c, n, f, tmp);
    else if (nv == 2)
      rowBlockWide<2>(c, n, f, tmp);
    else
      rowBlockWide<3>(c, n, f, tmp);
    for (size_t q = 0; q < count; q++)
      for (int t = 0; t < k; t++) out[(i + q) * k + t] = tmp[q * stride + t];
  }
}

/**
 * out (K × K) = Aᵀ A for A (rows × K) with every entry finite (gramRows, products.inl, whose
 * register path this is on wide vectors): the first KW = K − K mod kWide columns of every out row s
 * in NV = KW / kWide vectors, summed over the rows in order; the corner s, t ≥ KW one sum per
 * entry in the same pass; the columns t ≥ KW of rows s < KW from their mirror entries (a_s·a_t =
 * a_t·a_s exactly, in the same row order). A term of a zero a_s is added as ±0, which changes no
 * sum that starts at +0 (see gramRows).
 */
template <int K>
static void gramWide(const double* A, size_t rows, double* out) {
  constexpr int NV = K / kWide, KW = NV * kWide, KC = K - KW;
  vw acc[K][NV > 0 ? NV : 1];
  double corner[KC > 0 ? KC : 1][KC > 0 ? KC : 1];
#pragma GCC unroll 32
  for (int s = 0; s < K; s++)
#pragma GCC unroll 32
    for (int v = 0; v < NV; v++) acc[s][v] = splatw(0);
#pragma GCC unroll 32
  for (int s = 0; s < KC; s++)
#pragma GCC unroll 32
    for (int t = 0; t < KC; t++) corner[s][t] = 0;
  const double* ai = A;
  for (size_t i = 0; i < rows; i++, ai += K) {
    vw x[NV > 0 ? NV : 1];
#pragma GCC unroll 32
    for (int v = 0; v < NV; v++) x[v] = loadw(ai + v * kWide);
#pragma GCC unroll 32
    for (int s = 0; s < K; s++) {
      const vw a = splatw(ai[s]);
#pragma GCC unroll 32
      for (int v = 0; v < NV; v++) acc[s][v] = acc[s][v] + a * x[v];
    }
#pragma GCC unroll 32
    for (int s = 0; s < KC; s++)
#pragma GCC unroll 32
      for (int t = 0; t < KC; t++) corner[s][t] += ai[KW + s] * ai[KW + t];
  }
#pragma GCC unroll 32
  for (int s = 0; s < K; s++)
#pragma GCC unroll 32
    for (int v = 0; v < NV; v++) storew(out + (size_t)s * K + v * kWide, acc[s][v]);
  for (int s = 0; s < KC; s++)
    for (int t = 0; t < KC; t++) out[(size_t)(KW + s) * K + KW + t] = corner[s][t];
  for (int s = 0; s < KW; s++)
    for (int t = KW; t < K; t++) out[(size_t)s * K + t] = out[(size_t)t * K + s];
}

/** gramWide for kWide ≤ k ≤ 16 on AVX-512 (the sums of one pass fit the registers); false for other k. */
static bool gramSideWide(const double* A, size_t rows, int k, double* out) {
  if (kVectorRegisters != 32) return false;
  switch (k) {
#define NMF_WIDE_GRAM(K)       \
  case K:                      \
    gramWide<K>(A, rows, out); \
    return true;
    NMF_WIDE_GRAM(8)
    NMF_WIDE_GRAM(9)
    NMF_WIDE_GRAM(10)
    NMF_WIDE_GRAM(11)
    NMF_WIDE_GRAM(12)
    NMF_WIDE_GRAM(13)
    NMF_WIDE_GRAM(14)
    NMF_WIDE_GRAM(15)
    NMF_WIDE_GRAM(16)
#undef NMF_WIDE_GRAM
    default:
      return false;
  }
}

/** Scratch of the wide sweep, per thread (pool threads included): 2k·NV·kWide doubles, grown as needed. */
static double* cdWideScratch(size_t size) {
  static thread_local std::vector<double> scratch;
  if (scratch.size() < size) scratch.resize(size);
  return scratch.data();
}

#endif  // NMF_WIDE_BYTES
