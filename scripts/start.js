#!/usr/bin/env node
// `npm start`: opens NMF Studio in its desktop window where the Electron binary is available;
// otherwise says so in one line and starts browser mode, printing the URL to open.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

if (
  !existsSync(join(root, 'out', 'main', 'cli.js')) ||
  !existsSync(join(root, 'out', 'renderer', 'index.html'))
) {
  const build = spawnSync('npm', ['run', 'build'], {
    cwd: root,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

/** The Electron binary if it is installed (node_modules/electron/path.txt names it under dist/). */
function installedElectron() {
  try {
    const dir = dirname(require.resolve('electron/package.json'));
    const name = readFileSync(join(dir, 'path.txt'), 'utf8');
    const binary = join(dir, 'dist', name);
    return existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

/** Path of the Electron binary, downloading it on first use; null where it cannot be had (offline). */
function electronBinary() {
  const installed = installedElectron();
  if (installed) return installed;
  try {
    spawnSync(process.execPath, [require.resolve('electron/install.js')], {
      cwd: root,
      stdio: 'ignore',
      timeout: 120_000,
    });
  } catch {
    return null;
  }
  return installedElectron();
}

const electron = process.env.NMF_STUDIO_BROWSER === '1' ? null : electronBinary();
const extra = process.argv.slice(2);
let child;
if (electron) {
  child = spawn(electron, [root, ...extra], { stdio: 'inherit' });
} else {
  console.log(
    'The Electron binary is not available on this machine (it could not be downloaded), so NMF Studio starts in browser mode instead.',
  );
  child = spawn(process.execPath, [join(root, 'out', 'main', 'cli.js'), 'serve', ...extra], {
    stdio: 'inherit',
    env: { ...process.env, NMF_STUDIO_CLI: '1' },
  });
}
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM']))
  process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
