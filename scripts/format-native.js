#!/usr/bin/env node
// Formats the C++ of the native kernels (native/src) with clang-format and native/.clang-format.
//
//   node scripts/format-native.js          rewrite the files in place (`npm run format:native`)
//   node scripts/format-native.js --check  only report files that differ, exit 1 if any
//
// clang-format comes from the npm package `clang-format` (pinned, run through npx, so every machine
// formats alike); it is fetched on first use.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLANG_FORMAT = 'clang-format@1.8.0';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'native', 'src');
const files = readdirSync(srcDir)
  .filter((name) => /\.(cc|h|inl)$/.test(name))
  .map((name) => join(srcDir, name));
const check = process.argv.includes('--check');
const args = [
  '--yes',
  CLANG_FORMAT,
  '--style=file',
  ...(check ? ['--dry-run', '--Werror'] : ['-i']),
  ...files,
];
const result = spawnSync('npx', args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
if (result.error) {
  console.error(`format-native: ${result.error.message}`);
  process.exit(1);
}
process.exit(result.status ?? 1);
