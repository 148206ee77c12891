// The dense kernels' bodies. Included three times by cpu_dispatch.h: for the baseline instruction
// set and, on x86-64, under `target("avx2")` and `target("avx2,avx512f,avx512vl")`, so that one
// binary runs everywhere and uses 256-bit vectors where the CPU has them (dispatch at load time).
//
// Same bits as the scalar reference (src/shared/nmf/kernels/scalar/) and the WebAssembly kernels,
// by the bit rules of src/shared/nmf/kernels/contract.ts. What they mean here: coefficients the
// scalar code skips (not > 0) are set to +0 before use, and there is no fused multiply-add (the
// build passes -ffp-contract=off and no target enables FMA).
//
// Shapes (row-major float64): V m × n, W m × k, H k × n, Ht n × k.

// Files, named as the scalar reference's (src/shared/nmf/kernels/scalar/): rows.inl, products.inl
// (with the KL numerators), beta.inl (the general-β and Itakura–Saito terms), losses.inl, cd.inl; wide.inl (the
// wide-vector products, Gram matrix and sweep); csr.inl (the CSR kernels, which use rows.inl's helpers; dispatched by
// csr_dispatch.h).

namespace NMF_KERNEL_NS {

#include "rows.inl"
#include "wide.inl"
#include "products.inl"
#include "losses.inl"
#include "beta.inl"
#include "cd.inl"
#include "csr.inl"

}  // namespace NMF_KERNEL_NS
