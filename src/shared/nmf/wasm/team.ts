import { kernelsSharedWasmBase64 } from './build/kernels';
import type { KernelExports } from './exports';

/**
 * A kernel team: the fit's own thread plus helper threads that run ONE kernel call together over a
 * shared WebAssembly memory, so that a single large fit uses more than one core while the engine
 * stays synchronous.
 *
 * Protocol. A small control block (Int32Array over a SharedArrayBuffer) holds a command sequence
 * number, the count of helpers done with the current command, the operation and a failure flag;
 * a Float64Array behind it holds the call's sizes and byte addresses. Per kernel call the fit thread
 * lays out the buffers, writes the command, bumps the sequence and `Atomics.notify`s, computes part 0
 * itself, then `Atomics.wait`s until every helper has counted itself done. Helpers sleep in
 * `Atomics.wait` between calls. Atomics.wait blocks, so a team can be used only where blocking is
 * allowed: Node's main thread and worker threads, not a browser's main thread.
 *
 * Same bits as one thread. Work is split by outputs, never inside a sum: the W-side kernels (KL
 * numerator of W, V·Hᵀ, the coordinate-descent sweep over the rows of W) split the rows of V, the
 * H-side kernels (KL numerator of H, Vᵀ·W, the sweep over the rows of Hᵀ) split the columns of V.
 * Each thread owns its output rows and adds, for each of them, the same terms in the same order (i
 * ascending) as the one-thread kernel, so W and H are bit-identical to the one-thread fit whatever
 * the thread count. The HALS violation is summed over all rows in row order once the parts are done,
 * as the one-thread sweep sums it.
 *
 * CSR V (the two KL numerators). The W side splits the rows of V, balanced by stored entries. The H
 * side splits the columns: each thread owns a window of columns holding about the same number of
 * stored entries, visits every row but only its entries in that window (where each row's window
 * starts is found once per V, by binary search in the row's sorted indices), gathers them into a
 * block of its own and adds into its rows of numHt only, over i ascending as on one thread. A row
 * of many stored entries takes another path to (WH)_ij than a sparse one (different bits), so the
 * kernel is told each row's full count and chooses as it does for the whole row.
 *
 * V reaches the helpers without a copy: its arrays (dense values; CSR indptr, indices and data)
 * must be backed by SharedArrayBuffers (the app's datasets are), and are handed over once per
 * distinct V via `KernelTeam.share`. V in ordinary ArrayBuffers is not copied: such calls simply
 * run on one thread.
 *
 * Spawning threads is the host's business (src/main/workers/kernel-team.ts); this file only needs
 * the `KernelTeam` it is given and runs the same partition code on every thread.
 */

/** An array handed to the helpers: dense V, or CSR V's arrays and its split plan. */
export type TeamArray = Float64Array | Int32Array;

/** What the thread that started the helpers hands to the engine (`selectKernels({ team })`). */
export interface KernelTeam {
  /** Threads that share one kernel call, the caller included. */
  readonly threads: number;
  /** The shared linear memory of every thread's instance of the kernels. */
  readonly memory: WebAssembly.Memory;
  /** The control block (at least `TEAM_CONTROL_BYTES`), shared with the helpers. */
  readonly control: SharedArrayBuffer;
  /** Sends `arrays` to every helper; a helper takes them when it runs the next `data` command. */
  share(arrays: readonly TeamArray[]): void;
  /** Overrides the smallest m·n·k split (tests use 0 to split even tiny problems). */
  readonly minDenseWork?: number;
  /** Overrides the smallest nnz·k of a split CSR call. */
  readonly minCsrWork?: number;
  /** Overrides the smallest rows·k² of a split coordinate-descent sweep. */
  readonly minSweepWork?: number;
}

/** Bytes of the control block. */
export const TEAM_CONTROL_BYTES = 256;

// Int32 words of the control block.
const SEQ = 0;
const DONE = 1;
const OP = 2;
const FAILED = 3;
/** Float64 parameters start at this byte. */
const PARAM_BYTE = 64;

