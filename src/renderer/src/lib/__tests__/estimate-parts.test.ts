import { describe, expect, it } from 'vitest';
import { estimatePartLines } from '../estimate-parts';

describe('the lines of a sweep forecast’s parts', () => {
  it('names each group with what it is for, its time at most and its fits, in the plan’s order', () => {
    const lines = estimatePartLines([
      { what: 'replicates', fits: 90, seconds: 187 },
      { what: 'consensus', fits: 180, seconds: 160 },
      { what: 'baseline', fits: 90, seconds: 259 },
      { what: 'folds', fits: 1, seconds: 0.5 },
      { what: 'sample-folds', fits: 3, seconds: 4000 },
    ]);
    expect(lines).toEqual([
      { what: 'replicates', text: 'replicates (best fit, loss, BIC): up to 3 min 7 s, 90 fits' },
      { what: 'consensus', text: 'consensus fits (cophenetic, stability): up to 2 min 40 s, 180 fits' },
      { what: 'baseline', text: 'shuffled baseline: up to 4 min 19 s, 90 fits' },
      { what: 'folds', text: 'CV folds (held-out error): up to 500 ms, 1 fit' },
      { what: 'sample-folds', text: 'sample folds (held-out samples): up to 1 h 6 min, 3 fits' },
    ]);
  });

  it('puts the expected time first where earlier sweeps give one', () => {
    expect(
      estimatePartLines([
        { what: 'replicates', fits: 20, seconds: 35, expectedSeconds: 6.3 },
        { what: 'sample-folds', fits: 3, seconds: 4, expectedSeconds: 4 },
      ]),
    ).toEqual([
      { what: 'replicates', text: 'replicates (best fit, loss, BIC): about 6.3 s, up to 35 s, 20 fits' },
      { what: 'sample-folds', text: 'sample folds (held-out samples): about 4.0 s, up to 4.0 s, 3 fits' },
    ]);
  });

  it('gives nothing without parts', () => {
    expect(estimatePartLines(undefined)).toEqual([]);
    expect(estimatePartLines([])).toEqual([]);
  });
});
