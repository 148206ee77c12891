import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { float64FromBlob, labelsFromBlob, labelsToBlob, toBlob } from '../blobs';

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

describe('labelsToBlob / labelsFromBlob', () => {
  it('store labels in the narrowest of one, two or four bytes and read them back, in place from the library', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (b BLOB)');
    const cases: Array<{
      labels: number[];
      width: number;
      Kind: typeof Uint8Array | typeof Uint16Array | typeof Int32Array;
    }> = [
      { labels: [0, 2, 1, 255, 0], width: 1, Kind: Uint8Array },
      { labels: [0, 256, 65535, 3], width: 2, Kind: Uint16Array },
      { labels: [65536, 0, 7], width: 4, Kind: Int32Array },
      { labels: [-1, 5], width: 4, Kind: Int32Array },
      { labels: [], width: 1, Kind: Uint8Array },
    ];
    for (const { labels, width, Kind } of cases) {
      const blob = labelsToBlob(labels);
      expect(blob.byteLength).toBe(4 + width * labels.length);
      db.prepare('INSERT INTO t VALUES (?)').run(blob);
      const { b } = db.prepare('SELECT b FROM t WHERE rowid = last_insert_rowid()').get() as { b: Buffer };
      const read = labelsFromBlob(b);
      expect(read).toBeInstanceOf(Kind);
      expect(Array.from(read)).toEqual(labels);
      expect(read.buffer).toBe(b.buffer);
    }
    db.close();
  });

  it('copies labels out of a Buffer that starts unaligned', () => {
    const labels = [1, 70000, 2];
    const blob = labelsToBlob(labels);
    const larger = Buffer.alloc(blob.byteLength + 1);
    blob.copy(larger, 1);
    expect(Array.from(labelsFromBlob(larger.subarray(1)))).toEqual(labels);
  });

  it('refuse what is not integer labels, and a BLOB that is not one of theirs', () => {
    expect(() => labelsToBlob([0, 1.5])).toThrow(/not an integer/);
    expect(() => labelsToBlob([2 ** 31])).toThrow(/exceed Int32/);
    expect(() => labelsFromBlob(Buffer.from([1, 0]))).toThrow(/shorter than its head/);
    expect(() => labelsFromBlob(Buffer.from([3, 0, 0, 0, 1, 2, 3]))).toThrow(/3 bytes a label/);
    expect(() => labelsFromBlob(Buffer.from([2, 0, 0, 0, 1, 2, 3]))).toThrow(/cut inside a label/);
  });
});
