#!/usr/bin/env node
// `npm start`: opens NMF Studio in its desktop window where the Electron binary is available;
// otherwise says so in one line and starts browser mode, printing the URL to open.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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

/** Path of the Electron binary, installing it on first use; null where it cannot be had (offline). */
function electronBinary() {
  try {
    return require('electron');
  } catch {
    const install = spawnSync(process.execPath, [require.resolve('electron/install.js')], {
      cwd: root,
      stdio: 'ignore',
      timeout: 120_000,
    });
    if (install.status !== 0) return null;
    try {
      return require('electron');
    } catch {
      return null;
    }
  }
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
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
