/**
 * node-abi (installed with electron-builder) ships no declarations; scripts/package.js uses this one
 * function to read the NODE_MODULE_VERSION of an Electron version.
 */
declare module 'node-abi' {
  /** The NODE_MODULE_VERSION of `target` (a version) of `runtime` ('node' or 'electron'). */
  export function getAbi(target: string, runtime?: string): string;
}
