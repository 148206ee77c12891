#!/usr/bin/env node
// Compiles the native dense kernels (native/src/kernels.cc, a Node-API module) with node-gyp into
// native/build/Release/nmf_kernels.node. Node-API is ABI-stable, so the one binary serves Node (CLI,
// tests, browser mode) and Electron alike; no rebuild for Electron is needed.
//
//   node scripts/build-native.js          build (skipped when the module is newer than its sources)
//   node scripts/build-native.js --force  rebuild
//   node scripts/build-native.js --strict fail (exit 1) instead of warning when the build fails
//
// Where there is no C++ compiler (or on Windows, where MSVC lacks the vector extensions the kernels
// use) the build is skipped with a warning and the engine runs the same products in WebAssembly,
// with the same results, more slowly. Set NMF_STUDIO_NATIVE=off to skip the build altogether.
//
// node-gyp: the copy npm runs scripts with (npm_config_node_gyp), else the one bundled with npm.
// Headers: npm's `nodedir` setting (npm_config_nodedir, or `npm config get nodedir`) when set, so
// that machines without network access build against the local Node headers.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const output = join(nativeDir, 'build/Release/nmf_kernels.node');
const force = process.argv.includes('--force');
const strict = process.argv.includes('--strict');

function sources() {
  const src = join(nativeDir, 'src');
  return [join(nativeDir, 'binding.gyp'), fileURLToPath(import.meta.url)].concat(
    readdirSync(src).map((name) => join(src, name)),
  );
}

function upToDate() {
  if (force || !existsSync(output)) return false;
  const built = statSync(output).mtimeMs;
  return sources().every((file) => statSync(file).mtimeMs <= built);
}

/**
 * @param {string} message
 * @returns {never}
 */
function skip(message) {
  if (strict) {
    console.error(`build-native: ${message}`);
    process.exit(1);
  }
  console.warn(
    `build-native: ${message}; the engine will use its WebAssembly kernels (same results, slower)`,
  );
  process.exit(0);
}

function nodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return fromNpm;
  const npmCli = process.env.npm_execpath;
  const candidates = [
    npmCli ? join(dirname(npmCli), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js') : null,
    join(
      dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
  ];
  return candidates.find((file) => file !== null && existsSync(file)) ?? null;
}

function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const asked = spawnSync(npm, ['config', 'get', 'nodedir'], { encoding: 'utf8' });
  const value = asked.status === 0 ? asked.stdout.trim() : '';
  return value && value !== 'undefined' && value !== 'null' ? value : null;
}

if (process.env.NMF_STUDIO_NATIVE === 'off') {
  console.log('build-native: skipped (NMF_STUDIO_NATIVE=off)');
  process.exit(0);
}
if (process.platform === 'win32')
  skip('not built on Windows (the kernels need GCC or Clang vector extensions)');
if (upToDate()) process.exit(0);

const gyp = nodeGyp();
if (gyp === null) skip('node-gyp not found');
const dir = nodeDir();
const args = [gyp, 'rebuild', '--release', `--directory=${nativeDir}`];
if (dir !== null) args.push(`--nodedir=${dir}`);
const started = Date.now();
// The compiler's output is kept to be shown on failure; the buffer is large because a build with
// many warnings overflowed the default 1 MB, which killed node-gyp and read as "exit null".
const built = spawnSync(process.execPath, args, {
  stdio: ['ignore', 'pipe', 'pipe'],
  encoding: 'utf8',
  maxBuffer: 256 * 1024 * 1024,
});
if (built.status !== 0 || !existsSync(output)) {
  process.stderr.write(built.stdout ?? '');
  process.stderr.write(built.stderr ?? '');
  skip(`node-gyp failed (${built.error ? built.error.message : `exit ${built.status}`})`);
}
console.log(
  `build-native: ${output.slice(root.length + 1)} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
);
