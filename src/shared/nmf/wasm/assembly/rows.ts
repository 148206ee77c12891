// Row building blocks of the WebAssembly kernels (the scalar counterpart: ../../kernels/scalar/rows.ts).

import { positive } from './numbers';

/**
 * out0 (k) = Σ_j x0_j · F_j· and out1 (k) = Σ_j x1_j · F_j· over j < n, counting only
 * coefficients > 0 (F: n × k; outputs overwritten): two rows of coefficients times F at once, so
 * each load of F feeds both rows and twice as many independent sums are in flight. Lanes run
 * across t, so each output entry is summed in j order. For a single row pass x1 = x0, out1 = out0.
 */
export function accumulateRows(x0: usize, x1: usize, n: i32, f: usize, k: i32, out0: usize, out1: usize): void {
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
export function scatterRows(x0: usize, x1: usize, n: i32, w0: usize, w1: usize, k: i32, out: usize, single: bool): void {
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
export function scatterRows4(x0: usize, x1: usize, x2: usize, x3: usize, n: i32, w0: usize, k: i32, out: usize): void {
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

/** (W_i · Ht_j) for one stored entry, summed over t in order as the scalar kernels do. */
@inline
export function dot(wi: usize, hj: usize, k: i32): f64 {
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
export function axpy(o: usize, s: f64, x: usize, k: i32): void {
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
export function products(wi: usize, n: i32, k: i32, h: usize, out: usize): void {
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
 * out (k) = Σ_p x[p − start] · F[indices[p]]· over stored entries p ∈ [start, end) with x > 0,
 * overwriting out: k sums held in registers, each summed in p order.
 */
export function sparseAccumulate(indices: usize, x: usize, start: i32, end: i32, f: usize, k: i32, out: usize): void {
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