const Op = {
  Data: 1,
  KlW: 2,
  KlH: 3,
  Times: 4,
  TransposeTimes: 5,
  Cd: 6,
  Stop: 7,
  KlCsrW: 8,
  KlCsrH: 9,
} as const;
type OpCode = (typeof Op)[keyof typeof Op];

/**
 * Smallest m·n·k for which the products with dense V are split. Below it the wake-up (a median of
 * 20–130 µs per call on the 2-core VM this was measured on, now and then ~3 ms) and the copies cost
 * more than half a pass saves. The two KL kernels, one thread → two, on a quiet machine: m·n·k =
 * 2·10⁴ (100 × 50 × 4) 0.31×, 6·10⁴ 0.47×, 10⁵ 1.32×, 3·10⁵ 1.63×, 8·10⁶ (2000 × 500 × 8) 1.80×.
 */
const MIN_DENSE_WORK = 1 << 17;
/**
 * Smallest rows·k² for which a coordinate-descent sweep is split (its cost is ∝ rows·k², and F, G
 * and B are copied in and out per call): 1.3·10⁵ (2000 rows, k = 8) 1.04×, 5·10⁵ 1.43×, 2·10⁶
 * 1.62×.
 */
const MIN_SWEEP_WORK = 1 << 18;
/**
 * Smallest nnz·k for which the KL numerators with CSR V are split (the split plan, made once per V,
 * is not counted). Both numerators, one thread → two, random CSR with 10% stored, same VM: nnz·k =
 * 2.4·10⁴ (100 × 300, k = 8) 0.40×, 7.9·10⁴ 0.75×, 2.4·10⁵ 1.08×, 8·10⁵ 1.40×, 4·10⁶ (1000 × 4000,
 * k = 10) 1.81×, 4·10⁷ (2000 × 20000, k = 10) 1.98×.
 */
const MIN_CSR_WORK = 1 << 18;
/** Doubles of V per streamed block and thread (256 KB, as on one thread). */
const BLOCK_DOUBLES = 32768;
const PAGE = 65536;

/** The team's instances import the shared memory rather than export one. */
type Exports = Omit<KernelExports, 'memory'>;

/**
 * CSR V as a thread sees it, with the split every thread reads: `plan` holds the row cuts
 * (threads + 1, balanced by stored entries), the column cuts (threads + 1, balanced by stored
 * entries per column) and, for each inner column cut c and row i, the first stored entry of row i
 * with a column ≥ c (threads − 1 blocks of m).
 */
interface Csr {
  indptr: Int32Array;
  indices: Int32Array;
  data: Float64Array;
  plan: Int32Array;
}

/** One thread's view of the team: its instance over the shared memory and the control block. */
interface Member {
  x: Exports;
  memory: WebAssembly.Memory;
  ctl: Int32Array;
  par: Float64Array;
  threads: number;
  f64: Float64Array;
  i32: Int32Array;
  /** The dense V of the current fit, as this thread sees it. */
  V: Float64Array | null;
  /** The CSR V of the current fit, as this thread sees it. */
  csr: Csr | null;
}

/** The shared-memory kernels, compiled once per thread (`createTeamLead` only instantiates). */
let sharedModule: WebAssembly.Module | null = null;

function instantiate(memory: WebAssembly.Memory): Exports {
  if (sharedModule === null) {
    const bytes = Uint8Array.from(atob(kernelsSharedWasmBase64), (c) => c.charCodeAt(0));
    sharedModule = new WebAssembly.Module(bytes);
  }
  return new WebAssembly.Instance(sharedModule, { env: { memory } }).exports as unknown as Exports;
}

function member(memory: WebAssembly.Memory, control: SharedArrayBuffer, threads: number): Member {
  return {
    x: instantiate(memory),
    memory,
    ctl: new Int32Array(control, 0, PARAM_BYTE / 4),
    par: new Float64Array(control, PARAM_BYTE, (TEAM_CONTROL_BYTES - PARAM_BYTE) / 8),
    threads,
    f64: new Float64Array(0),
    i32: new Int32Array(0),
    V: null,
    csr: null,
  };
}

/** Views of the shared memory, renewed when any thread has grown it. */
function refresh(t: Member): void {
  const buffer = t.memory.buffer;
  if (t.f64.buffer.byteLength !== buffer.byteLength) {
    t.f64 = new Float64Array(buffer);
    t.i32 = new Int32Array(buffer);
  }
}

