// Missing-value kernels (the scalar counterpart: maskedSweep and maskedSums in
// src/shared/nmf/kernels/scalar/cd.ts): the weighted coordinate-descent sweep and the masked KL
// denominators that a fit on data with missing entries runs (cross-validation folds hold entries
// out as missing). Included once by addon.cc (not per instruction set, unlike kernels.inl): each
// row's work is a few short loops over k components and its partners, bound by latency and
// memory, not by vector width; one build keeps the bits trivially equal on every CPU.
//
// Bit rules (src/shared/nmf/kernels/contract.ts): every sum adds its terms in the scalar order,
// no fused multiply-add (-ffp-contract=off, and no target enables FMA), threads own whole rows and
// the per-row violations are summed in row order by the caller.

namespace masked {

/** Copies the upper triangle of G (k × k) onto the lower one. */
inline void mirrorUpper(double* G, int k) {
  for (int s = 0; s < k; s++)
    for (int t = s + 1; t < k; t++) G[(size_t)t * k + s] = G[(size_t)s * k + t];
}

/** The coordinate-descent updates of row i of F with its own Gram matrix G (k × k); returns Σ|pg| (`cdRow`). */
inline double cdRow(double* F, size_t i, int k, const double* G, const double* B, const int32_t* order) {
  double violation = 0;
  double* fi = F + i * k;
  const double* bi = B + i * k;
  for (int s = 0; s < k; s++) {
    const int t = order[s];
    const double* gt = G + (size_t)t * k;
    double grad = -bi[t];
    for (int q = 0; q < k; q++) grad += gt[q] * fi[q];
    const double current = fi[t];
    // Math.min(grad, 0) where current is 0: only a positive gradient changes (to +0).
    const double pg = current == 0 && grad > 0 ? 0.0 : grad;
    violation += pg < 0 ? -pg : pg;
    const double hess = gt[t];
    if (hess != 0) {
      const double next = current - grad / hess;
      fi[t] = next > 0 ? next : 0;
    }
  }
  return violation;
}

/**
 * Upper triangle (t ≥ s) of g (k × k) += a aᵀ for a = orow[0 … k) (negated: −a aᵀ), where the
 * scalar code skips a_s = 0: the term is replaced by −0, and x + (−0) is x for every x (±0, NaN
 * included), so the skip stays exact without a branch. K > 0: k is K at compile time, which lets
 * the compiler keep g in registers across a row's partners.
 */
template <int K>
inline void addOuterUpperK(double* g, const double* orow, int k, bool negate) {
  if (K > 0) k = K;
  for (int s = 0; s < k; s++) {
    const double a = negate ? -orow[s] : orow[s];
    const bool skip = a == 0;
    for (int t = s; t < k; t++) {
      const double term = a * orow[t];
      g[s * k + t] += skip ? -0.0 : term;
    }
  }
}

/**
 * Upper triangle of g (k × k) += Σ over partners o of ±O_o O_oᵀ, the partners taken in order: the
 * missing ones idx[start … end) (negated), or, with idx null, the observed ones o = start … end − 1.
 * Each entry adds exactly the terms `addOuterUpperK` adds, in the same order, but for a compile-time
 * K the K(K + 1)/2 running sums live in registers for the whole partner list instead of being
 * stored and reloaded per partner (a chain of store-to-load forwards: the Ht side of a
 * cross-validation fold has ~1700 partners per row on Golub's 5000 × 38).
 */
template <int K>
inline void addOuterPartnersK(double* g, const double* O, int k, const int32_t* idx, size_t start, size_t end,
                              bool negate) {
  if (K == 0) {
    for (size_t q = start; q < end; q++) addOuterUpperK<0>(g, O + (idx != nullptr ? (size_t)idx[q] : q) * k, k, negate);
    return;
  }
  constexpr int terms = K > 0 ? K * (K + 1) / 2 : 1;
  double acc[terms];
  {
    int p = 0;
#pragma GCC unroll 8
    for (int s = 0; s < K; s++)
#pragma GCC unroll 8
      for (int t = s; t < K; t++) acc[p++] = g[s * K + t];
  }
  for (size_t q = start; q < end; q++) {
    const double* orow = O + (idx != nullptr ? (size_t)idx[q] : q) * K;
    int p = 0;
#pragma GCC unroll 8
    for (int s = 0; s < K; s++) {
      const double a = negate ? -orow[s] : orow[s];
      const bool skip = a == 0;
#pragma GCC unroll 8
      for (int t = s; t < K; t++) {
        const double term = a * orow[t];
        acc[p++] += skip ? -0.0 : term;
      }
    }
  }
  int p = 0;
#pragma GCC unroll 8
  for (int s = 0; s < K; s++)
#pragma GCC unroll 8
    for (int t = s; t < K; t++) g[s * K + t] = acc[p++];
}

/**
 * Weighted coordinate descent over rows [r0, r1) of F (rows × k) against O (others × k): row r's
 * Gram matrix is G (OᵀO + l2·I) less its missing partners' outer products, or, when more than half
 * are missing, the sum over its observed partners (+ l2 on the diagonal). rv[r]: row r's Σ|pg|.
 * `rowGram`: scratch k × k, the calling thread's own (used when k is not a compile-time K).
 */
template <int K>
void sweepRowsK(double* F, const double* O, size_t others, int kr, const double* G, const double* B, double l2,
                const int32_t* ptr, const int32_t* idx, const int32_t* order, size_t r0, size_t r1, double* rv,
                double* rowGram) {
  const int k = K > 0 ? K : kr;
  const size_t kk = (size_t)k * k;
  double local[K > 0 ? K * K : 1];
  double* g = K > 0 ? local : rowGram;
  for (size_t r = r0; r < r1; r++) {
    const size_t start = (size_t)ptr[r], end = (size_t)ptr[r + 1];
    const size_t missing = end - start;
    if (missing == 0) {
      rv[r] = cdRow(F, r, k, G, B, order);
      continue;
    }
    if (2 * missing <= others) {
      for (size_t x = 0; x < kk; x++) g[x] = G[x];
      addOuterPartnersK<K>(g, O, k, idx, start, end, true);
    } else {
      // Observed partners: the complement of the sorted missing list, in order.
      for (size_t x = 0; x < kk; x++) g[x] = 0;
      size_t from = 0;
      for (size_t q = start; q <= end; q++) {
        const size_t to = q < end ? (size_t)idx[q] : others;
        addOuterPartnersK<K>(g, O, k, nullptr, from, to, false);
        from = to + 1;
      }
    }
    mirrorUpper(g, k);
    if (2 * missing > others && l2 != 0)
      for (int t = 0; t < k; t++) g[(size_t)t * k + t] += l2;
    rv[r] = cdRow(F, r, k, g, B, order);
  }
}

#if defined(__x86_64__) || defined(__i386__)
// The four-row blocks in 256-bit vectors: built for AVX2 (+ AVX-512VL's 32 registers, so the
// K(K + 1)/2 lane sums of K ≤ 7 need no spills) and used where the CPU has them; on the baseline
// instruction set the four-lane code was slower than one row at a time (two 128-bit halves per
// operation, blends emulated), so there the rows go one by one.
#define NMF_MASKED_LANES 1
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif
namespace avx2 {
#include "masked_lanes.inl"
}  // namespace avx2
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,avx512f,avx512vl"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,avx512f,avx512vl")
#endif
namespace avx512vl {
#include "masked_lanes.inl"
}  // namespace avx512vl
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

