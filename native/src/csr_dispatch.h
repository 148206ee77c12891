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
typedef void (*CsrRowLossesFn)(const int32_t*, const int32_t*, const double*, int, const double*, const double*, int,
                               size_t, size_t, double*);
typedef void (*CsrScatterRowsFn)(const int32_t*, const int32_t*, const double*, const double*, int, size_t, size_t,
                                 double*);

struct CsrIsa {
  CsrRatiosFn ratios;
  CsrRowProductsFn rowProducts;
  CsrColumnProductsFn columnProducts;
  CsrRowLossesFn rowLosses;
  CsrScatterRowsFn scatterRows;
};

CsrIsa chooseCsrIsa() {
#ifdef NMF_HAVE_AVX2_BUILD
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512f"))
    return {avx512vl::csrRatios, avx512vl::csrRowProducts, avx512vl::csrColumnProducts, avx512vl::csrRowLosses,
            avx512vl::csrScatterRows};
  if (__builtin_cpu_supports("avx2"))
    return {avx2::csrRatios, avx2::csrRowProducts, avx2::csrColumnProducts, avx2::csrRowLosses, avx2::csrScatterRows};
#endif
  return {base::csrRatios, base::csrRowProducts, base::csrColumnProducts, base::csrRowLosses, base::csrScatterRows};
}

const CsrIsa csrIsa = chooseCsrIsa();

}  // namespace
