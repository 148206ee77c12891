#!/usr/bin/env node
// Before the end-to-end tests. They drive Debian's Chromium: say what is missing and how to get it,
// instead of failing obscurely inside Playwright. And say up front whether the desktop-app spec
// (e2e/electron.spec.ts) will run or be skipped, and why.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
if (!existsSync(chromium)) {
  console.error(
    `The end-to-end tests need Chromium at ${chromium}, which is not installed.\n` +
      'On Debian or Ubuntu: apt-get install -y chromium   (or set CHROMIUM_PATH to a Chromium or Chrome binary)',
  );
  process.exit(1);
}

const require = createRequire(import.meta.url);
let electron = null;
try {
  const dir = dirname(require.resolve('electron/package.json'));
  const binary = join(dir, 'dist', readFileSync(join(dir, 'path.txt'), 'utf8'));
  if (existsSync(binary)) electron = binary;
} catch {
  // No binary recorded: it was never downloaded.
}
console.log(
  electron
    ? `Electron binary found (${electron}): e2e/electron.spec.ts launches the desktop app.`
    : 'No Electron binary on this machine (it is downloaded by `npx install-electron`, which needs network access): ' +
        'e2e/electron.spec.ts is SKIPPED; the same flow runs in browser mode (e2e/foundation.spec.ts).',
);
