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

const EPS32: f64 = 1.1920928955078125e-7;

/** First free byte after the static data, 16-aligned: the host's buffers start here. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}

/** dst (cols × rows) = srcᵀ for src (rows × cols). */
export function transpose(src: usize, rows: i32, cols: i32, dst: usize): void {
  for (let i = 0; i < rows; i++) {
    const si = src + ((<usize>i * <usize>cols) << 3);
    for (let j = 0; j < cols; j++) {
      store<f64>(dst + ((<usize>j * <usize>rows + <usize>i) << 3), load<f64>(si + (<usize>j << 3)));
    }
  }
}

/**
 * r (n) = V_i· ⊘ (W_i · H) where V_i· > 0 (a product of exactly 0 is replaced by EPS32), else 0.
 * `vi`, `wi`: addresses of row i of V and of W.
 */
function klRatioRow(vi: usize, wi: usize, n: i32, k: i32, h: usize, r: usize): void {
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

/** x if x > 0, else +0: a coefficient that `!(x > 0)` would skip (0, NaN) adds exactly nothing. */
@inline
function positive(x: f64): f64 {
  return select<f64>(x, 0, x > 0);
}

/**
 * out0 (k) = Σ_j x0_j · F_j· and out1 (k) = Σ_j x1_j · F_j· over j < n, counting only
 * coefficients > 0 (F: n × k; outputs overwritten): two rows of coefficients times F at once, so
 * each load of F feeds both rows and twice as many independent sums are in flight. Lanes run
 * across t, so each output entry is summed in j order. For a single row pass x1 = x0, out1 = out0.
 */
function accumulateRows(x0: usize, x1: usize, n: i32, f: usize, k: i32, out0: usize, out1: usize): void {
  const stride = <usize>k << 3;
  let t = 0;
  for (; t + 8 <= k; t += 8) {
    let a0 = f64x2.splat(0);
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    let b0 = a0;
    let b1 = a0;
    let b2 = a0;
    let b3 = a0;
    let fj = f + (<usize>t << 3);
    for (let j = 0; j < n; j++, fj += stride) {
      const u0 = load<f64>(x0 + (<usize>j << 3));
      const u1 = load<f64>(x1 + (<usize>j << 3));
      if (!(u0 > 0) && !(u1 > 0)) continue;
      const s0 = f64x2.splat(positive(u0));
      const s1 = f64x2.splat(positive(u1));
      const f0 = v128.load(fj);
      const f1 = v128.load(fj, 16);
      const f2 = v128.load(fj, 32);
      const f3 = v128.load(fj, 48);
      a0 = f64x2.add(a0, f64x2.mul(s0, f0));
      b0 = f64x2.add(b0, f64x2.mul(s1, f0));
      a1 = f64x2.add(a1, f64x2.mul(s0, f1));
      b1 = f64x2.add(b1, f64x2.mul(s1, f1));
      a2 = f64x2.add(a2, f64x2.mul(s0, f2));
      b2 = f64x2.add(b2, f64x2.mul(s1, f2));
      a3 = f64x2.add(a3, f64x2.mul(s0, f3));
      b3 = f64x2.add(b3, f64x2.mul(s1, f3));
    }
    const o = <usize>t << 3;
    v128.store(out0 + o, a0);
    v128.store(out0 + o, a1, 16);
    v128.store(out0 + o, a2, 32);
    v128.store(out0 + o, a3, 48);
    v128.store(out1 + o, b0);
    v128.store(out1 + o, b1, 16);
    v128.store(out1 + o, b2, 32);
    v128.store(out1 + o, b3, 48);
  }
  for (; t + 4 <= k; t += 4) {
    let a0 = f64x2.splat(0);
    let a1 = a0;
    let b0 = a0;
    let b1 = a0;
    let fj = f + (<usize>t << 3);
    for (let j = 0; j < n; j++, fj += stride) {
      const u0 = load<f64>(x0 + (<usize>j << 3));
      const u1 = load<f64>(x1 + (<usize>j << 3));
      if (!(u0 > 0) && !(u1 > 0)) continue;
      const s0 = f64x2.splat(positive(u0));
      const s1 = f64x2.splat(positive(u1));
      const f0 = v128.load(fj);
      const f1 = v128.load(fj, 16);
      a0 = f64x2.add(a0, f64x2.mul(s0, f0));
      b0 = f64x2.add(b0, f64x2.mul(s1, f0));
      a1 = f64x2.add(a1, f64x2.mul(s0, f1));
      b1 = f64x2.add(b1, f64x2.mul(s1, f1));
    }
    const o = <usize>t << 3;
    v128.store(out0 + o, a0);
    v128.store(out0 + o, a1, 16);
    v128.store(out1 + o, b0);
    v128.store(out1 + o, b1, 16);
  }
  for (; t + 2 <= k; t += 2) {
    let a0 = f64x2.splat(0);
    let b0 = a0;
    let fj = f + (<usize>t << 3);
    for (let j = 0; j < n; j++, fj += stride) {
      const u0 = load<f64>(x0 + (<usize>j << 3));
      const u1 = load<f64>(x1 + (<usize>j << 3));
      if (!(u0 > 0) && !(u1 > 0)) continue;
      const f0 = v128.load(fj);
      a0 = f64x2.add(a0, f64x2.mul(f64x2.splat(positive(u0)), f0));
      b0 = f64x2.add(b0, f64x2.mul(f64x2.splat(positive(u1)), f0));
    }
    const o = <usize>t << 3;
    v128.store(out0 + o, a0);
    v128.store(out1 + o, b0);
  }
  for (; t < k; t++) {
    let a: f64 = 0;
    let b: f64 = 0;
    let fj = f + (<usize>t << 3);
    for (let j = 0; j < n; j++, fj += stride) {
      const u0 = load<f64>(x0 + (<usize>j << 3));
      const u1 = load<f64>(x1 + (<usize>j << 3));
      if (!(u0 > 0) && !(u1 > 0)) continue;
      const fv = load<f64>(fj);
      a += positive(u0) * fv;
      b += positive(u1) * fv;
    }
    store<f64>(out0 + (<usize>t << 3), a);
    store<f64>(out1 + (<usize>t << 3), b);
  }
}

/**
 * out_j· += x0_j · w0, then += x1_j · w1, for j < n, counting only coefficients > 0 (out: n × k,
 * w0, w1: k): the rank-one updates of two rows in one sweep over out, each entry receiving the two
 * additions in row order as two separate sweeps would. `single`: update with row 0 only.
 */
function scatterRows(x0: usize, x1: usize, n: i32, w0: usize, w1: usize, k: i32, out: usize, single: bool): void {
  const stride = <usize>k << 3;
  const pairs = k & ~1;
  let o = out;
  for (let j = 0; j < n; j++, o += stride) {
    const u0 = load<f64>(x0 + (<usize>j << 3));
    const u1 = single ? 0 : load<f64>(x1 + (<usize>j << 3));
    const use0 = u0 > 0;
    const use1 = u1 > 0;
    if (!use0 && !use1) continue;
    const s0 = f64x2.splat(positive(u0));
    const s1 = f64x2.splat(positive(u1));
    let t = 0;
    if (use0 && use1) {
      for (; t < pairs; t += 2) {
        const p = o + (<usize>t << 3);
        const q = <usize>t << 3;
        const acc = f64x2.add(v128.load(p), f64x2.mul(s0, v128.load(w0 + q)));
        v128.store(p, f64x2.add(acc, f64x2.mul(s1, v128.load(w1 + q))));
      }
      if (t < k) {
        const p = o + (<usize>t << 3);
        const q = <usize>t << 3;
        store<f64>(p, load<f64>(p) + u0 * load<f64>(w0 + q) + u1 * load<f64>(w1 + q));
      }
    } else {
      const s = use0 ? s0 : s1;
      const u = use0 ? u0 : u1;
      const w = use0 ? w0 : w1;
      for (; t < pairs; t += 2) {
        const p = o + (<usize>t << 3);
        v128.store(p, f64x2.add(v128.load(p), f64x2.mul(s, v128.load(w + (<usize>t << 3)))));
      }
      if (t < k) {
        const p = o + (<usize>t << 3);
        store<f64>(p, load<f64>(p) + u * load<f64>(w + (<usize>t << 3)));
      }
    }
  }
}

/**
 * `scatterRows` for four rows at once: each entry of out is loaded and stored once for four
 * updates, which are added in row order. Coefficients not > 0 count as +0, which adds nothing.
 */
function scatterRows4(x0: usize, x1: usize, x2: usize, x3: usize, n: i32, w0: usize, k: i32, out: usize): void {
  const stride = <usize>k << 3;
  const w1 = w0 + stride;
  const w2 = w1 + stride;
  const w3 = w2 + stride;
  const pairs = k & ~1;
  let o = out;
  for (let j = 0; j < n; j++, o += stride) {
    const jo = <usize>j << 3;
    const u0 = positive(load<f64>(x0 + jo));
    const u1 = positive(load<f64>(x1 + jo));
    const u2 = positive(load<f64>(x2 + jo));
    const u3 = positive(load<f64>(x3 + jo));
    if (u0 == 0 && u1 == 0 && u2 == 0 && u3 == 0) continue;
    const s0 = f64x2.splat(u0);
    const s1 = f64x2.splat(u1);
    const s2 = f64x2.splat(u2);
    const s3 = f64x2.splat(u3);
    let t = 0;
    for (; t < pairs; t += 2) {
      const p = o + (<usize>t << 3);
      const q = <usize>t << 3;
      let acc = f64x2.add(v128.load(p), f64x2.mul(s0, v128.load(w0 + q)));
      acc = f64x2.add(acc, f64x2.mul(s1, v128.load(w1 + q)));
      acc = f64x2.add(acc, f64x2.mul(s2, v128.load(w2 + q)));
      v128.store(p, f64x2.add(acc, f64x2.mul(s3, v128.load(w3 + q))));
    }
    if (t < k) {
      const p = o + (<usize>t << 3);
      const q = <usize>t << 3;
      store<f64>(
        p,
        load<f64>(p) + u0 * load<f64>(w0 + q) + u1 * load<f64>(w1 + q) + u2 * load<f64>(w2 + q) + u3 * load<f64>(w3 + q),
      );
    }
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

/** (W_i · Ht_j) for one stored entry, summed over t in order as the scalar kernels do. */
@inline
function dot(wi: usize, hj: usize, k: i32): f64 {
  // Unrolled by four to save loop overhead; the additions stay one chain in t order.
  let s: f64 = 0;
  let t = 0;
  for (; t + 4 <= k; t += 4) {
    const o = <usize>t << 3;
    s += load<f64>(wi + o) * load<f64>(hj + o);
    s += load<f64>(wi + o, 8) * load<f64>(hj + o, 8);
    s += load<f64>(wi + o, 16) * load<f64>(hj + o, 16);
    s += load<f64>(wi + o, 24) * load<f64>(hj + o, 24);
  }
  for (; t < k; t++) s += load<f64>(wi + (<usize>t << 3)) * load<f64>(hj + (<usize>t << 3));
  return s;
}

/** o (k) += s · x (k). */
@inline
function axpy(o: usize, s: f64, x: usize, k: i32): void {
  const sv = f64x2.splat(s);
  let t = 0;
  for (; t + 2 <= k; t += 2) {
    const p = o + (<usize>t << 3);
    v128.store(p, f64x2.add(v128.load(p), f64x2.mul(sv, v128.load(x + (<usize>t << 3)))));
  }
  if (t < k) {
    const p = o + (<usize>t << 3);
    store<f64>(p, load<f64>(p) + s * load<f64>(x + (<usize>t << 3)));
  }
}

/** out (n) = W_i · H: row i of WH with the grouping of `klRatioRow` (H: k × n, `wi`: row i of W). */
function products(wi: usize, n: i32, k: i32, h: usize, out: usize): void {
  const rowBytes = <usize>n << 3;
  const zero = f64x2.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const off = <usize>j << 3;
    let a = zero;
    let b = zero;
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
      sa = f64x2.add(sa, f64x2.mul(w2, v128.load(h2)));
      sb = f64x2.add(sb, f64x2.mul(w2, v128.load(h2, 16)));
      sa = f64x2.add(sa, f64x2.mul(w3, v128.load(h3)));
      sb = f64x2.add(sb, f64x2.mul(w3, v128.load(h3, 16)));
      a = f64x2.add(a, sa);
      b = f64x2.add(b, sb);
      ht = h3 + rowBytes;
    }
    for (; t < k; t++) {
      const w0 = v128.load64_splat(wi + (<usize>t << 3));
      a = f64x2.add(a, f64x2.mul(w0, v128.load(ht)));
      b = f64x2.add(b, f64x2.mul(w0, v128.load(ht, 16)));
      ht += rowBytes;
    }
    v128.store(out + off, a);
    v128.store(out + off, b, 16);
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
    store<f64>(out + off, s);
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

/**
 * out (k) = Σ_p x[p − start] · F[indices[p]]· over stored entries p ∈ [start, end) with x > 0,
 * overwriting out: k sums held in registers, each summed in p order.
 */
function sparseAccumulate(indices: usize, x: usize, start: i32, end: i32, f: usize, k: i32, out: usize): void {
  const stride = <usize>k << 3;
  let t = 0;
  for (; t + 8 <= k; t += 8) {
    let a0 = f64x2.splat(0);
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    const ft = f + (<usize>t << 3);
    for (let p = start; p < end; p++) {
      const u = load<f64>(x + (<usize>(p - start) << 3));
      if (!(u > 0)) continue;
      const s = f64x2.splat(u);
      const fj = ft + <usize>load<i32>(indices + (<usize>p << 2)) * stride;
      a0 = f64x2.add(a0, f64x2.mul(s, v128.load(fj)));
      a1 = f64x2.add(a1, f64x2.mul(s, v128.load(fj, 16)));
      a2 = f64x2.add(a2, f64x2.mul(s, v128.load(fj, 32)));
      a3 = f64x2.add(a3, f64x2.mul(s, v128.load(fj, 48)));
    }
    const o = out + (<usize>t << 3);
    v128.store(o, a0);
    v128.store(o, a1, 16);
    v128.store(o, a2, 32);
    v128.store(o, a3, 48);
  }
  for (; t + 2 <= k; t += 2) {
    let a0 = f64x2.splat(0);
    const ft = f + (<usize>t << 3);
    for (let p = start; p < end; p++) {
      const u = load<f64>(x + (<usize>(p - start) << 3));
      if (!(u > 0)) continue;
      a0 = f64x2.add(a0, f64x2.mul(f64x2.splat(u), v128.load(ft + <usize>load<i32>(indices + (<usize>p << 2)) * stride)));
    }
    v128.store(out + (<usize>t << 3), a0);
  }
  if (t < k) {
    let a: f64 = 0;
    const ft = f + (<usize>t << 3);
    for (let p = start; p < end; p++) {
      const u = load<f64>(x + (<usize>(p - start) << 3));
      if (!(u > 0)) continue;
      a += u * load<f64>(ft + <usize>load<i32>(indices + (<usize>p << 2)) * stride);
    }
    store<f64>(out + (<usize>t << 3), a);
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

/**
 * One coordinate-descent sweep over the rows of F (rows × k) with G (k × k) and B (rows × k)
 * frozen, components in `order` (k int32): scikit-learn's `_update_cdnmf_fast`, the same
 * operations in the same order as `cdSweep` in ../../kernels/scalar/cd.ts. Returns Σ|projected gradient|,
 * summed per row first as there.
 */
export function cdSweep(f: usize, rows: i32, k: i32, g: usize, b: usize, order: usize, rv: usize): f64 {
  // Components outside, rows inside (scikit-learn's loop order): the rows are independent, so each
  // row sees exactly the operations of the row-by-row scalar sweep, while consecutive rows' update
  // chains overlap in the pipeline instead of waiting on one another. `rv` (rows) keeps each row's
  // violation so the total is summed per row first, in row order, as the scalar sweep sums it.
  const kStride = <usize>k << 3;
  memory.fill(rv, 0, <usize>rows << 3);
  for (let s = 0; s < k; s++) {
    const t = <usize>load<i32>(order + (<usize>s << 2));
    const gt = g + t * kStride;
    const hess = load<f64>(gt + (t << 3));
    for (let i = 0; i < rows; i++) {
      const fi = f + <usize>i * kStride;
      let grad = -load<f64>(b + <usize>i * kStride + (t << 3));
      for (let q = 0; q < k; q++) grad += load<f64>(gt + (<usize>q << 3)) * load<f64>(fi + (<usize>q << 3));
      const current = load<f64>(fi + (t << 3));
      const pg = current == 0 ? min<f64>(grad, 0) : grad;
      const ri = rv + (<usize>i << 3);
      store<f64>(ri, load<f64>(ri) + abs<f64>(pg));
      if (hess != 0) {
        const next = current - grad / hess;
        store<f64>(fi + (t << 3), next > 0 ? next : 0);
      }
    }
  }
  let violation: f64 = 0;
  for (let i = 0; i < rows; i++) violation += load<f64>(rv + (<usize>i << 3));
  return violation;
}

/**
 * Upper triangle (t ≥ s) of G (k × k) += sign · a aᵀ for the k-vector a at `op`: `addOuterUpper`
 * in ../../solvers.ts, entry by entry. `sign` is +1 or −1 (x + (−a)·b is exactly x − a·b). Rows
 * with a_s = 0, which the scalar code skips, are added here as ±0, which leaves every entry as it
 * was (the entries are sums of non-negative products, never −0): a branch on the many zeros HALS
 * leaves in the factors would mispredict and cost more than the arithmetic it saves.
 */
function addOuterUpper(g: usize, op: usize, k: i32, sign: f64): void {
  const kStride = <usize>k << 3;
  for (let s = 0; s < k; s++) {
    const a = sign * load<f64>(op + (<usize>s << 3));
    const as = f64x2.splat(a);
    const gs = g + <usize>s * kStride;
    let t = s;
    for (; t + 2 <= k; t += 2) {
      const q = gs + (<usize>t << 3);
      v128.store(q, f64x2.add(v128.load(q), f64x2.mul(as, v128.load(op + (<usize>t << 3)))));
    }
    if (t < k) {
      const q = gs + (<usize>t << 3);
      store<f64>(q, load<f64>(q) + a * load<f64>(op + (<usize>t << 3)));
    }
  }
}

/** Copies the upper triangle of G (k × k) onto the lower one. */
function mirrorUpper(g: usize, k: i32): void {
  const kStride = <usize>k << 3;
  for (let s = 0; s < k; s++) {
    for (let t = s + 1; t < k; t++) {
      store<f64>(g + <usize>t * kStride + (<usize>s << 3), load<f64>(g + <usize>s * kStride + (<usize>t << 3)));
    }
  }
}

/** Coordinate-descent updates of row fi (k entries) with Gram matrix g: `cdRow` in ../../kernels/scalar/cd.ts. */
function cdRowAt(fi: usize, k: i32, g: usize, bi: usize, order: usize): f64 {
  const kStride = <usize>k << 3;
  let violation: f64 = 0;
  for (let s = 0; s < k; s++) {
    const t = <usize>load<i32>(order + (<usize>s << 2));
    const gt = g + t * kStride;
    let grad = -load<f64>(bi + (t << 3));
    for (let q = 0; q < k; q++) grad += load<f64>(gt + (<usize>q << 3)) * load<f64>(fi + (<usize>q << 3));
    const current = load<f64>(fi + (t << 3));
    const pg = current == 0 ? min<f64>(grad, 0) : grad;
    violation += abs<f64>(pg);
    const hess = load<f64>(gt + (t << 3));
    if (hess != 0) {
      const next = current - grad / hess;
      store<f64>(fi + (t << 3), next > 0 ? next : 0);
    }
  }
  return violation;
}

/**
 * Weighted (missing-value) coordinate-descent sweep over rows of F (rows × k) against the other
 * factor O (others × k): `maskedSweep` in ../../kernels/scalar/cd.ts, the same operations in the same order.
 * Row r's Gram matrix is Σ over its observed partners of O_o O_oᵀ (+ l2·I): the full `g` (OᵀO +
 * l2·I) minus its missing partners' outer products when at most half are missing, else built from
 * the observed partners. `ptr` (rows + 1, absolute: subtract `base`) and `idx` list each row's
 * missing partners, sorted; `gRow` is k × k scratch. Returns `carried` + Σ|projected gradient|, per
 * row first, added row by row (the host streams blocks and carries the running sum across them).
 */
export function maskedSweep(
  f: usize,
  rows: i32,
  o: usize,
  others: i32,
  k: i32,
  g: usize,
  b: usize,
  l2: f64,
  ptr: usize,
  idx: usize,
  base: i32,
  order: usize,
  gRow: usize,
  carried: f64,
): f64 {
  const kStride = <usize>k << 3;
  const gBytes = <usize>k * kStride;
  let violation = carried;
  for (let r = 0; r < rows; r++) {
    const start = load<i32>(ptr + (<usize>r << 2)) - base;
    const end = load<i32>(ptr + (<usize>(r + 1) << 2)) - base;
    const missing = end - start;
    const fi = f + <usize>r * kStride;
    const bi = b + <usize>r * kStride;
    if (missing == 0) {
      violation += cdRowAt(fi, k, g, bi, order);
      continue;
    }
    if (2 * missing <= others) {
      memory.copy(gRow, g, gBytes);
      for (let p = start; p < end; p++) {
        addOuterUpper(gRow, o + <usize>load<i32>(idx + (<usize>p << 2)) * kStride, k, -1);
      }
      mirrorUpper(gRow, k);
    } else {
      // Observed partners: the complement of the sorted missing list, in order.
      memory.fill(gRow, 0, gBytes);
      let from = 0;
      for (let p = start; p <= end; p++) {
        const to = p < end ? load<i32>(idx + (<usize>p << 2)) : others;
        for (let j = from; j < to; j++) addOuterUpper(gRow, o + <usize>j * kStride, k, 1);
        from = to + 1;
      }
      mirrorUpper(gRow, k);
      if (l2 != 0) {
        for (let t = 0; t < k; t++) {
          const q = gRow + <usize>t * kStride + (<usize>t << 3);
          store<f64>(q, load<f64>(q) + l2);
        }
      }
    }
    violation += cdRowAt(fi, k, gRow, bi, order);
  }
  return violation;
}

/**
 * Masked MU denominators: out_r (k) = total − Σ over row r's missing partners of F_idx, clamped
 * at 0, for rows r of a block (`ptr`/`idx`/`base` as in `maskedSweep`): the correction loops of
 * `muNumDenW`/`muNumDenH` in ../../solvers.ts (KL), entry by entry in the same order.
 */
export function maskedSums(out: usize, rows: i32, f: usize, k: i32, total: usize, ptr: usize, idx: usize, base: i32): void {
  const kStride = <usize>k << 3;
  for (let r = 0; r < rows; r++) {
    const start = load<i32>(ptr + (<usize>r << 2)) - base;
    const end = load<i32>(ptr + (<usize>(r + 1) << 2)) - base;
    const o = out + <usize>r * kStride;
    memory.copy(o, total, kStride);
    for (let p = start; p < end; p++) {
      const fp = f + <usize>load<i32>(idx + (<usize>p << 2)) * kStride;
      let t = 0;
      for (; t + 2 <= k; t += 2) {
        const q = o + (<usize>t << 3);
        v128.store(q, f64x2.sub(v128.load(q), v128.load(fp + (<usize>t << 3))));
      }
      if (t < k) {
        const q = o + (<usize>t << 3);
        store<f64>(q, load<f64>(q) - load<f64>(fp + (<usize>t << 3)));
      }
    }
    for (let t = 0; t < k; t++) {
      const q = o + (<usize>t << 3);
      if (load<f64>(q) < 0) store<f64>(q, 0);
    }
  }
}

/**
 * out (rows × n) = W rows · H: a block of rows of WH, each entry summed as `rowProducts` in
 * ../../kernels/scalar/rows.ts sums it (so the losses computed from it have the scalar path's bits).
 */
export function whRows(w: usize, rows: i32, n: i32, k: i32, h: usize, out: usize): void {
  const kStride = <usize>k << 3;
  const nStride = <usize>n << 3;
  for (let i = 0; i < rows; i++) products(w + <usize>i * kStride, n, k, h, out + <usize>i * nStride);
}