/** 2: AVX-512VL, 1: AVX2, 0: neither (rows one by one). */
inline int lanesLevel() {
  static const int level = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512f")) return 2;
    return __builtin_cpu_supports("avx2") ? 1 : 0;
  }();
  return level;
}
#endif

/** The lanes level where the four-row blocks are built, else 0. */
inline int lanesLevelOrZero() {
#ifdef NMF_MASKED_LANES
  return lanesLevel();
#else
  return 0;
#endif
}

#ifdef NMF_MASKED_LANES
/**
 * The most entries (others × padded terms) a partner table of `sweepTableBlockK` (or the padded
 * copy of F of `sumsWideBlockK`) may hold whatever the call: 64 KiB, so that a call's table stays
 * in the first- or second-level cache while every row reads from it. On a Golub fold the W side
 * (38 partners) takes the tables.
 */
constexpr size_t kMostTableEntries = 8192;

/**
 * Larger tables, up to 512 KiB (within the second-level cache of current x86-64 cores), pay off
 * only when the call reads each of their rows many times: building one costs a pass over its
 * rows. On the H side of a Golub fold (38 rows, 5000 partners, each row missing ~1700) a table of
 * 5000 rows is read ~13 times a row, and the sweep took 0.12 ms a call with it against 0.08–0.10 ms
 * gathering from O (`sweepBlockK`); on the H side of a 5000 × 400 CSR fold (400 rows missing
 * ~1700 partners each, ~133 reads a table row) 0.48 against 0.66 ms, and its sums 0.34 against
 * 0.55 ms (k = 3, one thread).
 */
constexpr size_t kMostLargeTableEntries = 65536;
constexpr size_t kLeastReadsPerTableRow = 32;

