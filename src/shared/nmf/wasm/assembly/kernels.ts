// AssemblyScript source of the WebAssembly (SIMD, f64x2) kernels of the NMF engine
// (src/shared/nmf/kernels/wasm.ts makes them a kernel set).
//
// Every function works on raw byte addresses in this module's linear memory, which the host lays
// out per call (see ../index.ts). Shapes, all row-major float64:
//   V     rows × n   a block of dense rows of the data
//   W     rows × k   the matching rows of W
//   H     k × n      H itself (row t of H is contiguous, so (WH)_i· is a sum of k scaled rows)
//   Ht    n × k      Hᵀ (row j is the k-vector of column j, so V_i· · Ht is a sum of scaled rows)
// CSR blocks: indptr (rows + 1, int32, absolute: subtract `base`), indices (int32), data (float64).
//
// Same bits as the scalar reference (../../kernels/scalar/), by the bit rules of
// ../../kernels/contract.ts: lanes across independent outputs, the scalar order of every sum (the
// grouping of (WH)_ij mirrors `rowProducts` in ../../kernels/scalar/rows.ts), skipped entries
// skipped or masked to +0, no fused multiply-add.
//
// Files, named as the scalar reference's (../../kernels/scalar/): numbers.ts, rows.ts, products.ts,
// kl.ts, cd.ts, losses.ts; this file is the module's entry and lists its exports.

export { klNumW, klNumH, klCsr } from './kl';
export { transpose, times, transposeTimes, timesCsr, gram } from './products';
export { cdSweep, maskedSweep, maskedSums } from './cd';
export { whRows } from './losses';

/** First free byte after the static data, 16-aligned: the host's buffers start here. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}
