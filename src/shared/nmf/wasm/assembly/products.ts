// Products with V and the small dense products (the scalar counterpart: ../../kernels/scalar/products.ts).

import { accumulateRows, axpy, scatterRows, scatterRows4 } from './rows';

/** dst (cols × rows) = srcᵀ for src (rows × cols). */
export function transpose(src: usize, rows: i32, cols: i32, dst: usize): void {
  for (let i = 0; i < rows; i++) {
    const si = src + ((<usize>i * <usize>cols) << 3);
    for (let j = 0; j < cols; j++) {
      store<f64>(dst + ((<usize>j * <usize>rows + <usize>i) << 3), load<f64>(si + (<usize>j << 3)));
    }
  }
}

/** out rows (rows × k) = V rows · F for F (n × k); zero and NaN entries of V count as 0. */
export function times(v: usize, rows: i32, n: i32, f: usize, k: i32, out: usize): void {
  const vStride = <usize>n << 3;
  const kStride = <usize>k << 3;
  let i = 0;
  for (; i + 2 <= rows; i += 2) {
    const vi = v + <usize>i * vStride;
    const oi = out + <usize>i * kStride;
    accumulateRows(vi, vi + vStride, n, f, k, oi, oi + kStride);
  }
  if (i < rows) {
    const vi = v + <usize>i * vStride;
    const oi = out + <usize>i * kStride;
    accumulateRows(vi, vi, n, f, k, oi, oi);
  }
}

/** out (n × k) += V rowsᵀ · W rows (rows of V `vRow` doubles apart); zero and NaN entries of V count as 0. */
export function transposeTimes(v: usize, rows: i32, n: i32, w: usize, k: i32, out: usize, vRow: i32): void {
  const vStride = <usize>vRow << 3;
  const kStride = <usize>k << 3;
  let i = 0;
  for (; i + 4 <= rows; i += 4) {
    const vi = v + <usize>i * vStride;
    scatterRows4(vi, vi + vStride, vi + 2 * vStride, vi + 3 * vStride, n, w + <usize>i * kStride, k, out);
  }
  for (; i < rows; i++) {
    const vi = v + <usize>i * vStride;
    const wi = w + <usize>i * kStride;
    scatterRows(vi, vi, n, wi, wi, k, out, true);
  }
}

/**
 * Products with CSR V over a block of rows: `side` 0: out rows (rows × k, zeroed by the host) +=
 * V rows · F (F: n × k); `side` 1: out (n × k) += V rowsᵀ · F rows (F: the block's rows × k).
 */
export function timesCsr(
  indptr: usize,
  indices: usize,
  data: usize,
  base: i32,
  rows: i32,
  k: i32,
  f: usize,
  out: usize,
  side: i32,
): void {
  const kStride = <usize>k << 3;
  for (let i = 0; i < rows; i++) {
    const start = load<i32>(indptr + (<usize>i << 2)) - base;
    const end = load<i32>(indptr + (<usize>(i + 1) << 2)) - base;
    for (let p = start; p < end; p++) {
      const v = load<f64>(data + (<usize>p << 3));
      if (!(v > 0)) continue;
      const j = <usize>load<i32>(indices + (<usize>p << 2)) * kStride;
      if (side == 0) axpy(out + <usize>i * kStride, v, f + j, k);
      else axpy(out + j, v, f + <usize>i * kStride, k);
    }
  }
}

/** out (k × k) = Aᵀ A for A (rows × k), overwriting out; each entry summed in row order. */
export function gram(a: usize, rows: i32, k: i32, out: usize): void {
  const kStride = <usize>k << 3;
  memory.fill(out, 0, <usize>k * kStride);
  const pairs = k & ~1;
  for (let i = 0; i < rows; i++) {
    const ai = a + <usize>i * kStride;
    for (let s = 0; s < k; s++) {
      const x = load<f64>(ai + (<usize>s << 3));
      if (x == 0) continue;
      const xs = f64x2.splat(x);
      const os = out + <usize>s * kStride;
      let t = 0;
      for (; t < pairs; t += 2) {
        const p = os + (<usize>t << 3);
        v128.store(p, f64x2.add(v128.load(p), f64x2.mul(xs, v128.load(ai + (<usize>t << 3)))));
      }
      if (t < k) {
        const p = os + (<usize>t << 3);
        store<f64>(p, load<f64>(p) + x * load<f64>(ai + (<usize>t << 3)));
      }
    }
  }
}