/**
 * Whether a table of `entries` (`others` + 1 rows) pays off for a part of a call whose rows list
 * `reads` missing partners in all.
 */
inline bool tablePaysOff(size_t entries, size_t others, size_t reads) {
  return entries <= kMostTableEntries ||
         (entries <= kMostLargeTableEntries && reads >= kLeastReadsPerTableRow * (others + 1));
}

/**
 * The four-row blocks of rows [r, r1) with partner tables (`partnerTableK`), built here for this
 * part of the call (the observed-path table only when a row of the part takes that path); returns
 * the first row after the blocks.
 */
template <int K>
size_t sweepTableBlocks(int level, double* F, const double* O, size_t others, const double* G, const double* B,
                        double l2, const int32_t* ptr, const int32_t* idx, const int32_t* order, size_t r, size_t r1,
                        double* rv, std::vector<int32_t>& list) {
  constexpr int padded = avx2::paddedTerms<K>();
  const size_t blocksEnd = r + (r1 - r) / 4 * 4;
  bool anyObserved = false;
  for (size_t x = r; x < blocksEnd && !anyObserved; x++) anyObserved = 2 * (size_t)(ptr[x + 1] - ptr[x]) > others;
  std::vector<double> tables((anyObserved ? 2 : 1) * (others + 1) * padded);
  double* missingTable = tables.data();
  double* observedTable = anyObserved ? missingTable + (others + 1) * padded : nullptr;
  if (level == 2) {
    avx512vl::partnerTableK<K>(O, others, true, missingTable);
    if (anyObserved) avx512vl::partnerTableK<K>(O, others, false, observedTable);
    for (; r < blocksEnd; r += 4)
      avx512vl::sweepTableBlockK<K>(F, others, G, B, l2, ptr, idx, order, r, rv, list, missingTable, observedTable);
  } else {
    avx2::partnerTableK<K>(O, others, true, missingTable);
    if (anyObserved) avx2::partnerTableK<K>(O, others, false, observedTable);
    for (; r < blocksEnd; r += 4)
      avx2::sweepTableBlockK<K>(F, others, G, B, l2, ptr, idx, order, r, rv, list, missingTable, observedTable);
  }
  return r;
}
#endif

/**
 * `sweepRowsK` with k fixed at compile time for k ≤ 8 (most fits), four rows at a time
 * (`sweepTableBlockK` where the partner tables pay off, `tablePaysOff`, else `sweepBlockK`) and
 * the last rows one by one; else at run time, row by row.
 */
inline void sweepRows(double* F, const double* O, size_t others, int k, const double* G, const double* B, double l2,
                      const int32_t* ptr, const int32_t* idx, const int32_t* order, size_t r0, size_t r1, double* rv,
                      double* rowGram) {
  std::vector<int32_t> list;
  switch (k) {
#ifdef NMF_MASKED_LANES
#define NMF_MASKED_TABLE_BLOCKS(K)                                                             \
  if (level > 0 && r1 - r >= 4 &&                                                              \
      tablePaysOff((others + 1) * avx2::paddedTerms<K>(), others, (size_t)(ptr[r1] - ptr[r]))) \
    r = sweepTableBlocks<K>(level, F, O, others, G, B, l2, ptr, idx, order, r, r1, rv, list);
#else
#define NMF_MASKED_TABLE_BLOCKS(K)
#endif
#define NMF_MASKED_SWEEP_CASE(K)                                                          \
  case K: {                                                                               \
    size_t r = r0;                                                                        \
    const int level = lanesLevelOrZero();                                                 \
    NMF_MASKED_TABLE_BLOCKS(K)                                                            \
    for (; level > 0 && r + 4 <= r1; r += 4) {                                            \
      if (level == 2)                                                                     \
        avx512vl::sweepBlockK<K>(F, O, others, G, B, l2, ptr, idx, order, r, rv, list);   \
      else                                                                                \
        avx2::sweepBlockK<K>(F, O, others, G, B, l2, ptr, idx, order, r, rv, list);       \
    }                                                                                     \
    return sweepRowsK<K>(F, O, others, k, G, B, l2, ptr, idx, order, r, r1, rv, rowGram); \
  }
    NMF_MASKED_SWEEP_CASE(1)
    NMF_MASKED_SWEEP_CASE(2)
    NMF_MASKED_SWEEP_CASE(3)
    NMF_MASKED_SWEEP_CASE(4)
    NMF_MASKED_SWEEP_CASE(5)
    NMF_MASKED_SWEEP_CASE(6)
    NMF_MASKED_SWEEP_CASE(7)
    NMF_MASKED_SWEEP_CASE(8)
#undef NMF_MASKED_SWEEP_CASE
#undef NMF_MASKED_TABLE_BLOCKS
    default:
      return sweepRowsK<0>(F, O, others, k, G, B, l2, ptr, idx, order, r0, r1, rv, rowGram);
  }
}

