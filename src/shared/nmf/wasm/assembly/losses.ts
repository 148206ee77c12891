// Rows of WH for the losses and the general-β terms (the scalar counterpart: ../../kernels/scalar/losses.ts).

import { products } from './rows';

/**
 * out (rows × n) = W rows · H: a block of rows of WH, each entry summed as `rowProducts` in
 * ../../kernels/scalar/rows.ts sums it (so the losses computed from it have the scalar path's bits).
 */
export function whRows(w: usize, rows: i32, n: i32, k: i32, h: usize, out: usize): void {
  const kStride = <usize>k << 3;
  const nStride = <usize>n << 3;
  for (let i = 0; i < rows; i++) products(w + <usize>i * kStride, n, k, h, out + <usize>i * nStride);
}
