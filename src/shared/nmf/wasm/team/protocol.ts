import { kernelsSharedWasmBase64 } from '../build/kernels';
import type { KernelExports } from '../exports';
import { Heap } from '../memory';

/**
 * The protocol of a kernel team (see ./index.ts): a control block shared by every thread, the
 * operations, their parameters by name, and one thread's view of the team.
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
export const SEQ = 0;
export const DONE = 1;
export const OP = 2;
export const FAILED = 3;
/** Float64 parameters start at this byte. */
export const PARAM_BYTE = 64;

export const Op = {
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
export type OpCode = (typeof Op)[keyof typeof Op];

/** The team's instances import the shared memory rather than export one. */
export type Exports = Omit<KernelExports, 'memory'>;

/**
 * CSR V as a thread sees it, with the split every thread reads: `plan` holds the row cuts
 * (threads + 1, balanced by stored entries), the column cuts (threads + 1, balanced by stored
 * entries per column) and, for each inner column cut c and row i, the first stored entry of row i
 * with a column ≥ c (threads − 1 blocks of m).
 */
export interface Csr {
  indptr: Int32Array;
  indices: Int32Array;
  data: Float64Array;
  plan: Int32Array;
}

/** One thread's view of the team: its instance over the shared memory and the control block. */
export interface Member {
  x: Exports;
  heap: Heap;
  ctl: Int32Array;
  par: Float64Array;
  threads: number;
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

/** This thread's view of the team over `memory` and `control`. */
export function member(memory: WebAssembly.Memory, control: SharedArrayBuffer, threads: number): Member {
  const x = instantiate(memory);
  return {
    x,
    heap: new Heap(memory, x.heapBase()),
    ctl: new Int32Array(control, 0, PARAM_BYTE / 4),
    par: new Float64Array(control, PARAM_BYTE, (TEAM_CONTROL_BYTES - PARAM_BYTE) / 8),
    threads,
    V: null,
    csr: null,
  };
}

// ---------------------------------------------------------------------------------------------
// The parameters of each operation, by name. The fit thread writes them into the control block's
// float64 slots in the order listed; every thread reads them back by the same list, so a slot means
// one thing per operation. Addresses are byte addresses in the shared memory.

/**
 * The products with dense V (KlW, KlH, Times, TransposeTimes): V is m × n, rank k; `w` (m × k),
 * `ht` (n × k; `Times` reads its F there), `h` (k × n, KlW only), `out` (rows × k), `scratch`
 * (each thread's scratch, `scratchDoubles` apart).
 */
export const DENSE_PARAMS = ['m', 'n', 'k', 'w', 'ht', 'h', 'out', 'scratch'] as const;
/**
 * A coordinate-descent sweep over `rows` rows of F (rows × k, in place) with `g` (k × k), `b`
 * (rows × k), `order` (k int32) and `violations` (rows: each row's Σ|pg|, summed by the fit thread).
 */
export const SWEEP_PARAMS = ['rows', 'k', 'f', 'g', 'b', 'order', 'violations'] as const;
/**
 * The KL numerators with CSR V (KlCsrW, KlCsrH): as DENSE_PARAMS, with `cap` the most stored
 * entries of a streamed block (the longest row, at least BLOCK_DOUBLES).
 */
export const CSR_PARAMS = ['m', 'n', 'k', 'w', 'ht', 'h', 'out', 'cap', 'scratch'] as const;

type Params<Names extends readonly string[]> = Record<Names[number], number>;
export type DenseParams = Params<typeof DENSE_PARAMS>;
export type SweepParams = Params<typeof SWEEP_PARAMS>;
export type CsrParams = Params<typeof CSR_PARAMS>;

/** Writes an operation's parameters into the control block, in `names` order. */
export function writeParams<Names extends readonly string[]>(
  t: Member,
  names: Names,
  values: Params<Names>,
): void {
  names.forEach((name: Names[number], q) => (t.par[q] = values[name]));
}

/** Reads an operation's parameters back from the control block, by `names`. */
export function readParams<Names extends readonly string[]>(t: Member, names: Names): Params<Names> {
  const values = {} as Params<Names>;
  names.forEach((name: Names[number], q) => (values[name] = t.par[q]));
  return values;
}
