import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  loadedNativeKernels,
  registerNativeKernels,
  type NativeKernelModule,
} from '../../shared/nmf/kernels';

/**
 * Loads the native dense kernels (native/, built by scripts/build-native.js with node-gyp) and
 * registers them with the engine for this thread (`registerNativeKernels`: what is loaded; each
 * fit's kernel set is chosen by `selectKernels`). Every Node entry that fits runs this first: the
 * pool's worker threads, the kernel helpers do not need it (they serve WebAssembly calls only).
 *
 * The module is looked for in `native/build/Release` of the first folder above this file that has
 * one: the repository from the sources (tsx, vitest) and from out/main (the build), and the app's
 * folder in an installed app (electron-builder unpacks *.node files beside app.asar; Electron's
 * loader follows). `NMF_STUDIO_NATIVE=off` skips it, which leaves the WebAssembly kernels.
 * Returns the instruction set it chose ('avx512vl', 'avx2', 'baseline') or null when not loaded, with why.
 */
export function installNativeKernels(): { isa: string | null; reason?: string } {
  const existing = loadedNativeKernels();
  if (existing !== null) return { isa: existing.isa() };
  if (process.env.NMF_STUDIO_NATIVE === 'off') return { isa: null, reason: 'NMF_STUDIO_NATIVE=off' };
  const file = findNativeModule(dirname(fileURLToPath(import.meta.url)));
  if (file === null)
    return { isa: null, reason: 'native/build/Release/nmf_kernels.node not found (npm run build:native)' };
  try {
    const kernels = createRequire(import.meta.url)(file) as NativeKernelModule;
    registerNativeKernels(kernels);
    return { isa: kernels.isa() };
  } catch (error) {
    return { isa: null, reason: `${file}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** The module's path in `native/build/Release` of the nearest folder above `from`, or null. */
export function findNativeModule(from: string): string | null {
  let dir = from;
  for (let up = 0; up < 6; up++) {
    const candidate = join(dir, 'native', 'build', 'Release', 'nmf_kernels.node');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}

/**
 * One line for the About screen: the kernels fits use on this machine (the pool's workers load the
 * same module from the same place, so this process's answer is theirs).
 */
export function describeKernels(): string {
  const { isa, reason } = installNativeKernels();
  return isa !== null
    ? `native (${isa}) for dense data, WebAssembly SIMD for the rest`
    : `WebAssembly SIMD (native kernels not loaded: ${reason})`;
}
