import { kernelsWasmBase64 } from './build/kernels';
import type { KernelExports as Exports } from './exports';
import * as team from './team';
import type { TeamLead } from './team';
import { after, blockRowCap, blockRows, forEachRowBlock, Heap, longestRow } from './memory';

export {
  createTeamLead,
  kernelTeamWorthwhile,
  releaseTeamLead,
  serveKernelTeam,
  stopKernelTeam,
  TEAM_CONTROL_BYTES,
  type KernelTeam,
  type TeamArray,
  type TeamLead,
} from './team';

/**
 * Host side of the WebAssembly (SIMD) kernels: the contracts of ../kernels/contract.ts over the
 * module's own linear memory; ../kernels/wasm.ts turns these functions into a kernel set.
 *
 * Memory. Only O((m + n)·k) lives in linear memory: W, Hᵀ, H, the output and one scratch row. V is
 * streamed through a block of about 256 KB (a few dozen dense rows, or ~20 000 stored CSR entries),
 * copied in just before it is used, so no m × n copy of V is ever made and the block is still in
 * cache when the kernel reads it. Measured on 2000 × 500, k = 8: the copies cost ~5% of a KL pass.
 *
 * Results: the bit rules of ../kernels/contract.ts (tested in ../kernels/__tests__).
 *
 * Threads. Given a team's lead (`lead`, see ./team.ts), large dense calls, the CSR KL numerators
 * and sweeps are split across the team's threads over a shared memory, with the same bits as here;
 * with `lead` null they run here.
 */

let instance: Exports | null | undefined;
/** Views of the instance's memory (./memory.ts). */
let heap = new Heap(new WebAssembly.Memory({ initial: 0 }), 0);

/** Whether the WebAssembly kernels instantiate here (compiled once, on the first call). */
export function wasmAvailable(): boolean {
  return load() !== null;
}

function load(): Exports | null {
  if (instance !== undefined) return instance;
  try {
    const bytes = Uint8Array.from(atob(kernelsWasmBase64), (c) => c.charCodeAt(0));
    // Synchronous compile: the engine is synchronous, and the module is a few KB.
    const module = new WebAssembly.Module(bytes);
    const x = new WebAssembly.Instance(module, {}).exports as unknown as Exports;
    heap = new Heap(x.memory, x.heapBase());
    instance = x;
  } catch {
    instance = null;
  }
  return instance;
}

/** The instance; callers check `wasmAvailable()` first. */
function active(): Exports {
  const x = load();
  if (x === null) throw new Error('WebAssembly kernels are not available here');
  return x;
}

/** numW (m × k) = (V ⊘ WH) · Hᵀ for dense V (m × n); see klNumWDense. Returns false when not active. */
export function klNumWDense(
  lead: TeamLead | null,
  V: Float64Array,
  m: number,
  n: number,
  k: number,
  W: Float64Array,
  Ht: Float64Array,
  numW: Float64Array,
): void {
  const x = active();
  if (lead !== null && team.teamKlNumW(lead, V, m, n, k, W, Ht, numW)) return;
  const rowsPer = blockRows(n, m);
  const [w, ht, h, out, r, v] = heap.layout([m * k, n * k, n * k, m * k, 2 * n, rowsPer * n]);
  heap.put(W, m * k, w);
  heap.put(Ht, n * k, ht);
  x.transpose(ht, n, k, h);
  for (let i0 = 0; i0 < m; i0 += rowsPer) {
    const rows = Math.min(rowsPer, m - i0);
    heap.f64.set(V.subarray(i0 * n, (i0 + rows) * n), v >> 3);
    x.klNumW(v, rows, n, k, w + i0 * k * 8, h, ht, out + i0 * k * 8, r);
  }
  heap.take(out, m * k, numW);
}

