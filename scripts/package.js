#!/usr/bin/env node
// `npm run package`: builds the installers for the OS it runs on (Linux: AppImage and .deb; macOS:
// .dmg for x64 and arm64; Windows: NSIS), then checks the packaged apps and fails loudly if the
// native SQLite module inside is not built for Electron. Extra arguments go to electron-builder
// (e.g. `npm run package -- --dir` for an unpacked app only).
//
// electron-builder downloads Electron and its headers, so this needs network access.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

// The checks are TypeScript modules with unit tests (src/main/app/packaging); tsx loads them.
register();
const { packagingEnv, signingPlan } = await import('../src/main/app/packaging/package-env.ts');
const { electronAbi, verifyPackagedApps } = await import('../src/main/app/packaging/verify-package.ts');

/**
 * electron-builder rebuilds better-sqlite3 in place in node_modules, for Electron: afterwards the
 * command line, browser mode and the tests (which run under Node) could not load it, and a failed
 * rebuild leaves no binary at all. The Node build is therefore kept aside and put back after.
 */
const addon = join(root, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
/** @type {string | null} */
let keptAddon = null;
function keepNodeAddon() {
  if (!existsSync(addon)) return;
  keptAddon = join(mkdtempSync(join(tmpdir(), 'nmf-addon-')), 'better_sqlite3.node');
  copyFileSync(addon, keptAddon);
}
function restoreNodeAddon() {
  if (!keptAddon) return;
  mkdirSync(dirname(addon), { recursive: true });
  copyFileSync(keptAddon, addon);
  rmSync(dirname(keptAddon), { recursive: true, force: true });
  keptAddon = null;
  console.log('package: restored the Node build of better-sqlite3 in node_modules');
}

/**
 * @param {string} message
 * @returns {never}
 */
function fail(message) {
  restoreNodeAddon();
  console.error(`\npackage: FAILED — ${message}\n`);
  process.exit(1);
}

/** @param {string} command @param {string[]} args @param {NodeJS.ProcessEnv} env */
function run(command, args, env) {
  console.log(`package: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, {
    cwd: root,
    env,
    stdio: 'inherit',
    shell: process.platform === 'win32' && command === 'npm',
  });
  if (result.error) fail(`${command} could not start: ${result.error.message}`);
  if (result.status !== 0) fail(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
}

/** @type {Partial<Record<NodeJS.Platform, string>>} */
const platformFlags = { darwin: '--mac', win32: '--win', linux: '--linux' };
const platformFlag = platformFlags[process.platform];
if (!platformFlag) fail(`no installer is configured for ${process.platform}`);

const { env: cleanEnv, removed } = packagingEnv(process.env);
if (removed.length > 0)
  console.log(`package: removed ${removed.join(', ')} so native modules are built for Electron, not Node`);
let plan;
try {
  plan = signingPlan(process.env, process.platform);
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
for (const message of plan.messages) console.log(`package: ${message}`);
const env = { ...cleanEnv, ...plan.env };

const electronDir = dirname(require.resolve('electron/package.json'));
const electronVersion = JSON.parse(readFileSync(join(electronDir, 'package.json'), 'utf8')).version;
/** @type {((version: string) => string) | null} */
let nodeAbi = null;
try {
  const { getAbi } = require('node-abi');
  nodeAbi = (version) => getAbi(version, 'electron');
} catch {
  // node-abi comes with electron-builder's rebuild step; abi_version is usually enough.
}
const expectedAbi = electronAbi(electronDir, electronVersion, nodeAbi);
if (expectedAbi === null)
  fail(`cannot tell the Node ABI of Electron ${electronVersion} (no node_modules/electron/abi_version)`);
console.log(`package: Electron ${electronVersion}, NODE_MODULE_VERSION ${expectedAbi}`);

run('npm', ['run', 'build'], env);
keepNodeAddon();
run(
  process.execPath,
  [
    require.resolve('electron-builder/cli.js'),
    platformFlag,
    '--config',
    'electron-builder.yml',
    '--publish',
    'never',
    ...process.argv.slice(2),
  ],
  env,
);

const problems = verifyPackagedApps(join(root, 'dist'), expectedAbi);
restoreNodeAddon();
if (problems.length > 0) fail(`the packaged app is not fit to ship:\n  ${problems.join('\n  ')}`);
console.log(
  `package: checked — better-sqlite3 is built for Electron (ABI ${expectedAbi}) in every packaged app`,
);
