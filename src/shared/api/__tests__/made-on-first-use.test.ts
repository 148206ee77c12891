import { describe, expect, it } from 'vitest';
import { madeOnFirstUse } from '../made-on-first-use';
import { channelNames } from '../names';
import { isChannel, requestSchemas } from '../channels';

describe('madeOnFirstUse', () => {
  it('has its keys before anything is made, makes the record once at the first read, then keeps it', () => {
    let made = 0;
    const record = madeOnFirstUse(['a', 'b'] as const, () => {
      made++;
      return { a: { n: 1 }, b: { n: 2 } };
    });
    expect(Object.keys(record)).toEqual(['a', 'b']);
    expect('a' in record && Object.prototype.hasOwnProperty.call(record, 'b')).toBe(true);
    expect(made).toBe(0);
    const first = record.a;
    expect(first).toEqual({ n: 1 });
    expect(record.b).toEqual({ n: 2 });
    expect(record.a).toBe(first);
    expect(made).toBe(1);
  });

  it('gives the API contract every channel, each with a schema that validates', () => {
    expect(Object.keys(requestSchemas).sort()).toEqual([...channelNames].sort());
    expect(isChannel('runs:get') && !isChannel('runs:nothing')).toBe(true);
    expect(requestSchemas['runs:get'].safeParse({ id: 3 }).success).toBe(true);
    expect(requestSchemas['runs:get'].safeParse({ id: -3 }).success).toBe(false);
  });
});