/** numHt (n × k) = (Wᵀ (V ⊘ WH))ᵀ for dense V; see klNumHDense. Returns false when not active. */
export function klNumHDense(
  lead: TeamLead | null,
  V: Float64Array,
  m: number,
  n: number,
  k: number,
  W: Float64Array,
  Ht: Float64Array,
  numHt: Float64Array,
): void {
  const x = active();
  if (lead !== null && team.teamKlNumH(lead, V, m, n, k, W, Ht, numHt)) return;
  const rowsPer = blockRows(n, m);
  const [w, ht, h, out, r, v] = heap.layout([m * k, n * k, n * k, n * k, 4 * n, rowsPer * n]);
  heap.put(W, m * k, w);
  heap.put(Ht, n * k, ht);
  x.transpose(ht, n, k, h);
  heap.zero(out, n * k);
  for (let i0 = 0; i0 < m; i0 += rowsPer) {
    const rows = Math.min(rowsPer, m - i0);
    heap.f64.set(V.subarray(i0 * n, (i0 + rows) * n), v >> 3);
    x.klNumH(v, rows, n, k, w + i0 * k * 8, h, out, r, n);
  }
  heap.take(out, n * k, numHt);
}

/** out (m × k) = V · F for dense V (m × n), F (n × k); see denseTimes. */
export function denseTimes(
  lead: TeamLead | null,
  V: Float64Array,
  m: number,
  n: number,
  F: Float64Array,
  k: number,
  out: Float64Array,
): void {
  const x = active();
  if (lead !== null && team.teamTimes(lead, V, m, n, F, k, out)) return;
  const rowsPer = blockRows(n, m);
  const [f, o, v] = heap.layout([n * k, m * k, rowsPer * n]);
  heap.put(F, n * k, f);
  for (let i0 = 0; i0 < m; i0 += rowsPer) {
    const rows = Math.min(rowsPer, m - i0);
    heap.f64.set(V.subarray(i0 * n, (i0 + rows) * n), v >> 3);
    x.times(v, rows, n, f, k, o + i0 * k * 8);
  }
  heap.take(o, m * k, out);
}

/** out (n × k) = Vᵀ · W for dense V (m × n), W (m × k); see denseTransposeTimes. */
export function denseTransposeTimes(
  lead: TeamLead | null,
  V: Float64Array,
  m: number,
  n: number,
  W: Float64Array,
  k: number,
  out: Float64Array,
): void {
  const x = active();
  if (lead !== null && team.teamTransposeTimes(lead, V, m, n, W, k, out)) return;
  const rowsPer = blockRows(n, m);
  const [w, o, v] = heap.layout([m * k, n * k, rowsPer * n]);
  heap.put(W, m * k, w);
  heap.zero(o, n * k);
  for (let i0 = 0; i0 < m; i0 += rowsPer) {
    const rows = Math.min(rowsPer, m - i0);
    heap.f64.set(V.subarray(i0 * n, (i0 + rows) * n), v >> 3);
    x.transposeTimes(v, rows, n, w + i0 * k * 8, k, o, n);
  }
  heap.take(o, n * k, out);
}

/**
 * Streams CSR V (rows [0, m)) through linear memory in blocks of whole rows of at most
 * ~BLOCK_DOUBLES stored entries (one longer row makes its own block), calling `run` per block with
 * the addresses of its indptr (absolute offsets: `base` is the block's first), indices and data.
 */
function streamCsr(
  x: Exports,
  indptr: Int32Array,
  indices: Int32Array,
  data: Float64Array,
  m: number,
  at: number,
  run: (i0: number, rows: number, ip: number, ix: number, dv: number, base: number) => void,
): void {
  const cap = longestRow(indptr, m);
  // indptr (int32) and indices (int32) are sized in doubles: halves, rounded up.
  const [ip, ix, dv] = heap.layoutFrom(at, [Math.ceil((blockRowCap(m) + 1) / 2), Math.ceil(cap / 2), cap]);
  forEachRowBlock(indptr, m, cap, (i0, i1) => {
    const base = indptr[i0];
    const end = indptr[i1];
    heap.i32.set(indptr.subarray(i0, i1 + 1), ip >> 2);
    heap.i32.set(indices.subarray(base, end), ix >> 2);
    heap.f64.set(data.subarray(base, end), dv >> 3);
    run(i0, i1 - i0, ip, ix, dv, base);
  });
}

