import { describe, expect, it } from 'vitest';
import type { AnnotationColumn, MarkersView } from '../../../../../shared/domain';
import {
  agreementSamples,
  basisFigure,
  basisRows,
  coefficientFigure,
  columnShares,
  contingencyText,
  dominantClusters,
  markersGmt,
  markersTsv,
} from '../run-reading';

const feature = (index: number, selected: boolean, score = 1 - index / 10) => ({
  feature: `g${index}`,
  index,
  score,
  loading: 2 * index,
  selected,
});

function markers(method: MarkersView['method'] = 'kim-park'): MarkersView {
  return {
    runId: 3,
    method,
    threshold: method === 'kim-park' ? 0.5 : null,
    components: [
      // Two selected: only those two.
      { component: 0, name: 'C1', features: [feature(0, true), feature(1, true), feature(2, false)] },
      // One selected: fewer than two, so the first ten (here three), g1 already listed under C1.
      { component: 1, name: 'C2', features: [feature(3, true), feature(1, false), feature(4, false)] },
    ],
  };
}

describe('dominantClusters', () => {
  it('weighs each component’s activation by its total loading, not H alone', () => {
    // W 2 × 2: component 0 carries 10× the loading of component 1.
    const W = [5, 0.5, 5, 0.5];
    // H 2 × 2: sample 0 has the larger raw activation on component 1 (3 vs 1), yet 10·1 > 1·3.
    const H = [1, 0, 3, 1];
    expect(dominantClusters(W, H, 2, 2, 2)).toEqual([0, 1]);
  });

  it('gives ties to the lower component', () => {
    expect(dominantClusters([1, 1], [2, 2], 1, 2, 1)).toEqual([0]);
  });
});

describe('the coefficient map', () => {
  it('scales each sample to shares summing to 1, leaving an empty sample without shares', () => {
    const shares = columnShares([1, 0, 3, 0], 2, 2);
    expect(Array.from(shares.slice(0, 1))).toEqual([0.25]);
    expect(shares[2]).toBe(0.75);
    expect(Number.isNaN(shares[1]) && Number.isNaN(shares[3])).toBe(true);
  });

  it('groups samples by cluster, strongest own share first, with the cluster and annotation tracks', () => {
    // H 2 × 3: samples 0 and 2 in cluster 1, sample 1 in cluster 0.
    const H = [1, 4, 1, 3, 1, 9];
    const classColumn = {
      name: 'type',
      kind: 'categorical',
      levels: ['a', 'b'],
      values: ['a', 'b', 'a'],
    } as AnnotationColumn;
    const figure = coefficientFigure({
      H,
      k: 2,
      n: 3,
      clusters: [1, 0, 1],
      clusterSource: 'dominant',
      componentNames: ['C1', 'C2'],
      sampleNames: ['s0', 's1', 's2'],
      sampleAnnotations: [classColumn],
    });
    // s1 (cluster 0), then s2 (share 0.9 of C2) before s0 (0.75).
    expect(figure.colNames).toEqual(['s1', 's2', 's0']);
    expect(Array.from(figure.values).map((v) => Number(v.toFixed(2)))).toEqual([
      0.8, 0.1, 0.25, 0.2, 0.9, 0.75,
    ]);
    expect(figure.colTracks?.[0]).toEqual({
      name: 'dominant component',
      kind: 'categorical',
      levels: ['1', '2'],
      values: ['1', '2', '2'],
    });
    expect(figure.colTracks?.[1].values).toEqual(['b', 'a', 'a']);
  });
});

describe('the basis map and marker exports', () => {
  it('takes selected markers, or the first ten when fewer than two are selected, each feature once', () => {
    expect(basisRows(markers(), 5)).toEqual([
      { index: 0, component: 0 },
      { index: 1, component: 0 },
      { index: 3, component: 1 },
      { index: 4, component: 1 },
    ]);
  });

  it('scales each marker row to sum 1 and says which component it marks', () => {
    // W 5 × 2
    const W = [3, 1, 1, 1, 0, 0, 0, 0, 0, 2];
    const figure = basisFigure({
      W,
      m: 5,
      k: 2,
      markers: markers(),
      componentNames: ['C1', 'C2'],
      featureNames: ['g0', 'g1', 'g2', 'g3', 'g4'],
      featureAnnotations: [],
    })!;
    expect(figure.rowNames).toEqual(['g0', 'g1', 'g3', 'g4']);
    expect(Array.from(figure.values).slice(0, 4)).toEqual([0.75, 0.25, 0.5, 0.5]);
    // g3 loads nowhere: no shares rather than made-up ones.
    expect(Number.isNaN(figure.values[4])).toBe(true);
    expect(figure.rowTracks?.[0].values).toEqual(['C1', 'C1', 'C2', 'C2']);
    expect(figure.title).toBe('Basis W of 4 marker features (Kim–Park; rows scaled to sum 1)');
    expect(basisFigure({ ...figureInput(), markers: { ...markers('zscore'), components: [] } })).toBeNull();
  });

  function figureInput() {
    return { W: [], m: 0, k: 2, componentNames: ['C1', 'C2'], featureNames: [], featureAnnotations: [] };
  }

  it('write every ranked marker as TSV and each component’s markers as a GMT gene set', () => {
    const tsv = markersTsv(markers(), ['T cells', 'B cells']).split('\n');
    expect(tsv[0]).toBe('component\trank\tfeature\tscore\tloading\tselected');
    expect(tsv[1]).toBe('T cells\t1\tg0\t1\t0\tyes');
    expect(tsv[4]).toBe('B cells\t1\tg3\t0.7\t6\tyes');
    expect(tsv).toHaveLength(8);
    expect(markersGmt(markers(), ['T cells', 'B cells'], 3)).toBe(
      'run3_T cells\tNMF Studio run 3, kim-park markers of T cells\tg0\tg1\tg2\n' +
        'run3_B cells\tNMF Studio run 3, kim-park markers of B cells\tg3\tg1\tg4\n',
    );
  });
});

describe('class agreement cells', () => {
  it('count samples, noting those without a class, and spell out the contingency', () => {
    expect(agreementSamples({ samples: 38, unlabelled: 0 })).toBe('38');
    expect(agreementSamples({ samples: 36, unlabelled: 2 })).toBe('36 (2 without a class)');
    expect(
      contingencyText({
        classes: ['ALL', 'AML'],
        counts: [
          [19, 0],
          [1, 10],
        ],
      }),
    ).toBe('ALL: 19 / 0 · AML: 1 / 10');
  });
});
