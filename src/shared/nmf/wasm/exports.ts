/**
 * The kernels module's exports (assembly/kernels.ts), as the hosts call them: byte addresses and
 * sizes in, results in linear memory. One declaration for the one-thread host (./index.ts) and the
 * kernel team (./team.ts), whose shared-memory build imports its memory instead of exporting it.
 */
export interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  transpose(src: number, rows: number, cols: number, dst: number): void;
  klNumW(
    v: number,
    rows: number,
    n: number,
    k: number,
    w: number,
    h: number,
    ht: number,
    out: number,
    r: number,
  ): void;
  klNumH(
    v: number,
    rows: number,
    n: number,
    k: number,
    w: number,
    h: number,
    out: number,
    r: number,
    vRow: number,
  ): void;
  times(v: number, rows: number, n: number, f: number, k: number, out: number): void;
  transposeTimes(v: number, rows: number, n: number, w: number, k: number, out: number, vRow: number): void;
  klCsr(
    indptr: number,
    indices: number,
    data: number,
    base: number,
    rows: number,
    n: number,
    k: number,
    w: number,
    h: number,
    ht: number,
    r: number,
    q: number,
    out: number,
    side: number,
    counts: number,
  ): void;
  gram(a: number, rows: number, k: number, out: number): void;
  cdSweep(f: number, rows: number, k: number, g: number, b: number, order: number, rv: number): number;
  maskedSweep(
    f: number,
    rows: number,
    o: number,
    others: number,
    k: number,
    g: number,
    b: number,
    l2: number,
    ptr: number,
    idx: number,
    base: number,
    order: number,
    gRow: number,
    carried: number,
  ): number;
  maskedSums(
    out: number,
    rows: number,
    f: number,
    k: number,
    total: number,
    ptr: number,
    idx: number,
    base: number,
  ): void;
  timesCsr(
    indptr: number,
    indices: number,
    data: number,
    base: number,
    rows: number,
    k: number,
    f: number,
    out: number,
    side: number,
  ): void;
  whRows(w: number, rows: number, n: number, k: number, h: number, out: number): void;
}
