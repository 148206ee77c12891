// Constants of the native kernels, as the scalar reference defines them
// (src/shared/nmf/kernels/scalar/numbers.ts).
#pragma once

/** float32 machine epsilon, scikit-learn's `EPSILON`: substituted for exact zeros. */
static const double EPS32 = 1.1920928955078125e-7;

/**
 * How x^e is evaluated for one exponent, chosen once per call as `powCode` does
 * (src/shared/nmf/kernels/scalar/numbers.ts): numpy's fast paths, else fdlibm's pow (Math.pow).
 */
enum BetaPow { kPowGeneral = 0, kPowOne = 1, kPowSquare = 2, kPowSqrt = 3, kPowReciprocal = 4, kPowZero = 5 };

/** The exponents of one β and their codes (`betaRowCoefficients`). */
struct BetaExponents {
  double beta, eNum, eDen;
  int codeNum, codeDen;
};
