import { longestRow } from '../memory';
import { runPart } from './parts';
import {
  allShared,
  csrPlan,
  csrScratchDoubles,
  MIN_CSR_WORK,
  MIN_DENSE_WORK,
  MIN_SWEEP_WORK,
  scratchDoubles,
} from './plan';
import {
  CSR_PARAMS,
  DENSE_PARAMS,
  DONE,
  FAILED,
  member,
  Op,
  OP,
  SEQ,
  SWEEP_PARAMS,
  writeParams,
  type KernelTeam,
  type Member,
  type OpCode,
  type TeamArray,
} from './protocol';

/**
 * The fit thread's side of a kernel team: hands V to the helpers, lays out one call's buffers in
 * the shared memory, writes its parameters, runs part 0 itself and waits for the helpers.
 */

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

/**
 * One dense-V call split across the team. `W` (m × k) and `Ht` (n × k) are the factors the
 * operation reads (null: not used; `Times` reads its F, n × k, as Ht), `out` has `outRows` × k
 * entries (parameters: DENSE_PARAMS). False: not split.
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
  const [w, ht, h, o, s] = t.heap.layout([
    W === null ? 0 : m * k,
    Ht === null ? 0 : n * k,
    op === Op.KlW ? n * k : 0,
    outRows * k,
    scratch * t.threads,
  ]);
  if (W !== null) t.heap.f64.set(W.subarray(0, m * k), w >> 3);
  if (Ht !== null) t.heap.f64.set(Ht.subarray(0, n * k), ht >> 3);
  if (op === Op.KlW) t.x.transpose(ht, n, k, h);
  writeParams(t, DENSE_PARAMS, { m, n, k, w, ht, h, out: o, scratch: s });
  run(t, op);
  out.set(t.heap.f64.subarray(o >> 3, (o >> 3) + outRows * k));
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
  const cap = longestRow(indptr, m);
  const outSize = side === 0 ? m * k : n * k;
  const scratch = csrScratchDoubles(m, n, cap);
  const [w, ht, h, o, s] = t.heap.layout([m * k, n * k, n * k, outSize, scratch * t.threads]);
  t.heap.f64.set(W.subarray(0, m * k), w >> 3);
  t.heap.f64.set(Ht.subarray(0, n * k), ht >> 3);
  t.x.transpose(ht, n, k, h);
  writeParams(t, CSR_PARAMS, { m, n, k, w, ht, h, out: o, cap, scratch: s });
  run(t, side === 0 ? Op.KlCsrW : Op.KlCsrH);
  out.set(t.heap.f64.subarray(o >> 3, (o >> 3) + outSize));
  return true;
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
  const [f, g, b, ord, rv] = t.heap.layout([rows * k, k * k, rows * k, Math.ceil(k / 2), rows]);
  t.heap.f64.set(F.subarray(0, rows * k), f >> 3);
  t.heap.f64.set(G.subarray(0, k * k), g >> 3);
  t.heap.f64.set(B.subarray(0, rows * k), b >> 3);
  t.heap.i32.set(order.subarray(0, k), ord >> 2);
  writeParams(t, SWEEP_PARAMS, { rows, k, f, g, b, order: ord, violations: rv });
  run(t, Op.Cd);
  F.set(t.heap.f64.subarray(f >> 3, (f >> 3) + rows * k));
  let violation = 0;
  for (let q = rv >> 3, end = (rv >> 3) + rows; q < end; q++) violation += t.heap.f64[q];
  return violation;
}
