import { kernelsWasmBase64 } from './build/kernels';
import type { KernelExports as Exports } from './exports';
import * as team from './team';
import type { TeamLead } from './team';

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

/** Doubles of V per streamed block (256 KB: fits L2 next to the factors). */
const BLOCK_DOUBLES = 32768;
const PAGE = 65536;

let instance: Exports | null | undefined;
let f64 = new Float64Array(0);
let i32 = new Int32Array(0);

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
    instance = new WebAssembly.Instance(module, {}).exports as unknown as Exports;
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

/** Lays out `sizes` (in doubles) from the heap base, 16-byte aligned; returns byte addresses. */
function layout(x: Exports, sizes: number[]): number[] {
  let at = x.heapBase();
  const out: number[] = [];
  for (const size of sizes) {
    out.push(at);
    at += Math.ceil(size / 2) * 16;
  }
  const have = x.memory.buffer.byteLength;
  if (at > have) x.memory.grow(Math.ceil((at - have) / PAGE));
  if (f64.buffer !== x.memory.buffer) {
    f64 = new Float64Array(x.memory.buffer);
    i32 = new Int32Array(x.memory.buffer);
  }
  return out;
}

function put(src: Float64Array, length: number, at: number): void {
  f64.set(length === src.length ? src : src.subarray(0, length), at >> 3);
}

function take(at: number, length: number, dst: Float64Array): void {
  dst.set(f64.subarray(at >> 3, (at >> 3) + length));
}

/** Rows per dense block of width n. */
function blockRows(n: number): number {
  return Math.max(1, Math.floor(BLOCK_DOUBLES / Math.max(n, 1)));
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
  const rowsPer = Math.min(blockRows(n), m);
  const [w, ht, h, out, r, v] = layout(x, [m * k, n * k, n * k, m * k, 2 * n, rowsPer * n]);
  put(W, m * k, w);
  put(Ht, n * k, ht);
  x.transpose(ht, n, k, h);
  for (let i0 = 0; i0 < m; i0 += rowsPer) {
    const rows = Math.min(rowsPer, m - i0);
    f64.set(V.subarray(i0 * n, (i0 + rows) * n), v >> 3);
    x.klNumW(v, rows, n, k, w + i0 * k * 8, h, ht, out + i0 * k * 8, r);
  }
  take(out, m * k, numW);
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
  const rowsPer = Math.min(blockRows(n), m);
  const [w, ht, h, out, r, v] = layout(x, [m * k, n * k, n * k, n * k, 4 * n, rowsPer * n]);
  put(W, m * k, w);
  put(Ht, n * k, ht);
  x.transpose(ht, n, k, h);
  f64.fill(0, out >> 3, (out >> 3) + n * k);
  for (let i0 = 0; i0 < m; i0 += rowsPer) {
    const rows = Math.min(rowsPer, m - i0);
    f64.set(V.subarray(i0 * n, (i0 + rows) * n), v >> 3);
    x.klNumH(v, rows, n, k, w + i0 * k * 8, h, out, r, n);
  }
  take(out, n * k, numHt);
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
  const rowsPer = Math.min(blockRows(n), m);
  const [f, o, v] = layout(x, [n * k, m * k, rowsPer * n]);
  put(F, n * k, f);
  for (let i0 = 0; i0 < m; i0 += rowsPer) {
    const rows = Math.min(rowsPer, m - i0);
    f64.set(V.subarray(i0 * n, (i0 + rows) * n), v >> 3);
    x.times(v, rows, n, f, k, o + i0 * k * 8);
  }
  take(o, m * k, out);
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
  const rowsPer = Math.min(blockRows(n), m);
  const [w, o, v] = layout(x, [m * k, n * k, rowsPer * n]);
  put(W, m * k, w);
  f64.fill(0, o >> 3, (o >> 3) + n * k);
  for (let i0 = 0; i0 < m; i0 += rowsPer) {
    const rows = Math.min(rowsPer, m - i0);
    f64.set(V.subarray(i0 * n, (i0 + rows) * n), v >> 3);
    x.transposeTimes(v, rows, n, w + i0 * k * 8, k, o, n);
  }
  take(o, n * k, out);
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
  const [ip, ix, dv] = layoutFrom(x, at, [Math.ceil((blockRowCap(m) + 1) / 2), Math.ceil(cap / 2), cap]);
  forEachRowBlock(indptr, m, cap, (i0, i1) => {
    const base = indptr[i0];
    const end = indptr[i1];
    i32.set(indptr.subarray(i0, i1 + 1), ip >> 2);
    i32.set(indices.subarray(base, end), ix >> 2);
    f64.set(data.subarray(base, end), dv >> 3);
    run(i0, i1 - i0, ip, ix, dv, base);
  });
}

/** Stored entries per streamed CSR block: BLOCK_DOUBLES, or the longest row if longer. */
function longestRow(indptr: Int32Array, m: number): number {
  let longest = 0;
  for (let i = 0; i < m; i++) longest = Math.max(longest, indptr[i + 1] - indptr[i]);
  return Math.max(BLOCK_DOUBLES, longest);
}

/** Rows per streamed block of a row-pointer list at most (the block's ptr slice is rows + 1 long). */
function blockRowCap(rows: number): number {
  return Math.min(rows, BLOCK_DOUBLES);
}

/**
 * Cuts rows [0, rows) of a row-pointer list `ptr` into consecutive blocks [r0, r1) of at most
 * `blockRowCap(rows)` rows and `cap` entries (one longer row makes its own block), in order.
 */
