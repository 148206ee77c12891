// Constants and small helpers of the WebAssembly kernels (the scalar counterpart: ../../kernels/scalar/numbers.ts).

export const EPS32: f64 = 1.1920928955078125e-7;

/** x if x > 0, else +0: a coefficient that `!(x > 0)` would skip (0, NaN) adds exactly nothing. */
@inline
export function positive(x: f64): f64 {
  return select<f64>(x, 0, x > 0);
}
