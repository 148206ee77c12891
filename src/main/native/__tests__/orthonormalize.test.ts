import { describe, expect, it } from 'vitest';
import { Rng } from '../../../shared/linalg/random';
import { orthonormalizeColumns, randomizedSvd } from '../../../shared/linalg/svd';
import { prepareData } from '../../../shared/nmf/data';
import { initializePrepared, kernelProducts } from '../../../shared/nmf/init';
import { selectKernels } from '../../../shared/nmf/kernels';
import { randomCounts } from '../../../shared/nmf/__tests__/helpers';
import { installNativeKernels } from '..';
import { nativeUnavailable, sameBits } from './helpers';

/**
 * The native re-orthonormalisation (native/src/orthonormalize.inl, a right-looking sweep four
 * columns at a time) against the JavaScript reference (left-looking): the same operations per
 * column in the same order, so the same bits — on random columns, on repeated and zero columns
 * (rank deficiency: a vanishing column, zero dot products), at widths below, at and across the
 * four-column blocks; and the randomized SVD and NNDSVDa starts built on it keep their bits.
 */
const installed = installNativeKernels();
const unavailable = nativeUnavailable(installed);

describe.skipIf(unavailable !== null)('native orthonormalize', () => {
  const native = selectKernels({ backend: 'native' });
  const shapes: Array<[number, number]> = [
    [7, 1],
    [9, 3],
    [40, 4],
    [57, 5],
    [200, 18],
    [64, 20],
    [20, 20],
    [333, 11],
    [3, 9],
  ];
  for (const [rows, l] of shapes) {
    for (const seed of [1, 2, 3]) {
      it(`gives the JavaScript bits on ${rows} × ${l} (seed ${seed})`, () => {
        const rng = new Rng(seed);
        const Q = new Float64Array(rows * l).map(() => rng.normal());
        // Seed 2: a repeated column (it vanishes); seed 3: a zero column.
        if (l > 2 && seed === 2) for (let i = 0; i < rows; i++) Q[i * l + 2] = Q[i * l];
        if (l > 3 && seed === 3) for (let i = 0; i < rows; i++) Q[i * l + 3] = 0;
        const expected = Float64Array.from(Q);
        orthonormalizeColumns(expected, rows, l);
        native.orthonormalizeColumns(Q, rows, l);
        expect(sameBits(Q, expected)).toBe(true);
      });
    }
  }

  it('refuses a Q shorter than rows · l', () => {
    expect(() => native.orthonormalizeColumns(new Float64Array(5), 3, 2)).toThrow(/shorter than rows/);
  });

  it('keeps the bits of the randomized SVD and of the NNDSVDa start', () => {
    for (const seed of [0, 4]) {
      const V = randomCounts(180, 70, seed, 0.3);
      const data = prepareData(V);
      const scalar = selectKernels({ backend: 'js' });
      for (const rank of [3, 9]) {
        const a = randomizedSvd(V, rank, { seed, products: kernelProducts(data, scalar) });
        const b = randomizedSvd(V, rank, { seed, products: kernelProducts(data, native) });
        expect(sameBits(a.U, b.U) && sameBits(a.S, b.S) && sameBits(a.V, b.V)).toBe(true);
        const s = initializePrepared(data, rank, 'nndsvda', seed, scalar);
        const t = initializePrepared(data, rank, 'nndsvda', seed, native);
        expect(sameBits(s.W.data, t.W.data) && sameBits(s.H.data, t.H.data)).toBe(true);
      }
    }
  });
});
