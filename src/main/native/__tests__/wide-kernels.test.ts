import { describe, expect, it } from 'vitest';
import { Rng } from '../../../shared/linalg/random';
import { scalarKernels, selectKernels, type NmfKernels } from '../../../shared/nmf/kernels';
import { installNativeKernels } from '..';
import { nativeUnavailable, sameBits } from './helpers';

/**
 * The native kernels' wide paths (native/src/wide.inl) against the scalar reference, bit for bit:
 * the H-side products (plain and KL ratio) with lanes across columns and their sums held in
 * registers, compiled per rank for k = 1 … 16 (the plain product up to k = 24 on AVX-512; above,
 * the four-lane loop), in passes of two
 * blocks, then one, then the last few columns the four-lane way; the coordinate-descent sweep in
 * blocks of 16 or 32 rows (one per lane) with the rest in eights, fours and ones; the W-side
 * product (plain and KL ratio, whose products of WH run four wide vectors at a time) eight rows at
 * a time with the components across 512-bit vectors (k ≤ 24; k = 25 takes the four-lane loop);
 * and the Gram matrix with its first columns in 512-bit vectors and the corner entry by entry
 * (k = 8 … 16). Column counts that leave every kind of tail, row counts that leave a remainder
 * after the blocks, all-zero rows and columns of V, factors with exact zeros and −0 entries, and
 * one and three threads with every call split (parts start and end inside blocks).
 */
const installed = installNativeKernels();
const unavailable = nativeUnavailable(installed);

/** Non-negative values with about a fifth exact zeros and a few −0. */
function factor(length: number, rng: Rng): Float64Array {
  const out = new Float64Array(length);
  for (let q = 0; q < length; q++) {
    const u = rng.uniform();
    out[q] = u < 0.2 ? 0 : u < 0.23 ? -0 : rng.uniform() * 2;
  }
  return out;
}

/** Counts with about half zeros, an all-zero row and an all-zero column. */
function counts(m: number, n: number, rng: Rng): Float64Array {
  const V = new Float64Array(m * n);
  for (let q = 0; q < m * n; q++) V[q] = rng.uniform() < 0.5 ? 0 : Math.floor(rng.uniform() * 17);
  V.fill(0, n, 2 * n);
  for (let i = 0; i < m; i++) V[i * n + (n > 3 ? 3 : 0)] = 0;
  return V;
}

/** Every kernel with a wide path, on one shape, by name (each output starts as garbage). */
function outputs(K: NmfKernels, m: number, n: number, k: number, seed: number): Map<string, Float64Array> {
  const rng = new Rng(seed);
  const V = counts(m, n, rng);
  const W = factor(m * k, rng);
  const Ht = factor(n * k, rng);
  const order = Int32Array.from({ length: k }, (_, t) => t);
  rng.shuffle(order);
  const garbage = (length: number): Float64Array => new Float64Array(length).fill(7.5);
  const out = new Map<string, Float64Array>();
  for (const [name, A, rows] of [
    ['W', W, m],
    ['Ht', Ht, n],
  ] as const) {
    const G = garbage(k * k);
    K.gram(A, rows, k, G);
    out.set(`gram ${name}`, G);
  }
  const th = garbage(n * k);
  K.denseTransposeTimes(V, m, n, W, k, th);
  out.set('denseTransposeTimes', th);
  const tw = garbage(m * k);
  K.denseTimes(V, m, n, Ht, k, tw);
  out.set('denseTimes', tw);
  const kw = garbage(m * k);
  K.klNumWDense(V, m, n, k, W, Ht, kw, garbage(n));
  out.set('klNumWDense', kw);
  const kh = garbage(n * k);
  K.klNumHDense(V, m, n, k, W, Ht, kh, garbage(n));
  out.set('klNumHDense', kh);
  // The sweep with the scalar Gram matrix and right-hand side, on both factors.
  for (const [name, F, rows, other] of [
    ['W', W, m, Ht],
    ['Ht', Ht, n, W],
  ] as const) {
    const G = new Float64Array(k * k);
    scalarKernels.gram(other, name === 'W' ? n : m, k, G);
    const B = factor(rows * k, rng);
    const swept = F.slice();
    const violation = K.cdSweep(swept, rows, k, G, B, order);
    out.set(`cdSweep ${name}`, swept);
    out.set(`cdSweep ${name} violation`, Float64Array.of(violation));
  }
  // Fused halves: HALS both sides (plain and penalised), KL both sides.
  for (const [label, l1, l2] of [
    ['plain', 0, 0],
    ['penalised', 0.3, 0.2],
  ] as const) {
    const w = W.slice();
    const h = Ht.slice();
    const B = garbage(m * k);
    const Bh = garbage(n * k);
    const G = garbage(k * k);
    const vw = K.halsHalf(0, V, m, n, k, w, h, B, G, order, l1, l2);
    const vh = K.halsHalf(1, V, m, n, k, h, w, Bh, G, order, l1, l2);
    out.set(`halsHalf ${label} W`, w);
    out.set(`halsHalf ${label} Ht`, h);
    out.set(`halsHalf ${label} Bh`, Bh);
    out.set(`halsHalf ${label} violations`, Float64Array.of(vw, vh));
    const wk = W.slice();
    const hk = Ht.slice();
    K.klHalf(0, V, m, n, k, wk, hk, garbage(m * k), garbage(m * k), garbage(k), garbage(n), l1, l2, 0);
    const numH = garbage(n * k);
    K.klHalf(1, V, m, n, k, wk, hk, numH, garbage(n * k), garbage(k), garbage(n), l1, l2, 0);
    out.set(`klHalf ${label} W`, wk);
    out.set(`klHalf ${label} Ht`, hk);
    out.set(`klHalf ${label} numHt`, numH);
  }
  const sums = garbage(2 * m);
  K.rowLosses(1, V, m, n, k, W.map(Math.abs), Ht.map(Math.abs), sums);
  out.set('rowLosses KL', sums);
  return out;
}

describe.skipIf(unavailable !== null)(`native wide kernels${unavailable ? ` (${unavailable})` : ''}`, () => {
  // n = 61: three passes of two 8-lane blocks, one single block, five columns left; n = 29: one
  // pass of two blocks (or three 4-lane pairs), a tail; n = 8 and 16: whole blocks only. m = 75: two
  // 32-row blocks and a remainder of 11; m = 33 one block and one row.
  const shapes: Array<[number, number]> = [
    [75, 61],
    [33, 29],
    [40, 8],
    [37, 16],
  ];
  for (const [m, n] of shapes) {
    it(`${m} × ${n}, k = 1 … 25: every wide path gives the scalar reference's bits on 1 and 3 threads`, () => {
      for (let k = 1; k <= 25; k++) {
        const seed = m * 131 + n * 7 + k;
        const want = outputs(scalarKernels, m, n, k, seed);
        for (const threads of [1, 3]) {
          const native = selectKernels({ backend: 'native', threads, splitAlways: threads > 1 });
          const got = outputs(native, m, n, k, seed);
          for (const [name, values] of want) {
            expect(sameBits(got.get(name)!, values), `${name}, k = ${k}, ${threads} thread(s)`).toBe(true);
          }
        }
      }
    });
  }
});
