// CPU dispatch of the CSR kernels (csr.inl), as cpu_dispatch.h does for the dense ones: csr.inl is
// compiled by kernels.inl into the same three namespaces (baseline, AVX2, AVX-512VL), next to the
// row helpers of rows.inl it uses, and the variant this CPU supports is chosen at load time. Every
// variant runs the same operations in the same order, so the choice changes speed, never bits.
#pragma once

#include "cpu_dispatch.h"

namespace {

typedef void (*CsrRatiosFn)(const int32_t*, const int32_t*, const double*, size_t, int, const double*, const double*,
                            int, const double*, size_t, size_t, double*, double*);
typedef void (*CsrRowProductsFn)(const int32_t*, const int32_t*, const double*, int, const double*, int, size_t, size_t,
                                 double*, double*);
typedef void (*CsrColumnProductsFn)(const int32_t*, const int32_t*, const double*, size_t, int, const double*, int,
                                    size_t, size_t, double*, double*);
typedef void (*CsrKlWBlocksFn)(const int32_t*, const int32_t*, const double*, size_t, int, const double*, const double*,
                               int, const int32_t*, int, size_t, size_t, const double*, double*, double*);
typedef void (*CsrKlHBlocksFn)(const int32_t*, const int32_t*, const double*, size_t, size_t, int, const double*,
                               const double*, const double*, int, const int32_t*, int, int, int, int, const double*,
                               double*, double*, double*);
typedef void (*CsrRowProductBlocksFn)(const int32_t*, const double*, const double*, int, const int32_t*, int, size_t,
                                      size_t, double*);
typedef void (*CsrColumnProductBlocksFn)(const int32_t*, const double*, size_t, size_t, const double*, int,
                                         const int32_t*, int, int, int, int, double*, int, double*);
typedef void (*CsrLossBlocksFn)(const int32_t*, const int32_t*, const double*, int, const double*, const double*, int,
                                const int32_t*, int, size_t, size_t, double*);
typedef void (*CsrKlWRankFn)(const int32_t*, const int32_t*, const double*, size_t, int, const double*, const double*,
                             const double*, const int32_t*, int, size_t, size_t, double*, double*, double*);
typedef void (*CsrKlHRankFn)(const int32_t*, const int32_t*, const double*, size_t, size_t, int, const double*,
                             const double*, const double*, const int32_t*, int, int, int, int, const double*, double*,
                             double*);

struct CsrIsa {
  CsrRatiosFn ratios;
  CsrRowProductsFn rowProducts;
  CsrColumnProductsFn columnProducts;
  // The column-blocked KL passes (csr.inl, "Column-blocked KL passes").
  CsrKlWBlocksFn klWBlocks;
  CsrKlHBlocksFn klHBlocks;
  CsrLossBlocksFn lossBlocks;
  // The column-blocked products C · F and Cᵀ · W (csr.inl).
  CsrRowProductBlocksFn rowProductBlocks;
  CsrColumnProductBlocksFn columnProductBlocks;
  // The rank-specialised KL passes for k ≤ kMaxRankKl (csr.inl), the W side with the loss rows.
  CsrKlWRankFn klWRank;
  CsrKlHRankFn klHRank;
};

CsrIsa chooseCsrIsa() {
#ifdef NMF_HAVE_AVX2_BUILD
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512f"))
    return {avx512vl::csrRatios,           avx512vl::csrRowProducts,         avx512vl::csrColumnProducts,
            avx512vl::csrKlWBlocks,        avx512vl::csrKlHBlocks,           avx512vl::csrLossBlocks,
            avx512vl::csrRowProductBlocks, avx512vl::csrColumnProductBlocks, avx512vl::csrKlWRank,
            avx512vl::csrKlHRank};
  if (__builtin_cpu_supports("avx2"))
    return {avx2::csrRatios,    avx2::csrRowProducts, avx2::csrColumnProducts,   avx2::csrKlWBlocks,
            avx2::csrKlHBlocks, avx2::csrLossBlocks,  avx2::csrRowProductBlocks, avx2::csrColumnProductBlocks,
            avx2::csrKlWRank,   avx2::csrKlHRank};
#endif
  return {base::csrRatios,    base::csrRowProducts, base::csrColumnProducts,   base::csrKlWBlocks,
          base::csrKlHBlocks, base::csrLossBlocks,  base::csrRowProductBlocks, base::csrColumnProductBlocks,
          base::csrKlWRank,   base::csrKlHRank};
}

const CsrIsa csrIsa = chooseCsrIsa();

}  // namespace