/** KL numerator for CSR V: W side (numW, m × k) or H side (numHt, n × k); see klNumWCsr / klNumHCsr. */
export function klCsr(
  lead: TeamLead | null,
  side: 0 | 1,
  indptr: Int32Array,
  indices: Int32Array,
  data: Float64Array,
  m: number,
  n: number,
  k: number,
  W: Float64Array,
  Ht: Float64Array,
  out: Float64Array,
): void {
  const x = active();
  if (lead !== null && team.teamKlCsr(lead, side, indptr, indices, data, m, n, k, W, Ht, out)) return;
  const outSize = side === 0 ? m * k : n * k;
  const [w, ht, h, r, q, o] = heap.layout([m * k, n * k, n * k, n, longestRow(indptr, m), outSize]);
  heap.put(W, m * k, w);
  heap.put(Ht, n * k, ht);
  x.transpose(ht, n, k, h);
  heap.zero(o, outSize);
  streamCsr(x, indptr, indices, data, m, after(o, outSize), (i0, rows, ip, ix, dv, base) => {
    const wi = w + i0 * k * 8;
    x.klCsr(ip, ix, dv, base, rows, n, k, wi, h, ht, r, q, side === 0 ? o + i0 * k * 8 : o, side, 0);
  });
  heap.take(o, outSize, out);
}

/** Products with CSR V: side 0 out (m × k) = V · F (F: n × k); side 1 out (n × k) = Vᵀ · F (F: m × k). */
export function csrProduct(
  side: 0 | 1,
  indptr: Int32Array,
  indices: Int32Array,
  data: Float64Array,
  m: number,
  n: number,
  F: Float64Array,
  k: number,
  out: Float64Array,
): void {
  const x = active();
  const fSize = side === 0 ? n * k : m * k;
  const outSize = side === 0 ? m * k : n * k;
  const [f, o] = heap.layout([fSize, outSize]);
  heap.put(F, fSize, f);
  heap.zero(o, outSize);
  streamCsr(x, indptr, indices, data, m, after(o, outSize), (i0, rows, ip, ix, dv, base) => {
    if (side === 0) x.timesCsr(ip, ix, dv, base, rows, k, f, o + i0 * k * 8, 0);
    else x.timesCsr(ip, ix, dv, base, rows, k, f + i0 * k * 8, o, 1);
  });
  heap.take(o, outSize, out);
}

/** out (k × k) = Aᵀ A for A (rows × k); see gram. Returns false when not active. */
export function gram(A: Float64Array, rows: number, k: number, out: Float64Array): void {
  const x = active();
  const [a, o] = heap.layout([rows * k, k * k]);
  heap.put(A, rows * k, a);
  x.gram(a, rows, k, o);
  heap.take(o, k * k, out);
}

/**
 * One coordinate-descent sweep over F (rows × k), in place; see cdSweep. Returns the violation, or
 * null when not active.
 */
export function cdSweep(
  lead: TeamLead | null,
  F: Float64Array,
  rows: number,
  k: number,
  G: Float64Array,
  B: Float64Array,
  order: Int32Array,
): number {
  const x = active();
  const split = lead === null ? null : team.teamCdSweep(lead, F, rows, k, G, B, order);
  if (split !== null) return split;
  const [f, g, b, ord, rv] = heap.layout([rows * k, k * k, rows * k, Math.ceil(k / 2), rows]);
  heap.put(F, rows * k, f);
  heap.put(G, k * k, g);
  heap.put(B, rows * k, b);
  heap.i32.set(order.subarray(0, k), ord >> 2);
  const violation = x.cdSweep(f, rows, k, g, b, ord, rv);
  heap.take(f, rows * k, F);
  return violation;
}

