import { describe, expect, it } from 'vitest';
import { ImportError } from '../errors';
import { isBiomHeader, RecordSplitter, type Delimiter } from '../tokenize';

/** mulberry32: a small seeded generator, so every failure can be replayed from its seed. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Parsed {
  records: { fields: string[]; line: number; lastLine: number }[];
  /** Longest physical line and longest record (line breaks counted), most fields of a record. */
  longestLine: number;
  longestRecord: number;
  mostFields: number;
  /** A quoted field still open at the end, as (line, column), or null. */
  unclosed: { line: number; column: number } | null;
}

/**
 * The reference: the whole text at once, one character at a time, by the rules RecordSplitter
 * documents (RFC 4180 quotes opening only at a field's first character, CRLF, BOM, blank and `#`
 * comment lines skipped outside records, a BIOM header kept before the first record).
 */
function reference(input: string, delimiter: Delimiter): Parsed {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const physical = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (text.endsWith('\n')) physical.pop();
  const out: Parsed = {
    records: [],
    longestLine: Math.max(0, ...physical.map((l) => l.length)),
    longestRecord: 0,
    mostFields: 0,
    unclosed: null,
  };
  const ws = delimiter === 'whitespace';
  const isSep = (c: string): boolean => (ws ? c === ' ' || c === '\t' : c === delimiter);
  let k = 0;
  while (k < physical.length) {
    const first = physical[k];
    const startLine = k + 1;
    if (first.length === 0) {
      k++;
      continue;
    }
    if (first.startsWith('#') && (out.records.length > 0 || !isBiomHeader(first, delimiter))) {
      k++;
      continue;
    }
    if (/^[ \t]*$/.test(first) && !first.includes('"')) {
      k++;
      continue;
    }
    // One record: characters of this line and, while a quote is open, the next ones.
    const fields: string[] = [];
    let field = '';
    let inQuotes = false;
    let atStart = true;
    let quoteAt = { line: 0, column: 0 };
    let line = k;
    let chars = 0;
    let done = false;
    while (!done) {
      const t = physical[line];
      chars += t.length + (line > k ? 1 : 0);
      let i = 0;
      if (ws && !inQuotes && line === k) while (i < t.length && (t[i] === ' ' || t[i] === '\t')) i++;
      for (; i < t.length; i++) {
        const c = t[i];
        if (inQuotes) {
          if (c === '"') {
            if (t[i + 1] === '"') {
              field += '"';
              i++;
            } else inQuotes = false;
          } else field += c;
        } else if (c === '"' && atStart) {
          inQuotes = true;
          atStart = false;
          quoteAt = { line: line + 1, column: fields.length + 1 };
        } else if (isSep(c)) {
          fields.push(field);
          field = '';
          atStart = true;
          if (ws) {
            while (i + 1 < t.length && (t[i + 1] === ' ' || t[i + 1] === '\t')) i++;
            if (i + 1 >= t.length) {
              atStart = false;
              break;
            }
          }
        } else {
          field += c;
          atStart = false;
        }
      }
      if (inQuotes) {
        if (line + 1 >= physical.length) {
          out.unclosed = quoteAt;
          out.longestRecord = Math.max(out.longestRecord, chars);
          return out;
        }
        field += '\n';
        line++;
      } else {
        if (!(ws && atStart === false && field === '' && fields.length > 0 && /[ \t]$/.test(t))) {
          fields.push(field);
        }
        done = true;
      }
    }
    out.records.push({ fields, line: startLine, lastLine: line + 1 });
    out.longestRecord = Math.max(out.longestRecord, chars);
    out.mostFields = Math.max(out.mostFields, fields.length);
    k = line + 1;
  }
  return out;
}

const ALPHABET = ['a', 'b', '1', '"', '"', ',', '\t', ' ', '\n', '\n', '\r\n', '#', ';', '\u00e9', '""'];
/** Long lines and few quotes: records reach the caps of the second test. */
const SPARSE = ['a', 'b', '1', '1', '1', '"', ',', ',', '\t', '\t', ' ', ';', '\u00e9'];

function randomText(random: () => number, length: number, alphabet = ALPHABET, newline = 0): string {
  let text = random() < 0.1 ? '\ufeff' : '';
  while (text.length < length) {
    text += random() < newline ? '\n' : alphabet[Math.floor(random() * alphabet.length)];
  }
  return text;
}

/** Splits `text` into chunks cut at random places, as a stream delivers it. */
function randomChunks(random: () => number, text: string): string[] {
  const chunks: string[] = [];
  let pos = 0;
  while (pos < text.length) {
    const size = 1 + Math.floor(random() * (random() < 0.5 ? 4 : 64));
    chunks.push(text.slice(pos, pos + size));
    pos += size;
  }
  return chunks;
}

