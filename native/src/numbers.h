// Constants of the native kernels, as the scalar reference defines them
// (src/shared/nmf/kernels/scalar/numbers.ts).
#pragma once

/** float32 machine epsilon, scikit-learn's `EPSILON`: substituted for exact zeros. */
static const double EPS32 = 1.1920928955078125e-7;