/**
 * Masked KL denominators for rows [r0, r1): out_r = total − Σ over r's missing partners of F_o,
 * clamped at 0, each entry summed in partner order (in registers when k is a compile-time K).
 */
template <int K>
void sumsRowsK(double* out, const double* F, int kr, const double* total, const int32_t* ptr, const int32_t* idx,
               size_t r0, size_t r1) {
  const int k = K > 0 ? K : kr;
  for (size_t r = r0; r < r1; r++) {
    double* o = out + r * k;
    if (K > 0) {
      double acc[K > 0 ? K : 1];
      for (int t = 0; t < K; t++) acc[t] = total[t];
      for (int32_t q = ptr[r]; q < ptr[r + 1]; q++) {
        const double* f = F + (size_t)idx[q] * K;
        for (int t = 0; t < K; t++) acc[t] -= f[t];
      }
      for (int t = 0; t < K; t++) o[t] = acc[t] < 0 ? 0 : acc[t];
      continue;
    }
    for (int t = 0; t < k; t++) o[t] = total[t];
    for (int32_t q = ptr[r]; q < ptr[r + 1]; q++) {
      const double* f = F + (size_t)idx[q] * k;
      for (int t = 0; t < k; t++) o[t] -= f[t];
    }
    for (int t = 0; t < k; t++)
      if (o[t] < 0) o[t] = 0;
  }
}

/**
 * `sumsRowsK` with k fixed at compile time for k ≤ 8, four rows at a time where built: for k ≥ 2
 * where a padded copy of F pays off (`tablePaysOff`: the W side of a Golub fold, 38 partners; the
 * H side of a CSR fold on 5000 × 400) `sumsWideBlockK`, a row's k sums across lanes; else
 * `sumsBlockK`, one row per lane.
 * Else at run time. `others`: the rows of F.
 */
inline void sumsRows(double* out, const double* F, size_t others, int k, const double* total, const int32_t* ptr,
                     const int32_t* idx, size_t r0, size_t r1) {
  switch (k) {
#ifdef NMF_MASKED_LANES
#define NMF_MASKED_WIDE_SUMS(K)                                                                       \
  if (K >= 2 && level > 0 && r1 - r >= 4 &&                                                           \
      tablePaysOff((others + 1) * avx2::paddedComponents<K>(), others, (size_t)(ptr[r1] - ptr[r]))) { \
    std::vector<double> padded((others + 1) * avx2::paddedComponents<K>());                           \
    avx2::paddedRowsK<K>(F, others, padded.data());                                                   \
    for (; r + 4 <= r1; r += 4) {                                                                     \
      if (level == 2)                                                                                 \
        avx512vl::sumsWideBlockK<K>(out, padded.data(), others, total, ptr, idx, r);                  \
      else                                                                                            \
        avx2::sumsWideBlockK<K>(out, padded.data(), others, total, ptr, idx, r);                      \
    }                                                                                                 \
  }
#else
#define NMF_MASKED_WIDE_SUMS(K)
#endif
#define NMF_MASKED_SUMS_CASE(K)                              \
  case K: {                                                  \
    size_t r = r0;                                           \
    const int level = lanesLevelOrZero();                    \
    NMF_MASKED_WIDE_SUMS(K)                                  \
    for (; level > 0 && r + 4 <= r1; r += 4) {               \
      if (level == 2)                                        \
        avx512vl::sumsBlockK<K>(out, F, total, ptr, idx, r); \
      else                                                   \
        avx2::sumsBlockK<K>(out, F, total, ptr, idx, r);     \
    }                                                        \
    return sumsRowsK<K>(out, F, k, total, ptr, idx, r, r1);  \
  }
    NMF_MASKED_SUMS_CASE(1)
    NMF_MASKED_SUMS_CASE(2)
    NMF_MASKED_SUMS_CASE(3)
    NMF_MASKED_SUMS_CASE(4)
    NMF_MASKED_SUMS_CASE(5)
    NMF_MASKED_SUMS_CASE(6)
    NMF_MASKED_SUMS_CASE(7)
    NMF_MASKED_SUMS_CASE(8)
#undef NMF_MASKED_SUMS_CASE
#undef NMF_MASKED_WIDE_SUMS
    default:
      return sumsRowsK<0>(out, F, k, total, ptr, idx, r0, r1);
  }
}

}  // namespace masked