function forEachRowBlock(
  ptr: Int32Array,
  rows: number,
  cap: number,
  visit: (r0: number, r1: number) => void,
): void {
  const maxRows = blockRowCap(rows);
  let r0 = 0;
  while (r0 < rows) {
    const base = ptr[r0];
    let r1 = r0 + 1;
    while (r1 < rows && r1 - r0 < maxRows && ptr[r1 + 1] - base <= cap) r1++;
    visit(r0, r1);
    r0 = r1;
  }
}

/** `layout`, starting at byte `at` instead of the heap base. */
function layoutFrom(x: Exports, at: number, sizes: number[]): number[] {
  const base = x.heapBase();
  const all = layout(x, [(at - base) / 8, ...sizes]);
  return all.slice(1);
}

/** The end (byte address) of a layout's last buffer of `size` doubles at `at`. */
function after(at: number, size: number): number {
  return at + Math.ceil(size / 2) * 16;
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
  const [w, ht, h, r, q, o] = layout(x, [m * k, n * k, n * k, n, longestRow(indptr, m), outSize]);
  put(W, m * k, w);
  put(Ht, n * k, ht);
  x.transpose(ht, n, k, h);
  f64.fill(0, o >> 3, (o >> 3) + outSize);
  streamCsr(x, indptr, indices, data, m, after(o, outSize), (i0, rows, ip, ix, dv, base) => {
    const wi = w + i0 * k * 8;
    x.klCsr(ip, ix, dv, base, rows, n, k, wi, h, ht, r, q, side === 0 ? o + i0 * k * 8 : o, side, 0);
  });
  take(o, outSize, out);
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
  const [f, o] = layout(x, [fSize, outSize]);
  put(F, fSize, f);
  f64.fill(0, o >> 3, (o >> 3) + outSize);
  streamCsr(x, indptr, indices, data, m, after(o, outSize), (i0, rows, ip, ix, dv, base) => {
    if (side === 0) x.timesCsr(ip, ix, dv, base, rows, k, f, o + i0 * k * 8, 0);
    else x.timesCsr(ip, ix, dv, base, rows, k, f + i0 * k * 8, o, 1);
  });
  take(o, outSize, out);
}

/** out (k × k) = Aᵀ A for A (rows × k); see gram. Returns false when not active. */
export function gram(A: Float64Array, rows: number, k: number, out: Float64Array): void {
  const x = active();
  const [a, o] = layout(x, [rows * k, k * k]);
  put(A, rows * k, a);
  x.gram(a, rows, k, o);
  take(o, k * k, out);
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
  const [f, g, b, ord, rv] = layout(x, [rows * k, k * k, rows * k, Math.ceil(k / 2), rows]);
  put(F, rows * k, f);
  put(G, k * k, g);
  put(B, rows * k, b);
  i32.set(order.subarray(0, k), ord >> 2);
  const violation = x.cdSweep(f, rows, k, g, b, ord, rv);
  take(f, rows * k, F);
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
  const at = layout(x, [...sizes, Math.ceil((blockRowCap(rows) + 1) / 2), Math.ceil(cap / 2)]);
  const ix = at.pop()!;
  const ip = at.pop()!;
  fill(at);
  forEachRowBlock(ptr, rows, cap, (r0, r1) => {
    const base = ptr[r0];
    i32.set(ptr.subarray(r0, r1 + 1), ip >> 2);
    i32.set(idx.subarray(base, ptr[r1]), ix >> 2);
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
    put(F, rows * k, f);
    put(O, others * k, o);
    put(G, k * k, g);
    put(B, rows * k, b);
    i32.set(order.subarray(0, k), ord >> 2);
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
  take(f, rows * k, F);
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
    put(F, others * k, f);
    put(total, k, tot);
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
  take(o, rows * k, out);
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
  const rowsPer = Math.min(blockRows(n), m);
  const [w, ht, h, out] = layout(x, [m * k, n * k, n * k, rowsPer * n]);
  put(W, m * k, w);
  put(Ht, n * k, ht);
  x.transpose(ht, n, k, h);
  for (let i0 = 0; i0 < m; i0 += rowsPer) {
    const rows = Math.min(rowsPer, m - i0);
    x.whRows(w + i0 * k * 8, rows, n, k, h, out);
    visit(i0, rows, f64.subarray(out >> 3, (out >> 3) + rows * n));
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
  const rowsPer = Math.min(blockRows(n), m);
  const outSize = side === 0 ? m * k : n * k;
  const [w, ht, h, num, den, on, od] = layout(x, [
    m * k,
    n * k,
    n * k,
    rowsPer * n,
    rowsPer * n,
    outSize,
    outSize,
  ]);
  put(W, m * k, w);
  put(Ht, n * k, ht);
  x.transpose(ht, n, k, h);
  if (side === 1) {
    f64.fill(0, on >> 3, (on >> 3) + outSize);
    f64.fill(0, od >> 3, (od >> 3) + outSize);
  }
  for (let i0 = 0; i0 < m; i0 += rowsPer) {
    const rows = Math.min(rowsPer, m - i0);
    x.whRows(w + i0 * k * 8, rows, n, k, h, num);
    fill(
      i0,
      rows,
      f64.subarray(num >> 3, (num >> 3) + rows * n),
      f64.subarray(den >> 3, (den >> 3) + rows * n),
    );
    if (side === 0) {
      x.times(num, rows, n, ht, k, on + i0 * k * 8);
      x.times(den, rows, n, ht, k, od + i0 * k * 8);
    } else {
      x.transposeTimes(num, rows, n, w + i0 * k * 8, k, on, n);
      x.transposeTimes(den, rows, n, w + i0 * k * 8, k, od, n);
    }
  }
  take(on, outSize, numOut);
  take(od, outSize, denOut);
}
