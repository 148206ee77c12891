import { describe, expect, it } from 'vitest';
import { completeRunParams } from '../params';
import { MINIBATCH_MIN_SAMPLES, MINIBATCH_MIN_SECONDS, minibatchSuggestion } from '../minibatch-advice';

describe('minibatch suggestion and parameters', () => {
  it('suggests minibatch MU only for MU fits on many samples that would take long', () => {
    const many = MINIBATCH_MIN_SAMPLES;
    const long = MINIBATCH_MIN_SECONDS;
    const suggestion = minibatchSuggestion(100_000, 'mu', long * 10);
    expect(suggestion).toMatchObject({ solver: 'minibatch', batchSize: 128 });
    expect(suggestion?.reason).toContain('100,000 samples');
    expect(suggestion?.reason).toContain('782 times a pass');
    expect(minibatchSuggestion(many - 1, 'mu', long * 10)).toBeNull();
    expect(minibatchSuggestion(many, 'mu', long - 1)).toBeNull();
    expect(minibatchSuggestion(many, 'hals', long * 10)).toBeNull();
    expect(minibatchSuggestion(many, 'minibatch', long * 10)).toBeNull();
  });

  it('records a batch size for the minibatch solver only, and no warm-up for it', () => {
    expect(completeRunParams({ rank: 3, solver: 'minibatch' })).toMatchObject({ batchSize: 128, warmup: 0 });
    expect(completeRunParams({ rank: 3, solver: 'minibatch', batchSize: 5 }).batchSize).toBe(5);
    expect('batchSize' in completeRunParams({ rank: 3, batchSize: 5 })).toBe(false);
  });
});
