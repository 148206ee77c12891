import { describe, expect, it } from 'vitest';
import { Rng } from '../../../shared/linalg/random';
import { columnSums, selectKernels } from '../../../shared/nmf/kernels';
import { installNativeKernels } from '..';
import { nativeUnavailable, sameBits } from './helpers';

/**
 * The native missing-value kernels (native/src/masked.inl, masked_lanes.inl) on a cross-validation
 * fold's pattern: each row missing about a third of its partners at random, so the four rows of a
 * block have lists of nearly equal length. A block runs the steps every lane has a partner for
 * without the per-lane end test (`commonSteps`), then the rest with it; and where the call reads
 * every partner's row many times the tables (`sweepTableBlockK`) and the padded copy of F
 * (`sumsWideBlockK`) are used up to 512 KiB (`tablePaysOff`): the H side of a fold of a tall
 * matrix. Cases: rows missing nothing, everything, only their first or last partner, blocks of
 * four equal lengths, one row of a block with an empty list (no common step), a tail after the
 * blocks; every compile-time rank (1–8) and run-time ones; one and three threads — each against
 * the scalar reference with Object.is.
 */
const installed = installNativeKernels();
const unavailable = nativeUnavailable(installed);

/** Non-negative values with about a fifth exact zeros, and one −0. */
function factor(length: number, rng: Rng): Float64Array {
  const out = new Float64Array(length);
  for (let q = 0; q < length; q++) out[q] = rng.uniform() < 0.2 ? 0 : rng.uniform() * 2;
  out[Math.floor(rng.uniform() * length)] = -0;
  return out;
}

/** Sorted missing partners of each row: a third at random, with the special rows described above. */
function foldLists(rows: number, others: number, rng: Rng): { ptr: Int32Array; idx: Int32Array } {
  const ptr = new Int32Array(rows + 1);
  const idx: number[] = [];
  const sameLength = Math.floor(others / 3);
  for (let r = 0; r < rows; r++) {
    let list: number[];
    if (r === 0 || r === 21) list = [];
    else if (r === 5) list = Array.from({ length: others }, (_, o) => o);
    else if (r === 6) list = [0];
    else if (r === 7) list = [others - 1];
    else if (r >= 12 && r < 16) {
      // Four rows of one block with lists of the same length: every step is common.
      const chosen = new Set<number>();
      while (chosen.size < sameLength) chosen.add(Math.floor(rng.uniform() * others));
      list = [...chosen].sort((a, b) => a - b);
    } else {
      list = [];
      for (let o = 0; o < others; o++) if (rng.uniform() < 1 / 3) list.push(o);
    }
    idx.push(...list);
    ptr[r + 1] = idx.length;
  }
  return { ptr, idx: Int32Array.from(idx) };
}

describe.skipIf(unavailable !== null)('native missing-value kernels on a fold pattern', () => {
  const scalar = selectKernels({ backend: 'js' });
  // [rows, others]: the H side of a tall matrix's fold (large tables: reads ≥ 32 a table row), the
  // same partners with too few rows to pay for them, and the W side (small tables).
  const shapes: Array<[rows: number, others: number]> = [
    [300, 1500],
    [10, 1500],
    [203, 60],
  ];
  const ranks = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12];
  for (const threads of [1, 3]) {
    const native = selectKernels({ backend: 'native', threads, splitAlways: threads > 1 });
    for (const [rows, others] of shapes) {
      it(`maskedSweep and maskedSums: ${rows} rows, ${others} partners, k = ${ranks.join(', ')}, ${threads} thread(s)`, () => {
        for (const k of ranks) {
          const rng = new Rng(rows * 1000 + others * 10 + k);
          const O = factor(others * k, rng);
          const { ptr, idx } = foldLists(rows, others, rng);
          const G = new Float64Array(k * k);
          scalar.gram(O, others, k, G);
          const B = new Float64Array(rows * k);
          for (let q = 0; q < B.length; q++) B[q] = (rng.uniform() - 0.3) * 3;
          const order = Int32Array.from({ length: k }, (_, t) => (t * 5 + 2) % k);
          if (new Set(order).size !== k) for (let t = 0; t < k; t++) order[t] = k - 1 - t;
          for (const l2 of [0, 0.25]) {
            const F0 = factor(rows * k, rng);
            const expected = F0.slice();
            const actual = F0.slice();
            const scratch = new Float64Array(k * k);
            const v1 = scalar.maskedSweep(expected, rows, O, others, k, G, B, l2, ptr, idx, order, scratch);
            const v2 = native.maskedSweep(actual, rows, O, others, k, G, B, l2, ptr, idx, order, scratch);
            expect(sameBits(actual, expected), `sweep, k = ${k}, l2 = ${l2}`).toBe(true);
            expect(Object.is(v2, v1), `violation, k = ${k}, l2 = ${l2}`).toBe(true);
          }
          const total = new Float64Array(k);
          columnSums(O, others, k, total);
          const sums1 = new Float64Array(rows * k);
          const sums2 = new Float64Array(rows * k);
          scalar.maskedSums(sums1, rows, O, others, k, total, ptr, idx);
          native.maskedSums(sums2, rows, O, others, k, total, ptr, idx);
          expect(sameBits(sums2, sums1), `sums, k = ${k}`).toBe(true);
        }
      });
    }
  }
});
