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

/** Classifies a binary value: the value, NaN (missing), NEGATIVE or INFINITE. */
export function checkValue(v: number): number {
  if (v !== v) return NaN;
  if (v < 0) return NEGATIVE;
  if (v === Infinity) return INFINITE;
  return v + 0;
}