// ---------------------------------------------------------------------------------------------
// The fit thread's side

/**
 * The fit thread's side of a team: its instance over the shared memory, the host object that shares
 * V with the helpers, which V the helpers hold now and how many calls were split.
 */
export interface TeamLead extends Member {
  team: KernelTeam;
  /** The arrays of the V the helpers hold now. */
  sharedKey: readonly TeamArray[] | null;
  /** Kernel calls split across the team so far. */
  calls: number;
}

/**
 * The fit thread's side of `team` (null when it has fewer than 2 threads). The team's helpers must
 * be serving it (`serveKernelTeam`). Throws if the shared kernels cannot be instantiated over
 * `team.memory`.
 */
export function createTeamLead(team: KernelTeam): TeamLead | null {
  if (team.threads < 2) return null;
  return { ...member(team.memory, team.control, team.threads), team, sharedKey: null, calls: 0 };
}

/** Helpers let go of V, so a team kept between fits does not keep a dataset alive. */
export function releaseTeamLead(lead: TeamLead): void {
  if (lead.sharedKey === null) return;
  lead.team.share([]);
  run(lead, Op.Data);
  lead.sharedKey = null;
  lead.V = null;
  lead.csr = null;
}

/**
 * Whether a team would split the calls of a fit of rank k on this V: on SharedArrayBuffers (every
 * array of CSR V) and large enough (m·n·k for dense V, nnz·k for CSR). Lets a host skip starting
 * threads that would stay idle.
 */
export function kernelTeamWorthwhile(
  V:
    | { kind: 'dense'; rows: number; cols: number; data: Float64Array }
    | {
        kind: 'csr';
        rows: number;
        cols: number;
        indptr: Int32Array;
        indices: Int32Array;
        data: Float64Array;
      },
  k: number,
): boolean {
  if (V.kind === 'dense') return allShared([V.data]) && V.rows * V.cols * k >= MIN_DENSE_WORK;
  return allShared([V.indptr, V.indices, V.data]) && V.indptr[V.rows] * k >= MIN_CSR_WORK;
}

function allShared(arrays: readonly TeamArray[]): boolean {
  return (
    typeof SharedArrayBuffer !== 'undefined' && arrays.every((a) => a.buffer instanceof SharedArrayBuffer)
  );
}

/** Whether `arrays` are the very views the helpers hold now. */
function held(lead: TeamLead, arrays: readonly TeamArray[]): boolean {
  const key = lead.sharedKey;
  return (
    key !== null &&
    key.length === arrays.length &&
    key.every(
      (a, q) =>
        a.buffer === arrays[q].buffer &&
        a.byteOffset === arrays[q].byteOffset &&
        a.length === arrays[q].length,
    )
  );
}

/** The team for a dense-V call of m·n·k work, with V handed to the helpers; null: one thread. */
function teamFor(t: TeamLead, V: Float64Array, m: number, n: number, k: number): TeamLead | null {
  if (m * n * k < (t.team.minDenseWork ?? MIN_DENSE_WORK)) return null;
  if (!allShared([V])) return null;
  if (!held(t, [V])) {
    t.team.share([V]);
    run(t, Op.Data);
    t.sharedKey = [V];
  }
  t.V = V;
  t.csr = null;
  return t;
}

/**
 * The team for a CSR call of nnz·k work, with V and its split plan handed to the helpers (the plan
 * is made once per V: a pass over the column indices); null: one thread.
 */
function teamForCsr(
  t: TeamLead,
  indptr: Int32Array,
  indices: Int32Array,
  data: Float64Array,
  m: number,
  n: number,
  k: number,
): TeamLead | null {
  const nnz = indptr[m] - indptr[0];
  if (nnz === 0 || nnz * k < (t.team.minCsrWork ?? MIN_CSR_WORK)) return null;
  if (!allShared([indptr, indices, data])) return null;
  if (!held(t, [indptr, indices, data]) || t.csr === null) {
    const plan = csrPlan(indptr, indices, m, n, t.threads);
    t.team.share([indptr, indices, data, plan]);
    run(t, Op.Data);
    t.sharedKey = [indptr, indices, data];
    t.csr = { indptr, indices, data, plan };
  }
  t.V = null;
  return t;
}

