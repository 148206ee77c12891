import { INFINITE, NEGATIVE, NOT_A_NUMBER } from './errors';

/**
 * Parses one text cell. Returns the value (≥ 0), NaN for a missing cell (empty, `NA`, `NaN` in any
 * case, surrounding blanks allowed), or a negative code: NOT_A_NUMBER, NEGATIVE or INFINITE.
 * Numbers are read with `Number`, which rounds decimal text to the nearest double exactly as
 * JavaScript and NumPy do; hexadecimal, binary and octal literals that `Number` would accept are
 * refused because no table writer produces them.
 */
export function parseCell(text: string): number {
  const n = text.length;
  if (n === 0) return NaN;
  const c = text.charCodeAt(0);
  if (c >= 48 && c <= 57) {
    // Fast path: most cells are plain decimals starting with a digit, which cannot be negative.
    if (c === 48 && n > 1) {
      const c1 = text.charCodeAt(1) | 32;
      if (c1 === 120 || c1 === 98 || c1 === 111) return NOT_A_NUMBER;
    }
    const v = Number(text);
    if (v !== v) return NOT_A_NUMBER;
    return v === Infinity ? INFINITE : v;
  }
  return parseUnusualCell(text);
}

function parseUnusualCell(text: string): number {
  const t = text.trim();
  if (t.length === 0) return NaN;
  const lower = t.toLowerCase();
  if (lower === 'na' || lower === 'nan') return NaN;
  const first = lower.charCodeAt(0);
  const signed = first === 43 || first === 45;
  const body = signed ? lower.slice(1) : lower;
  if (body === 'inf' || body === 'infinity') return INFINITE;
  if (body.length === 0) return NOT_A_NUMBER;
  const b0 = body.charCodeAt(0);
  if (!(b0 === 46 || (b0 >= 48 && b0 <= 57))) return NOT_A_NUMBER;
  if (b0 === 48 && body.length > 1) {
    const b1 = body.charCodeAt(1);
    if (b1 === 120 || b1 === 98 || b1 === 111) return NOT_A_NUMBER;
  }
  const v = Number(t);
  if (v !== v) return NOT_A_NUMBER;
  if (v < 0) return NEGATIVE;
  if (v === Infinity) return INFINITE;
  // Turns -0 into +0 so that a "-0" cell is an ordinary zero.
  return v + 0;
}

/**
 * A cell of a semicolon-separated table with its decimal comma turned into a point (`1,5` →
 * `1.5`), as European spreadsheets write numbers. Text with a point as well, or more than one
 * comma, is left as it is (thousands separators are not guessed) and then refused as a number.
 */
export function decimalPoint(text: string): string {
  const comma = text.indexOf(',');
  if (comma < 0 || text.indexOf(',', comma + 1) >= 0 || text.indexOf('.') >= 0) return text;
  return `${text.slice(0, comma)}.${text.slice(comma + 1)}`;
}

/** parseCell for semicolon-separated tables, where `1,5` is 1.5 (see decimalPoint). */
export function parseDecimalCommaCell(text: string): number {
  return parseCell(decimalPoint(text));
}

/** Classifies a binary value: the value, NaN (missing), NEGATIVE or INFINITE. */
export function checkValue(v: number): number {
  if (v !== v) return NaN;
  if (v < 0) return NEGATIVE;
  if (v === Infinity) return INFINITE;
  return v + 0;
}