function run(
  chunks: string[],
  delimiter: Delimiter,
  limits?: { maxRecordChars: number; maxFields: number },
): { records: Parsed['records']; error: ImportError | null } {
  const records: Parsed['records'] = [];
  const splitter = new RecordSplitter(
    'fuzz.csv',
    delimiter,
    (fields, line, lastLine) => records.push({ fields, line, lastLine }),
    limits,
  );
  try {
    for (const chunk of chunks) splitter.push(chunk);
    splitter.end();
  } catch (error) {
    if (error instanceof ImportError) return { records, error };
    throw error;
  }
  return { records, error: null };
}

const DELIMITERS: Delimiter[] = [',', '\t', ';', 'whitespace'];

describe('RecordSplitter fuzz (seeded)', () => {
  it('splits random text like the one-character-at-a-time reference, however it is chunked', () => {
    for (let seed = 1; seed <= 400; seed++) {
      const random = generator(seed);
      const delimiter = DELIMITERS[seed % DELIMITERS.length];
      const text = randomText(random, 1 + Math.floor(random() * 300));
      const want = reference(text, delimiter);
      const got = run(randomChunks(random, text), delimiter);
      const context = `seed ${seed}, delimiter ${JSON.stringify(delimiter)}, text ${JSON.stringify(text)}`;
      if (want.unclosed !== null) {
        expect(got.error, context).not.toBeNull();
        expect([got.error?.line, got.error?.column], context).toEqual([
          want.unclosed.line,
          want.unclosed.column,
        ]);
        expect(got.records, context).toEqual(want.records);
      } else {
        expect(got.error, context).toBeNull();
        expect(got.records, context).toEqual(want.records);
      }
    }
  });

  it('refuses only beyond its caps, and always beyond them', () => {
    const limits = { maxRecordChars: 120, maxFields: 12 };
    let refused = 0;
    for (let seed = 1000; seed < 1400; seed++) {
      const random = generator(seed);
      const delimiter = DELIMITERS[seed % DELIMITERS.length];
      const text = randomText(random, 1 + Math.floor(random() * 600), SPARSE, 0.004 + random() * 0.05);
      const want = reference(text, delimiter);
      const got = run(randomChunks(random, text), delimiter, limits);
      const context = `seed ${seed}: ${JSON.stringify(text)}`;
      const over =
        want.longestLine > limits.maxRecordChars ||
        want.longestRecord > limits.maxRecordChars ||
        want.mostFields > limits.maxFields;
      // Lines are checked as they arrive (a chunk may carry a line a little past the cap before it
      // ends), so a refusal needs something over the cap, and anything at twice the cap is refused.
      if (got.error !== null && want.unclosed === null) {
        refused++;
        expect(over, `${context}: ${got.error.message}`).toBe(true);
      }
      if (
        want.longestLine > 2 * limits.maxRecordChars ||
        want.longestRecord > 2 * limits.maxRecordChars ||
        want.mostFields > limits.maxFields
      ) {
        expect(got.error, context).not.toBeNull();
      }
      if (!over && want.unclosed === null) expect(got.records, context).toEqual(want.records);
    }
    expect(refused).toBeGreaterThan(20);
  });

  it('keeps time linear: a quote opened early and lines without end cost one pass', () => {
    // 4 MB of short lines inside an unclosed quote, delivered in 64 kB chunks: the splitter used to
    // re-split the whole record at every line (quadratic; 480 kB took 91 s). Counted, not timed:
    // the number of records is zero and the refusal names where the quote opened.
    const body = `g,a\n"x,1\n${'y,2\n'.repeat(1 << 20)}`;
    const chunks: string[] = [];
    for (let i = 0; i < body.length; i += 1 << 16) chunks.push(body.slice(i, i + (1 << 16)));
    const got = run(chunks, ',');
    expect(got.records).toEqual([{ fields: ['g', 'a'], line: 1, lastLine: 1 }]);
    expect(got.error?.message).toMatch(
      /^fuzz\.csv: line 2, column 1: the quoted field "x,1" opened here is never closed/,
    );
    const endless = run(
      Array.from({ length: 100 }, () => 'a'.repeat(1 << 16)),
      ',',
      { maxRecordChars: 1 << 20, maxFields: 10 },
    );
    expect(endless.error?.message).toBe(
      'fuzz.csv: line 1: is longer than 1048576 characters (no line break): not a delimited table',
    );
  });
});
