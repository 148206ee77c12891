import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { archOfOutputFolder, readBinaryArch, readNodeModuleVersion } from './native-module';

/** Files that must sit in app.asar.unpacked of every packaged app (see electron-builder.yml). */
export const REQUIRED_UNPACKED = [
  'package.json',
  'out/main/nmf.worker.js',
  'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
] as const;

/**
 * The native dense kernels (native/, see src/main/native), unpacked like every *.node file. Not built
 * on Windows (the engine runs on WebAssembly there); elsewhere a missing or foreign-CPU copy would
 * leave the engine on WebAssembly, so the check refuses it. On macOS it is one universal file.
 */
export const NATIVE_KERNELS = 'native/build/Release/nmf_kernels.node';

export interface PackagedApp {
  /** electron-builder's output folder for one platform and CPU, e.g. dist/linux-unpacked. */
  outputFolder: string;
  unpackedDir: string;
}

/** Every app.asar.unpacked under the per-platform output folders of `distDir`. */
export function findPackagedApps(distDir: string): PackagedApp[] {
  if (!existsSync(distDir)) return [];
  const found: PackagedApp[] = [];
  const walk = (outputFolder: string, dir: string, depth: number): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const path = join(dir, entry.name);
      if (entry.name === 'app.asar.unpacked') found.push({ outputFolder, unpackedDir: path });
      // macOS: <folder>/NMF Studio.app/Contents/Resources/app.asar.unpacked is four levels down.
      else if (depth < 4 && entry.name !== 'node_modules') walk(outputFolder, path, depth + 1);
    }
  };
  for (const entry of readdirSync(distDir, { withFileTypes: true })) {
    if (entry.isDirectory() && archOfOutputFolder(entry.name) !== 'unknown')
      walk(join(distDir, entry.name), join(distDir, entry.name), 0);
  }
  return found;
}

/**
 * What is wrong with the packaged apps in `distDir`: missing unpacked files, or a better-sqlite3
 * add-on compiled for another Node ABI than Electron's (`expectedAbi`) or another CPU than its
 * output folder's. An empty list means the apps are fit to ship as far as can be seen without
 * running them.
 */
export function verifyPackagedApps(distDir: string, expectedAbi: number): string[] {
  const apps = findPackagedApps(distDir);
  if (apps.length === 0) return [`no packaged app (app.asar.unpacked) under ${distDir}`];
  const problems: string[] = [];
  for (const { outputFolder, unpackedDir } of apps) {
    const where = relative(distDir, unpackedDir);
    for (const file of REQUIRED_UNPACKED) {
      if (!existsSync(join(unpackedDir, file))) problems.push(`${where}: ${file} is missing`);
    }
    const folder = relative(distDir, outputFolder);
    const wanted = archOfOutputFolder(folder);
    if (!folder.startsWith('win')) {
      const kernels = join(unpackedDir, NATIVE_KERNELS);
      if (!existsSync(kernels)) problems.push(`${where}: ${NATIVE_KERNELS} is missing`);
      else {
        const actual = readBinaryArch(readFileSync(kernels));
        if (wanted !== 'universal' && actual !== wanted && actual !== 'universal')
          problems.push(`${where}: nmf_kernels.node is compiled for ${actual}, the app is for ${wanted}`);
      }
    }
    const addon = join(unpackedDir, REQUIRED_UNPACKED[2]);
    if (!existsSync(addon) || !statSync(addon).isFile()) continue;
    const bytes = readFileSync(addon);
    const abi = readNodeModuleVersion(bytes);
    if (abi !== expectedAbi)
      problems.push(
        `${where}: better_sqlite3.node is built for NODE_MODULE_VERSION ${abi ?? 'unknown'}, ` +
          `Electron needs ${expectedAbi} (it was compiled against another Node's headers)`,
      );
    const actual = readBinaryArch(bytes);
    if (wanted !== 'universal' && actual !== wanted)
      problems.push(`${where}: better_sqlite3.node is compiled for ${actual}, the app is for ${wanted}`);
  }
  return problems;
}

/**
 * Electron's NODE_MODULE_VERSION: from node_modules/electron/abi_version (written by the electron
 * package), else from node-abi's table, else null.
 */
export function electronAbi(
  electronDir: string,
  electronVersion: string,
  nodeAbi: ((version: string) => string) | null,
): number | null {
  const file = join(electronDir, 'abi_version');
  if (existsSync(file)) {
    const abi = Number(readFileSync(file, 'utf8').trim());
    if (Number.isInteger(abi) && abi > 0) return abi;
  }
  if (nodeAbi) {
    try {
      const abi = Number(nodeAbi(electronVersion));
      if (Number.isInteger(abi) && abi > 0) return abi;
    } catch {
      // node-abi does not know this Electron yet.
    }
  }
  return null;
}
