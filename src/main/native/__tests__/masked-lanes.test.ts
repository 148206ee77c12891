import { describe, expect, it } from 'vitest';
import { Rng } from '../../../shared/linalg/random';
import { columnSums, selectKernels } from '../../../shared/nmf/kernels';
import { installNativeKernels } from '..';
import { nativeUnavailable, sameBits } from './helpers';

/**
 * The native missing-value kernels run four rows at a time, one row per vector lane
 * (native/src/masked_lanes.inl), where rows of one block have partner lists of different lengths
 * and take different paths (no missing partner: G itself; a few: G less their outer products; most:
 * the sum over the observed ones). A lane past its list adds −0 terms, which must leave every sum
 * as it is. So: blocks mixing every path and list length, G with −0 entries, factors with zeros
 * (the a_s = 0 skips and the projected gradient at 0), l2 zero and not, every compile-time
 * rank (1–8), run-time ones (9–17), row counts that leave a tail after the blocks, one and three
 * threads (every call split, so parts start and end inside blocks) — each against the scalar reference with Object.is.
 * Few partners (the W side of a fold) take the partner tables (`sweepTableBlockK`), many (the H
 * side) the per-row products (`sweepBlockK`); both are covered at ranks on both sides of the
 * table's size limit, and with a NaN in the other factor (its terms NaN, never skipped).
 */
const installed = installNativeKernels();
const unavailable = nativeUnavailable(installed);

/** Non-negative values with about a fifth exact zeros. */
function factor(length: number, rng: Rng): Float64Array {
  const out = new Float64Array(length);
  for (let q = 0; q < length; q++) out[q] = rng.uniform() < 0.2 ? 0 : rng.uniform() * 2;
  return out;
}

/**
 * Sorted missing partners of each of `rows` rows among `others`: counts cycling through none, one,
 * exactly half (the last that subtracts), one more than half (the first that sums the observed
 * partners), all, and random ones, so every block of four mixes paths and lengths.
 */
function partnerLists(rows: number, others: number, rng: Rng): { ptr: Int32Array; idx: Int32Array } {
  const half = Math.floor(others / 2);
  const counts = [0, 1, half, Math.min(others, half + 1), others, 3, 0, Math.min(others, 2)];
  const ptr = new Int32Array(rows + 1);
  const idx: number[] = [];
  for (let r = 0; r < rows; r++) {
    const want = r < counts.length * 2 ? counts[r % counts.length] : Math.floor(rng.uniform() * (others + 1));
    const chosen = new Set<number>();
    while (chosen.size < want) chosen.add(Math.floor(rng.uniform() * others));
    idx.push(...[...chosen].sort((a, b) => a - b));
    ptr[r + 1] = idx.length;
  }
  return { ptr, idx: Int32Array.from(idx) };
}

describe.skipIf(unavailable !== null)('native missing-value kernels, four rows per block', () => {
  const scalar = selectKernels({ backend: 'js' });
  const cases: Array<[rows: number, others: number, k: number]> = [];
  for (let k = 1; k <= 17; k++) cases.push([23, 11, k], [16, 40, k]);
  // Partner tables of (others + 1) × padded terms: within 8192 entries, and past it.
  cases.push([41, 7, 3], [8, 300, 5], [9, 2100, 2], [13, 1200, 2], [8, 300, 8], [10, 220, 8], [6, 3, 3]);

  for (const threads of [1, 3]) {
    const native = selectKernels({ backend: 'native', threads, splitAlways: threads > 1 });
    for (const [rows, others, k] of cases) {
      it(`maskedSweep and maskedSums: ${rows} rows, ${others} partners, k = ${k}, ${threads} thread(s)`, () => {
        const rng = new Rng(rows * 1000 + others * 10 + k);
        const O = factor(others * k, rng);
        // −0 entries (skipped as zeros), and a NaN in the other factor on larger cases.
        O[Math.floor(rng.uniform() * O.length)] = -0;
        if (others >= 40 && k % 2 === 0) O[(others - 1) * k + k - 1] = NaN;
        const { ptr, idx } = partnerLists(rows, others, rng);
        const G = new Float64Array(k * k);
        scalar.gram(O, others, k, G);
        // −0 in G: a lane's sum that stays −0 must come out −0.
        for (let s = 0; s < k; s++) for (let t = s + 1; t < k; t += 2) G[s * k + t] = -0;
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
          expect(sameBits(actual, expected)).toBe(true);
          expect(Object.is(v2, v1)).toBe(true);
        }
        const total = new Float64Array(k);
        columnSums(O, others, k, total);
        total[0] = -0;
        const sums1 = new Float64Array(rows * k);
        const sums2 = new Float64Array(rows * k);
        scalar.maskedSums(sums1, rows, O, others, k, total, ptr, idx);
        native.maskedSums(sums2, rows, O, others, k, total, ptr, idx);
        expect(sameBits(sums2, sums1)).toBe(true);
      });
    }
  }
});
