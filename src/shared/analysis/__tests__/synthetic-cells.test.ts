import { describe, expect, it } from 'vitest';
import { CellSampler, plantCellModules, sampleCellMatrix } from '../synthetic-cells';

/** V (genes × cells, CSR) and H built from one pass over the cells, holding them all first. */
function drawnOnce(model: ReturnType<typeof plantCellModules>): {
  indptr: Int32Array;
  indices: Int32Array;
  data: Float64Array;
  H: Float64Array;
} {
  const sampler = new CellSampler(model);
  const cells = Array.from({ length: model.cells }, () => sampler.next());
  const H = new Float64Array(model.rank * model.cells);
  cells.forEach((cell, j) => cell.mix.forEach((w, t) => (H[t * model.cells + j] = w)));
  const byGene: Array<Array<[number, number]>> = Array.from({ length: model.features }, () => []);
  cells.forEach((cell, j) => cell.genes.forEach((g, q) => byGene[g].push([j, cell.counts[q]])));
  const indptr = new Int32Array(model.features + 1);
  byGene.forEach((entries, i) => (indptr[i + 1] = indptr[i] + entries.length));
  const flat = byGene.flat();
  return {
    indptr,
    indices: Int32Array.from(flat, ([j]) => j),
    data: Float64Array.from(flat, ([, v]) => v),
    H,
  };
}

describe('sampleCellMatrix', () => {
  it.each([0, 1, 7, 12345])('draws the cells twice and gives what one pass gives (seed %i)', (seed) => {
    const model = plantCellModules({ features: 60, cells: 700, rank: 4, seed, depth: 80 });
    const { V, H } = sampleCellMatrix(model);
    const expected = drawnOnce(model);
    expect(V.rows).toBe(60);
    expect(V.cols).toBe(700);
    expect(V.data.length).toBeGreaterThan(1000);
    expect(V.indptr).toEqual(expected.indptr);
    expect(V.indices).toEqual(expected.indices);
    expect(V.data).toEqual(expected.data);
    expect(H.data).toEqual(expected.H);
  });

  it('keeps each gene row ordered by cell, with no zero stored', () => {
    const { V } = sampleCellMatrix(plantCellModules({ features: 40, cells: 300, rank: 3, seed: 3 }));
    for (let i = 0; i < V.rows; i++) {
      for (let k = V.indptr[i] + 1; k < V.indptr[i + 1]; k++)
        expect(V.indices[k]).toBeGreaterThan(V.indices[k - 1]);
    }
    expect(V.data.every((v) => v > 0 && Number.isInteger(v))).toBe(true);
  });
});
