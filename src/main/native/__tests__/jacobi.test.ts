import { describe, expect, it } from 'vitest';
import { jacobiSvd, jacobiSweeps } from '../../../shared/linalg/svd';
import { Rng } from '../../../shared/linalg/random';
import { loadedNativeKernels } from '../../../shared/nmf/kernels';
import { installNativeKernels } from '..';
import { nativeUnavailable, sameBits } from './helpers';

/**
 * The randomized SVD's Jacobi sweeps natively (native/src/jacobi.inl) against the JavaScript
 * reference (`jacobiSweeps` in src/shared/linalg/svd.ts), bit for bit on At and Vt: the NMF start's
 * shape (500 × 18), tall and short matrices, a single column, columns already orthogonal (nothing
 * rotates), equal columns, a zero column, columns of very different scales, entries with −0, and
 * a rank-deficient matrix; then `jacobiSvd` through each.
 */
const installed = installNativeKernels();
const unavailable = nativeUnavailable(installed);

function gaussian(rows: number, cols: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: rows * cols }, () => rng.normal());
}

/** C (rows × cols, row-major) cases, each named. */
function cases(): Array<[string, Float64Array, number, number]> {
  const out: Array<[string, Float64Array, number, number]> = [
    ['500 × 18', gaussian(500, 18, 1), 500, 18],
    ['37 × 5', gaussian(37, 5, 2), 37, 5],
    ['9 × 9', gaussian(9, 9, 3), 9, 9],
    ['20 × 1', gaussian(20, 1, 4), 20, 1],
  ];
  const orthogonal = new Float64Array(6 * 3);
  for (let c = 0; c < 3; c++) orthogonal[c * 3 + c] = c + 1;
  out.push(['orthogonal columns', orthogonal, 6, 3]);
  const equal = gaussian(40, 4, 5);
  for (let i = 0; i < 40; i++) equal[i * 4 + 2] = equal[i * 4];
  out.push(['two equal columns', equal, 40, 4]);
  const zero = gaussian(30, 6, 6);
  for (let i = 0; i < 30; i++) {
    zero[i * 6 + 3] = i % 2 === 0 ? 0 : -0;
    zero[i * 6 + 5] *= 1e-150;
    zero[i * 6 + 1] *= 1e150;
  }
  out.push(['a zero column, scales 1e±150', zero, 30, 6]);
  // Rank 2 in 50 × 7: products of two factors.
  const a = gaussian(50, 2, 7);
  const b = gaussian(2, 7, 8);
  const lowRank = new Float64Array(50 * 7);
  for (let i = 0; i < 50; i++)
    for (let c = 0; c < 7; c++) lowRank[i * 7 + c] = a[i * 2] * b[c] + a[i * 2 + 1] * b[7 + c];
  out.push(['rank 2 of 7', lowRank, 50, 7]);
  return out;
}

/** At (cols × rows) and Vt = I (cols × cols), as jacobiSvd builds them. */
function transposed(C: Float64Array, rows: number, cols: number): { At: Float64Array; Vt: Float64Array } {
  const At = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let c = 0; c < cols; c++) At[c * rows + i] = C[i * cols + c];
  const Vt = new Float64Array(cols * cols);
  for (let c = 0; c < cols; c++) Vt[c * cols + c] = 1;
  return { At, Vt };
}

describe.skipIf(unavailable !== null)(`native Jacobi sweeps${unavailable ? ` (${unavailable})` : ''}`, () => {
  it('rotate At and Vt to the reference bits', () => {
    const native = loadedNativeKernels()!;
    expect(typeof native.jacobiSweeps).toBe('function');
    for (const [name, C, rows, cols] of cases()) {
      const want = transposed(C, rows, cols);
      jacobiSweeps(want.At, want.Vt, rows, cols);
      const got = transposed(C, rows, cols);
      native.jacobiSweeps!(got.At, got.Vt, rows, cols);
      expect(sameBits(got.At, want.At), `${name}: At`).toBe(true);
      expect(sameBits(got.Vt, want.Vt), `${name}: Vt`).toBe(true);
    }
  });

  it('jacobiSvd through the native sweeps gives the reference U, S and V', () => {
    const native = loadedNativeKernels()!;
    for (const [name, C, rows, cols] of cases()) {
      const want = jacobiSvd(C, rows, cols);
      const got = jacobiSvd(C, rows, cols, (At, Vt, r, c) => native.jacobiSweeps!(At, Vt, r, c));
      for (const part of ['U', 'S', 'V'] as const) {
        expect(sameBits(got[part], want[part]), `${name}: ${part}`).toBe(true);
      }
    }
  });

  it('refuses arrays shorter than their shapes', () => {
    const native = loadedNativeKernels()!;
    expect(() => native.jacobiSweeps!(new Float64Array(5), new Float64Array(4), 3, 2)).toThrow(/shorter/);
  });
});
