/**
 * What the native-kernel tests share: why they are skipped where the module is not built, and the
 * bit-for-bit comparison they hold the native kernels to.
 */

/** Why the native kernels are not under test here (turned off or not built), or null when they are. */
export function nativeUnavailable(installed: { reason?: string }): string | null {
  return process.env.NMF_STUDIO_NATIVE === 'off' || process.platform === 'win32'
    ? (installed.reason ?? 'native kernels not built on this platform')
    : null;
}

/** Whether a and b hold the same doubles bit for bit (Object.is: −0 ≠ +0, NaN = NaN). */
export function sameBits(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let q = 0; q < a.length; q++) if (!Object.is(a[q], b[q])) return false;
  return true;
}
