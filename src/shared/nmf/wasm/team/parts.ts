import { BLOCK_DOUBLES, blockRows, evenDoubles as even, forEachRowBlockIn, partRange } from '../memory';
import { csrScratchDoubles, scratchDoubles } from './plan';
import {
  CSR_PARAMS,
  DENSE_PARAMS,
  Op,
  SWEEP_PARAMS,
  readParams,
  type Csr,
  type Member,
  type OpCode,
} from './protocol';

/**
 * Part p of an operation, run by every thread of the team (p = 0 on the fit thread). Work is split
 * by outputs, never inside a sum (../../kernels/contract.ts, rule 4): the W side splits the rows
 * of V, the H side its columns, and each part adds its outputs' terms in the one-thread order.
 */
export function runPart(t: Member, op: OpCode, p: number): void {
  t.heap.refresh();
  if (op === Op.KlCsrW || op === Op.KlCsrH) csrPart(t, op, p);
  else if (op === Op.Cd) sweepPart(t, p);
  else densePart(t, op, p);
}

/** Part p of a coordinate-descent sweep: its rows, each row's violation into `violations`. */
function sweepPart(t: Member, p: number): void {
  const { rows, k, f, g, b, order, violations } = readParams(t, SWEEP_PARAMS);
  const [r0, r1] = partRange(rows, t.threads, p);
  const kb = k * 8;
  if (r1 > r0) t.x.cdSweep(f + r0 * kb, r1 - r0, k, g, b + r0 * kb, order, violations + r0 * 8);
}

/** Copies rows [i0, i0 + rows) of V (m × n) to byte `at` of the shared memory. */
function copyRows(t: Member, V: Float64Array, n: number, i0: number, rows: number, at: number): void {
  t.heap.f64.set(V.subarray(i0 * n, (i0 + rows) * n), at >> 3);
}

/** Part p of a product with dense V (KlW, Times: rows of V; KlH, TransposeTimes: its columns). */
function densePart(t: Member, op: OpCode, p: number): void {
  const { x } = t;
  const { m, n, k, w, ht, h, out, scratch: scratchBase } = readParams(t, DENSE_PARAMS);
  const T = t.threads;
  const kb = k * 8;
  const scratch = scratchBase + p * scratchDoubles(op, m, n, k, T) * 8;
  const V = t.V as Float64Array;
  if (op === Op.KlW || op === Op.Times) {
    const [i0, i1] = partRange(m, T, p);
    const rowsPer = blockRows(n, Math.ceil(m / T));
    const whRow = scratch;
    const block = op === Op.KlW ? scratch + even(2 * n) * 8 : scratch;
    for (let i = i0; i < i1; i += rowsPer) {
      const rows = Math.min(rowsPer, i1 - i);
      copyRows(t, V, n, i, rows, block);
      if (op === Op.KlW) x.klNumW(block, rows, n, k, w + i * kb, h, ht, out + i * kb, whRow);
      else x.times(block, rows, n, ht, k, out + i * kb);
    }
    return;
  }
  // H side: this thread owns output rows (columns of V) [j0, j1), summed over every row of V. Each
  // thread streams whole rows (one sequential copy per block, which is faster than gathering its
  // columns row by row) and the kernels read its columns with the row stride n.
  const [j0, j1] = partRange(n, T, p);
  const width = j1 - j0;
  if (width === 0) return;
  const colsMax = Math.ceil(n / T);
  const rowsPer = blockRows(n, m);
  const partOut = out + j0 * kb;
  t.heap.zero(partOut, width * k);
  let block = scratch;
  let partH = 0;
  let ratios = 0;
  if (op === Op.KlH) {
    // This part's columns of H (k × width), from its rows of Hᵀ.
    partH = scratch;
    ratios = partH + even(k * colsMax) * 8;
    block = ratios + even(4 * colsMax) * 8;
    x.transpose(ht + j0 * kb, width, k, partH);
  }
  for (let i = 0; i < m; i += rowsPer) {
    const rows = Math.min(rowsPer, m - i);
    copyRows(t, V, n, i, rows, block);
    const columns = block + j0 * 8;
    if (op === Op.KlH) x.klNumH(columns, rows, width, k, w + i * kb, partH, partOut, ratios, n);
    else x.transposeTimes(columns, rows, width, w + i * kb, k, partOut, n);
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
  const { x } = t;
  const { indptr, indices, data, plan } = t.csr as Csr;
  const { m, n, k, w, ht, h, out, cap, scratch } = readParams(t, CSR_PARAMS);
  const T = t.threads;
  const kb = k * 8;
  const maxRows = Math.min(m, BLOCK_DOUBLES);
  // This thread's scratch: a row of WH, the ratios, then the block (data, indices, indptr, counts).
  const whRow = scratch + p * csrScratchDoubles(m, n, cap) * 8;
  const ratios = whRow + even(n) * 8;
  const dv = ratios + even(cap) * 8;
  const ix = dv + even(cap) * 8;
  const ip = ix + even(Math.ceil(cap / 2)) * 8;
  const cnt = ip + even(Math.ceil((maxRows + 1) / 2)) * 8;
  const { f64, i32 } = t.heap;
  if (op === Op.KlCsrW) {
    const i0 = plan[p];
    const i1 = plan[p + 1];
    t.heap.zero(out + i0 * kb, (i1 - i0) * k);
    forEachRowBlockIn(indptr, i0, i1, maxRows, cap, (i, e) => {
      const base = indptr[i];
      const end = indptr[e];
      i32.set(indptr.subarray(i, e + 1), ip >> 2);
      i32.set(indices.subarray(base, end), ix >> 2);
      f64.set(data.subarray(base, end), dv >> 3);
      x.klCsr(ip, ix, dv, base, e - i, n, k, w + i * kb, h, ht, whRow, ratios, out + i * kb, 0, 0);
    });
    return;
  }
  const cols = T + 1;
  const j0 = plan[cols + p];
  const j1 = plan[cols + p + 1];
  if (j1 === j0) return;
  t.heap.zero(out + j0 * kb, (j1 - j0) * k);
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
    x.klCsr(ip, ix, dv, 0, rows, n, k, w + i0 * kb, h, ht, whRow, ratios, out, 1, cnt);
  }
}
