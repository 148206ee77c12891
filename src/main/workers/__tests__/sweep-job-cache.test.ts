import { describe, expect, it } from 'vitest';
import { shuffleWithinRows } from '../../../shared/analysis/crossval';
import type { CsrMatrix } from '../../../shared/linalg/matrix';
import { ShuffledCopyCache } from '../sweep-job-cache';

const V: CsrMatrix = {
  kind: 'csr',
  rows: 3,
  cols: 5,
  indptr: Int32Array.from([0, 2, 3, 5]),
  indices: Int32Array.from([0, 3, 2, 1, 4]),
  data: Float64Array.from([1, 2, 3, 4, 5]),
};

describe('ShuffledCopyCache', () => {
  it('keeps one copy per key and seed, equal to a fresh shuffle', () => {
    const cache = new ShuffledCopyCache();
    const first = cache.get('a', V, 7);
    expect(first).toEqual(shuffleWithinRows(V, 7));
    // The same V arrives as a new object with every task: matched by key, not identity.
    expect(cache.get('a', { ...V }, 7)).toBe(first);
    const other = cache.get('a', V, 8);
    expect(other).not.toBe(first);
    expect(other).toEqual(shuffleWithinRows(V, 8));
    expect(cache.get('b', V, 8)).not.toBe(other);
  });

  it('shuffles anew without a key, and after clear', () => {
    const cache = new ShuffledCopyCache();
    expect(cache.get(undefined, V, 7)).not.toBe(cache.get(undefined, V, 7));
    const kept = cache.get('a', V, 7);
    cache.clear();
    expect(cache.get('a', V, 7)).not.toBe(kept);
  });
});
