// CPU dispatch of the native kernels: the SIMD bodies (kernels.inl) compiled three times, for a
// baseline, AVX2 and AVX-512VL, and the one this CPU supports chosen at load time. Every variant
// runs the same operations in the same order (src/shared/nmf/kernels/contract.ts), so the choice
// changes speed, never bits.
#pragma once

#include <cstddef>
#include <cstdint>

#include "fdlibm_log.h"
#include "fdlibm_pow.h"
#include "numbers.h"

#if !defined(__GNUC__) && !defined(__clang__)
#error "the native kernels need GCC or Clang vector extensions; the engine uses WebAssembly without them"
#endif

#define NMF_KERNEL_NS base
#include "kernels.inl"
#undef NMF_KERNEL_NS

#if defined(__x86_64__) || defined(__i386__)
#define NMF_HAVE_AVX2_BUILD 1
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif
#define NMF_KERNEL_NS avx2
#define NMF_WIDE_BYTES 32
#include "kernels.inl"
#undef NMF_WIDE_BYTES
#undef NMF_KERNEL_NS
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
// The same 256-bit code with AVX-512VL's 32 vector registers (no spills in the 12-wide blocks), and
// wide.inl's loops on 512-bit vectors.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,avx512f,avx512vl"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,avx512f,avx512vl")
#endif
#define NMF_KERNEL_NS avx512vl
#define NMF_WIDE_BYTES 64
#include "kernels.inl"
#undef NMF_WIDE_BYTES
#undef NMF_KERNEL_NS
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif

namespace {

typedef void (*RowSideFn)(const double*, size_t, int, const double*, const double*, const double*, int, bool, size_t,
                          size_t, double*, double*);
typedef void (*ColumnSideFn)(const double*, size_t, size_t, int, const double*, const double*, int, bool, size_t,
                             size_t, double*, double*);
typedef void (*RowLossesFn)(int, const double*, size_t, int, const double*, const double*, size_t, size_t, double*,
                            double*);
typedef void (*GramFn)(const double*, size_t, int, double*);
typedef void (*TimesSmallFn)(const double*, size_t, int, const double*, double*);
typedef void (*BetaRowSideFn)(const double*, const int32_t*, const int32_t*, size_t, int, const double*, const double*,
                              const double*, int, const BetaExponents&, size_t, size_t, double*, double*, double*);
typedef void (*BetaColumnSideFn)(const double*, const int32_t*, const int32_t*, size_t, size_t, int, const double*,
                                 const double*, int, const BetaExponents&, size_t, size_t, double*, double*, double*);
typedef void (*BetaLossSumsFn)(const double*, size_t, size_t, int, const double*, const double*, const BetaExponents&,
                               int, double*, double*);
typedef void (*PowArrayFn)(const double*, const double*, size_t, double*);
typedef void (*CdRowsFn)(double*, int, const double*, const double*, const int32_t*, size_t, size_t, double*, double*);

struct Isa {
  const char* name;
  RowSideFn rowSide;
  ColumnSideFn columnSide;
  RowLossesFn rowLosses;
  GramFn gram;
  CdRowsFn cdRows;
  TimesSmallFn timesSmall;
  BetaRowSideFn betaRowSide;
  BetaColumnSideFn betaColumnSide;
  BetaLossSumsFn betaLossSums;
  PowArrayFn powArray;
};

Isa chooseIsa() {
#ifdef NMF_HAVE_AVX2_BUILD
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512f"))
    return {"avx512vl",
            avx512vl::rowSide,
            avx512vl::columnSide,
            avx512vl::rowLosses,
            avx512vl::gramRows,
            avx512vl::cdRows,
            avx512vl::timesSmallRows,
            avx512vl::betaRowSide,
            avx512vl::betaColumnSide,
            avx512vl::betaLossSums,
            avx512vl::powArray};
  if (__builtin_cpu_supports("avx2"))
    return {"avx2",        avx2::rowSide,        avx2::columnSide,  avx2::rowLosses,      avx2::gramRows,
            avx2::cdRows,  avx2::timesSmallRows, avx2::betaRowSide, avx2::betaColumnSide, avx2::betaLossSums,
            avx2::powArray};
#endif
  return {"baseline",           base::rowSide,      base::columnSide,     base::rowLosses,
          base::gramRows,       base::cdRows,       base::timesSmallRows, base::betaRowSide,
          base::betaColumnSide, base::betaLossSums, base::powArray};
}

const Isa isa = chooseIsa();

}  // namespace
