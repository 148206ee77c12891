import { describe, expect, it } from 'vitest';
import {
  emptyRunFilter,
  parseRunFilter,
  runListRequest,
  serializeRunFilter,
  type RunFilter,
} from '../library-filter';

const filter = (over: Partial<RunFilter>): RunFilter => ({ ...emptyRunFilter(), ...over });

describe('runListRequest', () => {
  it('sends nothing but the sweep switch for an empty filter', () => {
    expect(runListRequest(emptyRunFilter())).toEqual({ includeSweeps: false });
    expect(JSON.parse(JSON.stringify(runListRequest(filter({ includeSweeps: true }))))).toEqual({
      includeSweeps: true,
    });
  });

  it('turns every field into the query the API takes', () => {
    const request = runListRequest(
      filter({
        text: '  notch  ',
        dataset: '4',
        loss: 'beta',
        solver: 'hals',
        rank: 7,
        state: 'failed',
        tag: ' liver ',
        since: '2026-01-01',
        until: '2026-01-31',
        includeSweeps: true,
      }),
    );
    expect(request).toEqual({
      text: 'notch',
      datasetId: 4,
      loss: 'beta',
      solver: 'hals',
      rank: 7,
      state: 'failed',
      tag: 'liver',
      since: '2026-01-01',
      // The day picked is inclusive.
      until: '2026-01-31T23:59:59.999Z',
      includeSweeps: true,
    });
  });

  it('filters nothing on a rank that is not a positive whole number, or a cleared number input', () => {
    for (const rank of ['0', '-2', '2.5', 'x', '', null, 0] as const)
      expect(runListRequest(filter({ rank })).rank, String(rank)).toBeUndefined();
    expect(runListRequest(filter({ rank: '3' })).rank).toBe(3);
  });

  it('ignores a loss, solver or state the API does not know, and whitespace-only text', () => {
    const request = runListRequest(
      filter({ loss: 'poisson', solver: 'cd', state: 'paused', text: '   ', tag: ' ' }),
    );
    expect(request.loss).toBeUndefined();
    expect(request.solver).toBeUndefined();
    expect(request.state).toBeUndefined();
    expect(request.text).toBeUndefined();
    expect(request.tag).toBeUndefined();
  });
});

describe('serializeRunFilter and parseRunFilter', () => {
  it('write only the fields set, in a fixed order', () => {
    expect(serializeRunFilter(emptyRunFilter())).toBe('');
    expect(serializeRunFilter(filter({ tag: 'a b', loss: 'kl', rank: 3, includeSweeps: true }))).toBe(
      'loss=kl&rank=3&tag=a+b&sweeps=1',
    );
    // A cleared number input binds null: nothing to write.
    expect(serializeRunFilter(filter({ rank: null }))).toBe('');
  });

  it('round-trip every field, text with reserved characters included', () => {
    const full = filter({
      text: 'a&b=c ?#%',
      dataset: '12',
      loss: 'is',
      solver: 'mu',
      rank: '5',
      state: 'interrupted',
      tag: 'tag/with/slashes',
      since: '2025-12-01',
      until: '2026-02-28',
      includeSweeps: true,
    });
    expect(parseRunFilter(serializeRunFilter(full))).toEqual(full);
    expect(parseRunFilter(`?${serializeRunFilter(full)}`)).toEqual(full);
    expect(parseRunFilter(new URLSearchParams(serializeRunFilter(full)))).toEqual(full);
  });

  it('drop what the form could not hold, keeping the rest', () => {
    const parsed = parseRunFilter(
      'loss=poisson&solver=hals&rank=0&dataset=abc&state=paused&since=yesterday&until=2026-13&sweeps=yes&text=ok',
    );
    expect(parsed).toEqual(filter({ solver: 'hals', text: 'ok' }));
  });

  it('cap over-long text at what the API accepts', () => {
    const parsed = parseRunFilter(`text=${'x'.repeat(500)}&tag=${'t'.repeat(500)}`);
    expect(parsed.text).toHaveLength(200);
    expect(parsed.tag).toHaveLength(100);
  });
});
