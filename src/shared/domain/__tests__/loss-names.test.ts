import { describe, expect, it } from 'vitest';
import { betaOfLoss, formatLoss, lossNames, parseLoss } from '../params';

describe('loss names', () => {
  it('parses every named loss to its β and back to its CLI spelling', () => {
    for (const loss of lossNames.filter((name) => name !== 'beta')) {
      const parsed = parseLoss(loss.toUpperCase());
      expect(parsed).toEqual({ loss, beta: betaOfLoss(loss, 0) });
      expect(formatLoss(parsed!.loss, parsed!.beta)).toBe(loss);
    }
    expect(parseLoss('kullback-leibler')).toEqual({ loss: 'kl', beta: 1 });
    expect(parseLoss('itakura-saito')).toEqual({ loss: 'is', beta: 0 });
    expect(parseLoss('beta=1.5')).toEqual({ loss: 'beta', beta: 1.5 });
  });

  it('refuses what is not a loss, including names every object has', () => {
    for (const text of ['constructor', 'toString', '__proto__', 'beta', 'beta=-1', 'l2', ''])
      expect(parseLoss(text)).toBeNull();
  });
});