/**
 * Streams the missing-partner lists `ptr`/`idx` (rows [0, rows)) through linear memory in blocks of
 * whole rows of at most ~BLOCK_DOUBLES partners (one longer row makes its own block), as
 * `streamCsr` does for CSR V. `sizes` are the caller's own buffers, laid out first: `fill` gets
 * their addresses once, then `run` is called per block with the addresses of its ptr (absolute:
 * subtract `base`) and idx. Returns the caller's addresses.
 */
function streamMissing(
  x: Exports,
  ptr: Int32Array,
  idx: Int32Array,
  rows: number,
  sizes: number[],
  fill: (at: number[]) => void,
  run: (at: number[], r0: number, count: number, ip: number, ix: number, base: number) => void,
): number[] {
  const cap = longestRow(ptr, rows);
  const at = heap.layout([...sizes, Math.ceil((blockRowCap(rows) + 1) / 2), Math.ceil(cap / 2)]);
  const ix = at.pop()!;
  const ip = at.pop()!;
  fill(at);
  forEachRowBlock(ptr, rows, cap, (r0, r1) => {
    const base = ptr[r0];
    heap.i32.set(ptr.subarray(r0, r1 + 1), ip >> 2);
    heap.i32.set(idx.subarray(base, ptr[r1]), ix >> 2);
    run(at, r0, r1 - r0, ip, ix, base);
  });
  return at;
}

/**
 * One weighted (missing-value) coordinate-descent sweep over F (rows × k) against O (others × k),
 * in place; see `maskedSweep` in ../solvers.ts. `ptr`/`idx` list each row's missing partners.
 * Returns the violation, or null when not active.
 */
export function maskedSweep(
  F: Float64Array,
  rows: number,
  O: Float64Array,
  others: number,
  k: number,
  G: Float64Array,
  B: Float64Array,
  l2: number,
  ptr: Int32Array,
  idx: Int32Array,
  order: Int32Array,
): number {
  const x = active();
  let violation = 0;
  const sizes = [rows * k, others * k, k * k, rows * k, Math.ceil(k / 2), k * k];
  const fill = ([f, o, g, b, ord]: number[]): void => {
    heap.put(F, rows * k, f);
    heap.put(O, others * k, o);
    heap.put(G, k * k, g);
    heap.put(B, rows * k, b);
    heap.i32.set(order.subarray(0, k), ord >> 2);
  };
  const [f] = streamMissing(
    x,
    ptr,
    idx,
    rows,
    sizes,
    fill,
    ([fAt, o, g, b, ord, gRow], r0, count, ip, ix, base) => {
      const rowBytes = r0 * k * 8;
      // The running sum is carried through the blocks: the scalar sweep's order of additions.
      violation = x.maskedSweep(
        fAt + rowBytes,
        count,
        o,
        others,
        k,
        g,
        b + rowBytes,
        l2,
        ip,
        ix,
        base,
        ord,
        gRow,
        violation,
      );
    },
  );
  heap.take(f, rows * k, F);
  return violation;
}

/**
 * out (rows × k): row r = total − Σ over r's missing partners o of F_o, clamped at 0 (masked MU
 * denominators). Returns false when not active.
 */
export function maskedSums(
  out: Float64Array,
  rows: number,
  F: Float64Array,
  others: number,
  k: number,
  total: Float64Array,
  ptr: Int32Array,
  idx: Int32Array,
): void {
  const x = active();
  const fill = ([, f, tot]: number[]): void => {
    heap.put(F, others * k, f);
    heap.put(total, k, tot);
  };
  const [o] = streamMissing(
    x,
    ptr,
    idx,
    rows,
    [rows * k, others * k, k],
    fill,
    ([oAt, f, tot], r0, count, ip, ix, base) =>
      x.maskedSums(oAt + r0 * k * 8, count, f, k, tot, ip, ix, base),
  );
  heap.take(o, rows * k, out);
}