/** First q in [lo, hi) with a[q] ≥ value (hi if none); `a` ascending on [lo, hi). */
function lowerBound(a: Int32Array, lo: number, hi: number, value: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The split of CSR V (m × n) across `threads` (see `Csr.plan`), on a SharedArrayBuffer. */
function csrPlan(indptr: Int32Array, indices: Int32Array, m: number, n: number, threads: number): Int32Array {
  const T = threads;
  const plan = new Int32Array(new SharedArrayBuffer((2 * (T + 1) + (T - 1) * m) * 4));
  const first = indptr[0];
  const nnz = indptr[m] - first;
  // Rows: part p starts at the first row whose entries start at or after p/T of them.
  for (let p = 1; p < T; p++) plan[p] = lowerBound(indptr, 0, m, first + Math.round((p * nnz) / T));
  plan[T] = m;
  // Columns: likewise over the stored entries per column.
  const counts = new Int32Array(n + 1);
  for (let q = first; q < first + nnz; q++) counts[indices[q] + 1]++;
  for (let j = 0; j < n; j++) counts[j + 1] += counts[j];
  const cols = T + 1;
  for (let p = 1; p < T; p++) plan[cols + p] = lowerBound(counts, 0, n, Math.round((p * nnz) / T));
  plan[cols + T] = n;
  // Each row's first entry at or after each inner column cut (indices are sorted within a row).
  for (let p = 1; p < T; p++) {
    const c = plan[cols + p];
    const at = 2 * cols + (p - 1) * m;
    for (let i = 0; i < m; i++) plan[at + i] = lowerBound(indices, indptr[i], indptr[i + 1], c);
  }
  return plan;
}

/** Runs `op` (parameters already written) on every thread, part 0 here; waits for the helpers. */
function run(t: TeamLead, op: OpCode): void {
  const { ctl } = t;
  Atomics.store(ctl, OP, op);
  Atomics.store(ctl, DONE, 0);
  Atomics.store(ctl, FAILED, 0);
  Atomics.add(ctl, SEQ, 1);
  Atomics.notify(ctl, SEQ);
  // The helpers are waited for even if this part throws, so no call overlaps the next one.
  let failure: unknown = null;
  if (op !== Op.Data) {
    t.calls++;
    try {
      runPart(t, op, 0);
    } catch (error) {
      failure = error;
    }
  }
  const helpers = t.threads - 1;
  for (;;) {
    const done = Atomics.load(ctl, DONE);
    if (done >= helpers) break;
    Atomics.wait(ctl, DONE, done);
  }
  if (failure !== null) throw failure;
  if (Atomics.load(ctl, FAILED) !== 0) throw new Error('a kernel team thread failed');
}

/** Lays out `sizes` (doubles) from the heap base, 16-byte aligned, growing the memory if needed. */
function layout(t: Member, sizes: number[]): number[] {
  let at = t.x.heapBase();
  const out: number[] = [];
  for (const size of sizes) {
    out.push(at);
    at += Math.ceil(size / 2) * 16;
  }
  const have = t.memory.buffer.byteLength;
  if (at > have) t.memory.grow(Math.ceil((at - have) / PAGE));
  refresh(t);
  return out;
}

function setParams(t: Member, values: number[]): void {
  for (let q = 0; q < values.length; q++) t.par[q] = values[q];
}

// Parameter slots.
const P_M = 0;
const P_N = 1;
const P_K = 2;
const P_A = 3;
const P_B = 4;
const P_C = 5;
const P_D = 6;
const P_E = 7;
const P_SCRATCH = 8;

/** [start, end) of part p of `len` items split into `parts` contiguous ranges. */
function range(len: number, parts: number, p: number): [number, number] {
  return [Math.floor((p * len) / parts), Math.floor(((p + 1) * len) / parts)];
}

/** Rows per streamed block of width `width`, at most `cap`. */
function blockRows(width: number, cap: number): number {
  return Math.max(1, Math.min(cap, Math.floor(BLOCK_DOUBLES / Math.max(width, 1))));
}

/** Doubles, rounded up to 16 bytes. */
function even(doubles: number): number {
  return Math.ceil(doubles / 2) * 2;
}

/** Per-thread scratch (doubles) of `op` for V (m × n), rank k, `threads` parts. */
function scratchDoubles(op: OpCode, m: number, n: number, k: number, threads: number): number {
  const rowsMax = Math.ceil(m / threads);
  const colsMax = Math.ceil(n / threads);
  switch (op) {
    case Op.KlW:
      return even(2 * n) + even(blockRows(n, rowsMax) * n);
    case Op.Times:
      return even(blockRows(n, rowsMax) * n);
    case Op.KlH:
      return even(k * colsMax) + even(4 * colsMax) + even(blockRows(n, m) * n);
    case Op.TransposeTimes:
      return even(blockRows(n, m) * n);
    default:
      return 0;
  }
}

/**
 * One dense-V call split across the team. `W` (m × k) and `Ht` (n × k) are the factors the
 * operation reads (null: not used; `Times` reads its F, n × k, as Ht), `out` has `outRows` × k
 * entries. Parameter slots: A = W, B = Hᵀ, C = H (KlW only), D = out, scratch. False: not split.
 */
function splitDense(
  lead: TeamLead,
  op: OpCode,
  V: Float64Array,
  m: number,
  n: number,
  k: number,
  W: Float64Array | null,
  Ht: Float64Array | null,
  out: Float64Array,
  outRows: number,
): boolean {
  const t = teamFor(lead, V, m, n, k);
  if (t === null) return false;
  const scratch = scratchDoubles(op, m, n, k, t.threads);
  const [w, ht, h, o, s] = layout(t, [
    W === null ? 0 : m * k,
    Ht === null ? 0 : n * k,
    op === Op.KlW ? n * k : 0,
    outRows * k,
    scratch * t.threads,
  ]);
  if (W !== null) t.f64.set(W.subarray(0, m * k), w >> 3);
  if (Ht !== null) t.f64.set(Ht.subarray(0, n * k), ht >> 3);
  if (op === Op.KlW) t.x.transpose(ht, n, k, h);
  setParams(t, [m, n, k, w, ht, h, o, 0, s]);
  run(t, op);
  out.set(t.f64.subarray(o >> 3, (o >> 3) + outRows * k));
  return true;
}

/** numW (m × k) = (V ⊘ WH) · Hᵀ, rows of V split across the team; false: not split. */
export function teamKlNumW(
  lead: TeamLead,
  V: Float64Array,
  m: number,
  n: number,
  k: number,
  W: Float64Array,
  Ht: Float64Array,
  numW: Float64Array,
): boolean {
  return splitDense(lead, Op.KlW, V, m, n, k, W, Ht, numW, m);
}

/** numHt (n × k) = (Wᵀ (V ⊘ WH))ᵀ, columns of V split across the team; false: not split. */
export function teamKlNumH(
  lead: TeamLead,
  V: Float64Array,
  m: number,
  n: number,
  k: number,
  W: Float64Array,
  Ht: Float64Array,
  numHt: Float64Array,
): boolean {
  return splitDense(lead, Op.KlH, V, m, n, k, W, Ht, numHt, n);
}

/** out (m × k) = V · F, rows of V split; false: not split. */
export function teamTimes(
  lead: TeamLead,
  V: Float64Array,
  m: number,
  n: number,
  F: Float64Array,
  k: number,
  out: Float64Array,
): boolean {
  return splitDense(lead, Op.Times, V, m, n, k, null, F, out, m);
}

/** out (n × k) = Vᵀ · W, columns of V split; false: not split. */
export function teamTransposeTimes(
  lead: TeamLead,
  V: Float64Array,
  m: number,
  n: number,
  W: Float64Array,
  k: number,
  out: Float64Array,
): boolean {
  return splitDense(lead, Op.TransposeTimes, V, m, n, k, W, null, out, n);
}

/**
 * KL numerator for CSR V, split across the team: side 0 numW (m × k), rows of V split by stored
 * entries; side 1 numHt (n × k), columns of V split by stored entries. False: not split.
 */
export function teamKlCsr(
  lead: TeamLead,
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
): boolean {
  const t = teamForCsr(lead, indptr, indices, data, m, n, k);
  if (t === null) return false;
  let longest = 0;
  for (let i = 0; i < m; i++) longest = Math.max(longest, indptr[i + 1] - indptr[i]);
  const cap = Math.max(BLOCK_DOUBLES, longest);
  const outSize = side === 0 ? m * k : n * k;
  const scratch = csrScratchDoubles(m, n, cap);
  const [w, ht, h, o, s] = layout(t, [m * k, n * k, n * k, outSize, scratch * t.threads]);
  t.f64.set(W.subarray(0, m * k), w >> 3);
  t.f64.set(Ht.subarray(0, n * k), ht >> 3);
  t.x.transpose(ht, n, k, h);
  setParams(t, [m, n, k, w, ht, h, o, cap, s]);
  run(t, side === 0 ? Op.KlCsrW : Op.KlCsrH);
  out.set(t.f64.subarray(o >> 3, (o >> 3) + outSize));
  return true;
}

/**
 * Per-thread scratch (doubles) of a CSR call: a row of WH (n), the ratios (cap), then a block of at
 * most `cap` stored entries (data, indices) over at most BLOCK_DOUBLES rows (indptr, full counts).
 */
function csrScratchDoubles(m: number, n: number, cap: number): number {
  const maxRows = Math.min(m, BLOCK_DOUBLES);
  return (
    even(n) +
    2 * even(cap) +
    even(Math.ceil(cap / 2)) +
    even(Math.ceil((maxRows + 1) / 2)) +
    even(Math.ceil(maxRows / 2))
  );
}

/**
 * One coordinate-descent sweep over F (rows × k) in place, rows split across the team; returns the
 * violation summed over rows in row order (as on one thread), or null when not split.
 */
export function teamCdSweep(
  t: TeamLead,
  F: Float64Array,
  rows: number,
  k: number,
  G: Float64Array,
  B: Float64Array,
  order: Int32Array,
): number | null {
  if (rows * k * k < (t.team.minSweepWork ?? MIN_SWEEP_WORK)) return null;
  const [f, g, b, ord, rv] = layout(t, [rows * k, k * k, rows * k, Math.ceil(k / 2), rows]);
  t.f64.set(F.subarray(0, rows * k), f >> 3);
  t.f64.set(G.subarray(0, k * k), g >> 3);
  t.f64.set(B.subarray(0, rows * k), b >> 3);
  t.i32.set(order.subarray(0, k), ord >> 2);
  setParams(t, [rows, 0, k, f, g, b, ord, rv, 0]);
  run(t, Op.Cd);
  F.set(t.f64.subarray(f >> 3, (f >> 3) + rows * k));
  let violation = 0;
  for (let q = rv >> 3, end = (rv >> 3) + rows; q < end; q++) violation += t.f64[q];
  return violation;
}

// ---------------------------------------------------------------------------------------------
// Every thread: part p of an operation

/** Copies rows [i0, i0 + rows) of V (m × n) to byte `at` of the shared memory. */
function copyRows(t: Member, V: Float64Array, n: number, i0: number, rows: number, at: number): void {
  t.f64.set(V.subarray(i0 * n, (i0 + rows) * n), at >> 3);
}

function runPart(t: Member, op: OpCode, p: number): void {
  refresh(t);
  if (op === Op.KlCsrW || op === Op.KlCsrH) {
    csrPart(t, op, p);
    return;
  }
  const { par, x } = t;
  const m = par[P_M];
  const n = par[P_N];
  const k = par[P_K];
  const T = t.threads;
  const kb = k * 8;
  const scratch = par[P_SCRATCH] + p * scratchDoubles(op, m, n, k, T) * 8;
  if (op === Op.Cd) {
    const [r0, r1] = range(m, T, p);
    if (r1 > r0)
      x.cdSweep(par[P_A] + r0 * kb, r1 - r0, k, par[P_B], par[P_C] + r0 * kb, par[P_D], par[P_E] + r0 * 8);
    return;
  }
  const V = t.V as Float64Array;
  if (op === Op.KlW || op === Op.Times) {
    const [i0, i1] = range(m, T, p);
    const rowsPer = blockRows(n, Math.ceil(m / T));
    const r = scratch;
    const v = op === Op.KlW ? scratch + even(2 * n) * 8 : scratch;
    for (let i = i0; i < i1; i += rowsPer) {
      const rows = Math.min(rowsPer, i1 - i);
      copyRows(t, V, n, i, rows, v);
      if (op === Op.KlW) x.klNumW(v, rows, n, k, par[P_A] + i * kb, par[P_C], par[P_B], par[P_D] + i * kb, r);
      else x.times(v, rows, n, par[P_B], k, par[P_D] + i * kb);
    }
    return;
  }
  // H side: this thread owns output rows (columns of V) [j0, j1), summed over every row of V. Each
  // thread streams whole rows (one sequential copy per block, which is faster than gathering its
  // columns row by row) and the kernels read its columns with the row stride n.
  const [j0, j1] = range(n, T, p);
  const width = j1 - j0;
  if (width === 0) return;
  const colsMax = Math.ceil(n / T);
  const rowsPer = blockRows(n, m);
  const out = par[P_D] + j0 * kb;
  t.f64.fill(0, out >> 3, (out >> 3) + width * k);
  let v = scratch;
  let h = 0;
  let r = 0;
  if (op === Op.KlH) {
    // This part's columns of H (k × width), from its rows of Hᵀ.
    h = scratch;
    r = h + even(k * colsMax) * 8;
    v = r + even(4 * colsMax) * 8;
    x.transpose(par[P_B] + j0 * kb, width, k, h);
  }
  for (let i = 0; i < m; i += rowsPer) {
    const rows = Math.min(rowsPer, m - i);
    copyRows(t, V, n, i, rows, v);
    const vj = v + j0 * 8;
    if (op === Op.KlH) x.klNumH(vj, rows, width, k, par[P_A] + i * kb, h, out, r, n);
    else x.transposeTimes(vj, rows, width, par[P_A] + i * kb, k, out, n);
  }
}

/**
 * Part p of a CSR KL numerator. W side: this thread's rows, streamed in blocks of whole rows as on
 * one thread. H side: every row, but only its stored entries in this thread's column window
 * (located by the plan), gathered into a block with its own indptr; `klCsr` gets the rows' full
 * stored counts so that it takes the same per-row path (and bits) as on whole rows, and it adds
 * into this window's rows of numHt only, over i ascending as on one thread.
 */
function csrPart(t: Member, op: OpCode, p: number): void {
  const { par, x } = t;
  const { indptr, indices, data, plan } = t.csr as Csr;
  const m = par[P_M];
  const n = par[P_N];
  const k = par[P_K];
  const cap = par[P_E];
  const T = t.threads;
  const kb = k * 8;
  const maxRows = Math.min(m, BLOCK_DOUBLES);
  const r = par[P_SCRATCH] + p * csrScratchDoubles(m, n, cap) * 8;
  const q = r + even(n) * 8;
  const dv = q + even(cap) * 8;
  const ix = dv + even(cap) * 8;
  const ip = ix + even(Math.ceil(cap / 2)) * 8;
  const cnt = ip + even(Math.ceil((maxRows + 1) / 2)) * 8;
  const { f64, i32 } = t;
  if (op === Op.KlCsrW) {
    const i0 = plan[p];
    const i1 = plan[p + 1];
    f64.fill(0, (par[P_D] >> 3) + i0 * k, (par[P_D] >> 3) + i1 * k);
    for (let i = i0; i < i1;) {
      const base = indptr[i];
      let e = i + 1;
      while (e < i1 && e - i < maxRows && indptr[e + 1] - base <= cap) e++;
      const end = indptr[e];
      i32.set(indptr.subarray(i, e + 1), ip >> 2);
      i32.set(indices.subarray(base, end), ix >> 2);
      f64.set(data.subarray(base, end), dv >> 3);
      x.klCsr(
        ip,
        ix,
        dv,
        base,
        e - i,
        n,
        k,
        par[P_A] + i * kb,
        par[P_C],
        par[P_B],
        r,
        q,
        par[P_D] + i * kb,
        0,
        0,
      );
      i = e;
    }
    return;
  }
  const cols = T + 1;
  const j0 = plan[cols + p];
  const j1 = plan[cols + p + 1];
  if (j1 === j0) return;
  f64.fill(0, (par[P_D] >> 3) + j0 * k, (par[P_D] >> 3) + j1 * k);
  // Where this window's entries of row i start and end: the row's ends at the outer cuts.
  const loAt = p === 0 ? -1 : 2 * cols + (p - 1) * m;
  const hiAt = p === T - 1 ? -1 : 2 * cols + p * m;
  const ipw = ip >> 2;
  const ixw = ix >> 2;
  const dvw = dv >> 3;
  const cw = cnt >> 2;
  for (let i = 0; i < m;) {
    const i0 = i;
    let rows = 0;
    let filled = 0;
    i32[ipw] = 0;
    while (i < m && rows < maxRows) {
      const lo = loAt < 0 ? indptr[i] : plan[loAt + i];
      const hi = hiAt < 0 ? indptr[i + 1] : plan[hiAt + i];
      const len = hi - lo;
      if (rows > 0 && filled + len > cap) break;
      if (len > 32) {
        i32.set(indices.subarray(lo, hi), ixw + filled);
        f64.set(data.subarray(lo, hi), dvw + filled);
      } else {
        for (let e = 0; e < len; e++) {
          i32[ixw + filled + e] = indices[lo + e];
          f64[dvw + filled + e] = data[lo + e];
        }
      }
      filled += len;
      i32[cw + rows] = indptr[i + 1] - indptr[i];
      rows++;
      i32[ipw + rows] = filled;
      i++;
    }
    x.klCsr(ip, ix, dv, 0, rows, n, k, par[P_A] + i0 * kb, par[P_C], par[P_B], r, q, par[P_D], 1, cnt);
  }
}

// ---------------------------------------------------------------------------------------------
// A helper thread's side

/**
 * Serves kernel calls of the team (as helper `index`, 1 ≤ index < threads) until it is stopped;
 * blocks the calling thread throughout. `receive` returns the arrays last sent with
 * `KernelTeam.share` (dense V; CSR V's indptr, indices, data and plan; or none) (synchronously: the host reads them off a message port).
 */
export function serveKernelTeam(
  memory: WebAssembly.Memory,
  control: SharedArrayBuffer,
  threads: number,
  index: number,
  receive: () => TeamArray[],
): void {
  const t = member(memory, control, threads);
  const { ctl } = t;
  // A team starts at sequence 0, and its helpers are started before any command.
  let seen = 0;
  for (;;) {
    Atomics.wait(ctl, SEQ, seen);
    const seq = Atomics.load(ctl, SEQ);
    if (seq === seen) continue;
    seen = seq;
    const op = Atomics.load(ctl, OP) as OpCode;
    if (op === Op.Stop) break;
    try {
      if (op === Op.Data) {
        const arrays = receive();
        t.V = arrays.length === 1 ? (arrays[0] as Float64Array) : null;
        t.csr =
          arrays.length === 4
            ? {
                indptr: arrays[0] as Int32Array,
                indices: arrays[1] as Int32Array,
                data: arrays[2] as Float64Array,
                plan: arrays[3] as Int32Array,
              }
            : null;
      } else runPart(t, op, index);
    } catch {
      Atomics.store(ctl, FAILED, 1);
    }
    Atomics.add(ctl, DONE, 1);
    Atomics.notify(ctl, DONE);
  }
  Atomics.add(ctl, DONE, 1);
  Atomics.notify(ctl, DONE);
}

/** Tells the helpers serving `control` to return from `serveKernelTeam`; does not wait for them. */
export function stopKernelTeam(control: SharedArrayBuffer): void {
  const ctl = new Int32Array(control, 0, PARAM_BYTE / 4);
  Atomics.store(ctl, OP, Op.Stop);
  Atomics.store(ctl, DONE, 0);
  Atomics.add(ctl, SEQ, 1);
  Atomics.notify(ctl, SEQ);
}
