import { createTeamLead, type KernelTeam } from '../wasm';
import type { NmfKernels } from './contract';
import { loadedNativeKernels, nativeKernels, type NativeKernelModule } from './native';
import { scalarKernels } from './scalar';
import { wasmKernels } from './wasm';

/**
 * 'auto': the native kernels where loaded, WebAssembly for the rest, the scalar kernels where
 * WebAssembly is unavailable; 'wasm': WebAssembly (no native); 'native': as 'auto' but the native
 * kernels must be loaded; 'js': the scalar reference only.
 */
export type KernelBackend = 'auto' | 'js' | 'wasm' | 'native';

/** What a fit may use. Every field is optional: `selectKernels()` is the one-thread default. */
export interface KernelChoice {
  /** Default 'auto'. */
  backend?: KernelBackend;
  /** Threads the native kernels may split one call over (default 1). */
  threads?: number;
  /** A running kernel team (src/main/workers/kernel-team.ts) for the WebAssembly kernels. */
  team?: KernelTeam | null;
  /** The native module to use; default: the one this thread registered (./native.ts). */
  native?: NativeKernelModule | null;
  /** Split every native call over `threads`, however small (tests; a team has its own thresholds). */
  splitAlways?: boolean;
}

/**
 * The kernel set of one fit: from the backend asked for, the threads it may use and what is loaded
 * here (WebAssembly instantiates or not; the native module is registered or not). Throws when
 * 'wasm' or 'native' is asked for where it is unavailable. The set is the fit's own: its thread
 * counts and team hand-over are not shared with other fits; call `release()` when a fit on a kept
 * team is done.
 */
export function selectKernels(choice: KernelChoice = {}): NmfKernels {
  const backend = choice.backend ?? 'auto';
  if (backend === 'js') return scalarKernels;
  const lead = choice.team != null ? createTeamLead(choice.team) : null;
  const wasm = wasmKernels(scalarKernels, lead);
  if (backend === 'wasm' && wasm === null) throw new Error('WebAssembly kernels are not available here');
  const base = wasm ?? scalarKernels;
  if (backend === 'wasm') return base;
  const native = choice.native !== undefined ? choice.native : loadedNativeKernels();
  if (native === null) {
    if (backend === 'native') throw new Error('the native kernels are not loaded here');
    return base;
  }
  return nativeKernels(native, choice.threads ?? 1, base, choice.splitAlways === true);
}

/** Whether a native module is registered in this thread (a host's question before starting a team). */
export function nativeKernelsLoaded(): boolean {
  return loadedNativeKernels() !== null;
}