/**
 * Visits the rows of WH (W: m × k, Ht: n × k) in blocks computed by the WebAssembly kernel:
 * `visit(i0, rows, block)` gets rows i0 … i0 + rows − 1, row-major in `block` (rows × n), a view
 * into linear memory valid only during the call (the visitor must not call other kernels). Returns
 * false, visiting nothing, when not active. For the losses, whose WH pass is the expensive part.
 */
export function forEachWhBlock(
  W: Float64Array,
  Ht: Float64Array,
  m: number,
  n: number,
  k: number,
  visit: (i0: number, rows: number, block: Float64Array) => void,
): void {
  const x = active();
  const rowsPer = blockRows(n, m);
  const [w, ht, h, out] = heap.layout([m * k, n * k, n * k, rowsPer * n]);
  heap.put(W, m * k, w);
  heap.put(Ht, n * k, ht);
  x.transpose(ht, n, k, h);
  for (let i0 = 0; i0 < m; i0 += rowsPer) {
    const rows = Math.min(rowsPer, m - i0);
    x.whRows(w + i0 * k * 8, rows, n, k, h, out);
    visit(i0, rows, heap.f64.subarray(out >> 3, (out >> 3) + rows * n));
  }
}

/**
 * The general-β MU terms of one step, block of rows by block of rows: the rows of WH come from the
 * kernel, the per-entry terms from `fill` (JavaScript: the powers), and their products with the
 * factor from the kernel again. `fill(i0, rows, num, den)` finds rows i0 … i0 + rows − 1 of WH in
 * `num` (rows × n, views valid only during the call; it must not call other kernels) and leaves the
 * numerator terms in `num` and the denominator terms in `den`. side 0 (W step): numOut, denOut
 * (m × k) = terms · Hᵀ, as `denseTimes` sums them; side 1 (H step): numOut, denOut (n × k) =
 * termsᵀ · W, as `denseTransposeTimes` does. Returns false when not active.
 */
export function betaTerms(
  side: 0 | 1,
  m: number,
  n: number,
  k: number,
  W: Float64Array,
  Ht: Float64Array,
  fill: (i0: number, rows: number, num: Float64Array, den: Float64Array) => void,
  numOut: Float64Array,
  denOut: Float64Array,
): void {
  const x = active();
  const rowsPer = blockRows(n, m);
  const outSize = side === 0 ? m * k : n * k;
  const [w, ht, h, num, den, on, od] = heap.layout([
    m * k,
    n * k,
    n * k,
    rowsPer * n,
    rowsPer * n,
    outSize,
    outSize,
  ]);
  heap.put(W, m * k, w);
  heap.put(Ht, n * k, ht);
  x.transpose(ht, n, k, h);
  if (side === 1) {
    heap.zero(on, outSize);
    heap.zero(od, outSize);
  }
  for (let i0 = 0; i0 < m; i0 += rowsPer) {
    const rows = Math.min(rowsPer, m - i0);
    x.whRows(w + i0 * k * 8, rows, n, k, h, num);
    fill(
      i0,
      rows,
      heap.f64.subarray(num >> 3, (num >> 3) + rows * n),
      heap.f64.subarray(den >> 3, (den >> 3) + rows * n),
    );
    if (side === 0) {
      x.times(num, rows, n, ht, k, on + i0 * k * 8);
      x.times(den, rows, n, ht, k, od + i0 * k * 8);
    } else {
      x.transposeTimes(num, rows, n, w + i0 * k * 8, k, on, n);
      x.transposeTimes(den, rows, n, w + i0 * k * 8, k, od, n);
    }
  }
  heap.take(on, outSize, numOut);
  heap.take(od, outSize, denOut);
}
