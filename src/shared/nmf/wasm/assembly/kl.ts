// The KL numerators, dense and CSR (the scalar counterpart: ../../kernels/scalar/kl.ts).

import { EPS32 } from './numbers';
import { accumulateRows, axpy, dot, products, scatterRows, scatterRows4, sparseAccumulate } from './rows';

/**
 * r (n) = V_i· ⊘ (W_i · H) where V_i· > 0 (a product of exactly 0 is replaced by EPS32), else 0.
 * `vi`, `wi`: addresses of row i of V and of W.
 */
export function klRatioRow(vi: usize, wi: usize, n: i32, k: i32, h: usize, r: usize): void {
  const rowBytes = <usize>n << 3;
  const eps = f64x2.splat(EPS32);
  const zero = f64x2.splat(0);
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    const off = <usize>j << 3;
    let a = zero;
    let b = zero;
    let c = zero;
    let d = zero;
    let t = 0;
    let ht = h + off;
    for (; t + 4 <= k; t += 4) {
      const wt = wi + (<usize>t << 3);
      const w0 = v128.load64_splat(wt);
      const w1 = v128.load64_splat(wt, 8);
      const w2 = v128.load64_splat(wt, 16);
      const w3 = v128.load64_splat(wt, 24);
      const h1 = ht + rowBytes;
      const h2 = h1 + rowBytes;
      const h3 = h2 + rowBytes;
      let sa = f64x2.add(f64x2.mul(w0, v128.load(ht)), f64x2.mul(w1, v128.load(h1)));
      let sb = f64x2.add(f64x2.mul(w0, v128.load(ht, 16)), f64x2.mul(w1, v128.load(h1, 16)));
      let sc = f64x2.add(f64x2.mul(w0, v128.load(ht, 32)), f64x2.mul(w1, v128.load(h1, 32)));
      let sd = f64x2.add(f64x2.mul(w0, v128.load(ht, 48)), f64x2.mul(w1, v128.load(h1, 48)));
      sa = f64x2.add(sa, f64x2.mul(w2, v128.load(h2)));
      sb = f64x2.add(sb, f64x2.mul(w2, v128.load(h2, 16)));
      sc = f64x2.add(sc, f64x2.mul(w2, v128.load(h2, 32)));
      sd = f64x2.add(sd, f64x2.mul(w2, v128.load(h2, 48)));
      sa = f64x2.add(sa, f64x2.mul(w3, v128.load(h3)));
      sb = f64x2.add(sb, f64x2.mul(w3, v128.load(h3, 16)));
      sc = f64x2.add(sc, f64x2.mul(w3, v128.load(h3, 32)));
      sd = f64x2.add(sd, f64x2.mul(w3, v128.load(h3, 48)));
      a = f64x2.add(a, sa);
      b = f64x2.add(b, sb);
      c = f64x2.add(c, sc);
      d = f64x2.add(d, sd);
      ht = h3 + rowBytes;
    }
    for (; t < k; t++) {
      const w0 = v128.load64_splat(wi + (<usize>t << 3));
      a = f64x2.add(a, f64x2.mul(w0, v128.load(ht)));
      b = f64x2.add(b, f64x2.mul(w0, v128.load(ht, 16)));
      c = f64x2.add(c, f64x2.mul(w0, v128.load(ht, 32)));
      d = f64x2.add(d, f64x2.mul(w0, v128.load(ht, 48)));
      ht += rowBytes;
    }
    const vp = vi + off;
    const va = v128.load(vp);
    const vb = v128.load(vp, 16);
    const vc = v128.load(vp, 32);
    const vd = v128.load(vp, 48);
    const rp = r + off;
    v128.store(rp, v128.and(f64x2.div(va, v128.bitselect(eps, a, f64x2.eq(a, zero))), f64x2.gt(va, zero)));
    v128.store(rp, v128.and(f64x2.div(vb, v128.bitselect(eps, b, f64x2.eq(b, zero))), f64x2.gt(vb, zero)), 16);
    v128.store(rp, v128.and(f64x2.div(vc, v128.bitselect(eps, c, f64x2.eq(c, zero))), f64x2.gt(vc, zero)), 32);
    v128.store(rp, v128.and(f64x2.div(vd, v128.bitselect(eps, d, f64x2.eq(d, zero))), f64x2.gt(vd, zero)), 48);
  }
  for (; j < n; j++) {
    const off = <usize>j << 3;
    let s: f64 = 0;
    let t = 0;
    for (; t + 4 <= k; t += 4) {
      const wt = wi + (<usize>t << 3);
      const ht = h + (<usize>t * <usize>n << 3) + off;
      s +=
        load<f64>(wt) * load<f64>(ht) +
        load<f64>(wt, 8) * load<f64>(ht + rowBytes) +
        load<f64>(wt, 16) * load<f64>(ht + 2 * rowBytes) +
        load<f64>(wt, 24) * load<f64>(ht + 3 * rowBytes);
    }
    for (; t < k; t++) s += load<f64>(wi + (<usize>t << 3)) * load<f64>(h + (<usize>t * <usize>n << 3) + off);
    const v = load<f64>(vi + off);
    store<f64>(r + off, v > 0 ? v / (s == 0 ? EPS32 : s) : 0);
  }
}

