import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { float64FromBlob, toBlob } from '../blobs';

describe('float64FromBlob', () => {
  it('reads a BLOB from the library in place, with its values', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (b BLOB)');
    const values = Float64Array.from({ length: 1000 }, (_, q) => Math.sqrt(q) - 7.5);
    db.prepare('INSERT INTO t VALUES (?)').run(toBlob(values));
    const { b } = db.prepare('SELECT b FROM t').get() as { b: Buffer };
    db.close();
    const read = float64FromBlob(b) as Float64Array;
    expect(read).toEqual(values);
    // No second copy of the doubles: the array is the BLOB's own memory.
    expect(read.buffer).toBe(b.buffer);
  });

  it('copies a Buffer that is a slice of a larger one, at any offset', () => {
    const values = Float64Array.of(1.5, -2, Math.PI);
    const bytes = new Uint8Array(values.buffer);
    const larger = Buffer.alloc(bytes.length + 3);
    larger.set(bytes, 3);
    const slice = larger.subarray(3);
    const read = float64FromBlob(slice) as Float64Array;
    expect(read).toEqual(values);
    expect(read.buffer).not.toBe(larger.buffer);
    expect(float64FromBlob(null)).toBeNull();
  });
});
