/**
 * The NMF engine's kernels: one contract (./contract.ts, with the bit rules), the scalar reference
 * (./scalar.ts), the WebAssembly and native adapters (./wasm.ts, ./native.ts) and the selector that
 * builds a fit's set (./select.ts).
 */
export type { DataArrays, KernelBackendName, NmfKernels } from './contract';
export { scalarKernels } from './scalar';
export { selectKernels, nativeKernelsLoaded, type KernelBackend, type KernelChoice } from './select';
export {
  MIN_NATIVE_SPLIT_WORK,
  loadedNativeKernels,
  registerNativeKernels,
  type NativeKernelModule,
} from './native';
export { EPS32, EPS64, Pow, powBy, powCode, type PowCode } from './scalar/numbers';
export { columnSums } from './scalar/products';
export { cdRow, multiplicativeUpdate } from './scalar/cd';
export { rowProducts } from './scalar/rows';
