/**
 * Constants and powers shared by the scalar kernels and the engine (scikit-learn's conventions).
 */

/** float32 machine epsilon, scikit-learn's `EPSILON`: substituted for exact zeros. */
export const EPS32 = 1.1920928955078125e-7;
/** float64 machine epsilon: MU sets factor entries below it to zero (scikit-learn 1.2). */
export const EPS64 = 2.220446049250313e-16;

/**
 * Codes for x^e with the exponents numpy evaluates by a fast path (`x**0.5` is `sqrt`, `x**2` is
 * `x*x`, `x**-1` is `1/x`, `x**1` is `x`), so our rounding follows scikit-learn's where it can.
 */
export const Pow = { General: 0, One: 1, Square: 2, Sqrt: 3, Reciprocal: 4, Zero: 5 } as const;
export type PowCode = (typeof Pow)[keyof typeof Pow];

export function powCode(e: number): PowCode {
  if (e === 1) return Pow.One;
  if (e === 2) return Pow.Square;
  if (e === 0.5) return Pow.Sqrt;
  if (e === -1) return Pow.Reciprocal;
  if (e === 0) return Pow.Zero;
  return Pow.General;
}

/** x^e evaluated the way numpy does for the exponent's code. */
export function powBy(x: number, e: number, code: PowCode): number {
  switch (code) {
    case Pow.One:
      return x;
    case Pow.Square:
      return x * x;
    case Pow.Sqrt:
      return Math.sqrt(x);
    case Pow.Reciprocal:
      return 1 / x;
    case Pow.Zero:
      return 1;
    default:
      return Math.pow(x, e);
  }
}