/** numW rows (rows × k) = (V ⊘ WH) · Ht for a block of dense rows; `r`: scratch of 2n. */
export function klNumW(v: usize, rows: i32, n: i32, k: i32, w: usize, h: usize, ht: usize, numW: usize, r: usize): void {
  const vStride = <usize>n << 3;
  const kStride = <usize>k << 3;
  const r1 = r + vStride;
  let i = 0;
  for (; i + 2 <= rows; i += 2) {
    const wi = w + <usize>i * kStride;
    klRatioRow(v + <usize>i * vStride, wi, n, k, h, r);
    klRatioRow(v + <usize>(i + 1) * vStride, wi + kStride, n, k, h, r1);
    const oi = numW + <usize>i * kStride;
    accumulateRows(r, r1, n, ht, k, oi, oi + kStride);
  }
  if (i < rows) {
    klRatioRow(v + <usize>i * vStride, w + <usize>i * kStride, n, k, h, r);
    const oi = numW + <usize>i * kStride;
    accumulateRows(r, r, n, ht, k, oi, oi);
  }
}

/**
 * numHt (n × k) += (Wᵀ (V ⊘ WH))ᵀ over a block of dense rows; `r`: scratch of 4n. Rows of V are
 * `vRow` doubles apart (n, or more when the block holds whole rows and this call takes n columns of
 * them: a kernel team splits the H side by columns).
 */
export function klNumH(v: usize, rows: i32, n: i32, k: i32, w: usize, h: usize, numHt: usize, r: usize, vRow: i32): void {
  const vStride = <usize>vRow << 3;
  const rStride = <usize>n << 3;
  const kStride = <usize>k << 3;
  let i = 0;
  for (; i + 4 <= rows; i += 4) {
    const wi = w + <usize>i * kStride;
    const vi = v + <usize>i * vStride;
    for (let q = 0; q < 4; q++) klRatioRow(vi + <usize>q * vStride, wi + <usize>q * kStride, n, k, h, r + <usize>q * rStride);
    scatterRows4(r, r + rStride, r + 2 * rStride, r + 3 * rStride, n, wi, k, numHt);
  }
  for (; i < rows; i++) {
    const wi = w + <usize>i * kStride;
    klRatioRow(v + <usize>i * vStride, wi, n, k, h, r);
    scatterRows(r, r, n, wi, wi, k, numHt, true);
  }
}

/**
 * KL numerators over a block of CSR rows (W and out hold the block's rows; Ht is all n × k):
 * `side` 0: out (rows × k, zeroed by the host) += (V ⊘ WH)_i· · Ht, the W numerator;
 * `side` 1: out (n × k) += (Wᵀ(V ⊘ WH))ᵀ, the H numerator.
 * (WH)_ij comes from one dot product per stored entry, or, for a row with more than n/3 stored
 * entries, from the whole row W_i · H computed into `r` (n) as the scalar kernels decide. The two
 * give different bits, so a block holding only part of each row (a kernel team's column window)
 * passes `counts`: the rows' full stored counts (int32, one per row), on which the choice is made;
 * 0: the block's rows are whole.
 */
export function klCsr(
  indptr: usize,
  indices: usize,
  data: usize,
  base: i32,
  rows: i32,
  n: i32,
  k: i32,
  w: usize,
  h: usize,
  ht: usize,
  r: usize,
  q: usize,
  out: usize,
  side: i32,
  counts: usize,
): void {
  const kStride = <usize>k << 3;
  for (let i = 0; i < rows; i++) {
    const wi = w + <usize>i * kStride;
    const start = load<i32>(indptr + (<usize>i << 2)) - base;
    const end = load<i32>(indptr + (<usize>(i + 1) << 2)) - base;
    const stored = counts == 0 ? end - start : load<i32>(counts + (<usize>i << 2));
    const denseRow = end > start && 3 * stored > n;
    if (denseRow) products(wi, n, k, h, r);
    if (side == 0) {
      // Ratios first (independent dot products overlap), then the row's k sums in registers.
      for (let p = start; p < end; p++) {
        const v = load<f64>(data + (<usize>p << 3));
        let ratio: f64 = 0;
        if (v > 0) {
          const j = <usize>load<i32>(indices + (<usize>p << 2));
          const wh = denseRow ? load<f64>(r + (j << 3)) : dot(wi, ht + j * kStride, k);
          ratio = v / (wh == 0 ? EPS32 : wh);
        }
        store<f64>(q + (<usize>(p - start) << 3), ratio);
      }
      sparseAccumulate(indices, q, start, end, ht, k, out + <usize>i * kStride);
    } else {
      for (let p = start; p < end; p++) {
        const v = load<f64>(data + (<usize>p << 3));
        if (!(v > 0)) continue;
        const j = <usize>load<i32>(indices + (<usize>p << 2));
        const hj = ht + j * kStride;
        const wh = denseRow ? load<f64>(r + (j << 3)) : dot(wi, hj, k);
        axpy(hj - ht + out, v / (wh == 0 ? EPS32 : wh), wi, k);
      }
    }
  }
}
